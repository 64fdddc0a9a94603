//! Which files the ignore files exclude, by the rules of the `ignore` crate (and so of
//! git and ripgrep), with that crate's own `.gitignore` matcher.
//!
//! Ignore rules, nearest directory first for each kind, and the kinds in this order:
//! `.ignore` files, `.gitignore` files, `.git/info/exclude` of any directory holding a
//! `.git`, then the global excludes file (`core.excludesFile`, or
//! `$XDG_CONFIG_HOME/git/ignore`). Ignore files in the directories above the root
//! count too, as they do for git when you lint a sub-folder of a repository. A
//! `.gitignore` applies whether or not the tree is a git repository.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::ignore::Match;
use ::ignore::gitignore::{Gitignore, GitignoreBuilder};

/// The rules that apply everywhere in one walk: the global excludes file.
pub struct Ignores {
    global: Gitignore,
}

impl Ignores {
    /// The global excludes file's rules.
    pub fn global() -> Self {
        let (global, _) = Gitignore::global();
        Self { global }
    }

    /// Whether `path` (from the root) is ignored, by the rules of the `ignore` crate:
    /// per kind of ignore file the nearest directory that matches decides (a `!`
    /// pattern is a match that keeps the file), and the kinds rank `.ignore`, then
    /// `.gitignore`, then `.git/info/exclude`, then the global excludes.
    pub fn ignored(&self, rules: Option<&Rules>, path: &str, is_dir: bool) -> bool {
        let (mut ignore, mut gitignore, mut exclude) = (Match::None, Match::None, Match::None);
        let mut level = rules;
        let mut above = String::new();
        while let Some(r) = level {
            let local: &str = match &r.base {
                Base::Inside(base) if base.is_empty() => path,
                Base::Inside(base) => path
                    .strip_prefix(base.as_str())
                    .and_then(|p| p.strip_prefix('/'))
                    .unwrap_or(path),
                Base::Above(prefix) => {
                    above.clear();
                    above.push_str(prefix);
                    above.push('/');
                    above.push_str(path);
                    &above
                }
            };
            let check = |m: &mut Match<()>, gi: &Option<Gitignore>| {
                if m.is_none()
                    && let Some(gi) = gi
                {
                    *m = gi.matched(local, is_dir).map(|_| ());
                }
            };
            check(&mut ignore, &r.ignore);
            check(&mut gitignore, &r.gitignore);
            check(&mut exclude, &r.exclude);
            level = r.parent.as_deref();
        }
        let decided = ignore.or(gitignore).or(exclude);
        if decided.is_none() {
            self.global.matched(path, is_dir).is_ignore()
        } else {
            decided.is_ignore()
        }
    }
}

/// The rules of the ignore files in the directories above `root_abs` (canonical),
/// chained so the nearest comes first.
pub fn above_root(root_abs: &Path) -> Option<Arc<Rules>> {
    let mut rules = None;
    // Outermost first, so the nearest ends up first in the chain.
    let ancestors: Vec<&Path> = root_abs.ancestors().skip(1).collect();
    for dir in ancestors.into_iter().rev() {
        let names: Vec<String> = root_abs
            .strip_prefix(dir)
            .map(|p| p.iter().map(|c| c.to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        let found = Found {
            ignore: dir.join(".ignore").is_file(),
            gitignore: dir.join(".gitignore").is_file(),
            git: dir.join(".git").exists(),
        };
        if found.any() {
            let (level, _) = found.build(dir, Base::Above(names.join("/")), rules.clone());
            rules = Some(Arc::new(level));
        }
    }
    rules
}

/// The ignore rules of one directory that has ignore files, linked to those of the
/// nearest ancestor that has any. Directories without ignore files share their
/// parent's link, so a walk over a tree with one `.gitignore` matches one matcher.
pub struct Rules {
    parent: Option<Arc<Rules>>,
    /// Path of this directory from the root ("" for the root); for directories above
    /// the root, the number of components between it and the root instead.
    base: Base,
    ignore: Option<Gitignore>,
    gitignore: Option<Gitignore>,
    exclude: Option<Gitignore>,
}

pub enum Base {
    /// At or below the root: entries' paths from here are their root paths minus
    /// this prefix.
    Inside(String),
    /// Above the root: entries' paths from here are this prefix, `/`, their root
    /// paths.
    Above(String),
}

/// Which ignore files a directory holds.
pub struct Found {
    /// A `.ignore` file.
    pub ignore: bool,
    /// A `.gitignore` file.
    pub gitignore: bool,
    /// A `.git` (folder, or file of a worktree or submodule).
    pub git: bool,
}

impl Found {
    /// Whether it holds any.
    pub fn any(&self) -> bool {
        self.ignore || self.gitignore || self.git
    }

    /// Builds the rules of directory `dir` (absolute); errors in ignore files are
    /// returned to report, and the patterns that did parse still apply.
    pub fn build(
        &self,
        dir: &Path,
        base: Base,
        parent: Option<Arc<Rules>>,
    ) -> (Rules, Vec<io::Error>) {
        let mut errors = Vec::new();
        let mut load = |present: bool, file: PathBuf| -> Option<Gitignore> {
            if !present || !file.is_file() {
                return None;
            }
            let mut builder = GitignoreBuilder::new(dir);
            if let Some(e) = builder.add(&file) {
                errors.push(io::Error::other(e.to_string()));
            }
            match builder.build() {
                Ok(gi) if gi.is_empty() => None,
                Ok(gi) => Some(gi),
                Err(e) => {
                    errors.push(io::Error::other(e.to_string()));
                    None
                }
            }
        };
        let ignore = load(self.ignore, dir.join(".ignore"));
        let gitignore = load(self.gitignore, dir.join(".gitignore"));
        let exclude = match self.git.then(|| git_dir(dir)).flatten() {
            Some(git) => load(true, git.join("info/exclude")),
            None => None,
        };
        let rules = Rules {
            parent,
            base,
            ignore,
            gitignore,
            exclude,
        };
        (rules, errors)
    }
}

/// The git directory whose `info/exclude` applies to `dir`: `dir/.git` itself, or for a
/// worktree or submodule (a `.git` file), the `gitdir:` it names, and that one's
/// `commondir` if it has one.
fn git_dir(dir: &Path) -> Option<PathBuf> {
    let dot_git = dir.join(".git");
    if dot_git.is_dir() {
        return Some(dot_git);
    }
    let text = std::fs::read_to_string(&dot_git).ok()?;
    let gitdir = dir.join(text.strip_prefix("gitdir:")?.trim());
    match std::fs::read_to_string(gitdir.join("commondir")) {
        Ok(common) => Some(gitdir.join(common.trim())),
        Err(_) => Some(gitdir),
    }
}
