//! Path globs in `.catalyst-guard.yaml` (`exclude`, a term's `paths` and `exclude`,
//! `chartRoots`, CG010's `noBumpPaths`) and in a chart's `.helmignore`, with
//! `.gitignore`'s anchoring:
//!
//! - `*` matches within one path segment, `**` any number of segments, `?` one
//!   character, `[abc]` / `[a-z]` / `[!abc]` one character of a class, `{a,b}` either
//!   alternative; `\` escapes the next character. Matching is done by the `fast-glob`
//!   crate.
//! - A pattern with a `/` at its start or in its middle is anchored at the root:
//!   `/README.md` is only the root's README, `docs/*.md` only the top `docs/` folder.
//!   A pattern without one matches at any depth: `README.md` is every README,
//!   `*.generated.yaml` every generated file.
//! - A pattern that matches a folder matches everything under it (`vendor`,
//!   `docs/archive`); a trailing `/` matches only a folder's contents.
//! - A leading `./` is the same as a leading `/`.
//!
//! A malformed pattern (an unclosed `[` or `{`, a trailing `\`) and a leading `!`
//! (negation, whose meaning depends on order) are rejected with the byte offset of the
//! problem, which the configuration turns into a line and column.

/// A compiled path glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    /// The pattern as written.
    source: String,
    /// The `fast-glob` pattern for a path the glob names itself.
    pattern: String,
    /// The `fast-glob` pattern for a path under a folder the glob names.
    under: String,
    /// Written with a trailing `/`: only a folder's contents match.
    folder_only: bool,
}

/// Why a glob was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobError {
    /// Byte offset of the problem in the pattern as written.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl Glob {
    /// Compiles a pattern (see the module documentation).
    pub fn new(source: &str) -> Result<Self, GlobError> {
        let fail = |offset: usize, message: &str| GlobError {
            offset,
            message: message.to_string(),
        };
        if source.trim().is_empty() {
            return Err(fail(0, "an empty glob matches nothing"));
        }
        if source.starts_with('!') {
            return Err(fail(
                0,
                "negation (`!`) is not supported; list what to skip under `exclude`",
            ));
        }
        // Strip the anchor and remember how many bytes it took, for offsets.
        let (anchored_prefix, body) = if let Some(rest) = source.strip_prefix("./") {
            (2, rest)
        } else if let Some(rest) = source.strip_prefix('/') {
            (1, rest)
        } else {
            (0, source)
        };
        let (body, folder_only) = match body.strip_suffix('/') {
            Some(b) => (b, true),
            None => (body, false),
        };
        if body.is_empty() {
            return Err(fail(
                0,
                "a glob of the root folder alone matches everything",
            ));
        }
        let anchored = anchored_prefix > 0 || body.contains('/');
        let (pattern, added) = if anchored {
            (body.to_string(), 0)
        } else {
            (format!("**/{body}"), 3)
        };
        if let Err(e) = fast_glob::validate(&pattern) {
            let offset = (e.index + anchored_prefix).saturating_sub(added);
            let message = match e.kind {
                fast_glob::ErrorKind::UnclosedBrace => "`{` is never closed by `}`",
                fast_glob::ErrorKind::UnclosedBracket => "`[` is never closed by `]`",
                fast_glob::ErrorKind::TrailingBackslash => "a trailing `\\` escapes nothing",
                _ => "too many or too deeply nested `{...}` groups (at most 10)",
            };
            return Err(fail(offset.min(source.len()), message));
        }
        let under = format!("{pattern}/**");
        Ok(Self {
            source: source.to_string(),
            pattern,
            under,
            folder_only,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True if a root-relative file path (`/`-separated) matches: the glob names the
    /// file, or a folder above it.
    pub fn matches(&self, path: &str) -> bool {
        (!self.folder_only && fast_glob::glob_match(&self.pattern, path))
            || fast_glob::glob_match(&self.under, path)
    }

    /// True if a root-relative folder path matches the glob itself (not a folder above
    /// it): how chart roots name chart folders.
    pub fn matches_folder(&self, dir: &str) -> bool {
        fast_glob::glob_match(&self.pattern, dir)
    }
}

/// True if `path` matches `pattern`; a malformed pattern matches nothing. For tests and
/// one-off checks: configuration compiles its globs once, with errors.
pub fn matches(pattern: &str, path: &str) -> bool {
    Glob::new(pattern).is_ok_and(|g| g.matches(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_follow_gitignore_anchoring() {
        assert!(matches("docs/archive/**", "docs/archive/2024/x.md"));
        assert!(matches("docs/archive/", "docs/archive/x.md"));
        assert!(matches("docs/archive", "docs/archive/x.md"));
        assert!(!matches("docs/archive/**", "docs/x.md"));
        assert!(!matches("docs/archive/**", "sub/docs/archive/x.md"));
        assert!(matches("**/README.md", "platform/flux/README.md"));
        assert!(matches("**/README.md", "README.md"));
        assert!(matches("README.md", "platform/flux/README.md"));
        assert!(matches("README.md", "README.md"));
        assert!(matches("/README.md", "README.md"));
        assert!(!matches("/README.md", "platform/flux/README.md"));
        assert!(matches("./README.md", "README.md"));
        assert!(!matches("./README.md", "docs/README.md"));
        assert!(matches("*.generated.yaml", "a/b/c.generated.yaml"));
        assert!(matches(
            "platform/*/chart/values.yaml",
            "platform/x/chart/values.yaml"
        ));
        assert!(!matches(
            "platform/*/values.yaml",
            "platform/x/chart/values.yaml"
        ));
        assert!(matches("vendor", "vendor/x/y.yaml"));
        assert!(matches("vendor", "a/vendor/x/y.yaml"));
        assert!(!matches("vendor/", "vendor"));
        assert!(matches("a?c", "abc"));
        assert!(!matches("a?c", "abbc"));
    }

    #[test]
    fn braces_and_classes_are_supported() {
        assert!(matches("docs/{guides,runbooks}/*.md", "docs/runbooks/a.md"));
        assert!(!matches("docs/{guides,runbooks}/*.md", "docs/other/a.md"));
        assert!(matches("*.{md,markdown}", "x/y.markdown"));
        assert!(matches("docs/v[0-9].md", "docs/v1.md"));
        assert!(!matches("docs/v[!0-9].md", "docs/v1.md"));
        assert!(matches("docs/v[!0-9].md", "docs/vx.md"));
        assert!(matches("\\[draft\\].md", "docs/[draft].md"));
    }

    #[test]
    fn malformed_globs_say_where() {
        let e = Glob::new("docs/{a,b/*.md").unwrap_err();
        assert_eq!(e.offset, 5, "{e:?}");
        let e = Glob::new("/docs/[ab.md").unwrap_err();
        assert_eq!(e.offset, 6, "{e:?}");
        let e = Glob::new("x[").unwrap_err();
        assert_eq!(e.offset, 1, "{e:?}");
        let e = Glob::new("!docs/**").unwrap_err();
        assert!(e.message.contains("negation"), "{e:?}");
        assert!(Glob::new("").is_err());
        assert!(Glob::new("/").is_err());
        assert!(Glob::new("a\\").is_err());
    }

    #[test]
    fn folders_match_themselves_for_chart_roots() {
        let g = Glob::new("platform/*/chart").unwrap();
        assert!(g.matches_folder("platform/x/chart"));
        assert!(!g.matches_folder("platform/x/chart/templates"));
        assert!(!g.matches_folder("platform/x"));
    }
}
