//! Packaging stays consistent: `artifacthub-pkg.yml` with `metadata.yml` (the fields
//! `kwctl scaffold artifacthub` derives from it), the ClusterAdmissionPolicy in
//! `deploy/admission/` with the metadata and the settings grammar, and the generated
//! Kyverno / ValidatingAdmissionPolicy files with their generator.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

use std::path::{Path, PathBuf};
use std::process::Command;

use catalyst_guard_kubewarden::package::Metadata;
use catalyst_guard_kubewarden::settings::Settings;
use catalyst_guard_kubewarden::twins;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("repository root")
        .to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Value {
    serde_yaml::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn metadata() -> (Metadata, Value) {
    let text = read("policies/kubewarden/metadata.yml");
    let typed = Metadata::from_yaml(&text).expect("metadata.yml is valid");
    typed
        .validate()
        .expect("metadata.yml passes kwctl's checks");
    (typed, serde_yaml::from_str(&text).expect("yaml"))
}

#[test]
fn metadata_declares_what_the_policy_needs() {
    let (md, _) = metadata();
    assert!(!md.mutating);
    assert!(md.background_audit);
    assert_eq!(md.execution_mode, "kubewarden-wapc");
    assert_eq!(
        md.context_aware_resources,
        [catalyst_guard_kubewarden::package::ContextAwareResource {
            api_version: catalyst_guard_kubewarden::objects::BLUEPRINT_API_VERSION.into(),
            kind: "Blueprint".into(),
        }]
    );
    let resources: Vec<&str> = md
        .rules
        .iter()
        .flat_map(|r| r.resources.iter().map(String::as_str))
        .collect();
    assert_eq!(
        resources,
        [
            "gitrepositories",
            "helmreleases",
            "kustomizations",
            "blueprints"
        ]
    );
    for key in [
        "io.kubewarden.policy.title",
        "io.kubewarden.policy.version",
        "io.kubewarden.policy.description",
        "io.kubewarden.policy.author",
        "io.kubewarden.policy.url",
        "io.kubewarden.policy.source",
        "io.kubewarden.policy.license",
        "io.kubewarden.policy.usage",
        "io.kubewarden.policy.ociUrl",
        "io.kubewarden.policy.category",
        "io.kubewarden.policy.severity",
        "io.artifacthub.displayName",
        "io.artifacthub.resources",
        "io.artifacthub.keywords",
    ] {
        assert!(md.annotations.contains_key(key), "metadata.yml lacks {key}");
    }
    assert_eq!(
        md.annotations["io.kubewarden.policy.version"],
        env!("CARGO_PKG_VERSION"),
        "the policy version is the crate version"
    );
}

#[test]
fn artifacthub_package_mirrors_metadata() {
    let (md, raw) = metadata();
    let a = |k: &str| md.annotations[k].clone();
    let pkg = yaml("artifacthub-pkg.yml");
    let version = a("io.kubewarden.policy.version");
    let source = a("io.kubewarden.policy.source");
    assert_eq!(pkg["version"], version.as_str());
    assert_eq!(pkg["name"], a("io.kubewarden.policy.title").as_str());
    assert_eq!(pkg["displayName"], a("io.artifacthub.displayName").as_str());
    assert_eq!(
        pkg["description"],
        a("io.kubewarden.policy.description").as_str()
    );
    assert_eq!(pkg["license"], a("io.kubewarden.policy.license").as_str());
    assert_eq!(pkg["homeURL"], a("io.kubewarden.policy.url").as_str());
    assert!(
        pkg["createdAt"]
            .as_str()
            .is_some_and(|t| t.len() == 20 && t.ends_with('Z')),
        "createdAt is RFC 3339 UTC"
    );
    assert_eq!(
        pkg["containersImages"],
        serde_json::json!([{"name": "policy", "image": format!("{}:v{version}", a("io.kubewarden.policy.ociUrl"))}])
    );
    let keywords: Vec<String> = a("io.artifacthub.keywords")
        .split(',')
        .map(|k| k.trim().to_string())
        .collect();
    assert_eq!(pkg["keywords"], serde_json::json!(keywords));
    assert_eq!(
        pkg["links"],
        serde_json::json!([
            {"name": "policy", "url": format!("{source}/releases/download/v{version}/policy.wasm")},
            {"name": "source", "url": source},
        ])
    );
    assert_eq!(pkg["provider"]["name"], "kubewarden");
    assert_eq!(
        pkg["recommendations"][0]["url"],
        "https://artifacthub.io/packages/helm/kubewarden/kubewarden-controller"
    );
    let ann = &pkg["annotations"];
    assert_eq!(ann["kubewarden/mutation"], md.mutating.to_string().as_str());
    assert_eq!(
        ann["kubewarden/resources"],
        a("io.artifacthub.resources").as_str()
    );
    let embedded = |key: &str| -> Value {
        serde_yaml::from_str(
            ann[key]
                .as_str()
                .unwrap_or_else(|| panic!("{key} is a string")),
        )
        .unwrap_or_else(|e| panic!("{key}: {e}"))
    };
    assert_eq!(embedded("kubewarden/rules"), raw["rules"]);
    assert_eq!(
        embedded("kubewarden/contextAwareResources"),
        raw["contextAwareResources"]
    );
    assert_eq!(pkg["readme"], a("io.kubewarden.policy.usage").as_str());
}

#[test]
fn cluster_admission_policy_matches_metadata_and_its_settings_are_valid() {
    let (_, raw) = metadata();
    let cap = yaml("deploy/admission/clusteradmissionpolicy.yaml");
    assert_eq!(cap["apiVersion"], "policies.kubewarden.io/v1");
    assert_eq!(cap["kind"], "ClusterAdmissionPolicy");
    let spec = &cap["spec"];
    assert_eq!(spec["rules"], raw["rules"]);
    assert_eq!(spec["mutating"], raw["mutating"]);
    assert_eq!(spec["backgroundAudit"], raw["backgroundAudit"]);
    assert_eq!(spec["contextAwareResources"], raw["contextAwareResources"]);
    assert_eq!(spec["mode"], "protect");
    let oci = raw["annotations"]["io.kubewarden.policy.ociUrl"]
        .as_str()
        .expect("ociUrl");
    let version = raw["annotations"]["io.kubewarden.policy.version"]
        .as_str()
        .expect("version");
    assert_eq!(
        spec["module"],
        format!("registry://{oci}:v{version}").as_str()
    );
    let settings = serde_json::to_vec(&spec["settings"]).expect("json");
    let cfg = Settings::parse(&settings).unwrap_or_else(|e| panic!("deployed settings: {e}"));
    assert!(
        cfg.context_aware,
        "the deployed policy checks lockstep against the cluster"
    );
}

#[test]
fn the_admission_kustomization_renders() {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(root().join("deploy/admission"))
        .output()
        .expect("kubectl is installed (`cargo xtask test` installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rendered: Vec<Value> = serde_yaml::Deserializer::from_slice(&out.stdout)
        .map(|d| serde::Deserialize::deserialize(d).expect("yaml"))
        .collect();
    let kinds: Vec<&str> = rendered
        .iter()
        .map(|d| d["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["ConfigMap", "ClusterAdmissionPolicy"]);
    for doc in &rendered {
        assert_eq!(
            doc["metadata"]["labels"]["app.kubernetes.io/component"],
            "admission"
        );
    }
    let params = &rendered[0];
    assert_eq!(params["metadata"]["name"], twins::PARAMS_NAME);
    assert_eq!(params["metadata"]["namespace"], twins::PARAMS_NAMESPACE);
}

#[test]
fn generated_twins_params_and_settings_are_current() {
    let cases = twins::read_case_table(&root()).unwrap_or_else(|e| panic!("{e}"));
    let files = twins::files(twins::SETTINGS_PATH, &read(twins::SETTINGS_PATH), &cases)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(files.len(), 9);
    for file in files {
        let on_disk = read(file.path);
        assert!(
            on_disk == file.text,
            "{} is stale: run `cargo xtask gen-policies`",
            file.path
        );
    }
}

#[test]
fn twins_are_well_formed_admission_objects() {
    let docs = |path: &str| -> Vec<Value> {
        let text = read(path);
        serde_yaml::Deserializer::from_str(&text)
            .map(|d| serde::Deserialize::deserialize(d).expect("yaml"))
            .collect()
    };
    let policies = docs("policies/vap/policies.yaml");
    let bindings = docs("policies/vap/bindings.yaml");
    assert_eq!(policies.len(), 3);
    assert_eq!(bindings.len(), 3);
    for (policy, binding) in policies.iter().zip(&bindings) {
        assert_eq!(policy["kind"], "ValidatingAdmissionPolicy");
        assert_eq!(binding["kind"], "ValidatingAdmissionPolicyBinding");
        assert_eq!(binding["spec"]["policyName"], policy["metadata"]["name"]);
        assert_eq!(
            binding["spec"]["validationActions"],
            serde_json::json!(["Deny"])
        );
        assert_eq!(policy["spec"]["failurePolicy"], "Fail");
        let param_kind = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap"});
        assert_eq!(policy["spec"]["paramKind"], param_kind);
        assert_eq!(binding["spec"]["paramRef"]["name"], twins::PARAMS_NAME);
        assert_eq!(
            binding["spec"]["paramRef"]["namespace"],
            twins::PARAMS_NAMESPACE
        );
        assert_eq!(
            binding["spec"]["paramRef"]["parameterNotFoundAction"],
            "Deny"
        );
    }
    let kyverno = docs("policies/kyverno/clusterpolicy.yaml");
    assert_eq!(kyverno.len(), 1);
    assert_eq!(kyverno[0]["apiVersion"], "kyverno.io/v1");
    let rules = kyverno[0]["spec"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 3);
    for rule in rules {
        let cel = &rule["validate"]["cel"];
        assert_eq!(cel["paramKind"]["kind"], "ConfigMap");
        assert_eq!(cel["paramRef"]["name"], twins::PARAMS_NAME);
        assert_eq!(cel["paramRef"]["namespace"], twins::PARAMS_NAMESPACE);
    }
}

#[test]
fn kyverno_test_suites_follow_the_test_schema_and_replay_the_case_table() {
    let schema: Value = serde_json::from_str(&read("tests/schemas/kyverno-test-v1alpha1.json"))
        .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let cases = twins::read_case_table(&root()).unwrap_or_else(|e| panic!("{e}"));
    assert!(cases.len() >= 20, "only {} cases", cases.len());
    for (dir, policies) in [
        ("policies/kyverno", vec!["clusterpolicy.yaml"]),
        ("policies/vap", vec!["policies.yaml", "bindings.yaml"]),
    ] {
        let suite = yaml(&format!("{dir}/kyverno-test.yaml"));
        let errors: Vec<String> = validator
            .iter_errors(&suite)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{dir}: {errors:#?}");
        // Every file the suite names exists next to it.
        let named = suite["policies"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(suite["resources"].as_array().into_iter().flatten())
            .chain(suite["paramResources"].as_array().into_iter().flatten());
        for file in named {
            let path = root().join(dir).join(file.as_str().expect("file name"));
            assert!(path.is_file(), "{dir}: {} does not exist", path.display());
        }
        assert_eq!(
            suite["policies"],
            serde_json::json!(policies),
            "{dir}: policies"
        );
        // One result per case, with the case table's verdict.
        let results = suite["results"].as_array().expect("results");
        assert_eq!(results.len(), cases.len(), "{dir}");
        for (result, case) in results.iter().zip(&cases) {
            let want = if case.allowed { "pass" } else { "fail" };
            assert_eq!(result["result"], want, "{dir}: {}", case.name);
            assert_eq!(result["kind"], case.object["kind"], "{dir}: {}", case.name);
        }
        // Each named resource is in resources.yaml.
        let resources = read(&format!("{dir}/resources.yaml"));
        let docs: Vec<Value> = serde_yaml::Deserializer::from_str(&resources)
            .map(|d| serde::Deserialize::deserialize(d).expect("yaml"))
            .collect();
        for result in results {
            let name = &result["resources"][0];
            assert!(
                docs.iter()
                    .any(|d| &d["metadata"]["name"] == name && d["kind"] == result["kind"]),
                "{dir}: no resource {name}"
            );
        }
    }
}
