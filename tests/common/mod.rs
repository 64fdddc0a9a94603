//! Shared helpers for the core's integration tests: load a fixture tree as a file set.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::{Path, PathBuf};

use catalyst_guard::lint::{Config, SourceFile};

/// The fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every file under `dir` as a root-relative [`SourceFile`], sorted by path. The
/// fixture's own `.catalyst-guard.yaml` is read as config, not linted.
pub fn load_tree(dir: &Path) -> (Vec<SourceFile>, Config) {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("fixture dir is readable") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("under dir")
                    .to_string_lossy()
                    .replace('\\', "/");
                let bytes = std::fs::read(&path).expect("fixture file is readable");
                files.push(SourceFile::new(
                    rel,
                    String::from_utf8(bytes).expect("fixtures are UTF-8"),
                ));
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let config = match files.iter().position(|f| f.path == ".catalyst-guard.yaml") {
        Some(i) => Config::parse(&files.remove(i).text).expect("fixture config is valid"),
        None => Config::default(),
    };
    (files, config)
}
