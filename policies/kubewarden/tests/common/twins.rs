//! The Kyverno and ValidatingAdmissionPolicy twins, read from their YAML and evaluated
//! with a Rust CEL interpreter (`cel`), with `params` bound to a params ConfigMap as
//! the API server and Kyverno bind it.

use std::path::Path;

use catalyst_guard_kubewarden::settings::Settings;
use catalyst_guard_kubewarden::twins;

/// One twin rule.
pub struct TwinRule {
    /// `kyverno` or `vap`.
    pub source: &'static str,
    /// The kind it validates.
    pub kind: String,
    /// The compiled expression.
    pub expression: cel::Program,
    /// Its text.
    pub expression_text: String,
    /// The compiled messageExpression.
    pub message_expression: cel::Program,
    /// The static message.
    pub message: String,
}

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("repository root")
}

/// The YAML documents of a text.
pub fn docs(text: &str) -> Vec<serde_json::Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| serde::Deserialize::deserialize(doc).expect("yaml"))
        .collect()
}

/// The YAML documents of a repository file.
pub fn file_docs(path: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    docs(&text)
}

fn compile(text: &str) -> cel::Program {
    cel::Program::compile(text).unwrap_or_else(|e| panic!("CEL does not parse: {e}\n{text}"))
}

/// The rules of a Kyverno ClusterPolicy and of ValidatingAdmissionPolicies, given as
/// YAML texts.
pub fn rules_from(kyverno: &str, vap: &str) -> Vec<TwinRule> {
    let mut out = Vec::new();
    for doc in docs(kyverno) {
        assert_eq!(doc["kind"], "ClusterPolicy");
        for rule in doc["spec"]["rules"].as_array().expect("rules") {
            let kind = rule["match"]["any"][0]["resources"]["kinds"][0]
                .as_str()
                .expect("kind")
                .rsplit('/')
                .next()
                .expect("kind name")
                .to_string();
            assert_eq!(rule["validate"]["failureAction"], "Enforce");
            for e in rule["validate"]["cel"]["expressions"]
                .as_array()
                .expect("expressions")
            {
                let text = e["expression"].as_str().expect("expression").to_string();
                out.push(TwinRule {
                    source: "kyverno",
                    kind: kind.clone(),
                    expression: compile(&text),
                    expression_text: text,
                    message_expression: compile(
                        e["messageExpression"].as_str().expect("messageExpression"),
                    ),
                    message: e["message"].as_str().expect("message").to_string(),
                });
            }
        }
    }
    for doc in docs(vap) {
        assert_eq!(doc["kind"], "ValidatingAdmissionPolicy");
        let resource = doc["spec"]["matchConstraints"]["resourceRules"][0]["resources"][0]
            .as_str()
            .expect("resource");
        let kind = match resource {
            "gitrepositories" => "GitRepository",
            "helmreleases" => "HelmRelease",
            "kustomizations" => "Kustomization",
            other => panic!("unexpected resource {other}"),
        };
        for v in doc["spec"]["validations"].as_array().expect("validations") {
            assert_eq!(
                v["reason"], "Forbidden",
                "403, as the Kubewarden policy answers"
            );
            let text = v["expression"].as_str().expect("expression").to_string();
            out.push(TwinRule {
                source: "vap",
                kind: kind.to_string(),
                expression: compile(&text),
                expression_text: text,
                message_expression: compile(
                    v["messageExpression"].as_str().expect("messageExpression"),
                ),
                message: v["message"].as_str().expect("message").to_string(),
            });
        }
    }
    out
}

/// The committed twins.
pub fn rules() -> Vec<TwinRule> {
    let read = |p: &str| std::fs::read_to_string(root().join(p)).expect("generated twin");
    rules_from(
        &read("policies/kyverno/clusterpolicy.yaml"),
        &read("policies/vap/policies.yaml"),
    )
}

/// The params ConfigMap generated for Kubewarden settings JSON (through its YAML
/// text, as deploy/admission/params.yaml is written).
pub fn params_for(settings: &serde_json::Value) -> serde_json::Value {
    let cfg = Settings::parse(settings.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let mut docs = docs(&twins::params_configmap(&cfg));
    assert_eq!(docs.len(), 1);
    docs.remove(0)
}

/// The CEL context of one request with `params` bound.
pub fn context(
    request: &serde_json::Value,
    params: &serde_json::Value,
) -> cel::Context<'static, 'static> {
    let mut ctx = cel::Context::default();
    for (name, value) in [
        ("object", &request["object"]),
        ("oldObject", &request["oldObject"]),
        ("request", request),
        ("params", params),
    ] {
        ctx.add_variable_from_value(name, cel::to_value(value).expect("JSON converts to CEL"));
    }
    ctx
}

/// Evaluates the twins of one `source` on an AdmissionRequest: `None` if admitted,
/// else the rule code of the first failing rule's message.
pub fn verdict(
    rules: &[TwinRule],
    source: &str,
    request: &serde_json::Value,
    params: &serde_json::Value,
) -> Option<String> {
    let kind = request["kind"]["kind"].as_str().unwrap_or_default();
    let ctx = context(request, params);
    let mut matched = false;
    for rule in rules
        .iter()
        .filter(|r| r.source == source && r.kind == kind)
    {
        matched = true;
        match rule.expression.execute(&ctx) {
            Ok(cel::Value::Bool(true)) => {}
            Ok(cel::Value::Bool(false)) => {
                // As the API server does: a messageExpression that fails to evaluate
                // (say, the field it quotes is absent) falls back to `message`.
                let message = match rule.message_expression.execute(&ctx) {
                    Ok(cel::Value::String(s)) => s.to_string(),
                    _ => rule.message.clone(),
                };
                return Some(message.split(' ').next().unwrap_or_default().to_string());
            }
            other => panic!(
                "{source}: {kind}: expression gave {other:?}\n{}",
                rule.expression_text
            ),
        }
    }
    assert!(matched, "{source} has no rule for {kind}");
    None
}
