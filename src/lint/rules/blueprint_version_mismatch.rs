//! CG001: `blueprint.yaml spec.version` and `chart/Chart.yaml version` out of lockstep.

use crate::lint::registry::{Check, declare_rule};
use crate::lint::{RepoCtx, Sink};

declare_rule! {
    /// ## What it does
    /// Checks that every `platform/<name>/blueprint.yaml` carries a `spec.version`
    /// equal to the `version` of `platform/<name>/chart/Chart.yaml`.
    ///
    /// ## Why is this bad?
    /// The Blueprint is what the Catalyst catalog shows and what Sovereigns install;
    /// the chart is what Helm actually deploys. When the two drift, a Sovereign reports
    /// one version and runs another, and the bootstrap-kit pin can no longer be checked
    /// against either.
    ///
    /// ## Example
    /// ```yaml
    /// # platform/flux/blueprint.yaml          # platform/flux/chart/Chart.yaml
    /// spec:                                   name: bp-flux
    ///   version: 1.1.3                        version: 1.1.4
    /// ```
    ///
    /// ## Use instead
    /// Bump both in the same commit:
    /// ```yaml
    /// spec:
    ///   version: 1.1.4
    /// ```
    code: "CG001",
    name: "blueprint-version-mismatch",
    severity: Error,
    summary: "blueprint.yaml spec.version differs from chart/Chart.yaml version",
    check: Check::Repo(check),
}

fn check(ctx: &RepoCtx<'_>, sink: &mut Sink<'_>) {
    for (name, c) in ctx.components() {
        let (Some(path), Some(bp), Some(chart)) = (c.blueprint_file, c.blueprint, c.chart) else {
            continue;
        };
        let Some(chart_version) = &chart.version else {
            continue;
        };
        match &bp.version {
            None => {
                sink.report(
                    path,
                    bp.meta.pos,
                    format!("blueprint `bp-{name}` has no `spec.version`"),
                )
                .help(format!(
                    "add `spec.version: {}` (the chart's version)",
                    chart_version.value
                ));
            }
            Some(v) if v.value != chart_version.value => {
                sink.report(
                    path,
                    v.pos,
                    format!(
                        "blueprint version `{}` differs from chart version `{}`",
                        v.value, chart_version.value
                    ),
                )
                .width(v.width())
                .help(format!(
                    "bump `spec.version` and `platform/{name}/chart/Chart.yaml` `version` together"
                ));
            }
            Some(_) => {}
        }
    }
}
