//! CG012: a Blueprint whose `spec.version` is not an exact version.

use super::{no_fix, report_object_findings};
use crate::lint::rule::{Check, declare_rule};
use crate::lint::{FileCtx, Sink};
use crate::model::Object;
use crate::objects;

declare_rule! {
    /// ## What it does
    /// Reports a Blueprint (`catalyst.openova.io`) whose `spec.version` is not an exact
    /// semantic version `X.Y.Z[-pre][+build]`: a range (`1.x`, `^1`), a short version
    /// (`1.2`) or a `v` prefix (`v1.2.3`). Envsubst variables (`${VERSION}`) are
    /// accepted as stand-ins in the repository; the admission policy rejects them in a
    /// live object. A Blueprint without `spec.version` next to its chart is CG001's.
    ///
    /// ## Why is this bad?
    /// A Blueprint's version is what the catalog shows and what every bootstrap-kit
    /// pin must equal. A range names no single chart, so lockstep (CG001, CG003) has
    /// nothing to compare against, and a `v` prefix never equals a chart's version.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Blueprint
    /// spec:
    ///   version: 1.x
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Blueprint
    /// spec:
    ///   version: 1.4.2
    /// ```
    code: "CG012",
    name: "inexact-blueprint-version",
    severity: Error,
    fix: Never,
    summary: "a Blueprint spec.version is not an exact version such as 1.2.3",
    check: Check::File(check),
}

fn check(ctx: &FileCtx<'_>, sink: &mut Sink<'_>) {
    for obj in ctx.objects {
        let Object::Blueprint(bp) = obj else {
            continue;
        };
        // A missing version is reported by CG001, with the chart's version as help.
        let Some(version) = &bp.version else {
            continue;
        };
        let subject = format!("Blueprint `{}`", bp.meta.name_str());
        let findings = objects::blueprint_version(&subject, Some(&version.value));
        report_object_findings(sink, ctx.path, Some(version), (version.pos, 1), findings, no_fix);
    }
}
