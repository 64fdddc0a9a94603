//! Decoding an admission request: the Kubewarden envelope, the settings it carries,
//! the operation, the kind and the object. Whatever cannot be read is a rejection
//! saying what was wrong; whatever needs no check (a deletion, a subresource write, an
//! exempt namespace) is accepted here, before any rule runs.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::response::{CODE_MALFORMED, CODE_SETTINGS, clip_error};
use crate::objects::{Kind, Object};
use crate::rules::clip;
use crate::settings::{Config, Settings};

/// A request the rules must judge.
pub struct Admission<'a> {
    /// The settings it carries (the defaults if none).
    pub cfg: Config,
    /// `UPDATE` (else `CREATE`).
    pub update: bool,
    /// The object's kind.
    pub kind: Kind,
    /// The object.
    pub object: Object,
    /// The object before an UPDATE, unparsed (read only if the new one breaks a rule).
    pub old_object: Option<&'a RawValue>,
    /// The object's namespace, else the request's; never empty.
    pub namespace: Option<String>,
    /// The object's name, else the request's; never empty.
    pub name: Option<String>,
}

impl Admission<'_> {
    /// The object as it was before an UPDATE, if it can be read; `None` on CREATE.
    pub fn old(&self) -> Option<Object> {
        if !self.update {
            return None;
        }
        self.old_object
            .filter(|o| o.get() != "null")
            .and_then(|o| Object::from_json(self.kind, o.get()).ok())
    }
}

/// The answer to a request, given before any rule runs.
#[derive(Debug, PartialEq, Eq)]
pub enum Early {
    /// Nothing to check: admit.
    Accept,
    /// Cannot be read, or carries unusable settings: reject with this status and
    /// message.
    Reject(u16, String),
}

/// Reads `payload`. `Err` is the answer already: a rejection of what cannot be read,
/// or the acceptance of what needs no check.
pub fn read(payload: &[u8]) -> Result<Admission<'_>, Early> {
    let de = &mut serde_json::Deserializer::from_slice(payload);
    let envelope: Envelope<'_> = serde_path_to_error::deserialize(de).map_err(|e| {
        Early::Reject(
            CODE_MALFORMED,
            format!("cannot read the admission request: {}", describe(e)),
        )
    })?;
    let cfg = match envelope.settings {
        None => Config::default(),
        Some(raw) => Settings::parse(raw.get().as_bytes()).map_err(|e| {
            Early::Reject(
                CODE_SETTINGS,
                format!(
                    "the policy's settings are invalid: {}",
                    clip_error(&e.to_string())
                ),
            )
        })?,
    };
    let req = envelope.request;
    let update = match req.operation.as_str() {
        "CREATE" => false,
        "UPDATE" => true,
        // Nothing to check on a deletion or a connect; the shipped rules never send them.
        "DELETE" | "CONNECT" => return Err(Early::Accept),
        other => {
            return Err(Early::Reject(
                CODE_MALFORMED,
                format!(
                    "cannot read the admission request: `request.operation` is `{}`, expected CREATE or UPDATE",
                    clip(other)
                ),
            ));
        }
    };
    if req.sub_resource.as_deref().is_some_and(|s| !s.is_empty()) {
        // A status (or other subresource) write cannot change what the rules read.
        return Err(Early::Accept);
    }
    let Some(object) = req.object.filter(|o| o.get() != "null") else {
        return Err(Early::Reject(
            CODE_MALFORMED,
            "cannot read the admission request: `request.object` is missing".to_string(),
        ));
    };
    let (group, kind_name) = if req.kind.kind.is_empty() {
        match serde_json::from_str::<TypeMeta>(object.get()) {
            Ok(t) => (
                t.api_version
                    .rsplit_once('/')
                    .map(|(g, _)| g.to_string())
                    .unwrap_or_default(),
                t.kind,
            ),
            Err(_) => (String::new(), String::new()),
        }
    } else {
        (req.kind.group.clone(), req.kind.kind.clone())
    };
    let Some(kind) = Kind::of(&group, &kind_name) else {
        let gvk = match (group.as_str(), req.kind.version.as_str()) {
            ("", "") => kind_name.clone(),
            ("", v) => format!("{v}/{kind_name}"),
            (g, "") => format!("{g}/{kind_name}"),
            (g, v) => format!("{g}/{v}/{kind_name}"),
        };
        return Err(Early::Reject(
            CODE_MALFORMED,
            format!(
                "unexpected kind `{}`: this policy validates Flux GitRepository, HelmRelease and Kustomization objects and Catalyst Blueprints",
                clip(&gvk)
            ),
        ));
    };
    let new = Object::from_json(kind, object.get()).map_err(|e| {
        Early::Reject(
            CODE_MALFORMED,
            format!(
                "cannot read the {} in `request.object`: {}",
                kind.name(),
                clip(&e)
            ),
        )
    })?;
    let namespace = new
        .meta()
        .namespace
        .clone()
        .or(req.namespace)
        .filter(|n| !n.is_empty());
    if let Some(ns) = &namespace
        && cfg.is_exempt(ns)
    {
        return Err(Early::Accept);
    }
    let name = new
        .meta()
        .name
        .clone()
        .or(req.name)
        .filter(|n| !n.is_empty());
    Ok(Admission {
        cfg,
        update,
        kind,
        object: new,
        old_object: req.old_object,
        namespace,
        name,
    })
}

/// The Kubewarden `ValidationRequest` envelope, borrowing the objects unparsed.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    settings: Option<&'a RawValue>,
    #[serde(borrow)]
    request: Request<'a>,
}

/// The parts of Kubernetes' AdmissionRequest the policy reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    #[serde(default)]
    kind: GroupVersionKind,
    #[serde(default)]
    operation: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    sub_resource: Option<String>,
    #[serde(borrow, default)]
    object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    old_object: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct GroupVersionKind {
    #[serde(default)]
    group: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    kind: String,
}

/// `apiVersion` and `kind` of an object, used when the request's `kind` is empty.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypeMeta {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
}

/// Describes a serde error without the payload: position for syntax errors, path for
/// type errors. serde's type errors quote the offending value, so clip it.
fn describe(err: serde_path_to_error::Error<serde_json::Error>) -> String {
    let (path, message) = crate::objects::error_path(err);
    let message = clip(&message);
    if path.is_empty() {
        message
    } else {
        format!("`{path}`: {message}")
    }
}
