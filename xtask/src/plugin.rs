//! The WebAssembly component plugin: build it, and compile it ahead of time.
//!
//! `build-wasm` builds `plugin/` for `wasm32-wasip2` with the size-optimised
//! `plugin-release` profile and installs it as `<target>/plugin/catalyst-guard.wasm` and
//! next to the debug and release binaries (where the host looks by default), plus the
//! two hostile components the safety tests need.
//!
//! `precompile` compiles the built plugin ahead of time with a given host binary, as
//! the image ships it (`cargo xtask image`, `cargo xtask bench recover`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::paths::{plugin_dir, plugin_wasm, target_dir};
use crate::process::run;
use crate::tools::ensure_wasm_targets;

/// Rust flags of the plugin build: wasm SIMD (on in wasmtime by default) gives
/// `memchr` and the text scan's prefilter their vector loops back.
const RUSTFLAGS: &str = r#"target.wasm32-wasip2.rustflags=["-C", "target-feature=+simd128"]"#;

fn build_component(package: &str, features: &[&str]) -> Result<PathBuf> {
    let mut args = vec![
        "build",
        "--quiet",
        "--config",
        RUSTFLAGS,
        "--profile",
        "plugin-release",
        "--target",
        "wasm32-wasip2",
        "-p",
        package,
    ];
    if !features.is_empty() {
        args.push("--features");
        args.extend_from_slice(features);
    }
    run(env!("CARGO"), &args)?;
    let file = format!("{}.wasm", package.replace('-', "_"));
    Ok(target_dir().join("wasm32-wasip2/plugin-release").join(file))
}

fn install(from: &PathBuf, to: PathBuf) -> Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::copy(from, &to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

/// `cargo xtask build-wasm`: builds the plugin component (and the hostile test ones).
pub fn build_wasm(_args: &[&str]) -> Result<()> {
    ensure_wasm_targets()?;
    let plugin = build_component("catalyst-guard-plugin", &[])?;
    install(&plugin, plugin_wasm())?;
    for profile in ["debug", "release"] {
        install(
            &plugin,
            target_dir().join(profile).join("catalyst-guard.wasm"),
        )?;
    }
    for feature in ["loop", "memory", "lie"] {
        let hostile = build_component("catalyst-guard-hostile", &[feature])?;
        install(
            &hostile,
            plugin_dir().join(format!("hostile-{feature}.wasm")),
        )?;
    }
    let size = std::fs::metadata(plugin_wasm())?.len();
    eprintln!("plugin: {} ({size} bytes)", plugin_wasm().display());
    Ok(())
}

/// Compiles `plugin` with `binary` itself, so the artifact comes from exactly the
/// engine configuration the shipped host uses; returns the cache file it wrote
/// (named by plugin hash, wasmtime version and engine hash).
pub fn precompile(binary: &Path, plugin: &Path, scratch: &Path) -> Result<PathBuf> {
    let cache = scratch.join("cache");
    let empty = scratch.join("empty");
    for d in [&cache, &empty] {
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d)?;
    }
    let out = Command::new(binary)
        .args(["lint", "--engine", "plugin", "--plugin"])
        .arg(plugin)
        .arg(&empty)
        .env("CATALYST_GUARD_CACHE_DIR", &cache)
        .output()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    if !out.status.success() {
        bail!(
            "precompiling the plugin failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&cache)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    match (files.pop(), files.is_empty()) {
        (Some(f), true) => Ok(f),
        _ => bail!("expected one .cwasm in {}", cache.display()),
    }
}
