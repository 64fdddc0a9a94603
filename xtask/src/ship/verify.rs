//! `cargo xtask image --verify` (and `dist --verify`): unpacks the image with umoci and
//! runs its entrypoint in a read-only root as uid 65532 with no network (`unshare` +
//! `chroot`): `lint` on examples/sovereign and `recover --snapshot` on every fixture
//! snapshot must print exactly what the host build prints.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::layout::{ENTRYPOINT, IMAGE_REPO, LAYOUT, UID, musl_target_dir, version};
use crate::paths::{host_binary, root};
use crate::process::{Output, output, run};
use crate::tools::ensure_apt;

/// Unpacks `archive` with umoci and runs its entrypoint read-only, as uid 65532, with
/// no network; compares with the host build on the same inputs. Returns (passed,
/// failed) cases; an image that cannot be unpacked or run at all is an error.
pub fn verify_image(archive: &Path) -> Result<(u64, u64)> {
    ensure_apt("umoci", "umoci")?;
    ensure_apt("unshare", "util-linux")?;
    let work = musl_target_dir().join("verify");
    let _ = std::fs::remove_dir_all(&work);
    let layout = work.join("layout");
    std::fs::create_dir_all(&layout)?;
    run(
        "tar",
        &[
            "-xf",
            &archive.to_string_lossy(),
            "-C",
            &layout.to_string_lossy(),
        ],
    )?;
    let bundle = work.join("bundle");
    run(
        "umoci",
        &[
            "unpack",
            "--image",
            // buildah records the full reference as the layout's ref.name.
            &format!("{}:{IMAGE_REPO}:{}", layout.display(), version()),
            &bundle.to_string_lossy(),
        ],
    )?;
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("config.json"))?)?;
    let process = &config["process"];
    if process["user"]["uid"] != UID || process["user"]["gid"] != UID {
        bail!("the image runs as {}, not {UID}:{UID}", process["user"]);
    }
    let args: Vec<String> = process["args"]
        .as_array()
        .context("config.json has no process.args")?
        .iter()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect();
    if args.first().map(String::as_str) != Some(ENTRYPOINT) {
        bail!("the entrypoint is {args:?}, not {ENTRYPOINT}");
    }
    // process.args is the entrypoint and then the default command (`--help`).
    let args = &args[..1];
    let rootfs = bundle.join("rootfs");
    for (path, _) in LAYOUT {
        if !rootfs.join(path.trim_start_matches('/')).exists() {
            bail!("the image has no {path}");
        }
    }
    check_labels(&layout)?;

    // The inputs, placed in the root before it is made read-only.
    let inputs = rootfs.join("work");
    let sovereign = inputs.join("sovereign");
    copy_tree(&root().join("examples/sovereign"), &sovereign)?;
    let snapshots = inputs.join("recovery");
    copy_tree(&root().join("tests/fixtures/recovery"), &snapshots)?;

    // The host side: the workspace's own build, plugin next to it.
    run(
        env!("CARGO"),
        &["build", "--quiet", "-p", "catalyst-guard-host"],
    )?;
    let host_bin = host_binary("debug");
    let now = "2026-06-01T12:00:00Z";

    let mut cases: Vec<(String, Vec<String>)> = vec![
        (
            "lint examples/sovereign (text)".into(),
            vec![
                "lint".into(),
                "{WORK}/sovereign".into(),
                "--color".into(),
                "never".into(),
            ],
        ),
        (
            "lint examples/sovereign (json)".into(),
            vec![
                "lint".into(),
                "{WORK}/sovereign".into(),
                "--format".into(),
                "json".into(),
            ],
        ),
    ];
    let mut snapshot_files: Vec<String> = std::fs::read_dir(&snapshots)?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    snapshot_files.sort();
    if snapshot_files.is_empty() {
        bail!("tests/fixtures/recovery has no snapshot");
    }
    for name in &snapshot_files {
        cases.push((
            format!("recover --snapshot {name} --dry-run"),
            vec![
                "recover".into(),
                "--dry-run".into(),
                "--snapshot".into(),
                format!("{{WORK}}/recovery/{name}"),
                "--now".into(),
                now.into(),
            ],
        ));
    }

    let mut failures = Vec::new();
    // The same inputs are at `<rootfs>/work` for the host and `/work` in the image;
    // the host's output names them with its own prefix, mapped back before comparing.
    let host_work = inputs.to_string_lossy().into_owned();
    for (what, case_args) in &cases {
        for engine in ["plugin", "native"] {
            let with = |work: &str| -> Vec<String> {
                case_args
                    .iter()
                    .map(|a| a.replace("{WORK}", work))
                    .chain(["--engine".to_string(), engine.to_string()])
                    .collect()
            };
            let mut host = output(
                Command::new(&host_bin)
                    .args(with(&host_work))
                    .env("CATALYST_GUARD_CACHE_DIR", work.join("host-cache")),
            )?;
            host.stdout = host.stdout.replace(&host_work, "/work");
            let image = run_in_image(&rootfs, args, &with("/work"))?;
            let image_stderr_ok = !image.stderr.contains("cannot cache the compiled plugin");
            if host.code != image.code || host.stdout != image.stdout || !image_stderr_ok {
                failures.push(format!(
                    "{what} --engine {engine}: host exit {:?}, image exit {:?}\n--- host stdout\n{}\n--- image stdout\n{}\n--- image stderr\n{}",
                    host.code, image.code, host.stdout, image.stdout, image.stderr
                ));
            } else {
                println!(
                    "image: {what} --engine {engine}: same output as the host (exit {:?}, {} bytes)",
                    image.code,
                    image.stdout.len()
                );
            }
        }
    }
    let total = cases.len() as u64 * 2;
    let failed = failures.len() as u64;
    for f in &failures {
        println!("image: DIFFERS FROM THE HOST: {f}");
    }
    println!(
        "image: {} of {total} cases the same in the image (read-only root, uid {UID}, no network) as on the host",
        total - failed
    );
    Ok((total - failed, failed))
}

/// Runs the image's entrypoint in `rootfs`: new mount, PID and network namespaces (no
/// interface but a down loopback), the root bind-mounted read-only, then `chroot` as
/// 65532:65532 with only the image's environment.
fn run_in_image(rootfs: &Path, entry: &[String], args: &[String]) -> Result<Output> {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let command: Vec<String> = entry.iter().chain(args).map(|a| quote(a)).collect();
    let root = quote(&rootfs.to_string_lossy());
    let script = format!(
        "set -e; mount --bind {root} {root}; mount -o remount,bind,ro {root}; \
         exec env -i HOME=/home/nonroot /usr/sbin/chroot --userspec={UID}:{UID} {root} {}",
        command.join(" ")
    );
    output(
        Command::new("unshare").args(["--mount", "--net", "--pid", "--fork", "sh", "-c", &script]),
    )
}

/// The OCI labels the build promises, read from the image config in the layout.
fn check_labels(layout: &Path) -> Result<()> {
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(layout.join("index.json"))?)?;
    let blob = |digest: &str| -> Result<serde_json::Value> {
        let hex = digest.strip_prefix("sha256:").context("sha256 digest")?;
        Ok(serde_json::from_str(&std::fs::read_to_string(
            layout.join("blobs/sha256").join(hex),
        )?)?)
    };
    let manifest = blob(
        index["manifests"][0]["digest"]
            .as_str()
            .context("index.json has no manifest")?,
    )?;
    let config = blob(
        manifest["config"]["digest"]
            .as_str()
            .context("manifest has no config")?,
    )?;
    let labels = &config["config"]["Labels"];
    for key in [
        "org.opencontainers.image.source",
        "org.opencontainers.image.version",
        "org.opencontainers.image.revision",
    ] {
        if labels[key].as_str().is_none_or(str::is_empty) {
            bail!("the image has no label {key}: {labels}");
        }
    }
    if labels["org.opencontainers.image.version"] != version() {
        bail!(
            "label version is {}, not {}",
            labels["org.opencontainers.image.version"],
            version()
        );
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        let dest = to.join(path.file_name().context("file name")?);
        if path.is_dir() {
            copy_tree(&path, &dest)?;
        } else {
            std::fs::copy(&path, &dest)?;
        }
    }
    Ok(())
}
