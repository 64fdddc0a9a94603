//! Executing: each planned action's steps as JSON merge patches with the
//! resourceVersion it last saw as precondition, its rollback when a step fails, and
//! settling a conflict or a lost answer by re-reading the object.

use std::collections::BTreeMap;

use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams};
use serde_json::{Value, json};

use catalyst_guard::recovery::{Action, Op, Plan};

use super::Requests;
use super::record::{Failure, api_error, log, unanswered};

/// What every action's execution shares.
pub(super) struct Executor<'a> {
    pub(super) client: &'a Client,
    pub(super) res: &'a ApiResource,
    pub(super) plan: &'a Plan,
}

/// The resourceVersion and uid an action last saw.
struct ActionState {
    rv: String,
    uid: Option<String>,
}

impl ActionState {
    fn new(action: &Action) -> Self {
        Self {
            rv: action.resource_version.clone(),
            uid: None,
        }
    }
}

/// Where an action stopped.
enum Progress {
    /// At a pause step: continue from `resume_at` after the shared pause.
    Paused { resume_at: usize, seconds: u64 },
    /// Done: true if every step succeeded.
    Finished(bool),
}

impl Executor<'_> {
    /// Runs an action's steps from `from` until a pause or the end; logs every result;
    /// records an Event when it finishes.
    async fn run_steps(
        &self,
        action: &Action,
        state: &mut ActionState,
        from: usize,
        req: &mut Requests,
    ) -> Progress {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), &action.namespace, self.res);
        for (i, step) in action.steps.iter().enumerate().skip(from) {
            if let Op::Pause { seconds } = step.op {
                return Progress::Paused {
                    resume_at: i + 1,
                    seconds,
                };
            }
            match run_op(&api, &action.name, &step.op, state, req).await {
                Ok(()) => log(
                    json!({"level": "info", "msg": "action step", "namespace": action.namespace,
                    "name": action.name, "strategy": action.strategy, "step": i, "op": op_name(&step.op), "result": "ok"}),
                ),
                Err(Failure {
                    code,
                    reason,
                    message,
                }) => {
                    log(
                        json!({"level": "error", "msg": "action step failed", "namespace": action.namespace,
                        "name": action.name, "strategy": action.strategy, "step": i, "op": op_name(&step.op),
                        "statusCode": code, "reason": reason, "message": message}),
                    );
                    for undo in &step.on_failure {
                        match run_op(&api, &action.name, undo, state, req).await {
                            Ok(()) => log(
                                json!({"level": "info", "msg": "rollback", "namespace": action.namespace,
                                "name": action.name, "op": op_name(undo), "result": "ok"}),
                            ),
                            Err(f) => log(json!({"level": "error", "msg": "rollback failed",
                                "namespace": action.namespace, "name": action.name, "op": op_name(undo),
                                "statusCode": f.code, "reason": f.reason, "message": f.message})),
                        }
                    }
                    self.record_event(
                        action,
                        state.uid.as_deref(),
                        false,
                        &format!(
                            "recovery failed at step {i}: {}: {message}",
                            if code > 0 {
                                format!("HTTP {code}")
                            } else {
                                reason.to_string()
                            }
                        ),
                        req,
                    )
                    .await;
                    return Progress::Finished(false);
                }
            }
        }
        let note = format!(
            "{} ({}) recovered with {}",
            action.name,
            serde_json::to_value(action.class)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            action.strategy.as_str()
        );
        self.record_event(action, state.uid.as_deref(), true, &note, req)
            .await;
        log(
            json!({"level": "info", "msg": "action result", "namespace": action.namespace, "name": action.name,
            "strategy": action.strategy, "result": "ok"}),
        );
        Progress::Finished(true)
    }
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::PatchAnnotations { .. } => "patch-annotations",
        Op::PatchStatus { .. } => "patch-status",
        Op::PatchSuspend { suspend: true, .. } => "suspend",
        Op::PatchSuspend { suspend: false, .. } => "resume",
        Op::Pause { .. } => "pause",
    }
}

fn annotations_patch(set: &BTreeMap<String, String>, remove: &[String]) -> Value {
    let mut m = serde_json::Map::new();
    for k in remove {
        m.insert(k.clone(), Value::Null);
    }
    for (k, v) in set {
        m.insert(k.clone(), Value::String(v.clone()));
    }
    Value::Object(m)
}

/// How many times a guarded write re-reads the object after a conflict.
const GUARDED_RETRIES: usize = 3;

/// Whether every `guard` annotation has its value on `obj`.
fn guard_holds<'a>(
    obj: &DynamicObject,
    mut guard: impl Iterator<Item = (&'a str, &'a str)>,
) -> bool {
    let annotations = obj.metadata.annotations.as_ref();
    guard.all(|(k, v)| annotations.and_then(|a| a.get(k)).map(String::as_str) == Some(v))
}

/// Which part of the HelmRelease a patch writes.
#[derive(Clone, Copy)]
enum Target {
    Main,
    Status,
}

/// Whether `object` already holds everything the merge patch `patch` writes (a `null`
/// means "absent"), ignoring the resourceVersion precondition.
fn holds(object: &Value, patch: &Value) -> bool {
    let Value::Object(fields) = patch else {
        return object == patch;
    };
    let empty = Value::Object(serde_json::Map::new());
    fields.iter().all(|(k, v)| {
        let found = object.get(k);
        match v {
            Value::Null => found.is_none_or(Value::is_null),
            Value::Object(_) => holds(found.unwrap_or(&empty), v),
            _ => found == Some(v),
        }
    })
}

/// Whether the write `patch` is already in `fresh`: then an earlier attempt of it landed
/// even though its answer was lost (a 409 on the retry, or no answer at all).
fn already_applied(fresh: &DynamicObject, patch: &Value) -> bool {
    serde_json::to_value(fresh).is_ok_and(|object| holds(&object, patch))
}

/// `patch` with `metadata.resourceVersion` set to `rv`: the precondition.
fn with_precondition(patch: &Value, rv: &str) -> Value {
    let mut sent = patch.clone();
    if let Some(fields) = sent.as_object_mut() {
        let metadata = fields
            .entry("metadata")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Some(metadata) = metadata.as_object_mut() {
            metadata.insert("resourceVersion".to_string(), Value::String(rv.to_string()));
        }
    }
    sent
}

/// The merge patch `patch` with our resourceVersion precondition. When it is answered 409, or
/// not answered at all, the object is read again: if it already holds the write, an
/// earlier attempt landed and the write is done. Otherwise, on a 409 with a non-empty
/// `guard`, the write is retried on the fresh object (at most [`GUARDED_RETRIES`] times)
/// as long as every guard annotation still has its value: the object changed, but not
/// in a way that makes this write wrong.
async fn guarded_patch(
    api: &Api<DynamicObject>,
    name: &str,
    target: Target,
    patch: &Value,
    guard: &[(&str, &str)],
    rv: &str,
    req: &mut Requests,
) -> Result<DynamicObject, kube::Error> {
    let pp = PatchParams::default();
    let mut rv = rv.to_string();
    let mut attempt = 0;
    loop {
        req.writes += 1;
        let sent = with_precondition(patch, &rv);
        let result = match target {
            Target::Main => api.patch(name, &pp, &Patch::Merge(&sent)).await,
            Target::Status => api.patch_status(name, &pp, &Patch::Merge(&sent)).await,
        };
        let error = match result {
            Ok(object) => return Ok(object),
            Err(e) => e,
        };
        let conflict = matches!(&error, kube::Error::Api(s) if s.code == 409);
        if !conflict && unanswered(&error).is_none() {
            return Err(error);
        }
        let Ok(fresh) = api.get(name).await else {
            return Err(error);
        };
        if already_applied(&fresh, patch) {
            log(
                json!({"level": "info", "msg": "write found applied on re-read", "name": name,
                "reason": api_error(&error).reason}),
            );
            return Ok(fresh);
        }
        if !conflict
            || guard.is_empty()
            || attempt >= GUARDED_RETRIES
            || !guard_holds(&fresh, guard.iter().copied())
        {
            return Err(error);
        }
        attempt += 1;
        log(
            json!({"level": "info", "msg": "write retried on the re-read object", "name": name,
            "reason": "conflict", "attempt": attempt}),
        );
        rv = fresh.metadata.resource_version.clone().unwrap_or_default();
    }
}

async fn run_op(
    api: &Api<DynamicObject>,
    name: &str,
    op: &Op,
    state: &mut ActionState,
    req: &mut Requests,
) -> Result<(), Failure> {
    let (target, patch, guard): (Target, Value, Vec<(&str, &str)>) = match op {
        Op::Pause { seconds } => {
            tokio::time::sleep(std::time::Duration::from_secs(*seconds)).await;
            return Ok(());
        }
        Op::PatchAnnotations { set, remove, guard } => (
            Target::Main,
            json!({"metadata": {"annotations": annotations_patch(set, remove)}}),
            guard
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
        ),
        Op::PatchStatus {
            conditions,
            observed_generation,
        } => (
            Target::Status,
            json!({"status": {"conditions": conditions, "observedGeneration": observed_generation}}),
            Vec::new(),
        ),
        // Resume anyway after someone changed the object only if our marker is still
        // there: then the change was not a deliberate suspend.
        Op::PatchSuspend {
            suspend,
            set,
            remove,
            retry_if_annotation,
        } => (
            Target::Main,
            json!({"metadata": {"annotations": annotations_patch(set, remove)}, "spec": {"suspend": suspend}}),
            retry_if_annotation
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
        ),
    };
    let result = guarded_patch(api, name, target, &patch, &guard, &state.rv, req).await;
    match result {
        Ok(obj) => {
            if let Some(new_rv) = obj.metadata.resource_version {
                state.rv = new_rv;
            }
            if obj.metadata.uid.is_some() {
                state.uid.clone_from(&obj.metadata.uid);
            }
            Ok(())
        }
        Err(e) => Err(api_error(&e)),
    }
}

/// Runs every action of `plan`: suspend toggles suspend all, pause once, resume all,
/// so the run's length does not grow with the number of toggles (the Job has a
/// deadline). When the guardrail tripped, the plan holds only resumes of our own
/// interrupted toggles: undoing our own action is not a new one. Returns how many
/// actions succeeded and how many failed.
pub(super) async fn execute(
    client: &Client,
    res: &ApiResource,
    plan: &Plan,
    req: &mut Requests,
) -> (usize, usize) {
    let (mut succeeded, mut failed) = (0, 0);
    let ctx = Executor { client, res, plan };
    let mut paused = Vec::new();
    for action in &plan.actions {
        let mut state = ActionState::new(action);
        match ctx.run_steps(action, &mut state, 0, req).await {
            Progress::Finished(true) => succeeded += 1,
            Progress::Finished(false) => failed += 1,
            Progress::Paused { resume_at, seconds } => {
                paused.push((action, state, resume_at, seconds));
            }
        }
    }
    if let Some(seconds) = paused.iter().map(|p| p.3).max() {
        log(json!({"level": "info", "msg": "pause", "seconds": seconds, "actions": paused.len()}));
        tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
    }
    for (action, mut state, resume_at, _) in paused {
        match ctx.run_steps(action, &mut state, resume_at, req).await {
            Progress::Finished(true) => succeeded += 1,
            // A second pause in one action is not planned by the core; treat it as a
            // failure rather than pausing again.
            Progress::Finished(false) | Progress::Paused { .. } => failed += 1,
        }
    }
    (succeeded, failed)
}
