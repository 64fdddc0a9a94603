//! Project chores as `cargo xtask <task>`, so nothing lives in shell scripts that rot.
//!
//! - `test`: the whole test suite, as CI runs it (installs what it needs first; see
//!   `suite.rs`).
//! - `docs [--check]`: regenerate `docs/rules.md` from the rule registry.
//! - `gen-suffixes [--check]`: regenerate CG006's public suffix table (see `suffixes.rs`).
//! - `gen-deploy [--check]`: regenerate the kustomize base `deploy/catalyst-guard.yaml`
//!   from the chart (see `chart.rs`).
//! - `bench lint`, `bench plugin`: lint throughput and the plugin's costs (see `bench.rs`).
//! - `bench recover`: decision engine and `recover` end to end (see `bench_recover.rs`).
//! - `fuzz [--seconds N] [TARGET...]`: the cargo-fuzz targets in `fuzz/` (see `fuzz.rs`).
//! - `faults`: the API fault matrix of `recover`, printed (see `faults.rs`).
//! - `imports [--check] [--root DIR]`: each crate's import circles and largest file (see `imports.rs`).
//! - `e2e ...`: the real control plane built from Go modules (see `e2e.rs`).
//! - `image [--verify]`, `dist [--verify]`: the OCI image and the release artifacts
//!   (see `ship/`).
//!
//! This file only dispatches. Commands sit in their own files and share what lies
//! below them: `paths.rs` (where things are), `process.rs` (running programs),
//! `tools.rs` (installing them), `fixtures.rs` (generated inputs), `counts.rs` (test
//! counts), `targets.rs` (benchmark targets). Imports only point down.
#![expect(
    clippy::indexing_slicing,
    reason = "developer tooling, not the no-panic core: it indexes serde_json values (null when missing) and its own token buffers"
)]

mod bench;
mod bench_recover;
mod chart;
mod counts;
mod docs;
mod e2e;
mod faults;
mod fixtures;
mod fuzz;
mod imports;
mod paths;
mod plugin;
mod policies;
mod process;
mod ship;
mod suffixes;
mod suite;
mod targets;
mod tools;
mod web;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["test"] => suite::run_all(),
        ["docs"] => docs::run(false),
        ["docs", "--check"] => docs::run(true),
        ["bench", "lint", rest @ ..] => bench::lint(rest),
        ["bench", "recover", rest @ ..] => bench_recover::run(rest),
        ["bench", "admit", rest @ ..] => policies::bench(rest),
        ["bench", "web", rest @ ..] => web::bench(rest),
        ["bench", "plugin", rest @ ..] => bench::plugin(rest),
        ["build-wasm", rest @ ..] => plugin::build_wasm(rest),
        ["annotate", rest @ ..] => policies::annotate(rest),
        ["gen-policies", rest @ ..] => policies::gen_policies(rest),
        ["gen-suffixes", rest @ ..] => suffixes::run(rest),
        ["gen-deploy", rest @ ..] => chart::gen_deploy(rest),
        ["policies", rest @ ..] => policies::run(rest),
        ["web", rest @ ..] => web::run(rest),
        ["fuzz", rest @ ..] => fuzz::run(rest),
        ["faults", rest @ ..] => faults::run(rest),
        ["imports", rest @ ..] => imports::run(rest),
        ["e2e", rest @ ..] => e2e::run(rest),
        ["image", rest @ ..] => ship::image(rest),
        ["dist", rest @ ..] => ship::dist(rest),
        _ => bail!(
            "usage: cargo xtask test | docs [--check] | bench lint|recover|plugin|admit|web [...] | \
             build-wasm | gen-policies [--settings FILE] [--check] | gen-suffixes [--check] | gen-deploy [--check] | \
             policies ... | web ... | \
             fuzz [--seconds N] [TARGET] | faults | imports [--check] [--root DIR] | e2e ... | \
             image [--verify] | dist [--verify]"
        ),
    }
}
