//! Browser package chores: build the wasm-bindgen package in `web/pkg`, run its tests,
//! benchmark it in Chromium.
//!
//! - `cargo xtask web build`: installs what is missing (the wasm target, the
//!   `wasm-bindgen-cli` matching Cargo.lock, Debian's Chromium, the npm packages in
//!   `web/`), builds the crate for `wasm32-unknown-unknown` and generates `web/pkg`.
//! - `cargo xtask web test`: build, then the wasm-bindgen tests under Node, the
//!   native/wasm parity tests and the end-to-end tests in headless Chromium.
//! - `cargo xtask web serve [--port N]`: build, then serve the demo on 127.0.0.1.
//! - `cargo xtask web sizes`: build, then write the `.wasm`'s sizes into the READMEs
//!   (a test fails while they differ from the build's).
//! - `cargo xtask bench web`: the benchmark page in the same Chromium (size and speed
//!   budgets).
//!
//! Only the hand-written files of `web/pkg` are committed (`package.json`, `index.js`,
//! `index.d.ts`, `text-coding.js`, `README.md`): the JS glue, its `.d.ts` and the `.wasm`
//! are generated from the crate and would go stale the moment the core changed.
//!
//! `install.rs` installs the tools, `apps.rs` writes the scratch apps the tests install
//! the package into, `parity.rs` the native side of the parity tests.

mod apps;
mod install;
mod parity;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::counts::{self, Counts};
use crate::paths::{root, target_dir};
use crate::process::{self, cargo};
use install::{ensure_chromium, ensure_node_modules, ensure_wasm_bindgen};

/// The file stem wasm-bindgen writes (`catalyst_guard_web.js`, `..._bg.wasm`).
const OUT_NAME: &str = "catalyst_guard_web";

/// The first line of the glue: its `TextDecoder` and `TextEncoder` come from
/// `text-coding.js` (the platform's, or a fallback where there are none, as in Jest's
/// jsdom environment) rather than from the globals.
const TEXT_CODING_IMPORT: &str = "import { TextDecoder, TextEncoder } from './text-coding.js';";

/// The browser build's profile: the release profile with whole-program LTO in one
/// codegen unit (smaller and faster wasm; the native release profile keeps thin LTO for
/// build speed). Given with `--config` so the root Cargo.toml stays as it is.
const PROFILE: &[&str] = &[
    "--config",
    "profile.web.inherits=\"release\"",
    "--config",
    "profile.web.lto=true",
    "--config",
    "profile.web.codegen-units=1",
    "--config",
    "profile.web.debug=false",
    "--profile",
    "web",
];

/// `cargo xtask web ...` subcommands.
pub fn run(args: &[&str]) -> Result<()> {
    match args {
        ["build"] => build(),
        ["test"] => {
            build()?;
            let counts = test()?;
            println!("web tests: {counts}");
            if counts.failed > 0 {
                bail!("{} web tests failed", counts.failed);
            }
            Ok(())
        }
        ["serve", rest @ ..] => {
            build()?;
            node("scripts/serve.mjs", rest)
        }
        ["sizes"] => {
            build()?;
            node("scripts/sizes.mjs", &["--write"])
        }
        _ => bail!("usage: cargo xtask web build | test | serve [--port N] | sizes"),
    }
}

/// Builds the browser artifacts; called by `cargo xtask test` before the workspace tests.
pub fn build() -> Result<()> {
    let started = Instant::now();
    process::run("rustup", &["target", "add", "wasm32-unknown-unknown"])?;
    let bin = ensure_wasm_bindgen()?;
    ensure_chromium()?;
    ensure_node_modules()?;

    let mut args = vec![
        "build",
        "--package",
        "catalyst-guard-web",
        "--target",
        "wasm32-unknown-unknown",
    ];
    args.extend_from_slice(PROFILE);
    process::run(&cargo(), &args)?;

    let wasm = target_dir()
        .join("wasm32-unknown-unknown/web")
        .join(format!("{OUT_NAME}.wasm"));
    let pkg = root().join("web/pkg");
    if !pkg.join("package.json").is_file() {
        bail!("web/pkg/package.json is missing (it is committed; restore it from git)");
    }
    // Remove what an earlier build generated, so a file the new one no longer writes
    // cannot linger in the package.
    for entry in
        std::fs::read_dir(&pkg).with_context(|| format!("cannot read {}", pkg.display()))?
    {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with(OUT_NAME) {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        } else if name == "snippets" {
            std::fs::remove_dir_all(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    let wasm_arg = wasm.to_string_lossy();
    let pkg_arg = pkg.to_string_lossy();
    process::run(
        &bin.join("wasm-bindgen").to_string_lossy(),
        &[
            "--target",
            "web",
            // Function names are for stack traces; the shipped module does without
            // them (about a quarter of its raw size).
            "--remove-name-section",
            "--out-dir",
            &pkg_arg,
            "--out-name",
            OUT_NAME,
            &wasm_arg,
        ],
    )?;
    let glue = pkg.join(format!("{OUT_NAME}.js"));
    let text = std::fs::read_to_string(&glue)
        .with_context(|| format!("cannot read {}", glue.display()))?;
    std::fs::write(&glue, format!("{TEXT_CODING_IMPORT}\n{text}"))
        .with_context(|| format!("cannot write {}", glue.display()))?;
    // The package's licence travels in the tarball (npm packs LICENSE by name).
    std::fs::copy(root().join("LICENSE"), pkg.join("LICENSE"))
        .context("cannot copy LICENSE into web/pkg")?;
    let size = std::fs::metadata(pkg.join(format!("{OUT_NAME}_bg.wasm")))
        .map(|m| m.len())
        .unwrap_or_default();
    eprintln!(
        "web/pkg built in {:.1} s ({} KiB of wasm before compression; `node web/scripts/sizes.mjs` prints it gzipped)",
        started.elapsed().as_secs_f64(),
        size / 1024
    );
    Ok(())
}

/// Tests that are not `cargo test` (headless Chromium); returns their counts.
///
/// Runs the wasm-bindgen tests (`web/tests/wasm.rs`, compiled for wasm and run under
/// Node), then `node --test` over `web/tests/*.test.mjs`: the package layout, parity of
/// the wasm `lint` with the native core on every fixture tree, and the end-to-end tests
/// of the demo in Chromium. Counts come from the runners' own summary lines.
pub fn test() -> Result<Counts> {
    let bin = ensure_wasm_bindgen()?;
    let runner = bin.join("wasm-bindgen-test-runner");
    let mut counts = stream_counts(
        Command::new(cargo())
            .args([
                "test",
                "--package",
                "catalyst-guard-web",
                "--target",
                "wasm32-unknown-unknown",
                "--test",
                "wasm",
            ])
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)
            .current_dir(root()),
    )?;

    let parity = target_dir().join("web/parity.json");
    parity::write_parity_cases(&parity)?;
    let artifacts = root().join("web/test-results");
    std::fs::create_dir_all(&artifacts)?;
    let web = root().join("web");
    let mut tests: Vec<String> = std::fs::read_dir(web.join("tests"))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".test.mjs"))
        .map(|n| format!("tests/{n}"))
        .collect();
    tests.sort();
    let apps = apps::prepare(&pack()?)?;
    let mut command = Command::new("node");
    command
        .args(["--test", "--test-reporter=tap"])
        .args(&tests)
        .env("CG_WEB_APPS", &apps)
        .env("CG_WEB_PARITY", &parity)
        .env("CG_WEB_ARTIFACTS", &artifacts)
        .current_dir(&web);
    counts += stream_counts(&mut command)?;
    eprintln!("web: screenshots in {}", artifacts.display());
    Ok(counts)
}

/// `npm pack` of `web/pkg` (built first) into `target/web/`; returns the tarball.
pub fn pack() -> Result<PathBuf> {
    let out = target_dir().join("web");
    std::fs::create_dir_all(&out)?;
    eprintln!(
        "+ npm pack --pack-destination {} (in web/pkg)",
        out.display()
    );
    let output = Command::new("npm")
        .args(["pack", "--json", "--pack-destination"])
        .arg(&out)
        .current_dir(root().join("web/pkg"))
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run `npm pack`")?;
    if !output.status.success() {
        bail!("`npm pack` in web/pkg failed ({})", output.status);
    }
    let listing: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("`npm pack --json` printed no JSON")?;
    let name = listing
        .get(0)
        .and_then(|p| p.get("filename"))
        .and_then(|f| f.as_str())
        .context("`npm pack --json` named no file")?;
    Ok(out.join(name))
}

/// `cargo xtask bench web`: the committed benchmark page (`web/bench/`) in headless
/// Chromium; prints the gzipped .wasm size and the median time to lint a
/// 200-document paste, and fails if either is over budget. Arguments go to
/// `web/scripts/bench.mjs` (`--runs N`).
pub fn bench(args: &[&str]) -> Result<()> {
    build()?;
    node("scripts/bench.mjs", args)
}

/// Runs `node <script> <args>` in `web/`.
fn node(script: &str, args: &[&str]) -> Result<()> {
    eprintln!("+ node {script} {} (in web/)", args.join(" "));
    let status = Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(root().join("web"))
        .status()
        .context("cannot run `node`")?;
    if !status.success() {
        bail!("`node {script}` failed ({status})");
    }
    Ok(())
}

/// Runs a test command, echoing its stdout, and totals its counts. A command that
/// fails without reporting a failed test (it did not build, the runner crashed) is an
/// error, not a pass.
fn stream_counts(command: &mut Command) -> Result<Counts> {
    let (counts, status) = counts::stream(command)?;
    if !status.success() && counts.failed == 0 {
        bail!("{command:?} failed ({status}) without reporting a failed test");
    }
    Ok(counts)
}
