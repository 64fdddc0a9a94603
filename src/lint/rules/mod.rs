//! The rules, one file each, named after the pattern they flag. Each file declares its
//! `META` with [`declare_rule!`](super::registry::declare_rule); its doc comment is the
//! rule's user documentation.

pub mod blueprint_name_mismatch;
pub mod blueprint_version_mismatch;
pub mod bootstrap_pin_mismatch;
pub mod chart_changed_without_version_bump;
pub mod inexact_blueprint_version;
pub mod invalid_input;
pub mod invalid_suppression;
pub mod missing_image_registry_knob;
pub mod non_canonical_gitea_url;
pub mod non_canonical_service_host;
pub mod retired_term;
pub mod sops_decryption;
pub mod unpinned_chart_version;

use std::collections::BTreeMap;

use super::FileAnalysis;
use super::layout::{ChartRoots, Place};
use crate::model::{Blueprint, Chart, Object, Values};

/// What the repo holds for one chart folder (`platform/<name>/chart`) and the
/// `blueprint.yaml` beside it.
#[derive(Default)]
pub(crate) struct Component<'a> {
    pub blueprint_file: Option<&'a str>,
    pub blueprint: Option<&'a Blueprint>,
    pub chart_file: Option<&'a str>,
    pub chart: Option<&'a Chart>,
    pub values_file: Option<&'a str>,
    pub values: Option<&'a Values>,
    /// The edit that adds `global.imageRegistry` to the values file, if it lacks it.
    pub values_edit: Option<&'a crate::lint::fix::Edit>,
    /// Any file under `chart/`, for "chart folder without blueprint.yaml".
    pub any_chart_file: Option<&'a str>,
}

/// Groups the files of a tree by chart folder, in path order.
pub(crate) fn components<'a>(
    files: &'a [FileAnalysis],
    roots: &ChartRoots,
) -> BTreeMap<String, Component<'a>> {
    let mut out: BTreeMap<String, Component<'a>> = BTreeMap::new();
    for file in files {
        let path = file.path.as_str();
        match roots.place(path) {
            Place::Blueprint(name) => {
                let c = out.entry(name).or_default();
                c.blueprint_file = Some(path);
                c.blueprint = file.objects.iter().find_map(|o| match o {
                    Object::Blueprint(b) => Some(b),
                    _ => None,
                });
            }
            Place::ChartYaml(name) => {
                let c = out.entry(name.to_string()).or_default();
                c.chart_file = Some(path);
                c.any_chart_file = Some(path);
                c.chart = file.objects.iter().find_map(|o| match o {
                    Object::Chart(ch) => Some(ch),
                    _ => None,
                });
            }
            Place::Values(name) => {
                let c = out.entry(name.to_string()).or_default();
                c.values_file = Some(path);
                c.values_edit = file.image_registry_edit.as_ref();
                c.any_chart_file.get_or_insert(path);
                c.values = file.objects.iter().find_map(|o| match o {
                    Object::Values(v) => Some(v),
                    _ => None,
                });
            }
            Place::ChartFile(name) => {
                out.entry(name.to_string())
                    .or_default()
                    .any_chart_file
                    .get_or_insert(path);
            }
            _ => {}
        }
    }
    out
}
