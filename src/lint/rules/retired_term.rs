//! CG007: renamed or retired words that keep creeping back into docs and comments.

use crate::lint::prose::{self, Context, line_bounds, markdown_context, yaml_context};
use crate::lint::rule::{Check, declare_rule};
use crate::lint::scan::Needle;
use crate::lint::terms::{Allow, RetiredTerm};
use crate::lint::{FileCtx, FileKind, Sink};
use crate::model::Object;

declare_rule! {
    /// ## What it does
    /// Finds every occurrence, case-insensitively, of a retired term in the prose of
    /// Markdown and YAML files, and names its replacement:
    ///
    /// | retired | use instead |
    /// |---|---|
    /// | tenant, tenants | organization, organizations |
    /// | minio | seaweedfs |
    /// | k8gb | powerdns (lua-records) |
    /// | sops | External Secrets PushSecrets |
    ///
    /// Prose is Markdown text (code blocks included, since operators copy commands
    /// from them), YAML comments and the values of description-like keys
    /// (`description`, `summary`, `message`, `help`, `title`, `notes`, ...). Identifiers
    /// are not judged unless a term asks for it (`identifiers: true`): YAML keys and
    /// other values (object names, labels, env var names, `.svc` names, an upstream
    /// subchart key like `minio:`), link targets, and identifier-shaped words in
    /// Markdown (`tenant_id`, `tenantId`, `docs/tenant.md`, `tenant.svc`). Renaming a
    /// deployed object is a migration of its own; a doc that still says "tenant" is
    /// drift.
    ///
    /// The built-in terms match as a word or word part (`Tenants`, `minio-operator`).
    /// Allowed: the PriorityClass names `tenant-high` and `tenant-default` and the
    /// generic adjective `multi-tenant`. Every hit is reported: a truncated sweep once
    /// gave a false clean. A multi-word term is found when a soft line wrap splits it.
    ///
    /// Not reported:
    /// - a migration note: a sentence with a cue word such as "replacing", "formerly",
    ///   "renamed", "instead of", "removed", "deprecated" or a sign such as `->` or `→`
    ///   ("Lua records (replacing k8gb)"). The cues are configurable
    ///   (`migrationCues`); `migrationNotes: false` reports notes too. Naming the
    ///   replacement alone does not make a note: "Tenant creates an Environment in
    ///   their Organization" is drift.
    /// - a banned-terms list quoting the term as banned: a Markdown table row naming
    ///   the term and its replacement, or a list item doing so with the term quoted or
    ///   set off (`` - `Tenant`: Organization ``).
    ///
    /// A team's own glossary goes under `retiredTerms` in `.catalyst-guard.yaml`, each
    /// entry a `term` and its `replacement`, with optional `severity`,
    /// `caseSensitive`, `wordParts`, `identifiers`, `allow` (phrases, or `/regex/`
    /// patterns matched on the line) and `paths` / `exclude` globs. `docs/lint.md`
    /// describes them. Block suppressions (`ignore-start` ... `ignore-end`) skip a
    /// section such as a quoted list.
    ///
    /// ## Why is this bad?
    /// The entity is an Organization; MinIO, k8gb and SOPS were removed from the
    /// platform. Docs that still use the old words describe a platform that no longer
    /// exists, and send operators looking for components that are gone.
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
    fix: Never,
    summary: "a retired term (tenant, minio, k8gb, sops, ...) in the prose of YAML or Markdown",
    check: Check::File(check),
}

fn check(ctx: &FileCtx<'_>, sink: &mut Sink<'_>) {
    let fences = std::cell::OnceCell::new();
    let classify = |at: usize, end: usize| match ctx.kind {
        FileKind::Markdown => markdown_context(
            ctx.text,
            at,
            end,
            fences.get_or_init(|| prose::fences(ctx.text)),
        ),
        FileKind::Yaml | FileKind::HelmTemplate => yaml_context(ctx.text, at, 0),
        FileKind::Ui | FileKind::Opaque => Context::Ignored,
    };
    check_terms(ctx, sink, &classify);
}

/// Reports every hit of a glossary term that `classify` puts in prose (or in an
/// identifier, for terms that judge identifiers), unless an exemption covers it: an
/// allowed phrase or pattern, a migration note, a banned-terms list quoting it, or
/// (for `sops`) a Kustomization decryption block CG008 reports.
pub(crate) fn check_terms(
    ctx: &FileCtx<'_>,
    sink: &mut Sink<'_>,
    classify: &dyn Fn(usize, usize) -> Context,
) {
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
    let want = |n: &Needle| matches!(n, Needle::Term(_) | Needle::TermHead(_));
    for (needle, hit) in ctx.hits_of(want) {
        let (i, wrapped) = match needle {
            Needle::Term(i) => (*i, false),
            Needle::TermHead(i) => (*i, true),
            _ => continue,
        };
        let (Some(term), Some(applies)) = (terms.get(i), applies.get_mut(i)) else {
            continue;
        };
        if !*applies.get_or_insert_with(|| term.applies_to(ctx.path)) {
            continue;
        }
        let at = hit.start;
        let len = if wrapped {
            wrapped_at(ctx.text, at, term)
        } else {
            match_at(ctx.text, at, term)
        };
        let Some(len) = len else {
            continue;
        };
        match classify(at, at + len) {
            Context::Prose => {}
            Context::Identifier if term.identifiers => {}
            Context::Identifier | Context::Ignored => continue,
        }
        if is_allowed(ctx.text, at, len, &term.allow) {
            continue;
        }
        if ctx.config.migration_notes
            && is_migration_note(ctx.text, at, ctx.kind, &ctx.config.migration_cues)
        {
            continue;
        }
        if ctx.kind == FileKind::Markdown && quotes_as_banned(ctx.text, at, len, term) {
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
        let shown = found.split_whitespace().collect::<Vec<_>>().join(" ");
        let replacement = match &term.plural {
            Some(plural) if len > term.term.len() && !wrapped => plural,
            _ => &term.replacement,
        };
        // A term wrapped across lines is underlined to the end of its first line.
        let width = found.split('\n').next().unwrap_or(found).chars().count();
        let reported = sink
            .report(ctx.path, pos, format!("retired term `{shown}`"))
            .width(u32::try_from(width).unwrap_or(1))
            .help(format!("use `{replacement}`"));
        if let Some(severity) = term.severity {
            reported.severity(severity);
        }
    }
}

/// For a multi-word term whose first word is at `at`: the length of the whole term
/// when its words are separated by whitespace holding one line break (a soft wrap),
/// or `None`. On one line the scanner finds the term itself.
fn wrapped_at(text: &str, at: usize, term: &RetiredTerm) -> Option<usize> {
    let bytes = text.as_bytes();
    let prev = at.checked_sub(1).and_then(|i| bytes.get(i)).copied();
    if prev.is_some_and(is_word_byte) {
        return None;
    }
    let mut i = at;
    let mut breaks = 0;
    for (n, word) in term.words().enumerate() {
        if n > 0 {
            let gap_start = i;
            while let Some(&b) = bytes.get(i) {
                match b {
                    b' ' | b'\t' | b'\r' => i += 1,
                    b'\n' => {
                        breaks += 1;
                        i += 1;
                    }
                    // A blockquote's `>` and a YAML comment's `#` continue the line.
                    b'>' | b'#' if breaks > 0 => i += 1,
                    _ => break,
                }
            }
            if i == gap_start || breaks > 1 {
                return None;
            }
        }
        let candidate = text.get(i..i + word.len())?;
        let same = if term.case_sensitive {
            candidate == word
        } else {
            candidate.eq_ignore_ascii_case(word)
        };
        if !same {
            return None;
        }
        i += word.len();
    }
    (breaks == 1 && !bytes.get(i).copied().is_some_and(is_word_byte)).then_some(i - at)
}

/// A Markdown line that stands alone rather than continuing a paragraph: blank, a
/// list item, table row, heading, quote or fence.
fn standalone(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty()
        || t.starts_with(['|', '#', '-', '*', '+', '>'])
        || t.starts_with("```")
        || t.starts_with("<!--")
        || is_numbered_item(t)
}

fn is_numbered_item(t: &str) -> bool {
    t.split_once(". ")
        .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The sentence holding byte `at`: in Markdown prose the paragraph's sentence (soft
/// wraps joined), in a list item, table row or heading its own line, elsewhere the
/// line.
fn sentence(text: &str, at: usize, kind: FileKind) -> &str {
    let (mut start, mut end) = line_bounds(text, at);
    let own = text.get(start..end).unwrap_or_default();
    if kind == FileKind::Markdown && !standalone(own) {
        // Join the paragraph's lines above and below (bounded).
        for _ in 0..20 {
            let Some(prev_end) = start.checked_sub(1) else {
                break;
            };
            let (s, _) = line_bounds(text, prev_end);
            if standalone(text.get(s..prev_end).unwrap_or_default()) {
                break;
            }
            start = s;
        }
        for _ in 0..20 {
            if end >= text.len() {
                break;
            }
            let (_, e) = line_bounds(text, end + 1);
            if standalone(text.get(end + 1..e).unwrap_or_default()) {
                break;
            }
            end = e;
        }
    }
    let para = text.get(start..end).unwrap_or_default();
    let rel = at.saturating_sub(start);
    let ends_sentence = |w: &[u8]| matches!(w, [b'.' | b'!' | b'?', b' ' | b'\n' | b'\t']);
    let from = para
        .as_bytes()
        .windows(2)
        .enumerate()
        .take(rel)
        .rfind(|(_, w)| ends_sentence(w))
        .map_or(0, |(i, _)| i + 2);
    let to = para
        .as_bytes()
        .windows(2)
        .enumerate()
        .skip(rel)
        .find(|(_, w)| ends_sentence(w))
        .map_or(para.len(), |(i, _)| i + 1);
    para.get(from..to).unwrap_or(para)
}

/// True if the sentence holding `at` is a migration note: it carries one of the cues
/// ("replacing", "formerly", "->", ...), a word as a whole word, a sign anywhere.
fn is_migration_note(text: &str, at: usize, kind: FileKind, cues: &[String]) -> bool {
    let mut lower = sentence(text, at, kind).to_lowercase();
    // An HTML comment's `-->` is not an arrow.
    while let Some(open) = lower.find("<!--") {
        let close = lower
            .get(open..)
            .and_then(|r| r.find("-->"))
            .map_or(lower.len(), |c| open + c + 3);
        lower.replace_range(open..close, " ");
    }
    cues.iter().any(|cue| {
        if !cue.starts_with(char::is_alphanumeric) {
            return lower.contains(cue.as_str());
        }
        lower.match_indices(cue.as_str()).any(|(i, m)| {
            let before = lower.get(..i).and_then(|b| b.chars().next_back());
            let after = lower.get(i + m.len()..).and_then(|a| a.chars().next());
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    })
}

/// True if the hit is a banned-terms list quoting the term as banned: a Markdown
/// table row naming the term and its replacement, or a list item that does so with
/// the term quoted (`` `Tenant` ``, `**Tenant**`) or set off (`Tenant: Organization`).
fn quotes_as_banned(text: &str, at: usize, len: usize, term: &RetiredTerm) -> bool {
    let (start, end) = line_bounds(text, at);
    let line = text.get(start..end).unwrap_or_default();
    let trimmed = line.trim_start();
    let table_row = trimmed.starts_with('|');
    let list_item = trimmed.starts_with(['-', '*', '+']) || is_numbered_item(trimmed);
    if !table_row && !list_item {
        return false;
    }
    let head = term
        .replacement
        .split(" (")
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if head.is_empty() || !line.to_ascii_lowercase().contains(&head) {
        return false;
    }
    if table_row {
        return true;
    }
    let bytes = text.as_bytes();
    let quote = |b: Option<&u8>| b.is_some_and(|b| matches!(b, b'`' | b'*' | b'"' | b'\'' | b'_'));
    let after = text.get(at + len..end).unwrap_or_default().trim_start();
    quote(at.checked_sub(1).and_then(|i| bytes.get(i)))
        || quote(bytes.get(at + len))
        || after.starts_with([':', '—', '–'])
        || after.starts_with("- ")
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

/// If `phrase` starts at byte `s` (ignoring ASCII case, any run of whitespace standing
/// for each space), where it ends.
fn phrase_at(text: &str, s: usize, phrase: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = s;
    for (n, word) in phrase.split(' ').filter(|w| !w.is_empty()).enumerate() {
        if n > 0 {
            let gap = i;
            while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            if i == gap {
                return None;
            }
        }
        if !bytes
            .get(i..i + word.len())?
            .eq_ignore_ascii_case(word.as_bytes())
        {
            return None;
        }
        i += word.len();
    }
    Some(i)
}

/// True if the match `[at, at + len)` lies inside an allowed phrase (ignoring case,
/// the phrase itself a whole word: `multi-tenant`, `Go module`) or inside a match of
/// an allowed pattern on its line.
fn is_allowed(text: &str, at: usize, len: usize, allow: &[Allow]) -> bool {
    allow.iter().any(|a| match a {
        Allow::Phrase(phrase) => {
            // A phrase wrapped across lines (`Go\nmodule`) still reads as the phrase:
            // look back far enough for a few extra spaces of indentation.
            let first = (at + len).saturating_sub(phrase.len() + 16);
            (first..=at).any(|s| {
                phrase_at(text, s, phrase).is_some_and(|end| {
                    at + len <= end && whole_word_at(text, s, end - s).is_some()
                })
            })
        }
        Allow::Pattern { regex, .. } => {
            let (start, end) = line_bounds(text, at);
            let line = text.get(start..end).unwrap_or_default();
            let (from, to) = (at - start, (at + len).min(end) - start);
            regex
                .find_iter(line)
                .any(|m| m.start() <= from && to <= m.end())
        }
    })
}
