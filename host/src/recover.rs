//! `catalyst-guard recover` and `catalyst-guard snapshot`: list HelmReleases and Helm
//! storage secrets (metadata only) with kube-rs, build a Snapshot, let the core decide,
//! and execute the plan with a resourceVersion precondition on every write. This file
//! wires the flags, the client and the run; the work is in `list` (the snapshot),
//! `execute` (ops, preconditions, rollback), `record` (log lines, Events) and `retry`
//! (bounded retries of transient API failures).
//!
//! Everything the job does is logged as one JSON line on stdout: one per decision, one
//! per action result (with the API status code and message on failure), and a summary.
//! Exit codes: 0 nothing failed; 1 the guardrail tripped or an action failed; 2
//! configuration, snapshot or API-access failure (no action taken).

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use kube::api::ApiResource;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::json;

use catalyst_guard::recovery::controller::{behaviour, parse_version};
use catalyst_guard::recovery::time::parse_rfc3339;
use catalyst_guard::recovery::verify::{Listed, check_plan};
use catalyst_guard::recovery::{Plan, RecoveryConfig, Snapshot, decide};
use catalyst_guard_host::plugin::Plugin;

mod execute;
mod list;
mod record;
mod retry;

use list::{
    controller_version, kubernetes_list, read_storage_list, snapshot_from_list, take_snapshot,
};
use record::log;

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
    // kube's read timeout counts a pooled connection's idle time against the next
    // request; `Retrying` bounds each attempt whole instead (see `retry`).
    config.read_timeout = None;
    config.write_timeout = None;
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

/// Counts of API requests, reported in the summary (the benchmark reads them).
#[derive(Default)]
struct Requests {
    list_pages: usize,
    writes: usize,
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
            snapshot_from_list(items, storage, now)
                .with_context(|| format!("`{}`", path.display()))?
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
    record::decisions(&plan);
    let hr_res = helm_resource(&args.cluster.helm_api_version);
    let (succeeded, failed) = execute::execute(&client, &hr_res, &plan, &mut req).await;
    record::summary(&plan, succeeded, failed, &req);
    Ok(u8::from(failed > 0 || plan.guardrail.tripped))
}
