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

/// Places a root-relative path.
pub fn place(path: &str) -> Place<'_> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["platform", name, "blueprint.yaml"] => Place::Blueprint(name),
        ["platform", name, "chart", "Chart.yaml"] => Place::ChartYaml(name),
        ["platform", name, "chart", "values.yaml"] => Place::Values(name),
        ["platform", name, "chart", _, ..] => Place::ChartFile(name),
        ["clusters", cluster, "bootstrap-kit", _, ..] if *cluster == TEMPLATE => Place::TemplateKit,
        ["clusters", cluster, "bootstrap-kit", _, ..] => Place::LiveKit(cluster),
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
}
