//! The API fault matrix of `catalyst-guard recover` (issue 14): every call the job makes
//! (the three reads and the six writes) against every way the API server fails, each
//! cell run against the fake API server through the real binary and kube-rs client.
//!
//! [`MATRIX`] is the single table of cells and their expected outcome. For every cell
//! the test checks the exit code, the log line, that retries stayed bounded, and the
//! end state of the cluster: no HelmRelease left suspended without the marker that
//! makes the next run resume it, no correction annotation without the status (or
//! request) it stands for, nothing written that was not planned (nothing at all after a
//! failed list). A second run with the server healthy must then exit 0 and leave
//! nothing suspended.
//!
//! With `FAULT_MATRIX_OUT=FILE` the test also writes the matrix it observed as a
//! Markdown table to FILE (`cargo xtask faults` prints it).
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

#[allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]
#[path = "support/apiserver.rs"]
mod apiserver;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use apiserver::{Answer, FakeApiServer, Fault};
use serde_json::{Value, json};

const NOW: &str = "2026-11-22T12:00:00Z";
const TEN_MINUTES_AGO: &str = "2026-11-22T11:50:00Z";
const CORRECTED_AT: &str = "stuck-hr-recovery.openova.io/auto-corrected-at";
const SUSPENDED_BY: &str = "stuck-hr-recovery.openova.io/suspended-at";
const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";
const CORRECTED_MESSAGE: &str =
    "auto-corrected from deployed-but-unknown-Ready by stuck-hr-recovery";
/// The client's timeout in the cells (`--request-timeout-ms`); a hung request is held
/// much longer. A second leaves room for a loaded 2-core CI machine running this file's
/// cells, up to 16 debug binaries at once: a healthy answer that came late would turn a
/// cell's last 500 into a timeout.
const TIMEOUT_MS: u64 = 1000;
const HANG: Duration = Duration::from_secs(3);
/// `Retry-After` of a throttled answer.
const RETRY_AFTER_SECONDS: u64 = 1;
/// Attempts per request the host makes (`host/src/recover/retry.rs`).
const ATTEMPTS: usize = 3;
/// How often a fault that "always" fires is armed: far more than any bounded retry.
const ALWAYS: usize = 100;

/// A call the job makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    ListHelmReleases,
    ListStorage,
    GetController,
    Annotate,
    PatchStatus,
    Suspend,
    Resume,
    ReconcileRequest,
    Event,
}

impl Call {
    fn name(self) -> &'static str {
        match self {
            Call::ListHelmReleases => "HelmRelease list",
            Call::ListStorage => "storage-secret list",
            Call::GetController => "helm-controller get",
            Call::Annotate => "annotate",
            Call::PatchStatus => "status patch",
            Call::Suspend => "suspend",
            Call::Resume => "resume",
            Call::ReconcileRequest => "reconcile request",
            Call::Event => "Event",
        }
    }

    /// Method, path suffix and a text of the query or body that pick out this call's
    /// requests (a resume and a suspend share their path; an annotation and its
    /// rollback too).
    fn requests(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Call::ListHelmReleases => ("GET", "/apis/helm.toolkit.fluxcd.io/v2/helmreleases", ""),
            Call::ListStorage => ("GET", "/api/v1/secrets", ""),
            Call::GetController => ("GET", "/deployments/helm-controller", ""),
            Call::Annotate => (
                "PATCH",
                "/helmreleases/web",
                "\"stuck-hr-recovery.openova.io/auto-corrected-at\":\"2026",
            ),
            Call::PatchStatus => ("PATCH", "/helmreleases/web/status", ""),
            Call::Suspend => ("PATCH", "/helmreleases/api", "\"suspend\":true"),
            Call::Resume => ("PATCH", "/helmreleases/api", "\"suspend\":false"),
            Call::ReconcileRequest => (
                "PATCH",
                "/helmreleases/web",
                "\"reconcile.fluxcd.io/requestedAt\":\"2026",
            ),
            Call::Event => ("POST", "/events", ""),
        }
    }

    /// How many requests of this call a healthy run makes.
    fn count(self) -> usize {
        if self == Call::Event { 2 } else { 1 }
    }

    /// The HelmRelease another writer changes before a 409.
    fn object(self) -> Option<&'static str> {
        match self {
            Call::Annotate | Call::PatchStatus | Call::ReconcileRequest => Some("web"),
            Call::Suspend | Call::Resume => Some("api"),
            _ => None,
        }
    }
}

/// A way the API server fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Forbidden,
    NotFound,
    Conflict,
    Gone,
    Invalid,
    Throttled,
    ServerError,
    Timeout,
    Dropped,
}

const KINDS: [Kind; 9] = [
    Kind::Forbidden,
    Kind::NotFound,
    Kind::Conflict,
    Kind::Gone,
    Kind::Invalid,
    Kind::Throttled,
    Kind::ServerError,
    Kind::Timeout,
    Kind::Dropped,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Forbidden => "403",
            Kind::NotFound => "404",
            Kind::Conflict => "409 changed",
            Kind::Gone => "410 continue",
            Kind::Invalid => "422",
            Kind::Throttled => "429 Retry-After",
            Kind::ServerError => "500",
            Kind::Timeout => "timeout",
            Kind::Dropped => "dropped",
        }
    }

    /// The fault for `call`. A 409 fires once, after another writer changed the
    /// object; a 410 answers every continued list; every other fault answers every
    /// request of the call. `Dropped` applies the request, then closes the connection
    /// unanswered (for a write the worst case: it landed, the job never heard).
    fn fault(self, call: Call) -> Fault {
        let (method, path, contains) = call.requests();
        let (status, answer, times, contains) = match self {
            Kind::Forbidden => (403, Answer::Status, ALWAYS, contains),
            Kind::NotFound => (404, Answer::Status, ALWAYS, contains),
            Kind::Conflict => (409, Answer::Status, 1, contains),
            Kind::Gone => (410, Answer::Status, ALWAYS, "continue="),
            Kind::Invalid => (422, Answer::Status, ALWAYS, contains),
            Kind::Throttled => (
                429,
                Answer::RetryAfter(RETRY_AFTER_SECONDS),
                ALWAYS,
                contains,
            ),
            Kind::ServerError => (500, Answer::Status, ALWAYS, contains),
            Kind::Timeout => (0, Answer::Hang(HANG), ALWAYS, contains),
            Kind::Dropped => (0, Answer::DropAfterApply, ALWAYS, contains),
        };
        Fault {
            method,
            path_suffix: path.to_string(),
            status,
            times,
            contains,
            answer,
        }
    }

    /// The most requests one call may make under this fault: final answers are not
    /// retried, transient ones at most [`ATTEMPTS`] times, an expired list is started
    /// again at most 3 times, and an Event (a create) is not sent again unanswered.
    fn bound(self, call: Call) -> usize {
        match self {
            Kind::Forbidden | Kind::NotFound | Kind::Conflict | Kind::Invalid => 1,
            Kind::Gone => 4,
            Kind::Dropped | Kind::Timeout if call == Call::Event => 1,
            Kind::Throttled | Kind::ServerError | Kind::Timeout | Kind::Dropped => ATTEMPTS,
        }
    }
}

/// One cell of the matrix: a call, a fault and the outcome expected.
type Cell = (Call, Kind, Expect);

/// The expected outcome of a cell.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Not a failure the API server gives for this call (a read is never answered 409
    /// or 422; only a continued list can be 410).
    Na,
    /// Exit code, and the log line: a JSON line on stdout with this `msg` and `reason`,
    /// or (exit 2) `msg (reason)` on stderr.
    Out(i32, &'static str, &'static str),
}

use Expect::{Na, Out};

const NO_VERSION: &str =
    "cannot read the helm-controller Deployment; assuming a version before v1.5.0";
const STEP_FAILED: &str = "action step failed";
const NO_EVENT: &str = "cannot record event";
const FOUND_APPLIED: &str = "write found applied on re-read";
const RETRIED: &str = "write retried on the re-read object";

/// A forward write: a final answer or an exhausted retry fails the action (its own
/// rollback runs), a conflict fails it, and a write whose answer was lost is found
/// applied on re-read.
const WRITE: [Expect; 9] = [
    Out(1, STEP_FAILED, "forbidden"),
    Out(1, STEP_FAILED, "not-found"),
    Out(1, STEP_FAILED, "conflict"),
    Na,
    Out(1, STEP_FAILED, "invalid"),
    Out(1, STEP_FAILED, "throttled"),
    Out(1, STEP_FAILED, "server-error"),
    Out(1, STEP_FAILED, "timeout"),
    Out(0, FOUND_APPLIED, "connection-lost"),
];

/// A list: every failure is final for the run (exit 2, nothing written), after the
/// bounded retries or re-lists.
const fn list(msg: &'static str) -> [Expect; 9] {
    [
        Out(2, msg, "HTTP 403"),
        Out(2, msg, "HTTP 404"),
        Na,
        Out(2, msg, "HTTP 410"),
        Na,
        Out(2, msg, "HTTP 429"),
        Out(2, msg, "HTTP 500"),
        Out(2, msg, "timeout"),
        Out(2, msg, "connection-lost"),
    ]
}

/// The matrix: one row per call, one expectation per [`KINDS`] column.
const MATRIX: [(Call, [Expect; 9]); 9] = [
    (Call::ListHelmReleases, list("cannot list HelmReleases")),
    (Call::ListStorage, list("cannot list Helm storage secrets")),
    (
        Call::GetController,
        [
            Out(0, NO_VERSION, "forbidden"),
            Out(0, NO_VERSION, "not-found"),
            Na,
            Na,
            Na,
            Out(0, NO_VERSION, "throttled"),
            Out(0, NO_VERSION, "server-error"),
            Out(0, NO_VERSION, "timeout"),
            Out(0, NO_VERSION, "connection-lost"),
        ],
    ),
    (Call::Annotate, WRITE),
    (Call::PatchStatus, WRITE),
    (Call::Suspend, WRITE),
    (
        Call::Resume,
        [
            Out(1, STEP_FAILED, "forbidden"),
            Out(1, STEP_FAILED, "not-found"),
            // Our in-flight marker is still there: the change was not a deliberate
            // suspend, so the resume is retried on the fresh object.
            Out(0, RETRIED, "conflict"),
            Na,
            Out(1, STEP_FAILED, "invalid"),
            Out(1, STEP_FAILED, "throttled"),
            Out(1, STEP_FAILED, "server-error"),
            Out(1, STEP_FAILED, "timeout"),
            Out(0, FOUND_APPLIED, "connection-lost"),
        ],
    ),
    (Call::ReconcileRequest, WRITE),
    (
        Call::Event,
        [
            Out(0, NO_EVENT, "forbidden"),
            Out(0, NO_EVENT, "not-found"),
            Out(0, NO_EVENT, "conflict"),
            Na,
            Out(0, NO_EVENT, "invalid"),
            Out(0, NO_EVENT, "throttled"),
            Out(0, NO_EVENT, "server-error"),
            Out(0, NO_EVENT, "timeout"),
            Out(0, NO_EVENT, "connection-lost"),
        ],
    ),
];

fn hr(name: &str, ready: &str, history: &str) -> Value {
    json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": "apps", "generation": 1, "uid": format!("uid-{name}")},
        "spec": {"interval": "10m", "chart": {"spec": {"chart": name, "version": "1.0.0"}}},
        "status": {
            "observedGeneration": 1,
            "conditions": [{"type": "Ready", "status": ready, "reason": "Progressing", "message": "x", "lastTransitionTime": TEN_MINUTES_AGO}],
            "history": [{"name": name, "namespace": "apps", "version": 3, "status": history, "lastDeployed": "2026-11-22T10:00:00Z"}],
        },
    })
}

fn secret(release: &str, revision: u32) -> Value {
    json!({
        "metadata": {
            "name": format!("sh.helm.release.v1.{release}.v{revision}"),
            "namespace": "apps",
            "labels": {"owner": "helm", "name": release, "version": revision.to_string(), "status": "deployed"},
        },
    })
}

/// `web` (deployed but Ready=Unknown: annotate + status patch, or a reconcile request
/// on helm-controller v1.5.0), `api` (Helm storage deployed, history pending: the
/// suspend toggle) and `ok` (healthy: never written), listed two to a page.
struct Cluster {
    server: FakeApiServer,
    dir: tempfile::TempDir,
}

impl Cluster {
    fn start(controller: &str) -> Self {
        Self::with(
            vec![
                hr("web", "Unknown", "deployed"),
                hr("ok", "True", "deployed"),
                hr("api", "Unknown", "pending-install"),
            ],
            vec![secret("web", 3), secret("api", 1), secret("ok", 3)],
            controller,
        )
    }

    /// Eleven stuck HelmReleases (the guardrail trips at more than ten) and `api`,
    /// suspended by an interrupted toggle of ours: the plan is its resume alone.
    fn guardrail() -> Self {
        let mut hrs: Vec<Value> = (0..11)
            .map(|i| hr(&format!("web-{i:02}"), "Unknown", "deployed"))
            .collect();
        let mut api = hr("api", "Unknown", "deployed");
        api["spec"]["suspend"] = json!(true);
        api["metadata"]["annotations"] = json!({SUSPENDED_BY: "2026-11-22T11:58:00Z"});
        hrs.push(api);
        let secrets = (0..11).map(|i| secret(&format!("web-{i:02}"), 3)).collect();
        Self::with(hrs, secrets, "v1.4.0")
    }

    fn with(hrs: Vec<Value>, secrets: Vec<Value>, controller: &str) -> Self {
        let server = FakeApiServer::start(hrs, secrets);
        server.enforce_rbac(apiserver::rbac_from_deploy());
        server.add_deployment(json!({
            "metadata": {"name": "helm-controller", "namespace": "flux-system"},
            "spec": {"template": {"spec": {"containers": [
                {"name": "manager", "image": format!("ghcr.io/fluxcd/helm-controller:{controller}")}
            ]}}},
        }));
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("config.yaml"), "suspendPause: 0s\n").expect("config");
        server.write_kubeconfig(dir.path());
        Self { server, dir }
    }

    fn recover(&self) -> Output {
        self.recover_within(TIMEOUT_MS)
    }

    /// `recover` with `--request-timeout-ms timeout_ms`.
    fn recover_within(&self, timeout_ms: u64) -> Output {
        let dir = self.dir.path();
        Command::new(env!("CARGO_BIN_EXE_catalyst-guard"))
            .arg("recover")
            .arg("--kubeconfig")
            .arg(dir.join("kubeconfig"))
            .arg("--config")
            .arg(dir.join("config.yaml"))
            .args(["--now", NOW, "--engine", "native", "--page-size", "2"])
            .args(["--request-timeout-ms", &timeout_ms.to_string()])
            .env_remove("KUBECONFIG")
            .output()
            .expect("binary runs")
    }

    /// What is wrong with the cluster's end state (empty: nothing).
    fn end_state_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for name in ["web", "api", "ok"] {
            let Some(hr) = self.server.helmrelease("apps", name) else {
                problems.push(format!("`{name}` is gone"));
                continue;
            };
            let annotations = &hr["metadata"]["annotations"];
            let suspended = hr["spec"]["suspend"] == true;
            let marker = annotations.get(SUSPENDED_BY).is_some();
            if suspended && !marker {
                problems.push(format!(
                    "`{name}` is suspended without our marker: no run resumes it"
                ));
            }
            let Some(token) = annotations.get(CORRECTED_AT) else {
                continue;
            };
            let stands = match name {
                // Annotate + status patch, or one reconcile-request patch.
                "web" => {
                    let ready = &hr["status"]["conditions"][0];
                    (ready["status"] == "True" && ready["message"] == CORRECTED_MESSAGE)
                        || annotations.get(REQUESTED_AT) == Some(token)
                }
                // The toggle writes the marks with the resume.
                _ => !suspended && !marker,
            };
            if !stands {
                problems.push(format!(
                    "`{name}` has `{CORRECTED_AT}` without the status it stands for"
                ));
            }
        }
        problems
    }

    fn writes(&self) -> Vec<String> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

fn log_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The matrix's short name for each log line a cell looks for.
const SHORT: [(&str, &str); 7] = [
    ("cannot list HelmReleases", "list failed"),
    ("cannot list Helm storage secrets", "list failed"),
    (NO_VERSION, "version assumed"),
    (STEP_FAILED, "step failed"),
    (NO_EVENT, "no event"),
    (FOUND_APPLIED, "found applied"),
    (RETRIED, "retried on re-read"),
];

/// What one cell did.
struct Observed {
    exit: Option<i32>,
    /// The short name of the log line found, with its reason.
    log: Option<String>,
    attempts: usize,
    seconds: f64,
    failures: Vec<String>,
}

fn run_cell(call: Call, kind: Kind, exit: i32, msg: &str, reason: &str) -> Observed {
    let started = Instant::now();
    let c = Cluster::start(if call == Call::ReconcileRequest {
        "v1.5.0"
    } else {
        "v1.4.0"
    });
    let fault = kind.fault(call);
    match (kind, call.object()) {
        (Kind::Conflict, Some(name)) => c.server.inject_with_change(
            fault,
            "apps",
            name,
            json!({"metadata": {"labels": {"touched": "by-someone-else"}}}),
        ),
        _ => c.server.inject(fault),
    }
    let out = c.recover();
    let mut failures = Vec::new();
    let code = out.status.code();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if code != Some(exit) {
        failures.push(format!("exit {code:?}, expected {exit}"));
    }
    let lines = log_lines(&out);
    let found = if exit == 2 {
        stderr.contains(&format!("{msg} ({reason})"))
    } else {
        lines
            .iter()
            .any(|l| l["msg"] == msg && l["reason"] == reason)
    };
    let short = SHORT
        .iter()
        .find(|(m, _)| *m == msg)
        .map_or(msg, |(_, s)| s);
    let log = found.then(|| format!("{short} ({reason})"));
    if log.is_none() {
        failures.push(format!("no log line `{msg}` with reason `{reason}`"));
    }
    if kind == Kind::Throttled {
        let waits: Vec<&Value> = lines
            .iter()
            .filter(|l| l["msg"] == "retrying a request")
            .map(|l| &l["waitMs"])
            .collect();
        if waits.is_empty() || waits.iter().any(|w| **w != RETRY_AFTER_SECONDS * 1000) {
            failures.push(format!("retries did not wait the Retry-After: {waits:?}"));
        }
    }
    let attempts = c.server.faults_fired().first().copied().unwrap_or(0);
    let bound = kind.bound(call) * call.count();
    if attempts == 0 || attempts > bound {
        failures.push(format!(
            "the fault fired {attempts} times, expected 1 to {bound}"
        ));
    }
    failures.extend(c.end_state_problems());
    let writes = c.writes();
    if writes.iter().any(|w| w.contains("/helmreleases/ok")) {
        failures.push("the healthy `ok` was written".to_string());
    }
    if exit == 2 && !writes.is_empty() {
        failures.push(format!("written after a failed list: {writes:?}"));
    }
    // The next run, with the API server healthy, finishes the job.
    c.server.clear_faults();
    let again = c.recover();
    if again.status.code() != Some(0) {
        failures.push(format!(
            "the next run exited {:?}: {}",
            again.status.code(),
            String::from_utf8_lossy(&again.stdout)
        ));
    }
    failures.extend(
        c.end_state_problems()
            .into_iter()
            .map(|p| format!("after the next run: {p}")),
    );
    for name in ["web", "api"] {
        if c.server
            .helmrelease("apps", name)
            .is_some_and(|hr| hr["spec"]["suspend"] == true)
        {
            failures.push(format!("after the next run: `{name}` is still suspended"));
        }
    }
    if !failures.is_empty() {
        failures.push(format!("stdout:\n{stdout}\nstderr:\n{stderr}"));
    }
    Observed {
        exit: code,
        log,
        attempts,
        seconds: started.elapsed().as_secs_f64(),
        failures,
    }
}

/// Runs `run` for each of `inputs` on `threads` threads, results in input order.
fn parallel<I: Copy + Send + Sync, O: Send>(
    inputs: &[I],
    threads: usize,
    run: impl Fn(I) -> O + Sync,
) -> Vec<O> {
    let run = &run;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    inputs
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| i % threads == t)
                        .map(|(i, input)| (i, run(*input)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut results: Vec<(usize, O)> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("a cell thread panicked"))
            .collect();
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, o)| o).collect()
    })
}

/// Runs `cells` on a few threads (most of a cell's time is waiting on timeouts and
/// Retry-After, not CPU).
fn run_all(cells: &[Cell]) -> Vec<Option<Observed>> {
    parallel(cells, 8, |(call, kind, expect)| match expect {
        Na => None,
        Out(exit, msg, reason) => Some(run_cell(call, kind, exit, msg, reason)),
    })
}

/// The matrix as Markdown: one row per call, one column per fault; each cell reads
/// `exit · end state · log line (reason) ×requests the fault answered`.
fn render(cells: &[Cell], results: &[Option<Observed>], seconds: f64) -> String {
    let mut out = String::from("| call |");
    for k in KINDS {
        out.push_str(&format!(" {} |", k.name()));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(KINDS.len()));
    for (row, (call, _)) in MATRIX.iter().enumerate() {
        out.push_str(&format!("\n| {} |", call.name()));
        for col in 0..KINDS.len() {
            let i = row * KINDS.len() + col;
            let text = match (&cells[i].2, &results[i]) {
                (Na, _) | (_, None) => "n/a".to_string(),
                (Out(..), Some(o)) => format!(
                    "{} · {} · {} ×{}",
                    o.exit.map_or("signal".to_string(), |c| c.to_string()),
                    if o.failures.is_empty() { "ok" } else { "FAIL" },
                    o.log.as_deref().unwrap_or("(no log line)"),
                    o.attempts
                ),
            };
            out.push_str(&format!(" {text} |"));
        }
    }
    let run = results.iter().flatten().count();
    let failed = results
        .iter()
        .flatten()
        .filter(|o| !o.failures.is_empty())
        .count();
    let slowest = results
        .iter()
        .flatten()
        .map(|o| o.seconds)
        .fold(0.0, f64::max);
    out.push_str("\n\nLog lines: ");
    let legend: Vec<String> = SHORT
        .iter()
        .map(|(msg, short)| format!("{short} = `{msg}`"))
        .collect();
    out.push_str(&legend.join("; "));
    out.push_str(&format!(
        ".\n\n{run} cells run, {failed} failed, {} n/a; {seconds:.1} s in all, slowest cell {slowest:.1} s\n",
        cells.len() - run
    ));
    out
}

#[test]
fn every_call_under_every_api_fault_ends_in_a_safe_state_with_the_planned_exit_and_log() {
    let started = Instant::now();
    let cells: Vec<Cell> = MATRIX
        .iter()
        .flat_map(|(call, row)| KINDS.iter().zip(row).map(|(k, e)| (*call, *k, *e)))
        .collect();
    let results = run_all(&cells);
    let table = render(&cells, &results, started.elapsed().as_secs_f64());
    if let Some(path) = std::env::var_os("FAULT_MATRIX_OUT") {
        std::fs::write(&path, &table).expect("write the matrix");
    }
    let failed: Vec<String> = cells
        .iter()
        .zip(&results)
        .filter_map(|((call, kind, _), r)| {
            let r = r.as_ref()?;
            (!r.failures.is_empty()).then(|| {
                format!(
                    "{} x {}:\n  {}",
                    call.name(),
                    kind.name(),
                    r.failures.join("\n  ")
                )
            })
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} cells failed:\n{}\n{table}",
        failed.len(),
        failed.join("\n\n")
    );
}

#[test]
fn a_throttled_list_is_retried_after_its_retry_after_and_the_run_succeeds() {
    let c = Cluster::start("v1.4.0");
    c.server.inject(Fault {
        times: 1,
        ..Kind::Throttled.fault(Call::ListHelmReleases)
    });
    let started = Instant::now();
    let out = c.recover();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(started.elapsed() >= Duration::from_secs(RETRY_AFTER_SECONDS));
    let retry = log_lines(&out)
        .into_iter()
        .find(|l| l["msg"] == "retrying a request")
        .expect("the retry is logged");
    assert_eq!(
        (
            retry["statusCode"].as_u64(),
            retry["reason"].as_str(),
            retry["waitMs"].as_u64()
        ),
        (
            Some(429),
            Some("throttled"),
            Some(RETRY_AFTER_SECONDS * 1000)
        )
    );
    assert!(c.end_state_problems().is_empty());
}

#[test]
fn a_status_patch_that_timed_out_once_is_retried_and_the_run_succeeds() {
    let c = Cluster::start("v1.4.0");
    c.server.inject(Fault {
        times: 1,
        ..Kind::Timeout.fault(Call::PatchStatus)
    });
    let out = c.recover();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let web = c.server.helmrelease("apps", "web").expect("web");
    assert_eq!(web["status"]["conditions"][0]["status"], "True");
    assert!(
        log_lines(&out)
            .iter()
            .any(|l| l["msg"] == "retrying a request" && l["reason"] == "timeout")
    );
    assert!(c.end_state_problems().is_empty());
}

/// The request timeout counts from the request. kube's `read_timeout` (hyper-timeout)
/// starts its timer when a read first waits, which on a pooled keep-alive connection is
/// when it goes idle, and resets it only when a read makes progress: a request sent on a
/// connection idle for most of the timeout got only what was left of it. A CI run on
/// 2026-12-03 saw a resume time out that way, 500 ms after its backoff began, on a
/// 500 ms timeout. Here the connection idles through a 1 s `suspendPause` and the
/// resume is answered after 1.2 s, well inside the 2 s timeout.
#[test]
fn a_request_on_a_connection_idle_for_most_of_the_timeout_still_gets_the_whole_timeout() {
    let c = Cluster::start("v1.4.0");
    std::fs::write(c.dir.path().join("config.yaml"), "suspendPause: 1s\n").expect("config");
    c.server.inject(Fault {
        times: 1,
        answer: Answer::Late(Duration::from_millis(1200)),
        ..Kind::ServerError.fault(Call::Resume)
    });
    let out = c.recover_within(2000);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(
        c.server.faults_fired(),
        vec![1],
        "the resume was answered late"
    );
    let retries: Vec<Value> = log_lines(&out)
        .into_iter()
        .filter(|l| l["msg"] == "retrying a request")
        .collect();
    assert!(retries.is_empty(), "nothing had to be retried: {retries:?}");
    assert!(c.end_state_problems().is_empty(), "{stdout}");
}

#[test]
fn with_the_guardrail_tripped_only_our_own_resume_is_written_under_every_fault() {
    let kinds: Vec<Kind> = KINDS.into_iter().filter(|k| *k != Kind::Gone).collect();
    let failures: Vec<String> = parallel(&kinds, 8, |kind| {
        let c = Cluster::guardrail();
        let fault = kind.fault(Call::Resume);
        if kind == Kind::Conflict {
            let change = json!({"metadata": {"labels": {"touched": "by-someone-else"}}});
            c.server.inject_with_change(fault, "apps", "api", change);
        } else {
            c.server.inject(fault);
        }
        let mut problems = Vec::new();
        let out = c.recover();
        if out.status.code() != Some(1) {
            problems.push(format!("exit {:?}, expected 1", out.status.code()));
        }
        let others: Vec<String> = c
            .writes()
            .into_iter()
            .filter(|w| !w.ends_with("/helmreleases/api") && !w.ends_with("/events"))
            .collect();
        if !others.is_empty() {
            problems.push(format!("written past the guardrail: {others:?}"));
        }
        let suspended = |c: &Cluster| {
            c.server.helmrelease("apps", "api").map(|hr| {
                (
                    hr["spec"]["suspend"] == true,
                    hr["metadata"]["annotations"].get(SUSPENDED_BY).is_some(),
                )
            })
        };
        if suspended(&c) == Some((true, false)) {
            problems.push("`api` left suspended without our marker".to_string());
        }
        c.server.clear_faults();
        let again = c.recover();
        if again.status.code() != Some(1) || suspended(&c) != Some((false, false)) {
            problems.push(format!(
                "the next run exited {:?} and left `api` as (suspended, marker) {:?}",
                again.status.code(),
                suspended(&c)
            ));
        }
        (!problems.is_empty()).then(|| format!("{}: {}", kind.name(), problems.join("; ")))
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
