//! UPDATE leniency: a violation that the old object already had, in a field whose
//! value did not change, is let through with a warning. A legacy object that predates
//! the policy (or a Blueprint that moved on) must stay editable, for example to fix a
//! different field or to suspend it. Changing the offending field to another bad value
//! is rejected as usual.

use crate::rules::{self, Findings, Violation};

/// Splits the new object's `findings` by the old object's violations: returns the
/// warnings (the findings' notes, then one per violation the old object already had)
/// and the violations that are new.
pub fn grandfather(
    findings: Findings,
    old_violations: &[Violation],
) -> (Vec<String>, Vec<Violation>) {
    let (legacy, fresh): (Vec<Violation>, Vec<Violation>) = findings
        .violations
        .into_iter()
        .partition(|v| old_violations.iter().any(|o| rules::same_violation(o, v)));
    let mut warnings = findings.notes;
    warnings.extend(legacy.iter().map(|v| {
        format!(
            "{} {}: {} (already so before this update; accepted so the object stays editable)",
            v.rule.code, v.rule.name, v.message
        )
    }));
    (warnings, fresh)
}
