//! Where things are: the repository root and the directories every chore writes to.
//! Every path under the cargo target directory comes from here, so `CARGO_TARGET_DIR`
//! is honoured everywhere or nowhere.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The cargo target directory: `CARGO_TARGET_DIR` (relative to the root if relative),
/// else `<root>/target`.
pub fn target_dir() -> PathBuf {
    target_dir_from(std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
}

fn target_dir_from(var: Option<PathBuf>) -> PathBuf {
    match var {
        Some(dir) if dir.as_os_str().is_empty() => root().join("target"),
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// Where `cargo xtask build-wasm` installs the plugin and the hostile test components.
pub fn plugin_dir() -> PathBuf {
    target_dir().join("plugin")
}

/// The installed plugin component.
pub fn plugin_wasm() -> PathBuf {
    plugin_dir().join("catalyst-guard.wasm")
}

/// Where `cargo xtask dist` and `cargo xtask image` put the release artifacts.
pub fn dist_dir() -> PathBuf {
    target_dir().join("dist")
}

/// Generated benchmark inputs (corpora, snapshots), kept between runs.
pub fn bench_dir() -> PathBuf {
    target_dir().join("bench")
}

/// A binary of the host crate built with `profile` (`debug`, `release`) for the
/// machine's own target.
pub fn host_binary(profile: &str) -> PathBuf {
    target_dir().join(profile).join("catalyst-guard")
}

/// `path` relative to `base`, with `/` separators (as the linter names files).
pub fn relative(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_dir_honours_cargo_target_dir_relative_or_absolute() {
        assert_eq!(target_dir_from(None), root().join("target"));
        assert_eq!(
            target_dir_from(Some(PathBuf::from("/tmp/elsewhere"))),
            PathBuf::from("/tmp/elsewhere")
        );
        assert_eq!(
            target_dir_from(Some(PathBuf::from("out"))),
            root().join("out")
        );
        assert_eq!(target_dir_from(Some(PathBuf::new())), root().join("target"));
    }
}
