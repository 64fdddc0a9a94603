//! `.catalyst-guard.yaml`: rule switches and severities, extra location codes and
//! their placeholders, the retired-term glossary, service hosts, allowed public hosts,
//! path excludes, chart roots, UI source extensions, the current Blueprint
//! `apiVersion` and the changes that need no chart version bump. `docs/lint.md` is the
//! reference; every key is shown there.
//!
//! Unknown keys and bad values are errors naming the field and its line:column, never
//! silently ignored: a typo in a guardrail's configuration must not switch it off.
//! Globs that match nothing are warnings (CG016), found once the files are known.

use std::collections::HashMap;

use super::glob::{Glob, GlobError};
use super::layout::ChartRoots;
use super::registry::{RULES, find_rule};
use super::scan::Scanner;
use super::terms::{
    Allow, DEFAULT_MIGRATION_CUES, DEFAULT_UI_EXTENSIONS, RetiredTerm, built_in_terms,
};
use super::{RuleMeta, Severity};
use crate::naming::LocationTable;
use crate::yaml::config::{err, flag, list, map, root, string, strings};
use crate::yaml::{self, Node, Pos};

pub use crate::yaml::config::ConfigError;

/// The file the host reads by default, and where findings about it point.
pub const CONFIG_FILE: &str = ".catalyst-guard.yaml";

/// A service whose hosts CG006 checks: `<name>.<location-code>.<sovereign-domain>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The first label (`gitea`).
    pub name: String,
    /// The building block its location code must name (`m` for Gitea), or `None` for
    /// any.
    pub building_block: Option<char>,
}

/// Where a configured glob is used, for CG016's "matches nothing" warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GlobUse {
    /// `exclude[i]`.
    Exclude(usize),
    /// A retired term's `paths` (term index, glob index).
    TermPaths(usize, usize),
    /// A retired term's `exclude` (term index, glob index).
    TermExclude(usize, usize),
    /// `chartRoots[i]`.
    ChartRoot(usize),
}

/// A configured glob and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobSite {
    /// Which glob.
    pub used: GlobUse,
    /// The field, for messages (`retiredTerms[2].paths`).
    pub field: String,
    /// The glob as written.
    pub pattern: String,
    /// Where it was written.
    pub pos: Pos,
}

/// CG010's exemptions: chart changes that need no version bump.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionBump {
    /// Globs, relative to the chart folder, of files whose changes need no bump
    /// (`README.md`, `ci/**`). `.helmignore`d files never need one.
    pub ignore_paths: Vec<Glob>,
    /// Dotted key paths in `values.yaml` whose value changes need no bump
    /// (`image.tag`, `*.image.tag`; `*` is one key): an image bot's tag updates.
    pub ignore_values: Vec<Vec<String>>,
}

/// Effective lint configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Location-code table (defaults plus configured extensions).
    pub locations: LocationTable,
    /// Extra placeholders that stand in for a location code (`locationCodes.placeholders`).
    pub location_placeholders: Vec<String>,
    /// Per-rule overrides by code: `None` disables the rule.
    overrides: HashMap<&'static str, Option<Severity>>,
    /// The glossary: the built-in retired terms, then the configured ones.
    pub terms: Vec<RetiredTerm>,
    /// A migration note (a sentence with a cue such as "replacing" or "->") documents
    /// a rename and is not reported (`migrationNotes`, default on).
    pub migration_notes: bool,
    /// The cues that make a migration note, lowercase (`migrationCues`).
    pub migration_cues: Vec<String>,
    /// Services whose hosts CG006 checks (`serviceHosts` adds to Gitea and the Flux
    /// webhook).
    pub services: Vec<Service>,
    /// Public hosts that look like service hosts but are not ours (`gitea.io`).
    pub allowed_hosts: Vec<String>,
    /// Globs of root-relative paths to skip.
    pub exclude: Vec<Glob>,
    /// Where chart folders are (`chartRoots`).
    pub chart_roots: ChartRoots,
    /// Extensions of UI sources CG015 reads, lowercase, without the dot.
    pub ui_extensions: Vec<String>,
    /// The Blueprint `apiVersion` the repository declares current (CG014, which is
    /// silent until it is declared).
    pub blueprint_api_version: Option<String>,
    /// CG010's exemptions.
    pub version_bump: VersionBump,
    /// Every configured glob with its position, for CG016.
    pub glob_sites: Vec<GlobSite>,
    /// The configuration file's path as findings show it (CG016).
    pub path: String,
    /// The text scanner for the built-in and extra terms (rebuilt by `parse`).
    scanner: Scanner,
}

impl Default for Config {
    fn default() -> Self {
        let terms = built_in_terms();
        let services = vec![
            Service {
                name: "gitea".to_string(),
                building_block: Some('m'),
            },
            Service {
                name: "flux-webhook".to_string(),
                building_block: Some('m'),
            },
        ];
        Self {
            locations: LocationTable::default(),
            location_placeholders: Vec::new(),
            overrides: HashMap::new(),
            scanner: Scanner::new(&terms, &services),
            terms,
            migration_notes: true,
            migration_cues: DEFAULT_MIGRATION_CUES.map(str::to_string).to_vec(),
            services,
            allowed_hosts: vec!["gitea.io".to_string(), "gitea.com".to_string()],
            exclude: Vec::new(),
            chart_roots: ChartRoots::default(),
            ui_extensions: DEFAULT_UI_EXTENSIONS.map(str::to_string).to_vec(),
            blueprint_api_version: None,
            version_bump: VersionBump::default(),
            glob_sites: Vec::new(),
            path: CONFIG_FILE.to_string(),
        }
    }
}

fn single_char(node: Node<'_>, field: &str) -> Result<char, ConfigError> {
    let s = node.scalar().unwrap_or_default();
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_lowercase() => Ok(c),
        _ => Err(err(
            field,
            node.pos(),
            format!("`{s}` is not a single lowercase letter"),
        )),
    }
}

fn severity(node: Node<'_>, field: &str) -> Result<Option<Severity>, ConfigError> {
    match node.scalar() {
        Some("error") => Ok(Some(Severity::Error)),
        Some("warning") => Ok(Some(Severity::Warning)),
        Some("info") => Ok(Some(Severity::Info)),
        Some("off" | "false") => Ok(None),
        other => Err(err(
            field,
            node.pos(),
            format!(
                "`{}` is not one of error, warning, info, off",
                other.unwrap_or("(collection)")
            ),
        )),
    }
}

/// The position of byte `offset` of a string value written at `node` (after its
/// opening quote, if quoted).
fn pos_in(node: Node<'_>, value: &str, offset: usize) -> Pos {
    let pos = node.pos();
    let chars = u32::try_from(value.chars().count()).unwrap_or(u32::MAX);
    // Only a value written as it reads (plain, or quoted without escapes, on one line)
    // maps offsets to columns; otherwise point at the value.
    if node.width() != chars && node.width() != chars.saturating_add(2) {
        return pos;
    }
    let quoted = u32::from(node.width() > chars);
    let chars = value
        .get(..offset)
        .map_or(0, |s| u32::try_from(s.chars().count()).unwrap_or(0));
    Pos::new(
        pos.line,
        pos.col.saturating_add(quoted).saturating_add(chars),
    )
}

/// A glob value, compiled; a malformed one is an error at the offending character.
fn glob(node: Node<'_>, field: &str) -> Result<Glob, ConfigError> {
    let source = string(node, field)?;
    Glob::new(&source).map_err(|GlobError { offset, message }| {
        err(
            field,
            pos_in(node, &source, offset),
            format!("glob `{source}`: {message}"),
        )
    })
}

/// An `allow` entry: `/regex/` or a phrase containing the term.
fn allow(node: Node<'_>, field: &str, term: &str) -> Result<Allow, ConfigError> {
    let source = string(node, field)?;
    if let Some(pattern) = source
        .strip_prefix('/')
        .and_then(|s| s.strip_suffix('/'))
        .filter(|s| !s.is_empty())
    {
        return match regex_lite::Regex::new(pattern) {
            Ok(regex) => Ok(Allow::Pattern {
                source: pattern.to_string(),
                regex,
            }),
            Err(e) => Err(err(
                field,
                pos_in(node, &source, 1),
                format!(
                    "`{source}` is not a regular expression: {}",
                    e.to_string().lines().last().unwrap_or("invalid")
                ),
            )),
        };
    }
    if !source
        .to_ascii_lowercase()
        .contains(&term.to_ascii_lowercase())
    {
        return Err(err(
            field,
            node.pos(),
            format!(
                "allowed phrase `{source}` does not contain the term `{term}` (write `/regex/` for a pattern)"
            ),
        ));
    }
    Ok(Allow::Phrase(source))
}

impl Config {
    /// Parses `.catalyst-guard.yaml` text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let parsed = yaml::parse(text);
        let mut config = Self::default();
        let Some(root) = root(&parsed)? else {
            return Ok(config);
        };
        for (key, value) in map(root, "(root)")? {
            let name = key.scalar().unwrap_or_default();
            match name {
                "rules" => config.parse_rules(value)?,
                "locationCodes" => config.parse_locations(value)?,
                "retiredTerms" => config.parse_terms(value)?,
                "migrationNotes" => config.migration_notes = flag(value, name)?,
                "migrationCues" => {
                    config.migration_cues = strings(value, name)?
                        .into_iter()
                        .map(|c| c.to_lowercase())
                        .collect();
                }
                "serviceHosts" => config.parse_services(value)?,
                "allowedHosts" => {
                    for item in list(value, name)? {
                        config
                            .allowed_hosts
                            .push(string(item, "allowedHosts[]")?.to_ascii_lowercase());
                    }
                }
                "exclude" => {
                    for item in list(value, name)? {
                        let g = glob(item, "exclude[]")?;
                        config.site(GlobUse::Exclude(config.exclude.len()), "exclude", item);
                        config.exclude.push(g);
                    }
                }
                "chartRoots" => {
                    let items = list(value, name)?;
                    if items.is_empty() {
                        return Err(err(
                            name,
                            value.pos(),
                            "expected at least one glob (the default is `platform/*/chart`, `products/*/chart`)",
                        ));
                    }
                    let mut roots = Vec::new();
                    for (i, item) in items.iter().enumerate() {
                        glob(*item, "chartRoots[]")?;
                        config.site(GlobUse::ChartRoot(i), "chartRoots", *item);
                        roots.push(string(*item, "chartRoots[]")?);
                    }
                    config.chart_roots = ChartRoots::new(roots).map_err(|(i, e)| {
                        err(
                            "chartRoots[]",
                            items.get(i).map_or(value.pos(), |n| n.pos()),
                            e.message,
                        )
                    })?;
                }
                "uiExtensions" => {
                    config.ui_extensions = strings(value, name)?
                        .into_iter()
                        .map(|e| e.trim_start_matches('.').to_ascii_lowercase())
                        .collect();
                }
                "blueprintApiVersion" => {
                    let v = string(value, name)?;
                    if !v.starts_with("catalyst.openova.io/") {
                        return Err(err(
                            name,
                            value.pos(),
                            format!("`{v}` is not a `catalyst.openova.io/<version>` apiVersion"),
                        ));
                    }
                    config.blueprint_api_version = Some(v);
                }
                "versionBump" => config.parse_version_bump(value)?,
                _ => {
                    return Err(err(
                        name,
                        key.pos(),
                        "unknown key (expected rules, locationCodes, retiredTerms, migrationNotes, migrationCues, serviceHosts, allowedHosts, exclude, chartRoots, uiExtensions, blueprintApiVersion, versionBump)",
                    ));
                }
            }
        }
        config.scanner = Scanner::new(&config.terms, &config.services);
        Ok(config)
    }

    fn site(&mut self, used: GlobUse, field: &str, node: Node<'_>) {
        self.glob_sites.push(GlobSite {
            used,
            field: field.to_string(),
            pattern: node.scalar().unwrap_or_default().to_string(),
            pos: node.pos(),
        });
    }

    fn parse_rules(&mut self, node: Node<'_>) -> Result<(), ConfigError> {
        for (key, value) in map(node, "rules")? {
            let name = key.scalar().unwrap_or_default();
            let field = format!("rules.{name}");
            let rule = find_rule(name).ok_or_else(|| {
                err(
                    &field,
                    key.pos(),
                    "unknown rule (`catalyst-guard rules` lists them)",
                )
            })?;
            let level = severity(value, &field)?;
            self.overrides.insert(rule.code, level);
        }
        Ok(())
    }

    fn parse_locations(&mut self, node: Node<'_>) -> Result<(), ConfigError> {
        for (key, value) in map(node, "locationCodes")? {
            match key.scalar().unwrap_or_default() {
                "providers" => {
                    for (code, name) in map(value, "locationCodes.providers")? {
                        let field = format!(
                            "locationCodes.providers.{}",
                            code.scalar().unwrap_or_default()
                        );
                        let c = single_char(code, &field)?;
                        self.locations.add_provider(c, &string(name, &field)?);
                    }
                }
                "regions" => {
                    for (provider, regions) in map(value, "locationCodes.regions")? {
                        let pfield = format!(
                            "locationCodes.regions.{}",
                            provider.scalar().unwrap_or_default()
                        );
                        let p = single_char(provider, &pfield)?;
                        for (code, name) in map(regions, &pfield)? {
                            let field = format!("{pfield}.{}", code.scalar().unwrap_or_default());
                            let c = single_char(code, &field)?;
                            if !self.locations.add_region(p, c, &string(name, &field)?) {
                                return Err(err(
                                    &pfield,
                                    provider.pos(),
                                    format!(
                                        "unknown provider `{p}` (add it under locationCodes.providers)"
                                    ),
                                ));
                            }
                        }
                    }
                }
                "placeholders" => {
                    for item in list(value, "locationCodes.placeholders")? {
                        let p = string(item, "locationCodes.placeholders[]")?;
                        if !crate::naming::is_stand_in(&p) {
                            return Err(err(
                                "locationCodes.placeholders[]",
                                item.pos(),
                                format!("`{p}` is not a `<placeholder>` or `${{VARIABLE}}`"),
                            ));
                        }
                        self.location_placeholders.push(p);
                    }
                }
                other => {
                    return Err(err(
                        &format!("locationCodes.{other}"),
                        key.pos(),
                        "unknown key (expected providers, regions, placeholders)",
                    ));
                }
            }
        }
        Ok(())
    }

    fn parse_services(&mut self, node: Node<'_>) -> Result<(), ConfigError> {
        for (key, value) in map(node, "serviceHosts")? {
            let name = key.scalar().unwrap_or_default().to_ascii_lowercase();
            let field = format!("serviceHosts.{name}");
            let label_ok = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !label_ok {
                return Err(err(
                    &field,
                    key.pos(),
                    format!("`{name}` is not a DNS label"),
                ));
            }
            let building_block = match value.scalar() {
                Some("any") => None,
                Some(b @ ("m" | "d" | "r")) => b.chars().next(),
                other => {
                    return Err(err(
                        &field,
                        value.pos(),
                        format!(
                            "`{}` is not a building block (m, d, r) or `any`",
                            other.unwrap_or("(collection)")
                        ),
                    ));
                }
            };
            let service = Service {
                name,
                building_block,
            };
            match self.services.iter_mut().find(|s| s.name == service.name) {
                Some(existing) => *existing = service,
                None => self.services.push(service),
            }
        }
        Ok(())
    }

    fn parse_version_bump(&mut self, node: Node<'_>) -> Result<(), ConfigError> {
        for (key, value) in map(node, "versionBump")? {
            match key.scalar().unwrap_or_default() {
                "ignorePaths" => {
                    for item in list(value, "versionBump.ignorePaths")? {
                        let g = glob(item, "versionBump.ignorePaths[]")?;
                        self.version_bump.ignore_paths.push(g);
                    }
                }
                "ignoreValues" => {
                    for item in list(value, "versionBump.ignoreValues")? {
                        let path = string(item, "versionBump.ignoreValues[]")?;
                        let keys: Vec<String> = path.split('.').map(str::to_string).collect();
                        if keys.iter().any(String::is_empty) {
                            return Err(err(
                                "versionBump.ignoreValues[]",
                                item.pos(),
                                format!("`{path}` is not a dotted key path such as `image.tag`"),
                            ));
                        }
                        self.version_bump.ignore_values.push(keys);
                    }
                }
                other => {
                    return Err(err(
                        &format!("versionBump.{other}"),
                        key.pos(),
                        "unknown key (expected ignorePaths, ignoreValues)",
                    ));
                }
            }
        }
        Ok(())
    }

    fn parse_terms(&mut self, node: Node<'_>) -> Result<(), ConfigError> {
        for item in list(node, "retiredTerms")? {
            let mut term = None;
            let mut replacement = None;
            let mut entry = RetiredTerm::new("", "");
            let mut allows = Vec::new();
            let mut paths = Vec::new();
            let mut excludes = Vec::new();
            for (key, value) in map(item, "retiredTerms[]")? {
                let name = key.scalar().unwrap_or_default();
                let field = format!("retiredTerms[].{name}");
                match name {
                    "term" => term = Some(string(value, &field)?),
                    "replacement" => replacement = Some(string(value, &field)?),
                    "caseSensitive" => entry.case_sensitive = flag(value, &field)?,
                    "wordParts" => entry.word_parts = flag(value, &field)?,
                    "identifiers" => entry.identifiers = flag(value, &field)?,
                    "severity" => {
                        entry.severity = Some(severity(value, &field)?.ok_or_else(|| {
                            err(
                                &field,
                                value.pos(),
                                "a term cannot be `off` (remove it, or exclude its paths)",
                            )
                        })?);
                    }
                    "allow" => allows = one_or_many(value, &field)?,
                    "paths" => paths = one_or_many(value, &field)?,
                    "exclude" => excludes = one_or_many(value, &field)?,
                    _ => {
                        return Err(err(
                            &field,
                            key.pos(),
                            "unknown key (expected term, replacement, severity, caseSensitive, wordParts, identifiers, allow, paths, exclude)",
                        ));
                    }
                }
            }
            let term = term.ok_or_else(|| err("retiredTerms[].term", item.pos(), "missing"))?;
            let term = term.trim().to_string();
            if !term.is_ascii() || term.contains(['\n', '\t']) || term.contains("  ") {
                return Err(err(
                    "retiredTerms[].term",
                    item.pos(),
                    format!("`{term}` must be ASCII words separated by single spaces"),
                ));
            }
            let replacement = replacement
                .ok_or_else(|| err("retiredTerms[].replacement", item.pos(), "missing"))?;
            entry.allow = allows
                .into_iter()
                .map(|n| allow(n, "retiredTerms[].allow", &term))
                .collect::<Result<_, _>>()?;
            // An entry spelled like a built-in (or earlier) term replaces it, so a team
            // can scope or re-word a default; two needles for one spelling would leave
            // the second unmatched.
            let index = self
                .terms
                .iter()
                .position(|t| t.term.eq_ignore_ascii_case(&term))
                .unwrap_or(self.terms.len());
            self.glob_sites.retain(|s| {
                !matches!(s.used, GlobUse::TermPaths(t, _) | GlobUse::TermExclude(t, _) if t == index)
            });
            for (i, n) in paths.iter().enumerate() {
                entry.paths.push(glob(*n, "retiredTerms[].paths")?);
                self.site(GlobUse::TermPaths(index, i), "retiredTerms[].paths", *n);
            }
            for (i, n) in excludes.iter().enumerate() {
                entry.exclude.push(glob(*n, "retiredTerms[].exclude")?);
                self.site(GlobUse::TermExclude(index, i), "retiredTerms[].exclude", *n);
            }
            let entry = RetiredTerm {
                term,
                replacement,
                ..entry
            };
            match self.terms.get_mut(index) {
                Some(existing) => *existing = entry,
                None => self.terms.push(entry),
            }
        }
        Ok(())
    }

    /// Switches off every cross-file rule: used when single files are linted out of
    /// their repository, where a missing counterpart proves nothing.
    pub fn disable_repo_rules(&mut self) {
        for rule in RULES {
            if rule.is_cross_file() {
                self.overrides.insert(rule.code, None);
            }
        }
    }

    /// The text scanner for this configuration.
    pub(crate) fn scanner(&self) -> &Scanner {
        &self.scanner
    }

    /// The effective severity of a rule.
    pub fn severity_of(&self, rule: &RuleMeta) -> Severity {
        match self.overrides.get(rule.code) {
            Some(Some(s)) => *s,
            _ => rule.default_severity,
        }
    }

    /// False if the configuration switched the rule off.
    pub fn is_enabled(&self, rule: &RuleMeta) -> bool {
        !matches!(self.overrides.get(rule.code), Some(None))
    }

    /// True if a root-relative path matches an `exclude` glob.
    pub fn is_excluded(&self, path: &str) -> bool {
        self.exclude.iter().any(|g| g.matches(path))
    }

    /// The index of the first `exclude` glob a path matches.
    pub fn excluded_by(&self, path: &str) -> Option<usize> {
        self.exclude.iter().position(|g| g.matches(path))
    }

    /// True if a placeholder (`<loc>`, `${LOCATION_CODE}`) stands in for a location
    /// code: one whose name says "loc" (`<location-code>`, `<loc>`,
    /// `${LOCATION_CODE}`, `$LOC`), or one declared under
    /// `locationCodes.placeholders`. `<sovereign>` and `<domain>` do not.
    pub fn is_location_placeholder(&self, s: &str) -> bool {
        crate::naming::url::is_location_stand_in(s)
            || self.location_placeholders.iter().any(|p| p == s)
    }

    /// True if `path`'s extension is one of `uiExtensions`.
    pub fn is_ui_source(&self, path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        name.rsplit_once('.').is_some_and(|(_, ext)| {
            self.ui_extensions
                .iter()
                .any(|e| e.eq_ignore_ascii_case(ext))
        })
    }
}

/// A string or a list of them, as nodes (for positions).
fn one_or_many<'a>(value: Node<'a>, field: &str) -> Result<Vec<Node<'a>>, ConfigError> {
    if value.as_str().is_some() {
        string(value, field)?;
        return Ok(vec![value]);
    }
    let items = list(value, field)?;
    for item in &items {
        string(*item, field)?;
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules;

    #[test]
    fn a_full_config_parses() {
        let c = Config::parse(
            "rules:\n  CG007: warning\n  sops-decryption: off\nlocationCodes:\n  providers: {v: Vultr}\n  regions:\n    v: {f: Frankfurt}\n    a: {e: eu-central-1}\n  placeholders: ['<site>']\nretiredTerms:\n  - term: Legacy\n    replacement: modern\n    severity: warning\n    allow: ['/legacy-[a-z]+/', legacy mode]\nallowedHosts: [gitea.example.org]\nexclude: ['docs/archive/**']\nserviceHosts: {console: m, harbor: any}\nuiExtensions: [.svelte]\nblueprintApiVersion: catalyst.openova.io/v1beta1\nversionBump:\n  ignorePaths: [README.md]\n  ignoreValues: [image.tag]\n",
        )
        .unwrap();
        assert_eq!(c.severity_of(&rules::retired_term::META), Severity::Warning);
        assert!(!c.is_enabled(&rules::sops_decryption::META));
        assert!(c.is_enabled(&rules::retired_term::META));
        assert_eq!(c.locations.decode("vfmp").unwrap().provider, "Vultr");
        assert_eq!(c.locations.decode("aemp").unwrap().region, "eu-central-1");
        let legacy = c.terms.iter().find(|t| t.term == "Legacy").unwrap();
        assert!(!legacy.case_sensitive && !legacy.word_parts);
        assert_eq!(legacy.severity, Some(Severity::Warning));
        assert!(
            matches!(&legacy.allow[0], Allow::Pattern { source, .. } if source == "legacy-[a-z]+")
        );
        assert!(c.is_excluded("docs/archive/a.md"));
        assert!(c.allowed_hosts.contains(&"gitea.io".to_string()));
        assert_eq!(c.services.len(), 4);
        assert!(c.is_ui_source("src/App.svelte") && !c.is_ui_source("src/App.tsx"));
        assert!(c.is_location_placeholder("<site>") && c.is_location_placeholder("<loc>"));
        assert!(!c.is_location_placeholder("<sovereign>"));
        assert_eq!(c.version_bump.ignore_values, [["image", "tag"]]);
        assert_eq!(c.glob_sites.len(), 1);
    }

    #[test]
    fn mistakes_name_the_field_and_position() {
        let e = Config::parse("rules:\n  CG099: off\n").unwrap_err();
        assert_eq!((e.field.as_str(), e.line, e.col), ("rules.CG099", 2, 3));
        let e = Config::parse("rules:\n  CG007: loud\n").unwrap_err();
        assert_eq!(e.field, "rules.CG007");
        assert!(e.message.contains("`loud`"));
        let e = Config::parse("rule:\n  CG007: off\n").unwrap_err();
        assert_eq!((e.field.as_str(), e.line), ("rule", 1));
        let e = Config::parse("locationCodes:\n  regions:\n    q: {x: Nowhere}\n").unwrap_err();
        assert!(e.message.contains("unknown provider"), "{e}");
        let e = Config::parse("locationCodes:\n  providers: {vv: X}\n").unwrap_err();
        assert_eq!(e.field, "locationCodes.providers.vv");
        let e = Config::parse("retiredTerms:\n  - term: \"two  spaces\"\n    replacement: x\n")
            .unwrap_err();
        assert_eq!(e.field, "retiredTerms[].term");
        let e = Config::parse(
            "retiredTerms:\n  - term: Module\n    replacement: Blueprint\n    allow: [Go package]\n",
        )
        .unwrap_err();
        assert_eq!(e.field, "retiredTerms[].allow");
        assert!(e.message.contains("`Go package`"), "{e}");
        let e = Config::parse(
            "retiredTerms:\n  - term: Module\n    replacement: Blueprint\n    caseSensitive: yes\n",
        )
        .unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.line),
            ("retiredTerms[].caseSensitive", 4)
        );
        let e = Config::parse("chartRoots: []\n").unwrap_err();
        assert_eq!(e.field, "chartRoots");
        let e = Config::parse("exclude: docs\n").unwrap_err();
        assert!(e.message.contains("list"));
        let e = Config::parse("rules: [\n").unwrap_err();
        assert!(e.message.contains("invalid YAML"));
    }

    #[test]
    fn bad_globs_and_regexes_point_at_the_character() {
        // Column of `{` in `  - "docs/{a,b"`: the quote is col 5, `d` col 6.
        let e = Config::parse("exclude:\n  - \"docs/{a,b\"\n").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.line, e.col),
            ("exclude[]", 2, 11),
            "{e}"
        );
        assert!(e.message.contains("`{` is never closed"), "{e}");
        let e = Config::parse(
            "retiredTerms:\n  - term: Tenant\n    replacement: Organization\n    paths: [docs/[ab.md]\n",
        );
        // A flow list cannot hold an unquoted `[`: YAML itself fails, with a position.
        assert!(e.is_err());
        let e = Config::parse(
            "retiredTerms:\n  - term: Tenant\n    replacement: Organization\n    paths: ['docs/[ab.md']\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.col), (4, 19), "{e}");
        let e = Config::parse(
            "retiredTerms:\n  - term: Tenant\n    replacement: Organization\n    allow: ['/tenant(/']\n",
        )
        .unwrap_err();
        assert_eq!(e.field, "retiredTerms[].allow");
        assert!(e.message.contains("not a regular expression"), "{e}");
        let e = Config::parse("chartRoots: ['charts/{a']\n").unwrap_err();
        assert_eq!((e.line, e.col), (1, 22), "{e}");
        let e = Config::parse("serviceHosts: {console: x}\n").unwrap_err();
        assert_eq!(e.field, "serviceHosts.console");
        let e = Config::parse("locationCodes:\n  placeholders: [site]\n").unwrap_err();
        assert!(e.message.contains("`site`"), "{e}");
    }

    #[test]
    fn an_empty_file_is_the_default() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
        assert_eq!(Config::parse("# nothing\n").unwrap(), Config::default());
    }
}
