//! The Kyverno ClusterPolicy and the native ValidatingAdmissionPolicy twins of the
//! stateless rules (CG005 canonical Gitea URL, CG004 exact pin, CG008 no SOPS), and the
//! parameters they read at admission time.
//!
//! One settings file (`deploy/admission/settings.yaml`, the Kubewarden settings shape)
//! drives all three engines: [`files`] turns it into the Kubewarden policy's
//! `spec.settings` and into the params ConfigMap both twins read through `paramKind` /
//! `paramRef` (`params.data.*`). The twins' expressions themselves do not depend on
//! the settings, so adding a region, an org allow-list, an exempt namespace or another
//! chart pattern changes one ConfigMap, read at admission time, and no policy.
//!
//! What the twins cannot express is lockstep (CG003: it needs the Blueprint, from the
//! `blueprintVersions` setting or the cluster) and the Blueprint rule; those settings
//! (`blueprintVersions`, `contextAware`, `blueprintNamespace`) reach the Kubewarden
//! policy only.
//!
//! Both twins carry the same CEL expressions, so one parity test (which evaluates
//! them with a Rust CEL interpreter against the Kubewarden fixtures, under several
//! settings) covers both. The expressions mirror the Kubewarden policy's UPDATE rule:
//! a violation already present in an unchanged field is let through (CEL cannot warn
//! selectively, so it passes silently).
//!
//! The regexes avoid backslashes (`[.]` rather than `\.`) so they read the same in
//! YAML, in a CEL string literal and in RE2.
//!
//! - `regex.rs`: the regexes, and the params ConfigMap's data that carries them;
//! - `cel.rs`: the rules as CEL;
//! - `manifests.rs`: the policies, bindings, ConfigMap and ClusterAdmissionPolicy;
//! - `kyverno_tests.rs`: the `kyverno test` suites from the shared case table.

mod cel;
mod kyverno_tests;
mod manifests;
mod regex;

pub use cel::{CelRule, cel_rules};
pub use kyverno_tests::{TestCase, kyverno_test_files, read_case_table, test_cases};
pub use manifests::{
    File, HEADER, PARAMS_NAME, PARAMS_NAMESPACE, SETTINGS_PATH, cluster_admission_policy, kyverno,
    params_configmap, vap_bindings, vap_policies,
};
pub use regex::{
    ORG_REGEX, chart_regex, exact_pin_regex, gitea_url_regex, location_code_regex, org_regex,
    params,
};

use crate::settings::{SettingsFileError, read_file};

/// Every generated file: the twins (independent of the settings), their `kyverno
/// test` suites from the shared case table, and, from the settings file
/// `settings_path` holding `settings_text`, the Kubewarden ClusterAdmissionPolicy and
/// the params ConfigMap.
pub fn files(
    settings_path: &str,
    settings_text: &str,
    cases: &[TestCase],
) -> Result<Vec<File>, SettingsFileError> {
    let (settings, cfg) = read_file(settings_path, settings_text)?;
    let mut out = vec![
        File {
            path: "policies/kyverno/clusterpolicy.yaml",
            text: kyverno(),
        },
        File {
            path: "policies/vap/policies.yaml",
            text: vap_policies(),
        },
        File {
            path: "policies/vap/bindings.yaml",
            text: vap_bindings(),
        },
        File {
            path: "deploy/admission/params.yaml",
            text: params_configmap(&cfg),
        },
        File {
            path: "deploy/admission/clusteradmissionpolicy.yaml",
            text: cluster_admission_policy(&settings),
        },
    ];
    out.extend(kyverno_test_files(cases));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::cel::has_chain;
    use super::*;
    use catalyst_guard::naming::LocationTable;

    #[test]
    fn location_codes_follow_the_table_and_fix_the_building_block() {
        assert_eq!(
            location_code_regex(&LocationTable::default()),
            "(?:h[fnlais]|w[pcqr]|o[xrgdy]|ce)m[psudc]"
        );
        let mut table = LocationTable::default();
        table.add_region('a', 'e', "eu-central-1");
        assert!(location_code_regex(&table).contains("|ae|"));
    }

    #[test]
    fn globs_become_whole_name_regexes() {
        assert_eq!(chart_regex("bp-*"), "^bp-[^/]*$");
        assert_eq!(chart_regex("bp.?"), "^bp[.][^/]$");
    }

    #[test]
    fn org_allow_lists_become_alternations() {
        assert_eq!(org_regex(&[]), ORG_REGEX);
        assert_eq!(
            org_regex(&["openova".into(), "acme".into()]),
            "(?:openova|acme)"
        );
    }

    #[test]
    fn expressions_guard_every_field_access_with_has() {
        assert_eq!(
            has_chain("object", "spec.url"),
            "has(object.spec) && has(object.spec.url)"
        );
    }

    #[test]
    fn generated_files_carry_the_header_and_no_backslashes() {
        let files = files(
            "settings.yaml",
            "locationCodes:\n  regions: {a: {e: eu-central-1}}\n",
            &[],
        )
        .expect("valid settings");
        for file in files {
            assert!(file.text.starts_with(HEADER), "{}", file.path);
            assert!(!file.text.contains('\\'), "{}", file.path);
        }
    }

    #[test]
    fn one_settings_file_feeds_the_configmap_and_the_kubewarden_settings() {
        let files = files(
            "settings.yaml",
            "locationCodes:\n  regions: {a: {e: eu-central-1}}\nallowedOrgs: [openova]\nexemptNamespaces: [kube-system, legacy]\nchartPattern: 'platform-*'\n",
            &[],
        )
        .expect("valid settings");
        let params = &files[3].text;
        assert!(params.contains("|ae|"), "{params}");
        assert!(params.contains("orgs: '(?:openova)'"), "{params}");
        assert!(
            params.contains("exemptNamespaces: 'kube-system legacy'"),
            "{params}"
        );
        assert!(
            params.contains("chartPattern: '^platform-[^/]*$'"),
            "{params}"
        );
        let cap = &files[4].text;
        assert!(cap.contains("      e: eu-central-1"), "{cap}");
        assert!(cap.contains("chartPattern: platform-*"), "{cap}");
    }

    #[test]
    fn a_bad_settings_file_names_the_file_and_the_line_or_field() {
        let e = files(
            "deploy/admission/settings.yaml",
            "allowedOrgs: [Acme]\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "deploy/admission/settings.yaml: `allowedOrgs[0]`: `Acme` does not match `^[a-z][a-z0-9-]{2,31}$`"
        );
        let e = files("s.yaml", "allowedOrgs: [a\n  b: c\n", &[]).unwrap_err();
        assert!(e.to_string().starts_with("s.yaml:"), "{e}");
        assert!(e.to_string().contains(':'), "{e}");
    }
}
