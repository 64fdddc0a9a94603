//! What the browser package's build and tests need on a fresh machine: the
//! `wasm-bindgen` CLI of the locked version, Debian's Chromium, the npm packages of
//! `web/package-lock.json`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::paths::root;
use crate::process::{self, cargo};
use crate::tools::apt_install;

/// Debian's Chromium; the scripts in `web/scripts` use the same path.
const CHROMIUM: &str = "/usr/bin/chromium";

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
pub fn ensure_wasm_bindgen() -> Result<PathBuf> {
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

pub fn ensure_chromium() -> Result<()> {
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
pub fn ensure_node_modules() -> Result<()> {
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
