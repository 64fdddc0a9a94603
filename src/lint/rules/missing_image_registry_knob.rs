//! CG009: bp-* charts without `global.imageRegistry` in values.yaml.

use crate::lint::fix::Fix;
use crate::lint::rule::{Check, declare_rule};
use crate::lint::{RepoCtx, Sink};

declare_rule! {
    /// ## What it does
    /// Checks that every `bp-*` chart in a chart root (`platform/<name>/chart/`,
    /// `products/<name>/chart/`, or the `chartRoots` globs) has a `values.yaml` that
    /// declares `global.imageRegistry` (any value, including `""`).
    ///
    /// `lint --fix` adds `imageRegistry: ""` in the file's own style: into an existing
    /// top-level `global:` block at its children's indentation, or as a new `global:`
    /// block before the first key, indented like the rest of the file.
    ///
    /// ## Why is this bad?
    /// After handover, each Sovereign's overlay sets `global.imageRegistry` to its own
    /// Harbor proxy cache so every image pull stays inside the Sovereign. A chart
    /// without the knob keeps pulling from public registries, which fails in
    /// air-gapped Sovereigns and bypasses scanning everywhere else.
    ///
    /// ## Example
    /// ```yaml
    /// # platform/velero/chart/values.yaml
    /// velero:
    ///   image:
    ///     repository: velero/velero
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// global:
    ///   imageRegistry: ""
    /// velero:
    ///   image:
    ///     repository: velero/velero
    /// ```
    code: "CG009",
    name: "missing-image-registry-knob",
    severity: Error,
    fix: Sometimes,
    summary: "a bp-* chart's values.yaml lacks global.imageRegistry",
    check: Check::Repo(check),
}

fn check(ctx: &RepoCtx<'_>, sink: &mut Sink<'_>) {
    for (name, c) in ctx.components() {
        let (Some(chart_path), Some(chart)) = (c.chart_file, c.chart) else {
            continue;
        };
        let Some(chart_name) = chart.name.as_ref().filter(|n| n.value.starts_with("bp-")) else {
            continue;
        };
        match (c.values_file, c.values) {
            (Some(path), Some(values)) if !values.has_image_registry => {
                let reported = sink.report(path, values.pos, format!("`{}` values do not declare `global.imageRegistry`", chart_name.value))
                    .help("add `imageRegistry: \"\"` under `global:` and template every image reference with it")
                    .related(chart_path, chart_name.pos, chart_name.value.clone());
                if let Some(edit) = c.values_edit {
                    reported.fix(Fix {
                        description: "declare `global.imageRegistry: \"\"`".to_string(),
                        edits: vec![edit.clone()],
                    });
                }
            }
            (Some(_), Some(_)) => {}
            (Some(path), None) => {
                let reported = sink
                    .report(
                        path,
                        crate::yaml::Pos::new(1, 1),
                        format!(
                            "`{}` values are empty, so `global.imageRegistry` is missing",
                            chart_name.value
                        ),
                    )
                    .help("add `imageRegistry: \"\"` under `global:`")
                    .related(chart_path, chart_name.pos, chart_name.value.clone());
                if let Some(edit) = c.values_edit {
                    reported.fix(Fix {
                        description: "declare `global.imageRegistry: \"\"`".to_string(),
                        edits: vec![edit.clone()],
                    });
                }
            }
            (None, _) => {
                sink.report(
                    chart_path,
                    chart.pos,
                    format!("`{}` has no `{name}/values.yaml`", chart_name.value),
                )
                .help("add values.yaml with `imageRegistry: \"\"` under `global:`");
            }
        }
    }
}
