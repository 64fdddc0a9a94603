//! Inline suppressions: `# catalyst-guard: ignore CG007 -- <reason>` in YAML,
//! `<!-- catalyst-guard: ignore CG007 -- <reason> -->` in Markdown.
//!
//! A suppression covers its own line; written alone on a line, it covers the next line
//! too. Several codes may be listed, separated by commas or spaces. The reason after
//! `--` is mandatory: a suppression without one, or naming an unknown code, suppresses
//! nothing and is reported as CG011.

use super::scan::{MARKER, Needle};
use super::{FileCtx, Finding, find_rule};
use crate::yaml::Pos;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Suppression {
    first_line: u32,
    last_line: u32,
    codes: Vec<String>,
}

/// Finds every suppression comment; malformed ones go to `bad` as (pos, message, help).
pub(crate) fn scan(ctx: &FileCtx<'_>, bad: &mut Vec<(Pos, String, String)>) -> Vec<Suppression> {
    let mut out = Vec::new();
    for (_, hit) in ctx.hits_of(|n| *n == Needle::Marker) {
        let at = hit.start;
        let from = at + MARKER.len();
        let pos = ctx.pos(at);
        let Some(line) = ctx.lines().line(ctx.text, pos.line) else {
            continue;
        };
        let Some(body) = ctx
            .text
            .get(from..)
            .map(|rest| rest.lines().next().unwrap_or_default())
        else {
            continue;
        };
        let body = body.trim().trim_end_matches("-->").trim();
        // Prose that merely mentions the tool is not a directive.
        let Some(directive) = body.strip_prefix("ignore") else {
            continue;
        };
        let (codes, reason) = match directive.split_once("--") {
            Some((c, r)) => (c, r.trim()),
            None => (directive, ""),
        };
        let codes: Vec<String> = codes
            .split([',', ' '])
            .filter(|c| !c.is_empty())
            .map(str::to_ascii_uppercase)
            .collect();
        if let Some(unknown) = codes.iter().find(|c| find_rule(c).is_none()) {
            bad.push((
                pos,
                format!("suppression names unknown rule `{unknown}`"),
                "`catalyst-guard rules` lists the codes".to_string(),
            ));
            continue;
        }
        if codes.is_empty() || reason.is_empty() {
            let what = if codes.is_empty() {
                "no rule code"
            } else {
                "no reason"
            };
            bad.push((
                pos,
                format!("suppression has {what}"),
                "write `catalyst-guard: ignore CG007 -- <why this is fine>`".to_string(),
            ));
            continue;
        }
        let trimmed = line.trim_start();
        let alone = trimmed.starts_with('#') || trimmed.starts_with("<!--");
        out.push(Suppression {
            first_line: pos.line,
            last_line: if alone {
                pos.line.saturating_add(1)
            } else {
                pos.line
            },
            codes,
        });
    }
    out
}

/// True if a suppression covers the finding.
pub(crate) fn covers(sups: &[Suppression], f: &Finding) -> bool {
    sups.iter()
        .any(|s| (s.first_line..=s.last_line).contains(&f.line) && s.codes.contains(&f.code))
}
