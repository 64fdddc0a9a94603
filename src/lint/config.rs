//! `.catalyst-guard.yaml`: rule switches and severities, extra location codes, extra
//! retired terms, allowed public hosts and path excludes.
//!
//! ```yaml
//! rules:
//!   CG007: warning          # code or name -> error | warning | info | off
//!   sops-decryption: off
//! locationCodes:
//!   providers: { v: Vultr }
//!   regions:
//!     a: { e: eu-central-1 } # provider code -> region code -> name
//! retiredTerms:
//!   - term: legacy-portal
//!     replacement: console
//! allowedHosts: [gitea.io]   # public hosts CG006 must not flag
//! exclude: ["docs/archive/**"]
//! ```
//!
//! Unknown keys and bad values are errors naming the field and its line:column, never
//! silently ignored: a typo in a guardrail's configuration must not switch it off.

use std::collections::HashMap;

use super::scan::Scanner;
use super::{RuleMeta, Severity, find_rule, glob};
use crate::naming::LocationTable;
use crate::yaml::{self, Node, Pos};

/// A term that must no longer appear, with what replaced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredTerm {
    /// The retired word, matched case-insensitively as a word.
    pub term: String,
    /// What to write instead.
    pub replacement: String,
}

/// Effective lint configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Location-code table (defaults plus configured extensions).
    pub locations: LocationTable,
    /// Per-rule overrides by code: `None` disables the rule.
    overrides: HashMap<&'static str, Option<Severity>>,
    /// Retired terms beyond the built-in ones.
    pub extra_terms: Vec<RetiredTerm>,
    /// Public hosts that look like service hosts but are not ours (`gitea.io`).
    pub allowed_hosts: Vec<String>,
    /// Globs of root-relative paths to skip.
    pub exclude: Vec<String>,
    /// The text scanner for the built-in and extra terms (rebuilt by `parse`).
    scanner: Scanner,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            locations: LocationTable::default(),
            overrides: HashMap::new(),
            extra_terms: Vec::new(),
            allowed_hosts: vec!["gitea.io".to_string(), "gitea.com".to_string()],
            exclude: Vec::new(),
            scanner: Scanner::new(&[]),
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
                _ => {
                    return Err(err(
                        name,
                        key.pos(),
                        "unknown key (expected rules, locationCodes, retiredTerms, allowedHosts, exclude)",
                    ));
                }
            }
        }
        config.scanner = Scanner::new(&config.extra_terms);
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
        for item in list(node, "retiredTerms")? {
            let mut term = None;
            let mut replacement = None;
            for (key, value) in map(item, "retiredTerms[]")? {
                match key.scalar().unwrap_or_default() {
                    "term" => term = Some(string(value, "retiredTerms[].term")?),
                    "replacement" => {
                        replacement = Some(string(value, "retiredTerms[].replacement")?)
                    }
                    other => {
                        return Err(err(
                            &format!("retiredTerms[].{other}"),
                            key.pos(),
                            "unknown key (expected term, replacement)",
                        ));
                    }
                }
            }
            let term = term.ok_or_else(|| err("retiredTerms[].term", item.pos(), "missing"))?;
            if !term
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(err(
                    "retiredTerms[].term",
                    item.pos(),
                    format!("`{term}` must be a single word of ASCII letters, digits, `-` or `_`"),
                ));
            }
            let replacement = replacement
                .ok_or_else(|| err("retiredTerms[].replacement", item.pos(), "missing"))?;
            self.extra_terms.push(RetiredTerm {
                term: term.to_ascii_lowercase(),
                replacement,
            });
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
        assert_eq!(c.extra_terms[0].term, "legacy");
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
        let e =
            Config::parse("retiredTerms:\n  - term: two words\n    replacement: x\n").unwrap_err();
        assert_eq!(e.field, "retiredTerms[].term");
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
