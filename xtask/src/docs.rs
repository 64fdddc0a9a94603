//! `cargo xtask docs [--check]`: `docs/rules.md`, generated from the rule registry.

use anyhow::{Context, Result, bail};

use crate::paths::root;

/// Writes `docs/rules.md`, or with `check` fails if the committed one is stale.
pub fn run(check: bool) -> Result<()> {
    let path = root().join("docs/rules.md");
    let fresh = catalyst_guard::lint::registry::markdown();
    if check {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != fresh {
            bail!("docs/rules.md is stale: run `cargo xtask docs`");
        }
        return Ok(());
    }
    std::fs::create_dir_all(root().join("docs"))?;
    std::fs::write(&path, fresh).with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}
