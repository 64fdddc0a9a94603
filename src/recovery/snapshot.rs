//! The observed cluster state the decision engine works from: every HelmRelease and
//! every Helm storage entry (from secret labels only), as versioned JSON.
//!
//! The host builds a Snapshot from the API server (`catalyst-guard snapshot` saves
//! one); tests and `recover --snapshot FILE` read one from disk. Parsing is per object,
//! so a malformed entry is reported with its index and name rather than as a byte
//! offset into a large document.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The Snapshot schema version this build reads and writes.
pub const SNAPSHOT_SCHEMA_VERSION: u32 = 1;

/// A condition from `status.conditions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// `type`, e.g. `Ready`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// Machine-readable reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// RFC 3339 time of the last status change (kept as text: malformed values are a
    /// decision input, not a parse failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
    /// Generation the condition was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// One entry of `status.history` (newest first), a Helm release snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// Release name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Release namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Release revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Helm release status (`deployed`, `failed`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Chart name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart_name: Option<String>,
    /// Chart version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart_version: Option<String>,
    /// Release digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// RFC 3339 time of the first deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_deployed: Option<String>,
    /// RFC 3339 time of the last deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_deployed: Option<String>,
    /// Digest of the values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
}

impl HistoryEntry {
    /// `ns/name.vN`, as helm-controller names a release in its messages.
    pub fn full_name(&self) -> String {
        format!(
            "{}/{}.v{}",
            self.namespace.as_deref().unwrap_or_default(),
            self.name.as_deref().unwrap_or_default(),
            self.version.unwrap_or_default()
        )
    }
}

/// A HelmRelease as observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct HelmReleaseObs {
    /// `apiVersion` as served (v2, v2beta2, v2beta1).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.generation`.
    #[serde(default)]
    pub generation: i64,
    /// `metadata.resourceVersion`: every write is conditional on it.
    pub resource_version: String,
    /// `metadata.labels`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// `spec.suspend`.
    #[serde(default)]
    pub suspend: bool,
    /// `spec.releaseName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_name: Option<String>,
    /// `spec.targetNamespace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_namespace: Option<String>,
    /// `spec.storageNamespace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_namespace: Option<String>,
    /// `status.conditions`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// `status.history` (v2 and v2beta2; absent on v2beta1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
    /// `status.observedGeneration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `status.lastAttemptedGeneration`: written by helm-controller at the start of a
    /// reconcile, so it survives the lost final status patch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_generation: Option<i64>,
    /// `status.lastAttemptedRevision`: the chart version of that attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_revision: Option<String>,
    /// `status.lastAttemptedConfigDigest`: the values digest of that attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_config_digest: Option<String>,
    /// `status.lastAttemptedReleaseAction`: `install` or `upgrade`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_release_action: Option<String>,
    /// A field the host could not read (`status.history: invalid type ...`): the
    /// HelmRelease is then `undetermined` instead of failing the whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub malformed: Option<String>,
}

/// One Helm storage secret, from its labels only (never its payload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct StorageEntry {
    /// Secret namespace (the storage namespace).
    pub namespace: String,
    /// Secret name, `sh.helm.release.v1.<release>.v<N>`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub secret_name: String,
    /// Label `name`: the release name.
    pub release: String,
    /// Label `version`: the revision, as text (non-numeric values are ignored).
    pub revision: String,
    /// Label `status`.
    pub status: String,
    /// Label `modifiedAt` (Unix seconds as text), if present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<String>,
}

/// Everything `decide` looks at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Always [`SNAPSHOT_SCHEMA_VERSION`] when written by this build.
    pub schema_version: u32,
    /// RFC 3339 time the snapshot was taken (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
    /// Every HelmRelease.
    pub helm_releases: Vec<HelmReleaseObs>,
    /// Every Helm storage entry.
    pub storage: Vec<StorageEntry>,
}

/// Why a Snapshot could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// Not JSON at all.
    #[error("snapshot is not valid JSON: {0}")]
    Json(String),
    /// `schemaVersion` missing or not one this build reads.
    #[error(
        "unsupported snapshot `schemaVersion` {found} (this build reads {SNAPSHOT_SCHEMA_VERSION})"
    )]
    SchemaVersion {
        /// What the document said.
        found: String,
    },
    /// A top-level field is missing or has the wrong shape.
    #[error("snapshot field `{field}`: {message}")]
    Field {
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// One object could not be read.
    #[error("snapshot `{field}[{index}]`{name}: {message}")]
    Object {
        /// `helmReleases` or `storage`.
        field: &'static str,
        /// Index in the list.
        index: usize,
        /// ` (`namespace/name`)` when known, else empty.
        name: String,
        /// What is wrong (serde's message: the missing or mistyped field).
        message: String,
    },
}

fn object_name(raw: &RawValue) -> String {
    #[derive(Deserialize)]
    struct Name<'a> {
        #[serde(borrow, default)]
        namespace: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow, default)]
        name: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow, default, rename = "secretName")]
        secret_name: Option<std::borrow::Cow<'a, str>>,
    }
    let Ok(n) = serde_json::from_str::<Name<'_>>(raw.get()) else {
        return String::new();
    };
    match (n.namespace, n.name.or(n.secret_name)) {
        (Some(ns), Some(name)) => format!(" (`{ns}/{name}`)"),
        (None, Some(name)) => format!(" (`{name}`)"),
        _ => String::new(),
    }
}

/// The top level, with each object left as raw JSON: objects are then read one by one
/// (so an error names the object) without first building a `Value` tree of the whole
/// document, which costs several times the input's size.
#[derive(Deserialize)]
struct RawSnapshot<'a> {
    #[serde(rename = "schemaVersion", default)]
    schema_version: Option<&'a RawValue>,
    #[serde(rename = "takenAt", default)]
    taken_at: Option<String>,
    #[serde(rename = "helmReleases", borrow, default)]
    helm_releases: Option<&'a RawValue>,
    #[serde(borrow, default)]
    storage: Option<&'a RawValue>,
}

fn list<T: serde::de::DeserializeOwned>(
    raw: Option<&RawValue>,
    field: &'static str,
) -> Result<Vec<T>, SnapshotError> {
    let shape = |message: &str| SnapshotError::Field {
        field: field.to_string(),
        message: message.to_string(),
    };
    let text = raw.map(|r| r.get().trim()).unwrap_or("null");
    if text == "null" {
        return Err(shape("missing (use [] for none)"));
    }
    if !text.starts_with('[') {
        return Err(shape("expected a list"));
    }
    let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| shape(&e.to_string()))?;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            serde_json::from_str(item.get()).map_err(|e| SnapshotError::Object {
                field,
                index,
                name: object_name(item),
                message: strip_position(&e.to_string()),
            })
        })
        .collect()
}

/// serde_json appends "at line L column C" relative to the object's own text, which
/// means nothing to a reader of the whole file; the object index says where instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message.get(..i).unwrap_or(message).to_string(),
        None => message.to_string(),
    }
}

impl Snapshot {
    /// Reads a Snapshot from JSON, checking `schemaVersion` first.
    pub fn from_json(text: &str) -> Result<Self, SnapshotError> {
        let first = text.trim_start().chars().next();
        if first != Some('{') {
            // Distinguish "not JSON" from "JSON but not an object".
            return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                Ok(_) => SnapshotError::Json("expected a JSON object".to_string()),
                Err(e) => SnapshotError::Json(e.to_string()),
            });
        }
        let raw: RawSnapshot<'_> =
            serde_json::from_str(text).map_err(|e| SnapshotError::Json(e.to_string()))?;
        match raw.schema_version.map(RawValue::get) {
            Some(v) if v.trim() == SNAPSHOT_SCHEMA_VERSION.to_string().as_str() => {}
            other => {
                return Err(SnapshotError::SchemaVersion {
                    found: other.map_or_else(|| "(missing)".to_string(), str::to_string),
                });
            }
        }
        let snapshot = Self {
            schema_version: SNAPSHOT_SCHEMA_VERSION,
            taken_at: raw.taken_at,
            helm_releases: list(raw.helm_releases, "helmReleases")?,
            storage: list(raw.storage, "storage")?,
        };
        snapshot.check_unique()?;
        Ok(snapshot)
    }

    /// A namespace/name listed twice would get two decisions, and possibly two actions
    /// racing on one object: an API list never does that, so a snapshot that does was
    /// edited or merged by hand and is refused, naming both places.
    pub fn check_unique(&self) -> Result<(), SnapshotError> {
        let mut first = std::collections::HashMap::with_capacity(self.helm_releases.len());
        for (index, h) in self.helm_releases.iter().enumerate() {
            if let Some(earlier) = first.insert((h.namespace.as_str(), h.name.as_str()), index) {
                return Err(SnapshotError::Object {
                    field: "helmReleases",
                    index,
                    name: format!(" (`{}/{}`)", h.namespace, h.name),
                    message: format!(
                        "listed again (first at `helmReleases[{earlier}]`): each HelmRelease appears once"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Serialises as pretty JSON (files people read).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Serialises as compact JSON (the wire to the plugin).
    pub fn to_json_compact(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_helm_release_listed_twice_is_refused_naming_both_places() {
        let hr = r#"{"namespace":"apps","name":"web","resourceVersion":"1","generation":1}"#;
        let text = format!(
            r#"{{"schemaVersion":{SNAPSHOT_SCHEMA_VERSION},"helmReleases":[{hr},{hr}],"storage":[]}}"#
        );
        let err = Snapshot::from_json(&text).expect_err("a duplicate is refused");
        assert_eq!(
            err.to_string(),
            "snapshot `helmReleases[1]` (`apps/web`): listed again (first at `helmReleases[0]`): each HelmRelease appears once"
        );
        let once = format!(
            r#"{{"schemaVersion":{SNAPSHOT_SCHEMA_VERSION},"helmReleases":[{hr}],"storage":[]}}"#
        );
        assert!(Snapshot::from_json(&once).is_ok());
    }

    #[test]
    fn a_minimal_snapshot_parses() {
        let s = Snapshot::from_json(r#"{"schemaVersion":1,"helmReleases":[{"namespace":"a","name":"b","resourceVersion":"1"}],"storage":[]}"#).unwrap();
        assert_eq!(s.helm_releases[0].name, "b");
        assert!(!s.helm_releases[0].suspend);
        let again = Snapshot::from_json(&s.to_json()).unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn errors_name_the_object_and_field() {
        let e = Snapshot::from_json(r#"{"schemaVersion":2,"helmReleases":[],"storage":[]}"#)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "unsupported snapshot `schemaVersion` 2 (this build reads 1)"
        );
        let e = Snapshot::from_json(r#"{"helmReleases":[],"storage":[]}"#).unwrap_err();
        assert!(e.to_string().contains("(missing)"));
        let e = Snapshot::from_json(r#"{"schemaVersion":1,"helmReleases":[{"namespace":"apps","name":"web"}],"storage":[]}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "snapshot `helmReleases[0]` (`apps/web`): missing field `resourceVersion`"
        );
        let e = Snapshot::from_json(r#"{"schemaVersion":1,"helmReleases":[],"storage":[{"namespace":"a","release":"r","revision":"1","status":7}]}"#).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("snapshot `storage[0]`: invalid type"),
            "{e}"
        );
        let e = Snapshot::from_json(r#"{"schemaVersion":1,"helmReleases":{}}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "snapshot field `helmReleases`: expected a list"
        );
        let e = Snapshot::from_json("[1").unwrap_err();
        assert!(matches!(e, SnapshotError::Json(_)));
    }
}
