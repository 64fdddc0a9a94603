//! Checks a Plan that came from somewhere the host does not trust (the plugin) against
//! the snapshot it was computed from and the configuration, before anything is
//! written: every action names a listed HelmRelease at its listed resourceVersion, has
//! a decision of the same class and strategy, uses only the operations that class and
//! strategy allow, writes only this job's annotation keys, and the number of actions
//! respects `maxActions`.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::config::{RecoveryConfig, Strategy};
use super::decide::{Action, Class, FORCE_AT, Op, Plan, REQUESTED_AT};
use super::snapshot::Snapshot;

/// What the check needs from the snapshot: (namespace, name) -> resourceVersion. Small
/// enough to keep while the plugin works on the full snapshot.
#[derive(Debug, Clone, Default)]
pub struct Listed(HashMap<(String, String), String>);

impl Listed {
    /// Indexes a snapshot.
    pub fn of(snapshot: &Snapshot) -> Self {
        Self(
            snapshot
                .helm_releases
                .iter()
                .map(|h| {
                    (
                        (h.namespace.clone(), h.name.clone()),
                        h.resource_version.clone(),
                    )
                })
                .collect(),
        )
    }
}

/// The first thing wrong with a plan.
pub fn check_plan(plan: &Plan, listed: &Listed, config: &RecoveryConfig) -> Result<(), String> {
    if plan.guardrail.limit != config.max_actions {
        return Err(format!(
            "guardrail limit `{}` is not the configured `maxActions` `{}`",
            plan.guardrail.limit, config.max_actions
        ));
    }
    let decisions: HashMap<(&str, &str), _> = plan
        .decisions
        .iter()
        .map(|d| ((d.namespace.as_str(), d.name.as_str()), d))
        .collect();
    if decisions.len() != plan.decisions.len() || decisions.len() != listed.0.len() {
        return Err(format!(
            "{} decisions for {} listed HelmReleases",
            plan.decisions.len(),
            listed.0.len()
        ));
    }
    let mut seen = HashSet::new();
    let mut new_actions = 0usize;
    for a in &plan.actions {
        let who = format!("`{}/{}`", a.namespace, a.name);
        let key = (a.namespace.clone(), a.name.clone());
        let Some(rv) = listed.0.get(&key) else {
            return Err(format!("action for {who}, which was not listed"));
        };
        if *rv != a.resource_version {
            return Err(format!(
                "action for {who} at resourceVersion `{}`, listed at `{rv}`",
                a.resource_version
            ));
        }
        if !seen.insert(key) {
            return Err(format!("two actions for {who}"));
        }
        let d = decisions
            .get(&(a.namespace.as_str(), a.name.as_str()))
            .ok_or_else(|| format!("action for {who} without a decision"))?;
        if d.class != a.class || d.strategy != Some(a.strategy) {
            return Err(format!(
                "action for {who} does not match its decision's class and strategy"
            ));
        }
        check_steps(a, config).map_err(|m| format!("action for {who}: {m}"))?;
        if a.class != Class::InterruptedToggle {
            new_actions += 1;
        }
    }
    if new_actions > config.max_actions {
        return Err(format!(
            "{new_actions} new actions, more than `maxActions` `{}`",
            config.max_actions
        ));
    }
    if plan.guardrail.tripped && new_actions > 0 {
        return Err("the guardrail tripped but the plan still acts".to_string());
    }
    Ok(())
}

fn keys_ok(
    set: &BTreeMap<String, String>,
    remove: &[String],
    allowed: &[&str],
) -> Result<(), String> {
    match set
        .keys()
        .chain(remove.iter())
        .find(|k| !allowed.contains(&k.as_str()))
    {
        Some(k) => Err(format!("writes annotation `{k}`, not one of this job's")),
        None => Ok(()),
    }
}

/// The operations allowed for the action's class and strategy, in the order the core
/// plans them.
fn check_steps(a: &Action, config: &RecoveryConfig) -> Result<(), String> {
    let keys = &config.annotations;
    let ours = [
        keys.corrected_at.as_str(),
        keys.corrected_revision.as_str(),
        keys.suspended_by.as_str(),
        REQUESTED_AT,
        FORCE_AT,
    ];
    let ops: Vec<&Op> = a
        .steps
        .iter()
        .flat_map(|s| std::iter::once(&s.op).chain(s.on_failure.iter()))
        .collect();
    for op in &ops {
        match op {
            Op::PatchAnnotations { set, remove, .. } | Op::PatchSuspend { set, remove, .. } => {
                keys_ok(set, remove, &ours)?;
            }
            Op::Pause { seconds } if *seconds > config.suspend_pause_seconds => {
                return Err(format!(
                    "pauses {seconds}s, longer than `suspendPause` ({}s)",
                    config.suspend_pause_seconds
                ));
            }
            Op::PatchStatus { .. } | Op::Pause { .. } => {}
        }
    }
    let shape: Vec<&str> = a.steps.iter().map(|s| op_kind(&s.op)).collect();
    let expected: &[&str] = match (a.class, a.strategy) {
        (Class::InterruptedToggle, _) => &["resume"],
        (Class::StuckStatusLost | Class::StuckAfterLeaderLoss, Strategy::StatusPatch) => {
            &["annotate", "status"]
        }
        (
            Class::StuckStatusLost | Class::StuckAfterLeaderLoss,
            Strategy::ReconcileRequest | Strategy::ForceReconcile,
        ) => &["annotate"],
        (Class::StuckStatusLost | Class::StuckAfterLeaderLoss, Strategy::SuspendToggle) => {
            &["suspend", "pause", "resume"]
        }
        (class, _) => {
            return Err(format!("class `{class:?}` is never acted on"));
        }
    };
    if shape != expected {
        return Err(format!(
            "steps {shape:?} are not the {} steps {expected:?}",
            a.strategy.as_str()
        ));
    }
    let status_in_rollback = a
        .steps
        .iter()
        .flat_map(|s| &s.on_failure)
        .any(|op| !matches!(op, Op::PatchAnnotations { .. }));
    if status_in_rollback {
        return Err("a rollback may only restore annotations".to_string());
    }
    Ok(())
}

fn op_kind(op: &Op) -> &'static str {
    match op {
        Op::PatchAnnotations { .. } => "annotate",
        Op::PatchStatus { .. } => "status",
        Op::PatchSuspend { suspend: true, .. } => "suspend",
        Op::PatchSuspend { suspend: false, .. } => "resume",
        Op::Pause { .. } => "pause",
    }
}
