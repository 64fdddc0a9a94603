//! The rules, one file each, named after the pattern they flag. Each file declares its
//! `META` with [`declare_rule!`](super::rule::declare_rule); its doc comment is the
//! rule's user documentation. The list below is the only place a rule is named: it
//! declares the modules and, in the same order (code order), the registry's table.

macro_rules! rules {
    ($($module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// Every rule, in the order listed (code order).
        pub(crate) static ALL: &[&crate::lint::RuleMeta] = &[$(&$module::META),*];
    };
}

rules! {
    invalid_input,
    blueprint_version_mismatch,
    blueprint_name_mismatch,
    bootstrap_pin_mismatch,
    unpinned_chart_version,
    non_canonical_gitea_url,
    non_canonical_service_host,
    retired_term,
    sops_decryption,
    missing_image_registry_knob,
    chart_changed_without_version_bump,
    invalid_suppression,
    inexact_blueprint_version,
    chart_dependency_version_mismatch,
    outdated_blueprint_api_version,
    retired_term_in_ui,
    unmatched_glob,
}
use std::collections::BTreeMap;

use super::fix::Fix;
use super::layout::{ChartRoots, Place};
use super::{FileAnalysis, Sink};
use crate::model::{Blueprint, Chart, Located, Object, Values};
use crate::objects::ObjectFinding;
use crate::yaml::Pos;

/// Reports an object rule's findings (the core's [`crate::objects`] functions, shared
/// with the admission policy and the browser) at the field they concern, or at
/// `fallback` (position and width) when the field is missing, with the fix `fix`
/// derives from a finding and the field: the one adapter CG004, CG005, CG008 and CG012
/// share, adding only file positions.
pub(crate) fn report_object_findings(
    sink: &mut Sink<'_>,
    path: &str,
    field: Option<&Located>,
    fallback: (Pos, u32),
    findings: Vec<ObjectFinding>,
    fix: impl Fn(&ObjectFinding, &Located) -> Option<Fix>,
) {
    let (pos, width) = field.map_or(fallback, |f| (f.pos, f.width()));
    for f in findings {
        let made = field.and_then(|loc| fix(&f, loc));
        let reported = sink.report(path, pos, f.message).width(width).help(f.help);
        if let Some(made) = made {
            reported.fix(made);
        }
    }
}

/// No fix: for object rules whose findings need a person.
pub(crate) fn no_fix(_: &ObjectFinding, _: &Located) -> Option<Fix> {
    None
}

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
