//! What the image holds and where its pieces are built: the name, the user, the file
//! layout (the Dockerfile must produce the same; a test in `image.rs` parses it).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::paths::{dist_dir, target_dir};

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
pub const MUSL: &str = "x86_64-unknown-linux-musl";
/// `/etc/passwd` and `/etc/group` of the image: root and the non-root user.
pub const PASSWD: &str = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n";
pub const GROUP: &str = "root:x:0:\nnonroot:x:65532:\n";

/// The version the image and the artifacts are tagged with: the crate version.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The OCI archive `cargo xtask image` writes.
pub fn image_archive() -> PathBuf {
    dist_dir().join(format!("catalyst-guard-{}.oci.tar", version()))
}

/// Where the musl build goes: its own target directory, so it never evicts the host
/// build's artifacts (and vice versa).
pub fn musl_target_dir() -> PathBuf {
    target_dir().join("image")
}

/// Copies one file to `to` (creating its folder) with `mode`.
pub fn copy(from: &Path, to: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}
