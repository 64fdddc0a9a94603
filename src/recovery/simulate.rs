//! Applies a plan's actions to a snapshot as if every API call succeeded, so tests and
//! benchmarks can check that a second run on the resulting state changes nothing.

use super::decide::{Op, Plan};
use super::snapshot::{HelmReleaseObs, Snapshot};

fn apply_op(hr: &mut HelmReleaseObs, op: &Op) {
    match op {
        Op::PatchAnnotations { set, remove, .. } => {
            for k in remove {
                hr.annotations.remove(k);
            }
            hr.annotations
                .extend(set.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Op::PatchStatus {
            conditions,
            observed_generation,
        } => {
            hr.conditions.clone_from(conditions);
            hr.observed_generation = Some(*observed_generation);
        }
        Op::PatchSuspend {
            suspend,
            set,
            remove,
            ..
        } => {
            hr.suspend = *suspend;
            for k in remove {
                hr.annotations.remove(k);
            }
            hr.annotations
                .extend(set.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Op::Pause { .. } => {}
    }
}

/// The snapshot after every action of `plan` succeeded (resourceVersions bumped).
pub fn apply(snapshot: &Snapshot, plan: &Plan) -> Snapshot {
    let mut next = snapshot.clone();
    for action in &plan.actions {
        let Some(hr) = next
            .helm_releases
            .iter_mut()
            .find(|h| h.namespace == action.namespace && h.name == action.name)
        else {
            continue;
        };
        for step in &action.steps {
            apply_op(hr, &step.op);
        }
        hr.resource_version = format!("{}-next", hr.resource_version);
    }
    next
}
