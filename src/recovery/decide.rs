//! `decide(snapshot, config, now) -> Plan`: classify every HelmRelease, pick the
//! actions for the stuck ones, and apply the guardrail. Pure: no I/O, no clock.
//!
//! The classification is the table in [`super::rules`] (one function per row, first
//! match wins); the steps of each action are in [`super::steps`].
//!
//! If more HelmReleases would be acted on than `maxActions`, the plan has no new
//! actions at all and `guardrail.tripped` is set: that many stuck releases is an outage
//! to investigate, not something to paper over. Resuming our own interrupted suspend
//! toggles is not a new action (it undoes one of ours), so it always runs and does not
//! count against the limit.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::config::{RecoveryConfig, Strategy};
use super::rules::{self, Subject, Verdict};
use super::snapshot::{Condition, HelmReleaseObs, Snapshot, StorageEntry};
use super::steps::steps;
use super::time::format_rfc3339;
use crate::naming::release::{release_name, storage_namespace};

pub use super::status::{CORRECTED_MESSAGE, CORRECTED_REASON};

/// The Plan schema version this build writes (2: `patch-status` carries
/// `observedGeneration`, annotation patches carry a re-read guard).
pub const PLAN_SCHEMA_VERSION: u32 = 2;

/// Flux's reconcile request annotation.
pub const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";
/// Flux's force-upgrade annotation (with the same token as `requestedAt`).
pub const FORCE_AT: &str = "reconcile.fluxcd.io/forceAt";

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
    /// The host could not read a field of the object (named in the message).
    MalformedObject,
    /// Branch B: history[0] is the deployed release of the generation the controller
    /// last attempted (`status.lastAttempted*`).
    HistoryDeployedReadyUnknown,
    /// Branch B on an API version without `lastAttempted*`: history[0] was matched to
    /// the generation by `observedGeneration` instead.
    HistoryDeployedReadyUnknownObservedGenerationFallback,
    /// Branch A.
    StorageDeployedReadyUnknown,
    /// History deployed, no `lastAttempted*`, the current generation not observed, and
    /// storage does not say deployed either.
    GenerationNotObserved,
    /// History deployed, but the current generation was never attempted (a newer spec
    /// the controller has not started on), and storage does not say deployed either.
    GenerationNotAttempted,
    /// History deployed, but its chart version or values digest is not the last
    /// attempt's, and storage does not say deployed either.
    HistoryNotOfLastAttempt,
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
#[serde(tag = "op", rename_all = "kebab-case", rename_all_fields = "camelCase")]
pub enum Op {
    /// Merge-patch `metadata.annotations`: set these, remove those.
    PatchAnnotations {
        /// Annotations to set.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        set: BTreeMap<String, String>,
        /// Annotations to remove.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        remove: Vec<String>,
        /// On a resourceVersion conflict, re-read the object and retry (a bounded
        /// number of times), but only while every one of these annotations still has
        /// this value: a rollback then survives an unrelated change to the object, and
        /// never undoes someone else's write.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        guard: BTreeMap<String, String>,
    },
    /// Merge-patch the status subresource: the whole `conditions` list (a merge patch
    /// replaces arrays) and `observedGeneration`.
    PatchStatus {
        /// The full new `status.conditions`.
        conditions: Vec<Condition>,
        /// The generation the deployed release belongs to.
        observed_generation: i64,
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
    /// True when `candidates > limit`: the plan then has no new actions.
    pub tripped: bool,
    /// Resumes of our own interrupted toggles: planned whether or not it tripped,
    /// and not counted in `candidates`.
    pub exempt: usize,
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
    /// Actions, in the same order; only resumes of interrupted toggles when the
    /// guardrail tripped.
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
    let is_resume = |a: &Action| a.class == Class::InterruptedToggle;
    let exempt = outcomes
        .iter()
        .filter(|o| o.action.as_ref().is_some_and(is_resume))
        .count();
    let candidates = outcomes
        .iter()
        .filter(|o| o.action.is_some())
        .count()
        .saturating_sub(exempt);
    let tripped = candidates > config.max_actions;
    let mut decisions = Vec::with_capacity(outcomes.len());
    let mut actions = Vec::new();
    for o in outcomes {
        decisions.push(o.decision);
        if let Some(a) = o.action.filter(|a| !tripped || is_resume(a)) {
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
            exempt,
        },
    }
}

/// One HelmRelease through the table.
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
    let subject = Subject::new(hr, config, stored, now);
    // The last row always answers; the fallback only guards against an empty table.
    let verdict = rules::ROWS
        .iter()
        .find_map(|row| row(&subject))
        .unwrap_or_else(|| Verdict {
            class: Class::Undetermined,
            reason: Reason::ReleaseNotDeployed,
            message: String::new(),
            plan: None,
        });
    let strategy = match &verdict.plan {
        Some(rules::Plan::Resume { .. }) => Some(Strategy::SuspendToggle),
        Some(rules::Plan::Nudge { strategy, .. }) => Some(*strategy),
        None => None,
    };
    let action = verdict
        .plan
        .as_ref()
        .zip(strategy)
        .map(|(plan, strategy)| Action {
            namespace: hr.namespace.clone(),
            name: hr.name.clone(),
            class: verdict.class,
            strategy,
            resource_version: hr.resource_version.clone(),
            steps: steps(&subject, plan, &format_rfc3339(now)),
        });
    let decision = Decision {
        namespace: hr.namespace.clone(),
        name: hr.name.clone(),
        class: verdict.class,
        reason: verdict.reason,
        message: verdict.message,
        release_name: rel,
        storage_namespace: sns,
        ready_unknown_seconds: subject.unknown_for,
        revision: subject.revision,
        storage_status: stored.map(|(_, e)| e.status.clone()),
        history_status: subject.history.and_then(|h| h.status.clone()),
        strategy,
    };
    Outcome { decision, action }
}
