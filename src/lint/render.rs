//! Rendering a [`Report`] as compiler-style text, JSON or SARIF 2.1.0.
//!
//! Rendering is pure (strings in, a string out) so the CLI, the plugin and the browser
//! print the same bytes for the same findings.

use serde_json::{Value, json};

use super::baseline::Fingerprints;
use super::{Config, Finding, LineIndex, RULES, Report, Severity};

/// Options for text output.
#[derive(Debug, Clone, Default)]
pub struct TextOptions {
    /// Emit ANSI colours.
    pub color: bool,
    /// Prefix for displayed paths (the scanned root as the user named it), `""` for none.
    pub path_prefix: String,
}

/// JSON output schema version; bumped on any incompatible change.
pub const JSON_SCHEMA_VERSION: u32 = 1;

fn display_path(prefix: &str, path: &str) -> String {
    if prefix.is_empty() || prefix == "." {
        path.to_string()
    } else {
        format!("{}/{path}", prefix.trim_end_matches('/'))
    }
}

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        self.paint(code, s.as_str())
    }
}

/// Renders findings compiler-style, with the source line, a caret and a help line,
/// followed by a summary line. `source` returns a file's text by root-relative path.
pub fn text<'a>(
    report: &Report,
    source: &dyn Fn(&str) -> Option<&'a str>,
    opts: &TextOptions,
) -> String {
    let style = Style { on: opts.color };
    let mut out = String::new();
    let mut cached: Option<(&str, &'a str, LineIndex)> = None;
    for f in &report.findings {
        let header = format!("{}[{}]", style.severity(f.severity), f.code);
        out.push_str(&format!("{header}: {}\n", style.paint("1", &f.message)));
        let path = display_path(&opts.path_prefix, &f.path);
        let gutter_width = f.line.to_string().len();
        let pad = " ".repeat(gutter_width);
        let bar = style.paint("1;34", "|");
        out.push_str(&format!(
            "{pad}{} {path}:{}:{}\n",
            style.paint("1;34", "-->"),
            f.line,
            f.col
        ));
        if cached.as_ref().is_none_or(|(p, _, _)| *p != f.path) {
            cached = source(&f.path).map(|t| (f.path.as_str(), t, LineIndex::new(t)));
        }
        let line = cached
            .as_ref()
            .filter(|(p, _, _)| *p == f.path)
            .and_then(|(_, t, idx)| idx.line(t, f.line));
        if let Some(line) = line {
            // Control characters (a NUL in a binary file, an escape sequence) must not
            // reach the terminal raw.
            let line: String = line
                .chars()
                .map(|c| {
                    if c.is_control() && c != '\t' {
                        char::REPLACEMENT_CHARACTER
                    } else {
                        c
                    }
                })
                .collect();
            out.push_str(&format!("{pad} {bar}\n"));
            out.push_str(&format!(
                "{} {bar} {line}\n",
                style.paint("1;34", &f.line.to_string())
            ));
            let lead: String = line
                .chars()
                .take(f.col.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let available = line
                .chars()
                .count()
                .saturating_sub(lead.chars().count())
                .max(1);
            let width = (f.width as usize).clamp(1, available);
            let caret_code = match f.severity {
                Severity::Error => "1;31",
                Severity::Warning => "1;33",
                Severity::Info => "1;36",
            };
            out.push_str(&format!(
                "{pad} {bar} {lead}{}\n",
                style.paint(caret_code, &"^".repeat(width))
            ));
        }
        if let Some(help) = &f.help {
            out.push_str(&format!(
                "{pad} {} {}: {help}\n",
                style.paint("1;34", "="),
                style.paint("1", "help")
            ));
        }
        for r in &f.related {
            out.push_str(&format!(
                "{pad} {} {}: compared with `{}` at {}:{}:{}\n",
                style.paint("1;34", "="),
                style.paint("1", "note"),
                r.value,
                display_path(&opts.path_prefix, &r.path),
                r.line,
                r.col
            ));
        }
        if let Some(fix) = &f.fix {
            out.push_str(&format!(
                "{pad} {} {}: {} (`--fix` applies it)\n",
                style.paint("1;34", "="),
                style.paint("1", "fix"),
                fix.description
            ));
        }
        out.push('\n');
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// One line: `3 errors, 1 warning, 0 infos in 42 files` or `no findings in 42 files`,
/// then what a baseline left out (`; 12 baselined, 2 stale baseline entries`).
pub fn summary(report: &Report) -> String {
    let files = plural(report.files_scanned, "file");
    let counts = if report.findings.is_empty() {
        format!("no findings in {files}")
    } else {
        format!(
            "{}, {}, {} in {files}",
            plural(report.count(Severity::Error), "error"),
            plural(report.count(Severity::Warning), "warning"),
            plural(report.count(Severity::Info), "info"),
        )
    };
    match report.baseline {
        Some(b) => format!(
            "{counts}; {} baselined, {}",
            b.baselined,
            plural(b.stale, "stale baseline entry").replace("entrys", "entries")
        ),
        None => counts,
    }
}

/// Counts per rule, most frequent first (`lint --statistics`, as ruff prints them):
/// count, code, name, how many carry a fix, then the summary line.
pub fn statistics(report: &Report) -> String {
    let mut counts: Vec<(usize, usize, &str, &str)> = Vec::new();
    for f in &report.findings {
        match counts.iter_mut().find(|(_, _, code, _)| *code == f.code) {
            Some(entry) => {
                entry.0 += 1;
                entry.1 += usize::from(f.fix.is_some());
            }
            None => counts.push((1, usize::from(f.fix.is_some()), &f.code, &f.rule)),
        }
    }
    counts.sort_by(|a, b| b.0.cmp(&a.0).then(a.2.cmp(b.2)));
    let width = counts.first().map_or(1, |c| c.0.to_string().len());
    let mut out = String::new();
    for (n, fixable, code, name) in counts {
        let fix = if fixable > 0 {
            format!("  ({fixable} fixable with `--fix`)")
        } else {
            String::new()
        };
        out.push_str(&format!("{n:>width$}\t{code}\t{name}{fix}\n"));
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn finding_json(f: &Finding, prefix: &str) -> Value {
    let mut v = json!({
        "code": f.code,
        "rule": f.rule,
        "severity": f.severity,
        "path": display_path(prefix, &f.path),
        "line": f.line,
        "col": f.col,
        "width": f.width,
        "message": f.message,
    });
    if let (Some(help), Some(obj)) = (&f.help, v.as_object_mut()) {
        obj.insert("help".to_string(), json!(help));
    }
    if let (Some(fix), Some(obj)) = (&f.fix, v.as_object_mut()) {
        obj.insert("fix".to_string(), json!(fix));
    }
    if let (false, Some(obj)) = (f.related.is_empty(), v.as_object_mut()) {
        let related: Vec<Value> = f
            .related
            .iter()
            .map(|r| {
                json!({
                    "path": display_path(prefix, &r.path),
                    "line": r.line,
                    "col": r.col,
                    "value": r.value,
                })
            })
            .collect();
        obj.insert("related".to_string(), Value::Array(related));
    }
    v
}

/// Renders the report as pretty JSON with a `schemaVersion`.
pub fn json(report: &Report, path_prefix: &str) -> String {
    let doc = json!({
        "schemaVersion": JSON_SCHEMA_VERSION,
        "tool": "catalyst-guard",
        "version": env!("CARGO_PKG_VERSION"),
        "filesScanned": report.files_scanned,
        "summary": {
            "error": report.count(Severity::Error),
            "warning": report.count(Severity::Warning),
            "info": report.count(Severity::Info),
        },
        "findings": report.findings.iter().map(|f| finding_json(f, path_prefix)).collect::<Vec<_>>(),
    });
    let mut doc = doc;
    if let (Some(b), Some(obj)) = (report.baseline, doc.as_object_mut()) {
        obj.insert(
            "baseline".to_string(),
            json!({ "baselined": b.baselined, "stale": b.stale }),
        );
    }
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The key of SARIF `partialFingerprints` this tool writes: the baseline fingerprint
/// (rule, flagged text, its line, and for cross-file findings the other side's value),
/// so code scanning follows a finding across commits that move it.
pub const SARIF_FINGERPRINT: &str = "catalystGuard/v1";

/// Renders the report as a SARIF 2.1.0 log with one run and every rule described. Rule
/// levels are the configuration's (a rule set to `warning` is a warning, one switched
/// off is `none`); `source` returns a file's text by root-relative path, for each
/// result's `partialFingerprints`.
pub fn sarif<'a>(
    report: &Report,
    path_prefix: &str,
    config: &Config,
    source: &dyn Fn(&str) -> Option<&'a str>,
) -> String {
    let mut fingerprints = Fingerprints::new(source);
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            let level = if config.is_enabled(r) {
                sarif_level(config.severity_of(r))
            } else {
                "none"
            };
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.summary },
                "help": { "text": r.docs(), "markdown": r.docs() },
                "defaultConfiguration": { "level": level, "enabled": config.is_enabled(r) },
                "properties": { "fix": r.fix.as_str(), "crossFile": r.is_cross_file() },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = RULES.iter().position(|r| r.code == f.code).unwrap_or(0);
            let text = match &f.help {
                Some(h) => format!("{}\nhelp: {h}", f.message),
                None => f.message.clone(),
            };
            let uri = display_path(path_prefix, &f.path);
            let fixes: Vec<Value> = f
                .fix
                .iter()
                .map(|fix| {
                    let replacements: Vec<Value> = fix
                        .edits
                        .iter()
                        .map(|e| {
                            json!({
                                "deletedRegion": {
                                    "startLine": e.line.max(1),
                                    "startColumn": e.col.max(1),
                                    "endColumn": e.col.max(1).saturating_add(e.width),
                                },
                                "insertedContent": { "text": e.text },
                            })
                        })
                        .collect();
                    json!({
                        "description": { "text": fix.description },
                        "artifactChanges": [{
                            "artifactLocation": { "uri": uri, "uriBaseId": "%SRCROOT%" },
                            "replacements": replacements,
                        }],
                    })
                })
                .collect();
            let mut result = json!({
                "ruleId": f.code,
                "ruleIndex": index,
                "level": sarif_level(f.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": display_path(path_prefix, &f.path),
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {
                            "startLine": f.line.max(1),
                            "startColumn": f.col.max(1),
                            "endColumn": f.col.max(1).saturating_add(f.width.max(1)),
                        },
                    },
                }],
            });
            if let (false, Some(obj)) = (fixes.is_empty(), result.as_object_mut()) {
                obj.insert("fixes".to_string(), Value::Array(fixes));
            }
            if let Some(obj) = result.as_object_mut() {
                obj.insert(
                    "partialFingerprints".to_string(),
                    json!({ SARIF_FINGERPRINT: fingerprints.of(f) }),
                );
            }
            if let (false, Some(obj)) = (f.related.is_empty(), result.as_object_mut()) {
                let related: Vec<Value> = f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        json!({
                            "id": i,
                            "physicalLocation": {
                                "artifactLocation": {
                                    "uri": display_path(path_prefix, &r.path),
                                    "uriBaseId": "%SRCROOT%",
                                },
                                "region": {
                                    "startLine": r.line.max(1),
                                    "startColumn": r.col.max(1),
                                },
                            },
                            "message": { "text": format!("compared with `{}`", r.value) },
                        })
                    })
                    .collect();
                obj.insert("relatedLocations".to_string(), Value::Array(related));
            }
            result
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "catalyst-guard",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/openova/catalyst-guard",
                    "rules": rules,
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
