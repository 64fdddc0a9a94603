//! The two things the builder reads from a module's `go.mod`: its `go` directive and
//! its `replace` directives (a dependency's replaces are ignored by the go command, so
//! a wrapper module must repeat them).

/// Where a `replace` directive points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Another module at a version: `=> example.com/fork v1.2.3`.
    Module {
        /// The module path.
        path: String,
        /// The version.
        version: String,
    },
    /// A directory, relative to the module or absolute: `=> ./staging/src/k8s.io/api`.
    Dir(String),
}

/// One `replace` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replace {
    /// The replaced module path.
    pub path: String,
    /// The replaced version, when the directive names one (`old v1.0.0 => ...`).
    pub version: Option<String>,
    /// The replacement.
    pub target: Target,
}

impl Replace {
    /// The directive as a line of a `replace ( ... )` block.
    pub fn line(&self) -> String {
        let old = match &self.version {
            Some(v) => format!("{} {v}", self.path),
            None => self.path.clone(),
        };
        match &self.target {
            Target::Module { path, version } => format!("{old} => {path} {version}"),
            Target::Dir(dir) => format!("{old} => {dir}"),
        }
    }
}

/// What the builder needs from a `go.mod`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GoMod {
    /// The `go` directive (`1.26.0`), if present.
    pub go: Option<String>,
    /// Every `replace` directive, in file order.
    pub replaces: Vec<Replace>,
    /// Every `require` directive: module path and version.
    pub requires: Vec<(String, String)>,
}

/// Reads a `go.mod`. Lines it does not need are skipped; a `replace` it cannot read is
/// an error naming the line.
pub fn parse(text: &str) -> Result<GoMod, String> {
    let mut out = GoMod::default();
    let mut in_replace_block = false;
    let mut in_require_block = false;
    let mut in_other_block = false;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if in_replace_block || in_require_block || in_other_block {
            if line == ")" {
                in_replace_block = false;
                in_require_block = false;
                in_other_block = false;
            } else if in_require_block {
                out.requires.extend(parse_require(line));
            } else if in_replace_block {
                out.replaces
                    .push(parse_replace(line).map_err(|e| format!("line {}: {e}", index + 1))?);
            }
            continue;
        }
        let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        match verb {
            "go" => out.go = Some(rest.to_string()),
            "replace" if rest == "(" => in_replace_block = true,
            "require" if rest == "(" => in_require_block = true,
            "require" => out.requires.extend(parse_require(rest)),
            "replace" => out
                .replaces
                .push(parse_replace(rest).map_err(|e| format!("line {}: {e}", index + 1))?),
            _ if rest.ends_with('(') => in_other_block = true,
            _ => {}
        }
    }
    Ok(out)
}

fn parse_require(spec: &str) -> Option<(String, String)> {
    let mut fields = spec.split_whitespace();
    Some((unquote(fields.next()?), fields.next()?.to_string()))
}

fn parse_replace(spec: &str) -> Result<Replace, String> {
    let (old, new) = spec
        .split_once("=>")
        .ok_or_else(|| format!("replace `{spec}` has no `=>`"))?;
    let old: Vec<&str> = old.split_whitespace().collect();
    let new: Vec<&str> = new.split_whitespace().collect();
    let (path, version) = match old.as_slice() {
        [path] => (unquote(path), None),
        [path, version] => (unquote(path), Some(version.to_string())),
        _ => return Err(format!("replace `{spec}`: cannot read the replaced module")),
    };
    let target = match new.as_slice() {
        [dir] => Target::Dir(unquote(dir)),
        [module, version] => Target::Module {
            path: unquote(module),
            version: version.to_string(),
        },
        _ => return Err(format!("replace `{spec}`: cannot read the replacement")),
    };
    Ok(Replace {
        path,
        version,
        target,
    })
}

fn unquote(s: &str) -> String {
    s.trim_matches('"').to_string()
}

/// The module path as the Go proxy and module cache spell it: each upper-case letter
/// becomes `!` and its lower-case form.
pub fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The inverse of [`escape`].
pub fn unescape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut upper = false;
    for c in path.chars() {
        if c == '!' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_in_blocks_and_single_lines_are_read_with_their_targets() {
        let text = "module k8s.io/kubernetes\n\ngo 1.26.0\n\nrequire (\n\tk8s.io/api v0.0.0\n)\n\n\
                    replace (\n\tk8s.io/api => ./staging/src/k8s.io/api // staging\n\tsigs.k8s.io/x v0.1.0 => sigs.k8s.io/x v0.2.0\n)\n\
                    replace github.com/a/b => github.com/c/b v1.0.1-0.2023\n";
        let m = parse(text).expect("a valid go.mod");
        assert_eq!(m.go.as_deref(), Some("1.26.0"));
        assert_eq!(m.requires, vec![("k8s.io/api".into(), "v0.0.0".into())]);
        assert_eq!(
            m.replaces,
            vec![
                Replace {
                    path: "k8s.io/api".into(),
                    version: None,
                    target: Target::Dir("./staging/src/k8s.io/api".into()),
                },
                Replace {
                    path: "sigs.k8s.io/x".into(),
                    version: Some("v0.1.0".into()),
                    target: Target::Module {
                        path: "sigs.k8s.io/x".into(),
                        version: "v0.2.0".into()
                    },
                },
                Replace {
                    path: "github.com/a/b".into(),
                    version: None,
                    target: Target::Module {
                        path: "github.com/c/b".into(),
                        version: "v1.0.1-0.2023".into()
                    },
                },
            ]
        );
        assert_eq!(
            m.replaces[1].line(),
            "sigs.k8s.io/x v0.1.0 => sigs.k8s.io/x v0.2.0"
        );
    }

    #[test]
    fn a_replace_without_an_arrow_is_an_error_naming_its_line() {
        let err = parse("module x\nreplace a b c\n").expect_err("no arrow");
        assert!(err.starts_with("line 2:"), "{err}");
    }

    #[test]
    fn module_paths_escape_upper_case_letters_both_ways() {
        assert_eq!(
            escape("github.com/Masterminds/semver"),
            "github.com/!masterminds/semver"
        );
        assert_eq!(
            unescape("github.com/!masterminds/semver"),
            "github.com/Masterminds/semver"
        );
    }
}
