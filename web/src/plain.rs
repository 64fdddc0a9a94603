//! Plain-text twins of the Markdown messages, for UIs that show text as is.
//!
//! The core writes messages and help as Markdown (offending values in backticks, as
//! the CLI prints them). A UI that puts `message` in a text node shows the backticks
//! raw, so every finding and URL verdict also carries `messageText` and `helpText`:
//! the same sentence with the Markdown taken out. The Markdown fields stay exactly as
//! `catalyst-guard lint --format json` prints them.

use serde_json::Value;

/// `text` with CommonMark code spans replaced by their content and backslash escapes
/// of ASCII punctuation resolved. A backtick run with no closing run of the same
/// length is literal text, as in CommonMark.
pub fn plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\\' {
            let tail = rest.get(1..).unwrap_or_default();
            let mut after = tail.chars();
            match after.next() {
                Some(p) if p.is_ascii_punctuation() => {
                    out.push(p);
                    rest = after.as_str();
                }
                _ => {
                    out.push('\\');
                    rest = tail;
                }
            }
        } else if c == '`' {
            let run = rest.len() - rest.trim_start_matches('`').len();
            let (opening, body) = rest.split_at_checked(run).unwrap_or((rest, ""));
            match closing_run(body, run) {
                Some((content, after)) => {
                    out.push_str(strip_one_space(content));
                    rest = after;
                }
                None => {
                    out.push_str(opening);
                    rest = body;
                }
            }
        } else {
            out.push(c);
            rest = rest.get(c.len_utf8()..).unwrap_or_default();
        }
    }
    out
}

/// Splits `body` at the first backtick run exactly `len` long: (content, after it).
fn closing_run(body: &str, len: usize) -> Option<(&str, &str)> {
    let mut from = 0;
    while let Some(at) = body.get(from..)?.find('`') {
        let start = from + at;
        let tail = body.get(start..)?;
        let run = tail.len() - tail.trim_start_matches('`').len();
        if run == len {
            return Some((body.get(..start)?, body.get(start + run..)?));
        }
        from = start + run;
    }
    None
}

/// CommonMark strips one space on both sides of a code span that has both.
fn strip_one_space(content: &str) -> &str {
    match content.strip_prefix(' ').and_then(|c| c.strip_suffix(' ')) {
        Some(inner) if !inner.trim().is_empty() => inner,
        _ => content,
    }
}

/// Adds `messageText` and `helpText` (or `null`) next to `message` and `help` in
/// `object`, if it has a `message`.
pub fn add_plain_fields(object: &mut Value) {
    let Some(map) = object.as_object_mut() else {
        return;
    };
    if !map.contains_key("message") {
        return;
    }
    let plain = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map_or(Value::Null, |s| Value::String(plain_text(s)))
    };
    let message = plain(map.get("message"));
    let help = plain(map.get("help"));
    map.insert("messageText".into(), message);
    map.insert("helpText".into(), help);
}

/// A lint report (the CLI's JSON document) with `messageText` and `helpText` added to
/// every finding. Text that is not a report comes back unchanged.
pub fn report_with_plain_text(report_json: &str) -> String {
    let Ok(mut report) = serde_json::from_str::<Value>(report_json) else {
        return report_json.to_string();
    };
    if let Some(findings) = report.get_mut("findings").and_then(Value::as_array_mut) {
        findings.iter_mut().for_each(add_plain_fields);
    }
    report.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn code_spans_become_their_content() {
        assert_eq!(
            plain_text(
                "`hfrp` = Hetzner Falkenstein rtz prod: use `https://gitea.hfmp.openova.io/a/b.git`"
            ),
            "hfrp = Hetzner Falkenstein rtz prod: use https://gitea.hfmp.openova.io/a/b.git"
        );
        assert_eq!(plain_text("``a ` b``"), "a ` b");
        assert_eq!(plain_text("`` `x` ``"), "`x`");
        assert_eq!(plain_text("no markdown here"), "no markdown here");
    }

    #[test]
    fn unclosed_backticks_and_escapes_stay_readable() {
        assert_eq!(plain_text("a ` lone tick"), "a ` lone tick");
        assert_eq!(plain_text("``open `closed`"), "``open closed");
        assert_eq!(plain_text(r"a \* star \q"), r"a * star \q");
        assert_eq!(plain_text("trailing \\"), "trailing \\");
        assert_eq!(plain_text("ümlaut `ß`"), "ümlaut ß");
    }

    #[test]
    fn findings_get_plain_twins_and_keep_their_markdown() {
        let report = json!({
            "schemaVersion": 1,
            "findings": [
                { "code": "CG007", "message": "retired term `tenant`", "help": "use `organization`" },
                { "code": "CG001", "message": "no help here" },
            ],
        });
        let out: Value =
            serde_json::from_str(&report_with_plain_text(&report.to_string())).expect("json");
        let f = &out["findings"];
        assert_eq!(f[0]["message"], "retired term `tenant`");
        assert_eq!(f[0]["messageText"], "retired term tenant");
        assert_eq!(f[0]["helpText"], "use organization");
        assert_eq!(f[1]["helpText"], Value::Null);
        assert_eq!(out["schemaVersion"], 1);
        assert_eq!(report_with_plain_text("not json"), "not json");
    }
}
