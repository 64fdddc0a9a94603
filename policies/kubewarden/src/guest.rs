//! The waPC glue: registers the three functions policy-server calls and wires the
//! context-aware Blueprint lookup to the SDK's Kubernetes host capability.
//!
//! Only compiled for `wasm32`; everything it calls is tested natively, and the built
//! module is exercised end to end through the same waPC runtime policy-server uses.

use std::collections::BTreeSet;

use kubewarden_policy_sdk::host_capabilities::kubernetes::{GetResourceRequest, get_resource};
use kubewarden_policy_sdk::wapc_guest::{self as guest, CallResult};

use crate::admission;
use crate::objects::{BLUEPRINT_API_VERSION, Blueprint};
use crate::rules::BlueprintVersion;

/// Called by the waPC host once per instance, before any function.
#[expect(
    unsafe_code,
    reason = "a waPC guest must export `wapc_init`; exporting a symbol is an unsafe attribute"
)]
#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    guest::register_function("validate", validate);
    guest::register_function("validate_settings", validate_settings);
    guest::register_function(
        "protocol_version",
        kubewarden_policy_sdk::protocol_version_guest,
    );
}

fn validate(payload: &[u8]) -> CallResult {
    let response = admission::validate(payload, &mut cluster_blueprint);
    Ok(serde_json::to_vec(&response)?)
}

fn validate_settings(payload: &[u8]) -> CallResult {
    Ok(serde_json::to_vec(&admission::validate_settings(payload))?)
}

/// Reads Blueprint `name` through policy-server (which enforces that the policy
/// declared Blueprints in `contextAwareResources`). Only `spec.version` is asked for.
fn cluster_blueprint(name: &str, namespace: Option<&str>) -> BlueprintVersion {
    let request = GetResourceRequest {
        api_version: BLUEPRINT_API_VERSION.to_string(),
        kind: "Blueprint".to_string(),
        name: name.to_string(),
        namespace: namespace.map(str::to_string),
        disable_cache: false,
        field_masks: Some(BTreeSet::from([
            "metadata.name".to_string(),
            "spec.version".to_string(),
        ])),
    };
    admission::blueprint_version(
        name,
        get_resource::<Blueprint>(&request).map_err(|e| e.to_string()),
    )
}
