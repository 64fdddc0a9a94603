//! `catalyst-guard recover` against an in-process API server that speaks the real
//! Kubernetes REST shapes, reached through a generated kubeconfig so the real kube-rs
//! client path runs. Each test names the exact requests it expects.

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
            write("PATCH", &format!("{HR_PATH}/api")),
            write("PATCH", &format!("{HR_PATH}/api")),
            write("POST", "/apis/events.k8s.io/v1/namespaces/apps/events"),
            write("PATCH", &format!("{HR_PATH}/web")),
            write("PATCH", &format!("{HR_PATH}/web/status")),
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
    assert_eq!(events[1]["regarding"]["name"], "web");
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
    assert_eq!(plan["schemaVersion"], 1);
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
