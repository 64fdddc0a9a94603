//! The WebAssembly component plugin: build and benchmark.

use anyhow::Result;

/// `cargo xtask build-wasm`: builds the plugin component.
pub fn build_wasm(_args: &[&str]) -> Result<()> {
    Ok(())
}

/// `cargo xtask bench plugin`.
pub fn bench(_args: &[&str]) -> Result<()> {
    anyhow::bail!("not implemented yet")
}
