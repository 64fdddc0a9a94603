//! Shipping: the container image and the release artifacts.
//!
//! - `cargo xtask image [--verify]`: builds `target/dist/catalyst-guard-<version>.oci.tar`
//!   without a Docker engine: a static musl binary, the plugin and its precompiled form,
//!   `FROM scratch` with buildah, non-root 65532, OCI labels. `--verify` then unpacks it
//!   with umoci and runs its entrypoint in a read-only root as uid 65532 with no network
//!   (`unshare` + `chroot`): `lint` on examples/sovereign and `recover --snapshot` on
//!   every fixture snapshot must print exactly what the host build prints.
//! - `cargo xtask dist [--verify]`: `target/dist/` with every release artifact, an SBOM
//!   and `SHA256SUMS` (`--verify`: then the image checks of `image --verify`).
//! - `ensure_test_tools`: what the CI-integration tests need (`kubernetes-validate`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// The image's name; the tag is the crate version (see the README's install section).
pub const IMAGE_REPO: &str = "ghcr.io/openova/catalyst-guard";
/// The user the image runs as (distroless's `nonroot`).
pub const UID: u32 = 65532;
/// Every file the image holds, as (path in the image, mode). The Dockerfile must
/// produce the same paths (a test parses it).
pub const LAYOUT: &[(&str, u32)] = &[
    ("/usr/local/bin/catalyst-guard", 0o755),
    ("/usr/local/lib/catalyst-guard/catalyst-guard.wasm", 0o644),
    ("/usr/local/lib/catalyst-guard/precompiled/", 0o755),
    ("/etc/passwd", 0o644),
    ("/etc/group", 0o644),
    ("/etc/ssl/certs/ca-certificates.crt", 0o644),
    ("/usr/share/doc/catalyst-guard/LICENSE", 0o644),
];
/// The entrypoint, as in the Dockerfile.
pub const ENTRYPOINT: &str = "/usr/local/bin/catalyst-guard";
/// The musl target of the static binary.
const MUSL: &str = "x86_64-unknown-linux-musl";
/// `/etc/passwd` and `/etc/group` of the image: root and the non-root user.
const PASSWD: &str = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n";
const GROUP: &str = "root:x:0:\nnonroot:x:65532:\n";

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// `target/dist/`.
pub fn dist_dir() -> PathBuf {
    crate::plugin::target_dir().join("dist")
}

/// The OCI archive `cargo xtask image` writes.
pub fn image_archive() -> PathBuf {
    dist_dir().join(format!("catalyst-guard-{}.oci.tar", version()))
}

/// Where the musl build goes: its own target directory, so it never evicts the host
/// build's artifacts (and vice versa).
fn musl_target_dir() -> PathBuf {
    crate::plugin::target_dir().join("image")
}

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

/// Installs a Debian package if `probe` is not on PATH.
fn ensure_apt(probe: &str, package: &str) -> Result<()> {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {probe}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Ok(());
    }
    eprintln!("{probe} not found; installing Debian's {package}");
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if apt(&["install", "-y", "-qq", package])
        || (apt(&["update", "-qq"]) && apt(&["install", "-y", "-qq", package]))
    {
        Ok(())
    } else {
        bail!("`apt-get install -y {package}` failed (it provides `{probe}`)")
    }
}

/// The static musl binary of the host crate.
pub fn build_musl_binary() -> Result<PathBuf> {
    crate::run("rustup", &["target", "add", MUSL])?;
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
        .current_dir(crate::root())
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("the musl build of catalyst-guard failed ({status})");
    }
    Ok(target.join(MUSL).join("release/catalyst-guard"))
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
        .context("cannot run the musl binary")?;
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

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(crate::root())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn copy(from: &Path, to: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

/// Lays out the image's root file system in `rootfs` (the paths of [`LAYOUT`]).
fn stage(rootfs: &Path, binary: &Path, plugin: &Path, precompiled: &Path) -> Result<()> {
    let _ = std::fs::remove_dir_all(rootfs);
    let at = |p: &str| rootfs.join(p.trim_start_matches('/'));
    let bin = at("/usr/local/bin/catalyst-guard");
    copy(binary, &bin, 0o755)?;
    // The release profile keeps line tables (for the benchmarks' profiles); the
    // shipped binary does not need them: 117 MiB -> about a tenth.
    crate::run("strip", &[&bin.to_string_lossy()])?;
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
        &crate::root().join("LICENSE"),
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
    crate::plugin::build_wasm(&[])?;
    let plugin = crate::plugin::plugin_dir().join("catalyst-guard.wasm");
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

/// What one run printed.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run_capture(command: &mut Command) -> Result<Run> {
    let out = command
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    Ok(Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

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
    crate::run(
        "tar",
        &[
            "-xf",
            &archive.to_string_lossy(),
            "-C",
            &layout.to_string_lossy(),
        ],
    )?;
    let bundle = work.join("bundle");
    crate::run(
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
    copy_tree(&crate::root().join("examples/sovereign"), &sovereign)?;
    let snapshots = inputs.join("recovery");
    copy_tree(&crate::root().join("tests/fixtures/recovery"), &snapshots)?;

    // The host side: the workspace's own build, plugin next to it.
    crate::run(
        env!("CARGO"),
        &["build", "--quiet", "-p", "catalyst-guard-host"],
    )?;
    let host_bin = crate::plugin::target_dir().join("debug/catalyst-guard");
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
            let mut host = run_capture(
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
fn run_in_image(rootfs: &Path, entry: &[String], args: &[String]) -> Result<Run> {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let command: Vec<String> = entry.iter().chain(args).map(|a| quote(a)).collect();
    let root = quote(&rootfs.to_string_lossy());
    let script = format!(
        "set -e; mount --bind {root} {root}; mount -o remount,bind,ro {root}; \
         exec env -i HOME=/home/nonroot /usr/sbin/chroot --userspec={UID}:{UID} {root} {}",
        command.join(" ")
    );
    run_capture(
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
    crate::run(
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
    copy(
        &crate::plugin::plugin_dir().join("catalyst-guard.wasm"),
        &out(1),
        0o644,
    )?;
    crate::policies::build()?;
    copy(&crate::policies::policy_wasm(), &out(2), 0o644)?;
    crate::web::build()?;
    let tarball = crate::web::pack()?;
    copy(&tarball, &out(3), 0o644)?;
    for (i, dir) in [(4, "deploy"), (5, "deploy/admission")] {
        std::fs::write(out(i), crate::capture("kubectl", &["kustomize", dir])?)?;
    }
    if archive != out(6) {
        bail!(
            "the image is at {}, expected {}",
            archive.display(),
            out(6).display()
        );
    }
    sbom(&out(7))?;

    let listed: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut sums = Command::new("sha256sum");
    sums.args(&listed).current_dir(&dist);
    let sums = run_capture(&mut sums)?;
    if sums.code != Some(0) {
        bail!("sha256sum failed: {}", sums.stderr);
    }
    std::fs::write(dist.join("SHA256SUMS"), &sums.stdout)?;
    let check = run_capture(
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
        crate::run(
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
    let host = crate::root().join("host");
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
        .current_dir(crate::root())
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
fn sbom_files() -> Result<std::collections::BTreeSet<PathBuf>> {
    fn walk(dir: &Path, out: &mut std::collections::BTreeSet<PathBuf>) -> Result<()> {
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
    let mut out = std::collections::BTreeSet::new();
    walk(&crate::root(), &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_sbom_is_left_in_the_source_tree() {
        let found = sbom_files().expect("walks the tree");
        assert!(
            found.is_empty(),
            "`cargo cyclonedx` output left in the source tree: {found:?}"
        );
    }

    /// The final stage of the Dockerfile: its instructions, continuation lines joined.
    fn final_stage() -> Vec<(String, String)> {
        let text = std::fs::read_to_string(crate::root().join("Dockerfile")).expect("Dockerfile");
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
        let text = std::fs::read_to_string(crate::root().join("Dockerfile")).expect("Dockerfile");
        assert!(text.contains(
            "CATALYST_GUARD_CACHE_DIR=/precompiled /catalyst-guard lint --engine plugin --plugin /catalyst-guard.wasm"
        ));
        assert!(text.contains(
            "COPY --from=build /precompiled/ /usr/local/lib/catalyst-guard/precompiled/"
        ));
    }

    #[test]
    fn the_cronjob_runs_the_image_this_build_tags() {
        let cron =
            std::fs::read_to_string(crate::root().join("deploy/cronjob.yaml")).expect("cronjob");
        let image = cron
            .lines()
            .find_map(|l| l.trim().strip_prefix("image: "))
            .expect("an image line");
        assert_eq!(image, format!("{IMAGE_REPO}:{}", version()));
    }

    #[test]
    fn dist_names_every_artifact_with_the_version() {
        let files = dist_files("9.8.7");
        assert_eq!(files.len(), 8);
        assert!(files.iter().all(|f| f.contains("9.8.7")));
        assert!(
            image_archive()
                .to_string_lossy()
                .ends_with(&format!("catalyst-guard-{}.oci.tar", version()))
        );
    }
}
