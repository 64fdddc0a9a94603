//! Library side of the `catalyst-guard` binary: the pieces its tests and benchmarks
//! drive directly. Today that is the WebAssembly plugin runtime.

pub mod plugin;
