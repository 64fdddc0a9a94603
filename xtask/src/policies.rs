//! Admission policy chores: build and annotate the Kubewarden module, generate the
//! Kyverno / ValidatingAdmissionPolicy twins, benchmark.
//!
//! xtask only spawns cargo here; the data work (annotation, generation, the waPC
//! benchmark) lives in `policies/kubewarden` (its `policy-tool` binary and `admit`
//! bench), next to the code it concerns.
//!
//! - `policies build`: `wasm32-wasip1` build with the `wasm-release` profile, annotate
//!   it into `<target>/policy/catalyst-guard-kubewarden.wasm` (where the end-to-end
//!   tests look), check the generated twins are current and the size budget holds.
//! - `annotate [--wasm IN] [--output OUT]`: embed `metadata.yml` as the
//!   `io.kubewarden.metadata` custom section, as `kwctl annotate` does.
//! - `gen-policies [--settings FILE] [--check]`: (re)generate `policies/kyverno/`,
//!   `policies/vap/` and, from one settings file, `deploy/admission/params.yaml` and
//!   `deploy/admission/clusteradmissionpolicy.yaml`.
//! - `bench admit [ARGS]`: per-request latency through the waPC harness.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::paths::{root, target_dir};
use crate::process;
use crate::tools::ensure_wasm_targets;

/// The policy module may not grow past this (the admission budget: small modules
/// compile and instantiate fast in policy-server).
const MAX_WASM_BYTES: u64 = 1536 * 1024;

const PACKAGE: &str = "catalyst-guard-kubewarden";

/// The raw module cargo builds.
fn built_wasm() -> PathBuf {
    target_dir().join("wasm32-wasip1/wasm-release/catalyst_guard_kubewarden.wasm")
}

/// The annotated module: what tests, the benchmark and a registry push use.
pub fn policy_wasm() -> PathBuf {
    target_dir().join("policy/catalyst-guard-kubewarden.wasm")
}

/// `cargo xtask policies ...` subcommands.
pub fn run(args: &[&str]) -> Result<()> {
    match args {
        ["build"] => build(),
        ["annotate", rest @ ..] => annotate(rest),
        ["gen-policies", rest @ ..] => gen_policies(rest),
        ["bench", rest @ ..] => bench(rest),
        _ => bail!(
            "usage: cargo xtask policies build | annotate [--wasm IN] [--output OUT] | gen-policies [--settings FILE] [--check] | bench [ARGS]"
        ),
    }
}

/// Builds, annotates and checks the policy module; called by `cargo xtask test`
/// before the workspace tests, which load it.
pub fn build() -> Result<()> {
    ensure_wasm_targets()?;
    let cargo = env!("CARGO");
    process::run(
        cargo,
        &[
            "build",
            "--quiet",
            "--profile",
            "wasm-release",
            "--target",
            "wasm32-wasip1",
            "-p",
            PACKAGE,
            "--lib",
        ],
    )?;
    annotate(&[])?;
    let size = std::fs::metadata(policy_wasm())
        .with_context(|| format!("cannot stat {}", policy_wasm().display()))?
        .len();
    if size > MAX_WASM_BYTES {
        bail!("the policy module is {size} bytes, over the {MAX_WASM_BYTES}-byte budget (1.5 MiB)");
    }
    println!(
        "policy module: {} ({:.0} KiB)",
        policy_wasm().display(),
        size as f64 / 1024.0
    );
    gen_policies(&["--check"])
}

fn flag(args: &[&str], name: &str) -> Option<String> {
    args.iter()
        .position(|a| *a == name)
        .and_then(|i| args.get(i + 1))
        .map(|s| s.to_string())
}

/// `cargo xtask annotate [--wasm IN] [--output OUT]`.
pub fn annotate(args: &[&str]) -> Result<()> {
    let input = flag(args, "--wasm").unwrap_or_else(|| built_wasm().display().to_string());
    let output = flag(args, "--output").unwrap_or_else(|| policy_wasm().display().to_string());
    let metadata = root().join("policies/kubewarden/metadata.yml");
    let metadata = metadata.display().to_string();
    policy_tool(&[
        "annotate",
        "--wasm",
        &input,
        "--metadata",
        &metadata,
        "--output",
        &output,
    ])
}

/// `cargo xtask gen-policies [--settings FILE] [--check]`: the twins, and from one
/// settings file (default `deploy/admission/settings.yaml`) the Kubewarden settings
/// and the params ConfigMap the twins read.
pub fn gen_policies(args: &[&str]) -> Result<()> {
    let mut all = vec!["gen-policies"];
    match args {
        [] | ["--check"] | ["--settings", _] | ["--settings", _, "--check"] => {
            all.extend_from_slice(args)
        }
        _ => bail!("usage: cargo xtask gen-policies [--settings FILE] [--check]"),
    }
    policy_tool(&all)
}

fn policy_tool(args: &[&str]) -> Result<()> {
    let mut all = vec![
        "run",
        "--quiet",
        "-p",
        PACKAGE,
        "--bin",
        "policy-tool",
        "--",
    ];
    all.extend_from_slice(args);
    process::run(env!("CARGO"), &all)
}

/// `cargo xtask bench admit [ARGS]`: builds the module, then runs the `admit` bench
/// (release build of the waPC harness) against it.
pub fn bench(args: &[&str]) -> Result<()> {
    build()?;
    let cargo = env!("CARGO");
    let mut all = vec!["bench", "--quiet", "-p", PACKAGE, "--bench", "admit", "--"];
    all.extend_from_slice(args);
    eprintln!("+ {cargo} {}", all.join(" "));
    let status = std::process::Command::new(cargo)
        .args(&all)
        .env("CATALYST_GUARD_POLICY_WASM", policy_wasm())
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot run `{cargo}`"))?;
    if !status.success() {
        bail!("the admission benchmark failed ({status})");
    }
    Ok(())
}
