//! The API steps of each strategy, in order, with what to undo when one fails. The
//! executor runs them with a resourceVersion precondition on every write.

use std::collections::BTreeMap;

use super::config::Strategy;
use super::decide::{FORCE_AT, Op, REQUESTED_AT, Step};
use super::rules::{Plan, Subject};
use super::status::corrected_status;

fn step(op: Op) -> Step {
    Step {
        op,
        on_failure: Vec::new(),
    }
}

/// The steps for one planned action; `now` is the RFC 3339 token every write uses.
pub(super) fn steps(s: &Subject<'_>, plan: &Plan, now: &str) -> Vec<Step> {
    match plan {
        Plan::Resume { marker } => resume(s, marker),
        Plan::Nudge {
            strategy,
            deployed_generation,
        } => {
            let mark = corrected_marks(s, now);
            match (strategy, deployed_generation) {
                (Strategy::StatusPatch, Some(generation)) => {
                    status_patch(s, mark, *generation, now)
                }
                // A status patch without a generation to vouch for is never written.
                (Strategy::StatusPatch | Strategy::ReconcileRequest, _) => {
                    reconcile_request(mark, now, false)
                }
                (Strategy::ForceReconcile, _) => reconcile_request(mark, now, true),
                (Strategy::SuspendToggle, _) => suspend_toggle(s, mark, now),
            }
        }
    }
}

/// The audit-trail and idempotency annotations every nudge writes.
fn corrected_marks(s: &Subject<'_>, now: &str) -> BTreeMap<String, String> {
    let keys = &s.config.annotations;
    let rev = s.revision.map(|r| r.to_string()).unwrap_or_default();
    BTreeMap::from([
        (keys.corrected_at.clone(), now.to_string()),
        (keys.corrected_revision.clone(), rev),
    ])
}

/// Resume our own interrupted toggle, only while our marker stands.
fn resume(s: &Subject<'_>, marker: &str) -> Vec<Step> {
    let key = s.config.annotations.suspended_by.clone();
    vec![step(Op::PatchSuspend {
        suspend: false,
        set: BTreeMap::new(),
        remove: vec![key.clone()],
        retry_if_annotation: Some((key, marker.to_string())),
    })]
}

/// Annotate first (audit trail and idempotency guard), then patch the status; if the
/// status patch fails, restore the annotations as they were, guarded by our own values
/// so the rollback survives an unrelated change and never undoes someone else's.
fn status_patch(
    s: &Subject<'_>,
    mark: BTreeMap<String, String>,
    generation: i64,
    now: &str,
) -> Vec<Step> {
    let mut restore = BTreeMap::new();
    let mut remove = Vec::new();
    for key in mark.keys() {
        match s.hr.annotations.get(key) {
            Some(v) => {
                restore.insert(key.clone(), v.clone());
            }
            None => remove.push(key.clone()),
        }
    }
    let conditions = corrected_status(s.hr, s.history, generation, now);
    vec![
        step(Op::PatchAnnotations {
            set: mark.clone(),
            remove: Vec::new(),
            guard: BTreeMap::new(),
        }),
        Step {
            op: Op::PatchStatus {
                conditions,
                observed_generation: generation,
            },
            on_failure: vec![Op::PatchAnnotations {
                set: restore,
                remove,
                guard: mark,
            }],
        },
    ]
}

/// `requestedAt` (and `forceAt` with the same token for a forced upgrade), with the
/// correction marks in the same patch.
fn reconcile_request(mut mark: BTreeMap<String, String>, now: &str, force: bool) -> Vec<Step> {
    mark.insert(REQUESTED_AT.to_string(), now.to_string());
    if force {
        mark.insert(FORCE_AT.to_string(), now.to_string());
    }
    vec![step(Op::PatchAnnotations {
        set: mark,
        remove: Vec::new(),
        guard: BTreeMap::new(),
    })]
}

/// Suspend with an in-flight marker, pause, resume guarded by the marker. The executor
/// runs the suspends of every action, one pause, then every resume.
fn suspend_toggle(s: &Subject<'_>, mark: BTreeMap<String, String>, now: &str) -> Vec<Step> {
    let key = s.config.annotations.suspended_by.clone();
    vec![
        step(Op::PatchSuspend {
            suspend: true,
            set: BTreeMap::from([(key.clone(), now.to_string())]),
            remove: Vec::new(),
            retry_if_annotation: None,
        }),
        step(Op::Pause {
            seconds: s.config.suspend_pause_seconds,
        }),
        step(Op::PatchSuspend {
            suspend: false,
            set: mark,
            remove: vec![key.clone()],
            retry_if_annotation: Some((key, now.to_string())),
        }),
    ]
}
