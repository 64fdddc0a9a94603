//! The Blueprint chart `bp-catalyst-guard` (deploy/platform/catalyst-guard), checked by
//! the real tools: `helm lint --strict`, `helm template` with the default and with other
//! values validated against the Kubernetes OpenAPI schemas (`kubernetes-validate
//! --strict`, installed by `cargo xtask test`), its values schema, and
//! `catalyst-guard lint` on the Blueprint layout (CG001-CG012 clean, and a version
//! bump on one side caught).
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

#[path = "support/helm.rs"]
mod helm;

use std::path::Path;
use std::process::Command;

use catalyst_guard::recovery::RecoveryConfig;
use catalyst_guard::yaml::{self, Node};

/// Kubernetes versions the rendering must validate against: the validator's newest
/// and an older one still in wide use (as host/tests/ci_integration.rs).
const KUBERNETES_VERSIONS: &[&str] = &["1.37", "1.32"];

fn read(rel: &str) -> String {
    std::fs::read_to_string(helm::root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn values_file(dir: &Path, values: &str) -> std::path::PathBuf {
    let file = dir.join("values.yaml");
    std::fs::write(&file, values).expect("write values");
    file
}

/// Runs kubernetes-validate on `rendered` for `version`: (exit code, objects passed,
/// log).
fn validate(rendered: &str, version: &str) -> (Option<i32>, usize, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("rendered.yaml");
    std::fs::write(&file, rendered).expect("write");
    let out = Command::new("kubernetes-validate")
        .args(["--strict", "-k", version])
        .arg(&file)
        .output()
        .expect("kubernetes-validate is installed (`cargo xtask test` installs it with pip)");
    let log = helm::text(&out);
    let passed = log.matches(" passed for resource ").count();
    (out.status.code(), passed, log)
}

fn objects(rendered: &str) -> usize {
    let parsed = yaml::parse(rendered);
    assert!(parsed.error.is_none(), "{:?}", parsed.error);
    parsed
        .documents
        .iter()
        .filter(|d| d.root().is_some())
        .count()
}

#[test]
fn helm_lint_strict_passes_with_the_default_and_with_other_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    for values in ["", helm::OTHER_VALUES] {
        let out = Command::new(helm::helm())
            .args(["lint", "--strict"])
            .arg(helm::root().join(helm::CHART))
            .arg("--values")
            .arg(values_file(dir.path(), values))
            .output()
            .expect("helm runs");
        let log = helm::text(&out);
        assert_eq!(out.status.code(), Some(0), "{log}");
        assert!(
            log.contains("1 chart(s) linted, 0 chart(s) failed"),
            "{log}"
        );
    }
}

#[test]
fn every_rendered_object_validates_against_the_kubernetes_schemas_with_default_and_other_values() {
    for (what, values) in [("default values", ""), ("other values", helm::OTHER_VALUES)] {
        let rendered = helm::template("catalyst-guard", "catalyst-guard", values);
        let count = objects(&rendered);
        assert!(count >= 6, "{what}: {count} objects");
        for version in KUBERNETES_VERSIONS {
            let (code, passed, log) = validate(&rendered, version);
            assert_eq!(code, Some(0), "{what} on {version}: {log}");
            assert_eq!(
                passed, count,
                "{what} on {version}: every object is a built-in kind and passes: {log}"
            );
        }
    }
}

#[test]
fn a_value_the_chart_passes_through_but_kubernetes_forbids_fails_the_schema_check() {
    // The values schema leaves tolerations to Kubernetes; the validation must catch it.
    let rendered = helm::template(
        "catalyst-guard",
        "catalyst-guard",
        "tolerations: [{key: dedicated, effect: 7}]",
    );
    let (code, _, log) = validate(&rendered, KUBERNETES_VERSIONS[0]);
    assert_ne!(code, Some(0), "{log}");
    assert!(log.contains("cronjob"), "{log}");
}

#[test]
fn the_values_schema_rejects_bad_values_naming_each_key() {
    let cases: &[(&str, &str)] = &[
        (
            "config: {stuckThreshold: 5 minutes}",
            "/config/stuckThreshold",
        ),
        ("config: {suspendPause: 1m30}", "/config/suspendPause"),
        (
            "config: {strategies: {stuckStatusLost: patch-it}}",
            "/config/strategies/stuckStatusLost",
        ),
        (
            "config: {activeDeadlineSeconds: 300}",
            "additional properties 'activeDeadlineSeconds' not allowed",
        ),
        (
            "config: {helmController: {version: latest}}",
            "/config/helmController/version",
        ),
        (
            "config: {namespaces: {exclude: kube-system}}",
            "/config/namespaces/exclude",
        ),
        ("image: {digest: latest}", "/image/digest"),
        ("fluxNamespace: Flux_System", "/fluxNamespace"),
        ("activeDeadlineSeconds: 20", "/activeDeadlineSeconds"),
        (
            "schedul: \"*/5 * * * *\"",
            "additional properties 'schedul' not allowed",
        ),
        // YAML 1.1 reads a bare `y` as true: a label value must be quoted.
        ("podLabels: {enabled: y}", "/podLabels/enabled"),
    ];
    for (values, names) in cases {
        let out = helm::template_output("r", "ns", values);
        let log = helm::text(&out);
        assert_ne!(out.status.code(), Some(0), "{values}: accepted:\n{log}");
        assert!(
            log.contains("values don't meet the specifications of the schema")
                && log.contains(names),
            "{values}: the error names `{names}`:\n{log}"
        );
    }
}

#[test]
fn every_strategy_and_config_key_the_values_schema_allows_is_one_the_job_accepts() {
    let schema: serde_json::Value =
        serde_json::from_str(&read(&format!("{}/values.schema.json", helm::CHART)))
            .expect("values.schema.json is JSON");
    let strategies: Vec<&str> = schema["definitions"]["strategy"]["enum"]
        .as_array()
        .expect("strategy enum")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(strategies.len(), 4, "{strategies:?}");
    for strategy in strategies {
        let rendered = helm::template(
            "r",
            "ns",
            &format!("config: {{strategies: {{stuckStatusLost: {strategy}}}}}"),
        );
        let parsed = yaml::parse(&rendered);
        let config = parsed
            .documents
            .iter()
            .filter_map(|d| d.root())
            .find_map(|r| r.str_at(&["data", "config.yaml"]))
            .expect("the ConfigMap");
        let config = RecoveryConfig::parse_yaml(config)
            .unwrap_or_else(|e| panic!("{strategy}: the job rejects its config: {e}"));
        assert_eq!(config.status_lost_strategy.as_str(), strategy);
    }
    // host/tests/deploy.rs renders the other values and parses their config: it must set
    // every key the schema allows, so each one is proven to reach the job intact.
    let mut allowed: Vec<String> = schema["properties"]["config"]["properties"]
        .as_object()
        .expect("config properties")
        .keys()
        .cloned()
        .collect();
    allowed.sort();
    let other = yaml::parse(helm::OTHER_VALUES);
    let mut set: Vec<String> = other.documents[0]
        .root()
        .and_then(|r| r.get("config"))
        .map(|c: Node<'_>| {
            c.entries()
                .filter_map(|(k, _)| k.scalar().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    set.sort();
    assert_eq!(set, allowed);
}

#[test]
fn the_chart_is_versioned_with_the_crate_and_names_the_image_it_deploys() {
    let chart = read(&format!("{}/Chart.yaml", helm::CHART));
    let parsed = yaml::parse(&chart);
    let root = parsed.documents[0].root().expect("Chart.yaml");
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(root.str_at(&["name"]), Some("bp-catalyst-guard"));
    assert_eq!(root.str_at(&["version"]), Some(version));
    assert_eq!(root.str_at(&["appVersion"]), Some(version));
    let images = root
        .str_at(&["annotations", "artifacthub.io/images"])
        .expect("artifacthub.io/images");
    let default_image = format!("ghcr.io/openova/catalyst-guard:{version}");
    assert!(
        images.contains(&format!("image: {default_image}")),
        "{images}"
    );
    assert!(
        helm::template("r", "ns", "").contains(&format!("image: \"{default_image}\"")),
        "the annotation names the image the defaults deploy"
    );
}

fn lint(dir: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_catalyst-guard"))
        .args(["lint", "--color", "never"])
        .arg(dir)
        .output()
        .expect("runs");
    (out.status.code(), helm::text(&out))
}

#[test]
fn catalyst_guard_lint_finds_deploy_clean_and_catches_a_chart_bumped_alone() {
    let (code, log) = lint(&helm::root().join("deploy"));
    assert_eq!(code, Some(0), "{log}");

    // The linter sees the Blueprint layout: bump the chart alone and the Blueprint
    // (CG001) and the bootstrap-kit pin (CG003) fall out of lockstep.
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("deploy");
    let status = Command::new("cp")
        .arg("-R")
        .arg(helm::root().join("deploy"))
        .arg(&copy)
        .status()
        .expect("cp");
    assert!(status.success());
    let chart_yaml = copy.join("platform/catalyst-guard/chart/Chart.yaml");
    let text = std::fs::read_to_string(&chart_yaml).expect("Chart.yaml");
    let version = env!("CARGO_PKG_VERSION");
    let bumped = text.replacen(&format!("\nversion: {version}\n"), "\nversion: 99.0.0\n", 1);
    assert_ne!(bumped, text);
    std::fs::write(&chart_yaml, bumped).expect("write");
    let (code, log) = lint(&copy);
    assert_eq!(code, Some(1), "{log}");
    for rule in ["CG001", "CG003"] {
        assert!(log.contains(rule), "{rule} fires: {log}");
    }
}

#[test]
fn the_chart_refuses_a_pause_and_deadline_exactly_when_the_job_would() {
    // (suspendPause, activeDeadlineSeconds) on both sides of each bound the job checks:
    // a pause of at most 5m, and pause + 30 s within the deadline.
    let cases = [
        ("5s", 35),
        ("5s", 34),
        ("0s", 30),
        ("1m10s", 100),
        ("1m11s", 100),
        ("5m", 330),
        ("5m", 329),
        ("5m1s", 400),
        ("1h", 3630),
    ];
    for (pause, deadline) in cases {
        let job = RecoveryConfig::parse_yaml(&format!(
            "suspendPause: {pause}\nactiveDeadlineSeconds: {deadline}\n"
        ));
        let out = helm::template_output(
            "r",
            "ns",
            &format!("activeDeadlineSeconds: {deadline}\nconfig: {{suspendPause: {pause}}}\n"),
        );
        let log = helm::text(&out);
        assert_eq!(
            out.status.success(),
            job.is_ok(),
            "pause {pause}, deadline {deadline}: the job says {job:?}, helm says:\n{log}"
        );
        if !out.status.success() {
            assert!(log.contains("config.suspendPause"), "{log}");
        }
    }
}
