//! CG000: files the linter cannot read as intended.

use crate::lint::rule::{Check, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a YAML or Markdown file that could not be linted: invalid YAML (at the
    /// position where parsing stopped), nesting deeper than 128 levels, a file that is
    /// not UTF-8 text or holds NUL bytes, a file over 10 MiB, or a file the scanner
    /// could not read.
    ///
    /// ## Why is this bad?
    /// Every other rule is silent about a file it cannot parse. A guardrail that skips
    /// unreadable files quietly reports a false clean; this rule makes the gap visible.
    /// Documents before a syntax error are still linted.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   chart: {spec: {chart: bp-flux, version: 1.1.4}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   chart: {spec: {chart: bp-flux, version: 1.1.4}}
    /// ```
    code: "CG000",
    name: "invalid-input",
    severity: Error,
    fix: Never,
    summary: "a file could not be read or parsed",
    check: Check::Engine,
}
