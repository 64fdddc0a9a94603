//! The module trees of one crate (followed from each target's root file through its
//! `mod` items) and the imports between their files; the circles among them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::names::{ModPath, imports, module_declarations};
use super::tokens::{Token, tokenize};

/// The module trees of one crate and the imports between their files.
#[derive(Default)]
pub struct Graph {
    /// Every source file and its text.
    pub sources: BTreeMap<PathBuf, String>,
    /// Imports between distinct files.
    pub edges: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
}

/// One target's module tree: every module (file or inline) and the file holding it.
struct Tree {
    modules: BTreeMap<ModPath, PathBuf>,
    /// For each file: the module it is, and its tokens.
    files: Vec<(PathBuf, ModPath, Vec<Token>)>,
    /// The folder each loaded module (but the root) keeps its child modules in.
    child_dirs: Vec<(PathBuf, ModPath)>,
}

impl Graph {
    /// Adds the module tree of the target whose root file is `root_file`.
    pub fn add_target(&mut self, root_file: &Path) -> Result<()> {
        let mut tree = Tree {
            modules: BTreeMap::new(),
            files: Vec::new(),
            child_dirs: Vec::new(),
        };
        self.load(&mut tree, root_file, Vec::new(), true)?;
        self.adopt_macro_modules(&mut tree)?;
        for (file, module, tokens) in &tree.files {
            let targets = imports(tokens, module, &tree.modules);
            let edges = self.edges.entry(file.clone()).or_default();
            for target in targets {
                if let Some(to) = tree.modules.get(&target)
                    && to != file
                {
                    edges.insert(to.clone());
                }
            }
        }
        Ok(())
    }

    /// Reads `file` as module `module`, and the files of the modules it declares.
    fn load(&mut self, tree: &mut Tree, file: &Path, module: ModPath, is_root: bool) -> Result<()> {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let tokens = tokenize(&text);
        tree.modules.insert(module.clone(), file.to_path_buf());
        // Where `mod child;` looks: beside a root or `mod.rs`, else in a folder named
        // after the file.
        let own_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let child_dir = if is_root || stem == "mod" {
            own_dir.clone()
        } else {
            own_dir.join(&stem)
        };
        if !is_root {
            tree.child_dirs.push((child_dir.clone(), module.clone()));
        }
        for decl in module_declarations(&tokens) {
            let mut path = module.clone();
            path.extend(decl.inline_parents.iter().cloned());
            path.push(decl.name.clone());
            if decl.inline {
                tree.modules.insert(path, file.to_path_buf());
                continue;
            }
            let candidates = match &decl.path_attr {
                Some(p) => vec![own_dir.join(p)],
                None => {
                    let base = decl
                        .inline_parents
                        .iter()
                        .fold(child_dir.clone(), |d, m| d.join(m));
                    vec![
                        base.join(format!("{}.rs", decl.name)),
                        base.join(&decl.name).join("mod.rs"),
                    ]
                }
            };
            if let Some(found) = candidates.into_iter().find(|c| c.is_file()) {
                let found = normalize(&found);
                if !self.sources.contains_key(&found) {
                    self.load(tree, &found, path, false)?;
                } else {
                    tree.modules.insert(path, found);
                }
            }
        }
        tree.files.push((file.to_path_buf(), module, tokens));
        self.sources.insert(file.to_path_buf(), text);
        Ok(())
    }

    /// Loads the files a macro declares as modules (`rules! { a, b }` expanding to
    /// `mod a; mod b;`), which no `mod` item names: a `.rs` file (or a folder's
    /// `mod.rs`) in the child folder of a loaded module, that nothing loaded yet, is
    /// that module's child. Files directly beside the crate root are left out: there a
    /// file may belong to another target (`main.rs` beside `lib.rs`).
    fn adopt_macro_modules(&mut self, tree: &mut Tree) -> Result<()> {
        let mut seen = 0;
        while seen < tree.child_dirs.len() {
            let (dir, parent) = tree.child_dirs[seen].clone();
            seen += 1;
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut found: Vec<(PathBuf, String)> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter_map(|p| {
                    let file = if p.is_dir() {
                        p.join("mod.rs")
                    } else {
                        p.clone()
                    };
                    let name = p.file_stem()?.to_string_lossy().into_owned();
                    let rust = file.extension().is_some_and(|e| e == "rs") && file.is_file();
                    (rust && name != "mod" && !self.sources.contains_key(&file))
                        .then_some((file, name))
                })
                .collect();
            found.sort();
            for (file, name) in found {
                let mut module = parent.clone();
                module.push(name);
                if !tree.modules.contains_key(&module) {
                    self.load(tree, &file, module, false)?;
                }
            }
        }
        Ok(())
    }

    /// The strongly connected components of more than one file (Tarjan's algorithm),
    /// each sorted, in file order.
    pub fn circles(&self) -> Vec<Vec<PathBuf>> {
        let nodes: Vec<&PathBuf> = self.sources.keys().collect();
        let index_of: BTreeMap<&PathBuf, usize> =
            nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let succ: Vec<Vec<usize>> = nodes
            .iter()
            .map(|n| {
                self.edges
                    .get(*n)
                    .map(|e| e.iter().filter_map(|t| index_of.get(t).copied()).collect())
                    .unwrap_or_default()
            })
            .collect();
        let mut out: Vec<Vec<PathBuf>> = tarjan(&succ)
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|c| {
                let mut files: Vec<PathBuf> = c.into_iter().map(|i| nodes[i].clone()).collect();
                files.sort();
                files
            })
            .collect();
        out.sort();
        out
    }
}

/// `a/b/../c` -> `a/c` (a `#[path]` may climb).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Strongly connected components, iteratively (no recursion depth limit).
fn tarjan(succ: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = succ.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut out = Vec::new();
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        // (node, position in its successor list)
        let mut work = vec![(start, 0)];
        index[start] = next;
        low[start] = next;
        next += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some(&mut (v, ref mut pos)) = work.last_mut() {
            if let Some(&w) = succ[v].get(*pos) {
                *pos += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(component);
            }
        }
    }
    out
}
