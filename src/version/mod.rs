//! Semantic versions and version pins, read the way Helm and Flux read them.
//!
//! Two readings live here, and every consumer (the linter, the admission policy, the
//! browser package) goes through them so that a pin means the same thing everywhere:
//!
//! - [`Version::parse`]: a *version* as a chart or Blueprint declares it, strict
//!   SemVer 2 `X.Y.Z[-pre][+build]` (Masterminds `StrictNewVersion`).
//! - [`parse_pin`]: a *pin* (`spec.chart.spec.version`, a dependency's `version`), which
//!   Helm's repository index lookup and Flux's source-controller hand to Masterminds
//!   semver v3 `NewConstraint`. [`pin_kind`] and [`exact_pin`] are shorthands over it.
//!
//! Choices, each checked against Masterminds/semver v3 (`version.go`,
//! `constraints.go`; Helm 3 and Flux v2 use its defaults):
//!
//! | written               | reading | why |
//! |-----------------------|---------|-----|
//! | `1.2.3`, `=1.2.3`     | exact 1.2.3 | no operator and `=` are both `constraintTildeOrEqual`, equality when all three numbers are given |
//! | `v1.2.3`, `=v1.2.3`   | exact 1.2.3 | the constraint grammar allows a lowercase `v` (`V` is not allowed) |
//! | ` 1.2.3 `, `= 1.2.3`  | exact 1.2.3 | `^\s*(op)\s*(version)\s*$`: ASCII whitespace (`\t\n\f\r `) around and after the operator is ignored; other whitespace is an error |
//! | `01.2.3`              | exact 1.2.3 | `NewVersion` coerces leading zeros (`CoerceNewVersion` defaults to true); [`Version::parse`] stays strict and rejects it |
//! | `1.2.3-rc.1`          | exact 1.2.3-rc.1 | a prerelease in the constraint opts the group into prereleases |
//! | `1.2.3-rc.01`         | invalid | numeric prerelease identifiers must not have leading zeros, even when coerced |
//! | `1.2.3+build.5`       | exact 1.2.3 | build metadata takes no part in precedence, so `=1.2.3+a` also matches `1.2.3+b` |
//! | `1.2`, `1`, `1.2.x`   | range   | a missing or `x`/`X`/`*` number makes the term "dirty": `1.2` is `>=1.2.0 <1.3.0` (tilde-like), `1` is `>=1.0.0 <2.0.0` |
//! | `^ ~ ~> > < >= => <= =< !=` | range | the operators of `constraintOps` |
//! | `1.0.0 - 2.0.0`       | range   | a hyphen range (spaces required around `-`) is `>= 1.0.0, <= 2.0.0` |
//! | `>=1, <2`, `>=1 <2`   | range   | terms joined by a comma or whitespace are ANDed |
//! | `1.2.3 \|\| 2.0.0`    | range   | `\|\|` ORs groups, even when every group is exact |
//! | `==1.2.3`, `1.2.3.4`, `latest`, `1.2.3-` | invalid | `validConstraintRegex` rejects them (Helm and Flux fail the lookup) |
//! | `` (empty)            | range   | Flux defaults an absent or empty version to `*`, Helm's index lookup too |
//! | `${VERSION}`, `<version>` | stand-in | template variables and doc placeholders are legal, never errors |
//!
//! A pin is *exact* only when it is written as one equality: a single group with a
//! single term, operator `=` or none, and all three numbers given. Constraints such as
//! `>=1.2.3 <=1.2.3` admit one version too, but they are written as ranges and read as
//! ranges.

use std::cmp::Ordering;
use std::fmt;

/// A parsed exact semantic version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Major, minor, patch.
    pub core: [u64; 3],
    /// Pre-release identifiers (after `-`), empty for a release.
    pub pre: Vec<String>,
}

impl Version {
    /// Parses an exact version `X.Y.Z[-pre][+build]` (no leading `v`, no leading zeros,
    /// no range): Masterminds `StrictNewVersion`, the form a chart's `Chart.yaml` and a
    /// Blueprint's `spec.version` carry.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s
            .split_once('+')
            .map_or(s, |(v, build)| if valid_idents(build) { v } else { "" });
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) if valid_idents(p) && valid_prerelease(p) => {
                (c, p.split('.').map(str::to_string).collect())
            }
            Some(_) => return None,
            None => (s, Vec::new()),
        };
        let mut parts = core.split('.');
        let mut nums = [0u64; 3];
        for n in &mut nums {
            let part = parts.next()?;
            if part.len() > 1 && part.starts_with('0') {
                return None;
            }
            *n = parse_number(part)?;
        }
        if parts.next().is_some() {
            return None;
        }
        Some(Self { core: nums, pre })
    }

    /// Whether this is a prerelease (`1.2.3-rc.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

impl fmt::Display for Version {
    /// The canonical spelling: `X.Y.Z[-pre]`, without `v`, leading zeros or build
    /// metadata.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [major, minor, patch] = self.core;
        write!(f, "{major}.{minor}.{patch}")?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre.join("."))?;
        }
        Ok(())
    }
}

/// Decimal digits only, fitting in a `u64`.
fn parse_number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Dot-separated, non-empty identifiers of `[0-9A-Za-z-]`.
fn valid_idents(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// Numeric prerelease identifiers carry no leading zeros (Masterminds
/// `validatePrerelease`, SemVer 2 item 9).
fn valid_prerelease(s: &str) -> bool {
    s.split('.')
        .all(|id| !(id.len() > 1 && id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit())))
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
    /// An exact semantic version (see [`parse_pin`] for what counts as exact).
    Exact,
    /// An envsubst variable or placeholder standing in for a version.
    StandIn,
    /// Anything else: a wildcard, range or constraint (`*`, `1.x`, `>=1.2`, `^1`, `~1`,
    /// `1.2`), or a string Helm and Flux cannot read as a constraint at all.
    Range,
}

/// Classifies a version pin (the coarse view of [`parse_pin`]: an invalid constraint is
/// not exact, so it is a [`PinKind::Range`]).
pub fn pin_kind(s: &str) -> PinKind {
    match parse_pin(s) {
        Pin::Exact(_) => PinKind::Exact,
        Pin::StandIn => PinKind::StandIn,
        Pin::Range(_) | Pin::Invalid(_) => PinKind::Range,
    }
}

/// The version an exact pin names (`v1.2.3`, `=1.2.3`, ` 1.2.3` all name 1.2.3), or
/// `None` for stand-ins, ranges and invalid pins.
pub fn exact_pin(s: &str) -> Option<Version> {
    match parse_pin(s) {
        Pin::Exact(v) => Some(v),
        _ => None,
    }
}

/// What a version pin means to Helm and Flux.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pin {
    /// Written as one equality; matches this version only (build metadata ignored).
    Exact(Version),
    /// An envsubst variable or doc placeholder.
    StandIn,
    /// A constraint that may match more than one version.
    Range(Constraints),
    /// Not a Masterminds constraint: Helm and Flux fail to resolve it.
    Invalid(PinError),
}

/// Why a pin is not a Masterminds constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinError {
    /// The OR group (or the whole pin) that failed to parse.
    pub term: String,
    /// Machine-readable reason.
    pub reason: PinErrorReason,
}

/// Machine-readable reasons a pin is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinErrorReason {
    /// Not `[op] [v]N[.N[.N]][-pre][+build]` terms joined by `,`, whitespace or `||`.
    Syntax,
    /// A number is not decimal, `x`, `X` or `*`, or does not fit in 64 bits.
    Number,
    /// A numeric prerelease identifier has a leading zero.
    PrereleaseLeadingZero,
}

impl fmt::Display for PinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.reason {
            PinErrorReason::Syntax => "is not a semver constraint",
            PinErrorReason::Number => "has a version number that is not a number",
            PinErrorReason::PrereleaseLeadingZero => {
                "has a numeric prerelease identifier with a leading zero"
            }
        };
        write!(f, "`{}` {what}", self.term)
    }
}

/// A parsed Masterminds constraint: OR groups of ANDed terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraints {
    groups: Vec<Vec<Term>>,
}

/// One `op version` term.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    op: Op,
    version: Version,
    dirty: Dirty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// No operator or `=`: equality, or a tilde range when dirty.
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    /// `~` or `~>`.
    Tilde,
    /// `^`.
    Caret,
}

/// Which number was missing or a wildcard (Masterminds `dirty`, `minorDirty`,
/// `patchDirty`); numbers after it are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dirty {
    Clean,
    Major,
    Minor,
    Patch,
}

/// Reads a pin as Helm and Flux do (see the module docs for each choice).
pub fn parse_pin(s: &str) -> Pin {
    if s.is_empty() {
        return Pin::Range(Constraints::any());
    }
    let trimmed = s.trim_matches(is_space);
    if crate::naming::is_stand_in(trimmed) {
        return Pin::StandIn;
    }
    match Constraints::parse(s) {
        Err(e) => Pin::Invalid(e),
        Ok(c) => match c.groups.as_slice() {
            [group] => match group.as_slice() {
                [
                    Term {
                        op: Op::TildeOrEqual,
                        version,
                        dirty: Dirty::Clean,
                    },
                ] => Pin::Exact(version.clone()),
                _ => Pin::Range(c),
            },
            _ => Pin::Range(c),
        },
    }
}

/// Go regexp `\s` (RE2 Perl class): the whitespace Masterminds skips.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c')
}

impl Constraints {
    /// `*`: every release.
    fn any() -> Self {
        Self {
            groups: vec![vec![Term {
                op: Op::TildeOrEqual,
                version: Version {
                    core: [0, 0, 0],
                    pre: Vec::new(),
                },
                dirty: Dirty::Major,
            }]],
        }
    }

    /// Parses a Masterminds `NewConstraint` string.
    pub fn parse(s: &str) -> Result<Self, PinError> {
        let groups = s
            .split("||")
            .map(|g| {
                parse_group(g).map_err(|reason| PinError {
                    term: g.trim_matches(is_space).to_string(),
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { groups })
    }

    /// Whether `v` satisfies the constraint (Masterminds `Constraints.Check` with
    /// `IncludePrerelease` false: a prerelease matches only a group that names one).
    pub fn matches(&self, v: &Version) -> bool {
        self.groups.iter().any(|group| {
            let include_pre = group.iter().any(|t| t.version.is_prerelease());
            group.iter().all(|t| t.check(v, include_pre))
        })
    }
}

/// A cursor over one OR group.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn rest(&self) -> &str {
        self.s.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn eat(&mut self, prefix: &str) -> bool {
        if self.rest().starts_with(prefix) {
            self.pos += prefix.len();
            true
        } else {
            false
        }
    }

    /// Skips whitespace, returning whether there was any.
    fn skip_space(&mut self) -> bool {
        let start = self.pos;
        while let Some(c) = self.peek().filter(|c| is_space(*c)) {
            self.pos += c.len_utf8();
        }
        self.pos > start
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &str {
        let start = self.pos;
        while let Some(c) = self.peek().filter(|c| f(*c)) {
            self.pos += c.len_utf8();
        }
        self.s.get(start..self.pos).unwrap_or("")
    }

    fn op(&mut self) -> Op {
        // Longest first, as the regex alternation resolves for valid input.
        for (text, op) in [
            ("!=", Op::NotEqual),
            (">=", Op::GreaterEqual),
            ("=>", Op::GreaterEqual),
            ("<=", Op::LessEqual),
            ("=<", Op::LessEqual),
            ("~>", Op::Tilde),
            (">", Op::Greater),
            ("<", Op::Less),
            ("=", Op::TildeOrEqual),
            ("~", Op::Tilde),
            ("^", Op::Caret),
        ] {
            if self.eat(text) {
                return op;
            }
        }
        Op::TildeOrEqual
    }

    /// `v?N(.N)?(.N)?(-pre)?(+build)?` with N a number or `x`/`X`/`*`.
    fn version(&mut self) -> Result<(Version, Dirty), PinErrorReason> {
        self.eat("v");
        let seg = |c: char| c.is_ascii_digit() || matches!(c, 'x' | 'X' | '*');
        let mut segs = Vec::with_capacity(3);
        loop {
            let part = self.take_while(seg);
            if part.is_empty() {
                return Err(PinErrorReason::Syntax);
            }
            segs.push(part.to_string());
            if segs.len() == 3 || !self.rest().starts_with('.') {
                break;
            }
            self.eat(".");
        }
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
        let pre = if self.eat("-") {
            let pre = self.take_while(ident).to_string();
            if !valid_idents(&pre) {
                return Err(PinErrorReason::Syntax);
            }
            pre
        } else {
            String::new()
        };
        if self.eat("+") && !valid_idents(self.take_while(ident)) {
            return Err(PinErrorReason::Syntax);
        }
        if !valid_prerelease(&pre) {
            return Err(PinErrorReason::PrereleaseLeadingZero);
        }
        // The first missing or wildcard number makes the term dirty; the numbers after
        // it are not read (Masterminds builds `0.0.0`, `N.0.0` or `N.N.0`).
        let mut core = [0u64; 3];
        let mut dirty = Dirty::Clean;
        for (i, slot) in core.iter_mut().enumerate() {
            match segs.get(i).map(String::as_str) {
                None | Some("x" | "X" | "*") => {
                    dirty = [Dirty::Major, Dirty::Minor, Dirty::Patch]
                        .get(i)
                        .copied()
                        .unwrap_or(Dirty::Patch);
                    break;
                }
                Some(n) => *slot = parse_number(n).ok_or(PinErrorReason::Number)?,
            }
        }
        let pre = if pre.is_empty() {
            Vec::new()
        } else {
            pre.split('.').map(str::to_string).collect()
        };
        Ok((Version { core, pre }, dirty))
    }
}

/// Parses the ANDed terms of one OR group (`validConstraintRegex`, `rewriteRange`).
fn parse_group(g: &str) -> Result<Vec<Term>, PinErrorReason> {
    let mut c = Cursor { s: g, pos: 0 };
    let mut terms = Vec::new();
    c.skip_space();
    loop {
        let op_start = c.pos;
        let op = c.op();
        let bare = c.pos == op_start;
        c.skip_space();
        let (version, dirty) = c.version()?;
        let spaced = c.skip_space();
        // A hyphen range `A - B` (spaces required) is `>= A, <= B`.
        if bare && spaced && c.rest().starts_with('-') {
            c.eat("-");
            if !c.skip_space() {
                return Err(PinErrorReason::Syntax);
            }
            let (high, high_dirty) = c.version()?;
            terms.push(Term {
                op: Op::GreaterEqual,
                version,
                dirty,
            });
            terms.push(Term {
                op: Op::LessEqual,
                version: high,
                dirty: high_dirty,
            });
        } else {
            terms.push(Term { op, version, dirty });
        }
        // After a hyphen range `spaced` is always true: Masterminds rewrites it to
        // `>= A, <= B ` with a trailing space, which separates it from what follows.
        let spaced = c.skip_space() || spaced;
        if c.peek().is_none() {
            return Ok(terms);
        }
        if c.eat(",") {
            c.skip_space();
        } else if !spaced {
            return Err(PinErrorReason::Syntax);
        }
    }
}

impl Term {
    /// Masterminds' `constraint*` functions, one arm per operator.
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if v.is_prerelease() && !include_pre {
            return false;
        }
        let c = &self.version;
        let [major, minor, patch] = v.core;
        let [c_major, c_minor, c_patch] = c.core;
        let dirty = self.dirty != Dirty::Clean;
        let minor_dirty = self.dirty == Dirty::Minor;
        let patch_dirty = self.dirty == Dirty::Patch;
        match self.op {
            Op::TildeOrEqual if dirty => self.tilde(v),
            Op::TildeOrEqual => v == c,
            Op::Tilde => self.tilde(v),
            Op::NotEqual => {
                if dirty {
                    if c_major != major {
                        return true;
                    }
                    if c_minor != minor && !minor_dirty {
                        return true;
                    } else if minor_dirty {
                        return false;
                    } else if c_patch != patch && !patch_dirty {
                        return true;
                    } else if patch_dirty {
                        return (v.is_prerelease() || c.is_prerelease())
                            && cmp_pre(&v.pre, &c.pre) != Ordering::Equal;
                    }
                }
                v != c
            }
            Op::Greater => {
                if !dirty || major != c_major {
                    return v > c;
                }
                if minor_dirty {
                    false
                } else if patch_dirty {
                    minor > c_minor
                } else {
                    v > c
                }
            }
            Op::Less => v < c,
            Op::GreaterEqual => v >= c,
            Op::LessEqual => {
                if !dirty {
                    return v <= c;
                }
                !(major > c_major || (major == c_major && minor > c_minor && !minor_dirty))
            }
            Op::Caret => {
                if v < c {
                    false
                } else if c_major > 0 || minor_dirty {
                    major == c_major
                } else if major > 0 {
                    false
                } else if c_minor > 0 || patch_dirty {
                    minor == c_minor
                } else if minor > 0 {
                    false
                } else {
                    patch == c_patch
                }
            }
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.version;
        if v < c {
            return false;
        }
        let minor_dirty = self.dirty == Dirty::Minor;
        // `~0.0.0` (and `*`) accept everything.
        if c.core == [0, 0, 0] && !minor_dirty && self.dirty != Dirty::Patch {
            return true;
        }
        let ([major, minor, _], [c_major, c_minor, _]) = (v.core, c.core);
        major == c_major && (minor_dirty || minor == c_minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).expect("test version parses")
    }

    #[test]
    fn pins_are_read_as_masterminds_reads_them() {
        // (pin, expected kind, the version an exact pin names)
        let table: &[(&str, PinKind, Option<&str>)] = &[
            ("1.2.3", PinKind::Exact, Some("1.2.3")),
            ("=1.2.3", PinKind::Exact, Some("1.2.3")),
            ("v1.2.3", PinKind::Exact, Some("1.2.3")),
            ("=v1.2.3", PinKind::Exact, Some("1.2.3")),
            (" 1.2.3", PinKind::Exact, Some("1.2.3")),
            ("1.2.3 ", PinKind::Exact, Some("1.2.3")),
            ("\t= 1.2.3\n", PinKind::Exact, Some("1.2.3")),
            ("01.2.3", PinKind::Exact, Some("1.2.3")),
            ("1.02.003", PinKind::Exact, Some("1.2.3")),
            ("0.0.0", PinKind::Exact, Some("0.0.0")),
            ("10.20.30-rc.1", PinKind::Exact, Some("10.20.30-rc.1")),
            ("1.0.0-alpha-1", PinKind::Exact, Some("1.0.0-alpha-1")),
            ("1.0.0+build.5", PinKind::Exact, Some("1.0.0")),
            ("1.2.3-2.0.0", PinKind::Exact, Some("1.2.3-2.0.0")),
            ("${BP_VERSION}", PinKind::StandIn, None),
            ("$VERSION", PinKind::StandIn, None),
            ("<version>", PinKind::StandIn, None),
            (" ${BP_VERSION} ", PinKind::StandIn, None),
            ("", PinKind::Range, None),
            ("*", PinKind::Range, None),
            ("x", PinKind::Range, None),
            ("1.x", PinKind::Range, None),
            ("1.2.X", PinKind::Range, None),
            ("1.2.*", PinKind::Range, None),
            ("1.2", PinKind::Range, None),
            ("1", PinKind::Range, None),
            ("v1.2", PinKind::Range, None),
            (">=1.2", PinKind::Range, None),
            ("=>1.2.3", PinKind::Range, None),
            ("=<1.2.3", PinKind::Range, None),
            ("<=1.2.3", PinKind::Range, None),
            (">1.2.3", PinKind::Range, None),
            ("<1.2.3", PinKind::Range, None),
            ("!=1.2.3", PinKind::Range, None),
            ("^1", PinKind::Range, None),
            ("^1.2.3", PinKind::Range, None),
            ("~1", PinKind::Range, None),
            ("~1.2.3", PinKind::Range, None),
            ("~>1.2.3", PinKind::Range, None),
            (">=1.0.0 <2.0.0", PinKind::Range, None),
            (">=1.0.0, <2.0.0", PinKind::Range, None),
            (">=1.0.0,<2.0.0", PinKind::Range, None),
            (">=1.2.3 <=1.2.3", PinKind::Range, None),
            ("1.0.0 - 2.0.0", PinKind::Range, None),
            ("1.2.3 || 1.2.3", PinKind::Range, None),
            ("1.2.3 || 2.0.0", PinKind::Range, None),
        ];
        for (pin, kind, exact) in table {
            assert_eq!(pin_kind(pin), *kind, "pin_kind({pin:?})");
            assert_eq!(exact_pin(pin), exact.map(v), "exact_pin({pin:?})");
        }
    }

    #[test]
    fn strings_helm_cannot_resolve_are_invalid_pins_and_not_exact() {
        for (pin, reason) in [
            ("==1.2.3", PinErrorReason::Syntax),
            ("1.2.3.4", PinErrorReason::Syntax),
            ("latest", PinErrorReason::Syntax),
            ("1.2.3-", PinErrorReason::Syntax),
            ("1.2.3+", PinErrorReason::Syntax),
            ("V1.2.3", PinErrorReason::Syntax),
            ("v 1.2.3", PinErrorReason::Syntax),
            ("1.2.3,", PinErrorReason::Syntax),
            (",1.2.3", PinErrorReason::Syntax),
            (">=1.0.0<2.0.0", PinErrorReason::Syntax),
            (">=1.0.0 - 2.0.0", PinErrorReason::Syntax),
            ("1.2.3 -2.0.0", PinErrorReason::Syntax),
            ("1.2.3 | 2.0.0", PinErrorReason::Syntax),
            ("   ", PinErrorReason::Syntax),
            ("\u{a0}1.2.3", PinErrorReason::Syntax),
            ("1x.2.3", PinErrorReason::Number),
            ("99999999999999999999.0.0", PinErrorReason::Number),
            ("1.2.3-rc.01", PinErrorReason::PrereleaseLeadingZero),
        ] {
            match parse_pin(pin) {
                Pin::Invalid(e) => assert_eq!(e.reason, reason, "{pin:?}"),
                other => panic!("{pin:?} read as {other:?}"),
            }
            assert_eq!(pin_kind(pin), PinKind::Range, "{pin:?}");
            assert_eq!(exact_pin(pin), None, "{pin:?}");
        }
    }

    #[test]
    fn invalid_pins_name_the_offending_group() {
        let Pin::Invalid(e) = parse_pin(">=1.0.0 || ==2.0.0") else {
            panic!("expected an invalid pin")
        };
        assert_eq!(e.to_string(), "`==2.0.0` is not a semver constraint");
    }

    #[test]
    fn ranges_match_the_versions_masterminds_documents() {
        // From the Masterminds README and the comments in constraints.go.
        let table: &[(&str, &str, bool)] = &[
            ("1.2.3", "1.2.3", true),
            ("1.2.3", "1.2.4", false),
            ("1.2.3+a", "1.2.3", true),
            ("1.2", "1.2.9", true),
            ("1.2", "1.3.0", false),
            ("1", "1.9.9", true),
            ("1", "2.0.0", false),
            ("*", "5.0.0", true),
            ("", "5.0.0", true),
            ("*", "5.0.0-rc.1", false),
            ("~1.2.3", "1.2.9", true),
            ("~1.2.3", "1.3.0", false),
            ("~1", "1.9.0", true),
            ("~1", "2.0.0", false),
            ("^1.2.3", "1.9.9", true),
            ("^1.2.3", "2.0.0", false),
            ("^1.2.3", "1.2.2", false),
            ("^0.2.3", "0.2.9", true),
            ("^0.2.3", "0.3.0", false),
            ("^0.0.3", "0.0.3", true),
            ("^0.0.3", "0.0.4", false),
            ("^0", "0.9.0", true),
            ("^0", "1.0.0", false),
            (">1.2", "1.2.9", false),
            (">1.2", "1.3.0", true),
            (">11", "11.1.0", false),
            ("<=1.2", "1.2.9", true),
            ("<=1.2", "1.3.0", false),
            ("!=1.2.3", "1.2.4", true),
            ("!=1.2.3", "1.2.3", false),
            ("!=1.x", "1.5.0", false),
            ("!=1.x", "2.0.0", true),
            (">=1.0.0, <2.0.0", "1.5.0", true),
            (">=1.0.0 <2.0.0", "2.0.0", false),
            ("1.0.0 - 2.0.0", "2.0.0", true),
            ("1.0.0 - 2.0.0", "2.0.1", false),
            ("1.0.0 - 2", "2.9.0", true),
            ("<1.0.0 || >=3.0.0", "3.1.0", true),
            ("<1.0.0 || >=3.0.0", "2.0.0", false),
            (">=1.0.0-0", "1.0.0-rc.1", true),
            (">=1.0.0", "1.0.0-rc.1", false),
        ];
        for (constraint, version, want) in table {
            let c = Constraints::parse(constraint)
                .or_else(|e| {
                    if constraint.is_empty() {
                        Ok(Constraints::any())
                    } else {
                        Err(e)
                    }
                })
                .expect("table constraint parses");
            assert_eq!(c.matches(&v(version)), *want, "{constraint:?} vs {version}");
        }
    }

    #[test]
    fn strict_versions_parse_and_everything_else_does_not() {
        for ok in [
            "1.2.3",
            "0.0.0",
            "10.20.30-rc.1",
            "1.0.0+build.5",
            "1.0.0-alpha-1",
            "1.0.0-0",
        ] {
            assert!(Version::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "v1.2.3",
            "=1.2.3",
            " 1.2.3",
            "01.2.3",
            "1.2",
            "1.2.3-",
            "1.2.3-rc.01",
            "1.2.3+",
            "1.2.3.4",
            "",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn versions_print_canonically() {
        assert_eq!(
            exact_pin("v01.2.3+b").map(|v| v.to_string()).as_deref(),
            Some("1.2.3")
        );
        assert_eq!(v("1.2.3-rc.1").to_string(), "1.2.3-rc.1");
    }

    #[test]
    fn ordering_follows_semver_precedence() {
        assert!(v("1.2.10") > v("1.2.9"));
        assert!(v("1.0.0") > v("1.0.0-rc.1"));
        assert!(v("1.0.0-rc.2") > v("1.0.0-rc.1"));
        assert!(v("1.0.0-rc.10") > v("1.0.0-rc.9"));
        assert!(v("1.0.0-beta") > v("1.0.0-alpha.1"));
        assert_eq!(v("1.0.0+a").cmp(&v("1.0.0+b")), Ordering::Equal);
    }
}
