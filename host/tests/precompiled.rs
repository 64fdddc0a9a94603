//! The precompiled plugin shipped beside the plugin (`precompiled/`, as in the image):
//! used when its name and checksum match, and a safe fallback to compiling when not.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

use std::path::{Path, PathBuf};

use catalyst_guard_host::plugin::{Limits, PRECOMPILED_DIR, Plugin};

fn shipped_plugin() -> PathBuf {
    // <target>/debug/deps/<test binary> -> <target>/plugin
    let exe = std::env::current_exe().expect("test binary path");
    let p = exe
        .ancestors()
        .nth(3)
        .expect("target dir")
        .join("plugin/catalyst-guard.wasm");
    assert!(
        p.is_file(),
        "{} is missing: run `cargo xtask build-wasm` first",
        p.display()
    );
    p
}

fn cwasm_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_precompiled_file_beside_the_plugin_is_used_and_a_corrupted_one_is_compiled_over() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).expect("mkdir");
    let plugin = lib.join("catalyst-guard.wasm");
    std::fs::copy(shipped_plugin(), &plugin).expect("copy plugin");

    // Compile once into a cache, as `cargo xtask image` does with the shipped binary.
    let cache = dir.path().join("cache");
    let first = Plugin::load(&plugin, Limits::default(), Some(&cache)).expect("loads");
    assert!(!first.from_cache);
    let version = first.version().expect("version");
    let compiled = cwasm_in(&cache);
    assert_eq!(compiled.len(), 1, "{compiled:?}");

    // Shipped beside the plugin, with no cache directory at all: loaded, not compiled.
    let precompiled = lib.join(PRECOMPILED_DIR);
    std::fs::create_dir_all(&precompiled).expect("mkdir");
    let name = compiled[0].file_name().expect("name");
    std::fs::rename(&compiled[0], precompiled.join(name)).expect("move");
    let shipped = Plugin::load(&plugin, Limits::default(), None).expect("loads");
    assert!(shipped.from_cache, "the shipped precompiled file is used");
    assert_eq!(shipped.version().expect("version"), version);

    // A corrupted shipped file fails its checksum: compiled instead, same answers.
    let path = precompiled.join(name);
    let mut bytes = std::fs::read(&path).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, bytes).expect("write");
    let fallback = Plugin::load(&plugin, Limits::default(), None).expect("loads");
    assert!(!fallback.from_cache);
    assert_eq!(fallback.version().expect("version"), version);
}
