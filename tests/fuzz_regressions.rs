//! The fuzz targets' properties (`fuzz/src/props.rs`, included here as is) on stable:
//! every input a fuzz target once failed on (`fuzz/regressions/<target>/`) is
//! replayed, so a fixed bug stays fixed without a nightly toolchain, and the
//! properties themselves are shown to hold on the fixtures and to catch what they
//! claim to catch.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

#[path = "../fuzz/src/props.rs"]
mod props;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use catalyst_guard::lint::Config;
use catalyst_guard::recovery::{HelmReleaseObs, RecoveryConfig, Snapshot};

fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.expect("a directory entry").path();
            let bytes = std::fs::read(&path).expect("a readable input");
            (path, bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_file_set_the_lint_fuzzer_failed_on_now_keeps_its_properties() {
    let inputs = regressions("lint_tree");
    assert!(!inputs.is_empty());
    for (path, bytes) in inputs {
        let files = props::files(&bytes);
        assert!(!files.is_empty(), "{}: no files", path.display());
        props::check_lint(&files, &props::config_of(&files));
    }
}

#[test]
fn every_configuration_the_config_fuzzer_failed_on_now_gets_a_positioned_answer() {
    let inputs = regressions("config");
    assert!(!inputs.is_empty());
    for (_, bytes) in inputs {
        let text = String::from_utf8_lossy(&bytes);
        props::check_lint_config(&text);
        props::check_recovery_config(&text);
    }
}

#[test]
fn a_yaml_error_at_the_end_of_a_file_is_reported_on_its_last_line() {
    let files =
        props::files(b"==> clusters/x/ks.yaml <==\nkind: Kustomization\nresources: [a.yaml");
    let findings = props::check_lint(&files, &Config::default());
    let error = findings
        .iter()
        .find(|f| f.code == "CG000")
        .expect("a CG000 finding");
    assert_eq!((error.line, error.col), (2, 19), "{error:?}");
}

#[test]
fn a_top_level_key_with_an_empty_name_is_named_in_the_error() {
    let error = Config::parse(": off\n").expect_err("an unknown key");
    assert_eq!(error.field, "(empty key)", "{error:?}");
    props::check_config_error(&error, ": off\n");
}

#[test]
fn a_span_past_the_end_of_its_line_breaks_the_lint_property() {
    let finding = catalyst_guard::lint::Finding {
        code: "CG000".to_string(),
        rule: "invalid-input".to_string(),
        severity: catalyst_guard::lint::Severity::Error,
        path: "a.yaml".to_string(),
        line: 2,
        col: 1,
        width: 1,
        message: "x".to_string(),
        help: None,
        fix: None,
        related: Vec::new(),
    };
    let outside = std::panic::catch_unwind(|| props::check_span(&finding, "a: b"));
    assert!(outside.is_err(), "line 2 of a one-line file passed");
    props::check_span(&finding, "a: b\n");
}

#[test]
fn every_fixture_tree_keeps_the_lint_properties() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut trees = vec![
        root.join("tests/fixtures/sovereign"),
        root.join("examples/sovereign"),
    ];
    for rule in std::fs::read_dir(root.join("tests/fixtures/rules")).expect("rule fixtures") {
        let rule = rule.expect("an entry").path();
        trees.extend(
            ["fire", "pass"]
                .map(|side| rule.join(side))
                .into_iter()
                .filter(|p| p.is_dir()),
        );
    }
    let mut findings = 0;
    for tree in &trees {
        let mut input = Vec::new();
        collect(tree, tree, &mut input);
        let files = props::files(&input);
        findings += props::check_lint(&files, &props::config_of(&files)).len();
    }
    assert!(
        trees.len() > 20 && findings > 20,
        "{} trees, {findings} findings",
        trees.len()
    );
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<u8>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a fixture directory")
        .map(|e| e.expect("an entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(root, &path, out);
        } else if let Ok(text) = String::from_utf8(std::fs::read(&path).expect("readable")) {
            let rel = path
                .strip_prefix(root)
                .expect("under the root")
                .to_string_lossy()
                .replace('\\', "/");
            out.extend_from_slice(format!("==> {rel} <==\n{text}").as_bytes());
            if !text.ends_with('\n') {
                out.push(b'\n');
            }
        }
    }
}

fn hr(name: &str, ready: &str, suspend: bool, labels: &[(&str, &str)]) -> HelmReleaseObs {
    serde_json::from_value(serde_json::json!({
        "namespace": "apps", "name": name, "resourceVersion": "7", "generation": 1,
        "observedGeneration": 1, "suspend": suspend,
        "labels": labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
        "conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": "2026-11-22T11:00:00Z"}],
        "history": [{"name": format!("apps-{name}"), "namespace": "apps", "version": 2, "status": "deployed"}],
    }))
    .expect("a HelmRelease")
}

#[test]
fn decide_acts_only_on_the_stuck_release_inside_the_selector_and_the_property_agrees() {
    let team = [("team", "platform")];
    let snapshot = Snapshot {
        schema_version: catalyst_guard::recovery::SNAPSHOT_SCHEMA_VERSION,
        taken_at: None,
        helm_releases: vec![
            hr("stuck", "Unknown", false, &team),
            hr("healthy", "True", false, &team),
            hr("paused-by-someone", "Unknown", true, &team),
            hr("other-team", "Unknown", false, &[("team", "web")]),
        ],
        storage: Vec::new(),
    };
    props::check_snapshot_round_trip(&snapshot);
    let terms = [
        props::Term::Eq("team".to_string(), "platform".to_string()),
        props::Term::Exists("team".to_string()),
        props::Term::NotEq("tier".to_string(), "frozen".to_string()),
    ];
    let config = RecoveryConfig {
        label_selector: terms
            .iter()
            .map(props::Term::render)
            .collect::<Vec<_>>()
            .join(","),
        ..RecoveryConfig::default()
    };
    let plan = props::check_decide(&snapshot, &config, 1_795_348_800, Some(&terms[..]));
    let acted: Vec<&str> = plan.actions.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(acted, ["stuck"]);
    // The same plan judged against a selector that excludes `stuck` must fail.
    let wrong = [props::Term::NotExists("team".to_string())];
    let judged = std::panic::catch_unwind(|| {
        props::check_decide(&snapshot, &config, 1_795_348_800, Some(&wrong[..]))
    });
    assert!(
        judged.is_err(),
        "an action outside the selector passed the property"
    );
}

#[test]
fn an_empty_key_at_the_end_of_an_unterminated_file_is_positioned_on_its_last_line() {
    let error = Config::parse("? ").expect_err("an unknown key");
    props::check_config_error(&error, "? ");
    assert_eq!((error.line, error.col), (1, 3), "{error:?}");
}
