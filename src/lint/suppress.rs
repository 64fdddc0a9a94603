//! Inline suppressions: `# catalyst-guard: ignore CG007 -- <reason>` in YAML,
//! `<!-- catalyst-guard: ignore CG007 -- <reason> -->` in Markdown.
//!
//! A suppression covers its own line; written alone on a line, it covers the next line
//! too. A block suppression covers every line from `ignore-start CG007 -- <reason>` to
//! the next `ignore-end` (a quoted banned-terms list, a pasted upstream section).
//! Several codes may be listed, separated by commas or spaces. The reason after `--`
//! is mandatory: a suppression without one, naming an unknown code, or a block that is
//! never closed (or an end without a start) suppresses nothing and is reported as
//! CG011.

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
    // An open `ignore-start`: its line and codes.
    let mut open: Option<(u32, Vec<String>)> = None;
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
        if body.starts_with("ignore-end") {
            match open.take() {
                Some((start, codes)) => out.push(Suppression {
                    first_line: start,
                    last_line: pos.line,
                    codes,
                }),
                None => bad.push((
                    pos,
                    "`ignore-end` without an `ignore-start` above it".to_string(),
                    "start the block with `catalyst-guard: ignore-start CG007 -- <why>`"
                        .to_string(),
                )),
            }
            continue;
        }
        let (block, rest) = match body.strip_prefix("ignore-start") {
            Some(rest) => (true, Some(rest)),
            None => (false, body.strip_prefix("ignore")),
        };
        // Prose that merely mentions the tool is not a directive.
        let Some(directive) = rest else {
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
                "write `catalyst-guard: ignore CG007 -- <why this is fine>` (or `ignore-start`)"
                    .to_string(),
            ));
            continue;
        }
        if block {
            if let Some((start, _)) = open.replace((pos.line, codes)) {
                bad.push((
                    Pos::new(start, 1),
                    "`ignore-start` is not closed before the next `ignore-start`".to_string(),
                    "end each block with `catalyst-guard: ignore-end`".to_string(),
                ));
            }
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
    if let Some((start, _)) = open {
        bad.push((
            Pos::new(start, 1),
            "`ignore-start` is never closed by `ignore-end`".to_string(),
            "end the block with `catalyst-guard: ignore-end`".to_string(),
        ));
    }
    out
}

/// True if a suppression covers the finding.
pub(crate) fn covers(sups: &[Suppression], f: &Finding) -> bool {
    sups.iter()
        .any(|s| (s.first_line..=s.last_line).contains(&f.line) && s.codes.contains(&f.code))
}
