//! The `kyverno test` suites of both twins, generated from the shared admission case
//! table (`test_data/cases.yaml`), so the kyverno CLI replays the cases the
//! Kubewarden policy is tested on.

use super::cel::{CelRule, cel_rules, policy_name};
use super::manifests::{File, HEADER};

/// One admission case of the shared case table (`test_data/cases.yaml`) as the
/// kyverno CLI can replay it: a CREATE of `object`, admitted or not under the default
/// settings.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    /// The case's name (a sentence in snake case).
    pub name: String,
    /// The object created.
    pub object: serde_json::Value,
    /// Admitted by every engine.
    pub allowed: bool,
}

/// The cases of `test_data/cases.yaml` the twins can replay as a CREATE: marked
/// `twins: true`, default settings, a request with an object. `read` returns a
/// request file's text by name.
pub fn test_cases(
    cases_yaml: &str,
    read: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<TestCase>, String> {
    let cases: Vec<serde_json::Value> =
        serde_yaml::from_str(cases_yaml).map_err(|e| format!("test_data/cases.yaml: {e}"))?;
    static NULL: serde_json::Value = serde_json::Value::Null;
    let at = |v: &'_ serde_json::Value, key: &str| -> serde_json::Value {
        v.get(key).unwrap_or(&NULL).clone()
    };
    let mut out = Vec::new();
    for case in cases {
        let name = at(&case, "name");
        let name = name.as_str().unwrap_or_default();
        let file = at(&case, "request");
        let file = file.as_str().unwrap_or_default();
        if at(&case, "twins") != true
            || !at(&case, "settings").is_null()
            || !file.ends_with(".json")
        {
            continue;
        }
        let text = read(file).ok_or_else(|| format!("test_data/requests/{file}: cannot read"))?;
        let request: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("test_data/requests/{file}: {e}"))?;
        let object = at(&request, "object");
        if at(&request, "operation") != "CREATE" || object.is_null() {
            continue;
        }
        out.push(TestCase {
            name: name.to_string(),
            object,
            allowed: at(&case, "allowed") == true,
        });
    }
    Ok(out)
}

/// A case name as an object name (a DNS-1123 label).
fn object_name(case: &str) -> String {
    let name: String = case
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    name.trim_matches('-').to_string()
}

/// The kinds each twin rule covers, with the rule.
fn rule_for(kind: &str) -> Option<CelRule> {
    cel_rules().into_iter().find(|r| r.kind == kind)
}

/// The `kyverno test` suites (`cli.kyverno.io/v1alpha1` Test) of both twins, and the
/// resources they replay, from the shared case table.
pub fn kyverno_test_files(cases: &[TestCase]) -> Vec<File> {
    let mut resources = Vec::new();
    let mut kyverno_results = String::new();
    let mut vap_results = String::new();
    for case in cases {
        let kind = case
            .object
            .get("kind")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        let Some(rule) = rule_for(kind) else {
            continue;
        };
        let name = object_name(&case.name);
        let mut object = case.object.clone();
        if let Some(meta) = object
            .get_mut("metadata")
            .and_then(serde_json::Value::as_object_mut)
        {
            meta.insert("name".to_string(), name.clone().into());
        }
        resources.push(serde_yaml::to_string(&object).unwrap_or_default());
        let result = if case.allowed { "pass" } else { "fail" };
        kyverno_results.push_str(&format!(
            "  - policy: catalyst-guard\n    rule: {code}-{rule_name}\n    kind: {kind}\n    resources: [{name}]\n    result: {result}\n",
            code = rule.rule.code.to_ascii_lowercase(),
            rule_name = rule.rule.name,
        ));
        vap_results.push_str(&format!(
            "  - policy: {policy}\n    isValidatingAdmissionPolicy: true\n    kind: {kind}\n    resources: [{name}]\n    result: {result}\n",
            policy = policy_name(&rule),
        ));
    }
    let resources = format!("{HEADER}{}", resources.join("---\n"));
    let suite = |name: &str, policies: &str, params: &str, results: &str| {
        format!(
            "{HEADER}# Run with the kyverno CLI: `kyverno test {dir}`. The cases are the twin cases\n# of policies/kubewarden/test_data/cases.yaml (CREATE, default settings).\napiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata:\n  name: {name}\npolicies: [{policies}]\nresources: [resources.yaml]\nparamResources: [{params}]\nresults:\n{results}",
            dir = if name.ends_with("vap") {
                "policies/vap"
            } else {
                "policies/kyverno"
            },
        )
    };
    vec![
        File {
            path: "policies/kyverno/resources.yaml",
            text: resources.clone(),
        },
        File {
            path: "policies/kyverno/kyverno-test.yaml",
            text: suite(
                "catalyst-guard-kyverno",
                "clusterpolicy.yaml",
                "../../deploy/admission/params.yaml",
                &kyverno_results,
            ),
        },
        File {
            path: "policies/vap/resources.yaml",
            text: resources,
        },
        File {
            path: "policies/vap/kyverno-test.yaml",
            text: suite(
                "catalyst-guard-vap",
                "policies.yaml, bindings.yaml",
                "../../deploy/admission/params.yaml",
                &vap_results,
            ),
        },
    ]
}

/// The shared case table of a repository checkout, for [`files`].
pub fn read_case_table(root: &std::path::Path) -> Result<Vec<TestCase>, String> {
    let dir = root.join("policies/kubewarden/test_data");
    let table = std::fs::read_to_string(dir.join("cases.yaml"))
        .map_err(|e| format!("policies/kubewarden/test_data/cases.yaml: {e}"))?;
    test_cases(&table, &|file| {
        std::fs::read_to_string(dir.join("requests").join(file)).ok()
    })
}
