//! Browser package chores: build the wasm-bindgen package in `web/pkg`, run its tests,
//! benchmark it in Chromium.
//!
//! - `cargo xtask web build`: installs what is missing (the wasm target, the
//!   `wasm-bindgen-cli` matching Cargo.lock, Debian's Chromium, the npm packages in
//!   `web/`), builds the crate for `wasm32-unknown-unknown` and generates `web/pkg`.
//! - `cargo xtask web test`: build, then the wasm-bindgen tests under Node, the
//!   native/wasm parity tests and the end-to-end tests in headless Chromium.
//! - `cargo xtask web serve [--port N]`: build, then serve the demo on 127.0.0.1.
//! - `cargo xtask bench web`: the benchmark page in the same Chromium (size and speed
//!   budgets).
//!
//! Only `package.json` in `web/pkg` is committed: the JS glue, `.d.ts` and `.wasm` are
//! generated from the crate and would go stale the moment the core changed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use catalyst_guard::lint::{Config, SourceFile, lint, render};

use crate::counts::{self, Counts};
use crate::fixtures::text_files;
use crate::paths::{relative, root, target_dir};
use crate::process::{self, cargo};
use crate::tools::apt_install;

/// The file stem wasm-bindgen writes (`catalyst_guard_web.js`, `..._bg.wasm`).
const OUT_NAME: &str = "catalyst_guard_web";
/// Debian's Chromium; the scripts in `web/scripts` use the same path.
const CHROMIUM: &str = "/usr/bin/chromium";

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
        _ => bail!("usage: cargo xtask web build | test | serve [--port N]"),
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
            "--out-dir",
            &pkg_arg,
            "--out-name",
            OUT_NAME,
            &wasm_arg,
        ],
    )?;
    // The package's licence travels in the tarball (npm packs LICENSE by name).
    std::fs::copy(root().join("LICENSE"), pkg.join("LICENSE"))
        .context("cannot copy LICENSE into web/pkg")?;
    let size = std::fs::metadata(pkg.join(format!("{OUT_NAME}_bg.wasm")))
        .map(|m| m.len())
        .unwrap_or_default();
    eprintln!(
        "web/pkg built in {:.1} s ({} KiB of wasm before compression; `cargo xtask bench web` measures it gzipped)",
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
    write_parity_cases(&parity)?;
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
    let apps = prepare_apps(&pack()?)?;
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

/// The scratch apps the browser-package tests install the tarball into, as a user
/// would: the oldest Vite major still maintained (6: security fixes, its latest
/// minor), the newest (8, with vitest and jsdom for the app's own unit tests).
/// (name, npm dependencies, whether the app carries the README's `optimizeDeps` line).
const APPS: &[(&str, &[&str], bool)] = &[
    ("vite6", &["vite@^6.4.0"], true),
    (
        "vite8",
        &["vite@^8.0.0", "vitest@^4.1.0", "jsdom@^27.3.0"],
        false,
    ),
];

/// Writes the scratch apps under `target/web/apps/` from `web/tests/vite-app/` and
/// installs their dependencies and `tarball` from npm; returns the apps' directory.
fn prepare_apps(tarball: &Path) -> Result<PathBuf> {
    let template = root().join("web/tests/vite-app");
    let apps = target_dir().join("web/apps");
    for (name, deps, with_config) in APPS {
        let dir = apps.join(name);
        for sub in ["src", "test"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        for file in [
            "index.html",
            "src/main.js",
            "src/example.js",
            "test/lint.test.js",
        ] {
            std::fs::copy(template.join(file), dir.join(file))
                .with_context(|| format!("cannot copy web/tests/vite-app/{file}"))?;
        }
        let config = dir.join("vite.config.js");
        if *with_config {
            std::fs::copy(template.join("vite.config.js"), &config)?;
        } else if config.exists() {
            std::fs::remove_file(&config)?;
        }
        let manifest = serde_json::json!({
            "name": format!("catalyst-guard-scratch-{name}"),
            "private": true,
            "type": "module",
        });
        std::fs::write(dir.join("package.json"), format!("{manifest:#}\n"))?;
        // A rebuilt tarball has a new integrity hash: forget the old install of it.
        let _ = std::fs::remove_file(dir.join("package-lock.json"));
        let _ = std::fs::remove_dir_all(dir.join("node_modules/@openova"));
        let mut args = vec!["install", "--no-audit", "--no-fund", "--save"];
        args.extend_from_slice(deps);
        let tarball = tarball.to_string_lossy();
        args.push(&tarball);
        eprintln!("+ npm {} (in {})", args.join(" "), dir.display());
        let status = Command::new("npm")
            .args(&args)
            .current_dir(&dir)
            .status()
            .context("cannot run `npm`")?;
        if !status.success() {
            bail!("`npm install` in {} failed ({status})", dir.display());
        }
    }
    Ok(apps)
}

/// `cargo xtask bench web`: the committed benchmark page (`web/bench/`) in headless
/// Chromium; prints the gzipped .wasm size and the median time to lint a
/// 200-document paste, and fails if either is over budget. Arguments go to
/// `web/scripts/bench.mjs` (`--runs N`).
pub fn bench(args: &[&str]) -> Result<()> {
    build()?;
    node("scripts/bench.mjs", args)
}

fn cargo_bin_dir() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly, or the glue
/// it generates does not fit the module.
fn locked_wasm_bindgen_version() -> Result<String> {
    let lock =
        std::fs::read_to_string(root().join("Cargo.lock")).context("cannot read Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            let version = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'));
            if let Some(v) = version {
                return Ok(v.to_string());
            }
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package (is catalyst-guard-web in the workspace?)")
}

/// The directory holding `wasm-bindgen` and `wasm-bindgen-test-runner` of the locked
/// version, installing them from crates.io if needed.
fn ensure_wasm_bindgen() -> Result<PathBuf> {
    let version = locked_wasm_bindgen_version()?;
    let bin = cargo_bin_dir();
    let installed = Command::new(bin.join("wasm-bindgen"))
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let wanted = format!("wasm-bindgen {version}");
    if installed.as_deref() == Some(wanted.as_str()) {
        return Ok(bin);
    }
    eprintln!(
        "web: need {wanted}, found {}; installing wasm-bindgen-cli from crates.io (a few minutes)",
        installed.as_deref().unwrap_or("none")
    );
    // Not `--locked`: the CLI's own lockfile pins crates this machine's crates.io
    // mirror may not have; the resolver picks compatible ones.
    process::run(
        &cargo(),
        &[
            "install",
            "wasm-bindgen-cli",
            "--version",
            &format!("={version}"),
        ],
    )?;
    Ok(bin)
}

fn ensure_chromium() -> Result<()> {
    if let Some(custom) = std::env::var_os("CHROMIUM_PATH") {
        if Path::new(&custom).is_file() {
            return Ok(());
        }
        bail!("CHROMIUM_PATH={} does not exist", custom.to_string_lossy());
    }
    if Path::new(CHROMIUM).is_file() {
        return Ok(());
    }
    eprintln!("web: {CHROMIUM} not found; installing Debian's chromium");
    if !apt_install("chromium") {
        bail!("`apt-get install -y chromium` failed");
    }
    if !Path::new(CHROMIUM).is_file() {
        bail!("`apt-get install chromium` did not provide {CHROMIUM}");
    }
    Ok(())
}

/// `npm ci` in `web/` when `node_modules` is missing or older than the lockfile.
fn ensure_node_modules() -> Result<()> {
    let web = root().join("web");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let lock = modified(&web.join("package-lock.json"));
    let installed = modified(&web.join("node_modules/.package-lock.json"));
    let fresh = matches!((lock, installed), (Some(l), Some(i)) if i >= l)
        && web
            .join("node_modules/playwright-core/package.json")
            .is_file();
    if fresh {
        return Ok(());
    }
    eprintln!("+ npm ci (in web/)");
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&web)
        .status()
        .context("cannot run `npm` (Node.js 20 and npm are required for the browser tests)")?;
    if !status.success() {
        bail!("`npm ci` in web/ failed ({status})");
    }
    Ok(())
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

/// Writes the native side of the parity tests: for every fixture tree, its files, its
/// configuration and the report the native core renders (`lint --format json`). The
/// node test lints the same files with the wasm package and must get the same document.
fn write_parity_cases(out: &Path) -> Result<()> {
    let root = root();
    let mut trees = vec![
        (
            "examples/sovereign".to_string(),
            root.join("examples/sovereign"),
        ),
        (
            "tests/fixtures/sovereign".to_string(),
            root.join("tests/fixtures/sovereign"),
        ),
    ];
    let rules = root.join("tests/fixtures/rules");
    let mut rule_dirs: Vec<PathBuf> = std::fs::read_dir(&rules)
        .with_context(|| format!("cannot read {}", rules.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    rule_dirs.sort();
    for dir in rule_dirs {
        for side in ["fire", "pass"] {
            let tree = dir.join(side);
            if tree.is_dir() {
                trees.push((relative(&root, &tree), tree));
            }
        }
    }
    let mut cases = Vec::new();
    for (name, tree) in trees {
        let mut found = Vec::new();
        text_files(&tree, &tree, &mut found)?;
        let mut files: Vec<SourceFile> = found
            .into_iter()
            .map(|(path, text)| SourceFile::new(path, text))
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let config_text = files
            .iter()
            .position(|f| f.path == ".catalyst-guard.yaml")
            .map(|i| files.remove(i).text);
        let expected = match Config::parse(config_text.as_deref().unwrap_or_default()) {
            Ok(config) => {
                let json = render::json(&lint(&files, None, &config), "");
                serde_json::json!({ "report": serde_json::from_str::<serde_json::Value>(&json)? })
            }
            Err(e) => serde_json::json!({ "configError": e.to_string() }),
        };
        cases.push(serde_json::json!({
            "name": name,
            "config": config_text,
            "files": files.iter().map(|f| serde_json::json!({ "path": f.path, "text": f.text })).collect::<Vec<_>>(),
            "expected": expected,
        }));
    }
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(out, serde_json::to_string(&cases)?)
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}
