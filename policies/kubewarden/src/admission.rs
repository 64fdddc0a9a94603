//! The `validate` and `validate_settings` entry points, minus the waPC glue: bytes in,
//! a Kubewarden response out, for any input.
//!
//! Every failure to understand a request is a rejection with a message saying what
//! was wrong with it, never an `Err` (which policy-server reports as a policy fault)
//! and never a panic (which traps the WebAssembly instance). Messages never echo more
//! than a bounded slice of the input, so a hostile payload cannot make a huge reply.
//!
//! Reading the request is `request.rs`; the answers and their bounds are
//! `response.rs`; on UPDATE, letting through what the old object already had is
//! `update.rs`. What stays here is the order: read, check the object, forgive the
//! old object's violations, answer.

mod request;
mod response;
mod update;

use std::collections::HashMap;

use kubewarden_policy_sdk::response::ValidationResponse;
use kubewarden_policy_sdk::settings::SettingsValidationResponse;

use crate::objects::{Kind, Object};
use crate::rules::{self, BlueprintVersion, Findings, Violation, clip};
use crate::settings::{Config, Settings};
use request::Early;
pub use response::{CODE_MALFORMED, CODE_SETTINGS, CODE_VIOLATION};
use response::{accept, cap, clip_error, reject, response};

/// Reads a Blueprint's version from wherever the caller can (the cluster, in the
/// policy; a table, in tests). Called at most once per chart name per request.
pub trait BlueprintSource {
    /// The version of Blueprint `name`.
    fn version(&mut self, name: &str, namespace: Option<&str>) -> BlueprintVersion;
}

impl<F: FnMut(&str, Option<&str>) -> BlueprintVersion> BlueprintSource for F {
    fn version(&mut self, name: &str, namespace: Option<&str>) -> BlueprintVersion {
        self(name, namespace)
    }
}

/// What a cluster lookup of Blueprint `name` means for lockstep. `result` is the
/// SDK's answer, its error already rendered; the SDK's and waPC's wrapping
/// ("error invoking host capability ...: Host error: ") is dropped so the message
/// shows what the cluster said.
pub fn blueprint_version(
    name: &str,
    result: Result<crate::objects::Blueprint, String>,
) -> BlueprintVersion {
    match result {
        Ok(bp) => match bp.version() {
            Some(v) => BlueprintVersion::Known(v.to_string()),
            None => BlueprintVersion::Failed(format!("Blueprint `{name}` has no `spec.version`")),
        },
        Err(e) => {
            let e = e
                .strip_prefix("error invoking host capability kubernetes.get_resource: ")
                .unwrap_or(&e);
            let e = e.strip_prefix("Host error: ").unwrap_or(e);
            BlueprintVersion::Failed(format!(
                "cannot read Blueprint `{name}` from the cluster: {e}"
            ))
        }
    }
}

/// `validate_settings`: are these settings usable?
pub fn validate_settings(payload: &[u8]) -> SettingsValidationResponse {
    match Settings::parse(payload) {
        Ok(_) => SettingsValidationResponse {
            valid: true,
            message: None,
        },
        Err(e) => SettingsValidationResponse {
            valid: false,
            message: Some(cap(format!(
                "invalid settings: {}",
                clip_error(&e.to_string())
            ))),
        },
    }
}

/// `validate`: admit or reject one request. `blueprints` is asked only in
/// context-aware mode, at most once per chart name.
pub fn validate(payload: &[u8], blueprints: &mut dyn BlueprintSource) -> ValidationResponse {
    let req = match request::read(payload) {
        Ok(req) => req,
        Err(Early::Accept) => return accept(Vec::new()),
        Err(Early::Reject(code, message)) => return reject(code, message),
    };
    let subject = subject(req.kind, req.namespace.as_deref(), req.name.as_deref());

    let mut cache: HashMap<String, BlueprintVersion> = HashMap::new();
    let bp_namespace = req.cfg.blueprint_namespace.clone();
    let mut lookup = |chart: &str| -> BlueprintVersion {
        cache
            .entry(chart.to_string())
            .or_insert_with(|| blueprints.version(chart, bp_namespace.as_deref()))
            .clone()
    };
    let findings = check(&subject, &req.object, &req.cfg, &mut lookup);
    if findings.violations.is_empty() {
        return accept(findings.notes);
    }

    // Grandfather violations the old object already had in an unchanged field.
    let old_violations = req
        .old()
        .map(|o| check(&subject, &o, &req.cfg, &mut lookup).violations)
        .unwrap_or_default();
    let (warnings, fresh) = update::grandfather(findings, &old_violations);
    if fresh.is_empty() {
        return accept(warnings.into_iter().map(cap).collect());
    }
    let message = fresh
        .iter()
        .map(Violation::render)
        .collect::<Vec<_>>()
        .join("\n");
    response(
        false,
        Some(cap(message)),
        Some(CODE_VIOLATION),
        warnings.into_iter().map(cap).collect(),
    )
}

/// `HelmRelease \`flux-system/bp-flux\``, as messages name an object.
fn subject(kind: Kind, namespace: Option<&str>, name: Option<&str>) -> String {
    let name = clip(name.unwrap_or("(unnamed)"));
    match namespace {
        Some(ns) => format!("{} `{}/{name}`", kind.name(), clip(ns)),
        None => format!("{} `{name}`", kind.name()),
    }
}

/// Runs the rules for one object.
fn check(
    subject: &str,
    object: &Object,
    cfg: &Config,
    lookup: &mut dyn FnMut(&str) -> BlueprintVersion,
) -> Findings {
    match object {
        Object::GitRepository(o) => Findings {
            violations: rules::git_repository(subject, o, cfg),
            notes: Vec::new(),
        },
        Object::HelmRelease(o) => rules::helm_release(subject, o, cfg, lookup),
        Object::Kustomization(o) => Findings {
            violations: rules::kustomization(subject, o),
            notes: Vec::new(),
        },
        Object::Blueprint(o) => Findings {
            violations: rules::blueprint(subject, o),
            notes: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_cluster() -> impl FnMut(&str, Option<&str>) -> BlueprintVersion {
        |_: &str, _: Option<&str>| BlueprintVersion::Failed("no cluster in this test".into())
    }

    fn run(payload: &str) -> ValidationResponse {
        validate(payload.as_bytes(), &mut no_cluster())
    }

    fn request(operation: &str, object: &str, old: &str) -> String {
        format!(
            r#"{{"settings":{{}},"request":{{"uid":"1","kind":{{"group":"source.toolkit.fluxcd.io","version":"v1","kind":"GitRepository"}},"operation":"{operation}","namespace":"flux-system","object":{object},"oldObject":{old}}}}}"#
        )
    }

    fn repo(url: &str) -> String {
        format!(
            r#"{{"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"GitRepository","metadata":{{"name":"flux"}},"spec":{{"url":"{url}"}}}}"#
        )
    }

    const GOOD: &str = "https://gitea.hfmp.openova.io/openova/flux.git";
    const BAD: &str = "http://gitea.hfmp.openova.io/openova/flux.git";
    const WORSE: &str = "http://gitea.openova.io/openova/flux.git";

    #[test]
    fn malformed_payloads_are_rejected_with_a_reason() {
        for (payload, want) in [
            (
                "",
                "cannot read the admission request: EOF while parsing a value at line 1 column 0",
            ),
            (
                "<html>",
                "cannot read the admission request: expected value at line 1 column 1",
            ),
            (
                "{}",
                "cannot read the admission request: missing field `request` at line 1 column 2",
            ),
            (
                r#"{"request":{"operation":"CREATE"}}"#,
                "cannot read the admission request: `request.object` is missing",
            ),
            (
                r#"{"request":{"operation":"CREATE","object":null}}"#,
                "cannot read the admission request: `request.object` is missing",
            ),
            (
                r#"{"request":{"operation":"PATCH","object":{}}}"#,
                "cannot read the admission request: `request.operation` is `PATCH`, expected CREATE or UPDATE",
            ),
            (
                r#"{"request":{"operation":"CREATE","kind":{"group":"","version":"v1","kind":"Pod"},"object":{}}}"#,
                "unexpected kind `v1/Pod`: this policy validates Flux GitRepository, HelmRelease and Kustomization objects and Catalyst Blueprints",
            ),
            (
                r#"{"request":{"operation":"CREATE","object":{"kind":"GitRepository"}}}"#,
                "unexpected kind `GitRepository`: this policy validates Flux GitRepository, HelmRelease and Kustomization objects and Catalyst Blueprints",
            ),
        ] {
            let r = run(payload);
            assert!(!r.accepted, "{payload}");
            assert_eq!(r.code, Some(CODE_MALFORMED), "{payload}");
            assert_eq!(r.message.as_deref(), Some(want), "{payload}");
        }
    }

    #[test]
    fn a_wrongly_typed_field_is_named_by_its_path() {
        let r = run(&request(
            "CREATE",
            r#"{"metadata":{"name":"x"},"spec":{"url":42}}"#,
            "null",
        ));
        assert_eq!(
            r.message.as_deref(),
            Some(
                "cannot read the GitRepository in `request.object`: `spec.url`: invalid type: integer `42`, expected a string at line 1 column 41"
            )
        );
    }

    #[test]
    fn huge_values_are_never_echoed_whole() {
        let huge = "x".repeat(1 << 20);
        let r = run(&request(
            "CREATE",
            &format!(r#"{{"spec":{{"url":["{huge}"]}}}}"#),
            "null",
        ));
        assert!(!r.accepted);
        assert!(
            r.message.as_ref().is_some_and(|m| m.len() < 1024),
            "{}",
            r.message.unwrap_or_default().len()
        );
        let r = run(&request(
            "CREATE",
            &repo(&format!("https://gitea.hfmp.openova.io/{huge}.git")),
            "null",
        ));
        assert!(!r.accepted);
        assert!(r.message.as_ref().is_some_and(|m| m.len() < 1024));
    }

    #[test]
    fn deep_nesting_is_handled_without_overflowing_the_stack() {
        // Nested arrays where a string belongs: a type error naming the path.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let r = run(&request(
            "CREATE",
            &format!(r#"{{"spec":{{"url":{deep}}}}}"#),
            "null",
        ));
        assert!(!r.accepted);
        assert_eq!(
            r.message.as_deref(),
            Some(
                "cannot read the GitRepository in `request.object`: `spec.url`: invalid type: sequence, expected a string at line 1 column 15"
            )
        );
        // Nested maps under a key the policy never reads are skipped iteratively by
        // serde_json, whatever their depth: the object is judged on what it has.
        let deep = format!("{}1{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000));
        let r = run(&request(
            "CREATE",
            &format!(r#"{{"status":{deep}}}"#),
            "null",
        ));
        assert!(!r.accepted);
        assert!(
            r.message.unwrap_or_default().contains("has no `spec.url`"),
            "judged on its fields"
        );
    }

    #[test]
    fn update_of_an_unchanged_legacy_field_is_accepted_with_a_warning() {
        let r = run(&request("UPDATE", &repo(BAD), &repo(BAD)));
        assert!(r.accepted, "{:?}", r.message);
        let warnings = r.warnings.unwrap_or_default();
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with(
                "CG005 non-canonical-gitea-url: GitRepository `flux-system/flux` spec.url `http://"
            ),
            "{warnings:?}"
        );
        assert!(
            warnings[0].ends_with(
                "(already so before this update; accepted so the object stays editable)"
            )
        );
    }

    #[test]
    fn update_that_changes_the_offending_field_to_another_bad_value_is_rejected() {
        let r = run(&request("UPDATE", &repo(WORSE), &repo(BAD)));
        assert!(!r.accepted);
        assert_eq!(r.code, Some(CODE_VIOLATION));
    }

    #[test]
    fn update_that_fixes_the_field_is_accepted_silently() {
        let r = run(&request("UPDATE", &repo(GOOD), &repo(BAD)));
        assert!(r.accepted && r.warnings.is_none());
    }

    #[test]
    fn create_of_a_bad_object_is_rejected_even_if_an_old_object_is_sent() {
        let r = run(&request("CREATE", &repo(BAD), &repo(BAD)));
        assert!(!r.accepted);
    }

    #[test]
    fn invalid_settings_in_a_request_reject_with_the_field() {
        let payload = request("CREATE", &repo(GOOD), "null").replacen(
            r#""settings":{}"#,
            r#""settings":{"allowedOrgs":["X"]}"#,
            1,
        );
        let r = run(&payload);
        assert_eq!(r.code, Some(CODE_SETTINGS));
        assert_eq!(
            r.message.as_deref(),
            Some(
                "the policy's settings are invalid: `allowedOrgs[0]`: `X` does not match `^[a-z][a-z0-9-]{2,31}$`"
            )
        );
    }

    #[test]
    fn exempt_namespaces_skip_every_rule() {
        let payload = request("CREATE", &repo(BAD), "null").replacen(
            r#""settings":{}"#,
            r#""settings":{"exemptNamespaces":["flux-system"]}"#,
            1,
        );
        assert!(run(&payload).accepted);
    }

    #[test]
    fn lookups_are_asked_once_per_chart_even_across_old_and_new_objects() {
        let hr = r#"{"metadata":{"name":"x","namespace":"ns"},"spec":{"chart":{"spec":{"chart":"bp-x","version":"1.0.0"}}}}"#;
        let payload = format!(
            r#"{{"settings":{{"contextAware":true,"blueprintNamespace":"catalyst"}},"request":{{"kind":{{"group":"helm.toolkit.fluxcd.io","version":"v2","kind":"HelmRelease"}},"operation":"UPDATE","object":{hr},"oldObject":{hr}}}}}"#
        );
        let mut asked = Vec::new();
        let r = validate(payload.as_bytes(), &mut |name: &str, ns: Option<&str>| {
            asked.push(format!("{}/{name}", ns.unwrap_or("-")));
            BlueprintVersion::Known("1.1.0".into())
        });
        assert!(r.accepted, "legacy pin unchanged: {:?}", r.message);
        assert_eq!(asked, ["catalyst/bp-x"]);
    }

    #[test]
    fn settings_validation_names_the_field() {
        let r = validate_settings(br#"{"chartPattern":""}"#);
        assert!(!r.valid);
        assert_eq!(
            r.message.as_deref(),
            Some("invalid settings: `chartPattern`: must not be empty (the default is `bp-*`)")
        );
        assert!(validate_settings(b"{}").valid);
        assert!(validate_settings(b"null").valid);
        let r = validate_settings(b"[1]");
        assert!(!r.valid);
    }
}
