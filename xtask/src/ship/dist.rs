//! `cargo xtask dist [--verify]`: `<target>/dist/` with every release artifact, an SBOM
//! and `SHA256SUMS` (`--verify`: then the image checks of `image --verify`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::image::build_image;
use super::layout::{MUSL, copy, musl_target_dir, version};
use super::verify::verify_image;
use crate::paths::{dist_dir, plugin_wasm, root};
use crate::process::{capture, output, run};

/// The file names `cargo xtask dist` writes, for the given version (the README's install
/// section describes each).
pub fn dist_files(v: &str) -> Vec<String> {
    vec![
        format!("catalyst-guard-{v}-x86_64-linux-musl"),
        format!("catalyst-guard-plugin-{v}.wasm"),
        format!("catalyst-guard-policy-{v}.wasm"),
        format!("openova-catalyst-guard-{v}.tgz"),
        format!("catalyst-guard-deploy-{v}.yaml"),
        format!("catalyst-guard-admission-{v}.yaml"),
        format!("catalyst-guard-{v}.oci.tar"),
        format!("catalyst-guard-{v}.cdx.json"),
        format!("bp-catalyst-guard-{v}.tgz"),
    ]
}

/// `cargo xtask dist`: every release artifact in `target/dist/`, then `SHA256SUMS`
/// over them (checked with `sha256sum --check` before it returns).
pub fn dist(args: &[&str]) -> Result<()> {
    let verify_image_too = match args {
        [] => false,
        ["--verify"] => true,
        _ => bail!("usage: cargo xtask dist [--verify]"),
    };
    let v = version();
    let dist = dist_dir();
    if dist.exists() {
        std::fs::remove_dir_all(&dist)?;
    }
    std::fs::create_dir_all(&dist)?;
    let names = dist_files(v);
    let out = |i: usize| dist.join(&names[i]);

    // The image first: it builds the musl binary and the plugin the others reuse.
    let archive = build_image()?;
    let binary = musl_target_dir().join("stage/rootfs/usr/local/bin/catalyst-guard");
    copy(&binary, &out(0), 0o755)?;
    copy(&plugin_wasm(), &out(1), 0o644)?;
    crate::policies::build()?;
    copy(&crate::policies::policy_wasm(), &out(2), 0o644)?;
    crate::web::build()?;
    let tarball = crate::web::pack()?;
    copy(&tarball, &out(3), 0o644)?;
    for (i, dir) in [(4, "deploy"), (5, "deploy/admission")] {
        std::fs::write(out(i), capture("kubectl", &["kustomize", dir])?)?;
    }
    if archive != out(6) {
        bail!(
            "the image is at {}, expected {}",
            archive.display(),
            out(6).display()
        );
    }
    sbom(&out(7))?;
    let chart = crate::chart::package(&dist)?;
    if chart != out(8) {
        bail!(
            "the chart is at {}, expected {}",
            chart.display(),
            out(8).display()
        );
    }

    let listed: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut sums = Command::new("sha256sum");
    sums.args(&listed).current_dir(&dist);
    let sums = output(&mut sums)?;
    if sums.code != Some(0) {
        bail!("sha256sum failed: {}", sums.stderr);
    }
    std::fs::write(dist.join("SHA256SUMS"), &sums.stdout)?;
    let check = output(
        Command::new("sha256sum")
            .args(["--check", "--strict", "SHA256SUMS"])
            .current_dir(&dist),
    )?;
    if check.code != Some(0) {
        bail!(
            "SHA256SUMS does not check: {}{}",
            check.stdout,
            check.stderr
        );
    }
    println!("dist: {}", dist.display());
    for name in names
        .iter()
        .chain(std::iter::once(&"SHA256SUMS".to_string()))
    {
        let len = std::fs::metadata(dist.join(name))?.len();
        println!("  {name:<44} {:>10.1} KiB", len as f64 / 1024.0);
    }
    if verify_image_too {
        let (_, failed) = verify_image(&archive)?;
        if failed > 0 {
            bail!("{failed} image checks failed");
        }
    }
    Ok(())
}

/// The CycloneDX SBOM of the shipped binary's dependency tree (host crate, normal
/// dependencies, x86_64 musl), by `cargo cyclonedx`, installed from crates.io if
/// missing.
fn sbom(out: &Path) -> Result<()> {
    const TOOL_VERSION: &str = "0.5.9";
    let installed = Command::new(env!("CARGO"))
        .args(["cyclonedx", "--version"])
        .output()
        .is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains(TOOL_VERSION)
        });
    if !installed {
        run(
            env!("CARGO"),
            &[
                "install",
                "--locked",
                "cargo-cyclonedx",
                "--version",
                TOOL_VERSION,
            ],
        )?;
    }
    let host = root().join("host");
    let written = host.join("catalyst-guard-host.cdx.json");
    let _ = std::fs::remove_file(&written);
    // `cargo cyclonedx` has no package filter: it writes an SBOM beside every workspace
    // member's Cargo.toml. Only the host's is wanted; the others are removed below so
    // they never land in the source tree (or a commit).
    let before = sbom_files()?;
    let status = Command::new(env!("CARGO"))
        .args([
            "cyclonedx",
            "--format",
            "json",
            "--spec-version",
            "1.5",
            "--target",
            MUSL,
            "--manifest-path",
        ])
        .arg(host.join("Cargo.toml"))
        .current_dir(root())
        .status()
        .context("cannot run cargo cyclonedx")?;
    if !status.success() {
        bail!("`cargo cyclonedx` failed ({status})");
    }
    for stray in sbom_files()?.difference(&before) {
        if *stray != written {
            std::fs::remove_file(stray)?;
        }
    }
    std::fs::rename(&written, out)
        .with_context(|| format!("cargo cyclonedx wrote no {}", written.display()))?;
    let bom: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out)?)?;
    let components = bom["components"].as_array().map_or(0, Vec::len);
    if bom["bomFormat"] != "CycloneDX" || components < 50 {
        bail!(
            "{} is not a CycloneDX SBOM of the binary's dependencies ({components} components)",
            out.display()
        );
    }
    Ok(())
}

/// The `*.cdx.json` files in the source tree (outside `target/`, `vendor/` and
/// `node_modules/`), where `cargo cyclonedx` writes its SBOMs.
fn sbom_files() -> Result<BTreeSet<PathBuf>> {
    fn walk(dir: &Path, out: &mut BTreeSet<PathBuf>) -> Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name();
            if entry.file_type()?.is_dir() {
                if !matches!(
                    name.to_str(),
                    Some("target" | "vendor" | "node_modules" | ".git")
                ) {
                    walk(&path, out)?;
                }
            } else if name.to_string_lossy().ends_with(".cdx.json") {
                out.insert(path);
            }
        }
        Ok(())
    }
    let mut out = BTreeSet::new();
    walk(&root(), &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ship::layout::image_archive;

    #[test]
    fn no_sbom_is_left_in_the_source_tree() {
        let found = sbom_files().expect("walks the tree");
        assert!(
            found.is_empty(),
            "`cargo cyclonedx` output left in the source tree: {found:?}"
        );
    }

    #[test]
    fn dist_names_every_artifact_with_the_version() {
        let files = dist_files("9.8.7");
        assert_eq!(files.len(), 9);
        assert!(files.iter().all(|f| f.contains("9.8.7")));
        assert!(
            image_archive()
                .to_string_lossy()
                .ends_with(&format!("catalyst-guard-{}.oci.tar", version()))
        );
    }
}
