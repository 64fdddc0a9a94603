//! Safe, mechanical fixes (`lint --fix`).
//!
//! A rule that knows the one right edit attaches a [`Fix`] to its finding: a list of
//! [`Edit`]s, each replacing a span of the file's text given by line, column and width
//! in characters. [`apply`] splices those spans into the original text and touches
//! nothing else, so comments, order, quoting and formatting outside the edit survive
//! byte for byte: a file is never re-serialised. [`unified_diff`] shows what `--fix
//! --dry-run` would change. Pure: the host reads and writes the files.

use serde::{Deserialize, Serialize};

use super::LineIndex;

/// One replacement in a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Edit {
    /// 1-based line of the first replaced character (or of the insertion point).
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
    /// Characters replaced (0 inserts).
    pub width: u32,
    /// The new text.
    pub text: String,
}

/// A fix: what it does, and its edits (all in the finding's file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// What applying it does, one clause (`pin `1.1.4``).
    pub description: String,
    /// The edits, in any order; they never overlap.
    pub edits: Vec<Edit>,
}

impl Fix {
    /// A fix that replaces one span.
    pub fn replace(description: impl Into<String>, edit: Edit) -> Self {
        Self {
            description: description.into(),
            edits: vec![edit],
        }
    }
}

/// The edit that replaces a scalar value written at `loc` with `new`, keeping its
/// quotes: `None` for values whose source is not the plain or quoted value itself
/// (block scalars, escapes), which are not edited mechanically.
pub fn replace_value(loc: &crate::model::Located, new: &str) -> Option<Edit> {
    let chars = u32::try_from(loc.value.chars().count()).ok()?;
    let (col, width) = if loc.src_width == chars {
        (loc.pos.col, chars)
    } else if loc.src_width == chars.checked_add(2)? {
        (loc.pos.col.checked_add(1)?, chars)
    } else {
        return None;
    };
    Some(Edit {
        line: loc.pos.line,
        col,
        width,
        text: new.to_string(),
    })
}

/// The suggestion of a `use `X`` help line, when it is concrete (no `<placeholder>`
/// left to fill in by hand).
pub fn concrete_suggestion(help: &str) -> Option<&str> {
    let s = help.strip_prefix("use `")?.strip_suffix('`')?;
    (!s.contains(['<', '`'])).then_some(s)
}

/// The edit that declares `global.imageRegistry: ""` in a values.yaml that lacks it,
/// in the file's own style: merged into a top-level block `global:` at its children's
/// indentation, or a new `global:` block before the first key, indented by the file's
/// indentation unit (the smallest indentation it uses, else two spaces) and ending
/// lines as the file does. `None` when `global` is written in a form this cannot merge
/// into (a flow mapping, a scalar).
pub fn image_registry_edit(text: &str) -> Option<Edit> {
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.lines().collect();
    let content = |l: &&&str| {
        let t = l.trim_start();
        !t.is_empty() && !t.starts_with('#')
    };
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let unit = lines
        .iter()
        .filter(content)
        .map(|l| indent(l))
        .filter(|n| *n > 0)
        .min()
        .unwrap_or(2)
        .min(8);
    let line_no = |i: usize| u32::try_from(i + 1).ok();
    let global = lines.iter().position(|l| {
        l.strip_prefix("global:").is_some_and(|rest| {
            let rest = rest.trim();
            rest.is_empty() || rest.starts_with('#')
        })
    });
    if let Some(g) = global {
        let child = lines
            .iter()
            .skip(g + 1)
            .find(content)
            .map(|l| indent(l))
            .filter(|n| *n > 0)
            .unwrap_or(unit);
        let entry = format!("{}imageRegistry: \"\"", " ".repeat(child));
        if g + 1 == lines.len() && !text.ends_with('\n') {
            // `global:` ends the file without a newline: continue its line.
            return Some(Edit {
                line: line_no(g)?,
                col: u32::try_from(lines.get(g).map_or(0, |l| l.chars().count()) + 1).ok()?,
                width: 0,
                text: format!("{eol}{entry}"),
            });
        }
        return Some(Edit {
            line: line_no(g + 1)?,
            col: 1,
            width: 0,
            text: format!("{entry}{eol}"),
        });
    }
    if lines.iter().any(|l| l.starts_with("global:")) {
        return None;
    }
    let block = format!("global:{eol}{}imageRegistry: \"\"{eol}", " ".repeat(unit));
    let first = lines
        .iter()
        .position(|l| content(&l) && !l.starts_with("---") && !l.starts_with('%'));
    match first {
        Some(i) => Some(Edit {
            line: line_no(i)?,
            col: 1,
            width: 0,
            text: block,
        }),
        // Only comments (or nothing): append.
        None if text.is_empty() || text.ends_with('\n') => Some(Edit {
            line: line_no(lines.len())?,
            col: 1,
            width: 0,
            text: block,
        }),
        None => Some(Edit {
            line: line_no(lines.len().saturating_sub(1))?,
            col: u32::try_from(lines.last().map_or(0, |l| l.chars().count()) + 1).ok()?,
            width: 0,
            text: format!("{eol}{block}"),
        }),
    }
}

/// Why a set of edits cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixError {
    /// An edit points outside the text (the file changed since it was linted).
    #[error("edit at {line}:{col} is outside the file")]
    OutOfRange {
        /// 1-based line.
        line: u32,
        /// 1-based column.
        col: u32,
    },
}

/// The byte range of an edit's span in `text`.
fn span(text: &str, lines: &LineIndex, edit: &Edit) -> Result<(usize, usize), FixError> {
    let out = || FixError::OutOfRange {
        line: edit.line,
        col: edit.col,
    };
    let (start, end) = lines.line_range(text, edit.line).ok_or_else(out)?;
    let line = text.get(start..end).ok_or_else(out)?;
    // Column `len + 1` is the end of the line (an insertion there is fine).
    let mut offsets = line.char_indices().map(|(i, _)| i).chain([line.len()]);
    let col = usize::try_from(edit.col.checked_sub(1).ok_or_else(out)?).map_err(|_| out())?;
    let width = usize::try_from(edit.width).map_err(|_| out())?;
    let from = offsets.nth(col).ok_or_else(out)?;
    let to = if width == 0 {
        from
    } else {
        offsets.nth(width - 1).ok_or_else(out)?
    };
    Ok((start + from, start + to))
}

/// Applies edits to `text`. Edits that overlap an earlier one (in text order) are
/// skipped, never merged: the second fix is applied by the next `--fix` run, after the
/// first has re-linted clean. Returns the new text and how many edits were applied.
pub fn apply(text: &str, edits: &[&Edit]) -> Result<(String, usize), FixError> {
    let lines = LineIndex::new(text);
    let mut spans: Vec<((usize, usize), &str)> = edits
        .iter()
        .map(|e| span(text, &lines, e).map(|s| (s, e.text.as_str())))
        .collect::<Result<_, _>>()?;
    spans.sort();
    spans.dedup();
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    let mut applied = 0;
    for ((from, to), new) in spans {
        if from < at {
            continue;
        }
        out.push_str(text.get(at..from).unwrap_or_default());
        out.push_str(new);
        at = to;
        applied += 1;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    Ok((out, applied))
}

/// A unified diff (`--- a/PATH`, `+++ b/PATH`, hunks with 3 lines of context) between
/// two versions of a file; empty if they are equal.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    const CONTEXT: usize = 3;
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    // Fixes are local: the changed region is what lies between the common prefix and
    // the common suffix, split into hunks where long unchanged runs separate edits.
    let ops = diff_lines(&a, &b);
    if ops.iter().all(|op| matches!(op, Op::Same(..))) {
        return String::new();
    }
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    let mut i = 0;
    while i < ops.len() {
        // Find the next change.
        let Some(first) = ops
            .iter()
            .skip(i)
            .position(|op| !matches!(op, Op::Same(..)))
        else {
            break;
        };
        let first = i + first;
        let start = first.saturating_sub(CONTEXT);
        // Extend the hunk while the next change is within 2 * CONTEXT unchanged lines.
        let mut end = first;
        let mut same_run = 0;
        let mut j = first;
        while j < ops.len() {
            if matches!(ops.get(j), Some(Op::Same(..))) {
                same_run += 1;
                if same_run > 2 * CONTEXT {
                    break;
                }
            } else {
                same_run = 0;
                end = j;
            }
            j += 1;
        }
        let stop = (end + 1 + CONTEXT).min(ops.len());
        let hunk = ops.get(start..stop).unwrap_or_default();
        let (old_start, new_start) = match hunk.first() {
            Some(Op::Same(x, y)) => (*x, *y),
            Some(Op::Del(x, y)) | Some(Op::Add(x, y)) => (*x, *y),
            None => (0, 0),
        };
        let old_len = hunk.iter().filter(|op| !matches!(op, Op::Add(..))).count();
        let new_len = hunk.iter().filter(|op| !matches!(op, Op::Del(..))).count();
        out.push_str(&format!(
            "@@ -{},{old_len} +{},{new_len} @@\n",
            old_start + usize::from(old_len > 0),
            new_start + usize::from(new_len > 0)
        ));
        for op in hunk {
            let (sign, line) = match op {
                Op::Same(x, _) => (' ', a.get(*x)),
                Op::Del(x, _) => ('-', a.get(*x)),
                Op::Add(_, y) => ('+', b.get(*y)),
            };
            let line = line.copied().unwrap_or_default();
            out.push(sign);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
        i = stop;
    }
    out
}

/// A line-diff operation with the old and new line indexes (0-based) it sits at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same(usize, usize),
    Del(usize, usize),
    Add(usize, usize),
}

/// A line diff: common prefix and suffix kept, the middle diffed by LCS when small
/// (fixes change a few lines) and replaced wholesale otherwise.
fn diff_lines(a: &[&str], b: &[&str]) -> Vec<Op> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(a.len().min(b.len()) - prefix)
        .take_while(|(x, y)| x == y)
        .count();
    let mut ops: Vec<Op> = (0..prefix).map(|i| Op::Same(i, i)).collect();
    let (am, bm) = (
        a.get(prefix..a.len() - suffix).unwrap_or_default(),
        b.get(prefix..b.len() - suffix).unwrap_or_default(),
    );
    if am.len().saturating_mul(bm.len()) <= 1_000_000 {
        // LCS table over the middle.
        let (n, m) = (am.len(), bm.len());
        let mut t = vec![0u32; (n + 1) * (m + 1)];
        let at = |i: usize, j: usize| i * (m + 1) + j;
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                let v = if am.get(i) == bm.get(j) {
                    t.get(at(i + 1, j + 1)).copied().unwrap_or(0) + 1
                } else {
                    let down = t.get(at(i + 1, j)).copied().unwrap_or(0);
                    let right = t.get(at(i, j + 1)).copied().unwrap_or(0);
                    down.max(right)
                };
                if let Some(cell) = t.get_mut(at(i, j)) {
                    *cell = v;
                }
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            let cell = |i: usize, j: usize| t.get(at(i, j)).copied().unwrap_or(0);
            if i < n && j < m && am.get(i) == bm.get(j) {
                ops.push(Op::Same(prefix + i, prefix + j));
                i += 1;
                j += 1;
            } else if i < n && (j == m || cell(i + 1, j) >= cell(i, j + 1)) {
                ops.push(Op::Del(prefix + i, prefix + j));
                i += 1;
            } else {
                ops.push(Op::Add(prefix + i, prefix + j));
                j += 1;
            }
        }
    } else {
        ops.extend((0..am.len()).map(|i| Op::Del(prefix + i, prefix)));
        ops.extend((0..bm.len()).map(|j| Op::Add(prefix + am.len(), prefix + j)));
    }
    let (a0, b0) = (a.len() - suffix, b.len() - suffix);
    ops.extend((0..suffix).map(|k| Op::Same(a0 + k, b0 + k)));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(line: u32, col: u32, width: u32, text: &str) -> Edit {
        Edit {
            line,
            col,
            width,
            text: text.to_string(),
        }
    }

    #[test]
    fn edits_splice_spans_and_keep_every_other_byte() {
        let text = "a: 1 # keep\r\nçb: \"2\"\n";
        let e1 = edit(1, 4, 1, "9");
        let e2 = edit(2, 6, 1, "3");
        let e3 = edit(3, 1, 0, "c: 4\n");
        let (out, n) = apply(text, &[&e2, &e1, &e3]).unwrap();
        assert_eq!(out, "a: 9 # keep\r\nçb: \"3\"\nc: 4\n");
        assert_eq!(n, 3);
        assert_eq!(
            apply(text, &[&edit(9, 1, 1, "x")]),
            Err(FixError::OutOfRange { line: 9, col: 1 })
        );
        // An overlapping edit is left for the next run.
        let (out, n) = apply(text, &[&edit(1, 1, 4, "b: 2"), &edit(1, 4, 1, "7")]).unwrap();
        assert_eq!((out.as_str(), n), ("b: 2 # keep\r\nçb: \"2\"\n", 1));
    }

    fn with_registry(text: &str) -> String {
        let e = image_registry_edit(text).expect("an edit");
        apply(text, &[&e]).unwrap().0
    }

    #[test]
    fn the_image_registry_knob_is_added_in_the_files_own_style() {
        // No global: a new block before the first key, at the file's indentation.
        assert_eq!(
            with_registry("# c\nvelero:\n    image: x\n"),
            "# c\nglobal:\n    imageRegistry: \"\"\nvelero:\n    image: x\n"
        );
        // An existing global block: merged at its children's indentation.
        assert_eq!(
            with_registry("global:\n   storageClass: a # keep\nx: 1\n"),
            "global:\n   imageRegistry: \"\"\n   storageClass: a # keep\nx: 1\n"
        );
        assert_eq!(
            with_registry("a:\n  b: 1\nglobal:  # c\n"),
            "a:\n  b: 1\nglobal:  # c\n  imageRegistry: \"\"\n"
        );
        // CRLF files keep CRLF; empty files and comment-only files get the block.
        assert_eq!(
            with_registry("a: 1\r\n"),
            "global:\r\n  imageRegistry: \"\"\r\na: 1\r\n"
        );
        assert_eq!(with_registry("global:"), "global:\n  imageRegistry: \"\"");
        assert_eq!(with_registry(""), "global:\n  imageRegistry: \"\"\n");
        assert_eq!(
            with_registry("# only"),
            "# only\nglobal:\n  imageRegistry: \"\"\n"
        );
        // A flow or scalar global is not merged mechanically.
        assert_eq!(image_registry_edit("global: {a: 1}\n"), None);
        assert_eq!(image_registry_edit("global: ~\n"), None);
    }

    #[test]
    fn the_diff_shows_changed_lines_with_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n";
        let new = "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n";
        let d = unified_diff("x.yaml", old, new);
        assert_eq!(
            d,
            "--- a/x.yaml\n+++ b/x.yaml\n@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n@@ -10,3 +10,4 @@\n 10\n 11\n 12\n+13\n"
        );
        assert_eq!(unified_diff("x", old, old), "");
    }
}
