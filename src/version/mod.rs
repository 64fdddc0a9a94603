//! Semantic versions as Helm and Blueprints use them: exact `X.Y.Z[-pre][+build]`
//! pins, ordered by semver precedence, and recognition of ranges.

use std::cmp::Ordering;

/// A parsed exact semantic version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Major, minor, patch.
    pub core: [u64; 3],
    /// Pre-release identifiers (after `-`), empty for a release.
    pub pre: Vec<String>,
}

impl Version {
    /// Parses an exact version `X.Y.Z[-pre][+build]` (no leading `v`, no range).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s
            .split_once('+')
            .map_or(s, |(v, build)| if valid_idents(build) { v } else { "" });
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) if valid_idents(p) => (c, p.split('.').map(str::to_string).collect()),
            Some(_) => return None,
            None => (s, Vec::new()),
        };
        let mut parts = core.split('.');
        let mut nums = [0u64; 3];
        for n in &mut nums {
            let part = parts.next()?;
            if part.is_empty()
                || !part.bytes().all(|b| b.is_ascii_digit())
                || (part.len() > 1 && part.starts_with('0'))
            {
                return None;
            }
            *n = part.parse().ok()?;
        }
        if parts.next().is_some() {
            return None;
        }
        Some(Self { core: nums, pre })
    }
}

fn valid_idents(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.core
            .cmp(&other.core)
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => cmp_pre(&self.pre, &other.pre),
            })
    }
}

fn cmp_pre(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.len().cmp(&b.len())
}

/// How a version pin is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinKind {
    /// An exact semantic version.
    Exact,
    /// An envsubst variable or placeholder standing in for a version.
    StandIn,
    /// A wildcard, range or constraint (`*`, `1.x`, `>=1.2`, `^1`, `~1`, `1.2`).
    Range,
}

/// Classifies a version pin.
pub fn pin_kind(s: &str) -> PinKind {
    let s = s.trim();
    if crate::naming::is_stand_in(s) {
        PinKind::StandIn
    } else if Version::parse(s).is_some() {
        PinKind::Exact
    } else {
        PinKind::Range
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_versions_parse_and_ranges_do_not() {
        for ok in [
            "1.2.3",
            "0.0.0",
            "10.20.30-rc.1",
            "1.0.0+build.5",
            "1.0.0-alpha-1",
        ] {
            assert!(Version::parse(ok).is_some(), "{ok}");
            assert_eq!(pin_kind(ok), PinKind::Exact);
        }
        for range in [
            "*",
            "1.x",
            ">=1.2",
            "^1",
            "~1",
            "1.2",
            "v1.2.3",
            "01.2.3",
            "1.2.3-",
            ">=1.0.0 <2.0.0",
            "",
        ] {
            assert_eq!(pin_kind(range), PinKind::Range, "{range}");
        }
        assert_eq!(pin_kind("${BP_VERSION}"), PinKind::StandIn);
    }

    #[test]
    fn ordering_follows_semver_precedence() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("1.2.10") > v("1.2.9"));
        assert!(v("1.0.0") > v("1.0.0-rc.1"));
        assert!(v("1.0.0-rc.2") > v("1.0.0-rc.1"));
        assert!(v("1.0.0-rc.10") > v("1.0.0-rc.9"));
        assert!(v("1.0.0-beta") > v("1.0.0-alpha.1"));
        assert_eq!(v("1.0.0+a").cmp(&v("1.0.0+b")), Ordering::Equal);
    }
}
