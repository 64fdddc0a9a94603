//! Shared by the fuzz targets: the properties (`props`, also replayed by the stable
//! test suite) and the structured generators for inputs whose shape matters more than
//! their bytes (a cluster for `decide`).

pub mod props;

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Unstructured};
use catalyst_guard::recovery::snapshot::{Condition, HelmReleaseObs, HistoryEntry, StorageEntry};
use catalyst_guard::recovery::{RecoveryConfig, Snapshot, Strategy};

use props::Term;

/// "now" for every generated cluster: 2026-11-22T12:00:00Z.
pub const NOW: i64 = 1_795_348_800;

const NAMESPACES: &[&str] = &["flux-system", "apps", "team-a", "kube-system", ""];
const NAMES: &[&str] = &["gitea", "flux", "harbor", "a", "bp-x"];
const LABEL_KEYS: &[&str] = &["team", "app.kubernetes.io/part-of", "skip", "tier"];
const LABEL_VALUES: &[&str] = &["platform", "catalyst", "", "x"];
const STATUSES: &[&str] = &[
    "deployed",
    "superseded",
    "failed",
    "pending-install",
    "pending-upgrade",
    "pending-rollback",
    "uninstalling",
    "uninstalled",
    "unknown",
    "",
];
const READY: &[&str] = &["True", "False", "Unknown", "", "true"];
const TIMES: &[&str] = &[
    "2026-11-22T11:59:00Z",
    "2026-11-22T11:00:00Z",
    "2026-11-22T12:00:00Z",
    "2026-11-22T13:00:00Z",
    "2026-11-22T11:50:00+00:00",
    "not-a-time",
    "",
];
const MARKER: &str = "stuck-hr-recovery.openova.io/suspended-at";
const ANNOTATIONS: &[&str] = &[
    MARKER,
    "stuck-hr-recovery.openova.io/auto-corrected-at",
    "stuck-hr-recovery.openova.io/auto-corrected-revision",
    "other.io/x",
];

fn pick<'a>(u: &mut Unstructured<'_>, from: &[&'a str]) -> arbitrary::Result<&'a str> {
    Ok(*u.choose(from)?)
}

fn maybe<T>(
    u: &mut Unstructured<'_>,
    f: impl FnOnce(&mut Unstructured<'_>) -> arbitrary::Result<T>,
) -> arbitrary::Result<Option<T>> {
    Ok(if u.arbitrary()? { Some(f(u)?) } else { None })
}

fn small_string(u: &mut Unstructured<'_>, from: &[&str]) -> arbitrary::Result<String> {
    // Mostly from the vocabulary (so names collide and match), sometimes anything.
    if u.ratio(1, 8)? {
        Ok(String::arbitrary(u)?)
    } else {
        Ok(pick(u, from)?.to_string())
    }
}

fn condition(u: &mut Unstructured<'_>) -> arbitrary::Result<Condition> {
    let mut c: Condition = serde_json::from_value(serde_json::json!({
        "type": if u.ratio(4, 5)? { "Ready" } else { pick(u, &["Released", "Reconciling", "Stalled"])? },
        "status": pick(u, READY)?,
    }))
    .map_err(|_| arbitrary::Error::IncorrectFormat)?;
    c.last_transition_time = maybe(u, |u| small_string(u, TIMES))?;
    c.reason = maybe(u, |u| {
        small_string(u, &["InstallSucceeded", "Progressing", "UpgradeFailed"])
    })?;
    Ok(c)
}

fn helm_release(u: &mut Unstructured<'_>) -> arbitrary::Result<HelmReleaseObs> {
    let mut labels = BTreeMap::new();
    for _ in 0..u.int_in_range(0..=3)? {
        labels.insert(small_string(u, LABEL_KEYS)?, small_string(u, LABEL_VALUES)?);
    }
    let mut annotations = BTreeMap::new();
    for _ in 0..u.int_in_range(0..=3)? {
        annotations.insert(small_string(u, ANNOTATIONS)?, small_string(u, TIMES)?);
    }
    let mut conditions = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        conditions.push(condition(u)?);
    }
    let mut history = Vec::new();
    for _ in 0..u.int_in_range(0..=2)? {
        let mut h = HistoryEntry::default();
        h.status = maybe(u, |u| small_string(u, STATUSES))?;
        h.version = maybe(u, |u| u.int_in_range(-1..=4))?;
        h.name = maybe(u, |u| small_string(u, NAMES))?;
        h.namespace = maybe(u, |u| small_string(u, NAMESPACES))?;
        history.push(h);
    }
    Ok(HelmReleaseObs {
        namespace: small_string(u, NAMESPACES)?,
        name: small_string(u, NAMES)?,
        generation: u.int_in_range(0..=3)?,
        resource_version: u.int_in_range(0..=99u32)?.to_string(),
        labels,
        annotations,
        suspend: u.ratio(1, 4)?,
        release_name: maybe(u, |u| small_string(u, NAMES))?,
        target_namespace: maybe(u, |u| small_string(u, NAMESPACES))?,
        storage_namespace: maybe(u, |u| small_string(u, NAMESPACES))?,
        conditions,
        history,
        observed_generation: maybe(u, |u| u.int_in_range(0..=3))?,
        ..HelmReleaseObs::default()
    })
}

fn storage(u: &mut Unstructured<'_>) -> arbitrary::Result<StorageEntry> {
    let namespace = small_string(u, NAMESPACES)?;
    // Release names as Flux derives them (`<targetNamespace>-<name>` or the name).
    let release = if u.arbitrary()? {
        format!("{}-{}", pick(u, NAMESPACES)?, pick(u, NAMES)?)
    } else {
        small_string(u, NAMES)?
    };
    let revision = if u.ratio(1, 8)? {
        String::arbitrary(u)?
    } else {
        u.int_in_range(0..=4u8)?.to_string()
    };
    let status = small_string(u, STATUSES)?;
    serde_json::from_value(serde_json::json!({
        "namespace": namespace,
        "secretName": format!("sh.helm.release.v1.{release}.v{revision}"),
        "release": release,
        "revision": revision,
        "status": status,
    }))
    .map_err(|_| arbitrary::Error::IncorrectFormat)
}

/// A generated cluster and configuration, with the selector terms the configuration
/// was given (so the property can judge scope without the code under test).
#[derive(Debug)]
pub struct Cluster {
    /// The snapshot.
    pub snapshot: Snapshot,
    /// The configuration.
    pub config: RecoveryConfig,
    /// Its selector, term by term.
    pub terms: Vec<Term>,
    /// The time of the run.
    pub now: i64,
}

impl<'a> Arbitrary<'a> for Cluster {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut helm_releases = Vec::new();
        for _ in 0..u.int_in_range(0..=12)? {
            helm_releases.push(helm_release(u)?);
        }
        let mut entries = Vec::new();
        for _ in 0..u.int_in_range(0..=12)? {
            entries.push(storage(u)?);
        }
        let mut terms = Vec::new();
        for _ in 0..u.int_in_range(0..=2)? {
            let k = pick(u, LABEL_KEYS)?.to_string();
            let v = pick(u, LABEL_VALUES)?.to_string();
            terms.push(match u.int_in_range(0..=3)? {
                0 => Term::Eq(k, v),
                1 => Term::NotEq(k, v),
                2 => Term::Exists(k),
                _ => Term::NotExists(k),
            });
        }
        let namespaces = |u: &mut Unstructured<'a>| -> arbitrary::Result<Vec<String>> {
            let mut v = Vec::new();
            for _ in 0..u.int_in_range(0..=2)? {
                v.push(pick(u, NAMESPACES)?.to_string());
            }
            Ok(v)
        };
        let strategies = [
            Strategy::StatusPatch,
            Strategy::SuspendToggle,
            Strategy::ForceReconcile,
        ];
        let config = RecoveryConfig {
            stuck_threshold_seconds: u.int_in_range(1..=7200)?,
            max_actions: u.int_in_range(0..=12)?,
            status_lost_strategy: *u.choose(&strategies)?,
            leader_loss_strategy: *u.choose(&strategies)?,
            suspend_pause_seconds: u.int_in_range(0..=300)?,
            include_namespaces: namespaces(u)?,
            exclude_namespaces: namespaces(u)?,
            label_selector: terms.iter().map(Term::render).collect::<Vec<_>>().join(","),
            ..RecoveryConfig::default()
        };
        Ok(Self {
            snapshot: Snapshot {
                schema_version: catalyst_guard::recovery::snapshot::SNAPSHOT_SCHEMA_VERSION,
                taken_at: None,
                helm_releases,
                storage: entries,
            },
            config,
            terms,
            now: NOW + i64::from(u.int_in_range(-3600..=3600i32)?),
        })
    }
}
