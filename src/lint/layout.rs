//! Where a file sits in the Sovereign repo layout (see `shared/DOMAIN.md`):
//!
//! ```text
//! platform/<name>/blueprint.yaml
//! platform/<name>/chart/Chart.yaml, values.yaml, templates/...
//! products/<name>/chart/...                 (product charts, same rules)
//! clusters/_template/bootstrap-kit/NN-<name>.yaml
//! clusters/<sovereign-fqdn>/bootstrap-kit/...
//! ```
//!
//! Chart folders are found by the `chartRoots` globs of `.catalyst-guard.yaml`
//! (default `platform/*/chart` and `products/*/chart`), not by a fixed folder: real
//! monorepos ship `bp-*` charts outside `platform/`. A chart is then known by its
//! `Chart.yaml` `name`, wherever it lives.

use super::glob::{Glob, GlobError};

/// The role of a path in the repo layout. Chart places carry the chart folder
/// (`platform/flux/chart`), which is how the rules group a chart's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place<'a> {
    /// `<dir>/blueprint.yaml` next to a chart folder `<dir>/chart`; carries that chart
    /// folder.
    Blueprint(String),
    /// `<chart folder>/Chart.yaml`.
    ChartYaml(&'a str),
    /// `<chart folder>/values.yaml`.
    Values(&'a str),
    /// Any other file under a chart folder.
    ChartFile(&'a str),
    /// Under `clusters/_template/bootstrap-kit/`.
    TemplateKit,
    /// Under `clusters/<cluster>/bootstrap-kit/` for a live cluster.
    LiveKit(&'a str),
    /// Anywhere else.
    Other,
}

/// The template cluster folder name.
pub const TEMPLATE: &str = "_template";

/// The default `chartRoots`.
pub const DEFAULT_CHART_ROOTS: [&str; 2] = ["platform/*/chart", "products/*/chart"];

/// The globs that name chart folders, compiled for the per-file questions the linter
/// asks on every run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartRoots {
    roots: Vec<Root>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Root {
    glob: Glob,
    /// Number of `/`-separated segments, `None` when the pattern holds `**` or `{`.
    segments: Option<usize>,
    /// The literal first segment with its `/` (`platform/`), for a quick reject.
    first: Option<String>,
    /// The literal last segment (`chart`): a `blueprint.yaml` beside it belongs to it.
    last: Option<String>,
}

impl Default for ChartRoots {
    fn default() -> Self {
        // The defaults are valid globs (a test says so).
        let roots = DEFAULT_CHART_ROOTS
            .iter()
            .filter_map(|p| Root::new(p).ok())
            .collect();
        Self { roots }
    }
}

fn is_literal(segment: &str) -> bool {
    !segment.is_empty() && !segment.contains(['*', '?', '[', '{', '\\'])
}

impl Root {
    fn new(pattern: &str) -> Result<Self, GlobError> {
        let glob = Glob::new(pattern)?;
        let p = pattern.trim_start_matches("./").trim_matches('/');
        let parts: Vec<&str> = p.split('/').collect();
        // A pattern without a `/` matches at any depth (`.gitignore`'s rule).
        let anchored = pattern.starts_with('/') || pattern.starts_with("./") || parts.len() > 1;
        let segments =
            (anchored && !parts.contains(&"**") && !p.contains('{')).then_some(parts.len());
        let first = parts
            .first()
            .filter(|s| is_literal(s) && parts.len() > 1)
            .map(|s| format!("{s}/"));
        let last = parts
            .last()
            .filter(|s| is_literal(s))
            .map(|s| s.to_string());
        Ok(Self {
            glob,
            segments,
            first,
            last,
        })
    }

    /// The chart folder this root names that `path` lies strictly under.
    fn dir_of<'p>(&self, path: &'p str) -> Option<&'p str> {
        if self.first.as_deref().is_some_and(|f| !path.starts_with(f)) {
            return None;
        }
        let slashes = path.bytes().enumerate().filter(|(_, b)| *b == b'/');
        match self.segments {
            // The prefix of exactly `n` segments.
            Some(n) => {
                let (cut, _) = slashes.clone().nth(n.checked_sub(1)?)?;
                let dir = path.get(..cut)?;
                self.glob.matches_folder(dir).then_some(dir)
            }
            // `**` or `{...}`: the shortest matching prefix.
            None => slashes
                .filter_map(|(cut, _)| path.get(..cut))
                .find(|dir| self.glob.matches_folder(dir)),
        }
    }
}

impl ChartRoots {
    /// Compiles root globs (see [`glob`](super::glob)); a chart root is a folder, so a
    /// trailing `/` changes nothing. Fails with the index of the first bad pattern.
    pub fn new(patterns: impl IntoIterator<Item = String>) -> Result<Self, (usize, GlobError)> {
        let roots = patterns
            .into_iter()
            .enumerate()
            .map(|(i, p)| Root::new(p.trim_end_matches('/')).map_err(|e| (i, e)))
            .collect::<Result<_, _>>()?;
        Ok(Self { roots })
    }

    /// The root globs as written.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.roots.iter().map(|r| r.glob.as_str())
    }

    /// For each root, whether some path of `paths` lies in a chart folder it names.
    pub fn used_by<'p>(&self, paths: impl IntoIterator<Item = &'p str>) -> Vec<bool> {
        let mut used = vec![false; self.roots.len()];
        for path in paths {
            for (i, root) in self.roots.iter().enumerate() {
                if let Some(u) = used.get_mut(i)
                    && !*u
                    && root.dir_of(path).is_some()
                {
                    *u = true;
                }
            }
        }
        used
    }

    /// The chart folder a root-relative path lies under (strictly under: the folder
    /// itself is not a file in it), if any.
    pub fn chart_dir<'p>(&self, path: &'p str) -> Option<&'p str> {
        self.roots.iter().find_map(|root| root.dir_of(path))
    }

    /// For `<dir>/blueprint.yaml`, the chart folder beside it (`<dir>/chart`) when a
    /// root names such a folder.
    pub fn blueprint_chart_dir(&self, path: &str) -> Option<String> {
        let dir = path.strip_suffix("/blueprint.yaml")?;
        self.roots.iter().find_map(|root| {
            let chart = format!("{dir}/{}", root.last.as_deref()?);
            root.glob.matches_folder(&chart).then_some(chart)
        })
    }

    /// Places a root-relative path.
    pub fn place<'p>(&self, path: &'p str) -> Place<'p> {
        if let Some(dir) = self.chart_dir(path) {
            return match path.get(dir.len() + 1..) {
                Some("Chart.yaml") => Place::ChartYaml(dir),
                Some("values.yaml") => Place::Values(dir),
                _ => Place::ChartFile(dir),
            };
        }
        if path.ends_with("/blueprint.yaml")
            && let Some(chart) = self.blueprint_chart_dir(path)
        {
            return Place::Blueprint(chart);
        }
        match path.strip_prefix("clusters/").map(|p| p.split('/')) {
            Some(mut parts) => match (parts.next(), parts.next(), parts.next()) {
                (Some(TEMPLATE), Some("bootstrap-kit"), Some(_)) => Place::TemplateKit,
                (Some(cluster), Some("bootstrap-kit"), Some(_)) => Place::LiveKit(cluster),
                _ => Place::Other,
            },
            None => Place::Other,
        }
    }

    /// The chart folder of any file under one (see [`ChartRoots::chart_dir`]).
    pub fn chart_component<'p>(&self, path: &'p str) -> Option<&'p str> {
        self.chart_dir(path)
    }
}

/// The folder that holds a chart folder (`platform/flux` for `platform/flux/chart`).
pub fn component_dir(chart_dir: &str) -> &str {
    chart_dir.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The name of the folder that holds a chart folder (`flux`).
pub fn folder_name(chart_dir: &str) -> &str {
    let dir = component_dir(chart_dir);
    dir.rsplit('/').next().unwrap_or(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_roots_compile() {
        let roots = ChartRoots::default();
        assert_eq!(roots.patterns().collect::<Vec<_>>(), DEFAULT_CHART_ROOTS);
        assert_eq!(
            roots.used_by(["platform/a/chart/Chart.yaml", "docs/x.md"]),
            [true, false]
        );
        let e = ChartRoots::new(["ok/*".to_string(), "bad/{x".to_string()]).unwrap_err();
        assert_eq!((e.0, e.1.offset), (1, 4));
    }

    #[test]
    fn layout_paths_are_placed() {
        let roots = ChartRoots::default();
        let place = |p| roots.place(p);
        assert_eq!(
            place("platform/flux/blueprint.yaml"),
            Place::Blueprint("platform/flux/chart".to_string())
        );
        assert_eq!(
            place("platform/flux/chart/Chart.yaml"),
            Place::ChartYaml("platform/flux/chart")
        );
        assert_eq!(
            place("products/catalyst-platform/chart/Chart.yaml"),
            Place::ChartYaml("products/catalyst-platform/chart")
        );
        assert_eq!(
            place("products/catalyst-platform/blueprint.yaml"),
            Place::Blueprint("products/catalyst-platform/chart".to_string())
        );
        assert_eq!(
            place("platform/flux/chart/templates/a.yaml"),
            Place::ChartFile("platform/flux/chart")
        );
        assert_eq!(
            place("clusters/_template/bootstrap-kit/01-flux.yaml"),
            Place::TemplateKit
        );
        assert_eq!(
            place("clusters/omantel.openova.io/bootstrap-kit/01-flux.yaml"),
            Place::LiveKit("omantel.openova.io")
        );
        assert_eq!(place("platform/flux/README.md"), Place::Other);
        assert_eq!(place("docs/blueprint.yaml"), Place::Other);
        assert_eq!(
            roots.chart_component("platform/x/chart/values.yaml"),
            Some("platform/x/chart")
        );
        assert_eq!(folder_name("platform/x/chart"), "x");
    }

    #[test]
    fn configured_roots_find_charts_anywhere_and_blueprints_beside_them() {
        let roots = ChartRoots::new(["charts/*".to_string(), "apps/**/helm".to_string()]).unwrap();
        assert_eq!(
            roots.place("charts/bp-a/Chart.yaml"),
            Place::ChartYaml("charts/bp-a")
        );
        assert_eq!(
            roots.place("apps/x/y/helm/values.yaml"),
            Place::Values("apps/x/y/helm")
        );
        assert_eq!(
            roots.place("apps/x/y/blueprint.yaml"),
            Place::Blueprint("apps/x/y/helm".to_string())
        );
        // A wildcard last segment names no folder a blueprint.yaml could sit beside.
        assert_eq!(roots.place("charts/blueprint.yaml"), Place::Other);
        assert_eq!(roots.place("platform/x/chart/Chart.yaml"), Place::Other);
    }

    /// The default layout as slice patterns: the readable statement the compiled
    /// roots must agree with.
    fn place_by_segments(path: &str) -> Place<'_> {
        let parts: Vec<&str> = path.split('/').collect();
        let chart = |n: usize| &path[..parts[..n].iter().map(|s| s.len() + 1).sum::<usize>() - 1];
        match parts.as_slice() {
            ["platform" | "products", name, "blueprint.yaml"] => {
                Place::Blueprint(format!("{}/{name}/chart", parts[0]))
            }
            ["platform" | "products", _, "chart", "Chart.yaml"] => Place::ChartYaml(chart(3)),
            ["platform" | "products", _, "chart", "values.yaml"] => Place::Values(chart(3)),
            ["platform" | "products", _, "chart", _, ..] => Place::ChartFile(chart(3)),
            ["clusters", c, "bootstrap-kit", _, ..] if *c == TEMPLATE => Place::TemplateKit,
            ["clusters", cluster, "bootstrap-kit", _, ..] => Place::LiveKit(cluster),
            _ => Place::Other,
        }
    }

    #[test]
    fn place_agrees_with_the_segment_patterns() {
        let roots = ChartRoots::default();
        let segments = [
            "platform",
            "products",
            "clusters",
            "x",
            "_template",
            "chart",
            "blueprint.yaml",
            "Chart.yaml",
            "values.yaml",
            "bootstrap-kit",
            "",
            "templates",
        ];
        // Every path of up to five segments drawn from the layout's own words.
        let mut paths = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..5 {
            let mut next = Vec::new();
            for p in &frontier {
                for s in segments {
                    let q = if p.is_empty() {
                        s.to_string()
                    } else {
                        format!("{p}/{s}")
                    };
                    next.push(q);
                }
            }
            paths.extend(next.iter().cloned());
            frontier = next;
        }
        for p in &paths {
            assert_eq!(roots.place(p), place_by_segments(p), "{p:?}");
        }
    }
}
