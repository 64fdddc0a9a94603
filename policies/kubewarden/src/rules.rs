//! The admission rules: pure functions from a typed object (and the settings) to the
//! violations it carries. No I/O: the one thing that may need the cluster, a
//! Blueprint's version, comes in through a caller-supplied lookup.
//!
//! The decisions are the core's: canonical URLs are judged by
//! `catalyst_guard::naming::check_gitea_url`, pins by `catalyst_guard::version`, and the
//! rule codes and names are the linter's (checked against the core registry by a
//! test). Admission is stricter than the linter in one respect: a live object has
//! no business carrying a template placeholder (`${SOVEREIGN_DOMAIN}`,
//! `<location-code>`), which the linter accepts as a stand-in in the repository.

use catalyst_guard::naming::url::is_valid_org;
use catalyst_guard::naming::{check_gitea_url, is_stand_in};
use catalyst_guard::version::Version;

use crate::objects::{Blueprint, GitRepository, HelmRelease, Kustomization};
use crate::settings::Config;

/// A linter rule this policy enforces: code and name, as in the core registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// `CG005`.
    pub code: &'static str,
    /// `non-canonical-gitea-url`.
    pub name: &'static str,
}

// Copied rather than read from `catalyst_guard::lint::RULES`: referencing the registry
// statics would link every lint rule's code into the WebAssembly module. The test
// `rule_codes_and_names_match_the_core_registry` keeps the two in step.
/// CG001: a Blueprint's `spec.version` (here: not an exact version).
pub const BLUEPRINT_VERSION: Rule = Rule {
    code: "CG001",
    name: "blueprint-version-mismatch",
};
/// CG003: a pin out of lockstep with its Blueprint.
pub const LOCKSTEP: Rule = Rule {
    code: "CG003",
    name: "bootstrap-pin-mismatch",
};
/// CG004: a missing, `*` or range pin.
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

/// Every rule the policy enforces.
pub const RULES: [Rule; 5] = [BLUEPRINT_VERSION, LOCKSTEP, UNPINNED, GITEA_URL, SOPS];

/// Longest `spec.url` examined; anything longer is rejected without parsing (and
/// without being echoed back in full).
pub const MAX_URL_BYTES: usize = 2048;

/// Longest user-supplied value echoed in a message, in bytes.
const MAX_ECHO_BYTES: usize = 200;

/// The canonical Gitea URL shape, for help lines.
pub const CANONICAL_URL: &str = "https://gitea.<location-code>.<sovereign-domain>/<org>/<repo>.git";

/// One rule violation in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule broken.
    pub rule: Rule,
    /// Dotted path of the offending field.
    pub field: &'static str,
    /// What the offending field held (with whatever else decides the rule, e.g. the
    /// chart name for a pin), so an UPDATE can tell whether it changed.
    pub value: Option<String>,
    /// What is wrong, naming the object and the offending value.
    pub message: String,
    /// The canonical form to use instead.
    pub help: String,
}

impl Violation {
    fn new(
        rule: Rule,
        field: &'static str,
        value: Option<&str>,
        message: String,
        help: String,
    ) -> Self {
        Self {
            rule,
            field,
            value: value.map(str::to_string),
            message,
            help,
        }
    }

    /// `CG005 non-canonical-gitea-url: <message>` and a `help:` line.
    pub fn render(&self) -> String {
        format!(
            "{} {}: {}\nhelp: {}",
            self.rule.code, self.rule.name, self.message, self.help
        )
    }

    /// True if `other` is the same violation of the same unchanged field value.
    pub fn same_as(&self, other: &Self) -> bool {
        self.rule == other.rule && self.field == other.field && self.value == other.value
    }
}

/// What is known about a Blueprint's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlueprintVersion {
    /// The Blueprint's `spec.version` as written (may still be invalid).
    Known(String),
    /// No source knows this Blueprint (not in settings, cluster lookup off).
    Unknown,
    /// The cluster lookup failed (not found, no permission, API error).
    Failed(String),
}

/// Everything a rule found: violations, and notes that are worth a warning but never
/// reject (a lockstep that could not be checked).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Rule violations.
    pub violations: Vec<Violation>,
    /// Warnings that do not reject.
    pub notes: Vec<String>,
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

/// CG005 (and `allowedOrgs`) on a GitRepository. `subject` names the object in
/// messages (`GitRepository \`flux-system/flux\``).
pub fn git_repository(subject: &str, repo: &GitRepository, cfg: &Config) -> Vec<Violation> {
    const FIELD: &str = "spec.url";
    let Some(url) = repo.url() else {
        return vec![Violation::new(
            GITEA_URL,
            FIELD,
            None,
            format!("{subject} has no `spec.url`"),
            format!("set `spec.url: {CANONICAL_URL}`"),
        )];
    };
    if url.len() > MAX_URL_BYTES {
        return vec![Violation::new(
            GITEA_URL,
            FIELD,
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
    match check_gitea_url(url, &cfg.locations) {
        Err(problem) => out.push(Violation::new(
            GITEA_URL,
            FIELD,
            Some(url),
            format!("{subject} spec.url {}", problem.message),
            problem.help,
        )),
        Ok(()) => {
            let stand_ins = placeholders(url);
            if !stand_ins.is_empty() {
                let list = stand_ins
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let noun = if stand_ins.len() == 1 {
                    "placeholder"
                } else {
                    "placeholders"
                };
                out.push(Violation::new(
                    GITEA_URL,
                    FIELD,
                    Some(url),
                    format!("{subject} spec.url `{url}` still contains the {noun} {list}"),
                    "substitute real values before applying (Flux `postBuild.substitute`), e.g. `https://gitea.hfmp.openova.io/openova/flux.git`".to_string(),
                ));
            }
        }
    }
    if let Some(org) = org_of(url)
        && !cfg.allowed_orgs.is_empty()
        && is_valid_org(org)
        && !cfg.allowed_orgs.iter().any(|a| a == org)
    {
        let allowed = cfg
            .allowed_orgs
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(Violation::new(
            GITEA_URL,
            FIELD,
            Some(url),
            format!("{subject} spec.url `{url}` names org `{org}`, which is not an allowed org"),
            format!("use one of the allowed orgs: {allowed}"),
        ));
    }
    out
}

/// The stand-ins left in a URL that passed the canonical check: host labels, org and
/// repository name, in order.
fn placeholders(url: &str) -> Vec<&str> {
    let Some((_, rest)) = url.split_once("://") else {
        return Vec::new();
    };
    let mut parts = rest.split('/');
    let host = parts.next().unwrap_or_default();
    let org = parts.next().unwrap_or_default();
    let repo = parts.next().unwrap_or_default();
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    host.split('.')
        .chain([org, repo])
        .filter(|s| is_stand_in(s))
        .collect()
}

/// The org segment of a URL (`https://host/<org>/...`).
fn org_of(url: &str) -> Option<&str> {
    url.split_once("://")?.1.split('/').nth(1)
}

/// CG004 and lockstep (CG003) on a HelmRelease whose chart matches `chartPattern`.
/// `blueprint` answers the Blueprint version for a chart name; it is called at most
/// once, and only when the answer matters.
pub fn helm_release(
    subject: &str,
    hr: &HelmRelease,
    cfg: &Config,
    blueprint: &mut dyn FnMut(&str) -> BlueprintVersion,
) -> Findings {
    const FIELD: &str = "spec.chart.spec.version";
    let mut findings = Findings::default();
    if hr.uses_chart_ref() {
        return findings;
    }
    let Some(spec) = hr.chart_spec() else {
        return findings;
    };
    let Some(chart) = spec.chart.as_deref() else {
        return findings;
    };
    if !cfg.chart_selected(chart) {
        return findings;
    }
    let chart_txt = clip(chart);
    let key = format!("{chart}@{}", spec.version.as_deref().unwrap_or_default());
    let mut known = None;
    let mut resolve = |known: &mut Option<BlueprintVersion>| -> BlueprintVersion {
        known
            .get_or_insert_with(|| match cfg.blueprint_versions.get(chart) {
                Some(v) => BlueprintVersion::Known(v.clone()),
                None if cfg.context_aware => blueprint(chart),
                None => BlueprintVersion::Unknown,
            })
            .clone()
    };
    let suggestion = |bv: &BlueprintVersion| match bv {
        BlueprintVersion::Known(v) if Version::parse(v).is_some() => {
            format!("`{}` (the version of Blueprint `{chart_txt}`)", clip(v))
        }
        _ => "an exact version such as `1.2.3`".to_string(),
    };
    let Some(pin) = spec.version.as_deref() else {
        let bv = resolve(&mut known);
        findings.violations.push(Violation::new(
            UNPINNED,
            FIELD,
            Some(&key),
            format!("{subject} does not pin a version of `{chart_txt}`"),
            format!("set `spec.chart.spec.version` to {}", suggestion(&bv)),
        ));
        return findings;
    };
    let pin_txt = clip(pin);
    if Version::parse(pin).is_none() {
        let bv = resolve(&mut known);
        let message = if is_stand_in(pin.trim()) {
            format!("{subject} pins `{chart_txt}` at `{pin_txt}`, an unsubstituted variable")
        } else {
            format!("{subject} pins `{chart_txt}` with the range `{pin_txt}`")
        };
        findings.violations.push(Violation::new(
            UNPINNED,
            FIELD,
            Some(&key),
            message,
            format!("pin {}", suggestion(&bv)),
        ));
        return findings;
    }
    match resolve(&mut known) {
        BlueprintVersion::Known(want) => {
            let want_txt = clip(&want);
            match Version::parse(&want) {
                None => findings.violations.push(Violation::new(
                    LOCKSTEP,
                    FIELD,
                    Some(&key),
                    format!(
                        "{subject} pins `{chart_txt}`, but Blueprint `{chart_txt}` has `spec.version` `{want_txt}`, not an exact version, so lockstep cannot hold"
                    ),
                    format!("fix Blueprint `{chart_txt}` first: `spec.version` must be an exact version such as `1.2.3`"),
                )),
                Some(_) if pin == want => {}
                Some(w) => {
                    let relation = match Version::parse(pin) {
                        Some(p) if p < w => "behind",
                        Some(p) if p > w => "ahead of",
                        _ => "different from",
                    };
                    findings.violations.push(Violation::new(
                        LOCKSTEP,
                        FIELD,
                        Some(&key),
                        format!(
                            "{subject} pins `{chart_txt}` at `{pin_txt}`, {relation} Blueprint `{chart_txt}` at `{want_txt}`"
                        ),
                        format!("pin `version: {want_txt}`, in lockstep with the Blueprint"),
                    ));
                }
            }
        }
        BlueprintVersion::Failed(why) => findings.violations.push(Violation::new(
            LOCKSTEP,
            FIELD,
            Some(&key),
            format!(
                "{subject} pins `{chart_txt}` at `{pin_txt}`, but lockstep cannot be checked: {}",
                clip(&why)
            ),
            format!(
                "make sure Blueprint `{chart_txt}` exists with an exact `spec.version`, or list its version under the policy setting `blueprintVersions`"
            ),
        )),
        BlueprintVersion::Unknown => findings.notes.push(format!(
            "{} {}: lockstep of `{chart_txt}` not checked: no Blueprint version is known (policy settings `blueprintVersions` / `contextAware`)",
            LOCKSTEP.code, LOCKSTEP.name
        )),
    }
    findings
}

/// CG008 on a Kustomization.
pub fn kustomization(subject: &str, k: &Kustomization) -> Vec<Violation> {
    match k.decryption_provider() {
        Some(provider) if provider.eq_ignore_ascii_case("sops") => vec![Violation::new(
            SOPS,
            "spec.decryption.provider",
            Some(provider),
            format!("{subject} decrypts with `{provider}`"),
            "remove `spec.decryption`; deliver secrets with External Secrets PushSecrets"
                .to_string(),
        )],
        _ => Vec::new(),
    }
}

/// A Blueprint's `spec.version` must be an exact semantic version (reported as CG001,
/// the Blueprint-version rule).
pub fn blueprint(subject: &str, bp: &Blueprint) -> Vec<Violation> {
    const FIELD: &str = "spec.version";
    let help = "set `spec.version` to the exact version of its chart, such as `1.2.3`";
    match bp.version() {
        None => vec![Violation::new(
            BLUEPRINT_VERSION,
            FIELD,
            None,
            format!("{subject} has no `spec.version`"),
            help.to_string(),
        )],
        Some(v) if Version::parse(v).is_none() => vec![Violation::new(
            BLUEPRINT_VERSION,
            FIELD,
            Some(v),
            format!(
                "{subject} spec.version `{}` is not an exact semantic version",
                clip(v)
            ),
            help.to_string(),
        )],
        Some(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;
    use crate::objects::{
        BlueprintSpec, ChartRef, ChartTemplate, ChartTemplateSpec, Decryption, GitRepositorySpec,
        HelmReleaseSpec, KustomizationSpec,
    };
    use crate::settings::Settings;

    fn repo(url: &str) -> GitRepository {
        GitRepository {
            spec: Some(GitRepositorySpec {
                url: Some(url.to_string()),
            }),
            ..GitRepository::default()
        }
    }

    fn hr(chart: &str, version: Option<&str>) -> HelmRelease {
        HelmRelease {
            spec: Some(HelmReleaseSpec {
                chart: Some(ChartTemplate {
                    spec: Some(ChartTemplateSpec {
                        chart: Some(chart.to_string()),
                        version: version.map(str::to_string),
                    }),
                }),
                chart_ref: None,
            }),
            ..HelmRelease::default()
        }
    }

    fn codes(v: &[Violation]) -> Vec<&'static str> {
        v.iter().map(|v| v.rule.code).collect()
    }

    #[test]
    fn rule_codes_and_names_match_the_core_registry() {
        for rule in RULES {
            let core = catalyst_guard::lint::find_rule(rule.code).expect("registered code");
            assert_eq!(core.name, rule.name, "{}", rule.code);
        }
    }

    #[rstest]
    #[case::canonical("https://gitea.hfmp.openova.io/openova/flux.git", &[])]
    #[case::other_region("https://gitea.ogmd.acme.example/acme-labs/app.git", &[])]
    #[case::http("http://gitea.hfmp.openova.io/openova/flux.git", &["CG005"])]
    #[case::no_location_code("https://gitea.openova.io/openova/flux.git", &["CG005"])]
    #[case::rtz_building_block("https://gitea.hfrp.openova.io/openova/flux.git", &["CG005"])]
    #[case::no_dot_git("https://gitea.hfmp.openova.io/openova/flux", &["CG005"])]
    #[case::credentials("https://tok@gitea.hfmp.openova.io/openova/flux.git", &["CG005"])]
    #[case::github("https://github.com/openova/flux.git", &["CG005"])]
    #[case::unsubstituted_domain("https://gitea.hfmp.${SOVEREIGN_DOMAIN}/openova/flux.git", &["CG005"])]
    #[case::doc_placeholders("https://gitea.<location-code>.<sovereign-domain>/<org>/<repo>.git", &["CG005"])]
    fn gitea_urls(#[case] url: &str, #[case] want: &[&str]) {
        let got = git_repository("GitRepository `x`", &repo(url), &Config::default());
        assert_eq!(codes(&got), want, "{url}: {got:?}");
    }

    #[test]
    fn a_url_problem_carries_the_core_message_and_the_canonical_fix() {
        let got = git_repository(
            "GitRepository `flux-system/flux`",
            &repo("http://gitea.hfrp.openova.io/openova/flux.git"),
            &Config::default(),
        );
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].render(),
            "CG005 non-canonical-gitea-url: GitRepository `flux-system/flux` spec.url `http://gitea.hfrp.openova.io/openova/flux.git`: uses `http://`, not `https://`; host `gitea.hfrp.openova.io` uses location code `hfrp` = Hetzner Falkenstein rtz prod: Gitea runs on mgt\nhelp: use `https://gitea.hfmp.openova.io/openova/flux.git`"
        );
    }

    #[test]
    fn placeholders_are_named_one_by_one() {
        let got = git_repository(
            "GitRepository `x`",
            &repo("https://gitea.<location-code>.${DOMAIN}/<org>/app.git"),
            &Config::default(),
        );
        assert!(
            got[0].message.ends_with(
                "still contains the placeholders `<location-code>`, `${DOMAIN}`, `<org>`"
            ),
            "{}",
            got[0].message
        );
    }

    #[test]
    fn a_missing_or_absurd_url_is_rejected_without_echoing_it_whole() {
        let got = git_repository(
            "GitRepository `x`",
            &GitRepository::default(),
            &Config::default(),
        );
        assert_eq!(got[0].message, "GitRepository `x` has no `spec.url`");
        let huge = format!(
            "https://gitea.hfmp.openova.io/{}/x.git",
            "a".repeat(100_000)
        );
        let got = git_repository("GitRepository `x`", &repo(&huge), &Config::default());
        assert_eq!(codes(&got), ["CG005"]);
        assert!(got[0].render().len() < 600, "{}", got[0].render().len());
    }

    #[rstest]
    #[case::listed("https://gitea.hfmp.openova.io/openova/flux.git", 0)]
    #[case::not_listed("https://gitea.hfmp.openova.io/evil/flux.git", 1)]
    #[case::not_listed_and_http("http://gitea.hfmp.openova.io/evil/flux.git", 2)]
    fn allowed_orgs_restrict_the_org(#[case] url: &str, #[case] violations: usize) {
        let cfg = Settings {
            allowed_orgs: vec!["openova".into(), "acme".into()],
            ..Settings::default()
        }
        .compile()
        .unwrap();
        let got = git_repository("GitRepository `x`", &repo(url), &cfg);
        assert_eq!(got.len(), violations, "{got:?}");
        if violations > 0 {
            assert_eq!(
                got.last().unwrap().help,
                "use one of the allowed orgs: `openova`, `acme`"
            );
        }
    }

    fn check_hr(
        chart: &str,
        version: Option<&str>,
        cfg: &Config,
        cluster: BlueprintVersion,
    ) -> (Findings, usize) {
        let mut calls = 0;
        let findings = helm_release("HelmRelease `x`", &hr(chart, version), cfg, &mut |_| {
            calls += 1;
            cluster.clone()
        });
        (findings, calls)
    }

    fn lockstep_cfg() -> Config {
        Settings {
            blueprint_versions: [("bp-flux".to_string(), "1.1.4".to_string())].into(),
            ..Settings::default()
        }
        .compile()
        .unwrap()
    }

    #[rstest]
    #[case::exact_in_lockstep("bp-flux", Some("1.1.4"), &[])]
    #[case::behind("bp-flux", Some("1.1.3"), &["CG003"])]
    #[case::ahead("bp-flux", Some("1.2.0"), &["CG003"])]
    #[case::build_metadata_is_not_the_same_pin("bp-flux", Some("1.1.4+x"), &["CG003"])]
    #[case::range("bp-flux", Some(">=1.1"), &["CG004"])]
    #[case::wildcard("bp-flux", Some("*"), &["CG004"])]
    #[case::x_range("bp-flux", Some("1.x"), &["CG004"])]
    #[case::caret("bp-flux", Some("^1"), &["CG004"])]
    #[case::tilde("bp-flux", Some("~1"), &["CG004"])]
    #[case::two_parts("bp-flux", Some("1.1"), &["CG004"])]
    #[case::v_prefix("bp-flux", Some("v1.1.4"), &["CG004"])]
    #[case::unsubstituted("bp-flux", Some("${BP_FLUX_VERSION}"), &["CG004"])]
    #[case::missing("bp-flux", None, &["CG004"])]
    #[case::other_chart_with_range("cert-manager", Some(">=1"), &[])]
    #[case::unknown_blueprint_exact("bp-other", Some("2.0.0"), &[])]
    fn helm_release_pins(
        #[case] chart: &str,
        #[case] version: Option<&str>,
        #[case] want: &[&str],
    ) {
        let (findings, calls) = check_hr(
            chart,
            version,
            &lockstep_cfg(),
            BlueprintVersion::Failed("unused".into()),
        );
        assert_eq!(codes(&findings.violations), want, "{findings:?}");
        assert_eq!(
            calls, 0,
            "the cluster is not asked when contextAware is off"
        );
    }

    #[test]
    fn lockstep_messages_say_which_way_and_what_to_pin() {
        let (f, _) = check_hr(
            "bp-flux",
            Some("1.1.3"),
            &lockstep_cfg(),
            BlueprintVersion::Unknown,
        );
        assert_eq!(
            f.violations[0].render(),
            "CG003 bootstrap-pin-mismatch: HelmRelease `x` pins `bp-flux` at `1.1.3`, behind Blueprint `bp-flux` at `1.1.4`\nhelp: pin `version: 1.1.4`, in lockstep with the Blueprint"
        );
        let (f, _) = check_hr(
            "bp-flux",
            Some(">=1"),
            &lockstep_cfg(),
            BlueprintVersion::Unknown,
        );
        assert_eq!(
            f.violations[0].help,
            "pin `1.1.4` (the version of Blueprint `bp-flux`)"
        );
    }

    #[test]
    fn an_unknown_blueprint_is_a_note_not_a_rejection() {
        let (f, calls) = check_hr(
            "bp-other",
            Some("2.0.0"),
            &lockstep_cfg(),
            BlueprintVersion::Unknown,
        );
        assert!(f.violations.is_empty());
        assert_eq!(calls, 0);
        assert_eq!(f.notes.len(), 1);
        assert!(
            f.notes[0].contains("lockstep of `bp-other` not checked"),
            "{:?}",
            f.notes
        );
    }

    #[rstest]
    #[case::found_in_lockstep(BlueprintVersion::Known("2.0.0".into()), &[])]
    #[case::found_behind(BlueprintVersion::Known("2.1.0".into()), &["CG003"])]
    #[case::found_with_garbage_version(BlueprintVersion::Known("2.x".into()), &["CG003"])]
    #[case::lookup_failed(BlueprintVersion::Failed("not found".into()), &["CG003"])]
    fn context_aware_lookups_decide_lockstep(
        #[case] cluster: BlueprintVersion,
        #[case] want: &[&str],
    ) {
        let cfg = Settings {
            context_aware: true,
            ..Settings::default()
        }
        .compile()
        .unwrap();
        let (f, calls) = check_hr("bp-other", Some("2.0.0"), &cfg, cluster);
        assert_eq!(codes(&f.violations), want, "{f:?}");
        assert_eq!(calls, 1, "exactly one lookup");
    }

    #[test]
    fn settings_take_precedence_over_the_cluster() {
        let mut cfg = lockstep_cfg();
        cfg.context_aware = true;
        let (f, calls) = check_hr(
            "bp-flux",
            Some("1.1.4"),
            &cfg,
            BlueprintVersion::Known("9.9.9".into()),
        );
        assert!(f.violations.is_empty());
        assert_eq!(calls, 0);
    }

    #[test]
    fn chart_ref_releases_are_skipped_like_the_linter_does() {
        let mut release = hr("bp-flux", Some(">=1"));
        if let Some(spec) = release.spec.as_mut() {
            spec.chart_ref = Some(ChartRef::default());
        }
        let f = helm_release("HelmRelease `x`", &release, &lockstep_cfg(), &mut |_| {
            BlueprintVersion::Unknown
        });
        assert_eq!(f, Findings::default());
    }

    #[rstest]
    #[case::sops(Some("sops"), &["CG008"])]
    #[case::upper(Some("SOPS"), &["CG008"])]
    #[case::other(Some("vault"), &[])]
    #[case::none(None, &[])]
    fn kustomization_decryption(#[case] provider: Option<&str>, #[case] want: &[&str]) {
        let k = Kustomization {
            spec: Some(KustomizationSpec {
                decryption: Some(Decryption {
                    provider: provider.map(str::to_string),
                }),
            }),
            ..Kustomization::default()
        };
        assert_eq!(codes(&kustomization("Kustomization `x`", &k)), want);
    }

    #[rstest]
    #[case::exact(Some("1.2.3"), &[])]
    #[case::prerelease(Some("1.2.3-rc.1"), &[])]
    #[case::range(Some("1.x"), &["CG001"])]
    #[case::v_prefix(Some("v1.2.3"), &["CG001"])]
    #[case::missing(None, &["CG001"])]
    fn blueprint_versions(#[case] version: Option<&str>, #[case] want: &[&str]) {
        let bp = Blueprint {
            spec: Some(BlueprintSpec {
                version: version.map(str::to_string),
            }),
            ..Blueprint::default()
        };
        assert_eq!(codes(&blueprint("Blueprint `bp-x`", &bp)), want);
    }

    #[test]
    fn clip_keeps_short_values_and_cuts_long_ones_at_a_char_boundary() {
        assert_eq!(clip("short"), "short");
        let long = "é".repeat(300);
        let c = clip(&long);
        assert!(c.ends_with("… (600 bytes)"), "{c}");
        assert!(c.len() < 220);
    }
}
