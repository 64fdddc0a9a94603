//! The built, annotated module run end to end the way policy-server runs it (waPC over
//! wasmtime, a fresh instance per evaluation, the Kubernetes host capability answered
//! by the host): `protocol_version`, `validate_settings` and `validate` on every
//! fixture, hostile payloads that must be rejected without trapping, and the
//! `io.kubewarden.metadata` section read back from the module.
//!
//! Needs `cargo xtask policies build` (run by `cargo xtask test`) first.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

mod common;

use std::sync::{Arc, OnceLock};

use common::harness::{Cluster, Policy, wasm_path};

/// The module is compiled once per test binary (and cached on disk across runs).
fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let path = wasm_path().unwrap_or_else(|e| panic!("{e}"));
        Policy::load(&path).unwrap_or_else(|e| panic!("cannot load {}: {e:#}", path.display()))
    })
}

fn empty_cluster() -> Arc<Cluster> {
    Cluster::with(Default::default())
}

#[test]
fn protocol_version_is_v1_and_the_annotation_agrees() {
    let instance = policy().instantiate(empty_cluster()).expect("instantiates");
    let answer = instance
        .call("protocol_version", b"")
        .expect("protocol_version");
    assert_eq!(answer, br#""v1""#);
    let metadata = embedded_metadata();
    assert_eq!(metadata["protocolVersion"], "v1");
}

#[test]
fn every_case_gets_its_verdict_through_the_module() {
    let cases = common::cases();
    for case in &cases {
        let cluster = Cluster::with(case.cluster.clone());
        let instance = policy().instantiate(cluster.clone()).expect("instantiates");
        let settings = serde_json::to_vec(&case.settings_json()).expect("json");
        let verdict = instance
            .validate_settings(&settings)
            .expect("validate_settings");
        assert_eq!(
            verdict.valid,
            case.code != Some(500),
            "{}: validate_settings: {:?}",
            case.name,
            verdict.message
        );
        let response = instance
            .validate(&case.payload())
            .unwrap_or_else(|e| panic!("{}: {e:#}", case.name));
        case.check(&response, "wasm");
        let calls = cluster.calls.lock().expect("calls").clone();
        let asked: Vec<String> = calls
            .iter()
            .map(|call| {
                let (op, payload) = call.split_once(' ').expect("op and payload");
                assert_eq!(op, "kubewarden/kubernetes/get_resource", "{}", case.name);
                let req: serde_json::Value = serde_json::from_str(payload).expect("json");
                assert_eq!(req["api_version"], "catalyst.openova.io/v1alpha1");
                assert_eq!(req["kind"], "Blueprint");
                assert_eq!(
                    req["field_masks"],
                    serde_json::json!(["metadata.name", "spec.version"])
                );
                req["name"].as_str().unwrap_or_default().to_string()
            })
            .collect();
        assert_eq!(asked, case.lookups, "wasm: {}: lookups", case.name);
    }
}

#[test]
fn validate_settings_names_the_bad_field() {
    let instance = policy().instantiate(empty_cluster()).expect("instantiates");
    for (settings, message) in [
        (
            r#"{"allowedOrgs":["Acme"]}"#,
            "invalid settings: `allowedOrgs[0]`: `Acme` does not match `^[a-z][a-z0-9-]{2,31}$`",
        ),
        (
            r#"{"blueprintVersions":{"bp-flux":">=1"}}"#,
            "invalid settings: `blueprintVersions.bp-flux`: `>=1` is not an exact version such as `1.2.3`",
        ),
        (
            r#"{"locationCodes":{"regions":{"q":{"x":"Nowhere"}}}}"#,
            "invalid settings: `locationCodes.regions.q`: unknown provider `q` (add it under `locationCodes.providers`)",
        ),
        (
            r#"{"contextAware":"yes"}"#,
            "invalid settings: `contextAware`: invalid type: string \"yes\", expected a boolean at line 1 column 21",
        ),
        (
            "not json",
            "invalid settings: expected ident at line 1 column 2",
        ),
    ] {
        let verdict = instance
            .validate_settings(settings.as_bytes())
            .expect("no trap");
        assert!(!verdict.valid, "{settings}");
        assert_eq!(verdict.message.as_deref(), Some(message), "{settings}");
    }
    let verdict = instance
        .validate_settings(br#"{"contextAware":true,"blueprintNamespace":"catalyst"}"#)
        .expect("no trap");
    assert!(verdict.valid, "{:?}", verdict.message);
}

/// Payloads no API server sends: each must come back as a rejection with a short
/// message, never as a trap or a guest error, and leave the instance usable.
#[test]
fn hostile_payloads_are_rejected_without_trapping() {
    let huge = "a".repeat(8 << 20);
    let deep_arrays = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let deep_maps = format!("{}1{}", r#"{"a":"#.repeat(200_000), "}".repeat(200_000));
    let gitrepo = |spec: &str| {
        format!(
            r#"{{"settings":{{}},"request":{{"operation":"CREATE","kind":{{"group":"source.toolkit.fluxcd.io","version":"v1","kind":"GitRepository"}},"object":{{"metadata":{{"name":"x"}},"spec":{spec}}}}}}}"#
        )
    };
    let payloads: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("invalid utf-8", vec![0xff, 0xfe, b'{', 0x80]),
        ("binary noise", (0..=255u8).cycle().take(4096).collect()),
        ("json null", b"null".to_vec()),
        ("json array", b"[1,2,3]".to_vec()),
        ("request is a string", br#"{"request":"x"}"#.to_vec()),
        ("huge url", gitrepo(&format!(r#"{{"url":"https://gitea.hfmp.openova.io/{huge}.git"}}"#)).into_bytes()),
        ("huge name", format!(r#"{{"request":{{"operation":"CREATE","kind":{{"group":"x","version":"v1","kind":"{huge}"}},"object":{{}}}}}}"#).into_bytes()),
        ("huge wrongly typed value", gitrepo(&format!(r#"{{"url":{{"{huge}":1}}}}"#)).into_bytes()),
        ("deep arrays", gitrepo(&format!(r#"{{"url":{deep_arrays}}}"#)).into_bytes()),
        ("deep maps where nothing is read", gitrepo(&format!(r#"{{"other":{deep_maps}}}"#)).into_bytes()),
        ("truncated", gitrepo(r#"{"url":"https://gitea.hfmp.openova.io/openova/flux.git"}"#).into_bytes()[..120].to_vec()),
    ];
    let instance = policy().instantiate(empty_cluster()).expect("instantiates");
    for (what, payload) in &payloads {
        let response = instance
            .validate(payload)
            .unwrap_or_else(|e| panic!("{what}: trapped or errored: {e:#}"));
        assert!(!response.accepted, "{what}");
        let message = response.message.unwrap_or_default();
        assert!(
            !message.is_empty() && message.len() <= 4200,
            "{what}: {} bytes",
            message.len()
        );
        // Still usable afterwards.
        let ok = instance
            .validate(common::cases()[0].payload().as_slice())
            .unwrap_or_else(|e| panic!("after {what}: {e:#}"));
        assert!(ok.accepted, "after {what}");
        let settings = instance
            .validate_settings(payload)
            .unwrap_or_else(|e| panic!("settings {what}: {e:#}"));
        assert!(
            !settings.valid || matches!(*what, "json null"),
            "settings {what}"
        );
    }
}

#[test]
fn an_unknown_function_is_an_error_reported_by_the_guest() {
    let instance = policy().instantiate(empty_cluster()).expect("instantiates");
    let err = instance.call("mutate", b"{}").unwrap_err();
    assert!(
        format!("{err:#}").contains("No handler registered for function mutate"),
        "{err:#}"
    );
}

fn embedded_metadata() -> serde_json::Value {
    let bytes = std::fs::read(wasm_path().expect("built")).expect("readable");
    let mut found = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let wasmparser::Payload::CustomSection(section) = payload.expect("valid module")
            && section.name() == "io.kubewarden.metadata"
        {
            found.push(section.data().to_vec());
        }
    }
    assert_eq!(found.len(), 1, "exactly one metadata section");
    serde_json::from_slice(&found[0]).expect("the section is JSON")
}

#[test]
fn the_metadata_section_is_metadata_yml_plus_the_protocol_version() {
    let yaml = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("metadata.yml"),
    )
    .expect("metadata.yml");
    let mut want: serde_json::Value = serde_yaml::from_str(&yaml).expect("metadata.yml parses");
    want["protocolVersion"] = "v1".into();
    assert_eq!(embedded_metadata(), want);
}

#[test]
fn the_module_exports_the_wapc_entry_points_and_fits_the_size_budget() {
    let bytes = std::fs::read(wasm_path().expect("built")).expect("readable");
    assert!(
        bytes.len() <= 1536 * 1024,
        "{} bytes is over the 1.5 MiB budget",
        bytes.len()
    );
    let mut exports = Vec::new();
    let mut imports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        match payload.expect("valid module") {
            wasmparser::Payload::ExportSection(reader) => {
                for export in reader {
                    exports.push(export.expect("export").name.to_string());
                }
            }
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.expect("import");
                    imports.push(import.module.to_string());
                }
            }
            _ => {}
        }
    }
    for name in ["wapc_init", "__guest_call", "memory"] {
        assert!(
            exports.iter().any(|e| e == name),
            "exports {name}: {exports:?}"
        );
    }
    imports.sort();
    imports.dedup();
    assert_eq!(
        imports,
        ["wapc", "wasi_snapshot_preview1"],
        "imports only waPC and WASI"
    );
}
