//! The real `helm` (Helm 4, built from the `helm.sh/helm/v4` Go module by the e2e
//! crate's builder and cached under `$HOME/.cache/catalyst-guard/e2e/`), and the chart
//! it renders: `deploy/platform/catalyst-guard/chart`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The chart folder, from the repository root.
pub const CHART: &str = "deploy/platform/catalyst-guard/chart";

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the host crate sits in the workspace")
        .to_path_buf()
}

/// The `helm` binary: built on first use (minutes, once per machine), then cached.
pub fn helm() -> &'static Path {
    static HELM: OnceLock<PathBuf> = OnceLock::new();
    HELM.get_or_init(|| match e2e::pins::helm().build() {
        Ok(built) => built.path,
        Err(e) => panic!("cannot build helm: {e}"),
    })
}

/// Standard output and error of a finished command, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `helm template <release> <chart> --namespace <namespace>` with `values` (YAML, empty:
/// the defaults), as run; the caller checks the status.
pub fn template_output(release: &str, namespace: &str, values: &str) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("values.yaml");
    std::fs::write(&file, values).expect("write values");
    Command::new(helm())
        .args(["template", release])
        .arg(root().join(CHART))
        .args(["--namespace", namespace, "--values"])
        .arg(&file)
        .output()
        .expect("helm runs")
}

/// The chart rendered with `values` into `namespace`; panics with helm's message if it
/// refuses.
pub fn template(release: &str, namespace: &str, values: &str) -> String {
    let out = template_output(release, namespace, values);
    assert!(out.status.success(), "helm template: {}", text(&out));
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Values that change every knob the chart offers, for the tests that check the
/// chart still renders what `recover` needs when nothing is left at its default.
pub const OTHER_VALUES: &str = r#"
global:
  imageRegistry: harbor.omantel.openova.io
image:
  registry: registry.example.org
  repository: mirror/catalyst-guard
  digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  pullPolicy: Always
imagePullSecrets: [{name: harbor}]
name: guard
serviceAccount: {create: false, name: guard-sa, annotations: {example.io/owner: platform}}
fluxNamespace: flux
schedule: "*/5 * * * *"
activeDeadlineSeconds: 200
startingDeadlineSeconds: 30
successfulJobsHistoryLimit: 1
failedJobsHistoryLimit: 2
suspend: true
config:
  stuckThreshold: 10m
  maxActions: 3
  strategies: {stuckStatusLost: reconcile-request, stuckAfterLeaderLoss: force-reconcile}
  suspendPause: 1m
  helmController: {version: v1.6.4}
  namespaces: {include: [apps], exclude: [kube-system]}
  labelSelector: team=platform,!skip
  annotations:
    correctedAt: example.io/at
    correctedRevision: example.io/revision
    suspendedBy: example.io/suspended
resources: {requests: {cpu: 20m, memory: 48Mi}, limits: {cpu: 200m, memory: 128Mi}}
cacheSizeLimit: 128Mi
podAnnotations: {example.io/note: hello}
podLabels: {team: platform}
nodeSelector: {kubernetes.io/os: linux}
tolerations: [{key: dedicated, operator: Equal, value: infra, effect: NoSchedule}]
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
        - matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64]}]
priorityClassName: system-cluster-critical
"#;
