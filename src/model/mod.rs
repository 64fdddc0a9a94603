//! Typed views over parsed YAML documents: the objects the rules read.
//!
//! A view copies out only the fields rules use, each with its source position, so the
//! parsed document can be dropped once a file is analysed. Recognition is by API group
//! and kind, accepting every version Flux serves (`helm.toolkit.fluxcd.io` v2, v2beta2,
//! v2beta1; `source.toolkit.fluxcd.io` v1, v1beta2; ...): an unknown version of a known
//! group is still read, since the fields rules need have not moved between versions.

use serde::{Deserialize, Serialize};

use crate::yaml::{Document, Node, Pos};

/// A string value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Located {
    /// The value.
    pub value: String,
    /// Where the value starts (its opening quote, if quoted).
    pub pos: Pos,
    /// Width in the source, in characters, including quotes.
    pub src_width: u32,
}

impl Located {
    fn from_node(node: Node<'_>) -> Option<Self> {
        Some(Self {
            value: node.as_str()?.to_string(),
            pos: node.pos(),
            src_width: node.width(),
        })
    }

    fn at(node: Node<'_>, keys: &[&str]) -> Option<Self> {
        Self::from_node(node.path(keys)?)
    }

    /// Width of the value as written, in characters (for carets).
    pub fn width(&self) -> u32 {
        self.src_width.max(1)
    }
}

/// `metadata` of a Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Meta {
    /// `apiVersion`, e.g. `helm.toolkit.fluxcd.io/v2`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: Option<Located>,
    /// `metadata.namespace`.
    pub namespace: Option<String>,
    /// Where the object's document starts.
    pub pos: Pos,
}

impl Meta {
    /// The API group (the part of `apiVersion` before `/`; empty for core objects).
    pub fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map(|(g, _)| g)
            .unwrap_or_default()
    }

    /// The name, or an empty string.
    pub fn name_str(&self) -> &str {
        self.name
            .as_ref()
            .map(|n| n.value.as_str())
            .unwrap_or_default()
    }
}

/// A Catalyst Blueprint (`catalyst.openova.io`, kind `Blueprint`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blueprint {
    /// Object metadata.
    pub meta: Meta,
    /// `spec.version`.
    pub version: Option<Located>,
}

/// One entry of `Chart.yaml` `dependencies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartDependency {
    /// `name`.
    pub name: Option<Located>,
    /// `version` (an exact version or a range).
    pub version: Option<Located>,
    /// Where the entry starts.
    pub pos: Pos,
}

/// A Helm `Chart.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chart {
    /// `name`.
    pub name: Option<Located>,
    /// `version`.
    pub version: Option<Located>,
    /// `dependencies`.
    pub dependencies: Vec<ChartDependency>,
    /// Where the document starts.
    pub pos: Pos,
}

/// A Helm `values.yaml`: only what rules ask of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Values {
    /// `global.imageRegistry` is present (any value, including an empty string).
    pub has_image_registry: bool,
    /// Where `global` is, else where the document starts.
    pub pos: Pos,
}

/// `spec.chartRef` of a HelmRelease (an OCIRepository or HelmChart reference).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartRef {
    /// `kind`.
    pub kind: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// Where `chartRef` starts.
    pub pos: Pos,
}

/// A Flux HelmRelease (`helm.toolkit.fluxcd.io`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelmRelease {
    /// Object metadata.
    pub meta: Meta,
    /// `spec.chart.spec.chart`.
    pub chart: Option<Located>,
    /// `spec.chart.spec.version`.
    pub version: Option<Located>,
    /// Where `spec.chart` starts, when present.
    pub chart_pos: Option<Pos>,
    /// `spec.chartRef`, when the chart comes from a referenced source.
    pub chart_ref: Option<ChartRef>,
    /// `spec.releaseName`.
    pub release_name: Option<String>,
    /// `spec.targetNamespace`.
    pub target_namespace: Option<String>,
    /// `spec.storageNamespace`.
    pub storage_namespace: Option<String>,
    /// `spec.suspend`.
    pub suspend: bool,
}

/// A Flux HelmRepository (`source.toolkit.fluxcd.io`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelmRepository {
    /// Object metadata.
    pub meta: Meta,
    /// `spec.url`.
    pub url: Option<Located>,
}

/// A Flux GitRepository (`source.toolkit.fluxcd.io`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitRepository {
    /// Object metadata.
    pub meta: Meta,
    /// `spec.url`.
    pub url: Option<Located>,
}

/// A Flux Kustomization (`kustomize.toolkit.fluxcd.io`, not kustomize's own
/// `kustomization.yaml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kustomization {
    /// Object metadata.
    pub meta: Meta,
    /// `spec.decryption.provider`.
    pub decryption_provider: Option<Located>,
    /// First and last line of the `spec.decryption` block, when present.
    pub decryption_lines: Option<(u32, u32)>,
}

/// One YAML document, recognised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Object {
    /// A Catalyst Blueprint.
    Blueprint(Blueprint),
    /// A Helm Chart.yaml (recognised by file name, it has no `kind`).
    Chart(Chart),
    /// A Helm values.yaml (recognised by file name).
    Values(Values),
    /// A Flux HelmRelease.
    HelmRelease(HelmRelease),
    /// A Flux HelmRepository.
    HelmRepository(HelmRepository),
    /// A Flux GitRepository.
    GitRepository(GitRepository),
    /// A Flux Kustomization.
    Kustomization(Kustomization),
    /// Anything else with an `apiVersion` and `kind`.
    Other(Meta),
}

/// What a YAML file is, from its name alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    /// `Chart.yaml`.
    Chart,
    /// `values.yaml`.
    Values,
    /// Any other YAML file: Kubernetes objects.
    Manifest,
}

impl FileRole {
    /// The role of a file from its path.
    pub fn of(path: &str) -> Self {
        match path.rsplit('/').next().unwrap_or(path) {
            "Chart.yaml" => Self::Chart,
            "values.yaml" => Self::Values,
            _ => Self::Manifest,
        }
    }
}

/// Reads one document as the object its file role and `apiVersion`/`kind` say it is.
/// Returns `None` for empty documents and non-mapping roots.
pub fn view(doc: &Document, role: FileRole) -> Option<Object> {
    let root = doc.root()?;
    if !root.is_map() {
        return None;
    }
    match role {
        FileRole::Chart => Some(Object::Chart(chart(root, doc.start()))),
        FileRole::Values => {
            let global = root.entry("global");
            Some(Object::Values(Values {
                has_image_registry: global.is_some_and(|(_, g)| g.get("imageRegistry").is_some()),
                pos: global.map_or(doc.start(), |(k, _)| k.pos()),
            }))
        }
        FileRole::Manifest => view_object(root, doc.start()),
    }
}

/// Every recognised object of a file with role `role`, in document order, and the
/// syntax error that stopped the parse, if any: [`view`] of each parsed document.
/// values.yaml files (most of a Sovereign repo's YAML, read for one key) are probed
/// without building a tree, with the same result.
pub fn objects(text: &str, role: FileRole) -> (Vec<Object>, Option<crate::yaml::YamlError>) {
    if matches!(role, FileRole::Values)
        && let Some(read) = values_objects(text)
    {
        return read;
    }
    let parsed = crate::yaml::parse(text);
    let objects = parsed
        .documents
        .iter()
        .filter_map(|d| view(d, role))
        .collect();
    (objects, parsed.error)
}

/// The [`Values`] objects of a values.yaml, the same [`view`] gives, read by
/// [`crate::yaml::probe`]. `None` when an alias decides the answer: then the file is
/// parsed in full.
fn values_objects(text: &str) -> Option<(Vec<Object>, Option<crate::yaml::YamlError>)> {
    let probed = crate::yaml::probe(text, "global", "imageRegistry")?;
    let objects = probed
        .documents
        .iter()
        .filter(|d| d.root_is_map)
        .map(|d| {
            Object::Values(Values {
                has_image_registry: d.has_child,
                pos: d.key.unwrap_or(d.start),
            })
        })
        .collect();
    Some((objects, probed.error))
}

/// Reads a Kubernetes object from a mapping node (e.g. an AdmissionReview's `object`).
pub fn view_object(root: Node<'_>, pos: Pos) -> Option<Object> {
    let meta = Meta {
        api_version: root.str_at(&["apiVersion"])?.to_string(),
        kind: root.str_at(&["kind"])?.to_string(),
        name: Located::at(root, &["metadata", "name"]),
        namespace: root.str_at(&["metadata", "namespace"]).map(str::to_string),
        pos,
    };
    Some(object(root, meta))
}

fn object(root: Node<'_>, meta: Meta) -> Object {
    let spec = root.get("spec");
    let at = |keys: &[&str]| spec.and_then(|s| Located::at(s, keys));
    let str_at = |keys: &[&str]| spec.and_then(|s| s.str_at(keys)).map(str::to_string);
    match (meta.group(), meta.kind.as_str()) {
        ("catalyst.openova.io", "Blueprint") => Object::Blueprint(Blueprint {
            version: at(&["version"]),
            meta,
        }),
        ("helm.toolkit.fluxcd.io", "HelmRelease") => {
            let chart_ref = spec.and_then(|s| s.get("chartRef")).map(|r| ChartRef {
                kind: r.str_at(&["kind"]).map(str::to_string),
                name: r.str_at(&["name"]).map(str::to_string),
                pos: r.pos(),
            });
            Object::HelmRelease(HelmRelease {
                chart: at(&["chart", "spec", "chart"]),
                version: at(&["chart", "spec", "version"]),
                chart_pos: spec.and_then(|s| s.entry("chart")).map(|(k, _)| k.pos()),
                chart_ref,
                release_name: str_at(&["releaseName"]),
                target_namespace: str_at(&["targetNamespace"]),
                storage_namespace: str_at(&["storageNamespace"]),
                suspend: spec
                    .and_then(|s| s.get("suspend"))
                    .is_some_and(|n| n.is_true()),
                meta,
            })
        }
        ("source.toolkit.fluxcd.io", "GitRepository") => Object::GitRepository(GitRepository {
            url: at(&["url"]),
            meta,
        }),
        ("source.toolkit.fluxcd.io", "HelmRepository") => Object::HelmRepository(HelmRepository {
            url: at(&["url"]),
            meta,
        }),
        ("kustomize.toolkit.fluxcd.io", "Kustomization") => Object::Kustomization(Kustomization {
            decryption_provider: at(&["decryption", "provider"]),
            decryption_lines: spec
                .and_then(|s| s.entry("decryption"))
                .map(|(k, v)| (k.pos().line, v.last_line())),
            meta,
        }),
        _ => Object::Other(meta),
    }
}

fn chart(root: Node<'_>, pos: Pos) -> Chart {
    let dependencies = root
        .get("dependencies")
        .map(|deps| {
            deps.items()
                .map(|d| ChartDependency {
                    name: Located::at(d, &["name"]),
                    version: Located::at(d, &["version"]),
                    pos: d.pos(),
                })
                .collect()
        })
        .unwrap_or_default();
    Chart {
        name: Located::at(root, &["name"]),
        version: Located::at(root, &["version"]),
        dependencies,
        pos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn views(text: &str, role: FileRole) -> Vec<Object> {
        parse(text)
            .documents
            .iter()
            .filter_map(|d| view(d, role))
            .collect()
    }

    fn one(text: &str, role: FileRole) -> Object {
        let mut all = views(text, role);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    #[test]
    fn helm_release_versions_are_all_recognised() {
        for v in ["v2", "v2beta2", "v2beta1"] {
            let text = format!(
                "apiVersion: helm.toolkit.fluxcd.io/{v}\nkind: HelmRelease\nmetadata:\n  name: x\nspec:\n  chart:\n    spec:\n      chart: bp-x\n      version: 1.0.0\n"
            );
            let Object::HelmRelease(hr) = one(&text, FileRole::Manifest) else {
                panic!("not a HelmRelease for {v}");
            };
            assert_eq!(hr.chart.unwrap().value, "bp-x");
            assert_eq!(hr.version.unwrap().pos, Pos::new(9, 16));
        }
    }

    #[test]
    fn chart_ref_is_read_instead_of_chart_spec() {
        let text = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: x}\nspec:\n  chartRef:\n    kind: OCIRepository\n    name: x\n";
        let Object::HelmRelease(hr) = one(text, FileRole::Manifest) else {
            panic!()
        };
        assert!(hr.version.is_none());
        assert_eq!(hr.chart_ref.unwrap().kind.as_deref(), Some("OCIRepository"));
    }

    #[test]
    fn flux_kustomization_is_not_kustomize_config() {
        let text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nspec:\n  decryption:\n    provider: sops\n";
        let objs = views(text, FileRole::Manifest);
        assert!(matches!(objs[0], Object::Other(_)));
        let Object::Kustomization(k) = &objs[1] else {
            panic!()
        };
        assert_eq!(k.decryption_provider.as_ref().unwrap().value, "sops");
    }

    #[test]
    fn chart_yaml_reads_dependencies_and_values_reads_the_registry_knob() {
        let text = "apiVersion: v2\nname: bp-x\nversion: 1.2.3\ndependencies:\n  - name: up\n    version: ^1.0.0\n";
        let Object::Chart(c) = one(text, FileRole::Chart) else {
            panic!()
        };
        assert_eq!(c.dependencies[0].version.as_ref().unwrap().value, "^1.0.0");
        let Object::Values(v) = one("global:\n  imageRegistry: ''\n", FileRole::Values) else {
            panic!()
        };
        assert!(v.has_image_registry);
        let Object::Values(v) = one("global: {}\n", FileRole::Values) else {
            panic!()
        };
        assert!(!v.has_image_registry);
    }

    #[test]
    fn values_read_without_a_tree_equal_the_view_of_the_tree() {
        let deep = format!("global:\n  imageRegistry: {}\n", "[".repeat(200));
        let extra = [
            "global:\n  imageRegistry: ''\n",
            "image: x\nglobal: {}\n",
            "global: {}\nglobal: {imageRegistry: x}\n",
            "a: 1\n---\n- b\n---\nglobal:\n  imageRegistry: x\n",
            "global:\n  imageRegistry: x\n---\nbad: [\n",
            "",
            "a: &a 1\nb: *a\nglobal: {imageRegistry: *a}\n",
            deep.as_str(),
        ];
        for text in crate::yaml::probe::CASES.iter().copied().chain(extra) {
            let parsed = parse(text);
            let viewed = views(text, FileRole::Values);
            let probed = values_objects(text);
            assert_eq!(probed, Some((viewed, parsed.error)), "{text:?}");
            assert_eq!(objects(text, FileRole::Values), probed.unwrap_or_default());
        }
        // Where an alias decides the answer, the file is parsed in full instead.
        let text = "b: &b {imageRegistry: 1}\nglobal: *b\n";
        assert_eq!(values_objects(text), None);
        let Object::Values(v) = one(text, FileRole::Values) else {
            panic!()
        };
        assert!(v.has_image_registry);
        assert_eq!(
            objects(text, FileRole::Values),
            (views(text, FileRole::Values), None)
        );
    }
}
