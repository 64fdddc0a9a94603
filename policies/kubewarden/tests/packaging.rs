//! Packaging stays consistent: `artifacthub-pkg.yml` with `metadata.yml` (the fields
//! `kwctl scaffold artifacthub` derives from it), the ClusterAdmissionPolicy in
//! `deploy/admission/` with the metadata and the settings grammar, and the generated
//! Kyverno / ValidatingAdmissionPolicy files with their generator.

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
    let rendered: Value = serde_yaml::from_slice(&out.stdout).expect("one document");
    assert_eq!(rendered["kind"], "ClusterAdmissionPolicy");
    assert_eq!(
        rendered["metadata"]["labels"]["app.kubernetes.io/component"],
        "admission"
    );
}

#[test]
fn generated_twins_are_current() {
    for file in twins::files() {
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
    }
    let kyverno = docs("policies/kyverno/clusterpolicy.yaml");
    assert_eq!(kyverno.len(), 1);
    assert_eq!(kyverno[0]["apiVersion"], "kyverno.io/v1");
    assert_eq!(
        kyverno[0]["spec"]["rules"].as_array().map(Vec::len),
        Some(3)
    );
}
