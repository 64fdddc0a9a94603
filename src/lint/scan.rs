//! One pass over a file's text for everything the text rules look for: service hosts
//! (CG006), retired terms (CG007, CG015) and suppression markers.
//!
//! The search is case-insensitive, but the automaton is not: an ASCII-case-insensitive
//! Aho-Corasick automaton over these needles has no prefilter (too many distinct start
//! bytes once both cases count) and walks every byte through its DFA. Instead the text
//! is lowercased a bounded chunk at a time and searched with lowercase needles, which
//! keeps the SIMD (Teddy) prefilter: on the `cargo xtask bench lint` corpus this pass
//! went from ~8% of the linter's CPU time to ~2%. ASCII lowercasing keeps every byte
//! offset, so hits point into the original text.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::config::Service;
use super::terms::RetiredTerm;

mod fingerprint;

/// What a needle stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needle {
    /// A service host prefix (`gitea.`): its index in
    /// [`Config::services`](super::Config::services).
    Service(usize),
    /// A service name right after `//` (`//gitea`): a URL authority, which may be the
    /// bare service name without a domain (`https://gitea/org/repo.git`).
    Authority(usize),
    /// The suppression marker `catalyst-guard:`.
    Marker,
    /// A retired term: its index in the configured glossary
    /// ([`Config::terms`](super::Config::terms)).
    Term(usize),
    /// The first word of a multi-word term (`lifecycle` of `Lifecycle Manager`), for
    /// the term wrapped across two lines; the rule checks the words that follow.
    TermHead(usize),
}

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

/// How the lowercased text is searched.
#[derive(Clone)]
enum Search {
    /// `aho-corasick`, with its SIMD prefilter on x86-64 and aarch64.
    Automaton(AhoCorasick),
    /// On WebAssembly with `simd128`, where the automaton has no prefilter.
    #[cfg_attr(
        not(all(target_arch = "wasm32", target_feature = "simd128")),
        allow(dead_code)
    )]
    Fingerprints(Box<fingerprint::Fingerprints>),
}

impl Search {
    fn new(patterns: &[String]) -> Option<Self> {
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        if let Some(fp) = fingerprint::Fingerprints::new(patterns) {
            return Some(Self::Fingerprints(Box::new(fp)));
        }
        AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns)
            .ok()
            .map(Self::Automaton)
    }

    /// Every match in `text`, leftmost-longest and non-overlapping, in text order,
    /// as `emit(pattern, start, end)` until it returns `false`.
    fn find(&self, text: &[u8], mut emit: impl FnMut(usize, usize, usize) -> bool) {
        match self {
            Self::Automaton(ac) => {
                for m in ac.find_iter(text) {
                    if !emit(m.pattern().as_usize(), m.start(), m.end()) {
                        return;
                    }
                }
            }
            Self::Fingerprints(fp) => fp.find(text, emit),
        }
    }
}

/// The compiled search and what each pattern means.
#[derive(Clone)]
pub struct Scanner {
    search: Option<Search>,
    needles: Vec<Needle>,
    /// Length in bytes of the longest needle: how far a chunk looks past its end.
    longest: usize,
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
    /// Builds the scanner for the service hosts, the suppression marker and the
    /// glossary's terms.
    pub fn new(terms: &[RetiredTerm], services: &[Service]) -> Self {
        // Lowercase needles against lowercased text is ASCII case-insensitive matching.
        let mut patterns: Vec<String> = Vec::new();
        let mut needles = Vec::new();
        for (i, s) in services.iter().enumerate() {
            patterns.push(format!("{}.", s.name.to_ascii_lowercase()));
            needles.push(Needle::Service(i));
            patterns.push(format!("//{}", s.name.to_ascii_lowercase()));
            needles.push(Needle::Authority(i));
        }
        patterns.push(MARKER.to_string());
        needles.push(Needle::Marker);
        for (i, term) in terms.iter().enumerate() {
            patterns.push(term.term.to_ascii_lowercase());
            needles.push(Needle::Term(i));
        }
        for (i, term) in terms.iter().enumerate() {
            if let Some((head, _)) = term.term.split_once(' ') {
                patterns.push(head.to_ascii_lowercase());
                needles.push(Needle::TermHead(i));
            }
        }
        // Building only fails for absurd pattern sets; without an automaton the text
        // rules find nothing rather than the linter failing.
        let longest = patterns.iter().map(String::len).max().unwrap_or(0);
        Self {
            search: Search::new(&patterns),
            needles,
            longest,
        }
    }

    /// What needle `i` stands for.
    pub fn needle(&self, i: usize) -> Option<&Needle> {
        self.needles.get(i)
    }

    /// Every occurrence of every needle, in text order, ignoring ASCII case. Matches
    /// do not overlap (the longest wins): a term inside a longer needle is inside a
    /// longer word, which the word-boundary rules would reject anyway.
    pub fn scan(&self, text: &str) -> Vec<Hit> {
        self.scan_chunked(text.as_bytes(), CHUNK)
    }

    /// [`Scanner::scan`] with the chunk size as a parameter, so tests can put needles
    /// across chunk boundaries.
    fn scan_chunked(&self, text: &[u8], chunk: usize) -> Vec<Hit> {
        let mut hits = Vec::new();
        let Some(search) = &self.search else {
            return hits;
        };
        let chunk = chunk.max(1);
        let overlap = self.longest.saturating_sub(1);
        let mut lower = Vec::with_capacity(text.len().min(chunk + overlap));
        // Chunk `[from, from + chunk)` is searched with `overlap` bytes of lookahead,
        // so every match starting inside it is found whole; matches starting in the
        // lookahead belong to the next chunk, which starts after the last match so
        // results never overlap, exactly as one search over the whole text.
        let mut from = 0;
        while from < text.len() {
            let owned_end = from.saturating_add(chunk).min(text.len());
            let window_end = owned_end.saturating_add(overlap).min(text.len());
            let Some(window) = text.get(from..window_end) else {
                break;
            };
            lower.clear();
            lower.extend(window.iter().map(u8::to_ascii_lowercase));
            let mut next = owned_end;
            search.find(&lower, |needle, start, end| {
                let (start, end) = (from + start, from + end);
                if start >= owned_end {
                    return false;
                }
                hits.push(Hit { needle, start, end });
                next = next.max(end);
                true
            });
            from = next;
        }
        hits
    }
}

/// Bytes lowercased and searched at a time: big enough that almost every file is one
/// chunk, small enough that a large file never needs a second full-size copy.
const CHUNK: usize = 64 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    /// The needles a naive search finds: at each offset the longest needle that
    /// matches there ignoring ASCII case, then continue after it.
    fn naive(patterns: &[&str], text: &str) -> Vec<(usize, usize)> {
        let lower = text.to_ascii_lowercase();
        let mut out = Vec::new();
        let mut i = 0;
        while i < lower.len() {
            let best = patterns
                .iter()
                .filter(|p| lower.as_bytes()[i..].starts_with(p.as_bytes()))
                .map(|p| p.len())
                .max();
            match best {
                Some(len) => {
                    out.push((i, i + len));
                    i += len;
                }
                None => i += 1,
            }
        }
        out
    }

    fn spans(hits: &[Hit]) -> Vec<(usize, usize)> {
        hits.iter().map(|h| (h.start, h.end)).collect()
    }

    #[test]
    fn matches_ignore_ascii_case_and_keep_offsets() {
        let c = crate::lint::Config::default();
        let scanner = Scanner::new(&c.terms, &c.services);
        let text = "Ünïcode TENANT then Gitea.x and MinIO, k8GB; SoPs catalyst-guard: tenants";
        let hits = scanner.scan(text);
        let found: Vec<&str> = hits.iter().map(|h| &text[h.start..h.end]).collect();
        assert_eq!(
            found,
            [
                "TENANT",
                "Gitea.",
                "MinIO",
                "k8GB",
                "SoPs",
                "catalyst-guard:",
                "tenant"
            ]
        );
    }

    #[test]
    fn chunk_boundaries_change_nothing() {
        let c = crate::lint::Config::default();
        let scanner = Scanner::new(&c.terms, &c.services);
        let patterns = [
            "gitea.",
            "//gitea",
            "//flux-webhook",
            "flux-webhook.",
            "catalyst-guard:",
            "tenant",
            "minio",
            "k8gb",
            "sops",
        ];
        let text = "xx flux-webhook.a gitea.GITEA.tenantsops Catalyst-Guard: minio\nK8gb \
                    FLUX-WEBHOOK.tenant.sops gitea.gitea. catalyst-guard:catalyst-guard:";
        let expected = naive(&patterns, text);
        assert!(expected.len() > 10, "the text must exercise many needles");
        for chunk in 1..=text.len() + 1 {
            assert_eq!(
                spans(&scanner.scan_chunked(text.as_bytes(), chunk)),
                expected,
                "chunk size {chunk}"
            );
        }
    }

    #[test]
    fn configured_terms_match_in_any_case() {
        let term = RetiredTerm::new("OldName", "new-name");
        let scanner = Scanner::new(&[term], &[]);
        let hits = scanner.scan("uses oldname and OLDNAME");
        assert_eq!(spans(&hits), [(5, 12), (17, 24)]);
    }
}
