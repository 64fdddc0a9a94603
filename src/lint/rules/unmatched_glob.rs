//! CG016: a glob in `.catalyst-guard.yaml` that matches no file.

use crate::lint::config::{Config, GlobUse};
use crate::lint::rule::{Check, declare_rule};
use crate::lint::{Finding, make};

declare_rule! {
    /// ## What it does
    /// Warns about each glob of `.catalyst-guard.yaml` that matches no file of the
    /// linted tree: an `exclude` entry, a retired term's `paths` or `exclude`, or a
    /// `chartRoots` entry under which no file lies. The warning points at the glob.
    ///
    /// ## Why is this bad?
    /// A glob that matches nothing usually means a typo or a wrong anchoring rule
    /// (`/README.md` is only the root's README), and it fails silently: a term scoped to
    /// `doc/**` is checked nowhere, a chart root with a typo hides every chart under it
    /// from the lockstep rules.
    ///
    /// ## Example
    /// ```yaml
    /// retiredTerms:
    ///   - term: Tenant
    ///     replacement: Organization
    ///     paths: ["doc/**"]       # the folder is docs/
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     paths: ["docs/**"]
    /// ```
    code: "CG016",
    name: "unmatched-glob",
    severity: Warning,
    fix: Never,
    summary: "a glob in .catalyst-guard.yaml (exclude, paths, chartRoots) matches no file",
    check: Check::Engine,
}

/// The CG016 findings for a configuration, given every root-relative path of the
/// tree (before `exclude`). Hosts call this once the walk is done; `lint()` calls it
/// with the files it was given.
pub fn findings(config: &Config, paths: &[&str]) -> Vec<Finding> {
    if config.glob_sites.is_empty() || !config.is_enabled(&META) {
        return Vec::new();
    }
    let roots_used = config.chart_roots.used_by(paths.iter().copied());
    let mut out = Vec::new();
    for site in &config.glob_sites {
        let used = match site.used {
            GlobUse::Exclude(i) => config
                .exclude
                .get(i)
                .is_none_or(|g| paths.iter().any(|p| g.matches(p))),
            GlobUse::TermPaths(t, i) => config
                .terms
                .get(t)
                .and_then(|term| term.paths.get(i))
                .is_none_or(|g| paths.iter().any(|p| g.matches(p))),
            GlobUse::TermExclude(t, i) => config
                .terms
                .get(t)
                .and_then(|term| term.exclude.get(i))
                .is_none_or(|g| paths.iter().any(|p| g.matches(p))),
            GlobUse::ChartRoot(i) => roots_used.get(i).copied().unwrap_or(true),
        };
        if used {
            continue;
        }
        let what = if matches!(site.used, GlobUse::ChartRoot(_)) {
            "no chart folder"
        } else {
            "no file"
        };
        let mut f = make(
            &META,
            config.severity_of(&META),
            &config.path,
            site.pos,
            format!("`{}` glob `{}` matches {what}", site.field, site.pattern),
        );
        f.width = u32::try_from(site.pattern.chars().count()).unwrap_or(1).max(1);
        f.help = Some(
            "fix the glob or remove it; globs are root-relative when they contain `/` (`/README.md` is the root's only), any depth otherwise".to_string(),
        );
        out.push(f);
    }
    out
}
