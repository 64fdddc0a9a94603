//! Parity of every engine under settings: the Kubewarden policy (natively and as the
//! built module over waPC), the ValidatingAdmissionPolicy CEL, the Kyverno CEL (both
//! reading the params ConfigMap generated from the same settings) and the core's
//! object rules must reach the same verdict on every case, under several settings.
//!
//! Also: a generated-URL differential between the core and the CEL, the operator's
//! "add a region once" story end to end from one settings file, and a bound on the
//! CEL cost of each expression for the longest URL admitted.
//!
//! Needs `cargo xtask policies build` (run by `cargo xtask test`) first, for the waPC
//! leg.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

mod common;

use std::sync::OnceLock;

use catalyst_guard::objects;
use catalyst_guard_kubewarden::settings::{Config, Settings};
use catalyst_guard_kubewarden::twins;
use common::harness::{Cluster, Policy, wasm_path};
use common::twins::{TwinRule, params_for, rules_from, verdict};
use serde_json::{Value, json};

fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let path = wasm_path().unwrap_or_else(|e| panic!("{e}"));
        Policy::load(&path).unwrap_or_else(|e| panic!("cannot load {}: {e:#}", path.display()))
    })
}

/// The settings every case runs under.
fn scenarios() -> Vec<(&'static str, Value)> {
    vec![
        ("defaults", json!({})),
        (
            "extra provider and region",
            json!({"locationCodes": {"providers": {"v": "Vultr"},
                   "regions": {"v": {"f": "Frankfurt"}, "a": {"e": "eu-central-1"}}}}),
        ),
        (
            "org allow-list",
            json!({"allowedOrgs": ["openova", "acme-labs"]}),
        ),
        (
            "exempt namespace",
            json!({"exemptNamespaces": ["legacy", "kube-system"]}),
        ),
        ("another chart pattern", json!({"chartPattern": "cert-*"})),
        (
            "everything at once",
            json!({"locationCodes": {"regions": {"a": {"e": "eu-central-1"}}},
                   "allowedOrgs": ["openova"], "exemptNamespaces": ["legacy"],
                   "chartPattern": "bp-?lux"}),
        ),
    ]
}

fn request(kind: (&str, &str, &str), namespace: &str, spec: Value) -> Value {
    let (group, version, kind) = kind;
    json!({
        "uid": "1",
        "operation": "CREATE",
        "kind": {"group": group, "version": version, "kind": kind},
        "namespace": namespace,
        "object": {"apiVersion": format!("{group}/{version}"), "kind": kind,
                   "metadata": {"name": "x", "namespace": namespace}, "spec": spec},
        "oldObject": null,
    })
}

const GITREPO: (&str, &str, &str) = ("source.toolkit.fluxcd.io", "v1", "GitRepository");
const HELMRELEASE: (&str, &str, &str) = ("helm.toolkit.fluxcd.io", "v2", "HelmRelease");
const KUSTOMIZATION: (&str, &str, &str) = ("kustomize.toolkit.fluxcd.io", "v1", "Kustomization");

fn url_request(url: &str, namespace: &str) -> Value {
    request(GITREPO, namespace, json!({"url": url}))
}

/// Every request the scenarios judge: the twin fixtures of `test_data/`, and tables
/// probing each setting.
fn requests() -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = common::cases()
        .into_iter()
        .filter(|c| c.twins)
        .map(|c| (c.name.clone(), c.request_json()))
        .collect();
    let urls = [
        "https://gitea.hfmp.openova.io/openova/flux.git",
        "https://gitea.aemp.openova.io/openova/flux.git",
        "https://gitea.vfmd.openova.io/openova/flux.git",
        "https://gitea.afrp.openova.io/openova/flux.git",
        "https://gitea.hfmp.openova.io/acme-labs/flux.git",
        "https://gitea.hfmp.openova.io/evil/flux.git",
        "https://gitea.hfmp.openova.io/Evil/flux.git",
        "http://gitea.hfmp.openova.io/openova/flux.git",
        "https://gitea.hfmp.${SOVEREIGN_DOMAIN}/openova/flux.git",
        "https://gitea.aemp.openova.io/<org>/flux.git",
        "https://github.com/openova/flux.git",
    ];
    for url in urls {
        for ns in ["flux-system", "legacy"] {
            out.push((format!("url {url} in {ns}"), url_request(url, ns)));
        }
    }
    let pins = [
        Some("1.2.3"),
        Some("v1.2.3"),
        Some("=1.2.3"),
        Some(" 1.2.3"),
        Some("1.2"),
        Some(">=1.0.0"),
        Some("*"),
        Some("==1.2.3"),
        Some("${BP_VERSION}"),
        None,
    ];
    for chart in ["bp-flux", "bp-velero", "cert-manager", "./charts/bp-x"] {
        for pin in pins {
            for ns in ["flux-system", "legacy"] {
                let mut spec = json!({"chart": chart});
                if let Some(p) = pin {
                    spec["version"] = p.into();
                }
                out.push((
                    format!("pin {chart} {pin:?} in {ns}"),
                    request(HELMRELEASE, ns, json!({"chart": {"spec": spec}})),
                ));
            }
        }
    }
    for provider in [Some("sops"), Some("SOPS"), Some("vault"), None] {
        for ns in ["flux-system", "legacy"] {
            let spec = match provider {
                Some(p) => json!({"decryption": {"provider": p}}),
                None => json!({}),
            };
            out.push((
                format!("decryption {provider:?} in {ns}"),
                request(KUSTOMIZATION, ns, spec),
            ));
        }
    }
    out
}

fn code_of(message: Option<&str>) -> Option<String> {
    message.map(|m| m.split(' ').next().unwrap_or_default().to_string())
}

fn kubewarden_native(settings: &Value, request: &Value) -> Option<String> {
    common::native_verdict(settings, request)
}

fn kubewarden_wasm(settings: &Value, request: &Value) -> Option<String> {
    let payload = json!({"settings": settings, "request": request});
    let instance = policy()
        .instantiate(Cluster::with(Default::default()))
        .expect("instantiates");
    let response = instance
        .validate(&serde_json::to_vec(&payload).expect("json"))
        .expect("validate");
    if response.accepted {
        None
    } else {
        code_of(response.message.as_deref())
    }
}

/// The core's object rules on the request's object, or `None` when the case is one
/// where admission deliberately differs (an UPDATE, which admission judges against
/// the old object; a template stand-in, which the core accepts in a repository and
/// admission rejects in a live object).
fn core(cfg: &Config, request: &Value) -> Option<Option<String>> {
    let object = &request["object"];
    let text = object.to_string();
    if request["operation"] != "CREATE" || text.contains('$') || text.contains('<') {
        return None;
    }
    let namespace = request["namespace"].as_str().unwrap_or_default();
    if cfg.is_exempt(namespace) {
        return Some(None);
    }
    let at = |p: &str| object.pointer(p).and_then(Value::as_str);
    let s = cfg.object_settings();
    let findings = match request["kind"]["kind"].as_str().unwrap_or_default() {
        "GitRepository" => objects::git_repository_url("x", at("/spec/url"), &s),
        "HelmRelease" => objects::helm_release_pin(
            "x",
            at("/spec/chart/spec/chart"),
            at("/spec/chart/spec/version"),
            object.pointer("/spec/chartRef").is_some(),
            &s,
        ),
        "Kustomization" => objects::kustomization_decryption("x", at("/spec/decryption/provider")),
        other => panic!("no object rule for {other}"),
    };
    Some(findings.first().map(|f| f.rule.code.to_string()))
}

#[test]
fn every_engine_gives_the_same_verdict_under_every_settings() {
    let rules = common::twins::rules();
    let requests = requests();
    let mut compared = 0;
    for (scenario, settings) in scenarios() {
        let cfg = Settings::parse(settings.to_string().as_bytes()).expect("valid settings");
        let params = params_for(&settings);
        let mut rejected = 0;
        for (name, request) in &requests {
            let want = kubewarden_native(&settings, request);
            let at = format!("{scenario}: {name}");
            assert_eq!(kubewarden_wasm(&settings, request), want, "wasm: {at}");
            for source in ["vap", "kyverno"] {
                assert_eq!(
                    verdict(&rules, source, request, &params),
                    want,
                    "{source}: {at}"
                );
            }
            if let Some(core) = core(&cfg, request) {
                assert_eq!(core, want, "core object rules: {at}");
            }
            rejected += usize::from(want.is_some());
            compared += 1;
        }
        assert!(
            rejected > 10,
            "{scenario}: only {rejected} rejections, the table tests little"
        );
    }
    assert!(compared > 600, "only {compared} comparisons");
}

#[test]
fn each_setting_changes_the_verdict_it_should() {
    let rules = common::twins::rules();
    // (settings, request, verdict under defaults, verdict under the settings)
    let table = [
        (
            json!({"locationCodes": {"regions": {"a": {"e": "eu-central-1"}}}}),
            url_request(
                "https://gitea.aemp.openova.io/openova/flux.git",
                "flux-system",
            ),
        ),
        (
            json!({"allowedOrgs": ["acme-labs"]}),
            url_request(
                "https://gitea.hfmp.openova.io/openova/flux.git",
                "flux-system",
            ),
        ),
        (
            json!({"exemptNamespaces": ["legacy"]}),
            url_request("http://gitea.hfmp.openova.io/openova/flux.git", "legacy"),
        ),
        (
            json!({"chartPattern": "cert-*"}),
            request(
                HELMRELEASE,
                "flux-system",
                json!({"chart": {"spec": {"chart": "cert-manager", "version": "*"}}}),
            ),
        ),
    ];
    for (settings, request) in table {
        let before = kubewarden_native(&json!({}), &request);
        let after = kubewarden_native(&settings, &request);
        assert_ne!(before, after, "{settings}: the setting does not matter");
        for source in ["vap", "kyverno"] {
            assert_eq!(
                verdict(&rules, source, &request, &params_for(&json!({}))),
                before,
                "{source}"
            );
            assert_eq!(
                verdict(&rules, source, &request, &params_for(&settings)),
                after,
                "{source}: {settings}"
            );
        }
    }
}

/// The operator's story: one line in the one settings file, one `gen-policies`, and
/// the Kubewarden policy, the ValidatingAdmissionPolicy and Kyverno all admit a Gitea
/// URL in the new region (and all three rejected it before).
#[test]
fn adding_a_region_once_in_the_settings_file_admits_it_in_all_three_engines() {
    let url = url_request(
        "https://gitea.aemp.openova.io/openova/flux.git",
        "flux-system",
    );
    let base = std::fs::read_to_string(common::twins::root().join(twins::SETTINGS_PATH))
        .expect("settings file");
    let added = format!("{base}locationCodes:\n  regions:\n    a:\n      e: eu-central-1\n");
    for (text, admitted) in [(base.as_str(), false), (added.as_str(), true)] {
        let files = twins::files("settings.yaml", text, &[]).unwrap_or_else(|e| panic!("{e}"));
        let file = |path: &str| {
            files
                .iter()
                .find(|f| f.path == path)
                .map(|f| f.text.clone())
                .expect("generated")
        };
        let cap = common::twins::docs(&file("deploy/admission/clusteradmissionpolicy.yaml"));
        let mut settings = cap[0]["spec"]["settings"].clone();
        // Lockstep needs the cluster; a GitRepository never asks it.
        assert_eq!(settings["contextAware"], true);
        settings["contextAware"] = false.into();
        let params = common::twins::docs(&file("deploy/admission/params.yaml")).remove(0);
        let rules: Vec<TwinRule> = rules_from(
            &file("policies/kyverno/clusterpolicy.yaml"),
            &file("policies/vap/policies.yaml"),
        );
        let kubewarden = kubewarden_wasm(&settings, &url);
        let vap = verdict(&rules, "vap", &url, &params);
        let kyverno = verdict(&rules, "kyverno", &url, &params);
        for (engine, got) in [
            ("kubewarden", &kubewarden),
            ("vap", &vap),
            ("kyverno", &kyverno),
        ] {
            assert_eq!(
                got.is_none(),
                admitted,
                "{engine} with region added: {admitted}"
            );
        }
    }
}

/// A tiny deterministic generator (no dependency needed for a test's shuffling).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// One mutation of a URL.
fn mutate(url: &str, which: usize, rng: &mut Lcg) -> String {
    let label63 = "a".repeat(63);
    let label64 = "a".repeat(64);
    match which {
        0 => url.to_ascii_uppercase(),
        1 => {
            let i = rng.next(url.len());
            let mut s = url.to_string();
            if let Some(c) = s.get(i..=i).map(str::to_ascii_uppercase) {
                s.replace_range(i..=i, &c);
            }
            s
        }
        2 => url.replacen(".io/", ".io:443/", 1),
        3 => url.replacen(".io/", ".io:8443/", 1),
        4 => url.replacen("https://", "https://user@", 1),
        5 => url.replacen("https://", "https://user:token@", 1),
        6 => format!("{url}?ref=main"),
        7 => format!("{url}#main"),
        8 => url.replacen(".io/", ".io//", 1),
        9 => url.replacen(".git", "//x.git", 1),
        10 => url.replacen("openova.io", &format!("{label63}.io"), 1),
        11 => url.replacen("openova.io", &format!("{label64}.io"), 1),
        12 => url.replacen("openova.io", "xn--bcher-kva.de", 1),
        13 => url.replacen("openova.io", "bücher.de", 1),
        14 => url.replacen(".io/", ".io./", 1),
        15 => url.replacen("https://", "http://", 1),
        16 => url.replacen("https://", "ssh://git@", 1),
        17 => format!(" {url}"),
        18 => format!("{url}/"),
        19 => url.replacen(".git", "", 1),
        20 => url.replacen("/openova/", "/ab/", 1),
        21 => url.replacen("/openova/", &format!("/a{}/", "b".repeat(31)), 1),
        22 => url.replacen("/openova/", &format!("/a{}/", "b".repeat(30)), 1),
        23 => url.replacen("/openova/", "/1bc/", 1),
        24 => url.replacen("/flux.git", "/..git", 1),
        25 => url.replacen("/flux.git", "/A_b-c.d.git", 1),
        26 => url.replacen("gitea.", "gitea2.", 1),
        27 => url.replacen("gitea.hfmp.", "gitea.", 1),
        28 => url.replacen(
            "hfmp",
            ["hfrp", "hfdp", "hfmx", "aemp", "cemp", "oymu"][rng.next(6)],
            1,
        ),
        29 => url.replacen("openova.io", "-x.io", 1),
        30 => url.replacen("openova.io", "x-.io", 1),
        31 => url.replacen("openova.io", "a.b.c.d.e", 1),
        32 => url.replacen("openova.io", "io", 1),
        33 => format!("{url}\n"),
        34 => url.replacen("/flux.git", "/flux.git.git", 1),
        35 => url.replacen("https://", "HTTPS://", 1),
        _ => url.to_string(),
    }
}

const MUTATIONS: usize = 36;

#[test]
fn core_and_cel_agree_on_thousands_of_mutated_urls() {
    let rules = common::twins::rules();
    let bases = [
        "https://gitea.hfmp.openova.io/openova/flux.git",
        "https://gitea.wrmc.openova.io/ministry/apps.git",
        "https://gitea.oymu.openova.io/abc/x.git",
        "https://gitea.cemd.openova.io/a-b/r.git",
        "https://gitea.aemp.openova.io/openova/flux.git",
    ];
    let mut rng = Lcg(0x5eed);
    let mut urls = Vec::new();
    for base in bases {
        for a in 0..MUTATIONS {
            let once = mutate(base, a, &mut rng);
            urls.push(once.clone());
            for b in 0..MUTATIONS {
                urls.push(mutate(&once, b, &mut rng));
            }
        }
    }
    for _ in 0..4000 {
        let mut url = bases[rng.next(bases.len())].to_string();
        for _ in 0..2 + rng.next(3) {
            url = mutate(&url, rng.next(MUTATIONS), &mut rng);
        }
        urls.push(url);
    }
    urls.sort();
    urls.dedup();
    assert!(urls.len() > 3000, "only {} distinct URLs", urls.len());
    for (name, settings) in [
        ("defaults", json!({})),
        (
            "region and orgs",
            json!({"locationCodes": {"regions": {"a": {"e": "eu-central-1"}}}, "allowedOrgs": ["openova", "abc"]}),
        ),
    ] {
        let cfg = Settings::parse(settings.to_string().as_bytes()).expect("valid");
        let params = params_for(&settings);
        let mut disagree = Vec::new();
        let mut admitted = 0;
        for url in &urls {
            let core =
                objects::git_repository_url("x", Some(url), &cfg.object_settings()).is_empty();
            let cel = verdict(&rules, "vap", &url_request(url, "flux-system"), &params).is_none();
            admitted += usize::from(core);
            if core != cel {
                disagree.push(format!("{url:?}: core {core}, cel {cel}"));
            }
        }
        assert!(
            disagree.is_empty(),
            "{name}: {} disagreements:\n{}",
            disagree.len(),
            disagree.join("\n")
        );
        assert!(
            admitted > 50,
            "{name}: only {admitted} admitted URLs, the differential tests little"
        );
    }
}

/// Kubernetes' per-expression runtime cost limit (`celconfig.PerCallLimit`).
const PER_CALL_LIMIT: u64 = 1_000_000;

/// cel-go's runtime cost factors (`common.StringTraversalCostFactor`,
/// `common.RegexStringLengthCostFactor`).
const STRING_TRAVERSAL: f64 = 0.1;
const REGEX_LENGTH: f64 = 0.25;

/// The argument of the call whose `(` is at `open`: the text up to the matching `)`.
fn argument(text: &str, open: usize) -> &str {
    let mut depth = 0;
    let mut quoted = false;
    for (i, c) in text[open..].char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return &text[open + 1..open + i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced call in {text}")
}

/// The longest a string operand can be: a literal's length, a param's value, and any
/// object or request field at `field_max`.
fn operand_size(operand: &str, params: &Value, field_max: u64) -> u64 {
    let mut size = 0;
    for (i, part) in operand.split('\'').enumerate() {
        if i % 2 == 1 {
            size += part.len() as u64;
            continue;
        }
        for word in part.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_')) {
            if let Some(key) = word.strip_prefix("params.data.") {
                size += params["data"][key].as_str().map_or(0, |s| s.len() as u64);
            } else if word.starts_with("object.")
                || word.starts_with("request.")
                || word.starts_with("oldObject.")
            {
                size += field_max;
            }
        }
    }
    size
}

/// An upper bound of an expression's runtime cost under cel-go's cost model: every
/// operation counted as if evaluated (no short-circuit), string functions by the
/// sizes of their operands, other calls, selections and comparisons at 1 each.
fn cost_bound(expression: &str, params: &Value, field_max: u64) -> u64 {
    let traverse = |n: u64| ((1 + n) as f64 * STRING_TRAVERSAL).ceil() as u64;
    let mut cost = 0;
    for (at, _) in expression.match_indices(".matches(") {
        let receiver_start = expression[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
            .map_or(0, |i| i + 1);
        let receiver = operand_size(&expression[receiver_start..at], params, field_max);
        let regex = operand_size(
            argument(expression, at + ".matches".len()),
            params,
            field_max,
        );
        cost += traverse(receiver) * (regex as f64 * REGEX_LENGTH).ceil() as u64;
        // Building the pattern by concatenation traverses it once more.
        cost += traverse(regex);
    }
    for (at, _) in expression.match_indices(".contains(") {
        let receiver = operand_size(
            expression[..at].rsplit("(").next().unwrap_or_default(),
            params,
            field_max,
        );
        let needle = operand_size(
            argument(expression, at + ".contains".len()),
            params,
            field_max,
        );
        cost += traverse(receiver) * traverse(needle) + traverse(receiver) + traverse(needle);
    }
    // Equality of two fields traverses the shorter one.
    cost += expression.matches(" == ").count() as u64 * traverse(field_max);
    // Every other token: selections, has(), size(), logical operators, literals.
    cost += expression.split_whitespace().count() as u64 * 4;
    cost
}

#[test]
fn every_expression_stays_within_the_per_call_cost_limit_for_the_longest_url() {
    // The largest settings an operator plausibly writes: every letter a provider
    // with every letter a region, fifty orgs, a hundred exempt namespaces.
    let letters: Vec<String> = ('a'..='z').map(String::from).collect();
    let regions: serde_json::Map<String, Value> = letters
        .iter()
        .map(|r| (r.clone(), Value::from(format!("region {r}"))))
        .collect();
    let providers: serde_json::Map<String, Value> = letters
        .iter()
        .map(|p| (p.clone(), Value::from(format!("provider {p}"))))
        .collect();
    let all_regions: serde_json::Map<String, Value> = letters
        .iter()
        .map(|p| (p.clone(), Value::Object(regions.clone())))
        .collect();
    let orgs: Vec<String> = (0..50).map(|i| format!("org-number-{i:04}")).collect();
    let namespaces: Vec<String> = (0..100).map(|i| format!("namespace-{i:04}")).collect();
    let settings = json!({
        "locationCodes": {"providers": providers, "regions": all_regions},
        "allowedOrgs": orgs, "exemptNamespaces": namespaces, "chartPattern": "bp-*",
    });
    let params = params_for(&settings);
    let field_max = objects::MAX_URL_BYTES as u64;
    for rule in common::twins::rules() {
        let cost = cost_bound(&rule.expression_text, &params, field_max);
        assert!(
            cost < PER_CALL_LIMIT,
            "{} {}: cost bound {cost} exceeds the per-call limit {PER_CALL_LIMIT}",
            rule.source,
            rule.kind
        );
        assert!(
            cost > 100,
            "{} {}: the estimate counted nothing ({cost})",
            rule.source,
            rule.kind
        );
    }
    // And the model is not blind: an unbounded URL (a 3 MiB request) would exceed it.
    let url = common::twins::rules()
        .into_iter()
        .find(|r| r.kind == "GitRepository")
        .expect("URL rule");
    assert!(cost_bound(&url.expression_text, &params, 3 * 1024 * 1024) > PER_CALL_LIMIT);
}
