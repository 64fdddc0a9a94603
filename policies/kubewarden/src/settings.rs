//! Policy settings (the ClusterAdmissionPolicy's `spec.settings`) and their validation.
//!
//! Settings arrive as JSON twice: once in `validate_settings` when policy-server loads
//! the policy, and again inside every `validate` request. Both paths go through
//! [`Settings::parse`], so a request can never be judged by settings that
//! `validate_settings` would have refused. Unknown keys are errors, as in the linter's
//! `.catalyst-guard.yaml`: a misspelt key must not silently switch a guardrail off.

use std::collections::BTreeMap;

use catalyst_guard::naming::LocationTable;
use catalyst_guard::naming::url::is_valid_org;
use catalyst_guard::version::Version;
use serde::{Deserialize, Serialize};

/// The default chart-name pattern: Catalyst Blueprint charts.
pub const DEFAULT_CHART_PATTERN: &str = "bp-*";

/// Settings as written by the operator.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// Location codes beyond the built-in table (new providers and regions).
    #[serde(default)]
    pub location_codes: LocationCodes,
    /// If not empty, the only orgs a GitRepository URL may name.
    #[serde(default)]
    pub allowed_orgs: Vec<String>,
    /// Namespaces whose objects are admitted without any check.
    #[serde(default)]
    pub exempt_namespaces: Vec<String>,
    /// Glob (`*`, `?`) selecting the charts whose HelmRelease pins are checked.
    #[serde(default = "default_chart_pattern")]
    pub chart_pattern: String,
    /// Blueprint name -> version, for lockstep without reading the cluster. Takes
    /// precedence over the cluster.
    #[serde(default)]
    pub blueprint_versions: BTreeMap<String, String>,
    /// Read the Blueprint of a pinned chart from the cluster (context-aware).
    #[serde(default)]
    pub context_aware: bool,
    /// Namespace of Blueprint objects; absent means Blueprints are cluster-scoped.
    #[serde(default)]
    pub blueprint_namespace: Option<String>,
}

fn default_chart_pattern() -> String {
    DEFAULT_CHART_PATTERN.to_string()
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            location_codes: LocationCodes::default(),
            allowed_orgs: Vec::new(),
            exempt_namespaces: Vec::new(),
            chart_pattern: default_chart_pattern(),
            blueprint_versions: BTreeMap::new(),
            context_aware: false,
            blueprint_namespace: None,
        }
    }
}

/// `locationCodes`: the same shape as the linter's `.catalyst-guard.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LocationCodes {
    /// Provider code -> display name (adds or renames a provider).
    #[serde(default)]
    pub providers: BTreeMap<String, String>,
    /// Provider code -> region code -> display name.
    #[serde(default)]
    pub regions: BTreeMap<String, BTreeMap<String, String>>,
}

/// A setting that is not acceptable: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// Dotted path of the field (`blueprintVersions.bp-flux`).
    pub field: String,
    /// What is wrong, lowercase, the offending value in backticks.
    pub message: String,
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "`{}`: {}", self.field, self.message)
        }
    }
}

fn error(field: impl Into<String>, message: impl Into<String>) -> SettingsError {
    SettingsError {
        field: field.into(),
        message: message.into(),
    }
}

/// Validated settings, ready for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The location-code table: built-in codes plus `locationCodes`.
    pub locations: LocationTable,
    /// `allowedOrgs` (empty: any org matching the grammar).
    pub allowed_orgs: Vec<String>,
    /// `exemptNamespaces`.
    pub exempt_namespaces: Vec<String>,
    /// `chartPattern`.
    pub chart_pattern: String,
    /// `blueprintVersions`.
    pub blueprint_versions: BTreeMap<String, String>,
    /// `contextAware`.
    pub context_aware: bool,
    /// `blueprintNamespace`.
    pub blueprint_namespace: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        // The default settings are valid by construction; `compile` cannot fail on them.
        Settings::default().compile().unwrap_or_else(|_| Self {
            locations: LocationTable::default(),
            allowed_orgs: Vec::new(),
            exempt_namespaces: Vec::new(),
            chart_pattern: default_chart_pattern(),
            blueprint_versions: BTreeMap::new(),
            context_aware: false,
            blueprint_namespace: None,
        })
    }
}

impl Config {
    /// True if HelmReleases of `chart` are checked (`chartPattern`). A chart given as
    /// a path (`./charts/x`, Git sources) is not a chart name and never matches.
    pub fn chart_selected(&self, chart: &str) -> bool {
        !chart.contains('/') && catalyst_guard::lint::glob::matches(&self.chart_pattern, chart)
    }

    /// The settings as the core's object rules take them.
    pub fn object_settings(&self) -> catalyst_guard::objects::Settings<'_> {
        catalyst_guard::objects::Settings {
            locations: &self.locations,
            allowed_orgs: &self.allowed_orgs,
            chart_pattern: Some(&self.chart_pattern),
        }
    }

    /// True if objects in `namespace` are exempt.
    pub fn is_exempt(&self, namespace: &str) -> bool {
        self.exempt_namespaces.iter().any(|n| n == namespace)
    }
}

impl Settings {
    /// Parses settings JSON (`null` and `{}` give the defaults) and validates it.
    pub fn parse(json: &[u8]) -> Result<Config, SettingsError> {
        let de = &mut serde_json::Deserializer::from_slice(json);
        let settings: Option<Settings> = serde_path_to_error::deserialize(de).map_err(|e| {
            let (field, message) = crate::objects::error_path(e);
            error(field, message)
        })?;
        settings.unwrap_or_default().compile()
    }

    /// Validates the settings and builds the configuration the rules use.
    pub fn compile(&self) -> Result<Config, SettingsError> {
        let mut locations = LocationTable::default();
        for (code, name) in &self.location_codes.providers {
            let field = format!("locationCodes.providers.{code}");
            let c = single_letter(code, &field)?;
            locations.add_provider(c, display_name(name, &field)?);
        }
        for (provider, regions) in &self.location_codes.regions {
            let pfield = format!("locationCodes.regions.{provider}");
            let p = single_letter(provider, &pfield)?;
            for (code, name) in regions {
                let field = format!("{pfield}.{code}");
                let c = single_letter(code, &field)?;
                if !locations.add_region(p, c, display_name(name, &field)?) {
                    return Err(error(
                        pfield,
                        format!("unknown provider `{p}` (add it under `locationCodes.providers`)"),
                    ));
                }
            }
        }
        for (i, org) in self.allowed_orgs.iter().enumerate() {
            if !is_valid_org(org) {
                return Err(error(
                    format!("allowedOrgs[{i}]"),
                    format!("`{org}` does not match `^[a-z][a-z0-9-]{{2,31}}$`"),
                ));
            }
        }
        for (i, ns) in self.exempt_namespaces.iter().enumerate() {
            if !is_dns_label(ns) {
                return Err(error(
                    format!("exemptNamespaces[{i}]"),
                    format!("`{ns}` is not a namespace name (a DNS-1123 label)"),
                ));
            }
        }
        let pattern = &self.chart_pattern;
        if pattern.is_empty() {
            return Err(error(
                "chartPattern",
                "must not be empty (the default is `bp-*`)",
            ));
        }
        if pattern.len() > 253
            || !pattern
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.*?".contains(&b))
        {
            return Err(error(
                "chartPattern",
                format!(
                    "`{pattern}` is not a chart-name glob (lowercase letters, digits, `-_.`, and the wildcards `*` and `?`)"
                ),
            ));
        }
        for (name, version) in &self.blueprint_versions {
            let field = format!("blueprintVersions.{name}");
            if name.is_empty() || name.len() > 253 || name.contains('/') {
                return Err(error(field, format!("`{name}` is not a Blueprint name")));
            }
            if Version::parse(version).is_none() {
                return Err(error(
                    field,
                    format!("`{version}` is not an exact version such as `1.2.3`"),
                ));
            }
        }
        if let Some(ns) = &self.blueprint_namespace
            && !is_dns_label(ns)
        {
            return Err(error(
                "blueprintNamespace",
                format!("`{ns}` is not a namespace name (a DNS-1123 label)"),
            ));
        }
        Ok(Config {
            locations,
            allowed_orgs: self.allowed_orgs.clone(),
            exempt_namespaces: self.exempt_namespaces.clone(),
            chart_pattern: pattern.clone(),
            blueprint_versions: self.blueprint_versions.clone(),
            context_aware: self.context_aware,
            blueprint_namespace: self.blueprint_namespace.clone(),
        })
    }
}

/// A location-code character: one lowercase ASCII letter, as the linter requires.
fn single_letter(s: &str, field: &str) -> Result<char, SettingsError> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_lowercase() => Ok(c),
        _ => Err(error(
            field,
            format!("`{s}` is not a single lowercase letter"),
        )),
    }
}

fn display_name<'a>(name: &'a str, field: &str) -> Result<&'a str, SettingsError> {
    if name.trim().is_empty() || name.len() > 64 {
        Err(error(field, "must be a name of 1 to 64 characters"))
    } else {
        Ok(name)
    }
}

/// A DNS-1123 label: what Kubernetes accepts as a namespace name.
fn is_dns_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A settings file that cannot be used: what is wrong, naming the file and the line
/// or field.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsFileError(pub String);

#[cfg(not(target_arch = "wasm32"))]
impl std::fmt::Display for SettingsFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a settings file (YAML, the Kubewarden settings shape) and validates it as the
/// policy's `validate_settings` does. `path` names the file in errors. Native only: the
/// build tools (`policy-tool gen-policies`) read the file; the policy gets JSON.
#[cfg(not(target_arch = "wasm32"))]
pub fn read_file(path: &str, text: &str) -> Result<(serde_json::Value, Config), SettingsFileError> {
    let value: serde_json::Value = match serde_yaml::from_str::<Option<serde_json::Value>>(text) {
        Ok(v) => v.unwrap_or(serde_json::Value::Null),
        Err(e) => {
            let at = e
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            return Err(SettingsFileError(format!("{path}{at}: {e}")));
        }
    };
    let json = value.to_string();
    let cfg =
        Settings::parse(json.as_bytes()).map_err(|e| SettingsFileError(format!("{path}: {e}")))?;
    Ok((value, cfg))
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn field_of(json: &str) -> String {
        Settings::parse(json.as_bytes())
            .map(|_| String::from("(valid)"))
            .unwrap_or_else(|e| e.field)
    }

    #[rstest]
    #[case::null("null")]
    #[case::empty("{}")]
    #[case::everything(
        r#"{"locationCodes":{"providers":{"v":"Vultr"},"regions":{"v":{"f":"Frankfurt"},"a":{"e":"eu-central-1"}}},
            "allowedOrgs":["openova","acme-labs"],"exemptNamespaces":["kube-system"],
            "chartPattern":"bp-*","blueprintVersions":{"bp-flux":"1.1.4","bp-x":"2.0.0-rc.1"},
            "contextAware":true,"blueprintNamespace":"catalyst-system"}"#
    )]
    fn valid_settings_are_accepted(#[case] json: &str) {
        assert_eq!(field_of(json), "(valid)");
    }

    #[rstest]
    #[case::unknown_key(r#"{"contextAwre":true}"#, "")]
    #[case::wrong_type(r#"{"contextAware":"yes"}"#, "contextAware")]
    #[case::bad_org(r#"{"allowedOrgs":["openova","Acme"]}"#, "allowedOrgs[1]")]
    #[case::bad_namespace(r#"{"exemptNamespaces":["Kube_System"]}"#, "exemptNamespaces[0]")]
    #[case::empty_pattern(r#"{"chartPattern":""}"#, "chartPattern")]
    #[case::regex_pattern(r#"{"chartPattern":"^bp-.*$"}"#, "chartPattern")]
    #[case::range_version(
        r#"{"blueprintVersions":{"bp-flux":"1.x"}}"#,
        "blueprintVersions.bp-flux"
    )]
    #[case::v_prefix(
        r#"{"blueprintVersions":{"bp-flux":"v1.2.3"}}"#,
        "blueprintVersions.bp-flux"
    )]
    #[case::two_letter_provider(
        r#"{"locationCodes":{"providers":{"vv":"X"}}}"#,
        "locationCodes.providers.vv"
    )]
    #[case::unknown_provider(
        r#"{"locationCodes":{"regions":{"q":{"x":"Nowhere"}}}}"#,
        "locationCodes.regions.q"
    )]
    #[case::unknown_location_key(r#"{"locationCodes":{"zones":{}}}"#, "locationCodes")]
    #[case::bad_blueprint_namespace(r#"{"blueprintNamespace":"-x"}"#, "blueprintNamespace")]
    fn bad_settings_name_their_field(#[case] json: &str, #[case] field: &str) {
        assert_eq!(field_of(json), field, "{json}");
    }

    #[test]
    fn the_message_names_the_field_and_the_value() {
        let e = Settings::parse(br#"{"blueprintVersions":{"bp-flux":"^1.2"}}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`blueprintVersions.bp-flux`: `^1.2` is not an exact version such as `1.2.3`"
        );
        let e = Settings::parse(br#"{"contextAwre":true}"#).unwrap_err();
        assert!(
            e.to_string().starts_with("unknown field `contextAwre`"),
            "{e}"
        );
    }

    #[test]
    fn extra_location_codes_extend_the_table() {
        let c = Settings::parse(br#"{"locationCodes":{"regions":{"a":{"e":"eu-central-1"}}}}"#)
            .unwrap();
        assert_eq!(c.locations.decode("aemp").unwrap().region, "eu-central-1");
        assert!(Config::default().locations.decode("aemp").is_err());
    }

    #[rstest]
    #[case("bp-*", "bp-flux", true)]
    #[case("bp-*", "bp-", true)]
    #[case("bp-*", "cert-manager", false)]
    #[case("bp-*", "./platform/bp-flux", false)]
    #[case("bp-?lux", "bp-flux", true)]
    #[case("*", "anything", true)]
    fn chart_pattern_is_a_whole_name_glob(
        #[case] pattern: &str,
        #[case] chart: &str,
        #[case] selected: bool,
    ) {
        let c = Settings {
            chart_pattern: pattern.to_string(),
            ..Settings::default()
        }
        .compile()
        .unwrap();
        assert_eq!(c.chart_selected(chart), selected);
    }
}
