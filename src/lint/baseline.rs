//! Baselines: start linting a repository that already has findings.
//!
//! `lint --write-baseline FILE` records today's findings; `lint --baseline FILE` then
//! reports only findings that are not in it. An entry is keyed by rule, path and a
//! fingerprint of the offending text (the flagged span and its line, whitespace
//! trimmed), never by line number, so unrelated edits that move lines do not bring
//! old findings back. Entries are a multiset: two identical offending lines in one
//! file need two entries. Entries no finding matched any more are *stale* (fixed, or
//! the text changed) and counted, so a team can shrink the file.
//!
//! Pure: the host reads the files and the baseline; this module only compares.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Finding, LineIndex, Report, content_hash};

/// Baseline file format version.
pub const BASELINE_VERSION: u32 = 1;

/// One recorded finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    /// Rule code (`CG007`).
    pub code: String,
    /// Root-relative path.
    pub path: String,
    /// Fingerprint of the offending text (see [`fingerprint`]).
    pub fingerprint: String,
    /// The finding's message when recorded, for people reading the file.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// A baseline file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Baseline {
    /// [`BASELINE_VERSION`].
    pub baseline_version: u32,
    /// The recorded findings, sorted.
    pub findings: Vec<Entry>,
}

/// What applying a baseline left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// Findings the baseline covered (not reported).
    pub baselined: usize,
    /// Baseline entries no current finding matched.
    pub stale: usize,
}

/// A baseline file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaselineError {
    /// Not the JSON this module writes.
    #[error("invalid baseline at line {line}, column {col}: {message}")]
    Invalid {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What is wrong.
        message: String,
    },
    /// Written by an incompatible version.
    #[error("unsupported `baselineVersion` {0} (expected {BASELINE_VERSION})")]
    Version(u32),
}

/// The fingerprint of a finding: a hash of its code, the flagged span and the
/// whitespace-trimmed line holding it, and for a cross-file finding the value on the
/// other side of each comparison (so a lockstep that gets worse, chart `1.0.1` ->
/// `1.0.2` against a Blueprint still at `1.0.0`, is a new finding). `text` is the
/// file's text (`None` when it could not be read: then only the code and message
/// count).
pub fn fingerprint(finding: &Finding, text: Option<&str>) -> String {
    let line = text.and_then(|t| LineIndex::new(t).line(t, finding.line));
    fingerprint_of_line(finding, line)
}

fn fingerprint_of_line(finding: &Finding, line: Option<&str>) -> String {
    let (span, line) = match line {
        Some(l) => {
            let span: String = l
                .chars()
                .skip(finding.col.saturating_sub(1) as usize)
                .take(finding.width.max(1) as usize)
                .collect();
            (span, l.trim().to_string())
        }
        None => (String::new(), finding.message.clone()),
    };
    let mut key = format!("{}\u{0}{span}\u{0}{line}", finding.code);
    for r in &finding.related {
        key.push('\u{0}');
        key.push_str(&r.path);
        key.push('=');
        key.push_str(&r.value);
    }
    format!("{:016x}", content_hash(key.as_bytes()))
}

/// Fingerprints of findings, indexing each file's lines once.
pub(crate) struct Fingerprints<'a, 't> {
    text: &'t dyn Fn(&str) -> Option<&'a str>,
    cached: Option<(String, Option<(&'a str, LineIndex)>)>,
}

impl<'a, 't> Fingerprints<'a, 't> {
    /// Fingerprints for findings in the files `text` returns by path.
    pub(crate) fn new(text: &'t dyn Fn(&str) -> Option<&'a str>) -> Self {
        Self { text, cached: None }
    }

    /// The fingerprint of one finding (see [`fingerprint`]).
    pub(crate) fn of(&mut self, f: &Finding) -> String {
        if self.cached.as_ref().is_none_or(|(p, _)| *p != f.path) {
            let indexed = (self.text)(&f.path).map(|t| (t, LineIndex::new(t)));
            self.cached = Some((f.path.clone(), indexed));
        }
        let line = self
            .cached
            .as_ref()
            .and_then(|(_, i)| i.as_ref())
            .and_then(|(t, idx)| idx.line(t, f.line));
        fingerprint_of_line(f, line)
    }
}

impl Baseline {
    /// The baseline of a report; `text` returns a file's text by path.
    pub fn of<'a>(report: &Report, text: &dyn Fn(&str) -> Option<&'a str>) -> Self {
        let mut fps = Fingerprints::new(text);
        let mut findings: Vec<Entry> = report
            .findings
            .iter()
            .map(|f| Entry {
                code: f.code.clone(),
                path: f.path.clone(),
                fingerprint: fps.of(f),
                message: f.message.clone(),
            })
            .collect();
        findings.sort();
        Self {
            baseline_version: BASELINE_VERSION,
            findings,
        }
    }

    /// Parses a baseline file.
    pub fn parse(json: &str) -> Result<Self, BaselineError> {
        let baseline: Self = serde_json::from_str(json).map_err(|e| BaselineError::Invalid {
            line: e.line(),
            col: e.column(),
            message: e.to_string(),
        })?;
        if baseline.baseline_version != BASELINE_VERSION {
            return Err(BaselineError::Version(baseline.baseline_version));
        }
        Ok(baseline)
    }

    /// The baseline as pretty JSON, one entry per finding, sorted (diff-friendly).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Removes the findings the baseline covers from `report` and says how many it
    /// removed and how many entries matched nothing.
    pub fn apply<'a>(
        &self,
        report: &mut Report,
        text: &dyn Fn(&str) -> Option<&'a str>,
    ) -> Applied {
        let mut left: BTreeMap<(String, String, String), usize> = BTreeMap::new();
        for e in &self.findings {
            *left
                .entry((e.code.clone(), e.path.clone(), e.fingerprint.clone()))
                .or_default() += 1;
        }
        let before = report.findings.len();
        let mut fps = Fingerprints::new(text);
        report.findings.retain(|f| {
            let fp = fps.of(f);
            match left.get_mut(&(f.code.clone(), f.path.clone(), fp)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        });
        let applied = Applied {
            baselined: before - report.findings.len(),
            stale: left.values().sum(),
        };
        report.baseline = Some(applied);
        applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{Config, SourceFile, lint};

    fn report(text: &str) -> Report {
        lint(
            &[SourceFile::new("docs/a.md", text)],
            None,
            &Config::default(),
        )
    }

    #[test]
    fn moved_lines_stay_baselined_and_new_or_fixed_ones_are_told_apart() {
        let old = "# A\nuse minio here\nand k8gb there\n";
        let base = Baseline::of(&report(old), &|_| Some(old));
        assert_eq!(base.findings.len(), 2);
        // Lines moved down, one finding fixed, one new one added.
        let new = "# A\n\nintro\nuse minio here\nand tenants too\n";
        let mut now = report(new);
        let applied = base.apply(&mut now, &|_| Some(new));
        assert_eq!(
            applied,
            Applied {
                baselined: 1,
                stale: 1
            }
        );
        let left: Vec<&str> = now.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(left, ["retired term `tenants`"]);
    }

    #[test]
    fn a_cross_file_mismatch_that_gets_worse_is_new() {
        let tree = |chart: &str| {
            vec![
                SourceFile::new(
                    "platform/x/blueprint.yaml",
                    "apiVersion: catalyst.openova.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: bp-x\nspec:\n  version: 1.0.0\n",
                ),
                SourceFile::new(
                    "platform/x/chart/Chart.yaml",
                    format!("apiVersion: v2\nname: bp-x\nversion: {chart}\n"),
                ),
                SourceFile::new(
                    "platform/x/chart/values.yaml",
                    "global:\n  imageRegistry: \"\"\n",
                ),
            ]
        };
        let old = tree("1.0.1");
        let old_report = lint(&old, None, &Config::default());
        assert_eq!(old_report.findings.len(), 1, "{:#?}", old_report.findings);
        let owned: Vec<(String, String)> = old
            .iter()
            .map(|f| (f.path.clone(), f.text.clone()))
            .collect();
        let lookup = |p: &str| owned.iter().find(|(q, _)| q == p).map(|(_, t)| t.as_str());
        let base = Baseline::of(&old_report, &lookup);
        // The same mismatch stays baselined.
        let mut same = lint(&old, None, &Config::default());
        assert_eq!(base.apply(&mut same, &lookup).baselined, 1);
        // Chart 1.0.2: the Blueprint's line is unchanged, the other side is not.
        let worse = tree("1.0.2");
        let mut now = lint(&worse, None, &Config::default());
        let applied = base.apply(&mut now, &lookup);
        assert_eq!((applied.baselined, now.findings.len()), (0, 1));
    }

    #[test]
    fn identical_lines_need_one_entry_each() {
        let old = "minio\n";
        let base = Baseline::of(&report(old), &|_| Some(old));
        let new = "minio\nminio\n";
        let mut now = report(new);
        let applied = base.apply(&mut now, &|_| Some(new));
        assert_eq!(applied.baselined, 1);
        assert_eq!(now.findings.len(), 1);
    }

    #[test]
    fn the_file_round_trips_and_bad_files_name_the_problem() {
        let text = "minio\n";
        let base = Baseline::of(&report(text), &|_| Some(text));
        assert_eq!(Baseline::parse(&base.to_json()).unwrap(), base);
        let e = Baseline::parse("{\"baselineVersion\": 1,\n \"findings\": 3}").unwrap_err();
        assert!(matches!(e, BaselineError::Invalid { line: 2, .. }), "{e}");
        let e = Baseline::parse("{\"baselineVersion\": 9, \"findings\": []}").unwrap_err();
        assert_eq!(e, BaselineError::Version(9));
    }
}
