//! Reads a base revision's chart folders with git (for CG010), and which lines changed
//! since a revision (for `--new-from-rev`), without checking anything out.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use catalyst_guard::lint::{Config, SourceFile};

/// Fails with one line unless `root` is in a git work tree and `rev` names a commit
/// there: git's own answer to a bad call is its usage text, which says neither.
fn check_rev(root: &Path, rev: &str, flag: &str) -> Result<()> {
    if rev.starts_with('-') {
        bail!("invalid revision `{rev}`");
    }
    let inside = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--is-inside-work-tree"])
        .stderr(Stdio::null())
        .output()
        .context("cannot run `git`")?;
    if !inside.status.success() || inside.stdout.trim_ascii() != b"true" {
        bail!(
            "`{flag}` needs a git repository, and `{}` is not in one",
            root.display()
        );
    }
    let commit = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--verify", "--quiet"])
        .arg(format!("{rev}^{{commit}}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("cannot run `git`")?;
    if !commit.success() {
        bail!(
            "`{flag} {rev}`: no such commit in `{}` (a shallow clone needs `fetch-depth: 0`)",
            root.display()
        );
    }
    Ok(())
}

/// The first line of a failed git command's stderr.
fn first_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("(no message)")
        .trim()
        .to_string()
}

/// Every file under a chart folder (`chartRoots`) at `rev`, with root-relative paths.
pub fn chart_files_at(root: &Path, rev: &str, config: &Config) -> Result<Vec<SourceFile>> {
    check_rev(root, rev, "--base")?;
    let list = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-tree", "-r", "-z", "--name-only", rev, "--", "."])
        .output()
        .context("cannot run `git`")?;
    if !list.status.success() {
        bail!(
            "`git ls-tree {rev}` failed in `{}`: {}",
            root.display(),
            first_line(&list.stderr)
        );
    }
    let paths: Vec<String> = list
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .filter(|p| config.chart_roots.chart_dir(p).is_some())
        .collect();
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run `git cat-file`")?;
    let mut stdin = child.stdin.take().context("git cat-file has no stdin")?;
    let requests: String = paths.iter().map(|p| format!("{rev}:./{p}\n")).collect();
    // Feed requests from a thread so a large response cannot deadlock the pipes.
    let writer = std::thread::spawn(move || stdin.write_all(requests.as_bytes()));
    let stdout = child.stdout.take().context("git cat-file has no stdout")?;
    let mut reader = BufReader::new(stdout);
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let mut fields = header.split_whitespace();
        let (Some(_oid), Some(kind), Some(size)) = (fields.next(), fields.next(), fields.next())
        else {
            bail!(
                "unexpected `git cat-file` output for `{path}`: `{}`",
                header.trim()
            );
        };
        let size: usize = size
            .parse()
            .with_context(|| format!("bad size in `{}`", header.trim()))?;
        let mut body = vec![0; size + 1];
        reader.read_exact(&mut body)?;
        body.truncate(size);
        if kind == "blob" {
            files.push(SourceFile::new(
                path,
                String::from_utf8_lossy(&body).into_owned(),
            ));
        }
    }
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("git writer thread panicked"))??;
    let status = child.wait()?;
    if !status.success() {
        bail!("`git cat-file` failed");
    }
    Ok(files)
}

/// The lines of each file that changed since `rev` (for `lint --new-from-rev`):
/// `git diff -U0 REV` over the working tree (staged and unstaged changes), plus every
/// line of untracked, not-ignored files. No checkout; paths are relative to `root`.
pub fn changed_lines(root: &Path, rev: &str) -> Result<ChangedLines> {
    check_rev(root, rev, "--new-from-rev")?;
    let git = |args: &[&str]| -> Result<Vec<u8>> {
        let out = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["-c", "core.quotepath=off"])
            .args(args)
            .output()
            .context("cannot run `git`")?;
        if !out.status.success() {
            bail!(
                "`git {}` failed in `{}`: {}",
                args.join(" "),
                root.display(),
                first_line(&out.stderr)
            );
        }
        Ok(out.stdout)
    };
    let diff = git(&[
        "diff",
        "-U0",
        "--no-color",
        "--no-ext-diff",
        "--relative",
        rev,
        "--",
    ])?;
    let mut changed = parse_diff(&String::from_utf8_lossy(&diff));
    let untracked = git(&["ls-files", "-z", "--others", "--exclude-standard"])?;
    for path in untracked.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        changed
            .files
            .insert(String::from_utf8_lossy(path).into_owned(), Lines::All);
    }
    Ok(changed)
}

/// Which lines of which files changed, and which files the change touched at all
/// (deleted ones included).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ChangedLines {
    files: std::collections::HashMap<String, Lines>,
    touched: std::collections::HashSet<String>,
}

#[derive(Debug, PartialEq, Eq)]
enum Lines {
    /// A new file: every line is new.
    All,
    /// Inclusive ranges of new-side line numbers.
    Ranges(Vec<(u32, u32)>),
}

impl ChangedLines {
    /// True if line `line` of `path` is new or changed.
    pub fn contains(&self, path: &str, line: u32) -> bool {
        match self.files.get(path) {
            Some(Lines::All) => true,
            Some(Lines::Ranges(r)) => r.iter().any(|(a, b)| (*a..=*b).contains(&line)),
            None => false,
        }
    }

    /// True if the change touched the file: added, edited, or deleted.
    pub fn touches(&self, path: &str) -> bool {
        self.files.contains_key(path) || self.touched.contains(path)
    }
}

/// Reads `git diff -U0` output: the new-side path of each file (`+++ b/...`) and the
/// new-side range of each hunk (`@@ -a,b +c,d @@`).
fn parse_diff(diff: &str) -> ChangedLines {
    let mut out = ChangedLines::default();
    let mut current: Option<String> = None;
    for line in diff.lines() {
        if let Some(path) = line.strip_prefix("--- ")
            && path != "/dev/null"
        {
            let path = unquote(path);
            out.touched
                .insert(path.strip_prefix("a/").unwrap_or(&path).to_string());
        } else if let Some(path) = line.strip_prefix("+++ ") {
            current = (path != "/dev/null").then(|| {
                let path = unquote(path);
                path.strip_prefix("b/").unwrap_or(&path).to_string()
            });
            if let Some(p) = &current {
                out.files
                    .entry(p.clone())
                    .or_insert_with(|| Lines::Ranges(Vec::new()));
            }
        } else if let (Some(hunk), Some(path)) = (line.strip_prefix("@@ "), &current) {
            let Some(new) = hunk.split_whitespace().find_map(|w| w.strip_prefix('+')) else {
                continue;
            };
            let (start, count) = match new.split_once(',') {
                Some((s, c)) => (s.parse::<u32>(), c.parse::<u32>()),
                None => (new.parse::<u32>(), Ok(1)),
            };
            if let (Ok(start), Ok(count)) = (start, count)
                && count > 0
                && let Some(Lines::Ranges(r)) = out.files.get_mut(path)
            {
                r.push((start, start + count - 1));
            }
        }
    }
    out
}

/// Undoes git's C-style quoting of unusual paths (`"a\tb"`).
fn unquote(path: &str) -> String {
    let Some(inner) = path.strip_prefix('"').and_then(|p| p.strip_suffix('"')) else {
        return path.to_string();
    };
    let mut bytes = Vec::new();
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match chars.next() {
            Some(b't') => bytes.push(b'\t'),
            Some(b'n') => bytes.push(b'\n'),
            Some(d @ b'0'..=b'7') => {
                let mut v = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(&n @ b'0'..=b'7') = chars.peek() {
                        v = v * 8 + u32::from(n - b'0');
                        chars.next();
                    }
                }
                bytes.push(u8::try_from(v).unwrap_or(b'?'));
            }
            Some(other) => bytes.push(other),
            None => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_hunks_become_new_side_line_ranges() {
        let diff = "diff --git a/docs/a.md b/docs/a.md\n--- a/docs/a.md\n+++ b/docs/a.md\n@@ -3,0 +4,2 @@\n+x\n+y\n@@ -10 +12 @@\n-a\n+b\n@@ -20,3 +21,0 @@\n-gone\n--- a/old.md\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n+++ \"b/caf\\303\\251 d.md\"\n@@ -0,0 +1 @@\n+new\n";
        let c = parse_diff(diff);
        let yes = |p: &str, l: u32| c.contains(p, l);
        assert!(yes("docs/a.md", 4) && yes("docs/a.md", 5) && yes("docs/a.md", 12));
        assert!(!yes("docs/a.md", 6) && !yes("docs/a.md", 21) && !yes("docs/a.md", 3));
        assert!(!yes("old.md", 1));
        assert!(c.touches("old.md") && c.touches("docs/a.md"));
        assert!(!c.touches("docs/b.md"));
        assert!(yes("café d.md", 1));
    }
}
