//! `decide(snapshot, config, now) -> Plan`: classify every HelmRelease, pick the
//! actions for the stuck ones, and apply the guardrail. Pure: no I/O, no clock.
//!
//! Per HelmRelease, in this order (first match wins):
//! 1. out of scope (namespace include/exclude, label selector) -> `excluded`;
//! 2. `spec.suspend: true` -> `suspended`, never touched; unless our own in-flight
//!    marker annotation says a suspend toggle was interrupted -> `interrupted-toggle`,
//!    which resumes it;
//! 3. Ready missing -> `undetermined`; Ready=True -> `healthy`; Ready=False -> `failed`;
//! 4. Ready=Unknown without a valid lastTransitionTime -> `undetermined` (age unknown:
//!    never act on a guess); not older than the threshold -> `progressing`;
//! 5. newest Helm storage entry (by numeric revision) pending-* or uninstalling ->
//!    `not-stuck-storage-pending`; failed -> `failed`;
//! 6. already corrected for this release revision -> `already-corrected`;
//! 7. branch B first: `status.history[0].status == deployed` (storage, if any, agrees
//!    and the spec generation was observed) -> `stuck-status-lost`;
//! 8. branch A: newest storage entry `deployed` -> `stuck-after-leader-loss`;
//! 9. otherwise -> `undetermined`.
//!
//! If more HelmReleases would be acted on than `maxActions`, the plan has no actions
//! at all and `guardrail.tripped` is set: that many stuck releases is an outage to
//! investigate, not something to paper over.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::config::{RecoveryConfig, Strategy};
use super::snapshot::{Condition, HelmReleaseObs, Snapshot, StorageEntry};
use super::time::{format_duration, format_rfc3339, parse_rfc3339};
use crate::naming::release::{release_name, storage_namespace};

/// The Plan schema version this build writes.
pub const PLAN_SCHEMA_VERSION: u32 = 1;

/// Flux's reconcile request annotation.
pub const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";
/// Flux's force-upgrade annotation (with the same token as `requestedAt`).
pub const FORCE_AT: &str = "reconcile.fluxcd.io/forceAt";
/// The Ready reason written by the status-patch strategy.
pub const CORRECTED_REASON: &str = "ReconciliationSucceeded";
/// The Ready message written by the status-patch strategy.
pub const CORRECTED_MESSAGE: &str =
    "auto-corrected from deployed-but-unknown-Ready by stuck-hr-recovery";

/// What a HelmRelease was found to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Ready=True.
    Healthy,
    /// Suspended by someone else: never touched.
    Suspended,
    /// Out of the configured scope.
    Excluded,
    /// Ready=Unknown, but not for longer than the threshold.
    Progressing,
    /// Ready=False, or the newest release failed: not this job's business.
    Failed,
    /// A Helm operation is in progress (or hung) in storage.
    NotStuckStoragePending,
    /// Not enough information to act safely.
    Undetermined,
    /// Already corrected for this release revision.
    AlreadyCorrected,
    /// Branch B: history says deployed, Ready lost.
    StuckStatusLost,
    /// Branch A: storage says deployed, Ready lost (controller lost leadership).
    StuckAfterLeaderLoss,
    /// Our own suspend toggle was interrupted (the job died during the pause).
    InterruptedToggle,
}

/// Why, machine-readably.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Namespace excluded or not included.
    NamespaceNotInScope,
    /// Labels do not match the selector.
    LabelsNotSelected,
    /// `spec.suspend: true` without our marker.
    SuspendedInSpec,
    /// `spec.suspend: true` with our in-flight marker.
    ToggleInterrupted,
    /// No Ready condition.
    NoReadyCondition,
    /// Ready=True.
    ReadyTrue,
    /// Ready=False.
    ReadyFalse,
    /// Ready=Unknown with a missing or malformed lastTransitionTime.
    ReadyUnknownWithoutTransitionTime,
    /// Ready=Unknown, not older than the threshold.
    ReadyUnknownBelowThreshold,
    /// Newest storage entry pending-* or uninstalling.
    StoragePending,
    /// Newest storage entry failed.
    StorageFailed,
    /// The correction annotation covers this revision.
    AlreadyCorrectedForRevision,
    /// Branch B.
    HistoryDeployedReadyUnknown,
    /// Branch A.
    StorageDeployedReadyUnknown,
    /// History deployed but the current generation was never observed, and storage
    /// does not say deployed either.
    GenerationNotObserved,
    /// Neither history nor storage.
    NoReleaseRecord,
    /// The newest release is neither deployed, pending nor failed.
    ReleaseNotDeployed,
}

/// One decision per HelmRelease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Classification.
    pub class: Class,
    /// Machine-readable reason.
    pub reason: Reason,
    /// One line for people.
    pub message: String,
    /// The Helm release name (Flux defaulting and shortening applied).
    pub release_name: String,
    /// Where its storage secrets live.
    pub storage_namespace: String,
    /// Seconds Ready has been Unknown, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_unknown_seconds: Option<i64>,
    /// Newest release revision (storage, else history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    /// Status of the newest storage entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_status: Option<String>,
    /// `status.history[0].status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_status: Option<String>,
    /// Strategy chosen, for the two stuck classes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
}

/// One API operation on a HelmRelease. Every write carries the resourceVersion the
/// executor last saw for the object (the snapshot's, then each response's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Op {
    /// Merge-patch `metadata.annotations`: set these, remove those.
    PatchAnnotations {
        /// Annotations to set.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        set: BTreeMap<String, String>,
        /// Annotations to remove.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        remove: Vec<String>,
    },
    /// Merge-patch the status subresource with these conditions (the whole list: a
    /// merge patch replaces arrays).
    PatchStatusConditions {
        /// The full new `status.conditions`.
        conditions: Vec<Condition>,
    },
    /// Merge-patch `spec.suspend` together with annotations.
    PatchSuspend {
        /// New `spec.suspend`.
        suspend: bool,
        /// Annotations to set in the same patch.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        set: BTreeMap<String, String>,
        /// Annotations to remove in the same patch.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        remove: Vec<String>,
        /// On a resourceVersion conflict, re-read the object and retry once, but only
        /// if this annotation still has this value (so an operator's change wins).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_if_annotation: Option<(String, String)>,
    },
    /// Wait before the next step.
    Pause {
        /// Seconds.
        seconds: u64,
    },
}

/// A step: an operation, and what to undo if it fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The operation.
    #[serde(flatten)]
    pub op: Op,
    /// Best-effort compensation if `op` fails (then the action stops).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_failure: Vec<Op>,
}

/// What to do to one HelmRelease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The class that led here.
    pub class: Class,
    /// The strategy (resume for an interrupted toggle is `suspend-toggle`).
    pub strategy: Strategy,
    /// resourceVersion from the snapshot: the precondition for the first write.
    pub resource_version: String,
    /// Steps, in order; the action stops at the first failure.
    pub steps: Vec<Step>,
}

/// The guardrail's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Guardrail {
    /// `maxActions`.
    pub limit: usize,
    /// HelmReleases that would have been acted on.
    pub candidates: usize,
    /// True when `candidates > limit`: the plan then has no actions.
    pub tripped: bool,
}

/// The decision engine's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// Always [`PLAN_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The `now` the plan was computed for (RFC 3339).
    pub now: String,
    /// One per HelmRelease, sorted by namespace and name.
    pub decisions: Vec<Decision>,
    /// Actions, in the same order; empty when the guardrail tripped.
    pub actions: Vec<Action>,
    /// Guardrail verdict.
    pub guardrail: Guardrail,
}

impl Plan {
    /// Pretty JSON (what `--dry-run` prints).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Compact JSON (the wire from the plugin).
    pub fn to_json_compact(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Number of decisions in a class.
    pub fn count(&self, class: Class) -> usize {
        self.decisions.iter().filter(|d| d.class == class).count()
    }
}

const PENDING: [&str; 4] = [
    "pending-install",
    "pending-upgrade",
    "pending-rollback",
    "uninstalling",
];

/// Newest storage entry per (namespace, release), by numeric revision; entries whose
/// `version` label is not a number are ignored (they cannot be ordered).
fn newest_storage(storage: &[StorageEntry]) -> HashMap<(&str, &str), (u64, &StorageEntry)> {
    let mut out: HashMap<(&str, &str), (u64, &StorageEntry)> = HashMap::new();
    for e in storage {
        let Ok(rev) = e.revision.trim().parse::<u64>() else {
            continue;
        };
        let key = (e.namespace.as_str(), e.release.as_str());
        match out.get(&key) {
            Some((best, _)) if *best >= rev => {}
            _ => {
                out.insert(key, (rev, e));
            }
        }
    }
    out
}

struct Outcome {
    decision: Decision,
    action: Option<Action>,
}

/// Classifies every HelmRelease and plans the actions. `now` is Unix seconds.
pub fn decide(snapshot: &Snapshot, config: &RecoveryConfig, now: i64) -> Plan {
    let newest = newest_storage(&snapshot.storage);
    let mut hrs: Vec<&HelmReleaseObs> = snapshot.helm_releases.iter().collect();
    hrs.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let outcomes: Vec<Outcome> = hrs
        .into_iter()
        .map(|hr| decide_one(hr, &newest, config, now))
        .collect();
    let candidates = outcomes.iter().filter(|o| o.action.is_some()).count();
    let tripped = candidates > config.max_actions;
    let mut decisions = Vec::with_capacity(outcomes.len());
    let mut actions = Vec::new();
    for o in outcomes {
        decisions.push(o.decision);
        if let (Some(a), false) = (o.action, tripped) {
            actions.push(a);
        }
    }
    Plan {
        schema_version: PLAN_SCHEMA_VERSION,
        now: format_rfc3339(now),
        decisions,
        actions,
        guardrail: Guardrail {
            limit: config.max_actions,
            candidates,
            tripped,
        },
    }
}

fn decide_one(
    hr: &HelmReleaseObs,
    newest: &HashMap<(&str, &str), (u64, &StorageEntry)>,
    config: &RecoveryConfig,
    now: i64,
) -> Outcome {
    let rel = release_name(
        &hr.name,
        hr.release_name.as_deref(),
        hr.target_namespace.as_deref(),
    );
    let sns = storage_namespace(&hr.namespace, hr.storage_namespace.as_deref()).to_string();
    let stored = newest.get(&(sns.as_str(), rel.as_str())).copied();
    let history = hr.history.first();
    let mut d = Decision {
        namespace: hr.namespace.clone(),
        name: hr.name.clone(),
        class: Class::Undetermined,
        reason: Reason::NoReleaseRecord,
        message: String::new(),
        release_name: rel.clone(),
        storage_namespace: sns.clone(),
        ready_unknown_seconds: None,
        revision: stored.map(|(r, _)| r).or_else(|| {
            history
                .and_then(|h| h.version)
                .and_then(|v| u64::try_from(v).ok())
        }),
        storage_status: stored.map(|(_, e)| e.status.clone()),
        history_status: history.and_then(|h| h.status.clone()),
        strategy: None,
    };
    let done = |mut d: Decision, class, reason, message: String| {
        d.class = class;
        d.reason = reason;
        d.message = message;
        Outcome {
            decision: d,
            action: None,
        }
    };
    if !config.namespace_in_scope(&hr.namespace) {
        return done(
            d,
            Class::Excluded,
            Reason::NamespaceNotInScope,
            format!("namespace `{}` is out of scope", hr.namespace),
        );
    }
    if !config.labels_match(&hr.labels) {
        return done(
            d,
            Class::Excluded,
            Reason::LabelsNotSelected,
            format!("labels do not match `{}`", config.label_selector),
        );
    }
    let keys = &config.annotations;
    if hr.suspend {
        if let Some(marker) = hr.annotations.get(&keys.suspended_by) {
            d.class = Class::InterruptedToggle;
            d.reason = Reason::ToggleInterrupted;
            d.message =
                format!("suspended by an interrupted recovery toggle at `{marker}`; resuming");
            d.strategy = Some(Strategy::SuspendToggle);
            let action = Action {
                namespace: hr.namespace.clone(),
                name: hr.name.clone(),
                class: d.class,
                strategy: Strategy::SuspendToggle,
                resource_version: hr.resource_version.clone(),
                steps: vec![Step {
                    op: Op::PatchSuspend {
                        suspend: false,
                        set: BTreeMap::new(),
                        remove: vec![keys.suspended_by.clone()],
                        retry_if_annotation: Some((keys.suspended_by.clone(), marker.clone())),
                    },
                    on_failure: Vec::new(),
                }],
            };
            return Outcome {
                decision: d,
                action: Some(action),
            };
        }
        return done(
            d,
            Class::Suspended,
            Reason::SuspendedInSpec,
            "`spec.suspend` is true; left alone".to_string(),
        );
    }
    let Some(ready) = hr.conditions.iter().find(|c| c.type_ == "Ready") else {
        return done(
            d,
            Class::Undetermined,
            Reason::NoReadyCondition,
            "no Ready condition yet".to_string(),
        );
    };
    match ready.status.as_str() {
        "True" => {
            return done(
                d,
                Class::Healthy,
                Reason::ReadyTrue,
                "Ready=True".to_string(),
            );
        }
        "False" => {
            let why = ready.reason.as_deref().unwrap_or("no reason");
            return done(
                d,
                Class::Failed,
                Reason::ReadyFalse,
                format!("Ready=False ({why})"),
            );
        }
        _ => {}
    }
    let Some(since) = ready
        .last_transition_time
        .as_deref()
        .and_then(parse_rfc3339)
    else {
        let seen = ready.last_transition_time.as_deref().unwrap_or("(missing)");
        return done(
            d,
            Class::Undetermined,
            Reason::ReadyUnknownWithoutTransitionTime,
            format!("Ready=Unknown with lastTransitionTime `{seen}`; cannot tell for how long"),
        );
    };
    let age = now.saturating_sub(since);
    d.ready_unknown_seconds = Some(age);
    let threshold = i64::try_from(config.stuck_threshold_seconds).unwrap_or(i64::MAX);
    if age <= threshold {
        let for_ = format_duration(u64::try_from(age.max(0)).unwrap_or(0));
        return done(
            d,
            Class::Progressing,
            Reason::ReadyUnknownBelowThreshold,
            format!(
                "Ready=Unknown for {for_}, not over the {} threshold",
                config.threshold_text()
            ),
        );
    }
    let unknown_for = format_duration(u64::try_from(age).unwrap_or(0));
    if let Some((rev, e)) = stored {
        if PENDING.contains(&e.status.as_str()) {
            return done(
                d,
                Class::NotStuckStoragePending,
                Reason::StoragePending,
                format!(
                    "release revision {rev} is `{}` in storage: a Helm operation is in flight",
                    e.status
                ),
            );
        }
        if e.status == "failed" {
            return done(
                d,
                Class::Failed,
                Reason::StorageFailed,
                format!("release revision {rev} failed"),
            );
        }
    }
    if let Some(rev) = d.revision
        && already_corrected(
            hr,
            config,
            rev,
            stored.and_then(|(_, e)| e.modified_at.as_deref()),
        )
    {
        return done(
            d,
            Class::AlreadyCorrected,
            Reason::AlreadyCorrectedForRevision,
            format!("already corrected for revision {rev}"),
        );
    }
    let storage_deployed = stored.is_some_and(|(_, e)| e.status == "deployed");
    let history_deployed = history.and_then(|h| h.status.as_deref()) == Some("deployed");
    let generation_observed = hr.observed_generation.is_none_or(|o| o >= hr.generation);
    let (class, reason, strategy, message) =
        if history_deployed && (stored.is_none() || storage_deployed) && generation_observed {
            (
                Class::StuckStatusLost,
                Reason::HistoryDeployedReadyUnknown,
                config.status_lost_strategy,
                format!("history says deployed but Ready=Unknown for {unknown_for}"),
            )
        } else if storage_deployed {
            (
                Class::StuckAfterLeaderLoss,
                Reason::StorageDeployedReadyUnknown,
                config.leader_loss_strategy,
                format!("Helm storage says deployed but Ready=Unknown for {unknown_for}"),
            )
        } else if history_deployed {
            return done(
                d,
                Class::Undetermined,
                Reason::GenerationNotObserved,
                format!(
                    "generation {} not observed (observed {:?}) and no deployed storage entry",
                    hr.generation, hr.observed_generation
                ),
            );
        } else if stored.is_none() && history.is_none() {
            return done(
                d,
                Class::Undetermined,
                Reason::NoReleaseRecord,
                "no release history and no Helm storage entry".to_string(),
            );
        } else {
            return done(
                d,
                Class::Undetermined,
                Reason::ReleaseNotDeployed,
                "the newest release is not deployed".to_string(),
            );
        };
    d.class = class;
    d.reason = reason;
    d.message = message;
    d.strategy = Some(strategy);
    let rev = d.revision.map(|r| r.to_string()).unwrap_or_default();
    let action = Action {
        namespace: hr.namespace.clone(),
        name: hr.name.clone(),
        class,
        strategy,
        resource_version: hr.resource_version.clone(),
        steps: steps(hr, config, strategy, &format_rfc3339(now), &rev),
    };
    Outcome {
        decision: d,
        action: Some(action),
    }
}

/// Whether the idempotency annotation covers this revision. The revision annotation
/// is authoritative; an annotation written by the old shell job (time only) counts
/// only if it is not older than the release's last change, so a later stuck release
/// of the same HelmRelease is recovered again instead of being blocked forever.
fn already_corrected(
    hr: &HelmReleaseObs,
    config: &RecoveryConfig,
    rev: u64,
    storage_modified: Option<&str>,
) -> bool {
    let keys = &config.annotations;
    if let Some(done) = hr.annotations.get(&keys.corrected_revision) {
        return done.trim() == rev.to_string();
    }
    let Some(at) = hr
        .annotations
        .get(&keys.corrected_at)
        .and_then(|a| parse_rfc3339(a))
    else {
        return false;
    };
    let changed = hr
        .history
        .first()
        .and_then(|h| h.last_deployed.as_deref())
        .and_then(parse_rfc3339)
        .or_else(|| storage_modified.and_then(|m| m.trim().parse::<i64>().ok()));
    changed.is_some_and(|c| at >= c)
}

fn steps(
    hr: &HelmReleaseObs,
    config: &RecoveryConfig,
    strategy: Strategy,
    now: &str,
    rev: &str,
) -> Vec<Step> {
    let keys = &config.annotations;
    let mut mark = BTreeMap::new();
    mark.insert(keys.corrected_at.clone(), now.to_string());
    mark.insert(keys.corrected_revision.clone(), rev.to_string());
    match strategy {
        Strategy::StatusPatch => {
            // Undo restores what was there before (an old shell-job annotation stays).
            let mut restore = BTreeMap::new();
            let mut remove = Vec::new();
            for key in mark.keys() {
                match hr.annotations.get(key) {
                    Some(v) => {
                        restore.insert(key.clone(), v.clone());
                    }
                    None => remove.push(key.clone()),
                }
            }
            let mut conditions: Vec<Condition> = hr
                .conditions
                .iter()
                .filter(|c| c.type_ != "Ready")
                .cloned()
                .collect();
            conditions.insert(
                0,
                Condition {
                    type_: "Ready".to_string(),
                    status: "True".to_string(),
                    reason: Some(CORRECTED_REASON.to_string()),
                    message: Some(CORRECTED_MESSAGE.to_string()),
                    last_transition_time: Some(now.to_string()),
                    observed_generation: Some(hr.generation),
                },
            );
            vec![
                Step {
                    op: Op::PatchAnnotations {
                        set: mark,
                        remove: Vec::new(),
                    },
                    on_failure: Vec::new(),
                },
                Step {
                    op: Op::PatchStatusConditions { conditions },
                    on_failure: vec![Op::PatchAnnotations {
                        set: restore,
                        remove,
                    }],
                },
            ]
        }
        Strategy::SuspendToggle => {
            let mut marker = BTreeMap::new();
            marker.insert(keys.suspended_by.clone(), now.to_string());
            vec![
                Step {
                    op: Op::PatchSuspend {
                        suspend: true,
                        set: marker,
                        remove: Vec::new(),
                        retry_if_annotation: None,
                    },
                    on_failure: Vec::new(),
                },
                Step {
                    op: Op::Pause {
                        seconds: config.suspend_pause_seconds,
                    },
                    on_failure: Vec::new(),
                },
                Step {
                    op: Op::PatchSuspend {
                        suspend: false,
                        set: mark,
                        remove: vec![keys.suspended_by.clone()],
                        retry_if_annotation: Some((keys.suspended_by.clone(), now.to_string())),
                    },
                    on_failure: Vec::new(),
                },
            ]
        }
        Strategy::ForceReconcile => {
            mark.insert(REQUESTED_AT.to_string(), now.to_string());
            mark.insert(FORCE_AT.to_string(), now.to_string());
            vec![Step {
                op: Op::PatchAnnotations {
                    set: mark,
                    remove: Vec::new(),
                },
                on_failure: Vec::new(),
            }]
        }
    }
}
