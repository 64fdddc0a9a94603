//! Project chores as `cargo xtask <task>`, so nothing lives in shell scripts that rot.
//!
//! - `docs [--check]`: regenerate `docs/rules.md` from the rule registry.
//! - `bench lint`: the lint throughput benchmark (see `bench.rs`).

mod bench;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["docs"] => docs(false),
        ["docs", "--check"] => docs(true),
        ["bench", "lint", rest @ ..] => bench::lint(rest),
        _ => bail!(
            "usage: cargo xtask docs [--check] | bench lint [--blueprints N] [--mb N] [--keep DIR]"
        ),
    }
}

fn docs(check: bool) -> Result<()> {
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
