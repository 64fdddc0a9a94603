//! The admission rules: pure functions from a typed object (and the settings) to the
//! violations it carries. No I/O: the one thing that may need the cluster, a
//! Blueprint's version, comes in through a caller-supplied lookup.
//!
//! The per-object rules are the core's (`catalyst_guard::objects`): the same functions
//! the linter and the browser package call, with the same codes and messages. What
//! stays here is what only admission has: a live object has no business carrying a
//! template stand-in (`${SOVEREIGN_DOMAIN}`, `<location-code>`), which the core
//! accepts in a repository; lockstep (CG003) against a Blueprint read from the
//! settings or the cluster; and help lines that name that Blueprint's version.

use catalyst_guard::naming::{check_gitea_url, is_stand_in};
use catalyst_guard::objects::{self, field};
use catalyst_guard::version::{Pin, Version, parse_pin};

pub use catalyst_guard::objects::{
    CANONICAL_URL, GITEA_URL, INEXACT_BLUEPRINT_VERSION, MAX_URL_BYTES, ObjectFinding as Violation,
    Rule, SOPS, UNPINNED, clip,
};

use crate::objects::{Blueprint, GitRepository, HelmRelease, Kustomization};
use crate::settings::Config;

// Copied rather than read from `catalyst_guard::lint::RULES`: referencing the registry
// statics would link every lint rule's code into the WebAssembly module. The test
// `rule_codes_and_names_match_the_core_registry` keeps the two in step.
/// CG003: a pin out of lockstep with its Blueprint (admission's own: it needs the
/// Blueprint, from the settings or the cluster).
pub const LOCKSTEP: Rule = Rule {
    code: "CG003",
    name: "bootstrap-pin-mismatch",
};

/// Every rule the policy enforces.
pub const RULES: [Rule; 5] = [
    LOCKSTEP,
    UNPINNED,
    GITEA_URL,
    SOPS,
    INEXACT_BLUEPRINT_VERSION,
];

/// True if `new` is the same violation as `old`, of the same unchanged field value
/// (the message names the value and what else decides the rule, e.g. the chart).
pub fn same_violation(old: &Violation, new: &Violation) -> bool {
    old.rule == new.rule
        && old.field == new.field
        && old.value == new.value
        && old.message == new.message
}

fn violation(
    rule: Rule,
    field: &'static str,
    value: Option<&str>,
    message: String,
    help: String,
) -> Violation {
    Violation {
        rule,
        field,
        value: value.map(str::to_string),
        message,
        help,
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

/// CG005 (and `allowedOrgs`) on a GitRepository, plus admission's own rule: no
/// stand-ins left in a live URL. `subject` names the object in messages
/// (`GitRepository \`flux-system/flux\``).
pub fn git_repository(subject: &str, repo: &GitRepository, cfg: &Config) -> Vec<Violation> {
    let url = repo.url();
    let mut out = objects::git_repository_url(subject, url, &cfg.object_settings());
    if let Some(url) = url
        && url.len() <= MAX_URL_BYTES
        && check_gitea_url(url, &cfg.locations).is_ok()
    {
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
            out.insert(0, violation(
                GITEA_URL,
                field::URL,
                Some(url),
                format!("{subject} spec.url `{url}` still contains the {noun} {list}"),
                "substitute real values before applying (Flux `postBuild.substitute`), e.g. `https://gitea.hfmp.openova.io/openova/flux.git`".to_string(),
            ));
        }
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

/// CG004 and lockstep (CG003) on a HelmRelease whose chart matches `chartPattern`.
/// `blueprint` answers the Blueprint version for a chart name; it is called at most
/// once, and only when the answer matters.
pub fn helm_release(
    subject: &str,
    hr: &HelmRelease,
    cfg: &Config,
    blueprint: &mut dyn FnMut(&str) -> BlueprintVersion,
) -> Findings {
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
    let pin = spec.version.as_deref();
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
    let core = objects::helm_release_pin(subject, Some(chart), pin, false, &cfg.object_settings());
    if !core.is_empty() {
        let bv = resolve(&mut known);
        for mut v in core {
            v.help = match v.value {
                None => format!("set `spec.chart.spec.version` to {}", suggestion(&bv)),
                Some(_) => format!("pin {}", suggestion(&bv)),
            };
            findings.violations.push(v);
        }
        return findings;
    }
    // The core passed the pin: it is exact, or a stand-in (absent pins are findings).
    let Some(pin) = pin else {
        return findings;
    };
    let pin_txt = clip(pin);
    let exact = match parse_pin(pin) {
        Pin::Exact(v) => v,
        _ => {
            let bv = resolve(&mut known);
            findings.violations.push(violation(
                UNPINNED,
                field::CHART_VERSION,
                Some(pin),
                format!("{subject} pins `{chart_txt}` at `{pin_txt}`, an unsubstituted variable"),
                format!("pin {}", suggestion(&bv)),
            ));
            return findings;
        }
    };
    match resolve(&mut known) {
        BlueprintVersion::Known(want) => {
            let want_txt = clip(&want);
            match Version::parse(&want) {
                None => findings.violations.push(violation(
                    LOCKSTEP,
                    field::CHART_VERSION,
                    Some(pin),
                    format!(
                        "{subject} pins `{chart_txt}`, but Blueprint `{chart_txt}` has `spec.version` `{want_txt}`, not an exact version, so lockstep cannot hold"
                    ),
                    format!("fix Blueprint `{chart_txt}` first: `spec.version` must be an exact version such as `1.2.3`"),
                )),
                // Helm resolves `v1.2.3`, `=1.2.3` and `1.2.3+build` to chart 1.2.3.
                Some(w) if exact == w => {}
                Some(w) => {
                    let relation = if exact < w { "behind" } else { "ahead of" };
                    findings.violations.push(violation(
                        LOCKSTEP,
                        field::CHART_VERSION,
                        Some(pin),
                        format!(
                            "{subject} pins `{chart_txt}` at `{pin_txt}`, {relation} Blueprint `{chart_txt}` at `{want_txt}`"
                        ),
                        format!("pin `version: {want_txt}`, in lockstep with the Blueprint"),
                    ));
                }
            }
        }
        BlueprintVersion::Failed(why) => findings.violations.push(violation(
            LOCKSTEP,
            field::CHART_VERSION,
            Some(pin),
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
    objects::kustomization_decryption(subject, k.decryption_provider())
}

/// CG012 on a Blueprint: the core's rule, plus admission's own: a live Blueprint's
/// `spec.version` is not a template stand-in.
pub fn blueprint(subject: &str, bp: &Blueprint) -> Vec<Violation> {
    let mut out = objects::blueprint_version(subject, bp.version());
    if let Some(v) = bp.version()
        && out.is_empty()
        && is_stand_in(v.trim())
    {
        out.push(violation(
            INEXACT_BLUEPRINT_VERSION,
            field::BLUEPRINT_VERSION,
            Some(v),
            format!(
                "{subject} spec.version `{}` is an unsubstituted variable",
                clip(v)
            ),
            "set `spec.version` to the exact version of its chart, such as `1.2.3`".to_string(),
        ));
    }
    out
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
    #[case::build_metadata_is_ignored_as_helm_ignores_it("bp-flux", Some("1.1.4+x"), &[])]
    #[case::equals_sign_is_exact("bp-flux", Some("=1.1.4"), &[])]
    #[case::surrounding_space_is_exact("bp-flux", Some(" 1.1.4 "), &[])]
    #[case::v_prefix_behind("bp-flux", Some("v1.1.3"), &["CG003"])]
    #[case::double_equals_is_unreadable("bp-flux", Some("==1.1.4"), &["CG004"])]
    #[case::range("bp-flux", Some(">=1.1"), &["CG004"])]
    #[case::wildcard("bp-flux", Some("*"), &["CG004"])]
    #[case::x_range("bp-flux", Some("1.x"), &["CG004"])]
    #[case::caret("bp-flux", Some("^1"), &["CG004"])]
    #[case::tilde("bp-flux", Some("~1"), &["CG004"])]
    #[case::two_parts("bp-flux", Some("1.1"), &["CG004"])]
    #[case::v_prefix_is_exact_and_in_lockstep("bp-flux", Some("v1.1.4"), &[])]
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
    #[case::range(Some("1.x"), &["CG012"])]
    #[case::v_prefix(Some("v1.2.3"), &["CG012"])]
    #[case::missing(None, &["CG012"])]
    #[case::stand_in_in_a_live_object(Some("${VERSION}"), &["CG012"])]
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
