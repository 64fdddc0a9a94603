//! CG007: renamed or retired words that keep creeping back.

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
    /// A term matches as a word or word part: `Tenants`, `tenant_id`, `tenantId` and
    /// `minio-operator` all match; `sopsy` does not. Allowed: the PriorityClass names
    /// `tenant-high` and `tenant-default` (deployed objects, recreated rather than
    /// renamed) and the generic adjective `multi-tenant`. More terms can be added with
    /// `retiredTerms` in `.catalyst-guard.yaml`. Every hit is reported: a truncated
    /// sweep once gave a false clean.
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

/// Allowed spellings: (term, text that must precede it, text that must follow it).
const ALLOWED: [(&str, &str, &str); 3] = [
    ("tenant", "", "-high"),
    ("tenant", "", "-default"),
    ("tenant", "multi-", ""),
];

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
    for (needle, hit) in ctx.hits_of(|n| matches!(n, Needle::Term { .. })) {
        let Needle::Term {
            term,
            singular,
            plural,
        } = needle
        else {
            continue;
        };
        let at = hit.start;
        let Some(len) = word_at(ctx.text, at, term) else {
            continue;
        };
        if is_allowed(ctx.text, at, term, len) {
            continue;
        }
        let pos = ctx.pos(at);
        if term == "sops"
            && sops_blocks
                .iter()
                .any(|(a, b)| (*a..=*b).contains(&pos.line))
        {
            continue;
        }
        let found = ctx.text.get(at..at + len).unwrap_or(term);
        let replacement = if len > term.len() { plural } else { singular };
        sink.report(ctx.path, pos, format!("retired term `{found}`"))
            .width(u32::try_from(found.chars().count()).unwrap_or(1))
            .help(format!("use `{replacement}`"));
    }
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

fn is_allowed(text: &str, at: usize, term: &str, len: usize) -> bool {
    let bytes = text.as_bytes();
    ALLOWED.iter().any(|(t, before, after)| {
        let (Some(head), Some(tail)) = (
            at.checked_sub(before.len()).and_then(|s| bytes.get(s..at)),
            bytes.get(at + len..),
        ) else {
            return false;
        };
        *t == term
            && len == term.len()
            && head.eq_ignore_ascii_case(before.as_bytes())
            && tail
                .get(..after.len())
                .is_some_and(|t| t.eq_ignore_ascii_case(after.as_bytes()))
            && (after.is_empty()
                || !tail
                    .get(after.len())
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'-'))
    })
}
