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
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{
    Api, ApiResource, DynamicObject, ListParams, ObjectList, Patch, PatchParams, PostParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::{Value, json};

use catalyst_guard::recovery::controller::{behaviour, image_tag, parse_version};
use catalyst_guard::recovery::status::cut;
use catalyst_guard::recovery::time::{format_rfc3339, parse_rfc3339};
use catalyst_guard::recovery::verify::{Listed, check_plan};
use catalyst_guard::recovery::{
    Action, Condition, HelmReleaseObs, HistoryEntry, Op, Plan, RecoveryConfig,
    SNAPSHOT_SCHEMA_VERSION, Snapshot, StorageEntry, decide,
};
use catalyst_guard_host::plugin::Plugin;

mod retry;

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
    /// How long one API request may wait for its answer before it counts as timed out
    /// (and is retried, within the Job's deadline).
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    pub request_timeout_ms: u64,
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
    /// Decide offline from a saved Snapshot, or from `kubectl get helmreleases -A -o
    /// json` output (a List); implies --dry-run.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// With a List `--snapshot`: the Helm storage secrets, as `kubectl get secrets -A -l
    /// owner=helm -o json` or a PartialObjectMetadataList (only labels are read).
    #[arg(long, value_name = "FILE", requires = "snapshot")]
    pub storage: Option<PathBuf>,
    /// Evaluate as of this RFC 3339 time instead of the clock (for replaying snapshots).
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// helm-controller's version (`v1.5.0`); overrides config `helmController.version`
    /// and the image tag of the helm-controller Deployment.
    #[arg(long, value_name = "VERSION")]
    pub helm_controller_version: Option<String>,
    /// Namespace of the Flux controllers (where the helm-controller Deployment is read).
    #[arg(long, default_value = "flux-system", value_name = "NAMESPACE")]
    pub flux_namespace: String,
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

/// The job's client: kube's own retry off (see [`retry`]), every request bounded by
/// `--request-timeout-ms`, transient failures retried within `deadline_seconds` from now.
async fn client(args: &ClusterArgs, deadline_seconds: u64) -> Result<Client> {
    let started = std::time::Instant::now();
    let mut config = match &args.kubeconfig {
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
    let timeout = std::time::Duration::from_millis(args.request_timeout_ms.max(1));
    config.default_retry = false;
    config.connect_timeout = Some(timeout);
    config.read_timeout = Some(timeout);
    config.write_timeout = Some(timeout);
    let namespace = config.default_namespace.clone();
    let inner = Client::try_from(config).context("cannot build the Kubernetes client")?;
    let budget = retry::Budget {
        deadline: started + std::time::Duration::from_secs(deadline_seconds),
        timeout,
    };
    Ok(Client::new(retry::Retrying::new(inner, budget), namespace))
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

/// A failed API call as logged: HTTP status code (0 if no answer), a machine-readable
/// reason and the API's message.
struct Failure {
    code: u16,
    reason: &'static str,
    message: String,
}

impl Failure {
    /// `HTTP 403`, or the reason when there was no answer.
    fn code_or_reason(&self) -> String {
        if self.code > 0 {
            format!("HTTP {}", self.code)
        } else {
            self.reason.to_string()
        }
    }
}

/// The API's answer to a failed call.
fn api_error(e: &kube::Error) -> Failure {
    match e {
        kube::Error::Api(status) => Failure {
            code: status.code,
            reason: match status.code {
                403 => "forbidden",
                404 => "not-found",
                409 => "conflict",
                410 => "expired",
                422 => "invalid",
                429 => "throttled",
                500..=599 => "server-error",
                _ => "rejected",
            },
            message: format!("{}: {}", status.reason, status.message),
        },
        other => match unanswered(other) {
            Some(u) => Failure {
                code: 0,
                reason: if u.timeout {
                    "timeout"
                } else {
                    "connection-lost"
                },
                message: u.to_string(),
            },
            None => Failure {
                code: 0,
                reason: "request-failed",
                message: format!("{other}"),
            },
        },
    }
}

/// The request behind `e` got no answer after every attempt, if that is what failed.
fn unanswered(e: &kube::Error) -> Option<&retry::Unanswered> {
    match e {
        kube::Error::Service(inner) => inner.downcast_ref::<retry::Unanswered>(),
        _ => None,
    }
}

fn str_field(v: &Value, path: &[&str]) -> Option<String> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))?
        .as_str()
        .map(str::to_string)
}

/// Reads one listed HelmRelease. Missing identity fields are an error naming it; any
/// other unreadable field makes the observation `malformed` (the core then decides
/// `undetermined` naming the field) instead of failing the whole run.
fn observe(obj: &DynamicObject, index: usize) -> Result<HelmReleaseObs> {
    let name = obj.metadata.name.clone().unwrap_or_default();
    let namespace = obj.metadata.namespace.clone().unwrap_or_default();
    if name.is_empty() || namespace.is_empty() {
        bail!("HelmRelease item {index} has no `metadata.name` or `metadata.namespace`");
    }
    let mut problems: Vec<String> = Vec::new();
    let resource_version = obj
        .metadata
        .resource_version
        .clone()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| {
            problems.push("`metadata.resourceVersion`: missing".to_string());
            String::new()
        });
    let data = &obj.data;
    let status = data.get("status");
    let conditions: Vec<Condition> = read_status(&mut problems, status, "conditions");
    let history: Vec<HistoryEntry> = read_status(&mut problems, status, "history");
    let suspend: bool = read_field(
        &mut problems,
        "spec.suspend",
        data.get("spec")
            .and_then(|s| s.get("suspend"))
            .filter(|v| !v.is_null())
            .cloned(),
    );
    let observed_generation = read_status(&mut problems, status, "observedGeneration");
    let last_attempted_generation = read_status(&mut problems, status, "lastAttemptedGeneration");
    let last_attempted_revision = read_status(&mut problems, status, "lastAttemptedRevision");
    let last_attempted_config_digest =
        read_status(&mut problems, status, "lastAttemptedConfigDigest");
    let last_attempted_release_action =
        read_status(&mut problems, status, "lastAttemptedReleaseAction");
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
        observed_generation,
        last_attempted_generation,
        last_attempted_revision,
        last_attempted_config_digest,
        last_attempted_release_action,
        malformed: (!problems.is_empty()).then(|| problems.join("; ")),
    })
}

/// [`read_field`] for `status.<key>`.
fn read_status<T: serde::de::DeserializeOwned + Default>(
    problems: &mut Vec<String>,
    status: Option<&Value>,
    key: &str,
) -> T {
    let value = status.and_then(|s| s.get(key)).filter(|v| !v.is_null());
    read_field(problems, &format!("status.{key}"), value.cloned())
}

/// Reads one optional field; a value of the wrong shape is recorded as a problem
/// (naming the field and serde's complaint) and read as the default.
fn read_field<T: serde::de::DeserializeOwned + Default>(
    problems: &mut Vec<String>,
    path: &str,
    value: Option<Value>,
) -> T {
    let Some(value) = value else {
        return T::default();
    };
    serde_json::from_value(value).unwrap_or_else(|e| {
        problems.push(format!("`{path}`: {e}"));
        T::default()
    })
}

/// The image tag of the helm-controller Deployment in the Flux namespace (read-only),
/// or `None` (logged) when it cannot be read: the strategy then assumes a controller
/// older than v1.5.0.
async fn controller_version(
    client: &Client,
    namespace: &str,
    notes: &mut Vec<Value>,
) -> Option<String> {
    let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let deployment = match api.get("helm-controller").await {
        Ok(d) => d,
        Err(e) => {
            let f = api_error(&e);
            notes.push(
                json!({"level": "warn", "msg": "cannot read the helm-controller Deployment; assuming a version before v1.5.0",
                "namespace": namespace, "statusCode": f.code, "reason": f.reason, "message": f.message}),
            );
            return None;
        }
    };
    let containers = deployment
        .spec
        .and_then(|s| s.template.spec)
        .map(|s| s.containers)
        .unwrap_or_default();
    let image = containers
        .iter()
        .filter_map(|c| c.image.as_deref())
        .find(|i| i.contains("helm-controller"))
        .or_else(|| containers.first().and_then(|c| c.image.as_deref()))?;
    let tag = image_tag(image).filter(|t| parse_version(t).is_some());
    if tag.is_none() {
        notes.push(
            json!({"level": "warn", "msg": "helm-controller image has no version tag; assuming a version before v1.5.0",
            "image": image}),
        );
    }
    tag.map(str::to_string)
}

/// How many times one run starts a list again after its continue token expired.
const MAX_RELISTS: usize = 3;

/// Whether a list failed because its continue token expired (410) and may start again
/// from the first page (counted in `relists`, at most [`MAX_RELISTS`] times).
fn expired(e: &kube::Error, token: Option<&str>, relists: &mut usize) -> bool {
    let gone = matches!(e, kube::Error::Api(s) if s.code == 410);
    if !gone || token.is_none() || *relists >= MAX_RELISTS {
        return false;
    }
    *relists += 1;
    log(
        json!({"level": "warn", "msg": "continue token expired; listing again from the start", "attempt": *relists}),
    );
    true
}

/// One Helm storage entry from a secret's labels (never its payload); a secret without
/// the name/version/status labels is logged and ignored.
fn storage_entry(meta: &ObjectMeta) -> Option<StorageEntry> {
    let labels = meta.labels.as_ref();
    let label = |k: &str| labels.and_then(|l| l.get(k)).cloned();
    let (Some(release), Some(revision), Some(status)) =
        (label("name"), label("version"), label("status"))
    else {
        log(
            json!({"level": "warn", "msg": "helm storage secret without name/version/status labels; ignored",
            "namespace": meta.namespace, "secret": meta.name}),
        );
        return None;
    };
    Some(StorageEntry {
        namespace: meta.namespace.clone().unwrap_or_default(),
        secret_name: meta.name.clone().unwrap_or_default(),
        release,
        revision,
        status,
        modified_at: label("modifiedAt"),
    })
}

/// Counts of API requests, reported in the summary (the benchmark reads them).
#[derive(Default)]
struct Requests {
    list_pages: usize,
    writes: usize,
}

/// Every item of a paged list, each converted as its page arrives (so only one page of
/// raw objects is held at a time); `None` from `convert` drops an item. A list whose
/// continue token expired starts again from the first page (see [`expired`]).
async fn list_all<K, T, Fut>(
    what: &str,
    params: &ListParams,
    fetch: impl Fn(ListParams) -> Fut,
    mut convert: impl FnMut(&K, usize) -> Result<Option<T>>,
    relists: &mut usize,
    req: &mut Requests,
) -> Result<Vec<T>>
where
    K: Clone,
    Fut: std::future::Future<Output = kube::Result<ObjectList<K>>>,
{
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut lp = params.clone();
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = match fetch(lp).await {
            Err(e) if expired(&e, token.as_deref(), relists) => {
                items.clear();
                token = None;
                continue;
            }
            other => other.map_err(|e| {
                let f = api_error(&e);
                anyhow!("cannot list {what} ({}): {}", f.code_or_reason(), f.message)
            })?,
        };
        req.list_pages += 1;
        for item in &page.items {
            if let Some(t) = convert(item, items.len())? {
                items.push(t);
            }
        }
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(items);
        }
    }
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
    let mut relists = 0;
    let mut hr_params = ListParams::default().limit(args.page_size.max(1));
    if !config.label_selector.is_empty() {
        hr_params = hr_params.labels(&config.label_selector);
    }
    let helm_releases = list_all(
        "HelmReleases",
        &hr_params,
        |lp| {
            let api = hr_api.clone();
            async move { api.list(&lp).await }
        },
        |obj, index| observe(obj, index).map(Some),
        &mut relists,
        req,
    )
    .await?;
    // Helm storage: metadata only (PartialObjectMetadata). The payload holds the
    // rendered release and values; this job never needs, and must never read, it.
    let secret_api: Api<Secret> = Api::all(client.clone());
    let storage = list_all(
        "Helm storage secrets",
        &ListParams::default()
            .labels("owner=helm")
            .limit(args.page_size.max(1)),
        |lp| {
            let api = secret_api.clone();
            async move { api.list_metadata(&lp).await }
        },
        |secret, _| Ok(storage_entry(&secret.metadata)),
        &mut relists,
        req,
    )
    .await?;
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
        let client = client(&args.cluster, config.active_deadline_seconds).await?;
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
    let mut config = load_config(args.config.as_ref())?;
    if let Some(v) = &args.helm_controller_version {
        if parse_version(v).is_none() {
            bail!("`--helm-controller-version {v}` is not a version such as `v1.5.0`");
        }
        config.helm_controller_version = Some(v.clone());
    }
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
        let snap = if let Some(items) = kubernetes_list(&text, path)? {
            let storage = match &args.storage {
                Some(p) => read_storage_list(p)?,
                None => Vec::new(),
            };
            snapshot_from_list(items, storage, now)?
        } else {
            if args.storage.is_some() {
                bail!(
                    "`--storage` goes with a `kubectl get helmreleases -o json` List; `{}` is a Snapshot, which carries its storage",
                    path.display()
                );
            }
            Snapshot::from_json(&text).map_err(|e| anyhow!("`{}`: {e}", path.display()))?
        };
        drop(text);
        let plan = plan_for(plugin.as_ref(), snap, &config, now)?;
        crate::print(&(plan.to_json() + "\n"))?;
        return Ok(u8::from(plan.guardrail.tripped));
    }
    let rt = runtime()?;
    rt.block_on(recover_live(args, &config, now, plugin.as_ref()))
}

/// The `items` of a Kubernetes List document (`kind: List` or `...List`), or `None` for
/// anything else (a Snapshot).
fn kubernetes_list(text: &str, path: &Path) -> Result<Option<Vec<Value>>> {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default)]
        kind: Option<String>,
        #[serde(default)]
        items: Option<Vec<Value>>,
    }
    let Ok(head) = serde_json::from_str::<Head>(text) else {
        return Ok(None);
    };
    match (head.kind, head.items) {
        (Some(kind), Some(items)) if kind.ends_with("List") => Ok(Some(items)),
        (Some(kind), None) if kind.ends_with("List") => {
            bail!("`{}`: a `{kind}` without `items`", path.display())
        }
        _ => Ok(None),
    }
}

/// A Snapshot from listed HelmReleases, read like the live list (a malformed object
/// is an `undetermined` decision, not an error).
fn snapshot_from_list(items: Vec<Value>, storage: Vec<StorageEntry>, now: i64) -> Result<Snapshot> {
    let mut helm_releases = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let obj: DynamicObject = serde_json::from_value(item)
            .with_context(|| format!("HelmRelease List item {index} is not a Kubernetes object"))?;
        helm_releases.push(observe(&obj, index)?);
    }
    Ok(Snapshot {
        schema_version: SNAPSHOT_SCHEMA_VERSION,
        taken_at: Some(format_rfc3339(now)),
        helm_releases,
        storage,
    })
}

/// Helm storage from a Secret List or a PartialObjectMetadataList: only each item's
/// `metadata` is read; payloads (`data`, `stringData`) are never copied.
fn read_storage_list(path: &Path) -> Result<Vec<StorageEntry>> {
    #[derive(serde::Deserialize)]
    struct Item {
        #[serde(default)]
        metadata: ObjectMeta,
    }
    #[derive(serde::Deserialize)]
    struct List {
        kind: String,
        items: Vec<Item>,
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read storage `{}`", path.display()))?;
    let list: List = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "`{}`: not a Secret List or PartialObjectMetadataList: {e}",
            path.display()
        )
    })?;
    if !list.kind.ends_with("List") {
        bail!("`{}`: `kind` `{}` is not a List", path.display(), list.kind);
    }
    Ok(list
        .items
        .iter()
        .filter(|i| {
            i.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("owner"))
                .is_some_and(|o| o == "helm")
        })
        .filter_map(|i| storage_entry(&i.metadata))
        .collect())
}

/// Decides natively or through the plugin. The plugin's Plan JSON is untrusted input:
/// it is parsed, then checked against the snapshot and `maxActions` before anything
/// acts on it (a mismatch is an error, exit 2, nothing written).
fn plan_for(
    plugin: Option<&Plugin>,
    snap: Snapshot,
    config: &RecoveryConfig,
    now: i64,
) -> Result<Plan> {
    let Some(plugin) = plugin else {
        return Ok(decide(&snap, config, now));
    };
    let listed = Listed::of(&snap);
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
    check_plan(&plan, &listed, config)
        .map_err(|m| anyhow!("the plugin's Plan does not match the snapshot: {m}"))?;
    Ok(plan)
}

async fn recover_live(
    args: &RecoverArgs,
    config: &RecoveryConfig,
    now: i64,
    plugin: Option<&Plugin>,
) -> Result<u8> {
    let client = client(&args.cluster, config.active_deadline_seconds).await?;
    let mut req = Requests::default();
    let mut config = config.clone();
    let mut notes = Vec::new();
    let source = if config.helm_controller_version.is_some() {
        if args.helm_controller_version.is_some() {
            "flag"
        } else {
            "config"
        }
    } else {
        config.helm_controller_version =
            controller_version(&client, &args.flux_namespace, &mut notes).await;
        "deployment"
    };
    let config = &config;
    notes.push(
        json!({"level": "info", "msg": "helm-controller", "version": config.helm_controller_version,
        "source": source, "behaviour": behaviour(config.helm_controller_version.as_deref())}),
    );
    let snap = take_snapshot(&client, &args.cluster, config, now, &mut req).await?;
    let plan = plan_for(plugin, snap, config, now)?;
    if args.dry_run {
        // stdout carries the Plan alone; the notes go to stderr.
        for n in &notes {
            eprintln!("{n}");
        }
        crate::print(&(plan.to_json() + "\n"))?;
        return Ok(u8::from(plan.guardrail.tripped));
    }
    notes.into_iter().for_each(log);
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
            "detail": format!("{} HelmReleases look stuck (limit {}); that is an outage to investigate", plan.guardrail.candidates, plan.guardrail.limit),
            "resumingOwnToggles": plan.guardrail.exempt}),
        );
    }
    // When the guardrail tripped, the plan holds only resumes of our own interrupted
    // toggles: undoing our own action is not a new one.
    {
        let hr_res = helm_resource(&args.cluster.helm_api_version);
        let ctx = Executor {
            client: &client,
            res: &hr_res,
            plan: &plan,
        };
        // Suspend toggles: suspend all, pause once, resume all, so the run's length
        // does not grow with the number of toggles (the Job has a deadline).
        let mut paused = Vec::new();
        for action in &plan.actions {
            let mut state = ActionState::new(action);
            match ctx.run_steps(action, &mut state, 0, &mut req).await {
                Progress::Finished(true) => succeeded += 1,
                Progress::Finished(false) => failed += 1,
                Progress::Paused { resume_at, seconds } => {
                    paused.push((action, state, resume_at, seconds));
                }
            }
        }
        if let Some(seconds) = paused.iter().map(|p| p.3).max() {
            log(
                json!({"level": "info", "msg": "pause", "seconds": seconds, "actions": paused.len()}),
            );
            tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
        }
        for (action, mut state, resume_at, _) in paused {
            match ctx.run_steps(action, &mut state, resume_at, &mut req).await {
                Progress::Finished(true) => succeeded += 1,
                // A second pause in one action is not planned by the core; treat it
                // as a failure rather than pausing again.
                Progress::Finished(false) | Progress::Paused { .. } => failed += 1,
            }
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

/// What every action's execution shares.
struct Executor<'a> {
    client: &'a Client,
    res: &'a ApiResource,
    plan: &'a Plan,
}

/// The resourceVersion and uid an action last saw.
struct ActionState {
    rv: String,
    uid: Option<String>,
}

impl ActionState {
    fn new(action: &Action) -> Self {
        Self {
            rv: action.resource_version.clone(),
            uid: None,
        }
    }
}

/// Where an action stopped.
enum Progress {
    /// At a pause step: continue from `resume_at` after the shared pause.
    Paused { resume_at: usize, seconds: u64 },
    /// Done: true if every step succeeded.
    Finished(bool),
}

impl Executor<'_> {
    /// Runs an action's steps from `from` until a pause or the end; logs every result;
    /// records an Event when it finishes.
    async fn run_steps(
        &self,
        action: &Action,
        state: &mut ActionState,
        from: usize,
        req: &mut Requests,
    ) -> Progress {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), &action.namespace, self.res);
        for (i, step) in action.steps.iter().enumerate().skip(from) {
            if let Op::Pause { seconds } = step.op {
                return Progress::Paused {
                    resume_at: i + 1,
                    seconds,
                };
            }
            match run_op(&api, &action.name, &step.op, state, req).await {
                Ok(()) => log(
                    json!({"level": "info", "msg": "action step", "namespace": action.namespace,
                    "name": action.name, "strategy": action.strategy, "step": i, "op": op_name(&step.op), "result": "ok"}),
                ),
                Err(Failure {
                    code,
                    reason,
                    message,
                }) => {
                    log(
                        json!({"level": "error", "msg": "action step failed", "namespace": action.namespace,
                        "name": action.name, "strategy": action.strategy, "step": i, "op": op_name(&step.op),
                        "statusCode": code, "reason": reason, "message": message}),
                    );
                    for undo in &step.on_failure {
                        match run_op(&api, &action.name, undo, state, req).await {
                            Ok(()) => log(
                                json!({"level": "info", "msg": "rollback", "namespace": action.namespace,
                                "name": action.name, "op": op_name(undo), "result": "ok"}),
                            ),
                            Err(f) => log(json!({"level": "error", "msg": "rollback failed",
                                "namespace": action.namespace, "name": action.name, "op": op_name(undo),
                                "statusCode": f.code, "reason": f.reason, "message": f.message})),
                        }
                    }
                    self.record_event(
                        action,
                        state.uid.as_deref(),
                        false,
                        &format!(
                            "recovery failed at step {i}: {}: {message}",
                            if code > 0 {
                                format!("HTTP {code}")
                            } else {
                                reason.to_string()
                            }
                        ),
                        req,
                    )
                    .await;
                    return Progress::Finished(false);
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
        self.record_event(action, state.uid.as_deref(), true, &note, req)
            .await;
        log(
            json!({"level": "info", "msg": "action result", "namespace": action.namespace, "name": action.name,
            "strategy": action.strategy, "result": "ok"}),
        );
        Progress::Finished(true)
    }
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::PatchAnnotations { .. } => "patch-annotations",
        Op::PatchStatus { .. } => "patch-status",
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

/// How many times a guarded write re-reads the object after a conflict.
const GUARDED_RETRIES: usize = 3;

/// Whether every `guard` annotation has its value on `obj`.
fn guard_holds<'a>(
    obj: &DynamicObject,
    mut guard: impl Iterator<Item = (&'a str, &'a str)>,
) -> bool {
    let annotations = obj.metadata.annotations.as_ref();
    guard.all(|(k, v)| annotations.and_then(|a| a.get(k)).map(String::as_str) == Some(v))
}

/// Which part of the HelmRelease a patch writes.
#[derive(Clone, Copy)]
enum Target {
    Main,
    Status,
}

/// Whether `object` already holds everything the merge patch `patch` writes (a `null`
/// means "absent"), ignoring the resourceVersion precondition.
fn holds(object: &Value, patch: &Value) -> bool {
    let Value::Object(fields) = patch else {
        return object == patch;
    };
    let empty = Value::Object(serde_json::Map::new());
    fields.iter().all(|(k, v)| {
        let found = object.get(k);
        match v {
            Value::Null => found.is_none_or(Value::is_null),
            Value::Object(_) => holds(found.unwrap_or(&empty), v),
            _ => found == Some(v),
        }
    })
}

/// Whether the write `sent` is already in `fresh`: then an earlier attempt of it landed
/// even though its answer was lost (a 409 on the retry, or no answer at all).
fn already_applied(fresh: &DynamicObject, sent: &Value) -> bool {
    let mut sent = sent.clone();
    if let Some(meta) = sent.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
    }
    serde_json::to_value(fresh).is_ok_and(|object| holds(&object, &sent))
}

/// A merge patch with our resourceVersion precondition. When it is answered 409, or
/// not answered at all, the object is read again: if it already holds the write, an
/// earlier attempt landed and the write is done. Otherwise, on a 409 with a non-empty
/// `guard`, the write is retried on the fresh object (at most [`GUARDED_RETRIES`] times)
/// as long as every guard annotation still has its value: the object changed, but not
/// in a way that makes this write wrong.
async fn guarded_patch(
    api: &Api<DynamicObject>,
    name: &str,
    target: Target,
    body: impl Fn(&str) -> Value,
    guard: &[(&str, &str)],
    rv: &str,
    req: &mut Requests,
) -> Result<DynamicObject, kube::Error> {
    let pp = PatchParams::default();
    let mut rv = rv.to_string();
    let mut attempt = 0;
    loop {
        req.writes += 1;
        let sent = body(&rv);
        let result = match target {
            Target::Main => api.patch(name, &pp, &Patch::Merge(&sent)).await,
            Target::Status => api.patch_status(name, &pp, &Patch::Merge(&sent)).await,
        };
        let error = match result {
            Ok(object) => return Ok(object),
            Err(e) => e,
        };
        let conflict = matches!(&error, kube::Error::Api(s) if s.code == 409);
        if !conflict && unanswered(&error).is_none() {
            return Err(error);
        }
        let Ok(fresh) = api.get(name).await else {
            return Err(error);
        };
        if already_applied(&fresh, &sent) {
            log(
                json!({"level": "info", "msg": "write found applied on re-read", "name": name,
                "reason": api_error(&error).reason}),
            );
            return Ok(fresh);
        }
        if !conflict
            || guard.is_empty()
            || attempt >= GUARDED_RETRIES
            || !guard_holds(&fresh, guard.iter().copied())
        {
            return Err(error);
        }
        attempt += 1;
        log(
            json!({"level": "info", "msg": "write retried on the re-read object", "name": name,
            "reason": "conflict", "attempt": attempt}),
        );
        rv = fresh.metadata.resource_version.clone().unwrap_or_default();
    }
}

async fn run_op(
    api: &Api<DynamicObject>,
    name: &str,
    op: &Op,
    state: &mut ActionState,
    req: &mut Requests,
) -> Result<(), Failure> {
    let result = match op {
        Op::Pause { seconds } => {
            tokio::time::sleep(std::time::Duration::from_secs(*seconds)).await;
            return Ok(());
        }
        Op::PatchAnnotations { set, remove, guard } => {
            let patch = annotations_patch(set, remove);
            let guard: Vec<(&str, &str)> = guard
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            guarded_patch(
                api,
                name,
                Target::Main,
                |rv| json!({"metadata": {"resourceVersion": rv, "annotations": patch}}),
                &guard,
                &state.rv,
                req,
            )
            .await
        }
        Op::PatchStatus {
            conditions,
            observed_generation,
        } => {
            guarded_patch(
                api,
                name,
                Target::Status,
                |rv| json!({"metadata": {"resourceVersion": rv},
                    "status": {"conditions": conditions, "observedGeneration": observed_generation}}),
                &[],
                &state.rv,
                req,
            )
            .await
        }
        Op::PatchSuspend {
            suspend,
            set,
            remove,
            retry_if_annotation,
        } => {
            let patch = annotations_patch(set, remove);
            // Resume anyway after someone changed the object only if our marker is
            // still there: then the change was not a deliberate suspend.
            let guard: Vec<(&str, &str)> = retry_if_annotation
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            guarded_patch(
                api,
                name,
                Target::Main,
                |rv| json!({"metadata": {"resourceVersion": rv, "annotations": patch}, "spec": {"suspend": suspend}}),
                &guard,
                &state.rv,
                req,
            )
            .await
        }
    };
    match result {
        Ok(obj) => {
            if let Some(new_rv) = obj.metadata.resource_version {
                state.rv = new_rv;
            }
            if obj.metadata.uid.is_some() {
                state.uid.clone_from(&obj.metadata.uid);
            }
            Ok(())
        }
        Err(e) => Err(api_error(&e)),
    }
}

/// The API server rejects an Event whose `note` is longer than this.
const MAX_EVENT_NOTE: usize = 1024;

impl Executor<'_> {
    async fn record_event(
        &self,
        action: &Action,
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
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), &action.namespace, &res);
        let event_time = self.plan.now.replace('Z', ".000000Z");
        // The version this job listed and patched, not a hard-coded one.
        let mut regarding = json!({"apiVersion": self.res.api_version, "kind": "HelmRelease",
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
            "note": cut(note, MAX_EVENT_NOTE),
        });
        let obj: DynamicObject = match serde_json::from_value(body) {
            Ok(o) => o,
            Err(e) => {
                log(
                    json!({"level": "warn", "msg": "cannot build event", "message": e.to_string()}),
                );
                return;
            }
        };
        req.writes += 1;
        if let Err(e) = api.create(&PostParams::default(), &obj).await {
            let f = api_error(&e);
            // The action's outcome stands; the missing audit event is reported, not hidden.
            log(
                json!({"level": "warn", "msg": "cannot record event", "namespace": action.namespace,
                "name": action.name, "statusCode": f.code, "reason": f.reason, "message": f.message}),
            );
        }
    }
}
