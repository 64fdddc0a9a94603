//! catalyst-guard core: the lint rules and recovery decisions for a Flux/Helm GitOps
//! platform, written once and run natively, in a WebAssembly plugin, in an admission
//! policy and in the browser.
//!
//! The core does no I/O and reads no clock: callers pass file contents and the current
//! time in. No input makes it panic.

pub mod lint;
pub mod model;
pub mod naming;
pub mod objects;
pub mod recovery;
pub mod version;
pub mod yaml;
