//! Typed views of the objects the policy admits, deserialised straight from the
//! AdmissionRequest JSON.
//!
//! Only the fields the rules read are declared; everything else in an object
//! (`status`, `managedFields`, other spec fields) is skipped by serde without being
//! materialised, which keeps a request cheap and makes the policy indifferent to fields
//! Flux adds in later API versions. `metadata` is deliberately a two-field struct rather
//! than k8s-openapi's `ObjectMeta`: parsing `managedFields` and timestamps for every
//! request would cost time and wasm size for nothing the rules use.
//!
//! Recognition follows the core's model (`catalyst_guard::model`): by API group and
//! kind, accepting every version of a known group, since the fields read here have not
//! moved between Flux API versions.

use serde::Deserialize;

/// The kinds this policy validates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `source.toolkit.fluxcd.io` GitRepository (v1, v1beta2).
    GitRepository,
    /// `helm.toolkit.fluxcd.io` HelmRelease (v2, v2beta2, v2beta1).
    HelmRelease,
    /// `kustomize.toolkit.fluxcd.io` Kustomization (v1).
    Kustomization,
    /// `catalyst.openova.io` Blueprint.
    Blueprint,
}

/// API group of Flux sources.
pub const SOURCE_GROUP: &str = "source.toolkit.fluxcd.io";
/// API group of Flux HelmReleases.
pub const HELM_GROUP: &str = "helm.toolkit.fluxcd.io";
/// API group of Flux Kustomizations.
pub const KUSTOMIZE_GROUP: &str = "kustomize.toolkit.fluxcd.io";
/// API group of Catalyst Blueprints.
pub const BLUEPRINT_GROUP: &str = "catalyst.openova.io";
/// The Blueprint API version read from the cluster in context-aware mode.
pub const BLUEPRINT_API_VERSION: &str = "catalyst.openova.io/v1alpha1";

/// The dotted path of the field a serde error concerns (empty for the document itself)
/// and the error's message. For an unknown key the path is its parent, since the
/// message already names the key.
pub fn error_path(err: serde_path_to_error::Error<serde_json::Error>) -> (String, String) {
    let segments: Vec<String> = err.path().iter().map(ToString::to_string).collect();
    let inner = err.into_inner();
    let message = inner.to_string();
    let keep = if message.starts_with("unknown field") {
        segments.len().saturating_sub(1)
    } else {
        segments.len()
    };
    let path = segments
        .iter()
        .take(keep)
        .fold(String::new(), |mut acc, s| {
            if !acc.is_empty() && !s.starts_with('[') {
                acc.push('.');
            }
            acc.push_str(s);
            acc
        });
    (path, message)
}

/// Reads an explicit `null` as the default value (serde's `default` only covers a
/// missing field).
fn null_as_default<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(de)?.unwrap_or_default())
}

impl Kind {
    /// The kind for an API group and kind name, if this policy validates it.
    pub fn of(group: &str, kind: &str) -> Option<Self> {
        match (group, kind) {
            (SOURCE_GROUP, "GitRepository") => Some(Self::GitRepository),
            (HELM_GROUP, "HelmRelease") => Some(Self::HelmRelease),
            (KUSTOMIZE_GROUP, "Kustomization") => Some(Self::Kustomization),
            (BLUEPRINT_GROUP, "Blueprint") => Some(Self::Blueprint),
            _ => None,
        }
    }

    /// The kind's name as Kubernetes spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::GitRepository => "GitRepository",
            Self::HelmRelease => "HelmRelease",
            Self::Kustomization => "Kustomization",
            Self::Blueprint => "Blueprint",
        }
    }
}

/// `metadata`: only what messages need.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// `metadata.name` (absent on a CREATE that uses `generateName`).
    #[serde(default)]
    pub name: Option<String>,
    /// `metadata.namespace` (absent for cluster-scoped objects).
    #[serde(default)]
    pub namespace: Option<String>,
}

/// A Flux GitRepository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GitRepository {
    /// Object metadata.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: Meta,
    /// `spec`.
    #[serde(default)]
    pub spec: Option<GitRepositorySpec>,
}

/// `GitRepository.spec`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GitRepositorySpec {
    /// `spec.url`.
    #[serde(default)]
    pub url: Option<String>,
}

impl GitRepository {
    /// `spec.url`, if set.
    pub fn url(&self) -> Option<&str> {
        self.spec.as_ref()?.url.as_deref()
    }
}

/// A Flux HelmRelease.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct HelmRelease {
    /// Object metadata.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: Meta,
    /// `spec`.
    #[serde(default)]
    pub spec: Option<HelmReleaseSpec>,
}

/// `HelmRelease.spec`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmReleaseSpec {
    /// `spec.chart` (the HelmChart template).
    #[serde(default)]
    pub chart: Option<ChartTemplate>,
    /// `spec.chartRef` (an OCIRepository or HelmChart reference instead of `chart`).
    #[serde(default)]
    pub chart_ref: Option<ChartRef>,
}

/// `spec.chart`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ChartTemplate {
    /// `spec.chart.spec`.
    #[serde(default)]
    pub spec: Option<ChartTemplateSpec>,
}

/// `spec.chart.spec`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ChartTemplateSpec {
    /// `spec.chart.spec.chart`: the chart name (or path, for Git sources).
    #[serde(default)]
    pub chart: Option<String>,
    /// `spec.chart.spec.version`: the pin.
    #[serde(default)]
    pub version: Option<String>,
}

/// `spec.chartRef`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ChartRef {
    /// `kind` (`OCIRepository` or `HelmChart`).
    #[serde(default)]
    pub kind: Option<String>,
    /// `name`.
    #[serde(default)]
    pub name: Option<String>,
}

impl HelmRelease {
    /// `spec.chart.spec`, if present.
    pub fn chart_spec(&self) -> Option<&ChartTemplateSpec> {
        self.spec.as_ref()?.chart.as_ref()?.spec.as_ref()
    }

    /// True if the chart comes from `spec.chartRef`, whose version lives in the
    /// referenced source (the core's CG004 skips these too).
    pub fn uses_chart_ref(&self) -> bool {
        self.spec.as_ref().is_some_and(|s| s.chart_ref.is_some())
    }
}

/// A Flux Kustomization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Kustomization {
    /// Object metadata.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: Meta,
    /// `spec`.
    #[serde(default)]
    pub spec: Option<KustomizationSpec>,
}

/// `Kustomization.spec`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct KustomizationSpec {
    /// `spec.decryption`.
    #[serde(default)]
    pub decryption: Option<Decryption>,
}

/// `spec.decryption`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Decryption {
    /// `spec.decryption.provider`.
    #[serde(default)]
    pub provider: Option<String>,
}

impl Kustomization {
    /// `spec.decryption.provider`, if set.
    pub fn decryption_provider(&self) -> Option<&str> {
        self.spec.as_ref()?.decryption.as_ref()?.provider.as_deref()
    }
}

/// A Catalyst Blueprint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Blueprint {
    /// Object metadata.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: Meta,
    /// `spec`.
    #[serde(default)]
    pub spec: Option<BlueprintSpec>,
}

/// `Blueprint.spec`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct BlueprintSpec {
    /// `spec.version`.
    #[serde(default)]
    pub version: Option<String>,
}

impl Blueprint {
    /// `spec.version`, if set.
    pub fn version(&self) -> Option<&str> {
        self.spec.as_ref()?.version.as_deref()
    }
}

/// One admitted object, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    /// A GitRepository.
    GitRepository(GitRepository),
    /// A HelmRelease.
    HelmRelease(HelmRelease),
    /// A Kustomization.
    Kustomization(Kustomization),
    /// A Blueprint.
    Blueprint(Blueprint),
}

impl Object {
    /// Deserialises `json` as an object of `kind`. On failure the error names the path
    /// of the offending field (`spec.url: invalid type: ...`).
    pub fn from_json(kind: Kind, json: &str) -> Result<Self, String> {
        fn typed<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, String> {
            let de = &mut serde_json::Deserializer::from_str(json);
            serde_path_to_error::deserialize(de).map_err(|e| {
                let (path, message) = error_path(e);
                if path.is_empty() {
                    message
                } else {
                    format!("`{path}`: {message}")
                }
            })
        }
        Ok(match kind {
            Kind::GitRepository => Self::GitRepository(typed(json)?),
            Kind::HelmRelease => Self::HelmRelease(typed(json)?),
            Kind::Kustomization => Self::Kustomization(typed(json)?),
            Kind::Blueprint => Self::Blueprint(typed(json)?),
        })
    }

    /// The object's metadata.
    pub fn meta(&self) -> &Meta {
        match self {
            Self::GitRepository(o) => &o.metadata,
            Self::HelmRelease(o) => &o.metadata,
            Self::Kustomization(o) => &o.metadata,
            Self::Blueprint(o) => &o.metadata,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flux_version_of_a_known_group_is_recognised_and_others_are_not() {
        assert_eq!(
            Kind::of("helm.toolkit.fluxcd.io", "HelmRelease"),
            Some(Kind::HelmRelease)
        );
        assert_eq!(
            Kind::of("source.toolkit.fluxcd.io", "GitRepository"),
            Some(Kind::GitRepository)
        );
        assert_eq!(Kind::of("source.toolkit.fluxcd.io", "HelmRepository"), None);
        assert_eq!(Kind::of("kustomize.config.k8s.io", "Kustomization"), None);
        assert_eq!(Kind::of("", "Pod"), None);
    }

    #[test]
    fn unread_fields_are_ignored_and_wrong_types_name_their_path() {
        let json = r#"{"apiVersion":"helm.toolkit.fluxcd.io/v2","kind":"HelmRelease",
            "metadata":{"name":"x","namespace":"flux-system","managedFields":[{"x":1}]},
            "spec":{"interval":"5m","chart":{"spec":{"chart":"bp-x","version":"1.2.3"}}},
            "status":{"history":[]}}"#;
        let Ok(Object::HelmRelease(hr)) = Object::from_json(Kind::HelmRelease, json) else {
            panic!("not a HelmRelease");
        };
        assert_eq!(
            hr.chart_spec().and_then(|c| c.version.as_deref()),
            Some("1.2.3")
        );
        let err = Object::from_json(
            Kind::HelmRelease,
            r#"{"spec":{"chart":{"spec":{"version":5}}}}"#,
        )
        .unwrap_err();
        assert!(
            err.starts_with("`spec.chart.spec.version`: invalid type"),
            "{err}"
        );
    }

    #[test]
    fn explicit_nulls_read_as_absent() {
        let Ok(Object::GitRepository(repo)) =
            Object::from_json(Kind::GitRepository, r#"{"metadata":null,"spec":null}"#)
        else {
            panic!("not a GitRepository");
        };
        assert_eq!(repo.url(), None);
    }
}
