//! End to end over `tests/fixtures/sovereign/`: a synthetic Sovereign repo in the
//! DOMAIN.md layout (24 blueprints, the template bootstrap-kit, two live clusters, docs)
//! seeded with known violations. The linter must report exactly those, and its JSON and
//! SARIF renderings must be valid.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

mod common;

use catalyst_guard::lint::{self, Severity, render};

fn report() -> lint::Report {
    let (files, config) = common::load_tree(&common::fixtures().join("sovereign"));
    lint::lint(&files, None, &config)
}

fn tree() -> (Vec<lint::SourceFile>, lint::Config) {
    common::load_tree(&common::fixtures().join("sovereign"))
}

#[test]
fn the_seeded_violations_and_nothing_else_are_reported() {
    let got: Vec<(String, String, u32, Severity)> = report()
        .findings
        .into_iter()
        .map(|f| (f.code, f.path, f.line, f.severity))
        .collect();
    let e = Severity::Error;
    let i = Severity::Info;
    let expected: Vec<(&str, &str, u32, Severity)> = vec![
        (
            "CG003",
            "clusters/_template/bootstrap-kit/01-keycloak.yaml",
            28,
            e,
        ),
        (
            "CG004",
            "clusters/_template/bootstrap-kit/05-kyverno.yaml",
            28,
            e,
        ),
        (
            "CG003",
            "clusters/_template/bootstrap-kit/07-grafana.yaml",
            27,
            e,
        ),
        (
            "CG003",
            "clusters/acme.example.io/bootstrap-kit/trivy.yaml",
            12,
            i,
        ),
        (
            "CG005",
            "clusters/acme.example.io/flux-system/apps.yaml",
            8,
            e,
        ),
        (
            "CG008",
            "clusters/acme.example.io/flux-system/apps.yaml",
            22,
            e,
        ),
        (
            "CG005",
            "clusters/acme.example.io/flux-system/gitrepository.yaml",
            8,
            e,
        ),
        (
            "CG003",
            "clusters/omantel.openova.io/bootstrap-kit/flux.yaml",
            12,
            i,
        ),
        // docs/dns.md:3 ("moved from k8gb to PowerDNS lua-records") names the
        // replacement too: a migration note, not drift.
        ("CG006", "docs/dns.md", 7, e),
        ("CG006", "docs/flux.md", 10, e),
        ("CG007", "docs/flux.md", 18, e),
        ("CG007", "docs/flux.md", 21, e),
        ("CG011", "docs/secrets.md", 4, e),
        ("CG007", "docs/secrets.md", 5, e),
        ("CG004", "platform/cert-manager/chart/Chart.yaml", 8, e),
        ("CG002", "platform/grafana/chart/Chart.yaml", 2, e),
        ("CG002", "platform/stunner/chart/Chart.yaml", 1, e),
        ("CG009", "platform/valkey/chart/values.yaml", 1, e),
        ("CG001", "platform/velero/blueprint.yaml", 6, e),
    ];
    let expected: Vec<(String, String, u32, Severity)> = expected
        .into_iter()
        .map(|(c, p, l, s)| (c.to_string(), p.to_string(), l, s))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn the_fixture_has_the_documented_shape() {
    let (files, _) = common::load_tree(&common::fixtures().join("sovereign"));
    let blueprints = files
        .iter()
        .filter(|f| f.path.ends_with("/blueprint.yaml"))
        .count();
    assert!(blueprints >= 20, "{blueprints} blueprints");
    let live: std::collections::BTreeSet<&str> = files
        .iter()
        .filter_map(|f| f.path.strip_prefix("clusters/"))
        .filter_map(|p| p.split('/').next())
        .filter(|c| *c != "_template")
        .collect();
    assert_eq!(live.len(), 2, "{live:?}");
    assert!(
        files
            .iter()
            .any(|f| f.path.starts_with("clusters/_template/bootstrap-kit/"))
    );
    assert!(files.iter().any(|f| f.path.starts_with("docs/")));
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("schemas/sarif-2.1.0.json")).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let report = report();
    let (files, config) = tree();
    let source = |p: &str| files.iter().find(|f| f.path == p).map(|f| f.text.as_str());
    let sarif: serde_json::Value =
        serde_json::from_str(&render::sarif(&report, "", &config, &source)).expect("SARIF is JSON");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), report.findings.len());
    assert_eq!(results[0]["level"], "error");
    assert!(
        results.iter().any(|r| r["level"] == "note"),
        "info findings become notes"
    );
    // Every result carries a fingerprint code scanning can follow across commits, and
    // cross-file results name what they compared with.
    assert!(
        results
            .iter()
            .all(|r| r["partialFingerprints"]["catalystGuard/v1"].is_string())
    );
    let cg001 = results
        .iter()
        .find(|r| r["ruleId"] == "CG001")
        .expect("the fixture has a CG001");
    assert!(
        cg001["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .is_some_and(|u| u.ends_with("chart/Chart.yaml"))
    );
    // A broken document must fail the same validator: the check can fail.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_rule_levels_follow_the_configuration() {
    let (files, _) = tree();
    let config = lint::Config::parse("rules:\n  CG007: warning\n  CG008: off\n").expect("config");
    let report = lint::lint(&files, None, &config);
    let source = |p: &str| files.iter().find(|f| f.path == p).map(|f| f.text.as_str());
    let sarif: serde_json::Value =
        serde_json::from_str(&render::sarif(&report, "", &config, &source)).expect("SARIF is JSON");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let level = |code: &str| {
        rules
            .iter()
            .find(|r| r["id"] == code)
            .map(|r| r["defaultConfiguration"]["level"].clone())
    };
    assert_eq!(level("CG007"), Some(serde_json::json!("warning")));
    assert_eq!(level("CG008"), Some(serde_json::json!("none")));
    assert_eq!(level("CG001"), Some(serde_json::json!("error")));
}

#[test]
fn json_output_carries_a_schema_version_and_a_summary() {
    let report = report();
    let json: serde_json::Value =
        serde_json::from_str(&render::json(&report, "repo")).expect("JSON");
    assert_eq!(json["schemaVersion"], 1);
    assert_eq!(json["summary"]["error"], report.count(Severity::Error));
    assert_eq!(json["summary"]["info"], 2);
    assert!(
        json["findings"][0]["path"]
            .as_str()
            .expect("path")
            .starts_with("repo/clusters/")
    );
}
