//! Linting for the browser: a file set's report, one object judged by the core's
//! object rules, and the rule list.

use catalyst_guard::lint::{self, Config, RULES, SourceFile, render};
use catalyst_guard::objects;
use serde_json::{Value, json};

use super::input::FieldError;

/// Lints a file set: the report as `catalyst-guard lint --format json` prints it
/// (schema version 1, paths root-relative).
pub fn lint_json(files: &[SourceFile], config: &Config) -> String {
    render::json(&lint::lint(files, None, config), "")
}

/// Judges one Kubernetes object (as parsed JSON) with the core's object rules, the
/// same functions the linter and the admission policy call: GitRepository URL (CG005),
/// HelmRelease pin (CG004), Kustomization decryption (CG008), Blueprint version
/// (CG012). Other kinds have no object rule and get no findings. Returns
/// `{kind, findings: [{code, rule, field, value, message, help}]}`.
pub fn object_findings_json(object: &Value, config: &Config) -> Result<Value, FieldError> {
    let field_str = |key: &str| -> Result<&str, FieldError> {
        object
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| FieldError::new(format!("object.{key}"), "expected a string"))
    };
    let kind = field_str("kind")?;
    let api_version = field_str("apiVersion")?;
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let at = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
    let subject = format!("{kind} `{}`", at("/metadata/name").unwrap_or("(unnamed)"));
    let settings = objects::Settings::new(&config.locations);
    let findings = match (group, kind) {
        ("source.toolkit.fluxcd.io", "GitRepository") => {
            objects::git_repository_url(&subject, at("/spec/url"), &settings)
        }
        ("helm.toolkit.fluxcd.io", "HelmRelease") => objects::helm_release_pin(
            &subject,
            at("/spec/chart/spec/chart"),
            at("/spec/chart/spec/version"),
            object
                .pointer("/spec/chartRef")
                .is_some_and(|r| !r.is_null()),
            &settings,
        ),
        ("kustomize.toolkit.fluxcd.io", "Kustomization") => {
            objects::kustomization_decryption(&subject, at("/spec/decryption/provider"))
        }
        ("catalyst.openova.io", "Blueprint") => {
            objects::blueprint_version(&subject, at("/spec/version"))
        }
        _ => Vec::new(),
    };
    let findings: Vec<Value> = findings
        .iter()
        .map(|f| {
            json!({
                "code": f.rule.code,
                "rule": f.rule.name,
                "field": f.field,
                "value": f.value,
                "message": f.message,
                "help": f.help,
            })
        })
        .collect();
    Ok(json!({ "kind": kind, "findings": findings }))
}

/// Every rule: `{code, name, defaultSeverity, summary, docs}` in code order.
pub fn rules_json() -> Value {
    RULES
        .iter()
        .map(|r| {
            json!({
                "code": r.code,
                "name": r.name,
                "defaultSeverity": r.default_severity.as_str(),
                "summary": r.summary,
                "docs": r.docs(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use catalyst_guard::naming::LocationTable;

    #[test]
    fn lint_json_is_the_cli_json_document() {
        let files = [SourceFile::new(
            "clusters/x/gitrepository.yaml",
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: x\nspec:\n  url: http://gitea.hfmp.openova.io/openova/x.git\n",
        )];
        let config = Config::default();
        let report = lint::lint(&files, None, &config);
        assert_eq!(lint_json(&files, &config), render::json(&report, ""));
        let v: Value = serde_json::from_str(&lint_json(&files, &config)).expect("json");
        assert_eq!(v["findings"][0]["code"], "CG005");
        assert_eq!(v["findings"][0]["line"], 6);
    }

    #[test]
    fn objects_are_judged_by_the_core_object_rules() {
        let c = Config::default();
        let repo = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "flux"}, "spec": {"url": "http://gitea.hfmp.openova.io/openova/flux.git"}});
        let got = object_findings_json(&repo, &c).expect("valid object");
        assert_eq!(got["findings"][0]["code"], "CG005");
        assert_eq!(got["findings"][0]["field"], "spec.url");
        let table = LocationTable::default();
        let core = objects::git_repository_url(
            "GitRepository `flux`",
            Some("http://gitea.hfmp.openova.io/openova/flux.git"),
            &objects::Settings::new(&table),
        );
        assert_eq!(got["findings"][0]["message"], core[0].message.as_str());
        let hr = json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "x"}, "spec": {"chart": {"spec": {"chart": "bp-x", "version": "v1.2.3"}}}});
        assert_eq!(
            object_findings_json(&hr, &c).expect("valid")["findings"],
            json!([])
        );
        let bp = json!({"apiVersion": "catalyst.openova.io/v1alpha1", "kind": "Blueprint",
            "metadata": {"name": "bp-x"}, "spec": {"version": "1.x"}});
        assert_eq!(
            object_findings_json(&bp, &c).expect("valid")["findings"][0]["code"],
            "CG012"
        );
        let err = object_findings_json(&json!({"kind": 5}), &c).unwrap_err();
        assert_eq!(err.field, "object.kind");
    }
}
