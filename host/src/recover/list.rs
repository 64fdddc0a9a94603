//! Listing: the HelmReleases and Helm storage secrets (labels only) as a Snapshot, read
//! page by page from the API server or from saved `kubectl` output, and the
//! helm-controller version from its Deployment.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Client;
use kube::api::{Api, DynamicObject, ListParams, ObjectList};
use serde_json::{Value, json};

use catalyst_guard::recovery::controller::{image_tag, parse_version};
use catalyst_guard::recovery::time::format_rfc3339;
use catalyst_guard::recovery::{
    Condition, HelmReleaseObs, HistoryEntry, RecoveryConfig, SNAPSHOT_SCHEMA_VERSION, Snapshot,
    StorageEntry,
};

use super::record::{api_error, log};
use super::{ClusterArgs, Requests, helm_resource};

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
pub(super) async fn controller_version(
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

pub(super) async fn take_snapshot(
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

/// The `items` of a Kubernetes List document (`kind: List` or `...List`), or `None` for
/// anything else (a Snapshot).
pub(super) fn kubernetes_list(text: &str, path: &Path) -> Result<Option<Vec<Value>>> {
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
pub(super) fn snapshot_from_list(
    items: Vec<Value>,
    storage: Vec<StorageEntry>,
    now: i64,
) -> Result<Snapshot> {
    let mut helm_releases = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let obj: DynamicObject = serde_json::from_value(item)
            .with_context(|| format!("HelmRelease List item {index} is not a Kubernetes object"))?;
        helm_releases.push(observe(&obj, index)?);
    }
    let snapshot = Snapshot {
        schema_version: SNAPSHOT_SCHEMA_VERSION,
        taken_at: Some(format_rfc3339(now)),
        helm_releases,
        storage,
    };
    // A hand-merged List can name one HelmRelease twice; a saved Snapshot is checked
    // the same way when it is read.
    snapshot.check_unique()?;
    Ok(snapshot)
}

/// Helm storage from a Secret List or a PartialObjectMetadataList: only each item's
/// `metadata` is read; payloads (`data`, `stringData`) are never copied.
pub(super) fn read_storage_list(path: &Path) -> Result<Vec<StorageEntry>> {
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
