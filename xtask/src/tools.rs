//! Installing what the chores need on a fresh Debian machine (CI runs on a clean
//! checkout): Debian packages, rustup targets, pinned tools from PyPI. Each `ensure_*`
//! is idempotent and cheap when the tool is already there.

use std::process::{Command, Stdio};

use anyhow::{Result, bail};

use crate::process::run;

/// `apt-get install -y <package>`, retried once after `apt-get update` (a fresh
/// machine may have no package lists yet). `true` if it installed.
pub fn apt_install(package: &str) -> bool {
    let apt = |args: &[&str]| {
        eprintln!("+ apt-get {}", args.join(" "));
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    apt(&["install", "-y", "-qq", package])
        || (apt(&["update", "-qq"]) && apt(&["install", "-y", "-qq", package]))
}

/// Installs a Debian package if `probe` is not on PATH.
pub fn ensure_apt(probe: &str, package: &str) -> Result<()> {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {probe}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Ok(());
    }
    eprintln!("{probe} not found; installing Debian's {package}");
    if apt_install(package) {
        Ok(())
    } else {
        bail!("`apt-get install -y {package}` failed (it provides `{probe}`)")
    }
}

/// The WebAssembly targets the plugin, policy and browser builds need.
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
pub fn ensure_kubectl() -> Result<()> {
    let works = || {
        Command::new("kubectl")
            .args(["version", "--client"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if works() {
        return Ok(());
    }
    eprintln!("kubectl not found; trying Debian's kubectl");
    apt_install("kubectl");
    if works() {
        Ok(())
    } else {
        bail!("kubectl is required to render deploy/ (install it, then rerun)")
    }
}

/// What the CI-integration tests (host/tests/ci_integration.rs) need beyond cargo:
/// `kubernetes-validate` from PyPI, the pinned version.
pub fn ensure_test_tools() -> Result<()> {
    const VALIDATOR: &str = "kubernetes-validate==1.37.0";
    let installed = Command::new("kubernetes-validate")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("1.37.0"));
    if installed {
        return Ok(());
    }
    run(
        "python3",
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            VALIDATOR,
        ],
    )
}
