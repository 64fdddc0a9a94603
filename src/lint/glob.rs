//! Path globs for `exclude`: `*` matches within one path segment, `**` any number of
//! segments, `?` one character. A pattern is matched against the whole root-relative
//! path; a pattern without `/` also matches any single segment's name anywhere
//! (`*.generated.yaml`), like `.gitignore`. A trailing `/` matches a directory's
//! contents.

/// True if `path` (root-relative, `/`-separated) matches `pattern`.
pub fn matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
    let pattern = pattern.strip_prefix('/').unwrap_or(pattern);
    if let Some(dir) = pattern.strip_suffix('/') {
        return matches(&format!("{dir}/**"), path);
    }
    let pat: Vec<&str> = pattern.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    if pat.len() == 1 {
        return segs
            .iter()
            .any(|s| segment(pattern.as_bytes(), s.as_bytes()))
            || segments(&pat, &segs);
    }
    segments(&pat, &segs)
}

fn segments(pat: &[&str], segs: &[&str]) -> bool {
    match pat.split_first() {
        None => segs.is_empty(),
        Some((&"**", rest)) => {
            (0..=segs.len()).any(|i| segs.get(i..).is_some_and(|s| segments(rest, s)))
        }
        Some((p, rest)) => match segs.split_first() {
            Some((s, srest)) => segment(p.as_bytes(), s.as_bytes()) && segments(rest, srest),
            None => false,
        },
    }
}

/// Wildcard match within one segment, iterative with single backtrack point.
fn segment(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == s.get(si) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs_follow_gitignore_like_rules() {
        assert!(matches("docs/archive/**", "docs/archive/2024/x.md"));
        assert!(matches("docs/archive/", "docs/archive/x.md"));
        assert!(!matches("docs/archive/**", "docs/x.md"));
        assert!(matches("**/README.md", "platform/flux/README.md"));
        assert!(matches("README.md", "platform/flux/README.md"));
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
        assert!(matches("a?c", "abc"));
        assert!(!matches("a?c", "abbc"));
    }
}
