//! The vocabulary of a rule: its metadata ([`RuleMeta`]), how it runs ([`Check`]),
//! whether it can fix what it finds ([`Fixable`]) and the [`declare_rule!`] macro each
//! rule file declares itself with. The registry lists the rules; rule files and the
//! configuration only need this module, so none of them imports another.

use super::{FileCtx, RepoCtx, Severity, Sink};

/// How a rule is run.
#[derive(Clone, Copy)]
pub enum Check {
    /// Emitted by the engine itself (invalid input, invalid suppressions).
    Engine,
    /// Runs once per file, in phase one.
    File(fn(&FileCtx<'_>, &mut Sink<'_>)),
    /// Runs once over the whole file set, in phase two: a cross-file rule, whose
    /// findings name the other files their verdict depends on.
    Repo(fn(&RepoCtx<'_>, &mut Sink<'_>)),
}

/// Whether a rule attaches a mechanical fix (`lint --fix`) to its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fixable {
    /// Never: a person has to decide.
    Never,
    /// Some findings, when there is exactly one right edit.
    Sometimes,
    /// Every finding.
    Always,
}

impl Fixable {
    /// The lowercase name (`sometimes`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Never => "never",
            Self::Sometimes => "sometimes",
            Self::Always => "always",
        }
    }
}

/// A rule's identity, documentation and check.
pub struct RuleMeta {
    /// Stable code (`CG005`); never reused for another meaning.
    pub code: &'static str,
    /// Stable kebab-case name (`non-canonical-gitea-url`).
    pub name: &'static str,
    /// Severity unless configuration overrides it.
    pub default_severity: Severity,
    /// Whether its findings carry a fix.
    pub fix: Fixable,
    /// One line for rule lists.
    pub summary: &'static str,
    /// The doc comment, as written (each line keeps the space after `///`).
    pub raw_docs: &'static str,
    /// How the rule runs.
    pub check: Check,
}

impl RuleMeta {
    /// The rule's user documentation (What it does / Why is this bad? / Example /
    /// Use instead), in Markdown.
    pub fn docs(&self) -> String {
        let mut out = String::with_capacity(self.raw_docs.len());
        for line in self.raw_docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }

    /// True for a cross-file rule: its verdict depends on more than the file it
    /// reports in, so `lint --new-from-rev` keeps it when any file of its set changed.
    pub fn is_cross_file(&self) -> bool {
        matches!(self.check, Check::Repo(_))
    }
}

/// Declares a rule's `META` static; the doc comment becomes its user documentation.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        code: $code:literal,
        name: $name:literal,
        severity: $sev:ident,
        fix: $fix:ident,
        summary: $summary:literal,
        check: $check:expr $(,)?
    ) => {
        $(#[doc = $doc])*
        pub static META: $crate::lint::RuleMeta = $crate::lint::RuleMeta {
            code: $code,
            name: $name,
            default_severity: $crate::lint::Severity::$sev,
            fix: $crate::lint::rule::Fixable::$fix,
            summary: $summary,
            raw_docs: concat!($($doc, "\n"),*),
            check: $check,
        };
    };
}
pub(crate) use declare_rule;
