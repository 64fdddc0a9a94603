//! The admission policy's `validate` and `validate_settings`, natively: the same
//! functions the waPC guest calls with the bytes policy-server passes
//! (`{"settings": ..., "request": AdmissionRequest}`).
//!
//! Calls: `catalyst_guard_kubewarden::admission::validate` (with a deterministic
//! Blueprint source standing in for the cluster), `admission::validate_settings`.
//! Property: a verdict, never a panic (a trap in the module); a rejection carries
//! 400, 403 or 500 and a bounded message, an admission neither; the same verdict twice;
//! each Blueprint is looked up at most once per request; the response serialises
//! for the waPC reply.
#![no_main]

use catalyst_guard_kubewarden::admission;
use catalyst_guard_kubewarden::rules::BlueprintVersion;
use libfuzzer_sys::fuzz_target;

/// The cluster: Blueprints named `bp-*` exist at a version that depends on the name;
/// every other lookup fails as a missing Blueprint does.
fn lookup(name: &str) -> BlueprintVersion {
    match (name.strip_prefix("bp-"), name.len() % 3) {
        (Some(_), 0) => BlueprintVersion::Known("1.2.3".to_string()),
        (Some(_), 1) => BlueprintVersion::Known(format!("0.{}.0", name.len())),
        (Some(_), _) => {
            BlueprintVersion::Failed(format!("Blueprint `{name}` has no `spec.version`"))
        }
        (None, _) => BlueprintVersion::Failed(format!(
            "cannot read Blueprint `{name}` from the cluster: blueprints.catalyst.openova.io \"{name}\" not found"
        )),
    }
}

fn run(data: &[u8]) -> (String, Vec<String>) {
    let mut asked: Vec<String> = Vec::new();
    let response = admission::validate(data, &mut |name: &str, _ns: Option<&str>| {
        asked.push(name.to_string());
        lookup(name)
    });
    if response.accepted {
        assert!(
            response.code.is_none(),
            "admitted with a code: {response:?}"
        );
    } else {
        assert!(
            matches!(response.code, Some(400 | 403 | 500)),
            "rejected with {:?}",
            response.code
        );
        let message = response.message.as_deref().unwrap_or_default();
        assert!(!message.is_empty(), "rejected without a message");
        assert!(
            message.len() <= 4096 + 64,
            "message of {} bytes",
            message.len()
        );
    }
    assert!(
        response.mutated_object.is_none(),
        "the policy never mutates"
    );
    let json = serde_json::to_string(&response).expect("the response serialises");
    (json, asked)
}

fuzz_target!(|data: &[u8]| {
    let (first, asked) = run(data);
    let (second, _) = run(data);
    assert_eq!(first, second, "a different verdict the second time");
    let mut unique = asked.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        asked.len(),
        "a Blueprint looked up twice: {asked:?}"
    );

    let settings = admission::validate_settings(data);
    assert!(
        settings.valid || settings.message.as_deref().is_some_and(|m| !m.is_empty()),
        "invalid settings without a message"
    );
});
