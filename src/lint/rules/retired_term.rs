//! CG007: renamed or retired words that keep creeping back.

use crate::lint::config::RetiredTerm;
use crate::lint::registry::{Check, declare_rule};
use crate::lint::scan::Needle;
use crate::lint::{FileCtx, Sink};
use crate::model::Object;

declare_rule! {
    /// ## What it does
    /// Finds every occurrence, case-insensitively, of a retired term in YAML (values,
    /// keys and comments) and Markdown, and names its replacement:
    ///
    /// | retired | use instead |
    /// |---|---|
    /// | tenant, tenants | organization, organizations |
    /// | minio | seaweedfs |
    /// | k8gb | powerdns (lua-records) |
    /// | sops | External Secrets PushSecrets |
    ///
    /// The built-in terms match as a word or word part: `Tenants`, `tenant_id`,
    /// `tenantId` and `minio-operator` all match; `sopsy` does not. Allowed: the
    /// PriorityClass names `tenant-high` and `tenant-default` (deployed objects,
    /// recreated rather than renamed) and the generic adjective `multi-tenant`. Every
    /// hit is reported: a truncated sweep once gave a false clean.
    ///
    /// A line that names the replacement as well (`minio -> seaweedfs`, "tenants are
    /// now organizations") documents the migration and is not reported; set
    /// `migrationNotes: false` in `.catalyst-guard.yaml` to report those too.
    ///
    /// A team's own glossary goes under `retiredTerms`. Each entry has a `term` (one
    /// or more words, `Lifecycle Manager`) and a `replacement`, and optionally:
    /// `caseSensitive: true` (`Template` but not `template`); `allow`, phrases in which
    /// the term is fine (`Go module`, `K8s Operator`); `paths` and `exclude` globs
    /// (check only docs, skip the glossary itself and the audit log); and
    /// `wordParts: true` to match inside words like the built-in terms. By default a
    /// configured term matches whole words only, exactly as written (no implied plural),
    /// so `templates/` does not match `Template`. An entry spelled like a built-in term
    /// (`tenant`) replaces it, scope and exemptions included.
    ///
    /// ## Why is this bad?
    /// The entity is an Organization; MinIO, k8gb and SOPS were removed from the
    /// platform. Docs and manifests that still use the old words describe a platform
    /// that no longer exists, and send operators looking for components that are gone.
    ///
    /// ## Example
    /// ```bash
    /// flux reconcile kustomization tenants
    /// ```
    ///
    /// ## Use instead
    /// ```bash
    /// flux reconcile kustomization organizations
    /// ```
    code: "CG007",
    name: "retired-term",
    severity: Error,
    summary: "a retired term (tenant, minio, k8gb, sops, ...) in YAML or Markdown",
    check: Check::File(check),
}

fn check(ctx: &FileCtx<'_>, sink: &mut Sink<'_>) {
    // CG008 reports a SOPS `spec.decryption` block; one finding per mistake is enough.
    let sops_blocks: Vec<(u32, u32)> = ctx
        .objects
        .iter()
        .filter_map(|o| match o {
            Object::Kustomization(k) => k.decryption_lines,
            _ => None,
        })
        .collect();
    let terms = &ctx.config.terms;
    // Whether each term applies to this file, decided on its first hit.
    let mut applies: Vec<Option<bool>> = vec![None; terms.len()];
    for (needle, hit) in ctx.hits_of(|n| matches!(n, Needle::Term(_))) {
        let Needle::Term(i) = needle else {
            continue;
        };
        let (Some(term), Some(applies)) = (terms.get(*i), applies.get_mut(*i)) else {
            continue;
        };
        if !*applies.get_or_insert_with(|| term.applies_to(ctx.path)) {
            continue;
        }
        let at = hit.start;
        let Some(len) = match_at(ctx.text, at, term) else {
            continue;
        };
        if is_allowed(ctx.text, at, len, &term.allow) {
            continue;
        }
        if ctx.config.migration_notes && names_replacement(ctx.text, at, term) {
            continue;
        }
        let pos = ctx.pos(at);
        if term.term.eq_ignore_ascii_case("sops")
            && sops_blocks
                .iter()
                .any(|(a, b)| (*a..=*b).contains(&pos.line))
        {
            continue;
        }
        let found = ctx.text.get(at..at + len).unwrap_or(&term.term);
        let replacement = match &term.plural {
            Some(plural) if len > term.term.len() => plural,
            _ => &term.replacement,
        };
        sink.report(ctx.path, pos, format!("retired term `{found}`"))
            .width(u32::try_from(found.chars().count()).unwrap_or(1))
            .help(format!("use `{replacement}`"));
    }
}

/// The length of the term's match at `at` (the scanner found it ignoring case), or
/// `None` if the case or the word boundaries rule it out.
fn match_at(text: &str, at: usize, term: &RetiredTerm) -> Option<usize> {
    let len = if term.word_parts {
        word_at(text, at, &term.term)?
    } else {
        whole_word_at(text, at, term.term.len())?
    };
    if term.case_sensitive && text.get(at..at + term.term.len())? != term.term {
        return None;
    }
    Some(len)
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `len` if the text at `at` is a whole word (or phrase): no letter, digit or `_`
/// touches it on either side. `-`, `/` and `.` separate words.
fn whole_word_at(text: &str, at: usize, len: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let prev = at.checked_sub(1).and_then(|i| bytes.get(i)).copied();
    let next = bytes.get(at + len).copied();
    (!prev.is_some_and(is_word_byte) && !next.is_some_and(is_word_byte)).then_some(len)
}

/// If the term at `at` is a word (or camelCase/snake_case part), its length including
/// a plural `s`.
fn word_at(text: &str, at: usize, term: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let prev = at.checked_sub(1).and_then(|i| bytes.get(i)).copied();
    let first = bytes.get(at).copied();
    let camel_start = prev.is_some_and(|p| p.is_ascii_lowercase())
        && first.is_some_and(|f| f.is_ascii_uppercase());
    if prev.is_some_and(|p| p.is_ascii_alphanumeric()) && !camel_start {
        return None;
    }
    let mut len = term.len();
    if bytes
        .get(at + len)
        .is_some_and(|b| b.eq_ignore_ascii_case(&b's'))
        && !term.ends_with('s')
    {
        len += 1;
    }
    let next = bytes.get(at + len).copied();
    if next.is_some_and(|n| n.is_ascii_lowercase() || n.is_ascii_digit()) {
        return None;
    }
    Some(len)
}

/// True if the match `[at, at + len)` lies inside an allowed phrase (ignoring case,
/// the phrase itself a whole word: `multi-tenant`, `Go module`).
fn is_allowed(text: &str, at: usize, len: usize, allow: &[String]) -> bool {
    let bytes = text.as_bytes();
    allow.iter().any(|phrase| {
        let plen = phrase.len();
        let first = (at + len).saturating_sub(plen);
        (first..=at).any(|s| {
            bytes
                .get(s..s + plen)
                .is_some_and(|w| w.eq_ignore_ascii_case(phrase.as_bytes()))
                && whole_word_at(text, s, plen).is_some()
        })
    })
}

/// True if the line holding `at` also names the term's replacement (the part before
/// any parenthesis: `powerdns` for `powerdns (lua-records)`), ignoring case: a
/// migration note such as `minio -> seaweedfs`.
fn names_replacement(text: &str, at: usize, term: &RetiredTerm) -> bool {
    let start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let end = text
        .get(at..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| at + i);
    let Some(line) = text.get(start..end) else {
        return false;
    };
    let head = term
        .replacement
        .split(" (")
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    !head.is_empty() && line.to_ascii_lowercase().contains(&head)
}
