//! Object rules: one pure function per object kind, from the fields a rule reads to
//! the findings it makes. The linter, the Kubewarden policy and the browser package
//! all call these, so a GitRepository URL, a HelmRelease pin, a Kustomization's
//! decryption and a Blueprint's version get one verdict and one message everywhere.
//!
//! The functions take plain field values (not a YAML or JSON view), so each adapter
//! keeps its own object model and adds only what is its own: the linter its file
//! positions and cross-file rules, the policy UPDATE leniency, the rejection of
//! template stand-ins in live objects and the cluster lookup behind lockstep.
//!
//! Messages follow the project style: they name the object (`subject`, such as
//! ``HelmRelease `flux-system/bp-flux` ``), are lowercase, quote the offending value in
//! backticks (clipped to [`MAX_ECHO_BYTES`]) and carry the fix in `help`.

use crate::naming::url::is_valid_org;
use crate::naming::{LocationTable, check_gitea_url};
use crate::version::{Pin, Version, parse_pin};

/// A rule an object rule reports: code and name, as in the lint registry (a test keeps
/// the two in step; the registry is not referenced so that a WebAssembly policy does
/// not link every lint rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rule {
    /// `CG005`.
    pub code: &'static str,
    /// `non-canonical-gitea-url`.
    pub name: &'static str,
}

/// CG004: a HelmRelease chart pin that is missing or not exact.
pub const UNPINNED: Rule = Rule {
    code: "CG004",
    name: "unpinned-chart-version",
};
/// CG005: a GitRepository URL that is not the canonical Gitea URL.
pub const GITEA_URL: Rule = Rule {
    code: "CG005",
    name: "non-canonical-gitea-url",
};
/// CG008: a Kustomization decrypting with SOPS.
pub const SOPS: Rule = Rule {
    code: "CG008",
    name: "sops-decryption",
};
/// CG012: a Blueprint whose `spec.version` is not an exact version.
pub const INEXACT_BLUEPRINT_VERSION: Rule = Rule {
    code: "CG012",
    name: "inexact-blueprint-version",
};

/// Every rule of this module.
pub const RULES: [Rule; 4] = [UNPINNED, GITEA_URL, SOPS, INEXACT_BLUEPRINT_VERSION];

/// Longest `spec.url` examined; anything longer is rejected without parsing (and
/// without being echoed back in full). The CEL twins carry the same bound.
pub const MAX_URL_BYTES: usize = 2048;

/// Longest user-supplied value echoed in a message, in bytes.
pub const MAX_ECHO_BYTES: usize = 200;

/// The canonical Gitea URL shape, for help lines.
pub const CANONICAL_URL: &str = "https://gitea.<location-code>.<sovereign-domain>/<org>/<repo>.git";

/// Field paths the rules report.
pub mod field {
    /// `GitRepository.spec.url`.
    pub const URL: &str = "spec.url";
    /// `HelmRelease.spec.chart.spec.version`.
    pub const CHART_VERSION: &str = "spec.chart.spec.version";
    /// `Kustomization.spec.decryption.provider`.
    pub const DECRYPTION_PROVIDER: &str = "spec.decryption.provider";
    /// `Blueprint.spec.version`.
    pub const BLUEPRINT_VERSION: &str = "spec.version";
}

/// One finding on one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectFinding {
    /// The rule broken.
    pub rule: Rule,
    /// Dotted path of the offending field.
    pub field: &'static str,
    /// What the field held (`None` when it is missing).
    pub value: Option<String>,
    /// What is wrong, naming the object and the offending value.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl ObjectFinding {
    fn new(
        rule: Rule,
        field: &'static str,
        value: Option<&str>,
        message: String,
        help: impl Into<String>,
    ) -> Self {
        Self {
            rule,
            field,
            value: value.map(str::to_string),
            message,
            help: help.into(),
        }
    }

    /// `CG005 non-canonical-gitea-url: <message>` and a `help:` line.
    pub fn render(&self) -> String {
        format!(
            "{} {}: {}\nhelp: {}",
            self.rule.code, self.rule.name, self.message, self.help
        )
    }
}

/// The settings the object rules honour: the same for the linter, the policy, the
/// browser and (translated to CEL parameters) the twins.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    /// The location-code table (built-in codes plus configured ones).
    pub locations: &'a LocationTable,
    /// If not empty, the only orgs a GitRepository URL may name.
    pub allowed_orgs: &'a [String],
    /// Glob (`*`, `?`, `[...]`, `{a,b}`) selecting the charts whose pins are checked;
    /// `None` checks every chart (the linter's CG004).
    pub chart_pattern: Option<&'a str>,
}

impl<'a> Settings<'a> {
    /// Every org allowed, every chart checked.
    pub fn new(locations: &'a LocationTable) -> Self {
        Self {
            locations,
            allowed_orgs: &[],
            chart_pattern: None,
        }
    }

    /// True if pins of `chart` are checked. With a pattern, a chart given as a path
    /// (`./charts/x`, Git sources) is not a chart name and never matches.
    pub fn chart_selected(&self, chart: &str) -> bool {
        self.chart_pattern
            .is_none_or(|p| !chart.contains('/') && fast_glob::glob_match(p, chart))
    }
}

/// Shortens a user-supplied value for a message (at a character boundary).
pub fn clip(s: &str) -> String {
    if s.len() <= MAX_ECHO_BYTES {
        return s.to_string();
    }
    let mut end = MAX_ECHO_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", s.get(..end).unwrap_or_default(), s.len())
}

/// The org segment of a URL (`https://host/<org>/...`).
pub fn org_of(url: &str) -> Option<&str> {
    url.split_once("://")?.1.split('/').nth(1)
}

/// CG005 on a GitRepository's `spec.url` (and `allowedOrgs`).
pub fn git_repository_url(
    subject: &str,
    url: Option<&str>,
    s: &Settings<'_>,
) -> Vec<ObjectFinding> {
    let Some(url) = url else {
        return vec![ObjectFinding::new(
            GITEA_URL,
            field::URL,
            None,
            format!("{subject} has no `spec.url`"),
            format!("set `spec.url: {CANONICAL_URL}`"),
        )];
    };
    if url.len() > MAX_URL_BYTES {
        return vec![ObjectFinding::new(
            GITEA_URL,
            field::URL,
            Some(url),
            format!(
                "{subject} spec.url is {} bytes long, not a Git URL: `{}`",
                url.len(),
                clip(url)
            ),
            format!("use `{CANONICAL_URL}`"),
        )];
    }
    let mut out = Vec::new();
    if let Err(problem) = check_gitea_url(url, s.locations) {
        out.push(ObjectFinding::new(
            GITEA_URL,
            field::URL,
            Some(url),
            format!("{subject} spec.url {}", problem.message),
            problem.help,
        ));
    }
    if let Some(org) = org_of(url)
        && !s.allowed_orgs.is_empty()
        && is_valid_org(org)
        && !s.allowed_orgs.iter().any(|a| a == org)
    {
        let allowed = s
            .allowed_orgs
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(ObjectFinding::new(
            GITEA_URL,
            field::URL,
            Some(url),
            format!("{subject} spec.url `{url}` names org `{org}`, which is not an allowed org"),
            format!("use one of the allowed orgs: {allowed}"),
        ));
    }
    out
}

/// CG004 on a HelmRelease's chart pin. `chart` is `spec.chart.spec.chart` (`None` when
/// the release has no `spec.chart.spec`), `version` its pin; a release using
/// `spec.chartRef` takes its version from the referenced source and is skipped. A
/// stand-in (`${BP_VERSION}`) passes here: whether it may appear is the caller's call.
pub fn helm_release_pin(
    subject: &str,
    chart: Option<&str>,
    version: Option<&str>,
    uses_chart_ref: bool,
    s: &Settings<'_>,
) -> Vec<ObjectFinding> {
    let Some(chart) = chart else {
        return Vec::new();
    };
    if uses_chart_ref || !s.chart_selected(chart) {
        return Vec::new();
    }
    let chart = clip(chart);
    let help = "pin an exact version such as `1.2.3`";
    let Some(pin) = version else {
        return vec![ObjectFinding::new(
            UNPINNED,
            field::CHART_VERSION,
            None,
            format!("{subject} does not pin a version of `{chart}`"),
            "set `spec.chart.spec.version` to an exact version such as `1.2.3`",
        )];
    };
    let message = match parse_pin(pin) {
        Pin::Exact(_) | Pin::StandIn => return Vec::new(),
        Pin::Range(_) => format!("{subject} pins `{chart}` with the range `{}`", clip(pin)),
        Pin::Invalid(e) => format!(
            "{subject} pins `{chart}` at `{}`, which is not a version or a range ({})",
            clip(pin),
            clip(&e.to_string())
        ),
    };
    vec![ObjectFinding::new(
        UNPINNED,
        field::CHART_VERSION,
        Some(pin),
        message,
        help,
    )]
}

/// CG008 on a Kustomization's `spec.decryption.provider`.
pub fn kustomization_decryption(subject: &str, provider: Option<&str>) -> Vec<ObjectFinding> {
    match provider {
        Some(p) if p.eq_ignore_ascii_case("sops") => vec![ObjectFinding::new(
            SOPS,
            field::DECRYPTION_PROVIDER,
            Some(p),
            format!("{subject} decrypts with `{p}`"),
            "remove `spec.decryption`; deliver secrets with External Secrets PushSecrets",
        )],
        _ => Vec::new(),
    }
}

/// CG012 on a Blueprint's `spec.version`: an exact version `X.Y.Z[-pre][+build]`
/// (strict: no `v`, no range). A stand-in passes here, as in [`helm_release_pin`].
pub fn blueprint_version(subject: &str, version: Option<&str>) -> Vec<ObjectFinding> {
    let help = "set `spec.version` to the exact version of its chart, such as `1.2.3`";
    match version {
        None => vec![ObjectFinding::new(
            INEXACT_BLUEPRINT_VERSION,
            field::BLUEPRINT_VERSION,
            None,
            format!("{subject} has no `spec.version`"),
            help,
        )],
        Some(v) if Version::parse(v).is_none() && !crate::naming::is_stand_in(v.trim()) => {
            vec![ObjectFinding::new(
                INEXACT_BLUEPRINT_VERSION,
                field::BLUEPRINT_VERSION,
                Some(v),
                format!(
                    "{subject} spec.version `{}` is not an exact semantic version",
                    clip(v)
                ),
                help,
            )]
        }
        Some(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(f: &[ObjectFinding]) -> Vec<&'static str> {
        f.iter().map(|f| f.rule.code).collect()
    }

    #[test]
    fn rule_codes_and_names_match_the_lint_registry() {
        for rule in RULES {
            let meta = crate::lint::find_rule(rule.code).expect("registered code");
            assert_eq!(meta.name, rule.name, "{}", rule.code);
        }
    }

    #[test]
    fn a_url_finding_names_the_object_field_value_and_fix() {
        let table = LocationTable::default();
        let got = git_repository_url(
            "GitRepository `flux-system/flux`",
            Some("http://gitea.hfrp.openova.io/openova/flux.git"),
            &Settings::new(&table),
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].field, "spec.url");
        assert_eq!(
            got[0].value.as_deref(),
            Some("http://gitea.hfrp.openova.io/openova/flux.git")
        );
        assert_eq!(
            got[0].render(),
            "CG005 non-canonical-gitea-url: GitRepository `flux-system/flux` spec.url `http://gitea.hfrp.openova.io/openova/flux.git`: uses `http://`, not `https://`; host `gitea.hfrp.openova.io` uses location code `hfrp` = Hetzner Falkenstein rtz prod: Gitea runs on mgt\nhelp: use `https://gitea.hfmp.openova.io/openova/flux.git`"
        );
    }

    #[test]
    fn configured_regions_and_org_allow_lists_apply() {
        let mut table = LocationTable::default();
        let url = "https://gitea.aemp.openova.io/openova/flux.git";
        assert_eq!(
            codes(&git_repository_url("x", Some(url), &Settings::new(&table))),
            ["CG005"]
        );
        table.add_region('a', 'e', "eu-central-1");
        assert!(git_repository_url("x", Some(url), &Settings::new(&table)).is_empty());
        let orgs = ["acme".to_string()];
        let s = Settings {
            allowed_orgs: &orgs,
            ..Settings::new(&table)
        };
        let got = git_repository_url("x", Some(url), &s);
        assert_eq!(codes(&got), ["CG005"]);
        assert_eq!(got[0].help, "use one of the allowed orgs: `acme`");
    }

    #[test]
    fn a_huge_url_is_reported_without_being_echoed_whole() {
        let table = LocationTable::default();
        let huge = format!(
            "https://gitea.hfmp.openova.io/{}/x.git",
            "a".repeat(100_000)
        );
        let got = git_repository_url("x", Some(&huge), &Settings::new(&table));
        assert_eq!(codes(&got), ["CG005"]);
        assert!(got[0].render().len() < 600);
    }

    #[test]
    fn pins_follow_the_shared_version_reading() {
        let table = LocationTable::default();
        let s = Settings {
            chart_pattern: Some("bp-*"),
            ..Settings::new(&table)
        };
        for (chart, pin, want) in [
            ("bp-flux", Some("1.2.3"), ""),
            ("bp-flux", Some("v1.2.3"), ""),
            ("bp-flux", Some("=1.2.3"), ""),
            ("bp-flux", Some(" 1.2.3"), ""),
            ("bp-flux", Some("${BP_VERSION}"), ""),
            ("bp-flux", Some("1.2"), "CG004"),
            ("bp-flux", Some(">=1.0.0"), "CG004"),
            ("bp-flux", Some("==1.2.3"), "CG004"),
            ("bp-flux", Some(""), "CG004"),
            ("bp-flux", None, "CG004"),
            ("cert-manager", Some("*"), ""),
            ("./charts/bp-x", Some("*"), ""),
        ] {
            let got = helm_release_pin("HelmRelease `x`", Some(chart), pin, false, &s);
            assert_eq!(codes(&got).join(","), want, "{chart} {pin:?}");
        }
        assert!(helm_release_pin("x", Some("bp-flux"), Some("*"), true, &s).is_empty());
        assert!(helm_release_pin("x", None, Some("*"), false, &s).is_empty());
        // Without a pattern (the linter) every chart is checked.
        let all = Settings::new(&table);
        assert_eq!(
            codes(&helm_release_pin(
                "x",
                Some("cert-manager"),
                Some("*"),
                false,
                &all
            )),
            ["CG004"]
        );
    }

    #[test]
    fn pin_messages_say_range_or_unreadable() {
        let table = LocationTable::default();
        let s = Settings::new(&table);
        let got = helm_release_pin("HelmRelease `x`", Some("bp-flux"), Some("^1"), false, &s);
        assert_eq!(
            got[0].message,
            "HelmRelease `x` pins `bp-flux` with the range `^1`"
        );
        let got = helm_release_pin(
            "HelmRelease `x`",
            Some("bp-flux"),
            Some("latest"),
            false,
            &s,
        );
        assert_eq!(
            got[0].message,
            "HelmRelease `x` pins `bp-flux` at `latest`, which is not a version or a range (`latest` is not a semver constraint)"
        );
    }

    #[test]
    fn sops_is_matched_case_insensitively_and_quoted_as_written() {
        let got = kustomization_decryption("Kustomization `x`", Some("SOPS"));
        assert_eq!(got[0].message, "Kustomization `x` decrypts with `SOPS`");
        assert!(kustomization_decryption("x", Some("vault")).is_empty());
        assert!(kustomization_decryption("x", None).is_empty());
    }

    #[test]
    fn blueprint_versions_must_be_strictly_exact() {
        for (v, want) in [
            (Some("1.2.3"), ""),
            (Some("1.2.3-rc.1"), ""),
            (Some("${VERSION}"), ""),
            (Some("v1.2.3"), "CG012"),
            (Some("1.x"), "CG012"),
            (Some("1.2"), "CG012"),
            (None, "CG012"),
        ] {
            assert_eq!(
                codes(&blueprint_version("Blueprint `bp-x`", v)).join(","),
                want,
                "{v:?}"
            );
        }
    }

    #[test]
    fn clip_keeps_short_values_and_cuts_long_ones_at_a_char_boundary() {
        assert_eq!(clip("short"), "short");
        let c = clip(&"é".repeat(300));
        assert!(c.ends_with("… (600 bytes)"), "{c}");
        assert!(c.len() < 220);
    }
}
