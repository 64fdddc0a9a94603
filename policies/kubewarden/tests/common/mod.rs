//! Shared by the integration tests and the benchmark: the admission fixtures in
//! `test_data/` and the verdict each must get (`test_data/cases.yaml`), plus the
//! waPC harness that runs the built module.

#![allow(
    dead_code,
    reason = "each test target uses a different part of this module"
)]

pub mod harness;
pub mod twins;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use catalyst_guard_kubewarden::admission;
use catalyst_guard_kubewarden::objects::Blueprint;
use catalyst_guard_kubewarden::rules::BlueprintVersion;
use kubewarden_policy_sdk::response::ValidationResponse;
use serde::Deserialize;

/// `test_data/`.
pub fn test_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data")
}

/// One fixture with its expected verdict.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case shows, as a sentence.
    pub name: String,
    /// The AdmissionRequest (`.json`) or a raw payload (any other extension) in
    /// `test_data/requests/`.
    pub request: String,
    /// Policy settings (default: none).
    #[serde(default)]
    pub settings: serde_json::Value,
    /// Blueprints in the cluster: name -> `spec.version` (null: no version).
    #[serde(default)]
    pub cluster: BTreeMap<String, Option<String>>,
    /// Expected `accepted`.
    pub allowed: bool,
    /// Expected `code`.
    #[serde(default)]
    pub code: Option<u16>,
    /// Expected `message`, exactly.
    #[serde(default)]
    pub message: Option<String>,
    /// Expected `warnings`, exactly.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Blueprints the policy must look up in the cluster, in order.
    #[serde(default)]
    pub lookups: Vec<String>,
    /// Evaluated against the Kyverno and ValidatingAdmissionPolicy twins too.
    #[serde(default)]
    pub twins: bool,
}

/// Every case.
pub fn cases() -> Vec<Case> {
    let path = test_data().join("cases.yaml");
    let text = std::fs::read_to_string(&path).expect("test_data/cases.yaml is readable");
    serde_yaml::from_str(&text).expect("test_data/cases.yaml is well formed")
}

impl Case {
    /// The bytes policy-server would pass to `validate`: `{"settings", "request"}`
    /// for a JSON fixture, the file itself otherwise.
    pub fn payload(&self) -> Vec<u8> {
        let path = test_data().join("requests").join(&self.request);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if !self.request.ends_with(".json") {
            return bytes;
        }
        let request: serde_json::Value =
            serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", self.request));
        serde_json::to_vec(&serde_json::json!({
            "settings": self.settings_json(),
            "request": request,
        }))
        .expect("serialisable")
    }

    /// The settings as policy-server passes them (`{}` when none are given).
    pub fn settings_json(&self) -> serde_json::Value {
        if self.settings.is_null() {
            serde_json::json!({})
        } else {
            self.settings.clone()
        }
    }

    /// The request fixture as JSON (panics for raw payloads).
    pub fn request_json(&self) -> serde_json::Value {
        let path = test_data().join("requests").join(&self.request);
        serde_json::from_slice(&std::fs::read(&path).expect("fixture")).expect("JSON fixture")
    }

    /// Asserts that `got` is this case's verdict.
    pub fn check(&self, got: &ValidationResponse, via: &str) {
        let name = &self.name;
        assert_eq!(
            got.accepted, self.allowed,
            "{via}: {name}: accepted ({:?})",
            got.message
        );
        assert_eq!(got.code, self.code, "{via}: {name}: code");
        assert_eq!(got.message, self.message, "{via}: {name}: message");
        assert_eq!(
            got.warnings.clone().unwrap_or_default(),
            self.warnings,
            "{via}: {name}: warnings"
        );
        assert!(got.mutated_object.is_none(), "{via}: {name}: never mutates");
    }

    /// The answer the in-memory cluster gives for a Blueprint, as the policy sees it
    /// natively (the same rendering the module applies to the host's answer).
    pub fn lookup(&self, name: &str) -> BlueprintVersion {
        let result = match self.cluster.get(name) {
            Some(version) => Ok(Blueprint {
                spec: Some(catalyst_guard_kubewarden::objects::BlueprintSpec {
                    version: version.clone(),
                }),
                ..Blueprint::default()
            }),
            None => Err(format!(
                "error invoking host capability kubernetes.get_resource: Host error: blueprints.catalyst.openova.io \"{name}\" not found"
            )),
        };
        admission::blueprint_version(name, result)
    }

    /// Runs the case natively (no WebAssembly), returning the response and lookups.
    pub fn run_native(&self) -> (ValidationResponse, Vec<String>) {
        let mut asked = Vec::new();
        let response =
            admission::validate(&self.payload(), &mut |name: &str, _ns: Option<&str>| {
                asked.push(name.to_string());
                self.lookup(name)
            });
        (response, asked)
    }
}

/// The Kubewarden verdict on an AdmissionRequest, natively (e2e.rs proves the module
/// gives the same): `None` if admitted, else the first rule code of the message.
/// Lockstep lookups answer "unknown".
pub fn native_verdict(settings: &serde_json::Value, request: &serde_json::Value) -> Option<String> {
    let payload = serde_json::json!({"settings": settings, "request": request});
    let response = admission::validate(
        &serde_json::to_vec(&payload).expect("json"),
        &mut |_: &str, _: Option<&str>| BlueprintVersion::Unknown,
    );
    if response.accepted {
        None
    } else {
        response
            .message
            .map(|m| m.split(' ').next().unwrap_or_default().to_string())
    }
}
