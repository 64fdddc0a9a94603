//! The catalyst-guard core as a WebAssembly component (work in progress).
