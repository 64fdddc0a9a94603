//! CG003: bootstrap-kit HelmRelease pins out of lockstep with the chart.

use std::collections::HashMap;

use crate::lint::fix::{Fix, replace_value};
use crate::lint::layout::Place;
use crate::lint::rule::{Check, declare_rule};
use crate::lint::{RepoCtx, Severity, Sink};
use crate::model::{Located, Object};
use crate::version::{Version, exact_pin};

declare_rule! {
    /// ## What it does
    /// Checks every HelmRelease under `clusters/_template/bootstrap-kit/` that installs
    /// a `bp-*` chart: it must pin exactly (`1.2.3`, or `v1.2.3` / `=1.2.3`, which Helm
    /// and Flux read as the same version) the version of the `Chart.yaml` with that
    /// `name`, and such a chart must exist. Charts are found by name wherever they live
    /// in the chart roots (`platform/*/chart`, `products/*/chart`, or the `chartRoots`
    /// globs of `.catalyst-guard.yaml`).
    ///
    /// HelmReleases under a live Sovereign's `clusters/<fqdn>/bootstrap-kit/` may lag
    /// the template on purpose (a staged rollout); a pin behind or ahead of the chart
    /// is reported at `info` level, as information rather than an error.
    ///
    /// `lint --fix` rewrites a template pin to the chart's version.
    ///
    /// ## Why is this bad?
    /// The template is what every new Sovereign is provisioned from. A template pin
    /// that trails the chart provisions new Sovereigns with an old component; one that
    /// leads it fails to install. This is the CI gate that was once missed.
    ///
    /// ## Example
    /// ```yaml
    /// # clusters/_template/bootstrap-kit/05-flux.yaml      (chart is at 1.1.4)
    /// spec:
    ///   chart:
    ///     spec:
    ///       chart: bp-flux
    ///       version: 1.1.3
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///       version: 1.1.4
    /// ```
    code: "CG003",
    name: "bootstrap-pin-mismatch",
    severity: Error,
    fix: Sometimes,
    summary: "a bootstrap-kit HelmRelease pins a bp-* chart at a version other than the chart's",
    check: Check::Repo(check),
}

fn check(ctx: &RepoCtx<'_>, sink: &mut Sink<'_>) {
    let comps = ctx.components();
    if comps.is_empty() {
        // Only cluster folders were scanned: nothing to compare pins against.
        return;
    }
    // Chart name -> (chart folder, Chart.yaml path, its `version`).
    let charts: HashMap<&str, (&str, &str, &Located)> = comps
        .iter()
        .filter_map(|(name, c)| {
            let chart = c.chart?;
            Some((
                chart.name.as_ref()?.value.as_str(),
                (name.as_str(), c.chart_file?, chart.version.as_ref()?),
            ))
        })
        .collect();
    for file in ctx.files {
        let live = match ctx.config.chart_roots.place(&file.path) {
            Place::TemplateKit => None,
            Place::LiveKit(cluster) => Some(cluster),
            _ => continue,
        };
        for obj in &file.objects {
            let Object::HelmRelease(hr) = obj else {
                continue;
            };
            let (Some(chart), Some(pin)) = (&hr.chart, &hr.version) else {
                continue;
            };
            if !chart.value.starts_with("bp-") {
                continue;
            }
            // Helm and Flux read `v1.2.3` and `=1.2.3` as exactly 1.2.3 (Masterminds
            // semver); ranges and stand-ins are CG004's business.
            let Some(pinned) = exact_pin(&pin.value) else {
                continue;
            };
            let Some((folder, chart_file, located)) = charts.get(chart.value.as_str()) else {
                if live.is_none() {
                    sink.report(
                        &file.path,
                        chart.pos,
                        format!(
                            "pins `{}`, but no chart in the chart roots has that name",
                            chart.value
                        ),
                    )
                    .width(chart.width())
                    .help(
                        "add the chart (or its folder to `chartRoots` in `.catalyst-guard.yaml`), or remove the HelmRelease from the template",
                    );
                }
                continue;
            };
            let version = located.value.as_str();
            let chart_version = Version::parse(version);
            if pin.value == *version || chart_version.as_ref() == Some(&pinned) {
                continue;
            }
            let source = format!("{folder}/Chart.yaml");
            match live {
                None => {
                    let reported = sink
                        .report(
                            &file.path,
                            pin.pos,
                            format!(
                                "template pins `{}` at `{}`, but the chart is at `{version}`",
                                chart.value, pin.value
                            ),
                        )
                        .width(pin.width())
                        .help(format!("pin `version: {version}` ({source})"))
                        .related(chart_file, located.pos, version);
                    if let Some(edit) = replace_value(pin, version) {
                        reported.fix(Fix::replace(format!("pin `{version}`"), edit));
                    }
                }
                Some(cluster) => {
                    let relation = match &chart_version {
                        Some(v) if pinned < *v => "behind",
                        Some(v) if pinned > *v => "ahead of",
                        _ => "different from",
                    };
                    sink.report(
                        &file.path,
                        pin.pos,
                        format!(
                            "`{cluster}` pins `{}` at `{}`, {relation} the chart's `{version}`",
                            chart.value, pin.value
                        ),
                    )
                    .width(pin.width())
                    .related(chart_file, located.pos, version)
                    .at_most(Severity::Info)
                    .help(format!(
                        "live Sovereigns may lag on purpose; roll forward to `{version}` when ready"
                    ));
                }
            }
        }
    }
}
