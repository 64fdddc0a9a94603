//! What the running helm-controller does by itself, which decides the least invasive
//! effective nudge.
//!
//! helm-controller v1.5.0 re-evaluates the conditions of a release that is already in
//! sync on every reconcile (fluxcd/helm-controller#1409, fixed by #1411). From that
//! version on, a plain reconcile request (`reconcile.fluxcd.io/requestedAt`) turns a
//! deployed-but-Unknown release Ready again, so writing status by hand is unnecessary.
//! Older versions (and an unknown version) keep Ready=Unknown until the next Helm
//! action, which is why the status patch exists.

use serde::{Deserialize, Serialize};

/// The first helm-controller version that re-evaluates conditions of an in-sync release.
pub const REEVALUATES_FROM: (u64, u64, u64) = (1, 5, 0);

/// How the controller treats a release that is already in sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControllerBehaviour {
    /// Before v1.5.0, or the version is unknown: Ready stays Unknown until the next
    /// Helm action, so only a status patch (or a Helm action) clears it.
    KeepsStaleConditions,
    /// v1.5.0 and later: a reconcile request re-evaluates the conditions.
    ReevaluatesConditions,
}

/// Parses `v1.5.0`, `1.5.0`, `v1.5.0-rc.1` or `v1.5` to (major, minor, patch). A
/// pre-release counts as the version before it, so `v1.5.0-rc.1` is below v1.5.0.
pub fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let t = text.trim();
    let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
    let (core, pre) = match t.find(['-', '+']) {
        Some(i) => (t.get(..i).unwrap_or(t), t.get(i..=i) == Some("-")),
        None => (t, false),
    };
    let mut parts = core.split('.');
    let mut num = || -> Option<u64> {
        match parts.next() {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok(),
            Some(_) => None,
            None => Some(0),
        }
    };
    let (major, minor, patch) = (num()?, num()?, num()?);
    if parts.next().is_some() {
        return None;
    }
    if pre {
        // The greatest version below this one, for comparisons only.
        return Some(match (major, minor, patch) {
            (a, b, c) if c > 0 => (a, b, c - 1),
            (a, b, _) if b > 0 => (a, b - 1, u64::MAX),
            (a, _, _) => (a.saturating_sub(1), u64::MAX, u64::MAX),
        });
    }
    Some((major, minor, patch))
}

/// The tag of a container image reference (`ghcr.io/fluxcd/helm-controller:v1.5.0`,
/// optionally `@sha256:...`), if it has one.
pub fn image_tag(image: &str) -> Option<&str> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split_once(':')
        .map(|(_, tag)| tag)
        .filter(|t| !t.is_empty())
}

/// The behaviour of the given version; unknown or unparsable is the older behaviour
/// (the status patch stays available).
pub fn behaviour(version: Option<&str>) -> ControllerBehaviour {
    match version.and_then(parse_version) {
        Some(v) if v >= REEVALUATES_FROM => ControllerBehaviour::ReevaluatesConditions,
        _ => ControllerBehaviour::KeepsStaleConditions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_with_or_without_v_and_pre_releases_sort_below() {
        assert_eq!(parse_version("v1.5.0"), Some((1, 5, 0)));
        assert_eq!(parse_version("1.4.2"), Some((1, 4, 2)));
        assert_eq!(parse_version("v1.5"), Some((1, 5, 0)));
        assert!(parse_version("v1.5.0-rc.1").is_some_and(|v| v < (1, 5, 0)));
        assert_eq!(parse_version("v1.5.0+build"), Some((1, 5, 0)));
        for bad in ["", "latest", "v1.x", "1.2.3.4", "v-1"] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_image_tag_is_read_past_registry_ports_and_digests() {
        assert_eq!(
            image_tag("ghcr.io/fluxcd/helm-controller:v1.5.0"),
            Some("v1.5.0")
        );
        assert_eq!(
            image_tag("registry:5000/fluxcd/helm-controller:v1.4.1@sha256:abc"),
            Some("v1.4.1")
        );
        assert_eq!(image_tag("registry:5000/fluxcd/helm-controller"), None);
    }

    #[test]
    fn v1_5_0_and_later_reevaluate_and_anything_else_keeps_stale_conditions() {
        use ControllerBehaviour::*;
        for (v, b) in [
            (Some("v1.5.0"), ReevaluatesConditions),
            (Some("v2.0.1"), ReevaluatesConditions),
            (Some("v1.4.9"), KeepsStaleConditions),
            (Some("v1.5.0-rc.2"), KeepsStaleConditions),
            (Some("latest"), KeepsStaleConditions),
            (None, KeepsStaleConditions),
        ] {
            assert_eq!(behaviour(v), b, "{v:?}");
        }
    }
}
