//! The scratch apps the browser-package tests install the packed tarball into, as a
//! user would, from npm: Vite apps (from `web/tests/vite-app/`) and a Jest app. The
//! package README's test snippets are written into them as they are printed, so a
//! snippet that stops working fails the tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::paths::{root, target_dir};

/// One scratch app.
struct App {
    name: &'static str,
    /// npm packages it installs besides the tarball.
    deps: &'static [&'static str],
    /// Files copied from `web/tests/vite-app/`.
    template: &'static [&'static str],
    /// Whether it carries the README's `optimizeDeps` line (`vite.config.js`).
    vite_config: bool,
    /// Extra fields of its `package.json`.
    manifest: fn() -> serde_json::Value,
}

const VITE_APP: &[&str] = &[
    "index.html",
    "src/main.js",
    "src/example.js",
    "test/lint.test.js",
];

/// The oldest Vite major still maintained (6: security fixes, its latest minor), the
/// newest (8, with vitest and jsdom for the app's own unit tests), and Jest 30 in its
/// ESM mode with both test environments.
const APPS: &[App] = &[
    App {
        name: "vite6",
        deps: &["vite@^6.4.0"],
        template: VITE_APP,
        vite_config: true,
        manifest: || serde_json::json!({}),
    },
    App {
        name: "vite8",
        deps: &["vite@^8.0.0", "vitest@^4.1.0", "jsdom@^27.3.0"],
        template: VITE_APP,
        vite_config: false,
        manifest: || serde_json::json!({}),
    },
    App {
        name: "jest30",
        deps: &["jest@^30.0.0", "jest-environment-jsdom@^30.0.0"],
        template: &[],
        vite_config: false,
        // The package README's Jest configuration: ES modules, no transform.
        manifest: || serde_json::json!({ "jest": { "transform": {} } }),
    },
];

/// The package README, whose marked snippets the apps run.
const README: &str = "web/pkg/README.md";

/// Marks the code block after it as a file of a scratch app:
/// `<!-- cargo xtask web test runs this as jest30/test/jsdom.test.js -->`.
const MARKER: &str = "<!-- cargo xtask web test runs this as ";

/// The marked snippets of a README: (app-relative path, code).
pub fn readme_snippets(readme: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut lines = readme.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let Some(target) = line
            .trim()
            .strip_prefix(MARKER)
            .and_then(|rest| rest.strip_suffix("-->"))
        else {
            continue;
        };
        let fence = lines.next().map(|(_, l)| l.trim()).unwrap_or_default();
        if !fence.starts_with("```") {
            bail!(
                "{README}:{}: the marker must be followed by a code block",
                n + 1
            );
        }
        let mut code = String::new();
        for (_, l) in lines.by_ref() {
            if l.trim() == "```" {
                break;
            }
            code.push_str(l);
            code.push('\n');
        }
        out.push((target.trim().to_string(), code));
    }
    Ok(out)
}

/// Writes the scratch apps under `target/web/apps/` and installs their dependencies and
/// `tarball` from npm; returns the apps' directory.
pub fn prepare(tarball: &Path) -> Result<PathBuf> {
    let template = root().join("web/tests/vite-app");
    let apps = target_dir().join("web/apps");
    let readme = std::fs::read_to_string(root().join(README))
        .with_context(|| format!("cannot read {README}"))?;
    let mut snippets = readme_snippets(&readme)?;
    // The README says the Jest snippet passes in the node environment too: run it there.
    if let Some((_, code)) = snippets
        .iter()
        .find(|(path, _)| path == "jest30/test/jsdom.test.js")
    {
        let node = code.replace("@jest-environment jsdom", "@jest-environment node");
        snippets.push(("jest30/test/node.test.js".to_string(), node));
    }
    for app in APPS {
        let dir = apps.join(app.name);
        // Last run's files go: a snippet the README no longer has must not still run.
        let _ = std::fs::remove_dir_all(dir.join("test"));
        for file in app.template {
            let to = dir.join(file);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(template.join(file), &to)
                .with_context(|| format!("cannot copy web/tests/vite-app/{file}"))?;
        }
        let config = dir.join("vite.config.js");
        if app.vite_config {
            std::fs::copy(template.join("vite.config.js"), &config)?;
        } else if config.exists() {
            std::fs::remove_file(&config)?;
        }
        for (path, code) in &snippets {
            if let Some(file) = path.strip_prefix(&format!("{}/", app.name)) {
                let to = dir.join(file);
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&to, code)?;
            }
        }
        let mut manifest = serde_json::json!({
            "name": format!("catalyst-guard-scratch-{}", app.name),
            "private": true,
            "type": "module",
        });
        if let (Some(m), serde_json::Value::Object(extra)) =
            (manifest.as_object_mut(), (app.manifest)())
        {
            m.extend(extra);
        }
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("package.json"), format!("{manifest:#}\n"))?;
        // A rebuilt tarball has a new integrity hash: forget the old install of it.
        let _ = std::fs::remove_file(dir.join("package-lock.json"));
        let _ = std::fs::remove_dir_all(dir.join("node_modules/@openova"));
        let mut args = vec!["install", "--no-audit", "--no-fund", "--save"];
        args.extend_from_slice(app.deps);
        let tarball = tarball.to_string_lossy();
        args.push(&tarball);
        eprintln!("+ npm {} (in {})", args.join(" "), dir.display());
        let status = Command::new("npm")
            .args(&args)
            .current_dir(&dir)
            .status()
            .context("cannot run `npm`")?;
        if !status.success() {
            bail!("`npm install` in {} failed ({status})", dir.display());
        }
    }
    Ok(apps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_readme_snippets_are_read_with_their_target() {
        let readme = "# x\n<!-- cargo xtask web test runs this as vite8/test/a.test.js -->\n```js\nconst a = 1;\n\nexport { a };\n```\n\n```js\nnot marked\n```\n";
        assert_eq!(
            readme_snippets(readme).expect("reads"),
            vec![(
                "vite8/test/a.test.js".to_string(),
                "const a = 1;\n\nexport { a };\n".to_string()
            )]
        );
        let e = readme_snippets("<!-- cargo xtask web test runs this as a/b.js -->\ntext\n")
            .expect_err("no block");
        assert!(e.to_string().contains(":1: the marker"), "{e}");
    }

    #[test]
    fn the_package_readme_marks_the_vitest_and_jest_snippets() {
        let readme = std::fs::read_to_string(root().join(README)).expect("readme");
        let targets: Vec<String> = readme_snippets(&readme)
            .expect("reads")
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        for want in ["vite8/test/readme.test.js", "jest30/test/jsdom.test.js"] {
            assert!(targets.iter().any(|t| t == want), "{want} in {targets:?}");
        }
    }
}
