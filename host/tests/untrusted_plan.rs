//! The host does not trust the plugin's Plan: a component that answers `decide` with a
//! well-formed plan that acts on a HelmRelease its own decisions call healthy
//! (`hostile-lie.wasm`, built by `cargo xtask build-wasm`) must make `recover` exit 2
//! with nothing written, against an API server that would accept every write.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

#[allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]
#[path = "support/apiserver.rs"]
mod apiserver;

use std::path::PathBuf;
use std::process::{Command, Output};

use apiserver::FakeApiServer;
use serde_json::{Value, json};

const NOW: &str = "2026-11-22T12:00:00Z";

fn plugin(name: &str) -> PathBuf {
    // <target>/debug/deps/<test binary> -> <target>/plugin
    let exe = std::env::current_exe().expect("test binary path");
    let p = exe
        .ancestors()
        .nth(3)
        .expect("target dir")
        .join("plugin")
        .join(name);
    assert!(
        p.is_file(),
        "{} is missing: run `cargo xtask build-wasm` first",
        p.display()
    );
    p
}

/// `web` is stuck (Ready=Unknown for 10 minutes, history[0] deployed), `ok` is healthy.
fn hr(name: &str, ready: &str) -> Value {
    json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": "apps", "generation": 1, "uid": format!("uid-{name}")},
        "spec": {"interval": "10m", "chart": {"spec": {"chart": name, "version": "1.0.0"}}},
        "status": {
            "observedGeneration": 1,
            "lastAttemptedGeneration": 1,
            "lastAttemptedRevision": "1.0.0",
            "conditions": [{"type": "Ready", "status": ready, "reason": "Progressing", "message": "x", "lastTransitionTime": "2026-11-22T11:50:00Z"}],
            "history": [{"name": name, "namespace": "apps", "version": 3, "status": "deployed", "chartVersion": "1.0.0", "lastDeployed": "2026-11-22T10:00:00Z"}],
        },
    })
}

fn secret(release: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": format!("sh.helm.release.v1.{release}.v3"),
            "namespace": "apps",
            "labels": {"owner": "helm", "name": release, "version": "3", "status": "deployed"},
        },
    })
}

fn recover(engine: &[&str]) -> (Output, FakeApiServer) {
    let server = FakeApiServer::start(
        vec![hr("web", "Unknown"), hr("ok", "True")],
        vec![secret("web"), secret("ok")],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("config.yaml"),
        "suspendPause: 0s\nhelmController:\n  version: v1.4.0\n",
    )
    .expect("config");
    server.write_kubeconfig(dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_catalyst-guard"))
        .arg("recover")
        .arg("--kubeconfig")
        .arg(dir.path().join("kubeconfig"))
        .arg("--config")
        .arg(dir.path().join("config.yaml"))
        .args(["--now", NOW])
        .args(engine)
        .env_remove("KUBECONFIG")
        .env("CATALYST_GUARD_CACHE_DIR", dir.path().join("cache"))
        .output()
        .expect("binary runs");
    (out, server)
}

fn writes(server: &FakeApiServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn a_plugin_plan_acting_on_a_healthy_release_exits_2_with_nothing_written() {
    let lie = plugin("hostile-lie.wasm");
    let (out, server) = recover(&["--engine", "plugin", "--plugin", &lie.to_string_lossy()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(writes(&server), Vec::<String>::new(), "stderr: {stderr}");
    assert!(
        stderr.contains("apps/ok"),
        "the error names the HelmRelease the forged action targets: {stderr}"
    );
}

#[test]
fn the_same_cluster_is_recovered_when_the_plan_is_honest() {
    // The control: the lie, not the cluster, is what made the run above stop. The
    // linked core stands in for an honest plugin (the differential tests show the two
    // plan alike) and spares a debug-build compile of the full component.
    let (out, server) = recover(&["--engine", "native"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let written = writes(&server);
    let touches = |name: &str| {
        written
            .iter()
            .any(|w| w.contains(&format!("/helmreleases/{name}")))
    };
    assert!(
        touches("web") && !touches("ok"),
        "the stuck `web` is written, the healthy `ok` is not: {written:?}"
    );
}
