//! `catalyst-guard recover` and `catalyst-guard snapshot`: list HelmReleases and Helm
//! storage secrets (metadata only) with kube-rs, build a Snapshot, let the core decide,
//! and execute the plan with a resourceVersion precondition on every write.
//!
//! Everything the job does is logged as one JSON line on stdout: one per decision, one
//! per action result (with the API status code and message on failure), and a summary.
//! Exit codes: 0 nothing failed; 1 the guardrail tripped or an action failed; 2
//! configuration, snapshot or API-access failure (no action taken).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::{Value, json};

use catalyst_guard::recovery::time::{format_rfc3339, parse_rfc3339};
use catalyst_guard::recovery::{
    Action, Condition, HelmReleaseObs, HistoryEntry, Op, Plan, RecoveryConfig,
    SNAPSHOT_SCHEMA_VERSION, Snapshot, StorageEntry, decide,
};
use catalyst_guard_host::plugin::Plugin;

/// Arguments shared by `recover` and `snapshot`.
#[derive(clap::Args)]
pub struct ClusterArgs {
    /// kubeconfig to use (default: in-cluster config, else `KUBECONFIG` / `~/.kube/config`).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// HelmRelease API version to list.
    #[arg(long, default_value = "v2", value_name = "VERSION")]
    pub helm_api_version: String,
    /// Page size for list requests.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub page_size: u32,
}

/// Arguments of `catalyst-guard recover`.
#[derive(clap::Args)]
pub struct RecoverArgs {
    /// Recovery configuration (YAML; the CronJob mounts it from a ConfigMap).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Decide and print the Plan as JSON; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Decide offline from a saved Snapshot (implies --dry-run).
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Evaluate as of this RFC 3339 time instead of the clock (for replaying snapshots).
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub engine: crate::engine::EngineArgs,
}

/// Arguments of `catalyst-guard snapshot`.
#[derive(clap::Args)]
pub struct SnapshotArgs {
    /// Write the Snapshot here instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Recovery configuration (its labelSelector narrows the HelmRelease list).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// One JSON log line on stdout.
fn log(line: Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn load_config(path: Option<&PathBuf>) -> Result<RecoveryConfig> {
    let Some(path) = path else {
        return Ok(RecoveryConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config `{}`", path.display()))?;
    RecoveryConfig::parse_yaml(&text).map_err(|e| anyhow!("`{}`:{e}", path.display()))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn client(args: &ClusterArgs) -> Result<Client> {
    let config = match &args.kubeconfig {
        Some(path) => {
            let kc = Kubeconfig::read_from(path)
                .with_context(|| format!("cannot read kubeconfig `{}`", path.display()))?;
            Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
                .await
                .with_context(|| format!("invalid kubeconfig `{}`", path.display()))?
        }
        None => Config::infer()
            .await
            .context("no in-cluster config and no usable kubeconfig")?,
    };
    Client::try_from(config).context("cannot build the Kubernetes client")
}

fn helm_resource(version: &str) -> ApiResource {
    ApiResource {
        group: "helm.toolkit.fluxcd.io".to_string(),
        version: version.to_string(),
        api_version: format!("helm.toolkit.fluxcd.io/{version}"),
        kind: "HelmRelease".to_string(),
        plural: "helmreleases".to_string(),
    }
}

/// The API's answer to a failed call: HTTP status code (0 if none) and message.
fn api_error(e: &kube::Error) -> (u16, String) {
    match e {
        kube::Error::Api(status) => (
            status.code,
            format!("{}: {}", status.reason, status.message),
        ),
        other => (0, format!("{other}")),
    }
}

fn str_field(v: &Value, path: &[&str]) -> Option<String> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))?
        .as_str()
        .map(str::to_string)
}

/// Reads one listed HelmRelease; missing identity fields are an error naming it.
fn observe(obj: &DynamicObject, index: usize) -> Result<HelmReleaseObs> {
    let name = obj.metadata.name.clone().unwrap_or_default();
    let namespace = obj.metadata.namespace.clone().unwrap_or_default();
    let label = if name.is_empty() {
        format!("item {index}")
    } else {
        format!("`{namespace}/{name}`")
    };
    if name.is_empty() || namespace.is_empty() {
        bail!("HelmRelease {label} has no `metadata.name` or `metadata.namespace`");
    }
    let resource_version = obj
        .metadata
        .resource_version
        .clone()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| anyhow!("HelmRelease {label} has no `metadata.resourceVersion`"))?;
    let data = &obj.data;
    let status = data.get("status");
    let conditions: Vec<Condition> = match status.and_then(|s| s.get("conditions")) {
        Some(c) => serde_json::from_value(c.clone())
            .with_context(|| format!("HelmRelease {label}: malformed `status.conditions`"))?,
        None => Vec::new(),
    };
    let history: Vec<HistoryEntry> = match status.and_then(|s| s.get("history")) {
        Some(h) => serde_json::from_value(h.clone())
            .with_context(|| format!("HelmRelease {label}: malformed `status.history`"))?,
        None => Vec::new(),
    };
    let suspend = match data.get("spec").and_then(|s| s.get("suspend")) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => bail!("HelmRelease {label}: `spec.suspend` is `{other}`, not a boolean"),
    };
    Ok(HelmReleaseObs {
        api_version: obj
            .types
            .as_ref()
            .map(|t| t.api_version.clone())
            .unwrap_or_default(),
        namespace,
        name,
        generation: obj.metadata.generation.unwrap_or(0),
        resource_version,
        labels: obj.metadata.labels.clone().unwrap_or_default(),
        annotations: obj.metadata.annotations.clone().unwrap_or_default(),
        suspend,
        release_name: str_field(data, &["spec", "releaseName"]),
        target_namespace: str_field(data, &["spec", "targetNamespace"]),
        storage_namespace: str_field(data, &["spec", "storageNamespace"]),
        conditions,
        history,
        observed_generation: status
            .and_then(|s| s.get("observedGeneration"))
            .and_then(Value::as_i64),
    })
}

/// Counts of API requests, reported in the summary (the benchmark reads them).
#[derive(Default)]
struct Requests {
    list_pages: usize,
    writes: usize,
}

async fn take_snapshot(
    client: &Client,
    args: &ClusterArgs,
    config: &RecoveryConfig,
    now: i64,
    req: &mut Requests,
) -> Result<Snapshot> {
    let hr_api: Api<DynamicObject> =
        Api::all_with(client.clone(), &helm_resource(&args.helm_api_version));
    let mut helm_releases = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut lp = ListParams::default().limit(args.page_size.max(1));
        if !config.label_selector.is_empty() {
            lp = lp.labels(&config.label_selector);
        }
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = hr_api.list(&lp).await.map_err(|e| {
            let (code, msg) = api_error(&e);
            anyhow!("cannot list HelmReleases (HTTP {code}): {msg}")
        })?;
        req.list_pages += 1;
        for obj in &page.items {
            helm_releases.push(observe(obj, helm_releases.len())?);
        }
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    // Helm storage: metadata only (PartialObjectMetadata). The payload holds the
    // rendered release and values; this job never needs, and must never read, it.
    let secret_api: Api<Secret> = Api::all(client.clone());
    let mut storage = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut lp = ListParams::default()
            .labels("owner=helm")
            .limit(args.page_size.max(1));
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = secret_api.list_metadata(&lp).await.map_err(|e| {
            let (code, msg) = api_error(&e);
            anyhow!("cannot list Helm storage secrets (HTTP {code}): {msg}")
        })?;
        req.list_pages += 1;
        for s in &page.items {
            let labels = s.metadata.labels.clone().unwrap_or_default();
            let (Some(release), Some(revision), Some(status)) = (
                labels.get("name"),
                labels.get("version"),
                labels.get("status"),
            ) else {
                log(
                    json!({"level": "warn", "msg": "helm storage secret without name/version/status labels; ignored",
                    "namespace": s.metadata.namespace, "secret": s.metadata.name}),
                );
                continue;
            };
            storage.push(StorageEntry {
                namespace: s.metadata.namespace.clone().unwrap_or_default(),
                secret_name: s.metadata.name.clone().unwrap_or_default(),
                release: release.clone(),
                revision: revision.clone(),
                status: status.clone(),
                modified_at: labels.get("modifiedAt").cloned(),
            });
        }
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    Ok(Snapshot {
        schema_version: SNAPSHOT_SCHEMA_VERSION,
        taken_at: Some(format_rfc3339(now)),
        helm_releases,
        storage,
    })
}

/// `catalyst-guard snapshot`.
pub fn run_snapshot(args: &SnapshotArgs) -> Result<u8> {
    let config = load_config(args.config.as_ref())?;
    let rt = runtime()?;
    let snap = rt.block_on(async {
        let client = client(&args.cluster).await?;
        take_snapshot(
            &client,
            &args.cluster,
            &config,
            unix_now(),
            &mut Requests::default(),
        )
        .await
    });
    let snap = snap?;
    let text = snap.to_json() + "\n";
    match &args.output {
        Some(path) => {
            // Write to a temporary file and rename: never leave a partial snapshot.
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, &text)
                .and_then(|()| std::fs::rename(&tmp, path))
                .with_context(|| format!("cannot write `{}`", path.display()))?;
        }
        None => crate::print(&text)?,
    }
    Ok(0)
}

/// `catalyst-guard recover`.
pub fn run_recover(args: &RecoverArgs) -> Result<u8> {
    let config = load_config(args.config.as_ref())?;
    let now = match &args.now {
        Some(t) => {
            parse_rfc3339(t).ok_or_else(|| anyhow!("`--now {t}` is not an RFC 3339 time"))?
        }
        None => unix_now(),
    };
    let plugin = args.engine.load()?;
    if let Some(path) = &args.snapshot {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read snapshot `{}`", path.display()))?;
        let snap = Snapshot::from_json(&text).map_err(|e| anyhow!("`{}`: {e}", path.display()))?;
        drop(text);
        let plan = plan_for(plugin.as_ref(), snap, &config, now)?;
        crate::print(&(plan.to_json() + "\n"))?;
        return Ok(u8::from(plan.guardrail.tripped));
    }
    let rt = runtime()?;
    rt.block_on(recover_live(args, &config, now, plugin.as_ref()))
}

/// Decides natively or through the plugin; the plugin's Plan JSON is checked like any
/// untrusted input before anything acts on it.
fn plan_for(
    plugin: Option<&Plugin>,
    snap: Snapshot,
    config: &RecoveryConfig,
    now: i64,
) -> Result<Plan> {
    let Some(plugin) = plugin else {
        return Ok(decide(&snap, config, now));
    };
    let config_json = serde_json::to_string(config)?;
    let wire = snap.to_json_compact();
    // Neither copy is needed while the plugin works on its own: free them first.
    drop(snap);
    let plan_json = plugin.decide(&wire, &config_json, now)?;
    drop(wire);
    let plan: Plan =
        serde_json::from_str(&plan_json).context("the plugin returned a malformed Plan")?;
    if plan.schema_version != catalyst_guard::recovery::PLAN_SCHEMA_VERSION {
        bail!(
            "the plugin returned Plan schemaVersion {}, this host reads {}",
            plan.schema_version,
            catalyst_guard::recovery::PLAN_SCHEMA_VERSION
        );
    }
    Ok(plan)
}

async fn recover_live(
    args: &RecoverArgs,
    config: &RecoveryConfig,
    now: i64,
    plugin: Option<&Plugin>,
) -> Result<u8> {
    let client = client(&args.cluster).await?;
    let mut req = Requests::default();
    let snap = take_snapshot(&client, &args.cluster, config, now, &mut req).await?;
    let plan = plan_for(plugin, snap, config, now)?;
    if args.dry_run {
        crate::print(&(plan.to_json() + "\n"))?;
        return Ok(u8::from(plan.guardrail.tripped));
    }
    for d in &plan.decisions {
        log(
            json!({"level": "info", "msg": "decision", "namespace": d.namespace, "name": d.name,
            "class": d.class, "reason": d.reason, "detail": d.message, "releaseName": d.release_name,
            "revision": d.revision, "strategy": d.strategy}),
        );
    }
    let mut failed = 0usize;
    let mut succeeded = 0usize;
    if plan.guardrail.tripped {
        log(
            json!({"level": "error", "msg": "guardrail tripped: acting on none",
            "candidates": plan.guardrail.candidates, "limit": plan.guardrail.limit,
            "detail": format!("{} HelmReleases look stuck (limit {}); that is an outage to investigate", plan.guardrail.candidates, plan.guardrail.limit)}),
        );
    } else {
        let hr_res = helm_resource(&args.cluster.helm_api_version);
        for action in &plan.actions {
            let ok = execute(&client, &hr_res, action, &plan, &mut req).await;
            if ok { succeeded += 1 } else { failed += 1 }
        }
    }
    let mut classes: BTreeMap<String, usize> = BTreeMap::new();
    for d in &plan.decisions {
        *classes
            .entry(
                serde_json::to_value(d.class)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
            )
            .or_default() += 1;
    }
    log(
        json!({"level": if failed > 0 || plan.guardrail.tripped { "error" } else { "info" }, "msg": "summary",
        "helmReleases": plan.decisions.len(), "classes": classes, "actions": plan.actions.len(),
        "succeeded": succeeded, "failed": failed, "guardrailTripped": plan.guardrail.tripped,
        "apiRequests": {"listPages": req.list_pages, "writes": req.writes}}),
    );
    Ok(u8::from(failed > 0 || plan.guardrail.tripped))
}

/// Runs one action's steps; logs every result; records an Event on success.
async fn execute(
    client: &Client,
    res: &ApiResource,
    action: &Action,
    plan: &Plan,
    req: &mut Requests,
) -> bool {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &action.namespace, res);
    let mut rv = action.resource_version.clone();
    let mut uid = None;
    for (i, step) in action.steps.iter().enumerate() {
        match run_op(&api, &action.name, &step.op, &mut rv, &mut uid, req).await {
            Ok(()) => log(
                json!({"level": "info", "msg": "action step", "namespace": action.namespace,
                "name": action.name, "strategy": action.strategy, "step": i, "op": op_name(&step.op), "result": "ok"}),
            ),
            Err((code, message)) => {
                log(
                    json!({"level": "error", "msg": "action step failed", "namespace": action.namespace,
                    "name": action.name, "strategy": action.strategy, "step": i, "op": op_name(&step.op),
                    "statusCode": code, "message": message}),
                );
                for undo in &step.on_failure {
                    match run_op(&api, &action.name, undo, &mut rv, &mut uid, req).await {
                        Ok(()) => log(
                            json!({"level": "info", "msg": "rollback", "namespace": action.namespace,
                            "name": action.name, "op": op_name(undo), "result": "ok"}),
                        ),
                        Err((code, message)) => {
                            log(json!({"level": "error", "msg": "rollback failed",
                            "namespace": action.namespace, "name": action.name, "op": op_name(undo),
                            "statusCode": code, "message": message}))
                        }
                    }
                }
                record_event(
                    client,
                    action,
                    plan,
                    uid.as_deref(),
                    false,
                    &format!("recovery failed at step {i}: HTTP {code}: {message}"),
                    req,
                )
                .await;
                return false;
            }
        }
    }
    let note = format!(
        "{} ({}) recovered with {}",
        action.name,
        serde_json::to_value(action.class)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        action.strategy.as_str()
    );
    record_event(client, action, plan, uid.as_deref(), true, &note, req).await;
    log(
        json!({"level": "info", "msg": "action result", "namespace": action.namespace, "name": action.name,
        "strategy": action.strategy, "result": "ok"}),
    );
    true
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::PatchAnnotations { .. } => "patch-annotations",
        Op::PatchStatusConditions { .. } => "patch-status-conditions",
        Op::PatchSuspend { suspend: true, .. } => "suspend",
        Op::PatchSuspend { suspend: false, .. } => "resume",
        Op::Pause { .. } => "pause",
    }
}

fn annotations_patch(set: &BTreeMap<String, String>, remove: &[String]) -> Value {
    let mut m = serde_json::Map::new();
    for k in remove {
        m.insert(k.clone(), Value::Null);
    }
    for (k, v) in set {
        m.insert(k.clone(), Value::String(v.clone()));
    }
    Value::Object(m)
}

async fn run_op(
    api: &Api<DynamicObject>,
    name: &str,
    op: &Op,
    rv: &mut String,
    uid: &mut Option<String>,
    req: &mut Requests,
) -> Result<(), (u16, String)> {
    let pp = PatchParams::default();
    let result = match op {
        Op::Pause { seconds } => {
            tokio::time::sleep(std::time::Duration::from_secs(*seconds)).await;
            return Ok(());
        }
        Op::PatchAnnotations { set, remove } => {
            let body = json!({"metadata": {"resourceVersion": rv, "annotations": annotations_patch(set, remove)}});
            req.writes += 1;
            api.patch(name, &pp, &Patch::Merge(&body)).await
        }
        Op::PatchStatusConditions { conditions } => {
            let body =
                json!({"metadata": {"resourceVersion": rv}, "status": {"conditions": conditions}});
            req.writes += 1;
            api.patch_status(name, &pp, &Patch::Merge(&body)).await
        }
        Op::PatchSuspend {
            suspend,
            set,
            remove,
            retry_if_annotation,
        } => {
            let body = |rv: &str| json!({"metadata": {"resourceVersion": rv, "annotations": annotations_patch(set, remove)}, "spec": {"suspend": suspend}});
            req.writes += 1;
            match api.patch(name, &pp, &Patch::Merge(&body(rv))).await {
                Err(kube::Error::Api(s)) if s.code == 409 && retry_if_annotation.is_some() => {
                    // Someone changed the object since our suspend. Resume anyway only if
                    // our marker is still there: then the change was not a deliberate suspend.
                    let fresh = api.get(name).await.map_err(|e| api_error(&e))?;
                    let (key, value) = retry_if_annotation
                        .as_ref()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .unwrap_or_default();
                    let ours = fresh
                        .metadata
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get(key))
                        .map(String::as_str)
                        == Some(value);
                    if !ours {
                        return Err((
                            409,
                            format!(
                                "object changed and marker `{key}` is no longer ours; not resuming"
                            ),
                        ));
                    }
                    let fresh_rv = fresh.metadata.resource_version.clone().unwrap_or_default();
                    req.writes += 1;
                    api.patch(name, &pp, &Patch::Merge(&body(&fresh_rv))).await
                }
                other => other,
            }
        }
    };
    match result {
        Ok(obj) => {
            if let Some(new_rv) = obj.metadata.resource_version {
                *rv = new_rv;
            }
            if obj.metadata.uid.is_some() {
                uid.clone_from(&obj.metadata.uid);
            }
            Ok(())
        }
        Err(e) => Err(api_error(&e)),
    }
}

async fn record_event(
    client: &Client,
    action: &Action,
    plan: &Plan,
    uid: Option<&str>,
    ok: bool,
    note: &str,
    req: &mut Requests,
) {
    let res = ApiResource {
        group: "events.k8s.io".to_string(),
        version: "v1".to_string(),
        api_version: "events.k8s.io/v1".to_string(),
        kind: "Event".to_string(),
        plural: "events".to_string(),
    };
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &action.namespace, &res);
    let event_time = plan.now.replace('Z', ".000000Z");
    let mut regarding = json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "name": action.name, "namespace": action.namespace});
    if let (Some(uid), Some(r)) = (uid, regarding.as_object_mut()) {
        r.insert("uid".to_string(), json!(uid));
    }
    let body = json!({
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"generateName": format!("{}.", action.name), "namespace": action.namespace},
        "eventTime": event_time,
        "reportingController": "openova.io/stuck-hr-recovery",
        "reportingInstance": "catalyst-guard",
        "action": "Recover",
        "reason": if ok { "StuckHelmReleaseRecovered" } else { "StuckHelmReleaseRecoveryFailed" },
        "type": if ok { "Normal" } else { "Warning" },
        "regarding": regarding,
        "note": note,
    });
    let obj: DynamicObject = match serde_json::from_value(body) {
        Ok(o) => o,
        Err(e) => {
            log(json!({"level": "warn", "msg": "cannot build event", "message": e.to_string()}));
            return;
        }
    };
    req.writes += 1;
    if let Err(e) = api.create(&PostParams::default(), &obj).await {
        let (code, message) = api_error(&e);
        // The action's outcome stands; the missing audit event is reported, not hidden.
        log(
            json!({"level": "warn", "msg": "cannot record event", "namespace": action.namespace,
            "name": action.name, "statusCode": code, "message": message}),
        );
    }
}
