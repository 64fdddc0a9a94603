//! Browser package chores (owned by the web work): build, browser tests, benchmark.

use anyhow::Result;

/// `cargo xtask web ...` subcommands.
pub fn run(_args: &[&str]) -> Result<()> {
    anyhow::bail!("not implemented yet")
}

/// Builds the browser artifacts; called by `cargo xtask test` before the workspace tests.
pub fn build() -> Result<()> {
    Ok(())
}

/// Tests that are not `cargo test` (headless Chromium); returns (passed, failed).
pub fn test() -> Result<(u64, u64)> {
    Ok((0, 0))
}

/// `cargo xtask bench web`.
pub fn bench(_args: &[&str]) -> Result<()> {
    anyhow::bail!("not implemented yet")
}
