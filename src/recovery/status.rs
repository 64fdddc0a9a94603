//! The status patch of branch B: what helm-controller's lost final status write would
//! have said, written so that Flux counts the HelmRelease as done.
//!
//! Two readers must accept the result:
//! - helm-controller's `dependsOn` check (`checkDependencies`): a dependency is ready
//!   only when `metadata.generation == status.observedGeneration` and Ready=True;
//! - kstatus (Kustomization health checks, `flux ... --wait`): Current only when
//!   `observedGeneration == generation`, Ready=True, and no `Reconciling` or `Stalled`
//!   condition is True.
//!
//! So the patch sets Ready=True (the seed's reason and message), `Released=True` (the
//! history[0] release is deployed), drops `Reconciling` and `Stalled`, and sets
//! `status.observedGeneration` to the generation the release was deployed for. A merge
//! patch replaces the whole `conditions` list, so the full list is written, and every
//! condition in it must pass the API server's `metav1.Condition` validation or the
//! whole patch is rejected (422).

use super::snapshot::{Condition, HelmReleaseObs, HistoryEntry};
use super::time::parse_rfc3339;

/// The Ready reason written by the status patch (helm-controller's
/// `ReconciliationSucceededReason`).
pub const CORRECTED_REASON: &str = "ReconciliationSucceeded";
/// The Ready message written by the status patch (the seed's wording).
pub const CORRECTED_MESSAGE: &str =
    "auto-corrected from deployed-but-unknown-Ready by stuck-hr-recovery";
/// Longest `reason` metav1.Condition accepts.
pub const MAX_REASON: usize = 1024;
/// Longest `message` metav1.Condition accepts.
pub const MAX_MESSAGE: usize = 32_768;
/// Longest `type` metav1.Condition accepts.
pub const MAX_TYPE: usize = 316;

/// Conditions the patch replaces (Ready) or drops; `Released` is replaced when
/// history[0] is deployed; every other condition is kept.
const DROPPED: [&str; 3] = ["Ready", "Reconciling", "Stalled"];

/// The full new `status.conditions` (`observedGeneration` travels beside it in the op).
/// `Released=True` is written only when `release` (history[0]) is deployed; otherwise
/// (branch A, where only storage says deployed) the existing `Released` is kept.
pub fn corrected_status(
    hr: &HelmReleaseObs,
    release: Option<&HistoryEntry>,
    deployed_generation: i64,
    now: &str,
) -> Vec<Condition> {
    let since = |type_: &str| {
        // A condition whose status does not change keeps its transition time.
        hr.conditions
            .iter()
            .find(|c| c.type_ == type_ && c.status == "True")
            .and_then(|c| c.last_transition_time.clone())
            .filter(|t| parse_rfc3339(t).is_some())
            .unwrap_or_else(|| now.to_string())
    };
    let mut out = vec![Condition {
        type_: "Ready".to_string(),
        status: "True".to_string(),
        reason: Some(CORRECTED_REASON.to_string()),
        message: Some(CORRECTED_MESSAGE.to_string()),
        last_transition_time: Some(now.to_string()),
        observed_generation: Some(deployed_generation),
    }];
    let deployed = release.filter(|r| r.status.as_deref() == Some("deployed"));
    if let Some(release) = deployed {
        let action = released_action(hr, release);
        out.push(Condition {
            type_: "Released".to_string(),
            status: "True".to_string(),
            reason: Some(action.reason().to_string()),
            message: Some(cut(&released_message(action, release), MAX_MESSAGE)),
            last_transition_time: Some(since("Released")),
            observed_generation: Some(deployed_generation),
        });
    }
    out.extend(
        hr.conditions
            .iter()
            .filter(|c| {
                let replaced = c.type_ == "Released" && deployed.is_some();
                !(DROPPED.contains(&c.type_.as_str()) || replaced)
            })
            .filter_map(|c| repaired(c, now)),
    );
    out
}

/// install or upgrade, as helm-controller names the Released reason.
#[derive(Clone, Copy)]
enum ReleaseAction {
    Install,
    Upgrade,
}

impl ReleaseAction {
    fn reason(self) -> &'static str {
        match self {
            Self::Install => "InstallSucceeded",
            Self::Upgrade => "UpgradeSucceeded",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Upgrade => "upgrade",
        }
    }
}

/// helm-controller's wording: `Helm upgrade succeeded for release apps/web.v4 with
/// chart web@1.1.0` (the chart part only where history[0] names it).
fn released_message(action: ReleaseAction, release: &HistoryEntry) -> String {
    let chart = match (
        release.chart_name.as_deref(),
        release.chart_version.as_deref(),
    ) {
        (Some(name), Some(version)) => format!(" with chart {name}@{version}"),
        _ => String::new(),
    };
    format!(
        "Helm {} succeeded for release {}{chart}",
        action.verb(),
        release.full_name()
    )
}

/// `status.lastAttemptedReleaseAction`, else revision 1 is an install.
fn released_action(hr: &HelmReleaseObs, release: &HistoryEntry) -> ReleaseAction {
    match hr.last_attempted_release_action.as_deref() {
        Some("install") => ReleaseAction::Install,
        Some("upgrade") => ReleaseAction::Upgrade,
        _ if release.version == Some(1) => ReleaseAction::Install,
        _ => ReleaseAction::Upgrade,
    }
}

/// A kept condition made valid where that is safe (an empty message, a missing
/// transition time), or dropped: one invalid entry would get the whole patch rejected.
fn repaired(c: &Condition, now: &str) -> Option<Condition> {
    let mut c = c.clone();
    if c.message.is_none() {
        c.message = Some(String::new());
    }
    if c.last_transition_time
        .as_deref()
        .is_none_or(|t| parse_rfc3339(t).is_none())
    {
        c.last_transition_time = Some(now.to_string());
    }
    condition_problem(&c).is_none().then_some(c)
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default().to_string()
}

fn reason_ok(r: &str) -> bool {
    // ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$
    let b = r.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    first.is_ascii_alphabetic()
        && (last.is_ascii_alphanumeric() || *last == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b',' | b':'))
}

fn type_ok(t: &str) -> bool {
    // ^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$
    let (prefix, name) = t.rsplit_once('/').map_or((None, t), |(p, n)| (Some(p), n));
    let label = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            && b.first().is_some_and(|c| *c != b'-')
            && b.last().is_some_and(|c| *c != b'-')
    };
    let nb = name.as_bytes();
    t.len() <= MAX_TYPE
        && prefix.is_none_or(|p| p.split('.').all(label))
        && nb.first().is_some_and(u8::is_ascii_alphanumeric)
        && nb.last().is_some_and(u8::is_ascii_alphanumeric)
        && nb
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Why the API server would reject this condition (metav1.Condition's OpenAPI
/// validation), or `None` if it accepts it.
pub fn condition_problem(c: &Condition) -> Option<String> {
    if !type_ok(&c.type_) {
        return Some(format!("`type` `{}` is not a condition type", c.type_));
    }
    if !matches!(c.status.as_str(), "True" | "False" | "Unknown") {
        return Some(format!(
            "`status` `{}` is not True, False or Unknown",
            c.status
        ));
    }
    match c.reason.as_deref() {
        None => return Some("`reason` is missing".to_string()),
        Some(r) if r.len() > MAX_REASON || !reason_ok(r) => {
            return Some(format!(
                "`reason` `{}` does not match `^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$` (max {MAX_REASON})",
                cut(r, 64)
            ));
        }
        Some(_) => {}
    }
    match c.message.as_deref() {
        None => return Some("`message` is missing".to_string()),
        Some(m) if m.len() > MAX_MESSAGE => {
            return Some(format!("`message` is longer than {MAX_MESSAGE} bytes"));
        }
        Some(_) => {}
    }
    if c.last_transition_time
        .as_deref()
        .is_none_or(|t| parse_rfc3339(t).is_none())
    {
        return Some("`lastTransitionTime` is missing or not RFC 3339".to_string());
    }
    if c.observed_generation.is_some_and(|g| g < 0) {
        return Some("`observedGeneration` is negative".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Condition {
        Condition {
            type_: "Ready".to_string(),
            status: "True".to_string(),
            reason: Some("UpgradeSucceeded".to_string()),
            message: Some(String::new()),
            last_transition_time: Some("2026-11-22T12:00:00Z".to_string()),
            observed_generation: Some(2),
        }
    }

    #[test]
    fn condition_validation_follows_metav1_condition() {
        assert_eq!(condition_problem(&valid()), None);
        let with = |f: &dyn Fn(&mut Condition)| {
            let mut c = valid();
            f(&mut c);
            condition_problem(&c)
        };
        assert!(with(&|c| c.reason = Some("Upgrade Succeeded".into())).is_some());
        assert!(with(&|c| c.reason = Some("Trailing:".into())).is_some());
        assert!(with(&|c| c.reason = Some("A_b,c:d".into())).is_none());
        assert!(with(&|c| c.reason = Some("x".repeat(1025))).is_some());
        assert!(with(&|c| c.reason = None).is_some());
        assert!(with(&|c| c.message = None).is_some());
        assert!(with(&|c| c.message = Some("m".repeat(32_769))).is_some());
        assert!(with(&|c| c.last_transition_time = Some("now".into())).is_some());
        assert!(with(&|c| c.status = "true".into()).is_some());
        assert!(with(&|c| c.type_ = "example.io/Ready".into()).is_none());
        assert!(with(&|c| c.type_ = "Ready/".into()).is_some());
        assert!(with(&|c| c.observed_generation = Some(-1)).is_some());
    }

    #[test]
    fn cut_respects_character_boundaries() {
        assert_eq!(cut("héllo", 2), "h");
        assert_eq!(cut("abc", 5), "abc");
    }
}
