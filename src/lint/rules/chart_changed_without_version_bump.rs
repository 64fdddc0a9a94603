//! CG010: chart contents changed since a base revision without a version bump.

use std::collections::BTreeMap;

use super::components;
use crate::lint::layout::ChartRoots;
use crate::lint::registry::{Check, declare_rule};
use crate::lint::{FileAnalysis, RepoCtx, Sink};
use crate::version::Version;

declare_rule! {
    /// ## What it does
    /// With `--base REV`, compares every file under a chart folder
    /// (`platform/<name>/chart/`, `products/<name>/chart/`, `chartRoots`) with the
    /// same tree at `REV`. If anything was added, removed or changed but the chart's
    /// `version` did not increase (semver order), reports the `version` line. New and
    /// deleted charts are not reported. Without `--base` the rule does nothing.
    ///
    /// ## Why is this bad?
    /// Helm and Flux cache charts by name and version: a changed chart published under
    /// an existing version is either ignored by Sovereigns that already have it or
    /// silently differs between Sovereigns that pulled it at different times. This is
    /// chart-testing's version-increment check, applied to Blueprints.
    ///
    /// ## Example
    /// ```text
    /// platform/flux/chart/values.yaml   changed
    /// platform/flux/chart/Chart.yaml    version: 1.1.4   (1.1.4 at the base)
    /// ```
    ///
    /// ## Use instead
    /// Bump the chart, the Blueprint and the template pin together:
    /// ```yaml
    /// version: 1.1.5
    /// ```
    code: "CG010",
    name: "chart-changed-without-version-bump",
    severity: Error,
    summary: "files under a chart folder changed since --base but the chart version did not increase",
    check: Check::Repo(check),
}

fn chart_hashes<'a>(
    files: &'a [FileAnalysis],
    roots: &ChartRoots,
) -> BTreeMap<&'a str, BTreeMap<&'a str, u64>> {
    let mut out: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for f in files {
        if let Some(name) = roots.chart_dir(&f.path) {
            out.entry(name).or_default().insert(f.path.as_str(), f.hash);
        }
    }
    out
}

fn check(ctx: &RepoCtx<'_>, sink: &mut Sink<'_>) {
    let Some(base) = ctx.base else { return };
    let roots = &ctx.config.chart_roots;
    let now = chart_hashes(ctx.files, roots);
    let before = chart_hashes(base, roots);
    let base_components = components(base, roots);
    for (name, c) in ctx.components() {
        let (Some(path), Some(chart)) = (c.chart_file, c.chart) else {
            continue;
        };
        let (Some(current), Some(old_files)) = (now.get(name.as_str()), before.get(name.as_str()))
        else {
            continue;
        };
        if current == old_files {
            continue;
        }
        let Some(version) = &chart.version else {
            continue;
        };
        let old = base_components
            .get(name)
            .and_then(|b| b.chart)
            .and_then(|ch| ch.version.as_ref());
        let Some(old) = old else { continue };
        let (Some(v_now), Some(v_old)) =
            (Version::parse(&version.value), Version::parse(&old.value))
        else {
            continue;
        };
        if v_now <= v_old {
            // Name a changed file other than Chart.yaml when there is one: that is the
            // change that needed the bump.
            let changed = current
                .iter()
                .filter(|(p, h)| old_files.get(*p) != Some(*h))
                .map(|(p, _)| *p)
                .min_by_key(|p| p.ends_with("/Chart.yaml"))
                .or_else(|| {
                    old_files
                        .keys()
                        .find(|p| !current.contains_key(*p))
                        .copied()
                })
                .unwrap_or(path);
            sink.report(
                path,
                version.pos,
                format!(
                    "chart `{name}` changed (e.g. `{changed}`) but its version `{}` is not above the base's `{}`",
                    version.value, old.value
                ),
            )
            .width(version.width())
            .help("bump the chart version, blueprint.yaml spec.version and the template pin together");
        }
    }
}
