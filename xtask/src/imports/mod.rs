//! `cargo xtask imports`: the module import graph of every workspace crate, its
//! circles, and the largest source file per crate.
//!
//! A file imports another when it names a path into it: a `use` declaration
//! (`use crate::lint::Finding`, `use super::{plan, steps::Step}`) or a path in code
//! (`crate::paths::root()`, `super::rules::row_a(..)`, `child::f()`). Paths are read
//! from the tokens, comments and string literals removed, and resolved against the
//! crate's module tree (followed from `lib.rs`, `main.rs` and `src/bin/*.rs` through
//! `mod` declarations, `#[path]` honoured). `mod child;` alone is not an import; a
//! re-export (`pub use child::Item`) is. A circle is a set of files that import each
//! other around (a strongly connected component of more than one file): imports that
//! only point down have none.

mod graph;
mod names;
mod tokens;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::paths::{relative, root};
use graph::Graph;

/// `cargo xtask imports [--check] [--root DIR]`: prints every crate's circles and
/// largest file; `--check` fails if any crate has a circle. `--root` reads another
/// checkout (`git archive <commit> | tar -x -C DIR` gives an earlier commit's figures).
pub fn run(args: &[&str]) -> Result<()> {
    let mut check = false;
    let mut root = root();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match *arg {
            "--check" => check = true,
            "--root" => root = PathBuf::from(it.next().context("--root needs a folder")?),
            _ => bail!("usage: cargo xtask imports [--check] [--root DIR]"),
        }
    }
    let mut total = 0;
    for dir in workspace_members(&root)? {
        let report = analyze_crate(&root, &dir)?;
        total += report.circles.len();
        print!("{}", report.render());
    }
    println!("imports: {total} circles in the workspace");
    if check && total > 0 {
        bail!("{total} import circles (see above)");
    }
    Ok(())
}

/// What one crate's import graph shows.
#[derive(Debug)]
pub struct CrateReport {
    /// The package name.
    pub name: String,
    /// Source files in its module trees.
    pub files: usize,
    /// Imports between distinct files.
    pub edges: usize,
    /// Each circle: its files (repository-relative), sorted, with the imports among them.
    pub circles: Vec<Vec<(String, Vec<String>)>>,
    /// The largest hand-written source file and its line count (generated files, those
    /// that say "do not edit" at the top, are left out).
    pub largest: Option<(String, usize)>,
}

impl CrateReport {
    /// The report as printed.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{}: {} files, {} imports, {} circles",
            self.name,
            self.files,
            self.edges,
            self.circles.len()
        );
        if let Some((file, lines)) = &self.largest {
            out.push_str(&format!("; largest file {file} ({lines} lines)"));
        }
        out.push('\n');
        for (i, circle) in self.circles.iter().enumerate() {
            out.push_str(&format!("  circle {} ({} files):\n", i + 1, circle.len()));
            for (file, imports) in circle {
                out.push_str(&format!("    {file} -> {}\n", imports.join(", ")));
            }
        }
        out
    }
}

/// The workspace members' directories (the root package first), from `Cargo.toml`.
fn workspace_members(root: &Path) -> Result<Vec<PathBuf>> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).context("Cargo.toml")?;
    let start = manifest
        .find("members")
        .context("Cargo.toml has no workspace members")?;
    let list = &manifest[start..];
    let open = list.find('[').context("members list")?;
    let close = list.find(']').context("members list")?;
    let mut dirs: Vec<PathBuf> = list[open + 1..close]
        .split(',')
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| !m.is_empty())
        .map(|m| {
            if m == "." {
                root.to_path_buf()
            } else {
                root.join(m)
            }
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    Ok(dirs)
}

/// Reads the crate in `dir` and builds its report.
pub fn analyze_crate(repo: &Path, dir: &Path) -> Result<CrateReport> {
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml"))
        .with_context(|| format!("cannot read {}", dir.join("Cargo.toml").display()))?;
    let name = manifest
        .lines()
        .find_map(|l| {
            let v = l.trim().strip_prefix("name")?.trim().strip_prefix('=')?;
            Some(v.trim().trim_matches('"').to_string())
        })
        .unwrap_or_else(|| relative(repo, dir));
    let mut roots = Vec::new();
    for file in ["src/lib.rs", "src/main.rs"] {
        if dir.join(file).is_file() {
            roots.push(dir.join(file));
        }
    }
    if let Ok(entries) = std::fs::read_dir(dir.join("src/bin")) {
        let mut bins: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect();
        bins.sort();
        roots.extend(bins);
    }
    let mut graph = Graph::default();
    for target in roots {
        graph.add_target(&target)?;
    }
    let label = |p: &Path| relative(repo, p);
    // Files of this crate only (a `#[path]` module may live in another crate's tests).
    let largest = graph
        .sources
        .iter()
        .filter(|(path, text)| path.starts_with(dir) && !generated(text))
        .map(|(path, text)| (label(path), text.lines().count()))
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)));
    let circles = graph
        .circles()
        .into_iter()
        .map(|members| {
            members
                .iter()
                .map(|f| {
                    let imports = graph.edges[f]
                        .iter()
                        .filter(|t| members.contains(t))
                        .map(|t| label(t))
                        .collect();
                    (label(f), imports)
                })
                .collect()
        })
        .collect();
    Ok(CrateReport {
        name,
        files: graph.sources.len(),
        edges: graph.edges.values().map(BTreeSet::len).sum(),
        circles,
        largest,
    })
}

/// A file that says it is generated in its first lines.
fn generated(text: &str) -> bool {
    text.lines()
        .take(5)
        .any(|l| l.to_ascii_lowercase().contains("do not edit"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crate written into a temporary folder: (path under `src/`, text).
    fn scratch_crate(name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-imports-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let file = dir.join("src").join(path);
            std::fs::create_dir_all(file.parent().expect("a folder")).expect("mkdir");
            std::fs::write(file, text).expect("write");
        }
        std::fs::write(
            dir.join("Cargo.toml"),
            format!("[package]\nname = \"{name}\"\n"),
        )
        .expect("write");
        dir
    }

    fn circles_of(name: &str, files: &[(&str, &str)]) -> Vec<Vec<String>> {
        let dir = scratch_crate(name, files);
        let report = analyze_crate(&dir, &dir).expect("reads the crate");
        let _ = std::fs::remove_dir_all(&dir);
        report
            .circles
            .into_iter()
            .map(|c| c.into_iter().map(|(f, _)| f).collect())
            .collect()
    }

    #[test]
    fn files_that_use_each_other_form_a_circle_and_one_way_imports_do_not() {
        let circles = circles_of(
            "circle",
            &[
                ("lib.rs", "mod a;\nmod b;\nmod c;\n"),
                ("a.rs", "use crate::b::B;\npub struct A;\n"),
                ("b.rs", "pub struct B;\nfn f() { super::a::A; }\n"),
                ("c.rs", "use crate::{a, b::B};\nfn g() { a::A; }\n"),
            ],
        );
        assert_eq!(circles, vec![vec!["src/a.rs", "src/b.rs"]]);
    }

    #[test]
    fn paths_in_comments_strings_and_tests_of_the_same_file_are_not_imports() {
        let circles = circles_of(
            "quiet",
            &[
                ("lib.rs", "mod a;\nmod b;\n"),
                (
                    "a.rs",
                    "// crate::b::x\n/* crate::b::y /* nested */ */\nconst S: &str = \"crate::b::z\";\nconst R: &str = r#\"crate::b::w\"#;\nfn f<'a>(c: char) -> bool { c == '\\'' }\n#[cfg(test)]\nmod tests { use super::*; }\n",
                ),
                ("b.rs", "use crate::a::f;\n"),
            ],
        );
        assert!(circles.is_empty(), "{circles:?}");
    }

    #[test]
    fn a_module_alias_and_a_nested_module_file_are_followed() {
        let circles = circles_of(
            "alias",
            &[
                (
                    "main.rs",
                    "mod ship;\nmod paths;\nfn main() { ship::image(); }\n",
                ),
                ("ship/mod.rs", "mod image;\npub use image::image;\n"),
                (
                    "ship/image.rs",
                    "use crate::paths as p;\npub fn image() { p::root(); }\n",
                ),
                (
                    "paths.rs",
                    "use crate::ship;\npub fn root() { ship::image(); }\n",
                ),
            ],
        );
        assert_eq!(
            circles,
            vec![vec!["src/paths.rs", "src/ship/image.rs", "src/ship/mod.rs"]]
        );
    }

    #[test]
    fn a_leading_path_separator_names_an_external_crate_not_a_child_module() {
        // walk/mod.rs has a child `ignore` and uses the crate `::ignore`: no import.
        let files = |use_line: &'static str| {
            circles_of(
                "external",
                &[
                    ("lib.rs", "mod walk;\n"),
                    ("walk/mod.rs", use_line),
                    ("walk/ignore.rs", "use super::Walk;\n"),
                ],
            )
        };
        assert!(files("mod ignore;\npub struct Walk;\nuse ::ignore::WalkBuilder;\n").is_empty());
        assert_eq!(
            files("mod ignore;\npub struct Walk;\nuse ignore::Rules;\n"),
            vec![vec!["src/walk/ignore.rs", "src/walk/mod.rs"]]
        );
    }

    #[test]
    fn the_root_dispatching_to_commands_that_call_back_into_it_is_a_circle() {
        let circles = circles_of(
            "root",
            &[
                (
                    "main.rs",
                    "mod bench;\nfn main() { bench::lint(); }\npub fn run() {}\n",
                ),
                ("bench.rs", "pub fn lint() { crate::run(); }\n"),
            ],
        );
        assert_eq!(circles, vec![vec!["src/bench.rs", "src/main.rs"]]);
    }

    #[test]
    fn modules_a_macro_declares_are_read_from_their_parents_folder() {
        let circles = circles_of(
            "macro",
            &[
                ("lib.rs", "mod lint;\n"),
                ("lint/mod.rs", "mod rules;\npub struct Finding;\n"),
                (
                    "lint/rules/mod.rs",
                    "macro_rules! rules { ($($m:ident),*) => { $(pub mod $m;)* }; }\nrules! { a }\n",
                ),
                ("lint/rules/a.rs", "use crate::lint::Finding;\n"),
                ("stray.rs", "use crate::lint::Finding;\n"),
            ],
        );
        assert!(circles.is_empty(), "{circles:?}");
        let dir = scratch_crate(
            "macro2",
            &[
                ("lib.rs", "mod lint;\n"),
                ("lint/mod.rs", "mod rules;\npub use rules::a::A;\n"),
                ("lint/rules/mod.rs", "rules! { a }\n"),
                ("lint/rules/a.rs", "use crate::lint::A;\npub struct A;\n"),
                ("stray.rs", "use crate::lint::A;\n"),
            ],
        );
        let report = analyze_crate(&dir, &dir).expect("reads the crate");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            report.files, 4,
            "the macro's module is read, the stray root file not"
        );
        assert_eq!(report.circles.len(), 1, "{}", report.render());
    }

    #[test]
    fn the_largest_file_leaves_generated_files_out() {
        let dir = scratch_crate(
            "largest",
            &[
                ("lib.rs", "mod table;\nmod big;\n"),
                ("table.rs", "// generated, do not edit\n\n\n\n\n\n\n\n\n\n"),
                ("big.rs", "fn a() {}\nfn b() {}\nfn c() {}\n"),
            ],
        );
        let report = analyze_crate(&dir, &dir).expect("reads the crate");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(report.largest, Some(("src/big.rs".to_string(), 3)));
        assert_eq!(report.files, 3);
    }

    #[test]
    fn this_crate_imports_only_point_down() {
        let report = analyze_crate(&root(), &root().join("xtask")).expect("reads xtask");
        assert!(report.circles.is_empty(), "{}", report.render());
    }
}
