//! Project chores as `cargo xtask <task>`, so nothing lives in shell scripts that rot.
//!
//! - `test`: the whole test suite, as CI runs it (installs what it needs first).
//! - `docs [--check]`: regenerate `docs/rules.md` from the rule registry.
//! - `gen-suffixes [--check]`: regenerate CG006's public suffix table (see `suffixes.rs`).
//! - `bench lint`: the lint throughput benchmark (see `bench.rs`).
//! - `bench recover`: decision engine and `recover` end to end (see `bench_recover.rs`).
//! - `fuzz [--seconds N] [TARGET...]`: the cargo-fuzz targets in `fuzz/` (see `fuzz.rs`).
//! - `faults`: the API fault matrix of `recover`, printed (see `faults.rs`).
//! - `image [--verify]`, `dist [--verify]`: the OCI image and the release artifacts
//!   (see `ship.rs`).

mod bench;
mod bench_recover;
mod corpus;
mod counts;
mod faults;
mod fuzz;
mod plugin;
mod policies;
mod ship;
mod suffixes;
mod targets;
mod web;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["test"] => test(),
        ["docs"] => docs(false),
        ["docs", "--check"] => docs(true),
        ["bench", "lint", rest @ ..] => bench::lint(rest),
        ["bench", "recover", rest @ ..] => bench_recover::run(rest),
        ["bench", "admit", rest @ ..] => policies::bench(rest),
        ["bench", "web", rest @ ..] => web::bench(rest),
        ["bench", "plugin", rest @ ..] => plugin::bench(rest),
        ["build-wasm", rest @ ..] => plugin::build_wasm(rest),
        ["annotate", rest @ ..] => policies::annotate(rest),
        ["gen-policies", rest @ ..] => policies::gen_policies(rest),
        ["gen-suffixes", rest @ ..] => suffixes::run(rest),
        ["policies", rest @ ..] => policies::run(rest),
        ["web", rest @ ..] => web::run(rest),
        ["fuzz", rest @ ..] => fuzz::run(rest),
        ["faults", rest @ ..] => faults::run(rest),
        ["image", rest @ ..] => ship::image(rest),
        ["dist", rest @ ..] => ship::dist(rest),
        _ => bail!(
            "usage: cargo xtask test | docs [--check] | bench lint|recover|plugin|admit|web [...] | \
             build-wasm | gen-policies [--settings FILE] [--check] | gen-suffixes [--check] | \
             policies ... | web ... | \
             fuzz [--seconds N] [TARGET] | faults | image [--verify] | dist [--verify]"
        ),
    }
}

/// Runs a command in the repository root, failing with its name if it fails.
pub fn run(program: &str, args: &[&str]) -> Result<()> {
    eprintln!("+ {program} {}", args.join(" "));
    let status = std::process::Command::new(program)
        .args(args)
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot run `{program}`"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Runs a command in the repository root and returns its standard output, failing
/// with its name and standard error if it fails.
pub fn capture(program: &str, args: &[&str]) -> Result<Vec<u8>> {
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(root())
        .output()
        .with_context(|| format!("cannot run `{program}`"))?;
    if !out.status.success() {
        bail!(
            "`{program} {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out.stdout)
}

/// Seconds per fuzz target in `cargo xtask test`.
const FUZZ_SECONDS_IN_TEST: u64 = 20;
/// libFuzzer's `-seed` in `cargo xtask test`.
const FUZZ_SEED_IN_TEST: u32 = 1;

/// The whole suite: formatting, lints, every test in the workspace, generated docs.
fn test() -> Result<()> {
    let cargo = env!("CARGO");
    ensure_kubectl()?;
    ship::ensure_test_tools()?;
    ensure_wasm_targets()?;
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
    let (mut passed, mut failed, mut skipped) =
        run_tests(cargo, &["test", "--workspace", "--all-targets"])?;
    let (p, f, s) = web::test()?;
    passed += p;
    failed += f;
    skipped += s;
    docs(true)?;
    suffixes::run(&["--check"])?;
    // Every fuzz target briefly, from the fixtures' seeds: a regression that a known
    // input shape reaches fails CI (longer runs: `cargo xtask fuzz`).
    // A fixed seed: CI explores the same inputs first as the last local run did, so a
    // red CI means a regression, not a lucky draw (`cargo xtask fuzz` draws freely).
    fuzz::run_targets(fuzz::TARGETS, FUZZ_SECONDS_IN_TEST, Some(FUZZ_SEED_IN_TEST))?;
    // One closing line for the whole suite (cargo prints one per test binary); skipped
    // tests (libtest `ignored`, node `skip`/`todo`) are counted so none passes unseen.
    println!("tests: {passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 {
        bail!("{failed} tests failed");
    }
    Ok(())
}

/// The WebAssembly targets the plugin, policy and browser builds need (idempotent).
pub fn ensure_wasm_targets() -> Result<()> {
    run(
        "rustup",
        &[
            "target",
            "add",
            "wasm32-wasip1",
            "wasm32-wasip2",
            "wasm32-unknown-unknown",
        ],
    )
}

/// The deploy tests render `deploy/` with `kubectl kustomize`. kubectl ships on the
/// project's machines; on another Debian machine try its package before failing.
fn ensure_kubectl() -> Result<()> {
    let works = || {
        std::process::Command::new("kubectl")
            .args(["version", "--client"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if works() {
        return Ok(());
    }
    eprintln!("kubectl not found; trying `apt-get install -y kubectl`");
    let _ = std::process::Command::new("apt-get")
        .args(["install", "-y", "kubectl"])
        .status();
    if works() {
        Ok(())
    } else {
        bail!("kubectl is required to render deploy/ (install it, then rerun)")
    }
}

/// Runs `cargo test`, echoing its output, and totals the `test result:` lines
/// (passed, failed, ignored).
fn run_tests(cargo: &str, args: &[&str]) -> Result<(u64, u64, u64)> {
    use std::io::BufRead;
    eprintln!("+ {cargo} {}", args.join(" "));
    let mut child = std::process::Command::new(cargo)
        .args(args)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run `{cargo}`"))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        let (p, f) = web::libtest_counts(&line);
        passed += p;
        failed += f;
        skipped += counts::skipped(&line);
    }
    let status = child.wait()?;
    if !status.success() {
        println!("tests: {passed} passed, {failed} failed, {skipped} skipped");
        bail!("`cargo test` failed ({status})");
    }
    Ok((passed, failed, skipped))
}

fn docs(check: bool) -> Result<()> {
    let path = root().join("docs/rules.md");
    let fresh = catalyst_guard::lint::registry::markdown();
    if check {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != fresh {
            bail!("docs/rules.md is stale: run `cargo xtask docs`");
        }
        return Ok(());
    }
    std::fs::create_dir_all(root().join("docs"))?;
    std::fs::write(&path, fresh).with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}
