//! Table tests for the recovery decision engine: every class and the edges the shell
//! CronJob got wrong.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

use std::collections::BTreeMap;

use catalyst_guard::recovery::status::condition_problem;
use catalyst_guard::recovery::time::parse_rfc3339;
use catalyst_guard::recovery::{
    Class, Condition, HelmReleaseObs, HistoryEntry, Op, Plan, Reason, RecoveryConfig, Snapshot,
    StorageEntry, Strategy, decide, simulate,
};

const NOW: &str = "2026-11-22T12:00:00Z";

fn now() -> i64 {
    parse_rfc3339(NOW).expect("valid time")
}

/// An RFC 3339 time `secs` seconds before NOW.
fn ago(secs: i64) -> String {
    catalyst_guard::recovery::time::format_rfc3339(now() - secs)
}

fn hr(ns: &str, name: &str) -> HelmReleaseObs {
    HelmReleaseObs {
        api_version: "helm.toolkit.fluxcd.io/v2".to_string(),
        namespace: ns.to_string(),
        name: name.to_string(),
        generation: 1,
        observed_generation: Some(1),
        resource_version: "100".to_string(),
        ..HelmReleaseObs::default()
    }
}

fn ready(status: &str, since: Option<String>) -> Condition {
    Condition {
        type_: "Ready".to_string(),
        status: status.to_string(),
        reason: Some("Progressing".to_string()),
        message: None,
        last_transition_time: since,
        observed_generation: Some(1),
    }
}

fn history(status: &str, version: i64) -> HistoryEntry {
    HistoryEntry {
        name: Some("web".to_string()),
        namespace: Some("apps".to_string()),
        status: Some(status.to_string()),
        version: Some(version),
        chart_name: Some("web".to_string()),
        chart_version: Some("1.0.0".to_string()),
        config_digest: Some("sha256:values".to_string()),
        last_deployed: Some(ago(3600)),
        ..HistoryEntry::default()
    }
}

fn storage(ns: &str, release: &str, revision: &str, status: &str) -> StorageEntry {
    StorageEntry {
        namespace: ns.to_string(),
        secret_name: format!("sh.helm.release.v1.{release}.v{revision}"),
        release: release.to_string(),
        revision: revision.to_string(),
        status: status.to_string(),
        modified_at: None,
    }
}

/// Ready=Unknown for 10 minutes, history deployed at revision 3 (chart 1.0.0) for the
/// attempted generation 1, storage agrees.
fn stuck_b(ns: &str, name: &str) -> (HelmReleaseObs, StorageEntry) {
    let mut h = hr(ns, name);
    h.conditions = vec![ready("Unknown", Some(ago(600)))];
    h.history = vec![history("deployed", 3)];
    h.last_attempted_generation = Some(1);
    h.last_attempted_revision = Some("1.0.0".to_string());
    h.last_attempted_config_digest = Some("sha256:values".to_string());
    h.last_attempted_release_action = Some("upgrade".to_string());
    (h, storage(ns, name, "3", "deployed"))
}

fn plan_of(
    hrs: Vec<HelmReleaseObs>,
    store: Vec<StorageEntry>,
    config: &RecoveryConfig,
) -> (Snapshot, Plan) {
    let snap = Snapshot {
        schema_version: 1,
        taken_at: None,
        helm_releases: hrs,
        storage: store,
    };
    let plan = decide(&snap, config, now());
    (snap, plan)
}

fn one(h: HelmReleaseObs, store: Vec<StorageEntry>) -> Plan {
    plan_of(vec![h], store, &RecoveryConfig::default()).1
}

#[test]
fn the_seeds_four_synthetic_helmreleases_are_routed_as_the_platform_asked() {
    // 1. deployed-but-unknown-Ready -> branch B, status patch.
    let (b, b_store) = stuck_b("flux-system", "cilium");
    // 2. pending-install in history, storage secret says deployed -> branch A, toggle.
    let mut a = hr("flux-system", "keycloak");
    a.conditions = vec![ready("Unknown", Some(ago(900)))];
    a.history = vec![history("pending-install", 1)];
    let a_store = storage("flux-system", "keycloak", "1", "deployed");
    // 3. already corrected by the old job (time-only annotation after the last deploy).
    let (mut done, done_store) = stuck_b("flux-system", "grafana");
    done.annotations.insert(
        "stuck-hr-recovery.openova.io/auto-corrected-at".to_string(),
        ago(60),
    );
    // 4. healthy.
    let mut ok = hr("flux-system", "trivy");
    ok.conditions = vec![ready("True", Some(ago(86_400)))];
    ok.history = vec![history("deployed", 5)];

    let (_, plan) = plan_of(
        vec![b, a, done, ok],
        vec![b_store, a_store, done_store],
        &RecoveryConfig::default(),
    );
    let classes: Vec<(&str, Class, Reason)> = plan
        .decisions
        .iter()
        .map(|d| (d.name.as_str(), d.class, d.reason))
        .collect();
    assert_eq!(
        classes,
        vec![
            (
                "cilium",
                Class::StuckStatusLost,
                Reason::HistoryDeployedReadyUnknown
            ),
            (
                "grafana",
                Class::AlreadyCorrected,
                Reason::AlreadyCorrectedForRevision
            ),
            (
                "keycloak",
                Class::StuckAfterLeaderLoss,
                Reason::StorageDeployedReadyUnknown
            ),
            ("trivy", Class::Healthy, Reason::ReadyTrue),
        ]
    );
    let acted: Vec<(&str, Strategy)> = plan
        .actions
        .iter()
        .map(|a| (a.name.as_str(), a.strategy))
        .collect();
    assert_eq!(
        acted,
        vec![
            ("cilium", Strategy::StatusPatch),
            ("keycloak", Strategy::SuspendToggle)
        ]
    );
    assert!(!plan.guardrail.tripped);
}

#[test]
fn status_patch_annotates_first_then_patches_ready_and_rolls_back_on_failure() {
    let (mut h, s) = stuck_b("apps", "web");
    h.conditions.push(Condition {
        type_: "TestSuccess".to_string(),
        status: "True".to_string(),
        reason: Some("TestSucceeded".to_string()),
        message: Some("tests passed".to_string()),
        last_transition_time: Some(ago(3600)),
        observed_generation: Some(1),
    });
    let plan = one(h, vec![s]);
    let steps = &plan.actions[0].steps;
    assert_eq!(plan.actions[0].resource_version, "100");
    let Op::PatchAnnotations { set, remove, .. } = &steps[0].op else {
        panic!("first step annotates: {steps:?}")
    };
    assert_eq!(
        set.get("stuck-hr-recovery.openova.io/auto-corrected-at")
            .map(String::as_str),
        Some(NOW)
    );
    assert_eq!(
        set.get("stuck-hr-recovery.openova.io/auto-corrected-revision")
            .map(String::as_str),
        Some("3")
    );
    assert!(remove.is_empty());
    let Op::PatchStatus {
        conditions,
        observed_generation,
    } = &steps[1].op
    else {
        panic!("second step patches status")
    };
    assert_eq!(*observed_generation, 1);
    let types: Vec<&str> = conditions.iter().map(|c| c.type_.as_str()).collect();
    assert_eq!(
        types,
        vec!["Ready", "Released", "TestSuccess"],
        "other conditions are kept: a merge patch replaces the list"
    );
    let r = &conditions[0];
    assert_eq!((r.type_.as_str(), r.status.as_str()), ("Ready", "True"));
    assert_eq!(r.reason.as_deref(), Some("ReconciliationSucceeded"));
    assert_eq!(
        r.message.as_deref(),
        Some("auto-corrected from deployed-but-unknown-Ready by stuck-hr-recovery")
    );
    assert_eq!(r.last_transition_time.as_deref(), Some(NOW));
    let [Op::PatchAnnotations { set, remove, guard }] = steps[1].on_failure.as_slice() else {
        panic!("rollback")
    };
    assert!(set.is_empty());
    assert_eq!(
        guard
            .get("stuck-hr-recovery.openova.io/auto-corrected-revision")
            .map(String::as_str),
        Some("3"),
        "the rollback only undoes our own values"
    );
    assert_eq!(
        remove.len(),
        2,
        "both idempotency annotations are removed again"
    );
}

#[test]
fn the_threshold_is_exclusive_at_the_boundary() {
    for (age, class) in [
        (299, Class::Progressing),
        (300, Class::Progressing),
        (301, Class::StuckStatusLost),
    ] {
        let (mut h, s) = stuck_b("apps", "web");
        h.conditions = vec![ready("Unknown", Some(ago(age)))];
        let plan = one(h, vec![s]);
        assert_eq!(plan.decisions[0].class, class, "age {age}s");
        assert_eq!(plan.decisions[0].ready_unknown_seconds, Some(age));
    }
}

#[test]
fn a_missing_or_malformed_transition_time_never_leads_to_action() {
    for since in [
        None,
        Some("yesterday".to_string()),
        Some("2026-13-45T00:00:00Z".to_string()),
    ] {
        let (mut h, s) = stuck_b("apps", "web");
        h.conditions = vec![ready("Unknown", since.clone())];
        let plan = one(h, vec![s]);
        assert_eq!(plan.decisions[0].class, Class::Undetermined, "{since:?}");
        assert_eq!(
            plan.decisions[0].reason,
            Reason::ReadyUnknownWithoutTransitionTime
        );
        assert!(plan.actions.is_empty());
    }
}

#[test]
fn empty_history_falls_back_to_storage_and_no_record_at_all_is_undetermined() {
    let (mut h, s) = stuck_b("apps", "web");
    h.history.clear();
    assert_eq!(
        one(h.clone(), vec![s]).decisions[0].class,
        Class::StuckAfterLeaderLoss
    );
    let plan = one(h, vec![]);
    assert_eq!(
        (plan.decisions[0].class, plan.decisions[0].reason),
        (Class::Undetermined, Reason::NoReleaseRecord)
    );
}

#[test]
fn a_v2beta1_shaped_object_without_history_is_decided_from_storage() {
    let json = format!(
        r#"{{"schemaVersion":1,"helmReleases":[{{"apiVersion":"helm.toolkit.fluxcd.io/v2beta1","namespace":"flux-system","name":"podinfo","resourceVersion":"7","targetNamespace":"apps","conditions":[{{"type":"Ready","status":"Unknown","lastTransitionTime":"{}"}}]}}],"storage":[{{"namespace":"flux-system","release":"apps-podinfo","revision":"2","status":"deployed"}}]}}"#,
        ago(1200)
    );
    let snap = Snapshot::from_json(&json).expect("v2beta1 snapshot parses");
    let plan = decide(&snap, &RecoveryConfig::default(), now());
    assert_eq!(plan.decisions[0].class, Class::StuckAfterLeaderLoss);
    assert_eq!(
        plan.decisions[0].release_name, "apps-podinfo",
        "targetNamespace prefix applied"
    );
}

#[test]
fn storage_is_found_under_flux_release_name_and_storage_namespace_rules() {
    let long_ns = "a-very-long-target-namespace-name-for-testing";
    let long = "a-very-long-helmrelease-name";
    let (mut h, _) = stuck_b("flux-system", long);
    h.history.clear();
    h.target_namespace = Some(long_ns.to_string());
    h.storage_namespace = Some("helm-storage".to_string());
    let shortened = "a-very-long-target-namespace-name-for-te-c0516c9663c6";
    let plan = one(
        h.clone(),
        vec![storage("helm-storage", shortened, "4", "deployed")],
    );
    assert_eq!(plan.decisions[0].release_name, shortened);
    assert_eq!(plan.decisions[0].storage_namespace, "helm-storage");
    assert_eq!(plan.decisions[0].class, Class::StuckAfterLeaderLoss);
    // The shell job's mistakes: unprefixed name, or the object's own namespace.
    let plan = one(
        h.clone(),
        vec![storage("helm-storage", long, "4", "deployed")],
    );
    assert_eq!(plan.decisions[0].class, Class::Undetermined);
    let plan = one(h, vec![storage("flux-system", shortened, "4", "deployed")]);
    assert_eq!(plan.decisions[0].class, Class::Undetermined);
}

#[test]
fn the_newest_storage_entry_is_chosen_by_numeric_revision_ignoring_non_numeric_labels() {
    let (mut h, _) = stuck_b("apps", "web");
    h.history.clear();
    let store = vec![
        storage("apps", "web", "9", "pending-upgrade"),
        storage("apps", "web", "10", "deployed"),
        storage("apps", "web", "v11", "pending-upgrade"),
        storage("apps", "web", "", "pending-upgrade"),
    ];
    let plan = one(h, store);
    assert_eq!(
        plan.decisions[0].revision,
        Some(10),
        "10 > 9 numerically; `v11` and `` are ignored"
    );
    assert_eq!(plan.decisions[0].class, Class::StuckAfterLeaderLoss);
}

#[test]
fn storage_pending_or_failed_is_not_acted_on() {
    for (status, class) in [
        ("pending-install", Class::NotStuckStoragePending),
        ("pending-upgrade", Class::NotStuckStoragePending),
        ("pending-rollback", Class::NotStuckStoragePending),
        ("uninstalling", Class::NotStuckStoragePending),
        ("failed", Class::Failed),
        ("superseded", Class::Undetermined),
    ] {
        let (mut h, _) = stuck_b("apps", "web");
        h.history = vec![history("pending-upgrade", 4)];
        let plan = one(h, vec![storage("apps", "web", "4", status)]);
        assert_eq!(plan.decisions[0].class, class, "{status}");
        assert!(plan.actions.is_empty(), "{status}");
    }
}

#[test]
fn ready_true_false_and_missing_are_not_stuck() {
    for (cond, class) in [
        (Some(ready("True", Some(ago(10_000)))), Class::Healthy),
        (Some(ready("False", Some(ago(10_000)))), Class::Failed),
        (None, Class::Undetermined),
    ] {
        let (mut h, s) = stuck_b("apps", "web");
        h.conditions = cond.into_iter().collect();
        assert_eq!(one(h, vec![s]).decisions[0].class, class);
    }
}

#[test]
fn a_suspended_helmrelease_is_never_touched() {
    let (mut h, s) = stuck_b("apps", "web");
    h.suspend = true;
    let plan = one(h, vec![s]);
    assert_eq!(
        (plan.decisions[0].class, plan.decisions[0].reason),
        (Class::Suspended, Reason::SuspendedInSpec)
    );
    assert!(plan.actions.is_empty());
}

#[test]
fn an_interrupted_toggle_of_our_own_is_resumed_only_while_our_marker_stands() {
    let (mut h, s) = stuck_b("apps", "web");
    h.suspend = true;
    h.annotations.insert(
        "stuck-hr-recovery.openova.io/suspended-at".to_string(),
        ago(120),
    );
    let plan = one(h, vec![s]);
    assert_eq!(plan.decisions[0].class, Class::InterruptedToggle);
    let Op::PatchSuspend {
        suspend,
        remove,
        retry_if_annotation,
        ..
    } = &plan.actions[0].steps[0].op
    else {
        panic!("resume")
    };
    assert!(!suspend);
    assert_eq!(
        remove,
        &vec!["stuck-hr-recovery.openova.io/suspended-at".to_string()]
    );
    assert_eq!(
        retry_if_annotation.as_ref().map(|(_, v)| v.clone()),
        Some(ago(120))
    );
}

#[test]
fn eleven_stuck_releases_trip_the_guardrail_and_nothing_is_acted_on() {
    let mut hrs = Vec::new();
    let mut store = Vec::new();
    for i in 0..11 {
        let (h, s) = stuck_b("apps", &format!("web-{i:02}"));
        hrs.push(h);
        store.push(s);
    }
    let (_, plan) = plan_of(hrs.clone(), store.clone(), &RecoveryConfig::default());
    assert!(plan.guardrail.tripped);
    assert_eq!(plan.guardrail.candidates, 11);
    assert!(
        plan.actions.is_empty(),
        "the guardrail is checked before acting on any"
    );
    assert_eq!(
        plan.count(Class::StuckStatusLost),
        11,
        "decisions still say what was found"
    );
    // Both branches count: 10 of B plus 1 of A also trips; exactly 10 does not.
    hrs[10].history.clear();
    let (_, plan) = plan_of(hrs.clone(), store.clone(), &RecoveryConfig::default());
    assert!(plan.guardrail.tripped);
    let (_, plan) = plan_of(hrs[..10].to_vec(), store, &RecoveryConfig::default());
    assert!(!plan.guardrail.tripped);
    assert_eq!(plan.actions.len(), 10);
}

#[test]
fn a_second_run_on_the_post_action_state_changes_nothing_for_every_strategy() {
    for strategy in [
        Strategy::StatusPatch,
        Strategy::SuspendToggle,
        Strategy::ForceReconcile,
    ] {
        let config = RecoveryConfig {
            status_lost_strategy: strategy,
            leader_loss_strategy: strategy,
            ..RecoveryConfig::default()
        };
        let (b, sb) = stuck_b("apps", "b");
        let (mut a, _) = stuck_b("apps", "a");
        a.history.clear();
        let sa = storage("apps", "a", "2", "deployed");
        let (snap, plan) = plan_of(vec![a, b], vec![sa, sb], &config);
        assert_eq!(plan.actions.len(), 2, "{strategy:?}");
        let after = simulate::apply(&snap, &plan);
        let again = decide(&after, &config, now() + 120);
        assert!(
            again.actions.is_empty(),
            "{strategy:?}: {:#?}",
            again.decisions
        );
    }
}

#[test]
fn a_later_stuck_revision_of_a_corrected_helmrelease_is_recovered_again() {
    let (mut h, _) = stuck_b("apps", "web");
    h.annotations.insert(
        "stuck-hr-recovery.openova.io/auto-corrected-revision".to_string(),
        "3".to_string(),
    );
    h.annotations.insert(
        "stuck-hr-recovery.openova.io/auto-corrected-at".to_string(),
        ago(7200),
    );
    h.history = vec![history("deployed", 4)];
    let plan = one(h.clone(), vec![storage("apps", "web", "4", "deployed")]);
    assert_eq!(
        plan.decisions[0].class,
        Class::StuckStatusLost,
        "revision 4 was never corrected"
    );
    let plan = one(h, vec![storage("apps", "web", "3", "deployed")]);
    assert_eq!(plan.decisions[0].class, Class::AlreadyCorrected);
}

#[test]
fn a_time_only_annotation_older_than_the_last_deploy_does_not_block_recovery() {
    let (mut h, s) = stuck_b("apps", "web");
    // The shell job's annotation from long before the current release was deployed.
    h.annotations.insert(
        "stuck-hr-recovery.openova.io/auto-corrected-at".to_string(),
        ago(86_400),
    );
    assert_eq!(one(h, vec![s]).decisions[0].class, Class::StuckStatusLost);
}

/// kstatus's rule for a custom resource (cli-utils `checkGenericProperties` plus the
/// Ready check Flux's health checks add): Current only when `observedGeneration ==
/// generation`, Ready=True, and no `Reconciling` or `Stalled` condition is True.
fn kstatus_current(h: &HelmReleaseObs) -> Result<(), String> {
    if h.observed_generation != Some(h.generation) {
        return Err(format!(
            "generation {} but observedGeneration {:?}",
            h.generation, h.observed_generation
        ));
    }
    if let Some(c) = h
        .conditions
        .iter()
        .find(|c| matches!(c.type_.as_str(), "Reconciling" | "Stalled") && c.status == "True")
    {
        return Err(format!("{}=True", c.type_));
    }
    depends_on_ready(h)
}

/// helm-controller's `checkDependencies`: a dependency is ready only when
/// `generation == status.observedGeneration` and Ready=True.
fn depends_on_ready(h: &HelmReleaseObs) -> Result<(), String> {
    let ready = h.conditions.iter().find(|c| c.type_ == "Ready");
    match ready {
        Some(r) if r.status == "True" && h.observed_generation == Some(h.generation) => Ok(()),
        other => Err(format!(
            "Ready {:?} with observedGeneration {:?} for generation {}",
            other.map(|r| r.status.as_str()),
            h.observed_generation,
            h.generation
        )),
    }
}

/// The issue's failing case: an upgrade to generation 2 whose final status write was
/// lost. helm-controller recorded the attempt and the deployed history, but
/// observedGeneration is still 1 and Ready Unknown (with Reconciling=True).
fn lost_upgrade() -> (HelmReleaseObs, StorageEntry) {
    let (mut h, _) = stuck_b("apps", "web");
    h.generation = 2;
    h.observed_generation = Some(1);
    h.last_attempted_generation = Some(2);
    h.last_attempted_revision = Some("1.1.0".to_string());
    h.last_attempted_config_digest = Some("sha256:v2".to_string());
    h.last_attempted_release_action = Some("upgrade".to_string());
    h.history = vec![
        HistoryEntry {
            chart_version: Some("1.1.0".to_string()),
            config_digest: Some("sha256:v2".to_string()),
            ..history("deployed", 4)
        },
        history("superseded", 3),
    ];
    h.conditions.push(Condition {
        type_: "Reconciling".to_string(),
        status: "True".to_string(),
        reason: Some("Progressing".to_string()),
        message: Some("Fulfilling prerequisites".to_string()),
        last_transition_time: Some(ago(600)),
        observed_generation: Some(2),
    });
    (h, storage("apps", "web", "4", "deployed"))
}

fn has_status_patch(plan: &Plan) -> bool {
    plan.actions
        .iter()
        .flat_map(|a| &a.steps)
        .any(|s| matches!(s.op, Op::PatchStatus { .. }))
}

#[test]
fn done_when_table() {
    struct Row {
        name: &'static str,
        hrs: Vec<HelmReleaseObs>,
        store: Vec<StorageEntry>,
        config: RecoveryConfig,
        check: fn(&Snapshot, &Plan),
    }
    let (lost, lost_store) = lost_upgrade();
    let mut never_attempted = lost.clone();
    never_attempted.generation = 3;
    let mut interrupted = hr("apps", "paused");
    interrupted.suspend = true;
    interrupted.annotations.insert(
        "stuck-hr-recovery.openova.io/suspended-at".to_string(),
        ago(120),
    );
    let mut eleven: Vec<HelmReleaseObs> = (0..11)
        .map(|i| stuck_b("apps", &format!("s{i:02}")).0)
        .collect();
    eleven.push(interrupted);
    let eleven_store = (0..11)
        .map(|i| storage("apps", &format!("s{i:02}"), "3", "deployed"))
        .collect();
    let rows = vec![
        Row {
            name: "upgrade with the final write lost: status patch, Current afterwards",
            hrs: vec![lost.clone()],
            store: vec![lost_store.clone()],
            config: RecoveryConfig::default(),
            check: |snap, plan| {
                assert_eq!(
                    (plan.decisions[0].class, plan.decisions[0].reason),
                    (Class::StuckStatusLost, Reason::HistoryDeployedReadyUnknown)
                );
                assert!(has_status_patch(plan));
                let after = simulate::apply(snap, plan);
                let web = &after.helm_releases[0];
                kstatus_current(web).expect("kstatus Current");
                depends_on_ready(web).expect("dependsOn ready");
                for c in &web.conditions {
                    assert_eq!(condition_problem(c), None, "{c:?}");
                }
                let released = web.conditions.iter().find(|c| c.type_ == "Released");
                assert_eq!(
                    released.and_then(|c| c.reason.as_deref()),
                    Some("UpgradeSucceeded")
                );
            },
        },
        Row {
            name: "spec changed but never attempted: no status patch",
            hrs: vec![never_attempted.clone()],
            store: vec![lost_store.clone()],
            config: RecoveryConfig {
                leader_loss_strategy: Strategy::StatusPatch,
                ..RecoveryConfig::default()
            },
            check: |_, plan| {
                assert_eq!(plan.decisions[0].class, Class::StuckAfterLeaderLoss);
                assert!(!has_status_patch(plan), "{:#?}", plan.actions);
                assert_eq!(plan.actions[0].strategy, Strategy::ReconcileRequest);
            },
        },
        Row {
            name: "spec changed, never attempted, no storage: undetermined",
            hrs: vec![never_attempted],
            store: vec![],
            config: RecoveryConfig::default(),
            check: |_, plan| {
                assert_eq!(plan.decisions[0].reason, Reason::GenerationNotAttempted);
                assert!(plan.actions.is_empty());
            },
        },
        Row {
            name: "v1.5.0 controller: reconcile request only",
            hrs: vec![lost],
            store: vec![lost_store],
            config: RecoveryConfig {
                helm_controller_version: Some("v1.5.0".to_string()),
                ..RecoveryConfig::default()
            },
            check: |_, plan| {
                assert_eq!(plan.actions[0].strategy, Strategy::ReconcileRequest);
                let [step] = plan.actions[0].steps.as_slice() else {
                    panic!("one step: {:#?}", plan.actions[0].steps)
                };
                let Op::PatchAnnotations { set, .. } = &step.op else {
                    panic!("annotations only")
                };
                assert_eq!(
                    set.get("reconcile.fluxcd.io/requestedAt")
                        .map(String::as_str),
                    Some(NOW)
                );
                assert!(!set.contains_key("reconcile.fluxcd.io/forceAt"));
                assert!(!has_status_patch(plan));
            },
        },
        Row {
            name: "guardrail tripped with an interrupted toggle: resumed anyway",
            hrs: eleven,
            store: eleven_store,
            config: RecoveryConfig::default(),
            check: |_, plan| {
                assert!(plan.guardrail.tripped);
                assert_eq!((plan.guardrail.candidates, plan.guardrail.exempt), (11, 1));
                let acted: Vec<(&str, Class)> = plan
                    .actions
                    .iter()
                    .map(|a| (a.name.as_str(), a.class))
                    .collect();
                assert_eq!(acted, vec![("paused", Class::InterruptedToggle)]);
            },
        },
    ];
    for row in rows {
        let (snap, plan) = plan_of(row.hrs, row.store, &row.config);
        eprintln!("row: {}", row.name);
        (row.check)(&snap, &plan);
    }
}

#[test]
fn without_last_attempted_fields_branch_b_falls_back_to_observed_generation_and_says_so() {
    let (mut h, s) = stuck_b("apps", "web");
    h.last_attempted_generation = None;
    h.last_attempted_revision = None;
    let plan = one(h.clone(), vec![s.clone()]);
    assert_eq!(
        plan.decisions[0].reason,
        Reason::HistoryDeployedReadyUnknownObservedGenerationFallback
    );
    // The same fallback never vouches for an unobserved generation.
    h.generation = 2;
    let plan = one(h.clone(), vec![s]);
    assert_eq!(plan.decisions[0].class, Class::StuckAfterLeaderLoss);
    let plan = one(h, vec![]);
    assert_eq!(plan.decisions[0].reason, Reason::GenerationNotObserved);
}

#[test]
fn force_reconcile_uses_the_same_token_for_requested_and_force() {
    let config = RecoveryConfig {
        status_lost_strategy: Strategy::ForceReconcile,
        ..RecoveryConfig::default()
    };
    let (h, s) = stuck_b("apps", "web");
    let (_, plan) = plan_of(vec![h], vec![s], &config);
    let Op::PatchAnnotations { set, .. } = &plan.actions[0].steps[0].op else {
        panic!()
    };
    assert_eq!(
        set.get("reconcile.fluxcd.io/requestedAt"),
        set.get("reconcile.fluxcd.io/forceAt")
    );
    assert_eq!(
        set.get("reconcile.fluxcd.io/forceAt").map(String::as_str),
        Some(NOW)
    );
}

#[test]
fn suspend_toggle_marks_pauses_and_resumes_guarded_by_its_marker() {
    let (mut h, s) = stuck_b("apps", "web");
    h.history.clear();
    let plan = one(h, vec![s]);
    let ops: Vec<&Op> = plan.actions[0].steps.iter().map(|s| &s.op).collect();
    let [
        Op::PatchSuspend {
            suspend: true, set, ..
        },
        Op::Pause { seconds: 5 },
        Op::PatchSuspend {
            suspend: false,
            remove,
            retry_if_annotation: Some((key, token)),
            ..
        },
    ] = ops.as_slice()
    else {
        panic!("{ops:#?}")
    };
    assert_eq!(set.get(key), Some(token));
    assert_eq!(remove, &vec![key.clone()]);
}

#[test]
fn scope_excludes_namespaces_and_labels() {
    let config = RecoveryConfig {
        exclude_namespaces: vec!["kube-system".to_string()],
        label_selector: "team=platform".to_string(),
        ..RecoveryConfig::default()
    };
    let (a, sa) = stuck_b("kube-system", "x");
    let (b, sb) = stuck_b("apps", "y");
    let (mut c, sc) = stuck_b("apps", "z");
    c.labels = BTreeMap::from([("team".to_string(), "platform".to_string())]);
    let (_, plan) = plan_of(vec![a, b, c], vec![sa, sb, sc], &config);
    let reasons: Vec<Reason> = plan.decisions.iter().map(|d| d.reason).collect();
    assert_eq!(
        reasons,
        vec![
            Reason::LabelsNotSelected,
            Reason::HistoryDeployedReadyUnknown,
            Reason::NamespaceNotInScope
        ]
    );
}

#[test]
fn the_plan_is_versioned_json_with_one_reasoned_decision_per_helmrelease() {
    let (h, s) = stuck_b("apps", "web");
    let mut ok = hr("apps", "ok");
    ok.conditions = vec![ready("True", None)];
    let (_, plan) = plan_of(vec![h, ok], vec![s], &RecoveryConfig::default());
    let json: serde_json::Value = serde_json::from_str(&plan.to_json()).expect("json");
    assert_eq!(json["schemaVersion"], 2);
    assert_eq!(json["now"], NOW);
    assert_eq!(json["decisions"].as_array().map(Vec::len), Some(2));
    assert_eq!(json["decisions"][1]["class"], "stuck-status-lost");
    assert_eq!(
        json["decisions"][1]["reason"],
        "history-deployed-ready-unknown"
    );
    assert_eq!(json["actions"][0]["steps"][0]["op"], "patch-annotations");
    let back: Plan = serde_json::from_str(&plan.to_json()).expect("plan round-trips");
    assert_eq!(back, plan);
}

#[test]
fn a_plan_that_does_not_match_its_snapshot_is_refused() {
    use catalyst_guard::recovery::verify::{Listed, check_plan};
    let (b, sb) = stuck_b("apps", "b");
    let (mut a, _) = stuck_b("apps", "a");
    a.history.clear();
    let config = RecoveryConfig::default();
    let (snap, plan) = plan_of(
        vec![a, b],
        vec![storage("apps", "a", "2", "deployed"), sb],
        &config,
    );
    let listed = Listed::of(&snap);
    check_plan(&plan, &listed, &config).expect("the engine's own plan passes");
    type Spoil = Box<dyn Fn(&mut Plan)>;
    let bogus: Vec<(&str, Spoil)> = vec![
        (
            "unknown object",
            Box::new(|p: &mut Plan| p.actions[0].name = "other".to_string()),
        ),
        (
            "stale resourceVersion",
            Box::new(|p: &mut Plan| p.actions[0].resource_version = "1".to_string()),
        ),
        (
            "duplicate action",
            Box::new(|p: &mut Plan| {
                let a = p.actions[0].clone();
                p.actions.push(a);
            }),
        ),
        (
            "class changed",
            Box::new(|p: &mut Plan| p.actions[0].class = Class::Healthy),
        ),
        (
            "foreign annotation",
            Box::new(|p: &mut Plan| {
                if let Op::PatchSuspend { set, .. } = &mut p.actions[0].steps[0].op {
                    set.insert("evil.io/x".to_string(), "1".to_string());
                }
            }),
        ),
        (
            "status write in a toggle",
            Box::new(|p: &mut Plan| {
                p.actions[0].steps[1].op = Op::PatchStatus {
                    conditions: vec![],
                    observed_generation: 9,
                };
            }),
        ),
        (
            "long pause",
            Box::new(|p: &mut Plan| p.actions[0].steps[1].op = Op::Pause { seconds: 3600 }),
        ),
        (
            "limit changed",
            Box::new(|p: &mut Plan| p.guardrail.limit = 100),
        ),
        (
            "tripped but acting",
            Box::new(|p: &mut Plan| p.guardrail.tripped = true),
        ),
        (
            "decision dropped",
            Box::new(|p: &mut Plan| {
                p.decisions.pop();
            }),
        ),
    ];
    for (name, spoil) in bogus {
        let mut p = plan.clone();
        spoil(&mut p);
        assert!(check_plan(&p, &listed, &config).is_err(), "{name} passed");
    }
    let tight = RecoveryConfig {
        max_actions: 1,
        ..RecoveryConfig::default()
    };
    let mut p = plan.clone();
    p.guardrail.limit = 1;
    assert!(
        check_plan(&p, &listed, &tight).is_err_and(|m| m.contains("more than `maxActions`")),
        "maxActions is enforced"
    );
}

/// `tests/fixtures/recovery/sovereign.json` is the snapshot `cargo xtask image --verify`
/// decides inside the image: a management cluster one run after a leader election,
/// written the way helm-controller v2 leaves its objects. Its routing is pinned here so
/// the image check compares plans that act, not an empty one.
#[test]
fn the_sovereign_fixture_snapshot_is_routed_row_by_row() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/recovery/sovereign.json"
    ))
    .expect("fixture");
    let snap = Snapshot::from_json(&text).expect("a valid snapshot");
    let at = parse_rfc3339("2026-06-01T12:00:00Z").expect("valid time");
    let plan = decide(&snap, &RecoveryConfig::default(), at);
    let routed: Vec<(&str, Class)> = plan
        .decisions
        .iter()
        .map(|d| (d.name.as_str(), d.class))
        .collect();
    assert_eq!(
        routed,
        vec![
            // Ready=Unknown for a minute: the upgrade is still running.
            ("bp-catalyst-platform", Class::Progressing),
            // Generation 3 never attempted: a toggle makes the controller attempt it,
            // never a status patch for a release of generation 2.
            ("bp-cnpg", Class::StuckAfterLeaderLoss),
            // The upgrade finished (history[0] deployed for lastAttempted*), its final
            // status write was lost.
            ("bp-gitea", Class::StuckStatusLost),
            ("bp-harbor", Class::Healthy),
            // Storage deployed, history still pending: the controller lost leadership.
            ("bp-seaweedfs", Class::StuckAfterLeaderLoss),
            // Suspended by an operator: never resumed by this job.
            ("bp-velero", Class::Suspended),
        ]
    );
    let acted: Vec<(&str, Strategy)> = plan
        .actions
        .iter()
        .map(|a| (a.name.as_str(), a.strategy))
        .collect();
    assert_eq!(
        acted,
        vec![
            ("bp-cnpg", Strategy::SuspendToggle),
            ("bp-gitea", Strategy::StatusPatch),
            ("bp-seaweedfs", Strategy::SuspendToggle),
        ]
    );
}
