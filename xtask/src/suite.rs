//! `cargo xtask test`: the whole suite as CI runs it (installs what it needs first):
//! formatting, lints, the WebAssembly artifacts, every test in the workspace, the
//! browser tests, generated files, a short run of every fuzz target.

use std::process::Command;

use anyhow::{Result, bail};

use crate::counts::{self, Counts};
use crate::paths::root;
use crate::process::run;
use crate::tools::{ensure_kubectl, ensure_test_tools, ensure_wasm_targets};
use crate::{chart, docs, fuzz, plugin, policies, suffixes, web};

/// Seconds per fuzz target in `cargo xtask test`.
const FUZZ_SECONDS_IN_TEST: u64 = 20;
/// libFuzzer's `-seed` in `cargo xtask test`.
const FUZZ_SEED_IN_TEST: u32 = 1;

/// The whole suite: formatting, lints, every test in the workspace, generated docs.
pub fn run_all() -> Result<()> {
    let cargo = env!("CARGO");
    ensure_kubectl()?;
    ensure_test_tools()?;
    ensure_wasm_targets()?;
    // helm, for the chart tests: built here (minutes, once per machine) so its
    // progress shows, rather than inside a test that captures it.
    chart::helm()?;
    run(cargo, &["fmt", "--all", "--", "--check"])?;
    run(
        cargo,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    // WebAssembly artifacts first: the workspace tests load them.
    plugin::build_wasm(&[])?;
    policies::build()?;
    web::build()?;
    let mut counts = cargo_test(cargo, &["test", "--workspace", "--all-targets"])?;
    counts += web::test()?;
    docs::run(true)?;
    suffixes::run(&["--check"])?;
    // Every fuzz target briefly, from the fixtures' seeds: a regression that a known
    // input shape reaches fails CI (longer runs: `cargo xtask fuzz`).
    // A fixed seed: CI explores the same inputs first as the last local run did, so a
    // red CI means a regression, not a lucky draw (`cargo xtask fuzz` draws freely).
    fuzz::run_targets(fuzz::TARGETS, FUZZ_SECONDS_IN_TEST, Some(FUZZ_SEED_IN_TEST))?;
    // One closing line for the whole suite (cargo prints one per test binary); skipped
    // tests (libtest `ignored`, node `skip`/`todo`) are counted so none passes unseen.
    println!("tests: {counts}");
    if counts.failed > 0 {
        bail!("{} tests failed", counts.failed);
    }
    Ok(())
}

/// Runs `cargo test`, echoing its output, and totals its `test result:` lines.
fn cargo_test(cargo: &str, args: &[&str]) -> Result<Counts> {
    let (counts, status) = counts::stream(Command::new(cargo).args(args).current_dir(root()))?;
    if !status.success() {
        println!("tests: {counts}");
        bail!("`cargo test` failed ({status})");
    }
    Ok(counts)
}
