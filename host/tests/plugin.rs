//! The plugin against the linked core: identical findings and plans on every lint
//! fixture and recovery scenario (the differential test), hostile components stopped by
//! the deadline and the memory cap, and the precompiled cache.
//!
//! The components are built by `cargo xtask build-wasm` (which `cargo xtask test` runs
//! first) into `<target>/plugin/`.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use catalyst_guard::lint::{self, Config, SourceFile};
use catalyst_guard::recovery::time::{format_rfc3339, parse_rfc3339};
use catalyst_guard::recovery::{RecoveryConfig, Snapshot, decide};
use catalyst_guard_host::plugin::{Limits, Plugin, PluginError};
use serde_json::{Value, json};

fn plugin_dir() -> PathBuf {
    // <target>/debug/deps/<test binary> -> <target>/plugin
    let exe = std::env::current_exe().expect("test binary path");
    let target = exe.ancestors().nth(3).expect("target dir").to_path_buf();
    target.join("plugin")
}

fn component(name: &str) -> PathBuf {
    let p = plugin_dir().join(name);
    assert!(
        p.is_file(),
        "{} is missing: run `cargo xtask build-wasm` first",
        p.display()
    );
    p
}

/// One compiled plugin shared by the tests (compiling takes seconds on 2 cores).
fn plugin() -> &'static Plugin {
    static PLUGIN: std::sync::OnceLock<Plugin> = std::sync::OnceLock::new();
    PLUGIN.get_or_init(|| {
        Plugin::load(&component("catalyst-guard.wasm"), Limits::default(), None)
            .expect("the plugin loads")
    })
}

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn load_tree(dir: &Path) -> (Vec<SourceFile>, Option<String>) {
    let mut files = Vec::new();
    let mut config = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(dir)
                .expect("under")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).expect("UTF-8 fixture");
            if rel == ".catalyst-guard.yaml" {
                config = Some(text);
            } else {
                files.push(SourceFile::new(rel, text));
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    (files, config)
}

/// Every lint fixture: each rule's fire/pass trees (head/base pairs for CG010), the
/// synthetic Sovereign and the bundled example.
/// A lint case: name, files, optional base tree, optional config text.
type LintCase = (
    String,
    Vec<SourceFile>,
    Option<Vec<SourceFile>>,
    Option<String>,
);

fn lint_cases() -> Vec<LintCase> {
    let mut cases = Vec::new();
    let rules = repo().join("tests/fixtures/rules");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&rules)
        .expect("rules fixtures")
        .map(|e| e.expect("entry").path())
        .collect();
    dirs.sort();
    for rule in dirs {
        for case in ["fire", "pass"] {
            let dir = rule.join(case);
            let name = format!(
                "{}/{case}",
                rule.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            );
            if dir.join("head").is_dir() {
                let (head, config) = load_tree(&dir.join("head"));
                let (base, _) = load_tree(&dir.join("base"));
                cases.push((name, head, Some(base), config));
            } else {
                let (files, config) = load_tree(&dir);
                cases.push((name, files, None, config));
            }
        }
    }
    for dir in [
        "tests/fixtures/sovereign",
        "tests/fixtures/monorepo",
        "examples/sovereign",
    ] {
        let (files, config) = load_tree(&repo().join(dir));
        cases.push((dir.to_string(), files, None, config));
    }
    cases
}

#[test]
fn every_lint_fixture_gives_identical_findings_through_the_plugin_and_natively() {
    let plugin = plugin();
    let cases = lint_cases();
    assert!(cases.len() >= 26, "{} cases", cases.len());
    for (name, files, base, config_text) in cases {
        let config = config_text
            .as_deref()
            .map(|t| Config::parse(t).expect("fixture config"))
            .unwrap_or_default();
        let native = lint::lint(&files, base.as_deref(), &config);
        let wasm = plugin
            .lint(&files, base.as_deref(), config_text.as_deref())
            .expect("plugin lint");
        assert_eq!(wasm, native, "{name}");
    }
}

/// Lints as `catalyst-guard lint` does through the plugin: the files dealt out in
/// batches of `batch` to `threads` instances running at once, then one `finish` (with
/// the base tree analysed in its own batch) given the batches in reverse order.
fn lint_in_parallel(
    files: &[SourceFile],
    base: Option<&[SourceFile]>,
    config: Option<&str>,
    threads: usize,
    batch: usize,
) -> lint::Report {
    let plugin = plugin();
    let chunks: Vec<&[SourceFile]> = files.chunks(batch).collect();
    let mut batches: Vec<Vec<u8>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let mine: Vec<&[SourceFile]> =
                    chunks.iter().skip(t).step_by(threads).copied().collect();
                s.spawn(move || {
                    let mut linter = plugin.linter().expect("instance");
                    mine.into_iter()
                        .map(|c| linter.analyze(c.to_vec(), config).expect("analyze"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    batches.reverse();
    let mut linter = plugin.linter().expect("instance");
    let base = base.map(|b| vec![linter.analyze(b.to_vec(), config).expect("analyze base")]);
    linter
        .finish(&batches, base.as_deref(), config)
        .expect("finish")
}

#[test]
fn every_lint_fixture_gives_identical_findings_and_fixes_when_the_plugin_lints_on_several_threads()
{
    let cases = lint_cases();
    let mut fixes = 0;
    for (name, files, base, config_text) in cases {
        let config = config_text
            .as_deref()
            .map(|t| Config::parse(t).expect("fixture config"))
            .unwrap_or_default();
        let native = lint::lint(&files, base.as_deref(), &config);
        fixes += native.findings.iter().filter(|f| f.fix.is_some()).count();
        for (threads, batch) in [(2, 1), (3, 2), (1, 64)] {
            let mut wasm = lint_in_parallel(
                &files,
                base.as_deref(),
                config_text.as_deref(),
                threads,
                batch,
            );
            // CG016 (globs matching no path) is the host's, from the paths it walked, for
            // either engine; `lint::lint` adds it from the files it was given.
            let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
            wasm.findings.extend(lint::unmatched_globs(&config, &paths));
            lint::sort_findings(&mut wasm.findings);
            assert_eq!(
                wasm, native,
                "{name}, {threads} threads, batches of {batch}"
            );
        }
    }
    assert!(fixes >= 5, "the fixtures carry fixes to compare: {fixes}");
}

#[test]
fn analyses_from_another_source_are_an_error_not_a_trap() {
    let mut linter = plugin().linter().expect("instance");
    let err = linter
        .finish(&[b"not an analysis".to_vec()], None, None)
        .expect_err("garbage analyses");
    assert!(
        matches!(&err, PluginError::Guest(m) if m.contains("analysis batch 0 is not this plugin's")),
        "{err}"
    );
    let err = linter
        .analyze(Vec::new(), Some("rules:\n  CG099: off\n"))
        .expect_err("bad config");
    assert!(
        matches!(&err, PluginError::Guest(m) if m.contains("2:3: `rules.CG099`: unknown rule")),
        "{err}"
    );
}

fn hr(ns: &str, name: &str, ready: &str, since: i64, history: Option<&str>, extra: Value) -> Value {
    let mut v = json!({
        "namespace": ns, "name": name, "generation": 1, "observedGeneration": 1, "resourceVersion": "1",
        "conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": format_rfc3339(since)}],
    });
    if let Some(h) = history {
        v["history"] =
            json!([{"status": h, "version": 3, "lastDeployed": format_rfc3339(since - 3600)}]);
    }
    if let (Some(obj), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        obj.extend(extra.clone());
    }
    v
}

/// Recovery scenarios covering every class, both branches, every strategy and the
/// guardrail.
fn recovery_cases() -> Vec<(String, String, String)> {
    let now = parse_rfc3339("2026-11-22T12:00:00Z").expect("time");
    let t = now - 900;
    let store = |ns: &str, rel: &str, rev: &str, status: &str| json!({"namespace": ns, "release": rel, "revision": rev, "status": status});
    let mixed = json!({"schemaVersion": 1,
    "helmReleases": [
        hr("apps", "b", "Unknown", t, Some("deployed"), json!({})),
        hr("apps", "a", "Unknown", t, Some("pending-install"), json!({})),
        hr("apps", "ok", "True", t, Some("deployed"), json!({})),
        hr("apps", "young", "Unknown", now - 60, Some("deployed"), json!({})),
        hr("apps", "nolt", "Unknown", t, Some("deployed"), json!({"conditions": [{"type": "Ready", "status": "Unknown"}]})),
        hr("apps", "susp", "Unknown", t, Some("deployed"), json!({"suspend": true})),
        hr("apps", "resume", "Unknown", t, Some("deployed"), json!({"suspend": true, "annotations": {"stuck-hr-recovery.openova.io/suspended-at": "x"}})),
        hr("apps", "pend", "Unknown", t, Some("deployed"), json!({})),
        hr("apps", "fail", "False", t, Some("failed"), json!({})),
        hr("apps", "done", "Unknown", t, Some("deployed"), json!({"annotations": {"stuck-hr-recovery.openova.io/auto-corrected-revision": "3"}})),
        hr("flux-system", "long", "Unknown", t, None, json!({"targetNamespace": "a-very-long-target-namespace-name-for-testing"})),
        hr("kube-system", "excluded", "Unknown", t, Some("deployed"), json!({})),
    ],
    "storage": [
        store("apps", "b", "3", "deployed"), store("apps", "a", "1", "deployed"), store("apps", "pend", "4", "pending-upgrade"),
        store("apps", "pend", "x", "deployed"), store("flux-system", "a-very-long-target-namespace-name-for-te-12ab34cd56ef", "2", "deployed"),
    ]});
    let stuck: Vec<Value> = (0..11)
        .map(|i| {
            hr(
                "apps",
                &format!("s{i}"),
                "Unknown",
                t,
                Some("deployed"),
                json!({}),
            )
        })
        .collect();
    let guardrail = json!({"schemaVersion": 1, "helmReleases": stuck, "storage": []});
    let mut cases = Vec::new();
    for strategy in ["status-patch", "suspend-toggle", "force-reconcile"] {
        let config = json!({"statusLostStrategy": strategy, "leaderLossStrategy": strategy, "excludeNamespaces": ["kube-system"]});
        cases.push((
            format!("mixed/{strategy}"),
            mixed.to_string(),
            config.to_string(),
        ));
    }
    cases.push((
        "guardrail".to_string(),
        guardrail.to_string(),
        "{}".to_string(),
    ));
    cases.push((
        "empty".to_string(),
        json!({"schemaVersion": 1, "helmReleases": [], "storage": []}).to_string(),
        "{}".to_string(),
    ));
    cases
}

#[test]
fn every_recovery_scenario_gives_an_identical_plan_through_the_plugin_and_natively() {
    let plugin = plugin();
    let now = parse_rfc3339("2026-11-22T12:00:00Z").expect("time");
    for (name, snapshot, config) in recovery_cases() {
        let native = decide(
            &Snapshot::from_json(&snapshot).expect("snapshot"),
            &RecoveryConfig::from_json(&config).expect("config"),
            now,
        )
        .to_json_compact();
        let wasm = plugin
            .decide(&snapshot, &config, now)
            .expect("plugin decide");
        assert_eq!(wasm, native, "{name}");
    }
}

#[test]
fn bad_input_comes_back_as_the_same_error_not_a_trap() {
    let plugin = plugin();
    let err = plugin
        .decide(
            r#"{"schemaVersion":7,"helmReleases":[],"storage":[]}"#,
            "{}",
            0,
        )
        .expect_err("bad schema");
    assert!(
        matches!(&err, PluginError::Guest(m) if m.contains("unsupported snapshot `schemaVersion` 7")),
        "{err}"
    );
    let err = plugin.decide("not json", "{}", 0).expect_err("not json");
    assert!(matches!(err, PluginError::Guest(_)));
    let err = plugin
        .lint(&[], None, Some("rules:\n  CG099: off\n"))
        .expect_err("bad config");
    assert!(
        matches!(&err, PluginError::Guest(m) if m.contains("2:3: `rules.CG099`: unknown rule")),
        "{err}"
    );
    // Hostile-looking input is just data to the plugin.
    let bomb = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let report = plugin
        .lint(&[SourceFile::new("bomb.yaml", bomb)], None, None)
        .expect("no trap");
    assert_eq!(report.findings[0].code, "CG000");
}

#[test]
fn an_endless_loop_is_stopped_by_the_deadline() {
    let limits = Limits {
        deadline: Duration::from_millis(300),
        ..Limits::default()
    };
    let hostile = Plugin::load(&component("hostile-loop.wasm"), limits, None).expect("loads");
    let start = Instant::now();
    let err = hostile.lint(&[], None, None).expect_err("must not return");
    assert!(
        matches!(err, PluginError::Timeout { call: "lint", .. }),
        "{err}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "stopped promptly: {:?}",
        start.elapsed()
    );
    assert!(
        err.to_string().contains("exceeded its 300ms deadline"),
        "{err}"
    );
    let err = hostile.decide("{}", "{}", 0).expect_err("must not return");
    assert!(matches!(err, PluginError::Timeout { call: "decide", .. }));
    let mut linter = hostile.linter().expect("instantiates");
    let err = linter
        .analyze(vec![SourceFile::new("a.yaml", "a: 1\n")], None)
        .expect_err("must not return");
    assert!(
        matches!(
            err,
            PluginError::Timeout {
                call: "analyze",
                ..
            }
        ),
        "{err}"
    );
    let err = hostile
        .linter()
        .expect("instantiates")
        .finish(&[], None, None)
        .expect_err("must not return");
    assert!(
        matches!(err, PluginError::Timeout { call: "finish", .. }),
        "{err}"
    );
}

#[test]
fn unbounded_memory_growth_is_stopped_by_the_cap() {
    let limits = Limits {
        memory: 64 * 1024 * 1024,
        ..Limits::default()
    };
    let hostile = Plugin::load(&component("hostile-memory.wasm"), limits, None).expect("loads");
    let err = hostile.lint(&[], None, None).expect_err("must not return");
    assert!(
        matches!(err, PluginError::Memory { call: "lint", limit } if limit == 64 * 1024 * 1024),
        "{err}"
    );
    let err = hostile
        .linter()
        .expect("instantiates")
        .analyze(Vec::new(), None)
        .expect_err("must not return");
    assert!(
        matches!(
            err,
            PluginError::Memory {
                call: "analyze",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn the_precompiled_cache_is_used_and_a_corrupt_entry_is_ignored() {
    let cache = tempfile::tempdir().expect("tempdir");
    let path = component("catalyst-guard.wasm");
    let first = Plugin::load(&path, Limits::default(), Some(cache.path())).expect("compiles");
    assert!(!first.from_cache);
    let second = Plugin::load(&path, Limits::default(), Some(cache.path())).expect("loads");
    assert!(second.from_cache);
    assert_eq!(
        second.version().expect("version"),
        env!("CARGO_PKG_VERSION")
    );
    let entry = std::fs::read_dir(cache.path())
        .expect("cache dir")
        .next()
        .expect("one entry")
        .expect("entry")
        .path();
    let name = entry
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    assert!(name.contains("wasmtime-48.0.8"), "{name}");
    let mut bytes = std::fs::read(&entry).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&entry, bytes).expect("corrupt");
    let third = Plugin::load(&path, Limits::default(), Some(cache.path())).expect("recompiles");
    assert!(!third.from_cache, "a corrupted entry is not trusted");
}

#[test]
fn a_file_that_is_not_a_guard_component_is_a_load_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"\0asm not really").expect("write");
    let err = Plugin::load(&junk, Limits::default(), None)
        .err()
        .expect("rejected");
    assert!(matches!(err, PluginError::Load { .. }), "{err}");
    let err = Plugin::load(&dir.path().join("absent.wasm"), Limits::default(), None)
        .err()
        .expect("rejected");
    assert!(err.to_string().contains("absent.wasm"), "{err}");
}

fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_catalyst-guard"))
        .args(args)
        .current_dir(repo())
        .env_remove("CATALYST_GUARD_PLUGIN")
        .output()
        .expect("binary runs")
}

#[test]
fn the_cli_gives_byte_identical_output_with_either_engine() {
    let plugin_path = component("catalyst-guard.wasm");
    let plugin_arg = plugin_path.to_string_lossy().into_owned();
    for format in ["json", "sarif", "text"] {
        let native = cli(&[
            "lint",
            "tests/fixtures/sovereign",
            "--format",
            format,
            "--color",
            "never",
            "--engine",
            "native",
        ]);
        let wasm = cli(&[
            "lint",
            "tests/fixtures/sovereign",
            "--format",
            format,
            "--color",
            "never",
            "--engine",
            "plugin",
            "--plugin",
            &plugin_arg,
            "--threads",
            "3",
        ]);
        assert_eq!(native.status.code(), Some(1));
        assert_eq!(
            wasm.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&wasm.stderr)
        );
        let (wasm, native) = (
            String::from_utf8_lossy(&wasm.stdout),
            String::from_utf8_lossy(&native.stdout),
        );
        assert_eq!(wasm, native, "{format}");
        if format == "text" {
            assert!(native.contains("= fix: "), "the fixture has fixes");
        }
    }
}

#[test]
fn a_hostile_plugin_makes_the_cli_exit_2_with_a_clear_error() {
    let hostile = component("hostile-loop.wasm");
    let out = cli(&[
        "lint",
        "examples/sovereign",
        "--engine",
        "plugin",
        "--plugin",
        &hostile.to_string_lossy(),
        "--plugin-deadline-ms",
        "200",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plugin call `analyze` exceeded its 200ms deadline"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no partial report");
    let out = cli(&[
        "recover",
        "--snapshot",
        "tests/fixtures/recovery/empty.json",
        "--engine",
        "plugin",
        "--plugin",
        &hostile.to_string_lossy(),
        "--plugin-deadline-ms",
        "200",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("plugin call `decide` exceeded"));
}
