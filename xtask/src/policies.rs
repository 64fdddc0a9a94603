//! Admission policy chores (owned by the admission work): build the Kubewarden module,
//! annotate it, generate the Kyverno / ValidatingAdmissionPolicy twins, benchmark.

use anyhow::Result;

/// `cargo xtask policies ...` subcommands.
pub fn run(_args: &[&str]) -> Result<()> {
    anyhow::bail!("not implemented yet")
}

/// Builds (and annotates) the policy module; called by `cargo xtask test` before the
/// workspace tests, which load it.
pub fn build() -> Result<()> {
    Ok(())
}

/// `cargo xtask annotate`.
pub fn annotate(_args: &[&str]) -> Result<()> {
    anyhow::bail!("not implemented yet")
}

/// `cargo xtask gen-policies [--check]`.
pub fn gen_policies(_args: &[&str]) -> Result<()> {
    anyhow::bail!("not implemented yet")
}

/// `cargo xtask bench admit`.
pub fn bench(_args: &[&str]) -> Result<()> {
    anyhow::bail!("not implemented yet")
}
