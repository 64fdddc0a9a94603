//! Differential: the canonical Gitea URL rule (CG005) in Rust against its CEL twin,
//! the expression the Kyverno ClusterPolicy and the ValidatingAdmissionPolicy carry.
//!
//! Calls: `twins::cel_rules` (the generated CEL, compiled once with the `cel` crate
//! as policies/kubewarden/tests/parity.rs does, with `params` bound to the params
//! ConfigMap of the default settings, `twins::params`), `admission::validate` on a
//! GitRepository CREATE request, and `naming::check_gitea_url`.
//! Property: the twin admits a URL exactly when the policy does, and the policy
//! admits nothing the core's URL check rejects.
#![no_main]

use std::sync::OnceLock;

use catalyst_guard::naming::{LocationTable, check_gitea_url};
use catalyst_guard_kubewarden::admission;
use catalyst_guard_kubewarden::rules::BlueprintVersion;
use catalyst_guard_kubewarden::settings::Settings;
use catalyst_guard_kubewarden::twins;
use libfuzzer_sys::fuzz_target;

fn twin() -> &'static cel::Program {
    static PROGRAM: OnceLock<cel::Program> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let rule = twins::cel_rules()
            .into_iter()
            .find(|r| r.kind == "GitRepository")
            .expect("a GitRepository twin");
        cel::Program::compile(&rule.expression).expect("the twin's CEL compiles")
    })
}

/// The params ConfigMap the twins read at admission time, for the default settings
/// (the same settings the policy gets below).
fn params() -> &'static serde_json::Value {
    static PARAMS: OnceLock<serde_json::Value> = OnceLock::new();
    PARAMS.get_or_init(|| {
        let cfg = Settings::parse(b"{}").expect("the default settings");
        serde_json::json!({ "data": twins::params(&cfg) })
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(url) = std::str::from_utf8(data) else {
        return;
    };
    let request = serde_json::json!({
        "uid": "fuzz",
        "operation": "CREATE",
        "kind": {"group": "source.toolkit.fluxcd.io", "version": "v1", "kind": "GitRepository"},
        "namespace": "flux-system",
        "object": {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                   "metadata": {"name": "x", "namespace": "flux-system"}, "spec": {"url": url}},
        "oldObject": null,
    });
    let payload = serde_json::json!({"settings": {}, "request": request});
    let policy = admission::validate(
        &serde_json::to_vec(&payload).expect("json"),
        &mut |_: &str, _: Option<&str>| BlueprintVersion::Unknown,
    )
    .accepted;

    let mut ctx = cel::Context::default();
    for (name, value) in [
        ("object", &request["object"]),
        ("oldObject", &request["oldObject"]),
        ("request", &request),
        ("params", params()),
    ] {
        ctx.add_variable_from_value(name, cel::to_value(value).expect("JSON converts to CEL"));
    }
    let cel = match twin().execute(&ctx) {
        Ok(cel::Value::Bool(b)) => b,
        other => panic!("the twin gave {other:?} for {url:?}"),
    };
    assert_eq!(cel, policy, "twin and policy disagree on {url:?}");
    if policy {
        assert!(
            check_gitea_url(url, &LocationTable::default()).is_ok(),
            "admitted {url:?} that the core rejects"
        );
    }
});
