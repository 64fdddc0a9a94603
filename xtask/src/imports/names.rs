//! What a file's tokens name: the `mod` items it declares and the modules its paths
//! (in `use` declarations and in code) lead to.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::tokens::Token;

/// A module path from the crate root (`["lint", "rules"]`).
pub type ModPath = Vec<String>;

/// One `mod` item.
pub struct ModDecl {
    pub name: String,
    /// `mod name { ... }` rather than `mod name;`.
    pub inline: bool,
    /// The inline modules it sits in (`mod a { mod b; }`: `["a"]`).
    pub inline_parents: Vec<String>,
    /// `#[path = "..."]` before it.
    pub path_attr: Option<String>,
}

/// Every `mod` item of a file.
pub fn module_declarations(tokens: &[Token]) -> Vec<ModDecl> {
    let mut out = Vec::new();
    let mut scopes: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut path_attr: Option<String> = None;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Punct('#') => {
                if let (
                    Some(Token::Punct('[')),
                    Some(Token::Ident(p)),
                    Some(Token::Punct('=')),
                    Some(Token::Str(s)),
                ) = (
                    tokens.get(i + 1),
                    tokens.get(i + 2),
                    tokens.get(i + 3),
                    tokens.get(i + 4),
                ) && p == "path"
                {
                    path_attr = Some(s.clone());
                }
            }
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth = depth.saturating_sub(1);
                if scopes.last().is_some_and(|(_, d)| *d == depth) {
                    scopes.pop();
                }
            }
            Token::Punct(';') => path_attr = None,
            Token::Ident(m) if m == "mod" => {
                if let Some(Token::Ident(name)) = tokens.get(i + 1) {
                    let inline = tokens.get(i + 2) == Some(&Token::Punct('{'));
                    out.push(ModDecl {
                        name: name.clone(),
                        inline,
                        inline_parents: scopes.iter().map(|(n, _)| n.clone()).collect(),
                        path_attr: path_attr.take(),
                    });
                    if inline {
                        scopes.push((name.clone(), depth));
                        depth += 1;
                        i += 3;
                        continue;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The modules a file's paths lead to (resolved against `modules`), from the module
/// `file_module` it is.
pub fn imports(
    tokens: &[Token],
    file_module: &ModPath,
    modules: &BTreeMap<ModPath, PathBuf>,
) -> BTreeSet<ModPath> {
    let mut out = BTreeSet::new();
    // Names a `use` brought in that are modules: `use crate::lint;` -> lint.
    let mut aliases: BTreeMap<String, ModPath> = BTreeMap::new();
    let mut scopes: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let current = |scopes: &[(String, usize)]| -> ModPath {
        let mut m = file_module.clone();
        m.extend(scopes.iter().map(|(n, _)| n.clone()));
        m
    };
    while i < tokens.len() {
        match &tokens[i] {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth = depth.saturating_sub(1);
                if scopes.last().is_some_and(|(_, d)| *d == depth) {
                    scopes.pop();
                }
            }
            Token::Ident(w) if w == "mod" => {
                if let (Some(Token::Ident(name)), Some(Token::Punct('{'))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    scopes.push((name.clone(), depth));
                    depth += 1;
                    i += 3;
                    continue;
                }
            }
            Token::Ident(w) if w == "use" => {
                let mut j = i + 1;
                let mut paths = Vec::new();
                parse_use_tree(tokens, &mut j, Vec::new(), &mut paths);
                let here = current(&scopes);
                for (segments, alias) in paths {
                    if let Some((module, exact)) = resolve(&segments, &here, &aliases, modules) {
                        if exact && let Some(name) = alias {
                            aliases.insert(name, module.clone());
                        }
                        out.insert(module);
                    }
                }
                i = j;
                continue;
            }
            Token::Ident(first)
                if tokens.get(i + 1) == Some(&Token::PathSep)
                    && !matches!(
                        i.checked_sub(1).and_then(|p| tokens.get(p)),
                        Some(Token::PathSep)
                    ) =>
            {
                let mut segments = vec![first.clone()];
                let mut j = i + 1;
                while tokens.get(j) == Some(&Token::PathSep) {
                    match tokens.get(j + 1) {
                        Some(Token::Ident(s)) => {
                            segments.push(s.clone());
                            j += 2;
                        }
                        _ => break,
                    }
                }
                if let Some((module, _)) = resolve(&segments, &current(&scopes), &aliases, modules)
                {
                    out.insert(module);
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Reads a use tree at `tokens[*i]` up to its `;`, pushing each leaf path with the
/// name it binds (`None` for a glob).
fn parse_use_tree(
    tokens: &[Token],
    i: &mut usize,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    let mut path = prefix;
    loop {
        match tokens.get(*i) {
            Some(Token::PathSep) => *i += 1,
            Some(Token::Ident(s)) if s == "as" => {
                *i += 1;
                if let Some(Token::Ident(alias)) = tokens.get(*i) {
                    *i += 1;
                    if let Some(last) = out.last_mut() {
                        last.1 = Some(alias.clone());
                    }
                }
            }
            Some(Token::Ident(s)) => {
                path.push(s.clone());
                *i += 1;
                if tokens.get(*i) != Some(&Token::PathSep) {
                    // A leaf: `self` binds its parent's name.
                    let name = if s == "self" {
                        path.pop();
                        path.last().cloned()
                    } else {
                        Some(s.clone())
                    };
                    out.push((path.clone(), name));
                }
            }
            Some(Token::Punct('*')) => {
                *i += 1;
                out.push((path.clone(), None));
            }
            Some(Token::Punct('{')) => {
                *i += 1;
                loop {
                    parse_use_tree(tokens, i, path.clone(), out);
                    match tokens.get(*i) {
                        Some(Token::Punct(',')) => *i += 1,
                        Some(Token::Punct('}')) => {
                            *i += 1;
                            break;
                        }
                        _ => return,
                    }
                }
            }
            // The end of this subtree: the caller reads the `,`, `}` or `;`.
            _ => return,
        }
    }
}

/// The module a path leads to, and whether the whole path is that module (so a name
/// bound to it is a module alias). `None` for a path outside the crate.
fn resolve(
    segments: &[String],
    here: &ModPath,
    aliases: &BTreeMap<String, ModPath>,
    modules: &BTreeMap<ModPath, PathBuf>,
) -> Option<(ModPath, bool)> {
    let first = segments.first()?;
    let (mut base, mut rest): (ModPath, &[String]) = match first.as_str() {
        "crate" => (Vec::new(), &segments[1..]),
        "self" => (here.clone(), &segments[1..]),
        "super" => {
            let mut base = here.clone();
            let mut k = 0;
            while segments.get(k).is_some_and(|s| s == "super") {
                base.pop();
                k += 1;
            }
            (base, &segments[k..])
        }
        _ => {
            let mut child = here.clone();
            child.push(first.clone());
            if modules.contains_key(&child) {
                (here.clone(), segments)
            } else if let Some(target) = aliases.get(first) {
                (target.clone(), &segments[1..])
            } else {
                return None;
            }
        }
    };
    while let Some((next, tail)) = rest.split_first() {
        let mut deeper = base.clone();
        deeper.push(next.clone());
        if !modules.contains_key(&deeper) {
            break;
        }
        base = deeper;
        rest = tail;
    }
    Some((base, rest.is_empty()))
}
