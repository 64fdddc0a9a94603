//! The retired-term glossary (CG007 and CG015): what a term is, where it applies, in
//! which phrases it is fine, and the built-in terms of the platform (DOMAIN.md "Drift
//! terms"). The configuration reads entries into these types; the rules match them.

use super::Severity;
use super::glob::Glob;

/// A phrase or pattern in which a retired term is fine.
#[derive(Debug, Clone)]
pub enum Allow {
    /// A phrase containing the term (`Go module`, `multi-tenant`), matched ignoring
    /// case as whole words.
    Phrase(String),
    /// A regular expression (written `/.../` in the configuration), matched against
    /// the line holding the term; the term is fine where a match covers it.
    Pattern {
        /// The expression as written, without the slashes.
        source: String,
        /// The compiled expression.
        regex: regex_lite::Regex,
    },
}

impl PartialEq for Allow {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Phrase(a), Self::Phrase(b)) => a == b,
            (Self::Pattern { source: a, .. }, Self::Pattern { source: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl Eq for Allow {}

impl Allow {
    /// A phrase.
    pub fn phrase(p: &str) -> Self {
        Self::Phrase(p.to_string())
    }
}

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
    /// Also judge identifiers: YAML keys and values other than prose fields, and
    /// identifier-shaped tokens in Markdown (`tenant_id`, `a/tenant/b`,
    /// `tenant.svc`). Default: prose only.
    pub identifiers: bool,
    /// Phrases and patterns in which the term is fine.
    pub allow: Vec<Allow>,
    /// Globs of the paths the term is checked in (default: everywhere).
    pub paths: Vec<Glob>,
    /// Globs of paths where the term is fine (the glossary itself, an audit log).
    pub exclude: Vec<Glob>,
    /// Severity of this term's findings, over the rule's.
    pub severity: Option<Severity>,
}

impl RetiredTerm {
    /// A whole-word, case-insensitive term checked in prose everywhere.
    pub fn new(term: &str, replacement: &str) -> Self {
        Self {
            term: term.to_string(),
            replacement: replacement.to_string(),
            plural: None,
            case_sensitive: false,
            word_parts: false,
            identifiers: false,
            allow: Vec::new(),
            paths: Vec::new(),
            exclude: Vec::new(),
            severity: None,
        }
    }

    /// True if the term is checked in this root-relative path.
    pub fn applies_to(&self, path: &str) -> bool {
        (self.paths.is_empty() || self.paths.iter().any(|g| g.matches(path)))
            && !self.exclude.iter().any(|g| g.matches(path))
    }

    /// The words of the term (`Lifecycle`, `Manager`).
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.term.split(' ').filter(|w| !w.is_empty())
    }
}

/// The built-in glossary (DOMAIN.md "Drift terms"): matched in word parts, as they
/// always were, so `tenantId` and `minio-operator` are found where identifiers are
/// judged, and in prose.
pub fn built_in_terms() -> Vec<RetiredTerm> {
    let word_parts =
        |term: &str, replacement: &str, plural: Option<&str>, allow: &[&str]| RetiredTerm {
            plural: plural.map(str::to_string),
            word_parts: true,
            allow: allow.iter().map(|a| Allow::phrase(a)).collect(),
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

/// Words and signs that make a sentence a migration note ("Lua records (replacing
/// k8gb)", "formerly MinIO", "tenant → organization"), which documents a rename rather
/// than using the old word. Configurable (`migrationCues`).
pub const DEFAULT_MIGRATION_CUES: [&str; 24] = [
    "replacing",
    "replaced",
    "replaces",
    "replacement",
    "formerly",
    "renamed",
    "instead of",
    "->",
    "→",
    "=>",
    "removed",
    "dropped",
    "deprecated",
    "migrated",
    "migrate",
    "migration from",
    "moved from",
    "switched from",
    "previously",
    "no longer",
    "retired",
    "superseded",
    "was called",
    "became",
];

/// The UI source extensions CG015 reads by default (`uiExtensions`).
pub const DEFAULT_UI_EXTENSIONS: [&str; 6] = ["svelte", "tsx", "jsx", "vue", "astro", "html"];
