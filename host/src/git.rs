//! Reads a base revision's chart folders with git (for CG010), without checking it out.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use catalyst_guard::lint::{SourceFile, layout};

/// Every file under `platform/*/chart/` at `rev`, with root-relative paths.
pub fn chart_files_at(root: &Path, rev: &str) -> Result<Vec<SourceFile>> {
    if rev.starts_with('-') {
        bail!("invalid revision `{rev}`");
    }
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
            String::from_utf8_lossy(&list.stderr).trim()
        );
    }
    let paths: Vec<String> = list
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .filter(|p| layout::chart_component(p).is_some())
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
