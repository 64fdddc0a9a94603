//! CG002: Blueprint name, chart name and `bp-<folder>` disagree, or one of the pair is
//! missing.

use crate::lint::layout::{component_dir, folder_name};
use crate::lint::rule::{Check, declare_rule};
use crate::lint::{RepoCtx, Sink};

declare_rule! {
    /// ## What it does
    /// For every `platform/<name>/` folder, checks that the Blueprint's `metadata.name`
    /// and the chart's `name` are both `bp-<name>`, that a folder with a `chart/` also
    /// has a `blueprint.yaml`, that a `blueprint.yaml` has a `chart/Chart.yaml` beside it,
    /// and that `blueprint.yaml` holds a Blueprint object.
    ///
    /// Charts in other chart roots (`products/<name>/chart`, or any folder the
    /// `chartRoots` globs of `.catalyst-guard.yaml` name) may ship without a Blueprint;
    /// when a `blueprint.yaml` sits beside one, its `metadata.name` must equal the
    /// chart's `name`.
    ///
    /// ## Why is this bad?
    /// Bootstrap-kit pins, the catalog and the lockstep checks all join Blueprints and
    /// charts by name. A renamed folder or a typo in one of the three names silently
    /// detaches a component from every other check.
    ///
    /// ## Example
    /// ```yaml
    /// # platform/grafana/chart/Chart.yaml
    /// name: bp-grafana-stack
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// name: bp-grafana
    /// ```
    code: "CG002",
    name: "blueprint-name-mismatch",
    severity: Error,
    fix: Never,
    summary: "Blueprint name, Chart name and bp-<folder> disagree, or one of blueprint.yaml/chart is missing",
    check: Check::Repo(check),
}

fn check(ctx: &RepoCtx<'_>, sink: &mut Sink<'_>) {
    for (name, c) in ctx.components() {
        let dir = component_dir(name);
        // `platform/` is the Blueprint layout: every chart there is a component with a
        // Blueprint named after its folder. Elsewhere (products) the chart's own name
        // is the reference and a chart may ship without a Blueprint.
        let platform = name.starts_with("platform/");
        let by_folder = format!("bp-{}", folder_name(name));
        let chart_name = c.chart.and_then(|ch| ch.name.as_ref());
        let expected = match chart_name {
            Some(n) if !platform => n.value.clone(),
            _ => by_folder,
        };
        // What the name is compared with, said in full: the expected name and where it
        // comes from.
        let against = if platform {
            format!("`{expected}`, the name folder `{dir}` gives")
        } else {
            format!("the chart's name `{expected}`")
        };
        match (c.blueprint_file, c.any_chart_file) {
            (None, Some(chart_path)) if platform => {
                let pos = c
                    .chart
                    .map(|ch| ch.pos)
                    .unwrap_or(crate::yaml::Pos::new(1, 1));
                sink.report(
                    chart_path,
                    pos,
                    format!("chart folder `{name}` has no `{dir}/blueprint.yaml`"),
                )
                .related(&format!("{dir}/blueprint.yaml"), crate::yaml::Pos::new(1, 1), "missing")
                .help(format!(
                    "add a Blueprint named `{expected}` with the chart's version"
                ));
            }
            (Some(bp_path), None) => {
                let pos = c
                    .blueprint
                    .map(|b| b.meta.pos)
                    .unwrap_or(crate::yaml::Pos::new(1, 1));
                let shown = c
                    .blueprint
                    .and_then(|b| b.meta.name.as_ref())
                    .map_or(expected.as_str(), |n| n.value.as_str());
                sink.report(
                    bp_path,
                    pos,
                    format!("blueprint `{shown}` has no `{name}/Chart.yaml`"),
                )
                .related(&format!("{name}/Chart.yaml"), crate::yaml::Pos::new(1, 1), "missing")
                .help("add the chart, or remove the Blueprint");
            }
            _ => {}
        }
        if let (Some(bp_path), None) = (c.blueprint_file, c.blueprint) {
            sink.report(
                bp_path,
                crate::yaml::Pos::new(1, 1),
                "`blueprint.yaml` holds no `catalyst.openova.io` Blueprint object",
            )
            .help(format!(
                "declare `kind: Blueprint` with `metadata.name: {expected}`"
            ));
        }
        if let (Some(path), Some(bp)) = (c.blueprint_file, c.blueprint) {
            match &bp.meta.name {
                Some(n) if n.value != expected => {
                    let reported = sink
                        .report(
                            path,
                            n.pos,
                            format!("blueprint name `{}` does not match {against}", n.value),
                        )
                        .width(n.width())
                        .help(format!("use `metadata.name: {expected}`"));
                    if let (Some(chart_path), Some(cn)) = (c.chart_file, chart_name) {
                        reported.related(chart_path, cn.pos, cn.value.clone());
                    }
                }
                None => {
                    sink.report(path, bp.meta.pos, "blueprint has no `metadata.name`")
                        .help(format!("use `metadata.name: {expected}`"));
                }
                Some(_) => {}
            }
        }
        if let (Some(path), Some(chart)) = (c.chart_file, c.chart) {
            match &chart.name {
                Some(n) if platform && n.value != expected => {
                    let reported = sink
                        .report(
                            path,
                            n.pos,
                            format!("chart name `{}` does not match {against}", n.value),
                        )
                        .width(n.width())
                        .help(format!("use `name: {expected}`"));
                    let bp_name = c.blueprint.and_then(|b| b.meta.name.as_ref());
                    if let (Some(bp_path), Some(bn)) = (c.blueprint_file, bp_name) {
                        reported.related(bp_path, bn.pos, bn.value.clone());
                    }
                }
                None if c.blueprint_file.is_some() || platform => {
                    sink.report(path, chart.pos, "Chart.yaml has no `name`")
                        .help(format!("use `name: {expected}`"));
                }
                _ => {}
            }
        }
    }
}
