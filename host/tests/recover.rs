//! `catalyst-guard recover` against an in-process API server that speaks the real
//! Kubernetes REST shapes, reached through a generated kubeconfig so the real kube-rs
//! client path runs. Each test names the exact requests it expects.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

#[allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]
#[path = "support/apiserver.rs"]
mod apiserver;

use std::path::Path;
use std::process::{Command, Output};

use apiserver::{FakeApiServer, Fault, Recorded};
use serde_json::{Value, json};

const NOW: &str = "2026-11-22T12:00:00Z";
const TEN_MINUTES_AGO: &str = "2026-11-22T11:50:00Z";
const HR_PATH: &str = "/apis/helm.toolkit.fluxcd.io/v2/namespaces/apps/helmreleases";

fn hr(name: &str, ready: &str, history: Option<&str>) -> Value {
    let mut status = json!({
        "observedGeneration": 1,
        "conditions": [{"type": "Ready", "status": ready, "reason": "Progressing", "message": "x", "lastTransitionTime": TEN_MINUTES_AGO}],
    });
    if let Some(h) = history {
        status["history"] = json!([{"name": name, "namespace": "apps", "version": 3, "status": h, "lastDeployed": "2026-11-22T10:00:00Z"}]);
    }
    json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": "apps", "generation": 1, "uid": format!("uid-{name}")},
        "spec": {"interval": "10m", "chart": {"spec": {"chart": name, "version": "1.0.0"}}},
        "status": status,
    })
}

fn secret(release: &str, revision: u32, status: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": format!("sh.helm.release.v1.{release}.v{revision}"),
            "namespace": "apps",
            "labels": {"owner": "helm", "name": release, "version": revision.to_string(), "status": status},
        },
        "data": {"release": "SECRET-PAYLOAD-MUST-NOT-BE-READ"},
    })
}

struct Cluster {
    server: FakeApiServer,
    dir: tempfile::TempDir,
}

impl Cluster {
    fn start(hrs: Vec<Value>, secrets: Vec<Value>) -> Self {
        let server = FakeApiServer::start(hrs, secrets);
        // The job runs with exactly the permissions deploy/ grants it.
        server.enforce_rbac(apiserver::rbac_from_deploy());
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("config.yaml"), "suspendPause: 0s\n").expect("config");
        server.write_kubeconfig(dir.path());
        Self { server, dir }
    }

    fn recover(&self, extra: &[&str]) -> Output {
        let dir = self.dir.path();
        Command::new(env!("CARGO_BIN_EXE_catalyst-guard"))
            .arg("recover")
            .arg("--kubeconfig")
            .arg(dir.join("kubeconfig"))
            .arg("--config")
            .arg(dir.join("config.yaml"))
            .args(["--now", NOW])
            .args(extra)
            .env_remove("KUBECONFIG")
            .output()
            .expect("binary runs")
    }

    /// Method and path of every request except the reads.
    fn writes(&self) -> Vec<(String, String)> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .map(|r| (r.method, r.path))
            .collect()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn log_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line: {l}: {e}")))
        .collect()
}

fn summary(o: &Output) -> Value {
    log_lines(o)
        .into_iter()
        .rfind(|l| l["msg"] == "summary")
        .expect("a summary line")
}

fn write(method: &str, path: &str) -> (String, String) {
    (method.to_string(), path.to_string())
}

/// The three HelmReleases most scenarios use: `api` (branch A: storage deployed, history
/// pending), `ok` (healthy) and `web` (branch B: history deployed).
fn three() -> Cluster {
    Cluster::start(
        vec![
            hr("web", "Unknown", Some("deployed")),
            hr("ok", "True", Some("deployed")),
            hr("api", "Unknown", Some("pending-install")),
        ],
        vec![
            secret("web", 3, "deployed"),
            secret("api", 1, "deployed"),
            secret("ok", 3, "deployed"),
        ],
    )
}

#[test]
fn stuck_releases_are_recovered_with_the_exact_api_conversation() {
    let c = three();
    let out = c.recover(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(
        c.writes(),
        vec![
            // Suspend every toggle first...
            write("PATCH", &format!("{HR_PATH}/api")),
            // ...act on the others while they are paused...
            write("PATCH", &format!("{HR_PATH}/web")),
            write("PATCH", &format!("{HR_PATH}/web/status")),
            write("POST", "/apis/events.k8s.io/v1/namespaces/apps/events"),
            // ...then, after the one pause, resume every toggle.
            write("PATCH", &format!("{HR_PATH}/api")),
            write("POST", "/apis/events.k8s.io/v1/namespaces/apps/events"),
        ]
    );
    let web = c.server.helmrelease("apps", "web").expect("web");
    let ready = &web["status"]["conditions"][0];
    assert_eq!(
        (ready["type"].as_str(), ready["status"].as_str()),
        (Some("Ready"), Some("True"))
    );
    assert_eq!(ready["reason"], "ReconciliationSucceeded");
    assert_eq!(
        ready["message"],
        "auto-corrected from deployed-but-unknown-Ready by stuck-hr-recovery"
    );
    assert_eq!(
        web["metadata"]["annotations"]["stuck-hr-recovery.openova.io/auto-corrected-at"],
        NOW
    );
    assert_eq!(
        web["metadata"]["annotations"]["stuck-hr-recovery.openova.io/auto-corrected-revision"],
        "3"
    );
    let api = c.server.helmrelease("apps", "api").expect("api");
    assert_eq!(api["spec"]["suspend"], false, "the toggle resumed it");
    assert!(
        api["metadata"]["annotations"]
            .get("stuck-hr-recovery.openova.io/suspended-at")
            .is_none()
    );
    // Every write carried a resourceVersion precondition.
    for r in c.server.requests().iter().filter(|r| r.method == "PATCH") {
        let body: Value = serde_json::from_str(&r.body).expect("json patch");
        assert!(
            body["metadata"]["resourceVersion"].is_string(),
            "{}",
            r.body
        );
        assert_eq!(
            r.content_type.as_deref(),
            Some("application/merge-patch+json")
        );
    }
    let events = c.server.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["regarding"]["name"], "web");
    assert_eq!(
        events[0]["regarding"]["apiVersion"], "helm.toolkit.fluxcd.io/v2",
        "the served version"
    );
    assert_eq!(events[1]["type"], "Normal");
    let s = summary(&out);
    assert_eq!(
        (
            s["actions"].as_u64(),
            s["succeeded"].as_u64(),
            s["failed"].as_u64()
        ),
        (Some(2), Some(2), Some(0))
    );
    let decisions = log_lines(&out)
        .into_iter()
        .filter(|l| l["msg"] == "decision")
        .count();
    assert_eq!(decisions, 3, "one log line per decision");
}

#[test]
fn a_second_run_on_the_recovered_state_changes_nothing() {
    let c = three();
    assert_eq!(c.recover(&[]).status.code(), Some(0));
    let before = c.writes().len();
    let out = c.recover(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(c.writes().len(), before, "no new writes");
    assert_eq!(summary(&out)["actions"], 0);
}

#[test]
fn a_forbidden_status_patch_rolls_the_annotation_back_and_exits_1() {
    let c = three();
    c.server.inject(Fault {
        method: "PATCH",
        path_suffix: "/helmreleases/web/status".to_string(),
        status: 403,
        times: 1,
        ..Fault::default()
    });
    let out = c.recover(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let web_writes: Vec<_> = c
        .writes()
        .into_iter()
        .filter(|(_, p)| p.contains("/web"))
        .collect();
    assert_eq!(
        web_writes,
        vec![
            write("PATCH", &format!("{HR_PATH}/web")),
            write("PATCH", &format!("{HR_PATH}/web/status")),
            write("PATCH", &format!("{HR_PATH}/web"))
        ],
        "annotate, failed status patch, rollback"
    );
    let web = c.server.helmrelease("apps", "web").expect("web");
    let annotations = web["metadata"]
        .get("annotations")
        .cloned()
        .unwrap_or(json!({}));
    assert!(
        annotations
            .get("stuck-hr-recovery.openova.io/auto-corrected-at")
            .is_none(),
        "rolled back: {annotations}"
    );
    assert_eq!(web["status"]["conditions"][0]["status"], "Unknown");
    let failure = log_lines(&out)
        .into_iter()
        .find(|l| l["msg"] == "action step failed")
        .expect("failure logged");
    assert_eq!(failure["statusCode"], 403);
    assert!(
        failure["message"]
            .as_str()
            .is_some_and(|m| m.contains("Forbidden")),
        "{failure}"
    );
    assert!(
        c.server
            .events()
            .iter()
            .any(|e| e["type"] == "Warning" && e["regarding"]["name"] == "web")
    );
    assert_eq!(summary(&out)["failed"], 1);
    // The next run retries: nothing blocks it.
    let out = c.recover(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let web = c.server.helmrelease("apps", "web").expect("web");
    assert_eq!(web["status"]["conditions"][0]["status"], "True");
}

#[test]
fn a_resource_version_conflict_is_a_failed_action_and_nothing_more_is_written() {
    let c = three();
    c.server.inject(Fault {
        method: "PATCH",
        path_suffix: "/helmreleases/web".to_string(),
        status: 409,
        times: 1,
        ..Fault::default()
    });
    let out = c.recover(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !c.writes().iter().any(|(_, p)| p.ends_with("/web/status")),
        "no status patch after a conflict"
    );
    let failure = log_lines(&out)
        .into_iter()
        .find(|l| l["msg"] == "action step failed")
        .expect("logged");
    assert_eq!(failure["statusCode"], 409);
}

#[test]
fn a_failing_list_exits_2_and_writes_nothing() {
    let c = three();
    c.server.inject(Fault {
        method: "GET",
        path_suffix: "/helmreleases".to_string(),
        status: 500,
        times: 5,
        ..Fault::default()
    });
    let out = c.recover(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("cannot list HelmReleases (HTTP 500)"),
        "{}",
        stderr(&out)
    );
    assert!(c.writes().is_empty());
}

#[test]
fn lists_are_paged_with_continue_tokens() {
    let hrs: Vec<Value> = (0..7)
        .map(|i| hr(&format!("ok-{i}"), "True", Some("deployed")))
        .collect();
    let c = Cluster::start(hrs, vec![]);
    let out = c.recover(&["--page-size", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lists: Vec<Recorded> = c
        .server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/apis/helm.toolkit.fluxcd.io/v2/helmreleases")
        .collect();
    assert_eq!(lists.len(), 3);
    assert!(lists[0].query.contains("limit=3") && !lists[0].query.contains("continue="));
    assert!(lists[1].query.contains("continue=") && lists[2].query.contains("continue="));
    assert_eq!(summary(&out)["helmReleases"], 7);
}

#[test]
fn helm_storage_is_listed_as_metadata_only() {
    let c = three();
    let out = c.recover(&["--dry-run"]);
    assert_eq!(out.status.code(), Some(0));
    let secrets: Vec<Recorded> = c
        .server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/secrets")
        .collect();
    assert_eq!(secrets.len(), 1);
    assert!(
        secrets[0]
            .accept
            .as_deref()
            .is_some_and(|a| a.contains("as=PartialObjectMetadataList")),
        "{:?}",
        secrets[0].accept
    );
    assert!(
        secrets[0].query.contains("labelSelector=owner%3Dhelm"),
        "{}",
        secrets[0].query
    );
    assert!(!c.server.secrets_listed_with_payload());
    assert!(!stdout(&out).contains("SECRET-PAYLOAD"));
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let c = three();
    let out = c.recover(&["--dry-run"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(c.writes().is_empty());
    let plan: Value = serde_json::from_str(&stdout(&out)).expect("plan JSON");
    assert_eq!(plan["schemaVersion"], 2);
    assert_eq!(plan["actions"].as_array().map(Vec::len), Some(2));
}

#[test]
fn the_guardrail_acts_on_none_and_exits_1() {
    let hrs: Vec<Value> = (0..11)
        .map(|i| hr(&format!("web-{i:02}"), "Unknown", Some("deployed")))
        .collect();
    let secrets: Vec<Value> = (0..11)
        .map(|i| secret(&format!("web-{i:02}"), 3, "deployed"))
        .collect();
    let c = Cluster::start(hrs, secrets);
    let out = c.recover(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(c.writes().is_empty(), "{:?}", c.writes());
    let s = summary(&out);
    assert_eq!(s["guardrailTripped"], true);
    assert!(
        log_lines(&out)
            .iter()
            .any(|l| l["msg"] == "guardrail tripped: acting on none" && l["candidates"] == 11)
    );
}

#[test]
fn bad_configuration_and_snapshots_exit_2_naming_the_problem() {
    let c = three();
    std::fs::write(c.dir.path().join("config.yaml"), "stuckThreshold: soon\n").expect("write");
    let out = c.recover(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("config.yaml`:1:17: `stuckThreshold`: `soon` is not a positive duration"),
        "{}",
        stderr(&out)
    );
    assert!(
        c.server.requests().is_empty(),
        "no API call with a bad config"
    );

    let snap = |dir: &Path, text: &str| {
        let p = dir.join("snap.json");
        std::fs::write(&p, text).expect("write");
        Command::new(env!("CARGO_BIN_EXE_catalyst-guard"))
            .args(["recover", "--now", NOW, "--snapshot"])
            .arg(&p)
            .output()
            .expect("runs")
    };
    let out = snap(
        c.dir.path(),
        r#"{"schemaVersion":1,"helmReleases":[{"namespace":"apps","name":"web"}],"storage":[]}"#,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`helmReleases[0]` (`apps/web`): missing field `resourceVersion`"),
        "{}",
        stderr(&out)
    );
    let out = snap(
        c.dir.path(),
        r#"{"schemaVersion":9,"helmReleases":[],"storage":[]}"#,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unsupported snapshot `schemaVersion` 9"),
        "{}",
        stderr(&out)
    );
    let out = snap(
        c.dir.path(),
        r#"{"schemaVersion":1,"helmReleases":[],"storage":[]}"#,
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_saved_snapshot_replays_to_the_same_plan_offline() {
    let c = three();
    let snap_path = c.dir.path().join("saved.json");
    let out = Command::new(env!("CARGO_BIN_EXE_catalyst-guard"))
        .arg("snapshot")
        .arg("--kubeconfig")
        .arg(c.dir.path().join("kubeconfig"))
        .arg("--output")
        .arg(&snap_path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let live = c.recover(&["--dry-run"]);
    let offline = Command::new(env!("CARGO_BIN_EXE_catalyst-guard"))
        .args(["recover", "--now", NOW, "--snapshot"])
        .arg(&snap_path)
        .arg("--config")
        .arg(c.dir.path().join("config.yaml"))
        .output()
        .expect("runs");
    assert_eq!(offline.status.code(), Some(0), "{}", stderr(&offline));
    assert_eq!(stdout(&offline), stdout(&live));
}

/// [`three`], where `web`'s status patch is answered 409 after `change` was applied to
/// it, as if another writer got there first.
fn three_with_status_conflict(change: Value) -> Cluster {
    let c = three();
    c.server.inject_with_change(
        Fault {
            method: "PATCH",
            path_suffix: "/helmreleases/web/status".to_string(),
            status: 409,
            times: 1,
            ..Fault::default()
        },
        "apps",
        "web",
        change,
    );
    c
}

#[test]
fn a_status_patch_conflict_after_the_object_changed_still_rolls_the_annotation_back() {
    // Another writer labels `web` just before the status patch is answered with 409:
    // the rollback's resourceVersion is then stale too.
    let c =
        three_with_status_conflict(json!({"metadata": {"labels": {"touched": "by-someone-else"}}}));
    let out = c.recover(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let web_calls: Vec<(String, String)> = c
        .server
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/helmreleases/web"))
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(
        web_calls,
        vec![
            write("PATCH", &format!("{HR_PATH}/web")),
            write("PATCH", &format!("{HR_PATH}/web/status")),
            write("GET", &format!("{HR_PATH}/web")),
            write("PATCH", &format!("{HR_PATH}/web")),
            write("GET", &format!("{HR_PATH}/web")),
            write("PATCH", &format!("{HR_PATH}/web")),
        ],
        "annotate, status 409, re-read (the status is not ours), rollback 409, re-read, rollback"
    );
    let web = c.server.helmrelease("apps", "web").expect("web");
    let annotations = web["metadata"]
        .get("annotations")
        .cloned()
        .unwrap_or(json!({}));
    assert!(
        annotations
            .get("stuck-hr-recovery.openova.io/auto-corrected-revision")
            .is_none(),
        "rolled back: {annotations}"
    );
    assert_eq!(
        web["metadata"]["labels"]["touched"], "by-someone-else",
        "the other writer's change stays"
    );
    assert!(
        log_lines(&out)
            .iter()
            .any(|l| l["msg"] == "rollback" && l["result"] == "ok")
    );
}

#[test]
fn a_rollback_never_undoes_annotations_someone_else_rewrote() {
    let c = three_with_status_conflict(
        json!({"metadata": {"annotations": {"stuck-hr-recovery.openova.io/auto-corrected-revision": "operator"}}}),
    );
    let out = c.recover(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let web = c.server.helmrelease("apps", "web").expect("web");
    assert_eq!(
        web["metadata"]["annotations"]["stuck-hr-recovery.openova.io/auto-corrected-revision"],
        "operator"
    );
    assert!(
        log_lines(&out)
            .iter()
            .any(|l| l["msg"] == "rollback failed" && l["statusCode"] == 409)
    );
}

#[test]
fn one_malformed_helmrelease_is_undetermined_and_the_rest_are_still_recovered() {
    let mut bad = hr("bad", "Unknown", Some("deployed"));
    bad["status"]["history"] = json!("not a list");
    let c = Cluster::start(
        vec![bad, hr("web", "Unknown", Some("deployed"))],
        vec![secret("web", 3, "deployed")],
    );
    let out = c.recover(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let bad = log_lines(&out)
        .into_iter()
        .find(|l| l["msg"] == "decision" && l["name"] == "bad")
        .expect("a decision for the malformed one");
    assert_eq!(bad["class"], "undetermined");
    assert_eq!(bad["reason"], "malformed-object");
    assert!(
        bad["detail"]
            .as_str()
            .is_some_and(|d| d.contains("`status.history`")),
        "{bad}"
    );
    assert_eq!(summary(&out)["succeeded"], 1);
}

fn helm_controller(image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "helm-controller", "namespace": "flux-system"},
        "spec": {
            "selector": {"matchLabels": {"app": "helm-controller"}},
            "template": {
                "metadata": {"labels": {"app": "helm-controller"}},
                "spec": {"containers": [{"name": "manager", "image": image}]},
            },
        },
    })
}

#[test]
fn on_helm_controller_v1_5_0_a_lost_status_gets_a_reconcile_request_and_no_status_write() {
    let c = Cluster::start(
        vec![hr("web", "Unknown", Some("deployed"))],
        vec![secret("web", 3, "deployed")],
    );
    c.server
        .add_deployment(helm_controller("ghcr.io/fluxcd/helm-controller:v1.5.0"));
    let out = c.recover(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        c.server.requests().iter().any(|r| r.method == "GET"
            && r.path == "/apis/apps/v1/namespaces/flux-system/deployments/helm-controller"),
        "the version is read from the Deployment"
    );
    assert_eq!(
        c.writes(),
        vec![
            write("PATCH", &format!("{HR_PATH}/web")),
            write("POST", "/apis/events.k8s.io/v1/namespaces/apps/events"),
        ]
    );
    let web = c.server.helmrelease("apps", "web").expect("web");
    let annotations = &web["metadata"]["annotations"];
    assert_eq!(annotations["reconcile.fluxcd.io/requestedAt"], NOW);
    assert!(annotations.get("reconcile.fluxcd.io/forceAt").is_none());
    assert_eq!(web["status"]["conditions"][0]["status"], "Unknown");

    // The flag overrides the Deployment: an older controller gets the status patch.
    let c = Cluster::start(
        vec![hr("web", "Unknown", Some("deployed"))],
        vec![secret("web", 3, "deployed")],
    );
    c.server
        .add_deployment(helm_controller("ghcr.io/fluxcd/helm-controller:v1.5.0"));
    let out = c.recover(&["--helm-controller-version", "v1.4.0"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(c.writes().iter().any(|(_, p)| p.ends_with("/web/status")));
}

#[test]
fn a_status_patch_makes_the_helmrelease_current_for_kstatus_and_depends_on() {
    let c = three();
    let out = c.recover(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let web = c.server.helmrelease("apps", "web").expect("web");
    assert_eq!(
        web["status"]["observedGeneration"],
        web["metadata"]["generation"]
    );
    let conditions = web["status"]["conditions"].as_array().expect("conditions");
    let types: Vec<&str> = conditions
        .iter()
        .filter_map(|c| c["type"].as_str())
        .collect();
    assert_eq!(types, vec!["Ready", "Released"]);
    for c in conditions {
        for field in [
            "type",
            "status",
            "reason",
            "message",
            "lastTransitionTime",
            "observedGeneration",
        ] {
            assert!(!c[field].is_null(), "{field} missing in {c}");
        }
    }
}

#[test]
fn kubectl_list_output_decides_like_the_live_cluster_and_never_copies_payloads() {
    let hrs = vec![
        hr("web", "Unknown", Some("deployed")),
        hr("ok", "True", Some("deployed")),
        hr("api", "Unknown", Some("pending-install")),
    ];
    let secrets = vec![
        secret("web", 3, "deployed"),
        secret("api", 1, "deployed"),
        secret("ok", 3, "deployed"),
    ];
    let c = Cluster::start(hrs.clone(), secrets.clone());
    let live = c.recover(&["--dry-run"]);
    assert_eq!(live.status.code(), Some(0), "{}", stderr(&live));
    // What `kubectl get helmreleases -A -o json` and `kubectl get secrets -A -l
    // owner=helm -o json` print (kubectl adds the resourceVersion the server gave).
    let with_rv = |mut items: Vec<Value>| {
        for (i, item) in items.iter_mut().enumerate() {
            item["metadata"]["resourceVersion"] = json!(format!("{}", i + 1));
        }
        items
    };
    let dir = c.dir.path();
    let list = dir.join("hrs.json");
    std::fs::write(
        &list,
        json!({"apiVersion": "v1", "kind": "List", "items": with_rv(hrs), "metadata": {}})
            .to_string(),
    )
    .expect("write");
    let store = dir.join("secrets.json");
    std::fs::write(
        &store,
        json!({"apiVersion": "v1", "kind": "List", "items": secrets}).to_string(),
    )
    .expect("write");
    let run = |extra: &[&std::ffi::OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_catalyst-guard"))
            .args(["recover", "--now", NOW, "--config"])
            .arg(dir.join("config.yaml"))
            .args(extra)
            .output()
            .expect("runs")
    };
    let offline = run(&[
        "--snapshot".as_ref(),
        list.as_os_str(),
        "--storage".as_ref(),
        store.as_os_str(),
    ]);
    assert_eq!(offline.status.code(), Some(0), "{}", stderr(&offline));
    let strip_rv = |text: &str| {
        let mut plan: Value = serde_json::from_str(text).expect("plan");
        for a in plan["actions"].as_array_mut().into_iter().flatten() {
            a["resourceVersion"] = json!("");
        }
        plan
    };
    assert_eq!(strip_rv(&stdout(&offline)), strip_rv(&stdout(&live)));
    assert!(!stdout(&offline).contains("SECRET-PAYLOAD"));
    // A PartialObjectMetadataList works the same.
    let meta: Vec<Value> = (0..1)
        .map(|_| {
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"name": "sh.helm.release.v1.web.v3", "namespace": "apps",
            "labels": {"owner": "helm", "name": "web", "version": "3", "status": "deployed"}}})
        })
        .collect();
    std::fs::write(
        &store,
        json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadataList", "items": meta})
            .to_string(),
    )
    .expect("write");
    let offline = run(&[
        "--snapshot".as_ref(),
        list.as_os_str(),
        "--storage".as_ref(),
        store.as_os_str(),
    ]);
    assert_eq!(offline.status.code(), Some(0), "{}", stderr(&offline));
    let plan: Value = serde_json::from_str(&stdout(&offline)).expect("plan");
    assert_eq!(plan["decisions"][2]["class"], "stuck-status-lost", "{plan}");
    // Two exports merged by hand can name one HelmRelease twice: refused, not decided twice.
    let web = hr("web", "Unknown", Some("deployed"));
    std::fs::write(
        &list,
        json!({"apiVersion": "v1", "kind": "List", "items": with_rv(vec![web.clone(), web]), "metadata": {}})
            .to_string(),
    )
    .expect("write");
    let twice = run(&[
        "--snapshot".as_ref(),
        list.as_os_str(),
        "--storage".as_ref(),
        store.as_os_str(),
    ]);
    assert_eq!(twice.status.code(), Some(2), "{}", stdout(&twice));
    assert!(
        stderr(&twice)
            .contains("`helmReleases[1]` (`apps/web`): listed again (first at `helmReleases[0]`)"),
        "{}",
        stderr(&twice)
    );
}

#[test]
fn an_expired_continue_token_starts_the_list_again_and_nothing_is_counted_twice() {
    let hrs: Vec<Value> = (0..7)
        .map(|i| hr(&format!("ok-{i}"), "True", Some("deployed")))
        .collect();
    let c = Cluster::start(hrs, vec![]);
    c.server.expire_continue_tokens(1);
    let out = c.recover(&["--page-size", "3"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let lists: Vec<Recorded> = c
        .server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/apis/helm.toolkit.fluxcd.io/v2/helmreleases")
        .collect();
    let continued: Vec<bool> = lists
        .iter()
        .map(|r| r.query.contains("continue="))
        .collect();
    assert_eq!(
        continued,
        vec![false, true, false, true, true],
        "page 1, expired page 2, then the whole list again"
    );
    assert_eq!(summary(&out)["helmReleases"], 7);
}

#[test]
fn a_tripped_guardrail_still_resumes_our_own_interrupted_toggle() {
    let mut hrs: Vec<Value> = (0..11)
        .map(|i| hr(&format!("web-{i:02}"), "Unknown", Some("deployed")))
        .collect();
    let mut paused = hr("paused", "Unknown", Some("deployed"));
    paused["spec"]["suspend"] = json!(true);
    paused["metadata"]["annotations"] =
        json!({"stuck-hr-recovery.openova.io/suspended-at": "2026-11-22T11:58:00Z"});
    hrs.push(paused);
    let secrets: Vec<Value> = (0..11)
        .map(|i| secret(&format!("web-{i:02}"), 3, "deployed"))
        .collect();
    let c = Cluster::start(hrs, secrets);
    let out = c.recover(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(
        c.writes(),
        vec![
            write("PATCH", &format!("{HR_PATH}/paused")),
            write("POST", "/apis/events.k8s.io/v1/namespaces/apps/events"),
        ],
        "only the resume"
    );
    let paused = c.server.helmrelease("apps", "paused").expect("paused");
    assert_eq!(paused["spec"]["suspend"], false);
    assert_eq!(summary(&out)["guardrailTripped"], true);
}
