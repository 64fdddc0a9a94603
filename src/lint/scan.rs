//! One pass over a file's text for everything the text rules look for: service hosts
//! (CG006), retired terms (CG007) and suppression markers. A single case-insensitive
//! Aho-Corasick automaton replaces a lowercase copy plus one search per needle, which
//! is most of the linter's cost beyond parsing on a large repository.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::config::RetiredTerm;

/// What a needle stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needle {
    /// A management-cluster service host prefix (`gitea.`).
    Service,
    /// The suppression marker `catalyst-guard:`.
    Marker,
    /// A retired term and its replacements.
    Term {
        /// The term, lowercase.
        term: String,
        /// Replacement for the singular.
        singular: String,
        /// Replacement for a plural (`tenants`).
        plural: String,
    },
}

/// Built-in retired terms: (retired, singular replacement, plural replacement).
const BUILT_IN_TERMS: [(&str, &str, &str); 4] = [
    ("tenant", "organization", "organizations"),
    ("minio", "seaweedfs", "seaweedfs"),
    ("k8gb", "powerdns (lua-records)", "powerdns (lua-records)"),
    (
        "sops",
        "External Secrets PushSecrets",
        "External Secrets PushSecrets",
    ),
];

/// Service host prefixes checked by CG006.
const SERVICES: [&str; 2] = ["gitea.", "flux-webhook."];

/// The suppression marker.
pub const MARKER: &str = "catalyst-guard:";

/// One occurrence of a needle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Index into [`Scanner::needles`].
    pub needle: usize,
    /// Byte offset of the match.
    pub start: usize,
    /// Byte offset just past the match.
    pub end: usize,
}

/// The compiled automaton and what each pattern means.
#[derive(Clone)]
pub struct Scanner {
    ac: Option<AhoCorasick>,
    needles: Vec<Needle>,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("needles", &self.needles)
            .finish()
    }
}

impl PartialEq for Scanner {
    fn eq(&self, other: &Self) -> bool {
        self.needles == other.needles
    }
}

impl Eq for Scanner {}

impl Scanner {
    /// Builds the scanner for the built-in needles plus configured retired terms.
    pub fn new(extra_terms: &[RetiredTerm]) -> Self {
        let mut patterns: Vec<String> = Vec::new();
        let mut needles = Vec::new();
        for s in SERVICES {
            patterns.push(s.to_string());
            needles.push(Needle::Service);
        }
        patterns.push(MARKER.to_string());
        needles.push(Needle::Marker);
        let built_in = BUILT_IN_TERMS
            .iter()
            .map(|(t, s, p)| (t.to_string(), s.to_string(), p.to_string()));
        let extra = extra_terms
            .iter()
            .map(|t| (t.term.clone(), t.replacement.clone(), t.replacement.clone()));
        for (term, singular, plural) in built_in.chain(extra) {
            patterns.push(term.clone());
            needles.push(Needle::Term {
                term,
                singular,
                plural,
            });
        }
        // Building only fails for absurd pattern sets; without an automaton the text
        // rules find nothing rather than the linter failing.
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        Self { ac, needles }
    }

    /// What needle `i` stands for.
    pub fn needle(&self, i: usize) -> Option<&Needle> {
        self.needles.get(i)
    }

    /// Every occurrence of every needle, in text order. Matches do not overlap (the
    /// longest wins): a term inside a longer needle is inside a longer word, which the
    /// word-boundary rules would reject anyway, and non-overlapping search keeps the
    /// SIMD prefilter.
    pub fn scan(&self, text: &str) -> Vec<Hit> {
        let Some(ac) = &self.ac else {
            return Vec::new();
        };
        ac.find_iter(text)
            .map(|m| Hit {
                needle: m.pattern().as_usize(),
                start: m.start(),
                end: m.end(),
            })
            .collect()
    }
}
