//! The browser API as plain Rust: validated inputs in, JSON values out.
//!
//! Everything the exports decide lives here, on ordinary Rust types, so native unit
//! tests cover it and the wasm-bindgen layer in `lib.rs` only converts `JsValue`s.
//! Each function wraps the core without re-deciding anything: `lint` returns exactly
//! what `catalyst-guard lint --format json` prints, and URL and location-code answers
//! come from `catalyst_guard::naming`, so the browser and the CLI cannot disagree.

use std::fmt;

use catalyst_guard::lint::{self, Config, RULES, SourceFile, render};
use catalyst_guard::naming::location::{BUILDING_BLOCKS, ENV_TYPES, MANAGEMENT};
use catalyst_guard::naming::url::is_valid_org;
use catalyst_guard::naming::{Location, LocationTable, check_gitea_url, is_stand_in};
use catalyst_guard::objects;
use serde_json::{Value, json};

/// Bad input from the caller, naming the field it concerns (`files[2].text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The argument or property, as a JS caller would write it (`files[0].path`).
    pub field: String,
    /// What is wrong: lowercase, one clause, the offending value in backticks.
    pub message: String,
}

impl FieldError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.field, self.message)
    }
}

/// How the caller gave the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// The text of a `.catalyst-guard.yaml`.
    Yaml(String),
    /// A plain object, as `JSON.stringify` wrote it (JSON is YAML, so the core's
    /// parser reads it and the same validation applies).
    Object(String),
}

/// The effective configuration: the defaults, or the caller's parsed by the core.
///
/// Errors name the field: `config.rules.CG099` for an object (positions in a
/// stringified object would mean nothing to the caller), `config` plus line:column and
/// the core's field for YAML text.
pub fn parse_config(source: Option<&ConfigSource>) -> Result<Config, FieldError> {
    match source {
        None => Ok(Config::default()),
        Some(ConfigSource::Yaml(text)) => Config::parse(text).map_err(|e| {
            FieldError::new(
                "config",
                format!("{}:{}: `{}`: {}", e.line, e.col, e.field, e.message),
            )
        }),
        Some(ConfigSource::Object(json)) => Config::parse(json).map_err(|e| {
            let field = if e.field.starts_with('(') {
                "config".to_string()
            } else {
                format!("config.{}", e.field)
            };
            FieldError::new(field, e.message)
        }),
    }
}

/// Checks the file set a caller handed over: paths must be root-relative, `/`-separated
/// and unique, because every rule keys on them (a lone `blueprint.yaml` is not
/// `platform/<name>/blueprint.yaml`) and a repeated path would make findings ambiguous.
pub fn check_files(files: &[SourceFile]) -> Result<(), FieldError> {
    let mut seen = std::collections::HashMap::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let field = || format!("files[{i}].path");
        let path = file.path.as_str();
        if path.is_empty() {
            return Err(FieldError::new(field(), "is empty"));
        }
        if path.starts_with('/') || path.contains('\\') {
            return Err(FieldError::new(
                field(),
                format!(
                    "`{path}` is not a root-relative `/`-separated path (e.g. `platform/flux/blueprint.yaml`)"
                ),
            ));
        }
        if path
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(FieldError::new(
                field(),
                format!("`{path}` has an empty, `.` or `..` segment"),
            ));
        }
        if let Some(first) = seen.insert(path, i) {
            return Err(FieldError::new(
                field(),
                format!("`{path}` repeats `files[{first}].path`"),
            ));
        }
    }
    Ok(())
}

/// Lints a file set: the report as `catalyst-guard lint --format json` prints it
/// (schema version 1, paths root-relative).
pub fn lint_json(files: &[SourceFile], config: &Config) -> String {
    render::json(&lint::lint(files, None, config), "")
}

/// A decoded location code as JSON (`hfmp` = Hetzner Falkenstein mgt prod).
pub fn location_json(loc: &Location) -> Value {
    // A decoded code is exactly four characters: provider, region, block, env.
    let chars: Vec<String> = loc.code.chars().map(String::from).collect();
    let at = |i: usize| chars.get(i).cloned().unwrap_or_default();
    json!({
        "code": loc.code,
        "provider": { "code": at(0), "name": loc.provider },
        "region": { "code": at(1), "name": loc.region },
        "buildingBlock": {
            "code": at(2),
            "short": loc.building_block.short,
            "long": loc.building_block.long,
        },
        "env": { "code": at(3), "name": loc.env },
        "description": loc.to_string(),
    })
}

/// Decodes a location code: `{ok, message, location}`.
pub fn decode_json(code: &str, table: &LocationTable) -> Value {
    match table.decode(code) {
        Ok(loc) => json!({ "ok": true, "message": null, "location": location_json(&loc) }),
        Err(e) => json!({ "ok": false, "message": e.to_string(), "location": null }),
    }
}

/// The label of a Gitea URL's host that holds the location code, if the host has one
/// in that place: a four-character label or a stand-in after `gitea.`, with a domain
/// after it. This mirrors where the core's host grammar looks; the verdict on the code
/// stays the core's.
fn location_label(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    let mut labels = host.split('.');
    let (Some("gitea"), Some(code), Some(_domain)) = (labels.next(), labels.next(), labels.next())
    else {
        return None;
    };
    (code.chars().count() == 4 || is_stand_in(code)).then_some(code)
}

/// Checks a Git URL against the canonical Gitea URL (rule CG005):
/// `{ok, code, rule, message, help, locationCode, location}`.
pub fn gitea_url_json(url: &str, table: &LocationTable) -> Value {
    let meta = &catalyst_guard::lint::rules::non_canonical_gitea_url::META;
    let (message, help) = match check_gitea_url(url, table) {
        Ok(()) => (None, None),
        Err(p) => (Some(p.message), Some(p.help)),
    };
    let code = location_label(url);
    let location = code
        .and_then(|c| table.decode(c).ok())
        .map(|l| location_json(&l));
    json!({
        "ok": message.is_none(),
        "code": meta.code,
        "rule": meta.name,
        "message": message,
        "help": help,
        "locationCode": code,
        "location": location,
    })
}

/// Judges one Kubernetes object (as parsed JSON) with the core's object rules, the
/// same functions the linter and the admission policy call: GitRepository URL (CG005),
/// HelmRelease pin (CG004), Kustomization decryption (CG008), Blueprint version
/// (CG012). Other kinds have no object rule and get no findings. Returns
/// `{kind, findings: [{code, rule, field, value, message, help}]}`.
pub fn object_findings_json(object: &Value, config: &Config) -> Result<Value, FieldError> {
    let field_str = |key: &str| -> Result<&str, FieldError> {
        object
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| FieldError::new(format!("object.{key}"), "expected a string"))
    };
    let kind = field_str("kind")?;
    let api_version = field_str("apiVersion")?;
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let at = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
    let subject = format!("{kind} `{}`", at("/metadata/name").unwrap_or("(unnamed)"));
    let settings = objects::Settings::new(&config.locations);
    let findings = match (group, kind) {
        ("source.toolkit.fluxcd.io", "GitRepository") => {
            objects::git_repository_url(&subject, at("/spec/url"), &settings)
        }
        ("helm.toolkit.fluxcd.io", "HelmRelease") => objects::helm_release_pin(
            &subject,
            at("/spec/chart/spec/chart"),
            at("/spec/chart/spec/version"),
            object
                .pointer("/spec/chartRef")
                .is_some_and(|r| !r.is_null()),
            &settings,
        ),
        ("kustomize.toolkit.fluxcd.io", "Kustomization") => {
            objects::kustomization_decryption(&subject, at("/spec/decryption/provider"))
        }
        ("catalyst.openova.io", "Blueprint") => {
            objects::blueprint_version(&subject, at("/spec/version"))
        }
        _ => Vec::new(),
    };
    let findings: Vec<Value> = findings
        .iter()
        .map(|f| {
            json!({
                "code": f.rule.code,
                "rule": f.rule.name,
                "field": f.field,
                "value": f.value,
                "message": f.message,
                "help": f.help,
            })
        })
        .collect();
    Ok(json!({ "kind": kind, "findings": findings }))
}

/// The parts of a canonical Gitea URL, as the caller gave them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// Four-character location code (building block `m`), or a stand-in.
    pub location_code: String,
    /// The Sovereign's domain (`openova.io`), or a stand-in.
    pub domain: String,
    /// Gitea org.
    pub org: String,
    /// Repository name, with or without `.git`.
    pub repo: String,
}

/// Builds `https://gitea.<location-code>.<domain>/<org>/<repo>.git`, rejecting any
/// part the core's grammar rejects with an error naming that part.
///
/// Each part is judged by the core on its own (the others replaced by placeholders),
/// so the error names the part at fault rather than the whole URL; the assembled URL is
/// then checked once more, so the builder can never hand out a URL the checker refuses.
pub fn canonical_gitea_url(parts: &UrlParts, table: &LocationTable) -> Result<String, FieldError> {
    let probe = |url: String| check_gitea_url(&url, table).is_ok();
    let code = parts.location_code.as_str();
    if !is_stand_in(code) {
        match table.decode(code) {
            Err(e) => return Err(FieldError::new("locationCode", e.to_string())),
            Ok(loc) if loc.building_block.code != MANAGEMENT => {
                let fixed: String = code
                    .chars()
                    .enumerate()
                    .map(|(i, c)| if i == 2 { MANAGEMENT } else { c })
                    .collect();
                return Err(FieldError::new(
                    "locationCode",
                    format!("`{code}` = {loc}: Gitea runs on mgt (use `{fixed}`)"),
                ));
            }
            Ok(_) => {}
        }
    }
    let domain = parts.domain.as_str();
    if !probe(format!(
        "https://gitea.<location-code>.{domain}/<org>/<repo>.git"
    )) {
        return Err(FieldError::new(
            "domain",
            format!(
                "`{domain}` is not a domain of lowercase DNS labels (or `${{VAR}}` / `<placeholder>` stand-ins)"
            ),
        ));
    }
    let org = parts.org.as_str();
    if !(is_stand_in(org) || is_valid_org(org)) {
        return Err(FieldError::new(
            "org",
            format!("`{org}` does not match `^[a-z][a-z0-9-]{{2,31}}$`"),
        ));
    }
    let repo = parts.repo.strip_suffix(".git").unwrap_or(&parts.repo);
    if !probe(format!(
        "https://gitea.<location-code>.<sovereign-domain>/<org>/{repo}.git"
    )) {
        return Err(FieldError::new(
            "repo",
            format!("`{repo}` is not a repository name (letters, digits, `-`, `_`, `.`)"),
        ));
    }
    let url = format!("https://gitea.{code}.{domain}/{org}/{repo}.git");
    match check_gitea_url(&url, table) {
        Ok(()) => Ok(url),
        // Unreachable while the probes above mirror the grammar; if the core's grammar
        // grows a rule they miss, say what the core says rather than hand out the URL.
        Err(p) => Err(FieldError::new("parts", p.message)),
    }
}

/// Every rule: `{code, name, defaultSeverity, summary, docs}` in code order.
pub fn rules_json() -> Value {
    RULES
        .iter()
        .map(|r| {
            json!({
                "code": r.code,
                "name": r.name,
                "defaultSeverity": r.default_severity.as_str(),
                "summary": r.summary,
                "docs": r.docs(),
            })
        })
        .collect()
}

/// The location-code table the pickers offer: providers with their regions (defaults
/// plus configured ones), building blocks, env types, and the block Gitea runs on.
pub fn location_table_json(table: &LocationTable) -> Value {
    json!({
        "providers": table.providers().iter().map(|p| json!({
            "code": p.code.to_string(),
            "name": p.name,
            "regions": p.regions.iter().map(|(c, n)| json!({ "code": c.to_string(), "name": n })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "buildingBlocks": BUILDING_BLOCKS.iter().map(|b| json!({
            "code": b.code.to_string(), "short": b.short, "long": b.long,
        })).collect::<Vec<_>>(),
        "envTypes": ENV_TYPES.iter().map(|(c, n)| json!({ "code": c.to_string(), "name": n })).collect::<Vec<_>>(),
        "management": MANAGEMENT.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> LocationTable {
        LocationTable::default()
    }

    fn parts(code: &str, domain: &str, org: &str, repo: &str) -> UrlParts {
        UrlParts {
            location_code: code.into(),
            domain: domain.into(),
            org: org.into(),
            repo: repo.into(),
        }
    }

    #[test]
    fn every_management_code_in_the_table_builds_a_url_the_checker_accepts() {
        let t = table();
        let mut built = 0;
        for p in t.providers() {
            for (r, _) in &p.regions {
                for (e, _) in ENV_TYPES {
                    let code = format!("{}{r}{MANAGEMENT}{e}", p.code);
                    let url =
                        canonical_gitea_url(&parts(&code, "openova.io", "openova", "flux"), &t)
                            .expect("a management code builds");
                    assert_eq!(
                        url,
                        format!("https://gitea.{code}.openova.io/openova/flux.git")
                    );
                    assert_eq!(check_gitea_url(&url, &t), Ok(()), "{url}");
                    built += 1;
                }
            }
        }
        assert_eq!(
            built,
            16 * ENV_TYPES.len(),
            "16 regions in the default table"
        );
    }

    #[test]
    fn stand_ins_and_a_git_suffix_are_accepted_by_the_builder() {
        let url = canonical_gitea_url(
            &parts(
                "${LOCATION_CODE}",
                "${SOVEREIGN_DOMAIN}",
                "<org>",
                "app.git",
            ),
            &table(),
        )
        .expect("stand-ins are legal");
        assert_eq!(
            url,
            "https://gitea.${LOCATION_CODE}.${SOVEREIGN_DOMAIN}/<org>/app.git"
        );
    }

    #[test]
    fn the_builder_names_the_part_at_fault() {
        let t = table();
        let field = |p: UrlParts| canonical_gitea_url(&p, &t).expect_err("must fail").field;
        let e = canonical_gitea_url(&parts("hfrp", "openova.io", "openova", "flux"), &t)
            .expect_err("rtz is not where Gitea runs");
        assert_eq!(e.field, "locationCode");
        assert_eq!(
            e.message,
            "`hfrp` = Hetzner Falkenstein rtz prod: Gitea runs on mgt (use `hfmp`)"
        );
        assert_eq!(
            field(parts("hxmp", "openova.io", "openova", "flux")),
            "locationCode"
        );
        assert_eq!(
            field(parts("", "openova.io", "openova", "flux")),
            "locationCode"
        );
        for domain in [
            "",
            "Openova.io",
            "openova.io/evil",
            "a@b.io",
            "openova.io:443",
            "x..io",
            "a.io?x",
        ] {
            assert_eq!(
                field(parts("hfmp", domain, "openova", "flux")),
                "domain",
                "{domain}"
            );
        }
        for org in ["ab", "Openova", "1abc", "a/b"] {
            assert_eq!(
                field(parts("hfmp", "openova.io", org, "flux")),
                "org",
                "{org}"
            );
        }
        for repo in ["", "a/b", "a b", "x?y", ".git"] {
            assert_eq!(
                field(parts("hfmp", "openova.io", "openova", repo)),
                "repo",
                "{repo}"
            );
        }
    }

    #[test]
    fn the_url_check_decodes_the_code_it_saw() {
        let v = gitea_url_json("https://gitea.hfrp.openova.io/openova/flux.git", &table());
        assert_eq!(v["ok"], false);
        assert_eq!(v["code"], "CG005");
        assert_eq!(v["locationCode"], "hfrp");
        assert_eq!(v["location"]["description"], "Hetzner Falkenstein rtz prod");
        assert_eq!(v["location"]["buildingBlock"]["code"], "r");
        assert_eq!(
            v["help"],
            "use `https://gitea.hfmp.openova.io/openova/flux.git`"
        );
        let v = gitea_url_json("https://gitea.hfmp.openova.io/openova/flux.git", &table());
        assert_eq!(v["ok"], true);
        assert_eq!(v["message"], Value::Null);
        assert_eq!(v["location"]["env"]["name"], "prod");
    }

    #[test]
    fn the_location_label_is_read_where_the_core_reads_it() {
        for (url, want) in [
            ("https://gitea.hfmp.openova.io/a/b.git", Some("hfmp")),
            (
                "http://user:pw@gitea.hxmp.openova.io:3000/a/b.git",
                Some("hxmp"),
            ),
            (
                "https://gitea.${LOCATION_CODE}.x.io/a/b.git",
                Some("${LOCATION_CODE}"),
            ),
            ("https://gitea.openova.io/a/b.git", None),
            ("https://gitea.hfmp/a/b.git", None),
            ("https://github.com/a/b.git", None),
            ("not a url", None),
            ("", None),
        ] {
            assert_eq!(location_label(url), want, "{url}");
        }
    }

    #[test]
    fn config_errors_name_the_field() {
        let yaml = ConfigSource::Yaml("rules:\n  CG099: off\n".into());
        let e = parse_config(Some(&yaml)).expect_err("unknown rule");
        assert_eq!(e.field, "config");
        assert!(
            e.to_string()
                .starts_with("`config`: 2:3: `rules.CG099`: unknown rule"),
            "{e}"
        );
        let object = ConfigSource::Object(r#"{"rules":{"CG099":"off"}}"#.into());
        let e = parse_config(Some(&object)).expect_err("unknown rule");
        assert_eq!(e.field, "config.rules.CG099");
        let e = parse_config(Some(&ConfigSource::Object("[1]".into()))).expect_err("not a map");
        assert_eq!(e.field, "config");
        let ok = ConfigSource::Object(r#"{"rules":{"retired-term":false}}"#.into());
        let c = parse_config(Some(&ok)).expect("valid");
        assert!(!c.is_enabled(&catalyst_guard::lint::rules::retired_term::META));
    }

    #[test]
    fn file_paths_must_be_root_relative_and_unique() {
        let f = |p: &str| SourceFile::new(p, "");
        assert_eq!(
            check_files(&[f("platform/a/blueprint.yaml"), f("b.md")]),
            Ok(())
        );
        for bad in [
            "",
            "/etc/x.yaml",
            "a\\b.yaml",
            "a//b.yaml",
            "./a.yaml",
            "a/../b.yaml",
            "a/",
        ] {
            let e = check_files(&[f("ok.yaml"), f(bad)]).expect_err(bad);
            assert_eq!(e.field, "files[1].path", "{bad}");
        }
        let e = check_files(&[f("a.yaml"), f("b.yaml"), f("a.yaml")]).expect_err("repeat");
        assert_eq!(
            e.to_string(),
            "`files[2].path`: `a.yaml` repeats `files[0].path`"
        );
    }

    #[test]
    fn lint_json_is_the_cli_json_document() {
        let files = [SourceFile::new(
            "clusters/x/gitrepository.yaml",
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: x\nspec:\n  url: http://gitea.hfmp.openova.io/openova/x.git\n",
        )];
        let config = Config::default();
        let report = lint::lint(&files, None, &config);
        assert_eq!(lint_json(&files, &config), render::json(&report, ""));
        let v: Value = serde_json::from_str(&lint_json(&files, &config)).expect("json");
        assert_eq!(v["findings"][0]["code"], "CG005");
        assert_eq!(v["findings"][0]["line"], 6);
    }

    #[test]
    fn rules_and_table_come_from_the_core() {
        let rules = rules_json();
        let codes: Vec<&str> = rules
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|r| r["code"].as_str())
            .collect();
        assert_eq!(codes, RULES.iter().map(|r| r.code).collect::<Vec<_>>());
        let mut t = table();
        t.add_provider('v', "Vultr");
        t.add_region('v', 'f', "Frankfurt");
        let v = location_table_json(&t);
        let last = v["providers"]
            .as_array()
            .and_then(|p| p.last())
            .expect("providers");
        assert_eq!(last["regions"][0]["name"], "Frankfurt");
        assert_eq!(
            v["buildingBlocks"].as_array().map(Vec::len),
            Some(BUILDING_BLOCKS.len())
        );
        assert_eq!(v["management"], "m");
        assert_eq!(
            decode_json("vfmd", &t)["location"]["description"],
            "Vultr Frankfurt mgt dev"
        );
        assert_eq!(decode_json("vxmd", &t)["ok"], false);
    }

    #[test]
    fn objects_are_judged_by_the_core_object_rules() {
        let c = Config::default();
        let repo = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "flux"}, "spec": {"url": "http://gitea.hfmp.openova.io/openova/flux.git"}});
        let got = object_findings_json(&repo, &c).expect("valid object");
        assert_eq!(got["findings"][0]["code"], "CG005");
        assert_eq!(got["findings"][0]["field"], "spec.url");
        let table = LocationTable::default();
        let core = objects::git_repository_url(
            "GitRepository `flux`",
            Some("http://gitea.hfmp.openova.io/openova/flux.git"),
            &objects::Settings::new(&table),
        );
        assert_eq!(got["findings"][0]["message"], core[0].message.as_str());
        let hr = json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "x"}, "spec": {"chart": {"spec": {"chart": "bp-x", "version": "v1.2.3"}}}});
        assert_eq!(
            object_findings_json(&hr, &c).expect("valid")["findings"],
            json!([])
        );
        let bp = json!({"apiVersion": "catalyst.openova.io/v1alpha1", "kind": "Blueprint",
            "metadata": {"name": "bp-x"}, "spec": {"version": "1.x"}});
        assert_eq!(
            object_findings_json(&bp, &c).expect("valid")["findings"][0]["code"],
            "CG012"
        );
        let err = object_findings_json(&json!({"kind": 5}), &c).unwrap_err();
        assert_eq!(err.field, "object.kind");
    }
}
