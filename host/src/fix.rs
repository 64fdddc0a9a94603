//! `catalyst-guard lint --fix`: applies the fixes the core attached to findings,
//! file by file, splicing each edit's span into the text on disk (the core's
//! `lint::fix::apply`), and writes each file whole through a temporary file and a
//! rename, so a failure never leaves a half-written file. `--dry-run` prints a
//! unified diff instead of writing.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};

use catalyst_guard::lint::Report;
use catalyst_guard::lint::fix::{self, Edit};

/// What a `--fix` run did (or, with `--dry-run`, would do).
#[derive(Debug, Default)]
pub struct Fixed {
    /// Files changed.
    pub files: usize,
    /// Findings whose fix was applied.
    pub findings: usize,
    /// With `--dry-run`: the unified diff of every change.
    pub diff: String,
}

/// Applies every fix in `report` to the files under `root`.
pub fn fix_files(root: &Path, report: &Report, dry_run: bool) -> Result<Fixed> {
    let mut by_path: BTreeMap<&str, Vec<&Edit>> = BTreeMap::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &report.findings {
        if let Some(fix) = &f.fix {
            by_path.entry(&f.path).or_default().extend(&fix.edits);
            *counts.entry(&f.path).or_default() += 1;
        }
    }
    let mut out = Fixed::default();
    for (rel, edits) in by_path {
        let path = root.join(rel);
        let old = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read `{}` to fix it", path.display()))?;
        let (new, _) = fix::apply(&old, &edits)
            .map_err(|e| anyhow::anyhow!("cannot fix `{}`: {e}", path.display()))?;
        if new == old {
            continue;
        }
        out.files += 1;
        out.findings += counts.get(rel).copied().unwrap_or(0);
        if dry_run {
            out.diff.push_str(&fix::unified_diff(rel, &old, &new));
        } else {
            write_whole(&path, &new)?;
        }
    }
    Ok(out)
}

/// Replaces a file's contents through a temporary sibling and a rename, keeping its
/// permissions.
fn write_whole(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.catalyst-guard-fix"));
    let perms = std::fs::metadata(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?
        .permissions();
    std::fs::write(&tmp, text).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    std::fs::set_permissions(&tmp, perms)
        .and_then(|()| std::fs::rename(&tmp, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
        .with_context(|| format!("cannot replace `{}`", path.display()))
}
