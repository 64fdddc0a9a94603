//! CG013: a `bp-*` chart depending on another `bp-*` chart of the repository at a
//! version other than that chart's.

use std::collections::HashMap;

use crate::lint::fix::{Fix, replace_value};
use crate::lint::rule::{Check, declare_rule};
use crate::lint::{RepoCtx, Sink};
use crate::model::Located;
use crate::version::exact_pin;

declare_rule! {
    /// ## What it does
    /// Checks every `dependencies[]` entry of a chart in the chart roots that names
    /// another `bp-*` chart of the repository (found by its `Chart.yaml` name, wherever
    /// it lives): the dependency's `version` must be the depended-on chart's own
    /// `version`. An umbrella chart that pins `bp-catalyst-platform` at `1.1.1` while
    /// the chart is at `1.1.4` is reported on the pin, with the chart's `Chart.yaml` as
    /// the related location.
    ///
    /// A range (`^1.1.0`) is CG004's finding, and a dependency on a chart outside the
    /// repository (an upstream subchart) is not compared. `v1.1.4` and `=1.1.4` read as
    /// `1.1.4`, as Helm reads them. `lint --fix` pins the chart's version.
    ///
    /// ## Why is this bad?
    /// Helm packages the dependency at the pinned version: an umbrella that lags ships
    /// the old chart while the repository, the Blueprint and the bootstrap kit say the
    /// new one is released. The two are bumped together or not at all.
    ///
    /// ## Example
    /// ```yaml
    /// # products/catalyst/chart/Chart.yaml; bp-catalyst-platform is at 1.1.4
    /// dependencies:
    ///   - name: bp-catalyst-platform
    ///     version: 1.1.1
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// dependencies:
    ///   - name: bp-catalyst-platform
    ///     version: 1.1.4
    /// ```
    code: "CG013",
    name: "chart-dependency-version-mismatch",
    severity: Error,
    fix: Sometimes,
    summary: "a bp-* chart depends on another bp-* chart of the repo at a version other than that chart's",
    check: Check::Repo(check),
}

fn check(ctx: &RepoCtx<'_>, sink: &mut Sink<'_>) {
    let comps = ctx.components();
    // Chart name -> (Chart.yaml path, its `version`).
    let charts: HashMap<&str, (&str, &Located)> = comps
        .values()
        .filter_map(|c| {
            let chart = c.chart?;
            let name = chart.name.as_ref()?.value.as_str();
            name.starts_with("bp-")
                .then_some((name, (c.chart_file?, chart.version.as_ref()?)))
        })
        .collect();
    for c in comps.values() {
        let (Some(path), Some(chart)) = (c.chart_file, c.chart) else {
            continue;
        };
        for dep in &chart.dependencies {
            let (Some(name), Some(pin)) = (&dep.name, &dep.version) else {
                continue;
            };
            let Some((dep_path, version)) = charts.get(name.value.as_str()) else {
                continue;
            };
            let Some(pinned) = exact_pin(&pin.value) else {
                continue;
            };
            let same = crate::version::Version::parse(&version.value).as_ref() == Some(&pinned);
            if same || pin.value == version.value {
                continue;
            }
            let reported = sink
                .report(
                    path,
                    pin.pos,
                    format!(
                        "depends on `{}` at `{}`, but the chart is at `{}`",
                        name.value, pin.value, version.value
                    ),
                )
                .width(pin.width())
                .help(format!(
                    "pin `version: {}` ({dep_path}), or bump both charts together",
                    version.value
                ))
                .related(dep_path, version.pos, version.value.clone());
            if let Some(edit) = replace_value(pin, &version.value) {
                reported.fix(Fix::replace(format!("pin `{}`", version.value), edit));
            }
        }
    }
}
