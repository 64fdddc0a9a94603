//! Stuck-HelmRelease recovery: a [`Snapshot`] of the cluster in, a [`Plan`] out.
//!
//! HelmReleases get stuck at Ready=Unknown after helm-controller loses leadership or
//! the API server flaps. [`decide`] classifies every HelmRelease with a
//! machine-readable reason, picks actions for the stuck ones (branch B before branch
//! A, one function per table row in `rules`), and applies the guardrail. It is pure: the host lists
//! the objects, passes `now`, and executes the plan with resourceVersion
//! preconditions.

pub mod config;
pub mod controller;
pub mod decide;
mod rules;
pub mod simulate;
pub mod snapshot;
pub mod status;
mod steps;
pub mod time;
pub mod verify;

pub use config::{RecoveryConfig, Strategy};
pub use decide::{
    Action, Class, Decision, Guardrail, Op, PLAN_SCHEMA_VERSION, Plan, Reason, Step, decide,
};
pub use snapshot::{
    Condition, HelmReleaseObs, HistoryEntry, SNAPSHOT_SCHEMA_VERSION, Snapshot, SnapshotError,
    StorageEntry,
};
