//! CG010: chart contents changed since a base revision without a version bump.

use std::collections::BTreeMap;

use super::components;
use crate::lint::fix::Edit;
use crate::lint::glob::Glob;
use crate::lint::layout::ChartRoots;
use crate::lint::rule::{Check, declare_rule};
use crate::lint::{FileAnalysis, RepoCtx, Sink};
use crate::version::Version;
use crate::yaml::{Node, Pos};

declare_rule! {
    /// ## What it does
    /// With `--base REV`, compares every file under a chart folder
    /// (`platform/<name>/chart/`, `products/<name>/chart/`, `chartRoots`) with the
    /// same tree at `REV`. If anything was added, removed or changed but the chart's
    /// `version` did not increase (semver order), reports the `version` line. New and
    /// deleted charts are not reported. Without `--base` the rule does nothing.
    ///
    /// Changes that Helm does not package need no bump: files the chart's own
    /// `.helmignore` ignores (`ci/`, `*.orig`; `!` re-includes). Nor do the changes a
    /// team lists under `versionBump` in `.catalyst-guard.yaml`: `ignorePaths`, globs
    /// relative to the chart folder (`README.md`), and `ignoreValues`, values.yaml key
    /// paths whose value changes alone are not a release (`*.image.tag`, the image
    /// bot's tag updates; `*` is any one key).
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
    fix: Never,
    summary: "files under a chart folder changed since --base but the chart version did not increase",
    check: Check::Repo(check),
}

/// The chart files that count for a bump, by chart folder, with their hashes: every
/// file under the folder except those the chart's `.helmignore` ignores (Helm does not
/// package them) and those `versionBump.ignorePaths` names.
fn chart_hashes<'a>(
    files: &'a [FileAnalysis],
    roots: &ChartRoots,
    ignore_paths: &[Glob],
) -> BTreeMap<&'a str, BTreeMap<&'a str, u64>> {
    let mut ignores: BTreeMap<&str, Vec<(bool, Glob)>> = BTreeMap::new();
    for f in files.iter().filter(|f| !f.helmignore.is_empty()) {
        if let Some(dir) = roots.chart_dir(&f.path)
            && f.path.get(dir.len()..) == Some("/.helmignore")
        {
            ignores.insert(dir, helmignore_globs(&f.helmignore));
        }
    }
    let mut out: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for f in files {
        let Some(dir) = roots.chart_dir(&f.path) else {
            continue;
        };
        let rel = f.path.get(dir.len() + 1..).unwrap_or_default();
        let ignored = ignore_paths.iter().any(|g| g.matches(rel))
            || ignores.get(dir).is_some_and(|rules| helm_ignores(rules, rel));
        if !ignored {
            out.entry(dir).or_default().insert(f.path.as_str(), f.hash);
        }
    }
    out
}

/// A `.helmignore`'s patterns as globs (`!` re-includes); lines that are not valid
/// globs are skipped, as Helm skips what it cannot read.
fn helmignore_globs(lines: &[String]) -> Vec<(bool, Glob)> {
    lines
        .iter()
        .filter_map(|l| {
            let (negated, pattern) = match l.strip_prefix('!') {
                Some(p) => (true, p),
                None => (false, l.as_str()),
            };
            Glob::new(pattern).ok().map(|g| (negated, g))
        })
        .collect()
}

/// Whether the last `.helmignore` pattern matching `rel` ignores it.
fn helm_ignores(rules: &[(bool, Glob)], rel: &str) -> bool {
    rules
        .iter()
        .rev()
        .find(|(_, g)| g.matches(rel))
        .is_some_and(|(negated, _)| !negated)
}

/// A values.yaml's text with the values at the given key paths (`image.tag`; `*` is
/// any one key) blanked, so a change to them alone leaves the hash as it was. Falls
/// back to the text as it is when it does not parse.
pub fn masked_values(text: &str, patterns: &[Vec<String>]) -> String {
    let parsed = crate::yaml::parse(text);
    if parsed.error.is_some() {
        return text.to_string();
    }
    let mut spans: Vec<(u32, u32, u32)> = Vec::new();
    for doc in &parsed.documents {
        if let Some(root) = doc.root() {
            let mut path = Vec::new();
            collect(root, &mut path, patterns, &mut spans, 0);
        }
    }
    if spans.is_empty() {
        return text.to_string();
    }
    let edits: Vec<Edit> = spans
        .into_iter()
        .map(|(line, col, width)| Edit {
            line,
            col,
            width,
            text: String::new(),
        })
        .collect();
    let refs: Vec<&Edit> = edits.iter().collect();
    crate::lint::fix::apply(text, &refs).map_or_else(|_| text.to_string(), |(t, _)| t)
}

fn collect<'a>(
    node: Node<'a>,
    path: &mut Vec<&'a str>,
    patterns: &[Vec<String>],
    spans: &mut Vec<(u32, u32, u32)>,
    depth: usize,
) {
    if depth > crate::yaml::MAX_DEPTH {
        return;
    }
    if node.is_map() {
        for (k, v) in node.entries() {
            let Some(key) = k.scalar() else {
                continue;
            };
            path.push(key);
            if v.scalar().is_some() && !v.is_map() && !v.is_seq() {
                let hit = patterns.iter().any(|p| {
                    p.len() == path.len() && p.iter().zip(path.iter()).all(|(a, b)| a == "*" || a == b)
                });
                if hit {
                    let pos = v.pos();
                    spans.push((pos.line, pos.col, v.width()));
                }
            } else {
                collect(v, path, patterns, spans, depth + 1);
            }
            path.pop();
        }
    }
}

fn check(ctx: &RepoCtx<'_>, sink: &mut Sink<'_>) {
    let Some(base) = ctx.base else { return };
    let roots = &ctx.config.chart_roots;
    let ignore_paths = &ctx.config.version_bump.ignore_paths;
    let now = chart_hashes(ctx.files, roots, ignore_paths);
    let before = chart_hashes(base, roots, ignore_paths);
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
            .help("bump the chart version, blueprint.yaml spec.version and the template pin together")
            .related(changed, Pos::new(1, 1), format!("base version {}", old.value));
        }
    }
}
