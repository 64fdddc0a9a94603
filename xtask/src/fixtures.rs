//! Generated and collected inputs the chores share: the lint benchmark corpus, the
//! generated cluster (HelmReleases, Helm storage, its Snapshot) and the UTF-8 files
//! of a fixture tree.

mod corpus;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use catalyst_guard::recovery::Snapshot;
use catalyst_guard::recovery::time::{format_rfc3339, parse_rfc3339};

use crate::paths::{bench_dir, relative};

/// The time the generated cluster is observed at.
pub const NOW: &str = "2026-11-22T12:00:00Z";

/// The generated lint corpus for `blueprints` components (generated once, reused).
pub fn corpus_dir(blueprints: usize) -> Result<PathBuf> {
    let corpus_dir = bench_dir().join(format!("lint-corpus-{blueprints}"));
    if !corpus_dir.exists() {
        eprintln!("generating corpus in {}", corpus_dir.display());
        let tmp = corpus_dir.with_extension("tmp");
        let _ = std::fs::remove_dir_all(&tmp);
        corpus::generate(&tmp, blueprints)?;
        std::fs::rename(&tmp, &corpus_dir)?;
    }
    Ok(corpus_dir)
}

/// HelmRelease `i` as the API serves it: every 1000th is stuck (branch B), every 7th
/// has been Ready=Unknown for a minute (progressing), the rest are healthy.
fn hr(i: usize, now: i64) -> Value {
    let name = format!("release-{i:05}");
    let ns = format!("team-{:03}", i % 200);
    let (ready, since) = if i.is_multiple_of(1000) {
        ("Unknown", now - 900)
    } else if i.is_multiple_of(7) {
        ("Unknown", now - 60)
    } else {
        ("True", now - 86_400)
    };
    json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": ns, "generation": 2, "resourceVersion": (1000 + i).to_string(),
            "labels": {"app.kubernetes.io/part-of": "catalyst"}},
        "spec": {"interval": "10m", "targetNamespace": ns, "chart": {"spec": {"chart": "bp-x", "version": "1.2.3"}}},
        "status": {
            "observedGeneration": 2,
            "conditions": [{"type": "Ready", "status": ready, "reason": "InstallSucceeded", "message": "ok",
                "lastTransitionTime": format_rfc3339(since)}],
            "history": [{"name": format!("{ns}-{name}"), "namespace": ns, "version": 3, "status": "deployed",
                "chartName": "bp-x", "chartVersion": "1.2.3", "digest": "sha256:abc", "lastDeployed": format_rfc3339(now - 90_000)}],
        },
    })
}

/// Three storage revisions per release (two superseded, one deployed).
fn secrets(i: usize) -> Vec<Value> {
    let name = format!("release-{i:05}");
    let ns = format!("team-{:03}", i % 200);
    (1..=3)
        .map(|rev| {
            let status = if rev == 3 { "deployed" } else { "superseded" };
            json!({
                "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
                "metadata": {"name": format!("sh.helm.release.v1.{ns}-{name}.v{rev}"), "namespace": ns,
                    "labels": {"owner": "helm", "name": format!("{ns}-{name}"), "version": rev.to_string(), "status": status,
                        "modifiedAt": "1700000000"}},
                "data": {"release": "H4sIAAAAAAAA-not-read"},
            })
        })
        .collect()
}

/// A generated cluster: HelmReleases and their Helm storage Secrets, as the API
/// serves them.
pub struct Cluster {
    /// The HelmReleases.
    pub helm_releases: Vec<Value>,
    /// Three storage Secrets per HelmRelease.
    pub secrets: Vec<Value>,
}

impl Cluster {
    /// `count` HelmReleases as they stand at [`NOW`].
    pub fn generate(count: usize) -> Result<Cluster> {
        let now = parse_rfc3339(NOW).context("NOW")?;
        Ok(Cluster {
            helm_releases: (0..count).map(|i| hr(i, now)).collect(),
            secrets: (0..count).flat_map(secrets).collect(),
        })
    }

    /// The same cluster as a Snapshot, built the way the host builds one.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let items: Vec<Value> = self
            .helm_releases
            .iter()
            .map(|h| {
                json!({
                    "namespace": h["metadata"]["namespace"], "name": h["metadata"]["name"],
                    "generation": h["metadata"]["generation"], "resourceVersion": h["metadata"]["resourceVersion"],
                    "targetNamespace": h["spec"]["targetNamespace"], "conditions": h["status"]["conditions"],
                    "history": h["status"]["history"], "observedGeneration": h["status"]["observedGeneration"],
                })
            })
            .collect();
        let storage: Vec<Value> = self
            .secrets
            .iter()
            .map(|s| {
                let l = &s["metadata"]["labels"];
                json!({"namespace": s["metadata"]["namespace"], "secretName": s["metadata"]["name"], "release": l["name"],
                    "revision": l["version"], "status": l["status"], "modifiedAt": l["modifiedAt"]})
            })
            .collect();
        let doc = json!({"schemaVersion": 1, "helmReleases": items, "storage": storage});
        Snapshot::from_json(&doc.to_string()).map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// Writes the generated cluster (`count` HelmReleases) as Snapshot JSON.
pub fn write_snapshot(path: &Path, count: usize) -> Result<()> {
    std::fs::write(path, Cluster::generate(count)?.snapshot()?.to_json())?;
    Ok(())
}

/// The entries of `dir`, sorted.
pub fn sorted_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    out.sort();
    Ok(out)
}

/// The UTF-8 files under `dir`, root-relative and sorted. Files that are not UTF-8 are
/// left out: the fuzz seeds and the browser API (`web.rs`) take strings, and the CLI
/// reports such files at the host, not the core.
pub fn text_files(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<()> {
    for path in sorted_dir(dir)? {
        if path.is_dir() {
            text_files(root, &path, out)?;
        } else if let Ok(text) = String::from_utf8(std::fs::read(&path)?) {
            out.push((relative(root, &path), text));
        }
    }
    Ok(())
}
