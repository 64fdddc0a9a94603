//! `cargo xtask image [--verify]`: builds `<target>/dist/catalyst-guard-<version>.oci.tar`
//! without a Docker engine: a static musl binary, the plugin and its precompiled form,
//! `FROM scratch` with buildah, non-root 65532, OCI labels (`--verify`: then the checks
//! of `verify.rs`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use super::layout::{
    ENTRYPOINT, GROUP, IMAGE_REPO, MUSL, PASSWD, UID, copy, image_archive, musl_target_dir, version,
};
use super::verify::verify_image;
use crate::paths::{dist_dir, plugin_wasm, root};
use crate::plugin::{build_wasm, precompile};
use crate::process::run;
use crate::tools::ensure_apt;

/// `cargo xtask image [--verify]`.
pub fn image(args: &[&str]) -> Result<()> {
    let verify_too = match args {
        [] => false,
        ["--verify"] => true,
        _ => bail!("usage: cargo xtask image [--verify]"),
    };
    let started = std::time::Instant::now();
    let archive = build_image()?;
    eprintln!(
        "image: {} ({:.1} MiB) in {:.0} s",
        archive.display(),
        std::fs::metadata(&archive)?.len() as f64 / 1048576.0,
        started.elapsed().as_secs_f64()
    );
    if verify_too {
        let (_, failed) = verify_image(&archive)?;
        if failed > 0 {
            bail!("{failed} image checks failed");
        }
    }
    Ok(())
}

/// The static musl binary of the host crate.
pub fn build_musl_binary() -> Result<PathBuf> {
    run("rustup", &["target", "add", MUSL])?;
    ensure_apt("musl-gcc", "musl-tools")?;
    let target = musl_target_dir();
    eprintln!(
        "+ cargo build --release --locked --target {MUSL} -p catalyst-guard-host (CARGO_TARGET_DIR={})",
        target.display()
    );
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            MUSL,
            "-p",
            "catalyst-guard-host",
        ])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(root())
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("the musl build of catalyst-guard failed ({status})");
    }
    Ok(target.join(MUSL).join("release/catalyst-guard"))
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(root())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Lays out the image's root file system in `rootfs` (the paths of [`LAYOUT`]).
fn stage(rootfs: &Path, binary: &Path, plugin: &Path, precompiled: &Path) -> Result<()> {
    let _ = std::fs::remove_dir_all(rootfs);
    let at = |p: &str| rootfs.join(p.trim_start_matches('/'));
    let bin = at("/usr/local/bin/catalyst-guard");
    copy(binary, &bin, 0o755)?;
    // The release profile keeps line tables (for the benchmarks' profiles); the
    // shipped binary does not need them: 117 MiB -> about a tenth.
    run("strip", &[&bin.to_string_lossy()])?;
    copy(
        plugin,
        &at("/usr/local/lib/catalyst-guard/catalyst-guard.wasm"),
        0o644,
    )?;
    let name = precompiled.file_name().context("precompiled file name")?;
    copy(
        precompiled,
        &at("/usr/local/lib/catalyst-guard/precompiled/").join(name),
        0o644,
    )?;
    std::fs::create_dir_all(at("/etc"))?;
    std::fs::write(at("/etc/passwd"), PASSWD)?;
    std::fs::write(at("/etc/group"), GROUP)?;
    let certs = Path::new("/etc/ssl/certs/ca-certificates.crt");
    if !certs.is_file() {
        ensure_apt("update-ca-certificates", "ca-certificates")?;
    }
    copy(certs, &at("/etc/ssl/certs/ca-certificates.crt"), 0o644)?;
    copy(
        &root().join("LICENSE"),
        &at("/usr/share/doc/catalyst-guard/LICENSE"),
        0o644,
    )?;
    Ok(())
}

/// Runs buildah with the vfs driver (no overlay or fuse needed) and returns stdout.
fn buildah(args: &[&str]) -> Result<String> {
    eprintln!("+ buildah {}", args.join(" "));
    let out = Command::new("buildah")
        .arg("--storage-driver")
        .arg("vfs")
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run buildah")?;
    if !out.status.success() {
        bail!("`buildah {}` failed ({})", args.join(" "), out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Builds the OCI archive; returns its path.
pub fn build_image() -> Result<PathBuf> {
    ensure_apt("buildah", "buildah")?;
    let binary = build_musl_binary()?;
    build_wasm(&[])?;
    let plugin = plugin_wasm();
    let work = musl_target_dir().join("stage");
    std::fs::create_dir_all(&work)?;
    let precompiled = precompile(&binary, &plugin, &work)?;
    let rootfs = work.join("rootfs");
    stage(&rootfs, &binary, &plugin, &precompiled)?;

    let revision = git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
    let revision = if dirty {
        format!("{revision}-dirty")
    } else {
        revision
    };
    // The commit's time, so rebuilding one commit gives the same timestamps.
    let epoch = git(&["log", "-1", "--format=%ct"]).unwrap_or_else(|| "0".into());
    let archive = image_archive();
    std::fs::create_dir_all(dist_dir())?;
    let _ = std::fs::remove_file(&archive);

    let ctr = buildah(&["from", "scratch"])?;
    let result = (|| -> Result<()> {
        buildah(&["copy", &ctr, &rootfs.to_string_lossy(), "/"])?;
        let labels = [
            "org.opencontainers.image.source=https://github.com/openova/catalyst-guard".to_string(),
            format!("org.opencontainers.image.version={}", version()),
            format!("org.opencontainers.image.revision={revision}"),
            "org.opencontainers.image.title=catalyst-guard".to_string(),
            "org.opencontainers.image.licenses=Apache-2.0".to_string(),
        ];
        let mut config: Vec<String> = vec![
            "config".into(),
            "--user".into(),
            format!("{UID}:{UID}"),
            "--entrypoint".into(),
            format!("[\"{ENTRYPOINT}\"]"),
            "--cmd".into(),
            "[\"--help\"]".into(),
            "--workingdir".into(),
            "/".into(),
            "--env".into(),
            "HOME=/home/nonroot".into(),
        ];
        for l in &labels {
            config.push("--label".into());
            config.push(l.clone());
        }
        config.push(ctr.clone());
        buildah(&config.iter().map(String::as_str).collect::<Vec<_>>())?;
        let dest = format!(
            "oci-archive:{}:{IMAGE_REPO}:{}",
            archive.display(),
            version()
        );
        buildah(&[
            "commit",
            "--quiet",
            "--format",
            "oci",
            "--timestamp",
            &epoch,
            &ctr,
            &dest,
        ])?;
        Ok(())
    })();
    let _ = buildah(&["rm", &ctr]);
    result?;
    Ok(archive)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ship::layout::LAYOUT;

    /// The final stage of the Dockerfile: its instructions, continuation lines joined.
    fn final_stage() -> Vec<(String, String)> {
        let text = std::fs::read_to_string(root().join("Dockerfile")).expect("Dockerfile");
        let mut logical = Vec::new();
        let mut current = String::new();
        for line in text.lines() {
            let trimmed = line.trim();
            if current.is_empty() && (trimmed.starts_with('#') || trimmed.is_empty()) {
                continue;
            }
            match trimmed.strip_suffix('\\') {
                Some(part) => {
                    current.push_str(part);
                    current.push(' ');
                }
                None => {
                    current.push_str(trimmed);
                    logical.push(std::mem::take(&mut current));
                }
            }
        }
        let last_from = logical
            .iter()
            .rposition(|l| l.starts_with("FROM "))
            .expect("a FROM");
        logical[last_from..]
            .iter()
            .map(|l| {
                let (op, rest) = l.split_once(' ').unwrap_or((l, ""));
                (op.to_string(), rest.trim().to_string())
            })
            .collect()
    }

    #[test]
    fn the_dockerfile_produces_the_layout_of_the_buildah_image() {
        let stage = final_stage();
        assert_eq!(stage[0], ("FROM".to_string(), "scratch".to_string()));
        let mut copied: Vec<String> = stage
            .iter()
            .filter(|(op, _)| op == "COPY")
            .map(|(_, args)| args.split_whitespace().last().expect("dest").to_string())
            .collect();
        copied.sort();
        let mut layout: Vec<String> = LAYOUT.iter().map(|(p, _)| p.to_string()).collect();
        layout.sort();
        assert_eq!(copied, layout);
        let get = |op: &str| {
            stage
                .iter()
                .find(|(o, _)| o == op)
                .map(|(_, a)| a.clone())
                .unwrap_or_default()
        };
        assert_eq!(get("USER"), format!("{UID}:{UID}"));
        assert_eq!(get("ENTRYPOINT"), format!("[\"{ENTRYPOINT}\"]"));
        let labels = get("LABEL");
        for key in ["source", "version", "revision"] {
            assert!(
                labels.contains(&format!("org.opencontainers.image.{key}=")),
                "LABEL {key}: {labels}"
            );
        }
    }

    #[test]
    fn the_dockerfile_precompiles_the_plugin_with_the_shipped_binary_into_precompiled() {
        let text = std::fs::read_to_string(root().join("Dockerfile")).expect("Dockerfile");
        assert!(text.contains(
            "CATALYST_GUARD_CACHE_DIR=/precompiled /catalyst-guard lint --engine plugin --plugin /catalyst-guard.wasm"
        ));
        assert!(text.contains(
            "COPY --from=build /precompiled/ /usr/local/lib/catalyst-guard/precompiled/"
        ));
    }

    #[test]
    fn the_cronjob_runs_the_image_this_build_tags() {
        let base = std::fs::read_to_string(root().join("deploy/catalyst-guard.yaml"))
            .expect("the kustomize base");
        let image = base
            .lines()
            .find_map(|l| l.trim().strip_prefix("image: "))
            .expect("an image line")
            .trim_matches('"');
        assert_eq!(image, format!("{IMAGE_REPO}:{}", version()));
    }
}
