//! The native side of the parity tests: what the core renders for every fixture tree,
//! for `web/tests/parity.test.mjs` to compare with the wasm package's `lint`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use catalyst_guard::lint::{Config, SourceFile, lint, render};

use crate::fixtures::text_files;
use crate::paths::{relative, root};

/// Writes the native side of the parity tests: for every fixture tree, its files, its
/// configuration and the report the native core renders (`lint --format json`). The
/// node test lints the same files with the wasm package and must get the same document.
pub fn write_parity_cases(out: &Path) -> Result<()> {
    let root = root();
    let mut trees = vec![
        (
            "examples/sovereign".to_string(),
            root.join("examples/sovereign"),
        ),
        (
            "tests/fixtures/sovereign".to_string(),
            root.join("tests/fixtures/sovereign"),
        ),
    ];
    let rules = root.join("tests/fixtures/rules");
    let mut rule_dirs: Vec<PathBuf> = std::fs::read_dir(&rules)
        .with_context(|| format!("cannot read {}", rules.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    rule_dirs.sort();
    for dir in rule_dirs {
        for side in ["fire", "pass"] {
            let tree = dir.join(side);
            if tree.is_dir() {
                trees.push((relative(&root, &tree), tree));
            }
        }
    }
    let mut cases = Vec::new();
    for (name, tree) in trees {
        let mut found = Vec::new();
        text_files(&tree, &tree, &mut found)?;
        let mut files: Vec<SourceFile> = found
            .into_iter()
            .map(|(path, text)| SourceFile::new(path, text))
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let config_text = files
            .iter()
            .position(|f| f.path == ".catalyst-guard.yaml")
            .map(|i| files.remove(i).text);
        let expected = match Config::parse(config_text.as_deref().unwrap_or_default()) {
            Ok(config) => {
                let json = render::json(&lint(&files, None, &config), "");
                serde_json::json!({ "report": serde_json::from_str::<serde_json::Value>(&json)? })
            }
            Err(e) => serde_json::json!({ "configError": e.to_string() }),
        };
        cases.push(serde_json::json!({
            "name": name,
            "config": config_text,
            "files": files.iter().map(|f| serde_json::json!({ "path": f.path, "text": f.text })).collect::<Vec<_>>(),
            "expected": expected,
        }));
    }
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(out, serde_json::to_string(&cases)?)
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}
