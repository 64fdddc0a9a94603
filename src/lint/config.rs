//! `.catalyst-guard.yaml`: rule switches and severities, extra location codes, the
//! retired-term glossary, allowed public hosts, path excludes and chart roots.
//!
//! ```yaml
//! rules:
//!   CG007: warning          # code or name -> error | warning | info | off
//!   sops-decryption: off
//! locationCodes:
//!   providers: { v: Vultr }
//!   regions:
//!     a: { e: eu-central-1 } # provider code -> region code -> name
//! retiredTerms:               # the glossary, added to the built-in terms
//!   - term: Lifecycle Manager  # one or more words
//!     replacement: Blueprint controller
//!   - term: Module
//!     replacement: Blueprint
//!     caseSensitive: true      # default false
//!     allow: [Go module, Terraform module]
//!     paths: ["docs/**", "**/README.md"]
//!     exclude: [docs/glossary.md]
//!     wordParts: false         # default: whole words only
//! migrationNotes: true         # a line naming the replacement too is not drift
//! allowedHosts: [gitea.io]   # public hosts CG006 must not flag
//! exclude: ["docs/archive/**"]
//! chartRoots:                # chart folders (default: these two)
//!   - platform/*/chart
//!   - products/*/chart
//! ```
//!
//! Unknown keys and bad values are errors naming the field and its line:column, never
//! silently ignored: a typo in a guardrail's configuration must not switch it off.

use std::collections::HashMap;

use super::layout::ChartRoots;
use super::scan::Scanner;
use super::{RuleMeta, Severity, find_rule, glob};
use crate::naming::LocationTable;
use crate::yaml::{self, Node, Pos};

/// A glossary entry: a term that must no longer appear, with what replaced it and
/// where and in which senses it is still fine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredTerm {
    /// The retired word or phrase (`Lifecycle Manager`), as written.
    pub term: String,
    /// What to write instead.
    pub replacement: String,
    /// What to write instead of the plural (`organizations`), for word-part terms
    /// whose plural `s` is matched too.
    pub plural: Option<String>,
    /// Match the case as written (`Template`, not `template`). Default: ignore case.
    pub case_sensitive: bool,
    /// Match inside words too (`tenantId`, `tenant_id`, plural `tenants`). Default:
    /// whole words only, so `templates/` does not match `Template`.
    pub word_parts: bool,
    /// Phrases in which the term is fine (`Go module`, `multi-tenant`); matched
    /// ignoring case, as whole words.
    pub allow: Vec<String>,
    /// Globs of the paths the term is checked in (default: everywhere).
    pub paths: Vec<String>,
    /// Globs of paths where the term is fine (the glossary itself, an audit log).
    pub exclude: Vec<String>,
}

impl RetiredTerm {
    /// A whole-word, case-insensitive term checked everywhere.
    pub fn new(term: &str, replacement: &str) -> Self {
        Self {
            term: term.to_string(),
            replacement: replacement.to_string(),
            plural: None,
            case_sensitive: false,
            word_parts: false,
            allow: Vec::new(),
            paths: Vec::new(),
            exclude: Vec::new(),
        }
    }

    /// True if the term is checked in this root-relative path.
    pub fn applies_to(&self, path: &str) -> bool {
        (self.paths.is_empty() || self.paths.iter().any(|g| glob::matches(g, path)))
            && !self.exclude.iter().any(|g| glob::matches(g, path))
    }
}

/// The built-in glossary (DOMAIN.md "Drift terms"): matched in word parts, as they
/// always were, so `tenantId` and `minio-operator` are found.
pub fn built_in_terms() -> Vec<RetiredTerm> {
    let word_parts =
        |term: &str, replacement: &str, plural: Option<&str>, allow: &[&str]| RetiredTerm {
            plural: plural.map(str::to_string),
            word_parts: true,
            allow: allow.iter().map(|a| a.to_string()).collect(),
            ..RetiredTerm::new(term, replacement)
        };
    vec![
        word_parts(
            "tenant",
            "organization",
            Some("organizations"),
            // PriorityClass names (deployed objects) and the generic adjective.
            &["tenant-high", "tenant-default", "multi-tenant"],
        ),
        word_parts("minio", "seaweedfs", None, &[]),
        word_parts("k8gb", "powerdns (lua-records)", None, &[]),
        word_parts("sops", "External Secrets PushSecrets", None, &[]),
    ]
}

/// Effective lint configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Location-code table (defaults plus configured extensions).
    pub locations: LocationTable,
    /// Per-rule overrides by code: `None` disables the rule.
    overrides: HashMap<&'static str, Option<Severity>>,
    /// The glossary: the built-in retired terms, then the configured ones.
    pub terms: Vec<RetiredTerm>,
    /// A line that names a retired term and its replacement documents the migration
    /// (`minio -> seaweedfs`) and is not reported (`migrationNotes`, default on).
    pub migration_notes: bool,
    /// Public hosts that look like service hosts but are not ours (`gitea.io`).
    pub allowed_hosts: Vec<String>,
    /// Globs of root-relative paths to skip.
    pub exclude: Vec<String>,
    /// Where chart folders are (`chartRoots`).
    pub chart_roots: ChartRoots,
    /// The text scanner for the built-in and extra terms (rebuilt by `parse`).
    scanner: Scanner,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            locations: LocationTable::default(),
            overrides: HashMap::new(),
            terms: built_in_terms(),
            migration_notes: true,
            allowed_hosts: vec!["gitea.io".to_string(), "gitea.com".to_string()],
            exclude: Vec::new(),
            chart_roots: ChartRoots::default(),
            scanner: Scanner::new(&built_in_terms()),
        }
    }
}

/// A configuration error with the field and position it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{col}: `{field}`: {message}")]
pub struct ConfigError {
    /// Dotted path of the field (`rules.CG099`).
    pub field: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
    /// What is wrong.
    pub message: String,
}

/// A configuration error at `pos` for `field` (shared with the recovery config).
pub(crate) fn err(field: &str, pos: Pos, message: impl Into<String>) -> ConfigError {
    // A top-level key written as `: value` has an empty name; say so rather than
    // name no field (found by the `config` fuzz target).
    let field = if field.is_empty() {
        "(empty key)"
    } else {
        field
    };
    ConfigError {
        field: field.to_string(),
        line: pos.line,
        col: pos.col,
        message: message.into(),
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

/// A non-empty string value.
pub(crate) fn string(node: Node<'_>, field: &str) -> Result<String, ConfigError> {
    match node.as_str() {
        Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
        _ => Err(err(field, node.pos(), "expected a non-empty string")),
    }
}

/// The entries of a mapping (a null value is an empty mapping).
pub(crate) fn map<'a>(
    node: Node<'a>,
    field: &str,
) -> Result<Vec<(Node<'a>, Node<'a>)>, ConfigError> {
    if node.is_null() {
        return Ok(Vec::new());
    }
    if !node.is_map() {
        return Err(err(field, node.pos(), "expected a mapping"));
    }
    Ok(node.entries().collect())
}

/// The items of a list (a null value is an empty list).
pub(crate) fn list<'a>(node: Node<'a>, field: &str) -> Result<Vec<Node<'a>>, ConfigError> {
    if node.is_null() {
        return Ok(Vec::new());
    }
    if !node.is_seq() {
        return Err(err(field, node.pos(), "expected a list"));
    }
    Ok(node.items().collect())
}

impl Config {
    /// Parses `.catalyst-guard.yaml` text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let parsed = yaml::parse(text);
        if let Some(e) = parsed.error {
            return Err(err("(file)", e.pos, format!("invalid YAML: {}", e.message)));
        }
        let mut config = Self::default();
        let Some(root) = parsed.documents.first().and_then(|d| d.root()) else {
            return Ok(config);
        };
        if parsed.documents.len() > 1 {
            let pos = parsed
                .documents
                .get(1)
                .map(|d| d.start())
                .unwrap_or_default();
            return Err(err("(file)", pos, "expected a single YAML document"));
        }
        for (key, value) in map(root, "(root)")? {
            let name = key.scalar().unwrap_or_default();
            match name {
                "rules" => config.parse_rules(value)?,
                "locationCodes" => config.parse_locations(value)?,
                "retiredTerms" => config.parse_terms(value)?,
                "migrationNotes" => match value.scalar() {
                    Some("true") => config.migration_notes = true,
                    Some("false") => config.migration_notes = false,
                    other => {
                        return Err(err(
                            name,
                            value.pos(),
                            format!("`{}` is not true or false", other.unwrap_or("(collection)")),
                        ));
                    }
                },
                "allowedHosts" => {
                    for item in list(value, name)? {
                        config
                            .allowed_hosts
                            .push(string(item, "allowedHosts[]")?.to_ascii_lowercase());
                    }
                }
                "exclude" => {
                    for item in list(value, name)? {
                        config.exclude.push(string(item, "exclude[]")?);
                    }
                }
                "chartRoots" => {
                    let mut roots = Vec::new();
                    for item in list(value, name)? {
                        roots.push(string(item, "chartRoots[]")?);
                    }
                    if roots.is_empty() {
                        return Err(err(
                            name,
                            value.pos(),
                            "expected at least one glob (the default is `platform/*/chart`, `products/*/chart`)",
                        ));
                    }
                    config.chart_roots = ChartRoots::new(roots);
                }
                _ => {
                    return Err(err(
                        name,
                        key.pos(),
                        "unknown key (expected rules, locationCodes, retiredTerms, migrationNotes, allowedHosts, exclude, chartRoots)",
                    ));
                }
            }
        }
        config.scanner = Scanner::new(&config.terms);
        Ok(config)
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
            let level = match value.scalar() {
                Some("error") => Some(Severity::Error),
                Some("warning") => Some(Severity::Warning),
                Some("info") => Some(Severity::Info),
                Some("off" | "false") => None,
                other => {
                    return Err(err(
                        &field,
                        value.pos(),
                        format!(
                            "`{}` is not one of error, warning, info, off",
                            other.unwrap_or("(collection)")
                        ),
                    ));
                }
            };
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
                other => {
                    return Err(err(
                        &format!("locationCodes.{other}"),
                        key.pos(),
                        "unknown key (expected providers, regions)",
                    ));
                }
            }
        }
        Ok(())
    }

    fn parse_terms(&mut self, node: Node<'_>) -> Result<(), ConfigError> {
        let flag = |value: Node<'_>, field: &str| match value.scalar() {
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            other => Err(err(
                field,
                value.pos(),
                format!("`{}` is not true or false", other.unwrap_or("(collection)")),
            )),
        };
        let strings = |value: Node<'_>, field: &str| -> Result<Vec<String>, ConfigError> {
            // A single string is a one-item list.
            if value.as_str().is_some() {
                return Ok(vec![string(value, field)?]);
            }
            list(value, field)?
                .into_iter()
                .map(|item| string(item, field))
                .collect()
        };
        for item in list(node, "retiredTerms")? {
            let mut term = None;
            let mut replacement = None;
            let mut entry = RetiredTerm::new("", "");
            for (key, value) in map(item, "retiredTerms[]")? {
                let name = key.scalar().unwrap_or_default();
                let field = format!("retiredTerms[].{name}");
                match name {
                    "term" => term = Some(string(value, &field)?),
                    "replacement" => replacement = Some(string(value, &field)?),
                    "caseSensitive" => entry.case_sensitive = flag(value, &field)?,
                    "wordParts" => entry.word_parts = flag(value, &field)?,
                    "allow" => entry.allow = strings(value, &field)?,
                    "paths" => entry.paths = strings(value, &field)?,
                    "exclude" => entry.exclude = strings(value, &field)?,
                    _ => {
                        return Err(err(
                            &field,
                            key.pos(),
                            "unknown key (expected term, replacement, caseSensitive, wordParts, allow, paths, exclude)",
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
            if let Some(bad) = entry
                .allow
                .iter()
                .find(|a| !a.to_ascii_lowercase().contains(&term.to_ascii_lowercase()))
            {
                return Err(err(
                    "retiredTerms[].allow",
                    item.pos(),
                    format!("allowed phrase `{bad}` does not contain the term `{term}`"),
                ));
            }
            let entry = RetiredTerm {
                term,
                replacement,
                ..entry
            };
            // An entry spelled like a built-in (or earlier) term replaces it, so a team
            // can scope or re-word a default; two needles for one spelling would leave
            // the second unmatched.
            match self
                .terms
                .iter_mut()
                .find(|t| t.term.eq_ignore_ascii_case(&entry.term))
            {
                Some(existing) => *existing = entry,
                None => self.terms.push(entry),
            }
        }
        Ok(())
    }

    /// Switches off every cross-file rule: used when single files are linted out of
    /// their repository, where a missing counterpart proves nothing.
    pub fn disable_repo_rules(&mut self) {
        for rule in super::RULES {
            if matches!(rule.check, super::registry::Check::Repo(_)) {
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
        self.exclude.iter().any(|g| glob::matches(g, path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules;

    #[test]
    fn a_full_config_parses() {
        let c = Config::parse(
            "rules:\n  CG007: warning\n  sops-decryption: off\nlocationCodes:\n  providers: {v: Vultr}\n  regions:\n    v: {f: Frankfurt}\n    a: {e: eu-central-1}\nretiredTerms:\n  - term: Legacy\n    replacement: modern\nallowedHosts: [gitea.example.org]\nexclude: ['docs/archive/**']\n",
        )
        .unwrap();
        assert_eq!(c.severity_of(&rules::retired_term::META), Severity::Warning);
        assert!(!c.is_enabled(&rules::sops_decryption::META));
        assert!(c.is_enabled(&rules::retired_term::META));
        assert_eq!(c.locations.decode("vfmp").unwrap().provider, "Vultr");
        assert_eq!(c.locations.decode("aemp").unwrap().region, "eu-central-1");
        let legacy = c.terms.iter().find(|t| t.term == "Legacy").unwrap();
        assert!(!legacy.case_sensitive && !legacy.word_parts);
        assert!(c.is_excluded("docs/archive/a.md"));
        assert!(c.allowed_hosts.contains(&"gitea.io".to_string()));
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
    fn an_empty_file_is_the_default() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
        assert_eq!(Config::parse("# nothing\n").unwrap(), Config::default());
    }
}
