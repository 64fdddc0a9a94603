//! CG011: malformed inline suppressions.

use crate::lint::rule::{Check, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports an inline suppression comment that has no reason, names no rule, or
    /// names a rule that does not exist. Such a comment suppresses nothing.
    ///
    /// A suppression covers its own line; written alone on a line it also covers the
    /// next one. Several codes may be listed, separated by commas.
    ///
    /// ## Why is this bad?
    /// A suppression is a decision someone will have to revisit. Without the reason,
    /// the next reader cannot tell a deliberate exception from a silenced mistake.
    ///
    /// ## Example
    /// ```yaml
    /// # catalyst-guard: ignore CG007
    /// priorityClassName: tenant-batch
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # catalyst-guard: ignore CG007 -- PriorityClass objects are recreated, not renamed (#412)
    /// priorityClassName: tenant-batch
    /// ```
    code: "CG011",
    name: "invalid-suppression",
    severity: Error,
    fix: Never,
    summary: "an inline suppression without a reason or with an unknown rule code",
    check: Check::Engine,
}
