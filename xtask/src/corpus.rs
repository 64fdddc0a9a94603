//! A deterministic synthetic Sovereign repository for benchmarks: `n` components in the
//! DOMAIN.md layout with realistic-size values, templates and READMEs, the template
//! bootstrap-kit, two live clusters and docs. A few violations are seeded so the rules
//! do real work (a clean corpus would let a rule that bails out early look fast).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

/// Sizes of the generated corpus.
pub struct Stats {
    /// Files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
    /// YAML files among them.
    pub yaml_files: usize,
    /// YAML bytes among them.
    pub yaml_bytes: u64,
}

struct Writer<'a> {
    root: &'a Path,
    stats: Stats,
}

impl Writer<'_> {
    fn file(&mut self, rel: &str, text: &str) -> Result<()> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        self.stats.files += 1;
        self.stats.bytes += text.len() as u64;
        if rel.ends_with(".yaml") {
            self.stats.yaml_files += 1;
            self.stats.yaml_bytes += text.len() as u64;
        }
        Ok(())
    }
}

/// Writes the corpus under `root` (which must not exist yet).
pub fn generate(root: &Path, components: usize) -> Result<Stats> {
    let mut w = Writer {
        root,
        stats: Stats {
            files: 0,
            bytes: 0,
            yaml_files: 0,
            yaml_bytes: 0,
        },
    };
    for i in 0..components {
        let name = format!("component-{i:05}");
        let version = format!("1.{}.{}", i % 7, i % 13);
        let bp_version = if i % 997 == 5 {
            "0.0.1".to_string()
        } else {
            version.clone()
        };
        w.file(
            &format!("platform/{name}/blueprint.yaml"),
            &format!(
                "apiVersion: catalyst.openova.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: bp-{name}\n  labels:\n    catalyst.openova.io/category: platform\nspec:\n  version: {bp_version}\n  displayName: Component {i}\n  description: >-\n    Synthetic component {i} for the lint benchmark, packaged as a Blueprint.\n  owners: [platform-team]\n"
            ),
        )?;
        let dep_version = if i % 499 == 7 {
            "^2.0.0".to_string()
        } else {
            format!("2.{}.0", i % 11)
        };
        w.file(
            &format!("platform/{name}/chart/Chart.yaml"),
            &format!(
                "apiVersion: v2\nname: bp-{name}\ndescription: Catalyst Blueprint chart for {name}\ntype: application\nversion: {version}\nappVersion: \"{i}.0\"\ndependencies:\n  - name: upstream-{i}\n    version: \"{dep_version}\"\n    repository: oci://registry.example.org/charts\n  - name: common\n    version: 2.19.1\n    repository: oci://registry.example.org/charts\n"
            ),
        )?;
        w.file(&format!("platform/{name}/chart/values.yaml"), &values(i))?;
        w.file(
            &format!("platform/{name}/chart/templates/deployment.yaml"),
            &template(&name),
        )?;
        w.file(&format!("platform/{name}/README.md"), &readme(i, &name))?;
        let pin = if i % 1009 == 3 {
            "1.0.0-old"
        } else {
            version.as_str()
        };
        w.file(
            &format!("clusters/_template/bootstrap-kit/{i:05}-{name}.yaml"),
            &format!(
                "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: bp-{name}\n  namespace: flux-system\nspec:\n  type: oci\n  interval: 10m\n  url: oci://harbor.${{SOVEREIGN_FQDN}}/catalyst\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  targetNamespace: {name}\n  chart:\n    spec:\n      chart: bp-{name}\n      version: {pin}\n      sourceRef:\n        kind: HelmRepository\n        name: bp-{name}\n  values:\n    global:\n      imageRegistry: harbor.${{SOVEREIGN_FQDN}}\n"
            ),
        )?;
        if i.is_multiple_of(10) {
            for (c, cluster) in ["omantel.openova.io", "acme.example.io"].iter().enumerate() {
                let live = if (i + c).is_multiple_of(30) {
                    "1.0.0"
                } else {
                    version.as_str()
                };
                w.file(
                    &format!("clusters/{cluster}/bootstrap-kit/{name}.yaml"),
                    &format!(
                        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: bp-{name}\n      version: {live}\n      sourceRef:\n        kind: HelmRepository\n        name: bp-{name}\n"
                    ),
                )?;
            }
        }
    }
    for cluster in ["omantel.openova.io", "acme.example.io"] {
        w.file(
            &format!("clusters/{cluster}/flux-system/gitrepository.yaml"),
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: platform\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://gitea.hfmp.openova.io/openova/platform.git\n",
        )?;
    }
    w.file("docs/flux.md", "# Flux\n\nflux reconcile kustomization tenants\n\nflux bootstrap git --url=https://gitea.<domain>/openova/flux\n")?;
    Ok(w.stats)
}

fn values(i: usize) -> String {
    let mut s = String::from("global:\n  imageRegistry: \"\"\n  storageClass: \"\"\n");
    if i % 1013 == 11 {
        s = String::from("global:\n  storageClass: \"\"\n");
    }
    for part in [
        "server",
        "worker",
        "scheduler",
        "webhook",
        "exporter",
        "migrator",
    ] {
        let _ = write!(
            s,
            "{part}:\n  enabled: true\n  replicaCount: {r}\n  image:\n    registry: docker.io\n    repository: example/{part}\n    tag: \"{i}.{r}.0\"\n    pullPolicy: IfNotPresent\n  resources:\n    requests:\n      cpu: 50m\n      memory: 64Mi\n    limits:\n      memory: 256Mi\n  podSecurityContext:\n    runAsNonRoot: true\n    runAsUser: 65532\n    fsGroup: 65532\n  securityContext:\n    allowPrivilegeEscalation: false\n    readOnlyRootFilesystem: true\n    capabilities:\n      drop: [ALL]\n  service:\n    type: ClusterIP\n    port: 80{r}\n    annotations: {{}}\n  nodeSelector: {{}}\n  tolerations: []\n  affinity:\n    podAntiAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n        - weight: 100\n          podAffinityTerm:\n            topologyKey: kubernetes.io/hostname\n            labelSelector:\n              matchLabels:\n                app.kubernetes.io/component: {part}\n  env:\n    - name: LOG_LEVEL\n      value: info\n    - name: GITEA_URL\n      value: https://gitea.hfmp.openova.io\n",
            r = i % 5 + 1
        );
    }
    s
}

fn template(name: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{{{ include \"{name}.fullname\" . }}}}\n  labels:\n    {{{{- include \"{name}.labels\" . | nindent 4 }}}}\nspec:\n  replicas: {{{{ .Values.server.replicaCount }}}}\n  selector:\n    matchLabels:\n      {{{{- include \"{name}.selectorLabels\" . | nindent 6 }}}}\n  template:\n    spec:\n      containers:\n        - name: server\n          image: \"{{{{ .Values.global.imageRegistry | default .Values.server.image.registry }}}}/{{{{ .Values.server.image.repository }}}}:{{{{ .Values.server.image.tag }}}}\"\n          {{{{- with .Values.server.resources }}}}\n          resources:\n            {{{{- toYaml . | nindent 12 }}}}\n          {{{{- end }}}}\n"
    )
}

fn readme(i: usize, name: &str) -> String {
    let mut s = format!(
        "# bp-{name}\n\nComponent {i} of the synthetic Sovereign. Every Organization gets its own instance.\n\n"
    );
    for section in [
        "Overview",
        "Architecture",
        "Configuration",
        "Security",
        "Operations",
        "Backups",
        "Observability",
        "Networking",
        "Scaling",
        "Storage",
        "Upgrades",
        "Troubleshooting",
    ] {
        let _ = write!(
            s,
            "## {section}\n\nThe component is delivered by Flux from the Sovereign's Gitea at\n`https://gitea.<location-code>.<sovereign-domain>/openova/{name}.git` and installed as a\nHelmRelease pinned in the bootstrap-kit. Values are layered per Sovereign overlay;\n`global.imageRegistry` routes pulls through the Sovereign's Harbor proxy cache.\n\n| setting | default | meaning |\n|---|---|---|\n| `server.replicaCount` | 1 | replicas of the server |\n| `worker.enabled` | true | run background workers |\n| `exporter.enabled` | true | expose Prometheus metrics |\n\n"
        );
    }
    if i.is_multiple_of(211) {
        s.push_str("Object storage used to be MinIO; it is now SeaweedFS.\n");
    }
    s
}
