//! catalyst-guard as a Kubewarden admission policy: rejects, at the API server, a
//! GitRepository whose URL is not the canonical Gitea URL (CG005), a HelmRelease
//! pinning a `bp-*` chart with a range (CG004) or out of lockstep with its Blueprint
//! (CG003), a Kustomization decrypting with SOPS (CG008), and a Blueprint whose
//! `spec.version` is not an exact version (CG012).
//!
//! The crate is layered so almost everything is testable natively: [`objects`] are
//! the typed views deserialised from the request, [`rules`] are pure functions over
//! them, [`admission`] turns request bytes into a Kubewarden response, and the waPC
//! glue (`wapc_init`, the host capability for context-aware Blueprint lookups) is
//! compiled for `wasm32` only. [`package`] (annotation, metadata) and [`twins`]
//! (the Kyverno and ValidatingAdmissionPolicy equivalents) are native build tools.

pub mod admission;
pub mod objects;
pub mod rules;
pub mod settings;

#[cfg(not(target_arch = "wasm32"))]
pub mod package;
#[cfg(not(target_arch = "wasm32"))]
pub mod twins;

#[cfg(target_arch = "wasm32")]
mod guest;
