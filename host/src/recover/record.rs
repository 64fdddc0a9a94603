//! Recording: one JSON log line per decision, step, rollback and run, the failure of an
//! API call as a code, a machine-readable reason and a message, and an Event on every
//! acted-on HelmRelease.

use std::collections::BTreeMap;
use std::io::Write;

use kube::api::{Api, ApiResource, DynamicObject, PostParams};
use serde_json::{Value, json};

use catalyst_guard::recovery::status::cut;
use catalyst_guard::recovery::{Action, Plan};

use super::Requests;
use super::execute::Executor;
use super::retry;

/// One JSON log line on stdout.
pub(super) fn log(line: Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
}

/// A failed API call as logged: HTTP status code (0 if no answer), a machine-readable
/// reason and the API's message.
pub(super) struct Failure {
    pub(super) code: u16,
    pub(super) reason: &'static str,
    pub(super) message: String,
}

impl Failure {
    /// `HTTP 403`, or the reason when there was no answer.
    pub(super) fn code_or_reason(&self) -> String {
        if self.code > 0 {
            format!("HTTP {}", self.code)
        } else {
            self.reason.to_string()
        }
    }
}

/// The API's answer to a failed call.
pub(super) fn api_error(e: &kube::Error) -> Failure {
    match e {
        kube::Error::Api(status) => Failure {
            code: status.code,
            reason: match status.code {
                403 => "forbidden",
                404 => "not-found",
                409 => "conflict",
                410 => "expired",
                422 => "invalid",
                429 => "throttled",
                500..=599 => "server-error",
                _ => "rejected",
            },
            message: format!("{}: {}", status.reason, status.message),
        },
        other => match unanswered(other) {
            Some(u) => Failure {
                code: 0,
                reason: if u.timeout {
                    "timeout"
                } else {
                    "connection-lost"
                },
                message: u.to_string(),
            },
            None => Failure {
                code: 0,
                reason: "request-failed",
                message: format!("{other}"),
            },
        },
    }
}

/// The request behind `e` got no answer after every attempt, if that is what failed.
pub(super) fn unanswered(e: &kube::Error) -> Option<&retry::Unanswered> {
    match e {
        kube::Error::Service(inner) => inner.downcast_ref::<retry::Unanswered>(),
        _ => None,
    }
}

/// The API server rejects an Event whose `note` is longer than this.
const MAX_EVENT_NOTE: usize = 1024;

impl Executor<'_> {
    pub(super) async fn record_event(
        &self,
        action: &Action,
        uid: Option<&str>,
        ok: bool,
        note: &str,
        req: &mut Requests,
    ) {
        let res = ApiResource {
            group: "events.k8s.io".to_string(),
            version: "v1".to_string(),
            api_version: "events.k8s.io/v1".to_string(),
            kind: "Event".to_string(),
            plural: "events".to_string(),
        };
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), &action.namespace, &res);
        let event_time = self.plan.now.replace('Z', ".000000Z");
        // The version this job listed and patched, not a hard-coded one.
        let mut regarding = json!({"apiVersion": self.res.api_version, "kind": "HelmRelease",
            "name": action.name, "namespace": action.namespace});
        if let (Some(uid), Some(r)) = (uid, regarding.as_object_mut()) {
            r.insert("uid".to_string(), json!(uid));
        }
        let body = json!({
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"generateName": format!("{}.", action.name), "namespace": action.namespace},
            "eventTime": event_time,
            "reportingController": "openova.io/stuck-hr-recovery",
            "reportingInstance": "catalyst-guard",
            "action": "Recover",
            "reason": if ok { "StuckHelmReleaseRecovered" } else { "StuckHelmReleaseRecoveryFailed" },
            "type": if ok { "Normal" } else { "Warning" },
            "regarding": regarding,
            "note": cut(note, MAX_EVENT_NOTE),
        });
        let obj: DynamicObject = match serde_json::from_value(body) {
            Ok(o) => o,
            Err(e) => {
                log(
                    json!({"level": "warn", "msg": "cannot build event", "message": e.to_string()}),
                );
                return;
            }
        };
        req.writes += 1;
        if let Err(e) = api.create(&PostParams::default(), &obj).await {
            let f = api_error(&e);
            // The action's outcome stands; the missing audit event is reported, not hidden.
            log(
                json!({"level": "warn", "msg": "cannot record event", "namespace": action.namespace,
                "name": action.name, "statusCode": f.code, "reason": f.reason, "message": f.message}),
            );
        }
    }
}

/// One line per decision, and the guardrail's line if it tripped.
pub(super) fn decisions(plan: &Plan) {
    for d in &plan.decisions {
        log(
            json!({"level": "info", "msg": "decision", "namespace": d.namespace, "name": d.name,
            "class": d.class, "reason": d.reason, "detail": d.message, "releaseName": d.release_name,
            "revision": d.revision, "strategy": d.strategy}),
        );
    }
    if plan.guardrail.tripped {
        log(
            json!({"level": "error", "msg": "guardrail tripped: acting on none",
            "candidates": plan.guardrail.candidates, "limit": plan.guardrail.limit,
            "detail": format!("{} HelmReleases look stuck (limit {}); that is an outage to investigate", plan.guardrail.candidates, plan.guardrail.limit),
            "resumingOwnToggles": plan.guardrail.exempt}),
        );
    }
}

/// The run's closing line: decisions per class, actions, results, API requests.
pub(super) fn summary(plan: &Plan, succeeded: usize, failed: usize, req: &Requests) {
    let mut classes: BTreeMap<String, usize> = BTreeMap::new();
    for d in &plan.decisions {
        *classes
            .entry(
                serde_json::to_value(d.class)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
            )
            .or_default() += 1;
    }
    log(
        json!({"level": if failed > 0 || plan.guardrail.tripped { "error" } else { "info" }, "msg": "summary",
        "helmReleases": plan.decisions.len(), "classes": classes, "actions": plan.actions.len(),
        "succeeded": succeeded, "failed": failed, "guardrailTripped": plan.guardrail.tripped,
        "apiRequests": {"listPages": req.list_pages, "writes": req.writes}}),
    );
}
