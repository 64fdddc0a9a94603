//! Recovery configuration: thresholds, the strategy per detection branch, scope and
//! annotation keys. Read from the CronJob's ConfigMap as YAML (errors carry line and
//! column), or passed as JSON to the plugin.
//!
//! ```yaml
//! stuckThreshold: 5m            # Go-style duration: 90s, 5m, 1h30m
//! maxActions: 10                # guardrail: more candidates than this -> act on none
//! strategies:
//!   stuckStatusLost: status-patch          # branch B: status-patch | suspend-toggle | force-reconcile
//!   stuckAfterLeaderLoss: suspend-toggle   # branch A
//! suspendPause: 5s              # the one pause between suspending all and resuming all
//! activeDeadlineSeconds: 100    # the Job's deadline (deploy/cronjob.yaml): the pause must fit
//! helmController:
//!   version: ""                 # empty: read from the helm-controller Deployment's image tag
//! namespaces:
//!   include: []                 # empty: every namespace
//!   exclude: [kube-system]
//! labelSelector: ""             # equality terms: a=b,c!=d,e,!f
//! annotations:
//!   correctedAt: stuck-hr-recovery.openova.io/auto-corrected-at
//!   correctedRevision: stuck-hr-recovery.openova.io/auto-corrected-revision
//!   suspendedBy: stuck-hr-recovery.openova.io/suspended-at
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::time::{format_duration, parse_duration};
use crate::yaml::config::{ConfigError, err, list, map, string};
use crate::yaml::{self, Node, Pos};

/// How a stuck HelmRelease is nudged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Annotate (audit trail, idempotency), then patch `status` Ready=True; roll the
    /// annotation back if the status patch fails.
    StatusPatch,
    /// `spec.suspend=true`, pause, `spec.suspend=false`.
    SuspendToggle,
    /// `reconcile.fluxcd.io/requestedAt` + `forceAt` (what `flux reconcile hr --force` does).
    ForceReconcile,
    /// `reconcile.fluxcd.io/requestedAt` alone (what `flux reconcile hr` does): enough on
    /// helm-controller v1.5.0 and later, which re-evaluates conditions of an in-sync release.
    ReconcileRequest,
}

impl Strategy {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StatusPatch => "status-patch",
            Self::SuspendToggle => "suspend-toggle",
            Self::ForceReconcile => "force-reconcile",
            Self::ReconcileRequest => "reconcile-request",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Self::StatusPatch,
            Self::SuspendToggle,
            Self::ForceReconcile,
            Self::ReconcileRequest,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// Annotation keys the engine reads and writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnnotationKeys {
    /// RFC 3339 time of the last correction (audit trail).
    pub corrected_at: String,
    /// The release revision that correction was for (idempotency key).
    pub corrected_revision: String,
    /// Set while a suspend toggle is in flight, so an interrupted toggle is resumed and
    /// an operator's own suspend is never undone.
    pub suspended_by: String,
}

impl AnnotationKeys {
    /// (config key, annotation key) of every role, in config order.
    pub fn roles(&self) -> [(&'static str, &str); 3] {
        [
            ("correctedAt", self.corrected_at.as_str()),
            ("correctedRevision", self.corrected_revision.as_str()),
            ("suspendedBy", self.suspended_by.as_str()),
        ]
    }
}

impl Default for AnnotationKeys {
    fn default() -> Self {
        Self {
            corrected_at: "stuck-hr-recovery.openova.io/auto-corrected-at".to_string(),
            corrected_revision: "stuck-hr-recovery.openova.io/auto-corrected-revision".to_string(),
            suspended_by: "stuck-hr-recovery.openova.io/suspended-at".to_string(),
        }
    }
}

/// Everything `decide` needs besides the snapshot and the time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RecoveryConfig {
    /// Ready=Unknown for longer than this counts as stuck.
    pub stuck_threshold_seconds: u64,
    /// More candidates than this in one run: act on none.
    pub max_actions: usize,
    /// Strategy for branch B (deployed history, Ready=Unknown).
    pub status_lost_strategy: Strategy,
    /// Strategy for branch A (deployed storage, Ready=Unknown).
    pub leader_loss_strategy: Strategy,
    /// Pause between suspend and resume.
    pub suspend_pause_seconds: u64,
    /// Namespaces to consider (empty: all).
    pub include_namespaces: Vec<String>,
    /// Namespaces never to touch.
    pub exclude_namespaces: Vec<String>,
    /// Equality-based label selector (`a=b,c!=d,e,!f`), also sent to the API server.
    pub label_selector: String,
    /// Annotation keys.
    pub annotations: AnnotationKeys,
    /// The Job's `activeDeadlineSeconds`: the planned pause must finish well within it.
    pub active_deadline_seconds: u64,
    /// helm-controller's version (`v1.5.0`), when known: it picks the strategy (see
    /// [`crate::recovery::controller`]). The host reads it from the Deployment's image
    /// tag unless configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helm_controller_version: Option<String>,
}

/// The shipped CronJob's `activeDeadlineSeconds` (deploy/cronjob.yaml).
pub const DEFAULT_ACTIVE_DEADLINE_SECONDS: u64 = 100;

/// Time a run needs besides the pause (listing, writes, Events), kept free under the
/// Job's deadline.
pub const RUN_BUDGET_SECONDS: u64 = 30;

impl Default for RecoveryConfig {
    fn default() -> Self {
        Self {
            stuck_threshold_seconds: 300,
            max_actions: 10,
            status_lost_strategy: Strategy::StatusPatch,
            leader_loss_strategy: Strategy::SuspendToggle,
            suspend_pause_seconds: 5,
            include_namespaces: Vec::new(),
            exclude_namespaces: Vec::new(),
            label_selector: String::new(),
            annotations: AnnotationKeys::default(),
            active_deadline_seconds: DEFAULT_ACTIVE_DEADLINE_SECONDS,
            helm_controller_version: None,
        }
    }
}

fn scalar<'a>(node: Node<'a>, field: &str) -> Result<&'a str, ConfigError> {
    node.scalar()
        .filter(|_| !node.is_map() && !node.is_seq())
        .ok_or_else(|| err(field, node.pos(), "expected a single value"))
}

fn strings(node: Node<'_>, field: &str) -> Result<Vec<String>, ConfigError> {
    list(node, field)?
        .into_iter()
        .map(|i| string(i, field))
        .collect()
}

fn unknown(field: &str, pos: Pos, expected: &str) -> ConfigError {
    err(field, pos, format!("unknown key (expected {expected})"))
}

impl RecoveryConfig {
    /// Parses the ConfigMap YAML.
    pub fn parse_yaml(text: &str) -> Result<Self, ConfigError> {
        let parsed = yaml::parse(text);
        if let Some(e) = parsed.error {
            return Err(err("(file)", e.pos, format!("invalid YAML: {}", e.message)));
        }
        let mut c = Self::default();
        let Some(root) = parsed.documents.first().and_then(|d| d.root()) else {
            return Ok(c);
        };
        let mut deadline_pos = None;
        let mut pause_pos = None;
        for (key, value) in map(root, "(root)")? {
            let name = key.scalar().unwrap_or_default();
            match name {
                "stuckThreshold" => {
                    let s = scalar(value, name)?;
                    c.stuck_threshold_seconds = match parse_duration(s) {
                        Some(0) | None => {
                            return Err(err(
                                name,
                                value.pos(),
                                format!(
                                    "`{s}` is not a positive duration such as `5m`, `90s` or `1h30m`"
                                ),
                            ));
                        }
                        Some(n) => n,
                    };
                }
                "suspendPause" => {
                    let s = scalar(value, name)?;
                    pause_pos = Some(value.pos());
                    c.suspend_pause_seconds =
                        parse_duration(s).filter(|n| *n <= 300).ok_or_else(|| {
                            err(
                                name,
                                value.pos(),
                                format!("`{s}` is not a duration between `0s` and `5m`"),
                            )
                        })?;
                }
                "maxActions" => {
                    let s = scalar(value, name)?;
                    c.max_actions = s.parse().map_err(|_| {
                        err(
                            name,
                            value.pos(),
                            format!("`{s}` is not a non-negative integer"),
                        )
                    })?;
                }
                "strategies" => {
                    for (k, v) in map(value, name)? {
                        let sub = k.scalar().unwrap_or_default();
                        let field = format!("strategies.{sub}");
                        let s = scalar(v, &field)?;
                        let strategy = Strategy::parse(s).ok_or_else(|| {
                            err(&field, v.pos(), format!("`{s}` is not one of status-patch, suspend-toggle, force-reconcile, reconcile-request"))
                        })?;
                        match sub {
                            "stuckStatusLost" => c.status_lost_strategy = strategy,
                            "stuckAfterLeaderLoss" => c.leader_loss_strategy = strategy,
                            _ => {
                                return Err(unknown(
                                    &field,
                                    k.pos(),
                                    "stuckStatusLost, stuckAfterLeaderLoss",
                                ));
                            }
                        }
                    }
                }
                "namespaces" => {
                    for (k, v) in map(value, name)? {
                        let sub = k.scalar().unwrap_or_default();
                        let field = format!("namespaces.{sub}");
                        match sub {
                            "include" => c.include_namespaces = strings(v, &field)?,
                            "exclude" => c.exclude_namespaces = strings(v, &field)?,
                            _ => return Err(unknown(&field, k.pos(), "include, exclude")),
                        }
                    }
                }
                "labelSelector" => {
                    let s = if value.is_null() {
                        ""
                    } else {
                        scalar(value, name)?
                    };
                    parse_selector(s).map_err(|m| err(name, value.pos(), m))?;
                    c.label_selector = s.to_string();
                }
                "activeDeadlineSeconds" => {
                    let s = scalar(value, name)?;
                    c.active_deadline_seconds =
                        s.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                            err(
                                name,
                                value.pos(),
                                format!("`{s}` is not a positive integer"),
                            )
                        })?;
                    deadline_pos = Some(value.pos());
                }
                "helmController" => {
                    for (k, v) in map(value, name)? {
                        let sub = k.scalar().unwrap_or_default();
                        let field = format!("helmController.{sub}");
                        if sub != "version" {
                            return Err(unknown(&field, k.pos(), "version"));
                        }
                        let s = if v.is_null() { "" } else { scalar(v, &field)? };
                        if s.is_empty() {
                            c.helm_controller_version = None;
                            continue;
                        }
                        if super::controller::parse_version(s).is_none() {
                            return Err(err(
                                &field,
                                v.pos(),
                                format!("`{s}` is not a version such as `v1.5.0`"),
                            ));
                        }
                        c.helm_controller_version = Some(s.to_string());
                    }
                }
                "annotations" => {
                    let mut set_at = Vec::new();
                    for (k, v) in map(value, name)? {
                        let sub = k.scalar().unwrap_or_default();
                        let field = format!("annotations.{sub}");
                        let s = scalar(v, &field)?;
                        if !is_annotation_key(s) {
                            return Err(err(
                                &field,
                                v.pos(),
                                format!("`{s}` is not a valid annotation key"),
                            ));
                        }
                        set_at.push((field.clone(), v.pos()));
                        match sub {
                            "correctedAt" => c.annotations.corrected_at = s.to_string(),
                            "correctedRevision" => c.annotations.corrected_revision = s.to_string(),
                            "suspendedBy" => c.annotations.suspended_by = s.to_string(),
                            _ => {
                                return Err(unknown(
                                    &field,
                                    k.pos(),
                                    "correctedAt, correctedRevision, suspendedBy",
                                ));
                            }
                        }
                    }
                    // Two roles sharing one key would make the idempotency guard and
                    // the in-flight marker overwrite each other.
                    let roles = c.annotations.roles();
                    for (field, pos) in set_at.into_iter().rev() {
                        let role = field.trim_start_matches("annotations.");
                        let key = roles.iter().find(|(r, _)| *r == role).map(|(_, k)| *k);
                        if let Some((other, k)) =
                            roles.iter().find(|(r, k)| *r != role && Some(*k) == key)
                        {
                            return Err(err(
                                &field,
                                pos,
                                format!(
                                    "`{k}` is also the key of `annotations.{other}`\nhelp: give each annotation its own key"
                                ),
                            ));
                        }
                    }
                }
                _ => {
                    return Err(unknown(
                        name,
                        key.pos(),
                        "stuckThreshold, maxActions, strategies, suspendPause, activeDeadlineSeconds, helmController, namespaces, labelSelector, annotations",
                    ));
                }
            }
        }
        if let Err(message) = c.check_deadline() {
            let (field, pos) = match (pause_pos, deadline_pos) {
                (Some(p), _) => ("suspendPause", p),
                (None, Some(p)) => ("activeDeadlineSeconds", p),
                (None, None) => ("suspendPause", root.pos()),
            };
            return Err(err(field, pos, message));
        }
        Ok(c)
    }

    /// Suspend toggles suspend every candidate, pause once, and resume every one: the
    /// one pause plus [`RUN_BUDGET_SECONDS`] must fit in the Job's deadline, or the Job
    /// is killed with HelmReleases left suspended.
    fn check_deadline(&self) -> Result<(), String> {
        let needed = self
            .suspend_pause_seconds
            .saturating_add(RUN_BUDGET_SECONDS);
        if needed > self.active_deadline_seconds {
            return Err(format!(
                "a `{}` pause plus {RUN_BUDGET_SECONDS}s for the API calls does not fit in `activeDeadlineSeconds` `{}`\nhelp: shorten `suspendPause` or raise the Job's `activeDeadlineSeconds` (and this key) together",
                format_duration(self.suspend_pause_seconds),
                self.active_deadline_seconds
            ));
        }
        Ok(())
    }

    /// Reads the JSON form (the plugin's input), validating like the YAML form.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let c: Self = serde_json::from_str(text).map_err(|e| format!("recovery config: {e}"))?;
        if c.stuck_threshold_seconds == 0 {
            return Err("recovery config: `stuckThresholdSeconds` must be positive".to_string());
        }
        parse_selector(&c.label_selector)
            .map_err(|m| format!("recovery config: `labelSelector`: {m}"))?;
        c.check_deadline()
            .map_err(|m| format!("recovery config: `suspendPauseSeconds`: {m}"))?;
        let roles = c.annotations.roles();
        for (i, (role, key)) in roles.iter().enumerate() {
            if roles.iter().skip(i + 1).any(|(_, k)| k == key) {
                return Err(format!(
                    "recovery config: `annotations.{role}`: `{key}` is used for two annotations"
                ));
            }
        }
        if let Some(v) = &c.helm_controller_version
            && super::controller::parse_version(v).is_none()
        {
            return Err(format!(
                "recovery config: `helmControllerVersion`: `{v}` is not a version such as `v1.5.0`"
            ));
        }
        Ok(c)
    }

    /// The threshold as a Go-style duration, for messages.
    pub fn threshold_text(&self) -> String {
        format_duration(self.stuck_threshold_seconds)
    }

    /// True if the namespace is in scope.
    pub fn namespace_in_scope(&self, ns: &str) -> bool {
        (self.include_namespaces.is_empty() || self.include_namespaces.iter().any(|n| n == ns))
            && !self.exclude_namespaces.iter().any(|n| n == ns)
    }

    /// True if the labels match the configured selector.
    pub fn labels_match(&self, labels: &BTreeMap<String, String>) -> bool {
        parse_selector(&self.label_selector)
            .is_ok_and(|terms| terms.iter().all(|t| t.matches(labels)))
    }
}

fn is_annotation_key(s: &str) -> bool {
    let name = s.rsplit_once('/').map_or(s, |(_, n)| n);
    !name.is_empty()
        && name.len() <= 63
        && s.len() <= 316
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
}

/// One equality-based selector term.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Eq(String, String),
    NotEq(String, String),
    Exists(String),
    NotExists(String),
}

impl Term {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Self::Eq(k, v) => labels.get(k) == Some(v),
            Self::NotEq(k, v) => labels.get(k) != Some(v),
            Self::Exists(k) => labels.contains_key(k),
            Self::NotExists(k) => !labels.contains_key(k),
        }
    }
}

fn parse_selector(s: &str) -> Result<Vec<Term>, String> {
    let valid = |k: &str| {
        !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
    };
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            let term = if let Some((k, v)) = t.split_once("!=") {
                Term::NotEq(k.trim().to_string(), v.trim().to_string())
            } else if let Some((k, v)) = t.split_once("==").or_else(|| t.split_once('=')) {
                Term::Eq(k.trim().to_string(), v.trim().to_string())
            } else if let Some(k) = t.strip_prefix('!') {
                Term::NotExists(k.trim().to_string())
            } else {
                Term::Exists(t.to_string())
            };
            let key = match &term {
                Term::Eq(k, _) | Term::NotEq(k, _) | Term::Exists(k) | Term::NotExists(k) => k,
            };
            if valid(key) {
                Ok(term)
            } else {
                Err(format!("`{t}` is not an equality-based selector term"))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let c = RecoveryConfig::parse_yaml(
            "stuckThreshold: 1h30m\nmaxActions: 3\nstrategies:\n  stuckStatusLost: force-reconcile\n  stuckAfterLeaderLoss: status-patch\nsuspendPause: 10s\nnamespaces:\n  include: [apps]\n  exclude: [kube-system]\nlabelSelector: team=platform,!skip\nannotations:\n  correctedAt: example.io/at\n",
        )
        .unwrap();
        assert_eq!(c.stuck_threshold_seconds, 5400);
        assert_eq!(c.max_actions, 3);
        assert_eq!(c.status_lost_strategy, Strategy::ForceReconcile);
        assert_eq!(c.leader_loss_strategy, Strategy::StatusPatch);
        assert_eq!(c.suspend_pause_seconds, 10);
        assert!(c.namespace_in_scope("apps") && !c.namespace_in_scope("web"));
        assert_eq!(c.annotations.corrected_at, "example.io/at");
        let mut labels = BTreeMap::new();
        labels.insert("team".to_string(), "platform".to_string());
        assert!(c.labels_match(&labels));
        labels.insert("skip".to_string(), String::new());
        assert!(!c.labels_match(&labels));
        assert_eq!(
            RecoveryConfig::parse_yaml("").unwrap(),
            RecoveryConfig::default()
        );
    }

    #[test]
    fn bad_values_name_the_field_and_position() {
        let e = RecoveryConfig::parse_yaml("stuckThreshold: 5 minutes\n").unwrap_err();
        assert_eq!((e.field.as_str(), e.line, e.col), ("stuckThreshold", 1, 17));
        assert!(e.message.contains("`5 minutes`"), "{e}");
        let e = RecoveryConfig::parse_yaml("stuckThreshold: 0s\n").unwrap_err();
        assert_eq!(e.field, "stuckThreshold");
        let e = RecoveryConfig::parse_yaml("maxActions: -1\n").unwrap_err();
        assert_eq!(e.field, "maxActions");
        let e = RecoveryConfig::parse_yaml("strategies:\n  stuckStatusLost: reboot\n").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.line),
            ("strategies.stuckStatusLost", 2)
        );
        let e = RecoveryConfig::parse_yaml("threshold: 5m\n").unwrap_err();
        assert!(e.message.starts_with("unknown key"));
        let e = RecoveryConfig::parse_yaml("labelSelector: 'a in (b)'\n").unwrap_err();
        assert_eq!(e.field, "labelSelector");
        let e =
            RecoveryConfig::parse_yaml("annotations:\n  correctedAt: 'not a key'\n").unwrap_err();
        assert_eq!(e.field, "annotations.correctedAt");
    }

    #[test]
    fn annotation_keys_must_be_distinct() {
        let e = RecoveryConfig::parse_yaml(
            "annotations:\n  correctedAt: example.io/x\n  correctedRevision: example.io/x\n",
        )
        .unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.line, e.col),
            ("annotations.correctedRevision", 3, 22)
        );
        assert!(e.message.contains("`example.io/x`"), "{e}");
        // Swapping two keys is fine: only the end result counts.
        RecoveryConfig::parse_yaml(
            "annotations:\n  correctedRevision: stuck-hr-recovery.openova.io/auto-corrected-at\n  correctedAt: example.io/at\n",
        )
        .unwrap();
        let mut c = RecoveryConfig::default();
        c.annotations.suspended_by = c.annotations.corrected_at.clone();
        let json = serde_json::to_string(&c).unwrap();
        assert!(RecoveryConfig::from_json(&json).is_err());
    }

    #[test]
    fn the_pause_must_fit_in_the_jobs_deadline() {
        let e = RecoveryConfig::parse_yaml("suspendPause: 80s\n").unwrap_err();
        assert_eq!((e.field.as_str(), e.line), ("suspendPause", 1));
        assert!(e.message.contains("`activeDeadlineSeconds` `100`"), "{e}");
        let c =
            RecoveryConfig::parse_yaml("suspendPause: 80s\nactiveDeadlineSeconds: 200\n").unwrap();
        assert_eq!(c.active_deadline_seconds, 200);
        RecoveryConfig::parse_yaml("suspendPause: 70s\n").unwrap();
        let e = RecoveryConfig::parse_yaml("activeDeadlineSeconds: 20\n").unwrap_err();
        assert_eq!(e.field, "activeDeadlineSeconds");
    }

    #[test]
    fn the_helm_controller_version_is_checked() {
        let c = RecoveryConfig::parse_yaml("helmController:\n  version: v1.5.0\n").unwrap();
        assert_eq!(c.helm_controller_version.as_deref(), Some("v1.5.0"));
        let c = RecoveryConfig::parse_yaml("helmController:\n  version: \"\"\n").unwrap();
        assert_eq!(c.helm_controller_version, None);
        let e = RecoveryConfig::parse_yaml("helmController:\n  version: latest\n").unwrap_err();
        assert_eq!((e.field.as_str(), e.line), ("helmController.version", 2));
    }

    #[test]
    fn json_form_round_trips() {
        let c = RecoveryConfig::default();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(RecoveryConfig::from_json(&json).unwrap(), c);
        assert!(RecoveryConfig::from_json(r#"{"stuckThresholdSeconds":0}"#).is_err());
        assert_eq!(RecoveryConfig::from_json("{}").unwrap(), c);
    }
}
