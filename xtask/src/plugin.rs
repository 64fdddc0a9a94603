//! The WebAssembly component plugin: build and benchmark.
//!
//! `build-wasm` builds `plugin/` for `wasm32-wasip2` with the size-optimised
//! `plugin-release` profile and installs it as `<target>/plugin/catalyst-guard.wasm` and
//! next to the debug and release binaries (where the host looks by default), plus the
//! two hostile components the safety tests need.

use std::path::PathBuf;

use anyhow::{Context, Result};

/// The cargo target directory (honours `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                crate::root().join(p)
            }
        })
        .unwrap_or_else(|| crate::root().join("target"))
}

/// Where the plugin artifacts are installed.
pub fn plugin_dir() -> PathBuf {
    target_dir().join("plugin")
}

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
    crate::run(env!("CARGO"), &args)?;
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
    crate::ensure_wasm_targets()?;
    let plugin = build_component("catalyst-guard-plugin", &[])?;
    install(&plugin, plugin_dir().join("catalyst-guard.wasm"))?;
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
    let size = std::fs::metadata(plugin_dir().join("catalyst-guard.wasm"))?.len();
    eprintln!(
        "plugin: {} ({size} bytes)",
        plugin_dir().join("catalyst-guard.wasm").display()
    );
    Ok(())
}

/// `cargo xtask bench plugin`: builds the plugin, generates a 10,000-HelmRelease
/// snapshot and the 3,000-blueprint lint corpus, and runs the host's `bench_plugin`
/// example (release build) on them. The example holds the wasmtime code, so this
/// crate stays small.
pub fn bench(args: &[&str]) -> Result<()> {
    if let Some(a) = args.first() {
        anyhow::bail!("unknown option `{a}`");
    }
    build_wasm(&[])?;
    let snapshot = target_dir().join("bench/snapshot-10000.json");
    if let Some(dir) = snapshot.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::bench_recover::write_snapshot(&snapshot, 10_000)?;
    let corpus = crate::bench::corpus_dir(3000)?;
    let plugin = plugin_dir().join("catalyst-guard.wasm");
    let (plugin, snapshot, corpus) = (
        plugin.to_string_lossy(),
        snapshot.to_string_lossy(),
        corpus.to_string_lossy(),
    );
    crate::run(
        env!("CARGO"),
        &[
            "run",
            "--quiet",
            "--release",
            "-p",
            "catalyst-guard-host",
            "--example",
            "bench_plugin",
            "--",
            &plugin,
            &snapshot,
            &corpus,
        ],
    )
}
