//! CG001: `blueprint.yaml spec.version` and `chart/Chart.yaml version` out of lockstep.

use crate::lint::fix::{Fix, replace_value};
use crate::lint::layout::folder_name;
use crate::lint::rule::{Check, declare_rule};
use crate::lint::{RepoCtx, Sink};
use crate::version::Version;

declare_rule! {
    /// ## What it does
    /// Checks that every `blueprint.yaml` beside a chart folder (`platform/<name>/`,
    /// `products/<name>/`, or any folder the `chartRoots` globs name) carries a
    /// `spec.version` equal to the `version` of the `chart/Chart.yaml` beside it.
    ///
    /// `lint --fix` sets `spec.version` to the chart's version when the chart is the
    /// newer side (the chart was bumped, the Blueprint forgotten); the other way round
    /// it changes nothing, since the chart's own change may be what is missing.
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
    fix: Sometimes,
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
                let bp_name = bp
                    .meta
                    .name
                    .as_ref()
                    .map_or_else(|| format!("bp-{}", folder_name(name)), |n| n.value.clone());
                sink.report(
                    path,
                    bp.meta.pos,
                    format!("blueprint `{bp_name}` has no `spec.version`"),
                )
                .help(format!(
                    "add `spec.version: {}` (the chart's version)",
                    chart_version.value
                ))
                .related(
                    c.chart_file.unwrap_or(name),
                    chart_version.pos,
                    chart_version.value.clone(),
                );
            }
            Some(v) if v.value != chart_version.value => {
                // Only a chart ahead of its Blueprint has one right answer: the chart
                // was bumped and the Blueprint forgotten. The other way round, the
                // chart's change may be missing, which no edit can supply.
                let chart_newer = matches!(
                    (Version::parse(&chart_version.value), Version::parse(&v.value)),
                    (Some(c), Some(b)) if c > b
                );
                let fix = chart_newer
                    .then(|| replace_value(v, &chart_version.value))
                    .flatten()
                    .map(|edit| {
                        Fix::replace(format!("set `spec.version: {}`", chart_version.value), edit)
                    });
                let reported = sink
                    .report(
                        path,
                        v.pos,
                        format!(
                            "blueprint version `{}` differs from chart version `{}`",
                            v.value, chart_version.value
                        ),
                    )
                    .width(v.width())
                    .help(format!(
                        "bump `spec.version` and `{name}/Chart.yaml` `version` together"
                    ))
                    .related(
                        c.chart_file.unwrap_or(name),
                        chart_version.pos,
                        chart_version.value.clone(),
                    );
                if let Some(fix) = fix {
                    reported.fix(fix);
                }
            }
            Some(_) => {}
        }
    }
}
