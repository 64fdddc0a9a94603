//! The recovery table, one function per row, tried in [`ROWS`] order (first match
//! wins). Each row reads one [`Subject`] and either has nothing to say (`None`) or
//! gives the [`Verdict`]; README "Stuck HelmRelease recovery" holds the same table.

use super::config::{RecoveryConfig, Strategy};
use super::controller::{ControllerBehaviour, behaviour};
use super::decide::{Class, Reason};
use super::snapshot::{Condition, HelmReleaseObs, HistoryEntry, StorageEntry};
use super::time::{format_duration, parse_rfc3339};

/// Helm storage statuses that mean an operation is in flight (or hung).
const PENDING: [&str; 4] = [
    "pending-install",
    "pending-upgrade",
    "pending-rollback",
    "uninstalling",
];

/// Everything the rows look at for one HelmRelease.
pub(super) struct Subject<'a> {
    pub hr: &'a HelmReleaseObs,
    pub config: &'a RecoveryConfig,
    /// Newest storage entry of its release (by numeric revision).
    pub stored: Option<(u64, &'a StorageEntry)>,
    /// `status.history[0]`.
    pub history: Option<&'a HistoryEntry>,
    /// The Ready condition.
    pub ready: Option<&'a Condition>,
    /// Seconds Ready has been Unknown (Ready=Unknown with a valid transition time).
    pub unknown_for: Option<i64>,
    /// Newest release revision (storage, else history).
    pub revision: Option<u64>,
}

impl<'a> Subject<'a> {
    pub fn new(
        hr: &'a HelmReleaseObs,
        config: &'a RecoveryConfig,
        stored: Option<(u64, &'a StorageEntry)>,
        now: i64,
    ) -> Self {
        let history = hr.history.first();
        let ready = hr.conditions.iter().find(|c| c.type_ == "Ready");
        let unknown_for = ready
            .filter(|r| r.status == "Unknown")
            .and_then(|r| r.last_transition_time.as_deref())
            .and_then(parse_rfc3339)
            .map(|since| now.saturating_sub(since));
        let revision = stored.map(|(r, _)| r).or_else(|| {
            history
                .and_then(|h| h.version)
                .and_then(|v| u64::try_from(v).ok())
        });
        Self {
            hr,
            config,
            stored,
            history,
            ready,
            unknown_for,
            revision,
        }
    }

    fn unknown_text(&self) -> String {
        format_duration(u64::try_from(self.unknown_for.unwrap_or(0).max(0)).unwrap_or(0))
    }

    fn storage_status(&self) -> Option<&str> {
        self.stored.map(|(_, e)| e.status.as_str())
    }

    fn history_deployed(&self) -> bool {
        self.history.and_then(|h| h.status.as_deref()) == Some("deployed")
    }
}

/// What to do about an HelmRelease this job acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Plan {
    /// Resume our own interrupted toggle (the marker value guards the retry).
    Resume { marker: String },
    /// Nudge with this strategy; a status patch writes this `observedGeneration`.
    Nudge {
        strategy: Strategy,
        deployed_generation: Option<i64>,
    },
}

/// A row's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Verdict {
    pub class: Class,
    pub reason: Reason,
    pub message: String,
    /// `None`: leave it alone.
    pub plan: Option<Plan>,
}

fn leave(class: Class, reason: Reason, message: String) -> Option<Verdict> {
    Some(Verdict {
        class,
        reason,
        message,
        plan: None,
    })
}

/// One row of the table.
pub(super) type Row = fn(&Subject<'_>) -> Option<Verdict>;

/// The table, in order.
pub(super) const ROWS: [Row; 12] = [
    malformed,
    out_of_scope,
    suspended,
    ready_settled,
    ready_unknown_undated,
    ready_unknown_young,
    storage_in_flight,
    storage_failed,
    already_corrected,
    status_lost,
    leader_loss,
    nothing_deployed,
];

/// A field the host could not read: never act on a half-read object.
pub(super) fn malformed(s: &Subject<'_>) -> Option<Verdict> {
    let what = s.hr.malformed.as_deref()?;
    leave(
        Class::Undetermined,
        Reason::MalformedObject,
        format!("cannot read {what}"),
    )
}

/// Namespace include/exclude and the label selector.
pub(super) fn out_of_scope(s: &Subject<'_>) -> Option<Verdict> {
    if !s.config.namespace_in_scope(&s.hr.namespace) {
        return leave(
            Class::Excluded,
            Reason::NamespaceNotInScope,
            format!("namespace `{}` is out of scope", s.hr.namespace),
        );
    }
    if !s.config.labels_match(&s.hr.labels) {
        return leave(
            Class::Excluded,
            Reason::LabelsNotSelected,
            format!("labels do not match `{}`", s.config.label_selector),
        );
    }
    None
}

/// `spec.suspend: true`: someone else's suspend is never touched; our own in-flight
/// marker means a toggle was interrupted, and we resume it.
pub(super) fn suspended(s: &Subject<'_>) -> Option<Verdict> {
    if !s.hr.suspend {
        return None;
    }
    match s.hr.annotations.get(&s.config.annotations.suspended_by) {
        Some(marker) => Some(Verdict {
            class: Class::InterruptedToggle,
            reason: Reason::ToggleInterrupted,
            message: format!("suspended by an interrupted recovery toggle at `{marker}`; resuming"),
            plan: Some(Plan::Resume {
                marker: marker.clone(),
            }),
        }),
        None => leave(
            Class::Suspended,
            Reason::SuspendedInSpec,
            "`spec.suspend` is true; left alone".to_string(),
        ),
    }
}

/// No Ready condition, Ready=True or Ready=False: nothing stuck here.
pub(super) fn ready_settled(s: &Subject<'_>) -> Option<Verdict> {
    let Some(ready) = s.ready else {
        return leave(
            Class::Undetermined,
            Reason::NoReadyCondition,
            "no Ready condition yet".to_string(),
        );
    };
    match ready.status.as_str() {
        "True" => leave(Class::Healthy, Reason::ReadyTrue, "Ready=True".to_string()),
        "False" => leave(
            Class::Failed,
            Reason::ReadyFalse,
            format!(
                "Ready=False ({})",
                ready.reason.as_deref().unwrap_or("no reason")
            ),
        ),
        _ => None,
    }
}

/// Ready=Unknown without a valid lastTransitionTime: the age is unknown, and the job
/// never acts on a guess.
pub(super) fn ready_unknown_undated(s: &Subject<'_>) -> Option<Verdict> {
    if s.unknown_for.is_some() {
        return None;
    }
    let seen = s
        .ready
        .and_then(|r| r.last_transition_time.as_deref())
        .unwrap_or("(missing)");
    leave(
        Class::Undetermined,
        Reason::ReadyUnknownWithoutTransitionTime,
        format!("Ready=Unknown with lastTransitionTime `{seen}`; cannot tell for how long"),
    )
}

/// Ready=Unknown, but not longer than the threshold (exclusive).
pub(super) fn ready_unknown_young(s: &Subject<'_>) -> Option<Verdict> {
    let threshold = i64::try_from(s.config.stuck_threshold_seconds).unwrap_or(i64::MAX);
    if s.unknown_for.is_some_and(|age| age > threshold) {
        return None;
    }
    leave(
        Class::Progressing,
        Reason::ReadyUnknownBelowThreshold,
        format!(
            "Ready=Unknown for {}, not over the {} threshold",
            s.unknown_text(),
            s.config.threshold_text()
        ),
    )
}

/// The newest storage entry is pending-* or uninstalling: a Helm operation is in flight
/// (helm-controller v0.37.0+ unlocks a hung one itself; nobody should edit storage).
pub(super) fn storage_in_flight(s: &Subject<'_>) -> Option<Verdict> {
    let (rev, e) = s.stored?;
    PENDING.contains(&e.status.as_str()).then(|| Verdict {
        class: Class::NotStuckStoragePending,
        reason: Reason::StoragePending,
        message: format!(
            "release revision {rev} is `{}` in storage: a Helm operation is in flight",
            e.status
        ),
        plan: None,
    })
}

/// The newest storage entry failed: remediation is helm-controller's business.
pub(super) fn storage_failed(s: &Subject<'_>) -> Option<Verdict> {
    let (rev, e) = s.stored?;
    (e.status == "failed").then(|| Verdict {
        class: Class::Failed,
        reason: Reason::StorageFailed,
        message: format!("release revision {rev} failed"),
        plan: None,
    })
}

/// The idempotency annotation covers this release revision.
pub(super) fn already_corrected(s: &Subject<'_>) -> Option<Verdict> {
    let rev = s.revision?;
    let keys = &s.config.annotations;
    let done = match s.hr.annotations.get(&keys.corrected_revision) {
        // The revision annotation is authoritative.
        Some(done) => done.trim() == rev.to_string(),
        // The old shell job wrote a time only: it counts if it is not older than the
        // release's last change, so a later stuck release is recovered again.
        None => {
            let at =
                s.hr.annotations
                    .get(&keys.corrected_at)
                    .and_then(|a| parse_rfc3339(a));
            let changed = s
                .history
                .and_then(|h| h.last_deployed.as_deref())
                .and_then(parse_rfc3339)
                .or_else(|| {
                    s.stored
                        .and_then(|(_, e)| e.modified_at.as_deref())
                        .and_then(|m| m.trim().parse::<i64>().ok())
                });
            matches!((at, changed), (Some(a), Some(c)) if a >= c)
        }
    };
    done.then(|| Verdict {
        class: Class::AlreadyCorrected,
        reason: Reason::AlreadyCorrectedForRevision,
        message: format!("already corrected for revision {rev}"),
        plan: None,
    })
}

/// How history[0] was shown to be the release of the current generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Proof {
    /// `lastAttemptedGeneration == generation` and the chart version (and values
    /// digest, where both are known) of history[0] are the attempt's.
    LastAttempted,
    /// The controller reports no `lastAttempted*` (older API versions):
    /// `observedGeneration == generation` instead.
    ObservedGeneration,
}

/// Why history[0] is not known to be the current generation's release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum NotCurrent {
    /// `lastAttemptedGeneration` is behind `metadata.generation`.
    NeverAttempted { attempted: i64 },
    /// history[0]'s chart version or values digest is not the last attempt's.
    OtherRelease {
        field: &'static str,
        attempted: String,
        found: String,
    },
    /// No `lastAttempted*`, and `observedGeneration` is not the generation.
    NotObserved { observed: Option<i64> },
}

impl NotCurrent {
    fn reason(&self) -> Reason {
        match self {
            Self::NeverAttempted { .. } => Reason::GenerationNotAttempted,
            Self::OtherRelease { .. } => Reason::HistoryNotOfLastAttempt,
            Self::NotObserved { .. } => Reason::GenerationNotObserved,
        }
    }

    fn describe(&self, generation: i64) -> String {
        match self {
            Self::NeverAttempted { attempted } => format!(
                "generation {generation} was never attempted (lastAttemptedGeneration {attempted})"
            ),
            Self::OtherRelease {
                field,
                attempted,
                found,
            } => format!("history[0] {field} `{found}` is not the last attempt's `{attempted}`"),
            Self::NotObserved { observed } => format!(
                "no lastAttemptedGeneration and observedGeneration {} is not generation {generation}",
                observed.map_or_else(|| "(missing)".to_string(), |o| o.to_string())
            ),
        }
    }
}

/// Whether `release` (history[0]) is the release of `hr`'s current generation.
/// `observedGeneration` is not the test where `lastAttempted*` exist: it is written by
/// the very status patch whose loss this job repairs.
pub(super) fn current_release(
    hr: &HelmReleaseObs,
    release: &HistoryEntry,
) -> Result<Proof, NotCurrent> {
    let Some(attempted) = hr.last_attempted_generation.filter(|g| *g > 0) else {
        return match hr.observed_generation {
            Some(o) if o == hr.generation => Ok(Proof::ObservedGeneration),
            observed => Err(NotCurrent::NotObserved { observed }),
        };
    };
    if attempted != hr.generation {
        return Err(NotCurrent::NeverAttempted { attempted });
    }
    let attempted_rev = hr.last_attempted_revision.as_deref().unwrap_or_default();
    let chart = release.chart_version.as_deref().unwrap_or_default();
    if attempted_rev.is_empty() || attempted_rev != chart {
        return Err(NotCurrent::OtherRelease {
            field: "chartVersion",
            attempted: attempted_rev.to_string(),
            found: chart.to_string(),
        });
    }
    if let (Some(a), Some(f)) = (
        hr.last_attempted_config_digest.as_deref(),
        release.config_digest.as_deref(),
    ) && a != f
    {
        return Err(NotCurrent::OtherRelease {
            field: "configDigest",
            attempted: a.to_string(),
            found: f.to_string(),
        });
    }
    Ok(Proof::LastAttempted)
}

/// The strategy for branch B on this controller: v1.5.0+ needs a reconcile request
/// only; older ones get the configured strategy (default status-patch).
fn status_lost_strategy(config: &RecoveryConfig) -> Strategy {
    match behaviour(config.helm_controller_version.as_deref()) {
        ControllerBehaviour::ReevaluatesConditions => Strategy::ReconcileRequest,
        ControllerBehaviour::KeepsStaleConditions => config.status_lost_strategy,
    }
}

/// Branch B ("status lost"): history[0] is deployed, storage (if any) agrees, and
/// history[0] is the release of the current generation.
pub(super) fn status_lost(s: &Subject<'_>) -> Option<Verdict> {
    let release = s.history.filter(|_| s.history_deployed())?;
    if s.storage_status().is_some_and(|st| st != "deployed") {
        return None;
    }
    let proof = current_release(s.hr, release).ok()?;
    let (reason, how) = match proof {
        Proof::LastAttempted => (Reason::HistoryDeployedReadyUnknown, ""),
        Proof::ObservedGeneration => (
            Reason::HistoryDeployedReadyUnknownObservedGenerationFallback,
            " (no lastAttempted* reported: matched by observedGeneration)",
        ),
    };
    Some(Verdict {
        class: Class::StuckStatusLost,
        reason,
        message: format!(
            "history says revision {} deployed for generation {} but Ready=Unknown for {}{how}",
            release.version.unwrap_or_default(),
            s.hr.generation,
            s.unknown_text()
        ),
        plan: Some(Plan::Nudge {
            strategy: status_lost_strategy(s.config),
            deployed_generation: Some(s.hr.generation),
        }),
    })
}

/// Branch A ("leader lost"): the newest storage entry is deployed. A status patch is
/// only written for a generation the controller attempted; otherwise (and on v1.5.0+)
/// it becomes a reconcile request.
pub(super) fn leader_loss(s: &Subject<'_>) -> Option<Verdict> {
    if s.storage_status() != Some("deployed") {
        return None;
    }
    let attempted =
        s.hr.last_attempted_generation
            .filter(|g| *g > 0)
            .map_or_else(
                || s.hr.observed_generation == Some(s.hr.generation),
                |g| g == s.hr.generation,
            );
    let reevaluates = behaviour(s.config.helm_controller_version.as_deref())
        == ControllerBehaviour::ReevaluatesConditions;
    let (strategy, note) = match s.config.leader_loss_strategy {
        Strategy::StatusPatch if reevaluates => (
            Strategy::ReconcileRequest,
            "; helm-controller re-evaluates conditions itself: reconcile request instead of a status patch",
        ),
        Strategy::StatusPatch if !attempted => (
            Strategy::ReconcileRequest,
            "; the current generation was never attempted: reconcile request instead of a status patch",
        ),
        other => (other, ""),
    };
    Some(Verdict {
        class: Class::StuckAfterLeaderLoss,
        reason: Reason::StorageDeployedReadyUnknown,
        message: format!(
            "Helm storage says deployed but Ready=Unknown for {}{note}",
            s.unknown_text()
        ),
        plan: Some(Plan::Nudge {
            strategy,
            deployed_generation: Some(s.hr.generation).filter(|_| attempted),
        }),
    })
}

/// Nothing deployed that this job could vouch for.
pub(super) fn nothing_deployed(s: &Subject<'_>) -> Option<Verdict> {
    if let Some(release) = s.history.filter(|_| s.history_deployed())
        && let Err(why) = current_release(s.hr, release)
    {
        return leave(
            Class::Undetermined,
            why.reason(),
            format!(
                "{}, and no deployed storage entry",
                why.describe(s.hr.generation)
            ),
        );
    }
    if s.stored.is_none() && s.history.is_none() {
        return leave(
            Class::Undetermined,
            Reason::NoReleaseRecord,
            "no release history and no Helm storage entry".to_string(),
        );
    }
    leave(
        Class::Undetermined,
        Reason::ReleaseNotDeployed,
        "the newest release is not deployed".to_string(),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const NOW: i64 = 1_000_000;

    fn ready(status: &str, since: Option<i64>) -> Condition {
        Condition {
            type_: "Ready".to_string(),
            status: status.to_string(),
            reason: Some("Progressing".to_string()),
            last_transition_time: since.map(super::super::time::format_rfc3339),
            ..Condition::default()
        }
    }

    /// An upgrade whose final status write was lost: generation 2 attempted and
    /// deployed as chart 1.1.0, observedGeneration still 1, Ready=Unknown for 10m.
    fn lost_upgrade() -> HelmReleaseObs {
        HelmReleaseObs {
            namespace: "apps".to_string(),
            name: "web".to_string(),
            generation: 2,
            observed_generation: Some(1),
            resource_version: "7".to_string(),
            last_attempted_generation: Some(2),
            last_attempted_revision: Some("1.1.0".to_string()),
            last_attempted_config_digest: Some("sha256:v2".to_string()),
            last_attempted_release_action: Some("upgrade".to_string()),
            conditions: vec![ready("Unknown", Some(NOW - 600))],
            history: vec![HistoryEntry {
                status: Some("deployed".to_string()),
                version: Some(2),
                chart_version: Some("1.1.0".to_string()),
                config_digest: Some("sha256:v2".to_string()),
                ..HistoryEntry::default()
            }],
            ..HelmReleaseObs::default()
        }
    }

    fn entry(status: &str) -> StorageEntry {
        StorageEntry {
            namespace: "apps".to_string(),
            release: "web".to_string(),
            revision: "2".to_string(),
            status: status.to_string(),
            ..StorageEntry::default()
        }
    }

    fn run(row: Row, hr: &HelmReleaseObs, stored: Option<&StorageEntry>) -> Option<Verdict> {
        run_with(row, hr, stored, &RecoveryConfig::default())
    }

    fn run_with(
        row: Row,
        hr: &HelmReleaseObs,
        stored: Option<&StorageEntry>,
        config: &RecoveryConfig,
    ) -> Option<Verdict> {
        let s = Subject::new(hr, config, stored.map(|e| (2, e)), NOW);
        row(&s)
    }

    fn reason(v: Option<Verdict>) -> Option<Reason> {
        v.map(|v| v.reason)
    }

    #[test]
    fn malformed_names_the_unreadable_field() {
        let mut hr = lost_upgrade();
        assert_eq!(run(malformed, &hr, None), None);
        hr.malformed = Some("`status.history`: invalid type".to_string());
        let v = run(malformed, &hr, None).expect("verdict");
        assert_eq!(
            (v.class, v.reason),
            (Class::Undetermined, Reason::MalformedObject)
        );
        assert!(v.message.contains("`status.history`"), "{}", v.message);
    }

    #[test]
    fn out_of_scope_checks_namespace_then_labels() {
        let hr = lost_upgrade();
        let mut config = RecoveryConfig::default();
        assert_eq!(run_with(out_of_scope, &hr, None, &config), None);
        config.exclude_namespaces = vec!["apps".to_string()];
        assert_eq!(
            reason(run_with(out_of_scope, &hr, None, &config)),
            Some(Reason::NamespaceNotInScope)
        );
        config.exclude_namespaces.clear();
        config.label_selector = "team=web".to_string();
        assert_eq!(
            reason(run_with(out_of_scope, &hr, None, &config)),
            Some(Reason::LabelsNotSelected)
        );
    }

    #[test]
    fn suspended_leaves_an_operators_suspend_and_resumes_our_own() {
        let mut hr = lost_upgrade();
        assert_eq!(run(suspended, &hr, None), None);
        hr.suspend = true;
        assert_eq!(
            reason(run(suspended, &hr, None)),
            Some(Reason::SuspendedInSpec)
        );
        hr.annotations = BTreeMap::from([(
            "stuck-hr-recovery.openova.io/suspended-at".to_string(),
            "t0".to_string(),
        )]);
        let v = run(suspended, &hr, None).expect("verdict");
        assert_eq!(
            v.plan,
            Some(Plan::Resume {
                marker: "t0".to_string()
            })
        );
    }

    #[test]
    fn ready_settled_handles_missing_true_and_false() {
        let mut hr = lost_upgrade();
        assert_eq!(
            run(ready_settled, &hr, None),
            None,
            "Unknown is not settled"
        );
        for (status, r) in [("True", Reason::ReadyTrue), ("False", Reason::ReadyFalse)] {
            hr.conditions = vec![ready(status, Some(NOW))];
            assert_eq!(reason(run(ready_settled, &hr, None)), Some(r));
        }
        hr.conditions.clear();
        assert_eq!(
            reason(run(ready_settled, &hr, None)),
            Some(Reason::NoReadyCondition)
        );
    }

    #[test]
    fn ready_unknown_undated_never_guesses_an_age() {
        let mut hr = lost_upgrade();
        assert_eq!(run(ready_unknown_undated, &hr, None), None);
        hr.conditions = vec![ready("Unknown", None)];
        assert_eq!(
            reason(run(ready_unknown_undated, &hr, None)),
            Some(Reason::ReadyUnknownWithoutTransitionTime)
        );
    }

    #[test]
    fn ready_unknown_young_is_exclusive_at_the_threshold() {
        let mut hr = lost_upgrade();
        for (age, young) in [(299, true), (300, true), (301, false)] {
            hr.conditions = vec![ready("Unknown", Some(NOW - age))];
            assert_eq!(
                run(ready_unknown_young, &hr, None).is_some(),
                young,
                "{age}"
            );
        }
    }

    #[test]
    fn storage_in_flight_and_storage_failed_read_the_newest_entry() {
        let hr = lost_upgrade();
        assert_eq!(
            reason(run(storage_in_flight, &hr, Some(&entry("pending-upgrade")))),
            Some(Reason::StoragePending)
        );
        assert_eq!(run(storage_in_flight, &hr, Some(&entry("deployed"))), None);
        assert_eq!(
            reason(run(storage_failed, &hr, Some(&entry("failed")))),
            Some(Reason::StorageFailed)
        );
        assert_eq!(run(storage_failed, &hr, None), None);
    }

    #[test]
    fn already_corrected_is_keyed_on_the_revision() {
        let mut hr = lost_upgrade();
        let key = "stuck-hr-recovery.openova.io/auto-corrected-revision".to_string();
        hr.annotations.insert(key.clone(), "1".to_string());
        assert_eq!(run(already_corrected, &hr, Some(&entry("deployed"))), None);
        hr.annotations.insert(key, "2".to_string());
        assert_eq!(
            reason(run(already_corrected, &hr, Some(&entry("deployed")))),
            Some(Reason::AlreadyCorrectedForRevision)
        );
    }

    #[test]
    fn status_lost_takes_the_lost_upgrade_to_a_status_patch_for_generation_2() {
        let hr = lost_upgrade();
        let v = run(status_lost, &hr, Some(&entry("deployed"))).expect("branch B");
        assert_eq!(
            (v.class, v.reason),
            (Class::StuckStatusLost, Reason::HistoryDeployedReadyUnknown)
        );
        assert_eq!(
            v.plan,
            Some(Plan::Nudge {
                strategy: Strategy::StatusPatch,
                deployed_generation: Some(2)
            })
        );
    }

    #[test]
    fn status_lost_never_vouches_for_a_generation_that_was_not_attempted() {
        let mut hr = lost_upgrade();
        hr.generation = 3;
        assert_eq!(run(status_lost, &hr, Some(&entry("deployed"))), None);
        assert_eq!(
            current_release(&hr, &hr.history[0]),
            Err(NotCurrent::NeverAttempted { attempted: 2 })
        );
    }

    #[test]
    fn status_lost_needs_the_attempts_chart_and_values() {
        let mut hr = lost_upgrade();
        hr.last_attempted_revision = Some("1.2.0".to_string());
        assert_eq!(run(status_lost, &hr, None), None);
        let mut hr = lost_upgrade();
        hr.last_attempted_config_digest = Some("sha256:v3".to_string());
        assert_eq!(run(status_lost, &hr, None), None);
        // Where one side has no digest, the chart version decides.
        hr.history[0].config_digest = None;
        assert!(run(status_lost, &hr, None).is_some());
    }

    #[test]
    fn status_lost_falls_back_to_observed_generation_and_says_so() {
        let mut hr = lost_upgrade();
        hr.last_attempted_generation = None;
        hr.last_attempted_revision = None;
        assert_eq!(
            run(status_lost, &hr, None),
            None,
            "observed 1 != generation 2"
        );
        hr.observed_generation = Some(2);
        let v = run(status_lost, &hr, None).expect("fallback");
        assert_eq!(
            v.reason,
            Reason::HistoryDeployedReadyUnknownObservedGenerationFallback
        );
        assert!(v.message.contains("observedGeneration"), "{}", v.message);
    }

    #[test]
    fn status_lost_on_v1_5_0_is_a_reconcile_request() {
        let hr = lost_upgrade();
        let config = RecoveryConfig {
            helm_controller_version: Some("v1.5.0".to_string()),
            ..RecoveryConfig::default()
        };
        let v = run_with(status_lost, &hr, None, &config).expect("branch B");
        assert!(matches!(
            v.plan,
            Some(Plan::Nudge {
                strategy: Strategy::ReconcileRequest,
                ..
            })
        ));
    }

    #[test]
    fn leader_loss_needs_deployed_storage_and_never_status_patches_an_unattempted_generation() {
        let mut hr = lost_upgrade();
        hr.history.clear();
        assert_eq!(run(leader_loss, &hr, None), None);
        let v = run(leader_loss, &hr, Some(&entry("deployed"))).expect("branch A");
        assert_eq!(v.reason, Reason::StorageDeployedReadyUnknown);
        assert!(matches!(
            v.plan,
            Some(Plan::Nudge {
                strategy: Strategy::SuspendToggle,
                ..
            })
        ));
        let config = RecoveryConfig {
            leader_loss_strategy: Strategy::StatusPatch,
            ..RecoveryConfig::default()
        };
        hr.generation = 3;
        let v = run_with(leader_loss, &hr, Some(&entry("deployed")), &config).expect("A");
        assert_eq!(
            v.plan,
            Some(Plan::Nudge {
                strategy: Strategy::ReconcileRequest,
                deployed_generation: None
            })
        );
    }

    #[test]
    fn nothing_deployed_says_why_history_was_not_trusted() {
        let mut hr = lost_upgrade();
        hr.generation = 3;
        assert_eq!(
            reason(run(nothing_deployed, &hr, None)),
            Some(Reason::GenerationNotAttempted)
        );
        hr.generation = 2;
        hr.last_attempted_revision = Some("9.9.9".to_string());
        assert_eq!(
            reason(run(nothing_deployed, &hr, None)),
            Some(Reason::HistoryNotOfLastAttempt)
        );
        hr.history.clear();
        assert_eq!(
            reason(run(nothing_deployed, &hr, None)),
            Some(Reason::NoReleaseRecord)
        );
        assert_eq!(
            reason(run(nothing_deployed, &hr, Some(&entry("superseded")))),
            Some(Reason::ReleaseNotDeployed)
        );
    }
}
