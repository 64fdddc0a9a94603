//! Where a file sits in the Sovereign repo layout (see `shared/DOMAIN.md`):
//!
//! ```text
//! platform/<name>/blueprint.yaml
//! platform/<name>/chart/Chart.yaml, values.yaml, templates/...
//! clusters/_template/bootstrap-kit/NN-<name>.yaml
//! clusters/<sovereign-fqdn>/bootstrap-kit/...
//! ```

/// The role of a path in the repo layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    /// `platform/<name>/blueprint.yaml`.
    Blueprint(&'a str),
    /// `platform/<name>/chart/Chart.yaml`.
    ChartYaml(&'a str),
    /// `platform/<name>/chart/values.yaml`.
    Values(&'a str),
    /// Any other file under `platform/<name>/chart/`.
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

/// Places a root-relative path. Called several times per file on every run, so it
/// rejects paths outside `platform/` and `clusters/` at once and finds the first four
/// segments with a byte scan instead of collecting them.
pub fn place(path: &str) -> Place<'_> {
    let is_platform = path.starts_with("platform/");
    if !is_platform && !path.starts_with("clusters/") {
        return Place::Other;
    }
    // Byte offsets of the first four '/' (ASCII, so slicing there keeps UTF-8 whole).
    let mut cuts = [path.len(); 4];
    let slashes = path.bytes().enumerate().filter(|(_, b)| *b == b'/');
    for (cut, (i, _)) in cuts.iter_mut().zip(slashes) {
        *cut = i;
    }
    let [first, second, third, fourth] = cuts;
    let segment = |from: usize, to: usize| path.get(from.saturating_add(1)..to);
    let (Some(name), Some(third_seg)) = (segment(first, second), segment(second, third)) else {
        return Place::Other;
    };
    // `fourth_seg` is `None` when the path has only three segments.
    let fourth_seg = if third < path.len() {
        segment(third, fourth)
    } else {
        None
    };
    let deeper = fourth < path.len();
    match (is_platform, third_seg, fourth_seg) {
        (true, "blueprint.yaml", None) => Place::Blueprint(name),
        (true, "chart", Some("Chart.yaml")) if !deeper => Place::ChartYaml(name),
        (true, "chart", Some("values.yaml")) if !deeper => Place::Values(name),
        (true, "chart", Some(_)) => Place::ChartFile(name),
        (false, "bootstrap-kit", Some(_)) if name == TEMPLATE => Place::TemplateKit,
        (false, "bootstrap-kit", Some(_)) => Place::LiveKit(name),
        _ => Place::Other,
    }
}

/// The component folder of a path under `platform/<name>/chart/`, any file.
pub fn chart_component(path: &str) -> Option<&str> {
    match place(path) {
        Place::ChartYaml(n) | Place::Values(n) | Place::ChartFile(n) => Some(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_paths_are_placed() {
        assert_eq!(
            place("platform/flux/blueprint.yaml"),
            Place::Blueprint("flux")
        );
        assert_eq!(
            place("platform/flux/chart/Chart.yaml"),
            Place::ChartYaml("flux")
        );
        assert_eq!(
            place("platform/flux/chart/templates/a.yaml"),
            Place::ChartFile("flux")
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
        assert_eq!(chart_component("platform/x/chart/values.yaml"), Some("x"));
    }

    /// The layout as slice patterns: the readable statement `place` must agree with.
    fn place_by_segments(path: &str) -> Place<'_> {
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            ["platform", name, "blueprint.yaml"] => Place::Blueprint(name),
            ["platform", name, "chart", "Chart.yaml"] => Place::ChartYaml(name),
            ["platform", name, "chart", "values.yaml"] => Place::Values(name),
            ["platform", name, "chart", _, ..] => Place::ChartFile(name),
            ["clusters", c, "bootstrap-kit", _, ..] if *c == TEMPLATE => Place::TemplateKit,
            ["clusters", cluster, "bootstrap-kit", _, ..] => Place::LiveKit(cluster),
            _ => Place::Other,
        }
    }

    #[test]
    fn place_agrees_with_the_segment_patterns() {
        let segments = [
            "platform",
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
            assert_eq!(place(p), place_by_segments(p), "{p:?}");
        }
    }
}
