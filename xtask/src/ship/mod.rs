//! Shipping: the container image and the release artifacts.
//!
//! - `cargo xtask image [--verify]`: the OCI image, built without a Docker engine
//!   (`image.rs`); `--verify` runs it read-only, as uid 65532, with no network, and
//!   compares its output with the host build's (`verify.rs`).
//! - `cargo xtask dist [--verify]`: every release artifact, an SBOM and `SHA256SUMS`
//!   (`dist.rs`).
//!
//! `layout.rs` holds what the image is (name, user, files), shared by all three.

mod dist;
mod image;
mod layout;
mod verify;

pub use dist::dist;
pub use image::image;
