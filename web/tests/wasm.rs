//! The exports as JavaScript sees them, run in wasm under Node by
//! `wasm-bindgen-test-runner` (`cargo xtask web test`).
//!
//! These call the `#[wasm_bindgen]` functions with `JsValue` arguments, so the argument
//! checks, the thrown errors and the JSON round trip are what is tested; the decisions
//! themselves are the core's and are tested natively in `src/api/` and the core.
#![cfg(target_arch = "wasm32")]

use catalyst_guard::lint::{Config, RULES, SourceFile};
use catalyst_guard::naming::LocationTable;
use catalyst_guard::naming::location::{ENV_TYPES, MANAGEMENT};
use catalyst_guard_web::{
    api, canonical_gitea_url, check_gitea_url, decode_location_code, lint_files, location_table,
    rules,
};
use js_sys::{Array, JSON, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

const BAD_REPO: &str = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: platform\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://gitea.hfrp.openova.io/openova/platform.git\n";

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).expect("set on a fresh object");
    }
    o.into()
}

fn file(path: &str, text: &str) -> JsValue {
    obj(&[("path", path.into()), ("text", text.into())])
}

fn files(list: &[(&str, &str)]) -> JsValue {
    list.iter()
        .map(|(p, t)| file(p, t))
        .collect::<Array>()
        .into()
}

fn get(v: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(v.clone(), |v, key| {
        Reflect::get(&v, &JsValue::from_str(key)).expect("property read")
    })
}

fn stringify(v: &JsValue) -> String {
    JSON::stringify(v)
        .expect("stringify")
        .as_string()
        .expect("a string")
}

/// The thrown value's `field` and `message`, asserting it is a real `Error`.
fn thrown(result: Result<impl std::fmt::Debug, JsValue>) -> (String, String) {
    let error = result.expect_err("must throw");
    assert!(
        error.is_instance_of::<js_sys::Error>(),
        "an Error: {error:?}"
    );
    let field = get(&error, "field").as_string().expect("error.field");
    let message = get(&error, "message").as_string().expect("error.message");
    (field, message)
}

#[wasm_bindgen_test]
fn lint_reports_cg005_at_the_url_line_exactly_as_the_core_does() {
    let report = lint_files(
        files(&[(
            "clusters/_template/flux-system/gitrepository.yaml",
            BAD_REPO,
        )]),
        None,
    )
    .expect("lints");
    let finding = get(&report, "findings.0");
    assert_eq!(get(&finding, "code").as_string().as_deref(), Some("CG005"));
    assert_eq!(get(&finding, "line").as_f64(), Some(8.0));
    assert_eq!(get(&finding, "col").as_f64(), Some(8.0));
    let message = get(&finding, "message").as_string().expect("message");
    assert!(
        message.contains("`hfrp` = Hetzner Falkenstein rtz prod: Gitea runs on mgt"),
        "{message}"
    );
    // The same document the core renders, key for key (JSON.parse keeps key order).
    let core = api::lint_json(
        &[SourceFile::new(
            "clusters/_template/flux-system/gitrepository.yaml",
            BAD_REPO,
        )],
        &Config::default(),
    );
    // ... plus the plain-text twins of message and help the browser adds.
    let core = catalyst_guard_web::plain::report_with_plain_text(&core);
    let core: serde_json::Value = serde_json::from_str(&core).expect("core JSON");
    assert_eq!(stringify(&report), core.to_string());
    let text = get(&finding, "messageText")
        .as_string()
        .expect("messageText");
    assert!(
        text.contains("hfrp = Hetzner Falkenstein rtz prod") && !text.contains('`'),
        "{text}"
    );
}

#[wasm_bindgen_test]
fn a_blueprint_with_its_chart_is_checked_for_lockstep() {
    let report = lint_files(
        files(&[
            (
                "platform/flux/blueprint.yaml",
                "apiVersion: catalyst.openova.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: bp-flux\nspec:\n  version: 1.1.4\n",
            ),
            (
                "platform/flux/chart/Chart.yaml",
                "apiVersion: v2\nname: bp-flux\nversion: 1.1.5\n",
            ),
            (
                "platform/flux/chart/values.yaml",
                "global:\n  imageRegistry: \"\"\n",
            ),
        ]),
        None,
    )
    .expect("lints");
    assert_eq!(get(&report, "filesScanned").as_f64(), Some(3.0));
    let codes: Vec<String> = Array::from(&get(&report, "findings"))
        .iter()
        .filter_map(|f| get(&f, "code").as_string())
        .collect();
    assert!(codes.contains(&"CG001".to_string()), "{codes:?}");
}

#[wasm_bindgen_test]
fn malformed_arguments_throw_errors_naming_the_field() {
    let cases: Vec<(JsValue, Option<JsValue>, &str, &str)> = vec![
        (JsValue::from(5), None, "files", "expected an array"),
        (JsValue::NULL, None, "files", "got null"),
        (
            Array::of1(&"x".into()).into(),
            None,
            "files[0]",
            "got a string",
        ),
        (
            Array::of1(&obj(&[("path", 1.into()), ("text", "".into())])).into(),
            None,
            "files[0].path",
            "expected a string, got a number",
        ),
        (
            Array::of2(&file("a.yaml", ""), &obj(&[("path", "b.yaml".into())])).into(),
            None,
            "files[1].text",
            "got undefined",
        ),
        (
            files(&[("a.yaml", ""), ("a.yaml", "")]),
            None,
            "files[1].path",
            "repeats `files[0].path`",
        ),
        (
            files(&[("/abs.yaml", "")]),
            None,
            "files[0].path",
            "root-relative",
        ),
        (files(&[]), Some(7.into()), "config", "got a number"),
        (
            files(&[]),
            Some("rules:\n  CG099: off\n".into()),
            "config",
            "2:3: `rules.CG099`: unknown rule",
        ),
        (
            files(&[]),
            Some(obj(&[("rulez", obj(&[]))])),
            "config.rulez",
            "unknown key",
        ),
    ];
    for (files, config, field, needle) in cases {
        let (got_field, message) = thrown(lint_files(files, config));
        assert_eq!(got_field, field, "{message}");
        assert!(message.contains(needle), "{message} lacks {needle}");
        assert!(message.starts_with(&format!("`{field}`")), "{message}");
    }
    assert_eq!(thrown(check_gitea_url(JsValue::UNDEFINED, None)).0, "url");
    assert_eq!(thrown(decode_location_code(42.into(), None)).0, "code");
    assert_eq!(thrown(canonical_gitea_url("hfmp".into(), None)).0, "parts");
    let missing_repo = obj(&[
        ("locationCode", "hfmp".into()),
        ("domain", "openova.io".into()),
        ("org", "openova".into()),
    ]);
    assert_eq!(thrown(canonical_gitea_url(missing_repo, None)).0, "repo");
    assert_eq!(thrown(location_table(Some(true.into()))).0, "config");
}

#[wasm_bindgen_test]
fn configuration_as_yaml_text_or_object_has_the_same_effect() {
    let input = || files(&[("docs/a.md", "Each tenant gets a namespace.\n")]);
    let count = |report: &JsValue| Array::from(&get(report, "findings")).length();
    assert_eq!(count(&lint_files(input(), None).expect("lints")), 1);
    let off_yaml = lint_files(input(), Some("rules:\n  CG007: off\n".into())).expect("lints");
    assert_eq!(count(&off_yaml), 0);
    let off_object = lint_files(
        input(),
        Some(obj(&[("rules", obj(&[("retired-term", false.into())]))])),
    )
    .expect("lints");
    assert_eq!(count(&off_object), 0);
    // The parsed configuration is cached; switching back must not reuse it.
    assert_eq!(count(&lint_files(input(), None).expect("lints")), 1);
    let warn = lint_files(input(), Some("rules:\n  CG007: warning\n".into())).expect("lints");
    assert_eq!(
        get(&warn, "findings.0.severity").as_string().as_deref(),
        Some("warning")
    );
}

#[wasm_bindgen_test]
fn the_url_checker_answers_and_decodes_the_location_code() {
    let bad = check_gitea_url(
        "https://gitea.hfrp.openova.io/openova/flux.git".into(),
        None,
    )
    .expect("checks");
    assert_eq!(get(&bad, "ok").as_bool(), Some(false));
    assert_eq!(get(&bad, "code").as_string().as_deref(), Some("CG005"));
    assert_eq!(
        get(&bad, "help").as_string().as_deref(),
        Some("use `https://gitea.hfmp.openova.io/openova/flux.git`")
    );
    assert_eq!(
        get(&bad, "location.description").as_string().as_deref(),
        Some("Hetzner Falkenstein rtz prod")
    );
    let stand_in = check_gitea_url(
        "https://gitea.${SOVEREIGN_FQDN}/openova/flux.git".into(),
        None,
    )
    .expect("checks");
    assert!(
        get(&stand_in, "message")
            .as_string()
            .is_some_and(|m| m.contains("no location code"))
    );
    assert!(get(&stand_in, "location").is_null());
    let extended = check_gitea_url(
        "https://gitea.vfmp.openova.io/openova/flux.git".into(),
        Some("locationCodes:\n  providers: {v: Vultr}\n  regions:\n    v: {f: Frankfurt}\n".into()),
    )
    .expect("checks");
    assert_eq!(get(&extended, "ok").as_bool(), Some(true));
    assert_eq!(
        get(&extended, "location.provider.name")
            .as_string()
            .as_deref(),
        Some("Vultr")
    );
}

#[wasm_bindgen_test]
fn every_url_the_builder_produces_from_the_table_is_accepted_by_the_checker() {
    let table = location_table(None).expect("table");
    let mut built = 0;
    for provider in Array::from(&get(&table, "providers")).iter() {
        let p = get(&provider, "code").as_string().expect("code");
        for region in Array::from(&get(&provider, "regions")).iter() {
            let r = get(&region, "code").as_string().expect("code");
            for (e, _) in ENV_TYPES {
                let code = format!("{p}{r}{MANAGEMENT}{e}");
                let parts = obj(&[
                    ("locationCode", code.as_str().into()),
                    ("domain", "openova.io".into()),
                    ("org", "openova".into()),
                    ("repo", "platform".into()),
                ]);
                let url = canonical_gitea_url(parts, None).expect("builds");
                let check = check_gitea_url(url.as_str().into(), None).expect("checks");
                assert_eq!(get(&check, "ok").as_bool(), Some(true), "{url}");
                assert_eq!(
                    get(&check, "locationCode").as_string().as_deref(),
                    Some(code.as_str())
                );
                built += 1;
            }
        }
    }
    let regions: usize = LocationTable::default()
        .providers()
        .iter()
        .map(|p| p.regions.len())
        .sum();
    assert_eq!(built, regions * ENV_TYPES.len());
    let wrong_block = obj(&[
        ("locationCode", "hfrp".into()),
        ("domain", "openova.io".into()),
        ("org", "openova".into()),
        ("repo", "platform".into()),
    ]);
    let (field, message) = thrown(canonical_gitea_url(wrong_block, None));
    assert_eq!(field, "locationCode");
    assert!(
        message.contains("Gitea runs on mgt (use `hfmp`)"),
        "{message}"
    );
}

#[wasm_bindgen_test]
fn location_codes_decode_with_configured_extensions() {
    let ok = decode_location_code("orms".into(), None).expect("decodes");
    assert_eq!(get(&ok, "ok").as_bool(), Some(true));
    assert_eq!(
        get(&ok, "location.region.name").as_string().as_deref(),
        Some("Frankfurt")
    );
    let bad = decode_location_code("hrmp".into(), None).expect("answers");
    assert_eq!(get(&bad, "ok").as_bool(), Some(false));
    assert!(
        get(&bad, "message")
            .as_string()
            .is_some_and(|m| m.contains("not known for Hetzner"))
    );
    let config = obj(&[(
        "locationCodes",
        obj(&[(
            "regions",
            obj(&[("a", obj(&[("e", "eu-central-1".into())]))]),
        )]),
    )]);
    let aws = decode_location_code("aemp".into(), Some(config.clone())).expect("decodes");
    assert_eq!(
        get(&aws, "location.description").as_string().as_deref(),
        Some("AWS eu-central-1 mgt prod")
    );
    let table = location_table(Some(config)).expect("table");
    let aws_regions = Array::from(&get(&table, "providers"))
        .iter()
        .find(|p| get(p, "code").as_string().as_deref() == Some("a"))
        .map(|p| Array::from(&get(&p, "regions")).length());
    assert_eq!(aws_regions, Some(1));
}

#[wasm_bindgen_test]
fn rules_lists_every_rule_in_code_order() {
    let list = Array::from(&rules().expect("rules"));
    let codes: Vec<String> = list
        .iter()
        .filter_map(|r| get(&r, "code").as_string())
        .collect();
    assert_eq!(codes, RULES.iter().map(|r| r.code).collect::<Vec<_>>());
    let cg005 = list.get(5);
    assert_eq!(
        get(&cg005, "name").as_string().as_deref(),
        Some("non-canonical-gitea-url")
    );
    assert!(
        get(&cg005, "docs")
            .as_string()
            .is_some_and(|d| d.contains("## Why is this bad?"))
    );
}

#[wasm_bindgen_test]
fn hostile_input_is_a_finding_never_a_trap() {
    let deep = "[".repeat(10_000);
    let report = lint_files(
        files(&[
            ("deep.yaml", deep.as_str()),
            ("nul.yaml", "a: \0\n"),
            ("tabs.yaml", "a:\n\tb: 1\n"),
            ("unclosed.yaml", "a: \"oops\n"),
            ("docs/emoji.md", "\u{1F600} tenant \u{202E}\n"),
        ]),
        None,
    )
    .expect("lints");
    let codes: Vec<String> = Array::from(&get(&report, "findings"))
        .iter()
        .filter_map(|f| get(&f, "code").as_string())
        .collect();
    assert!(
        codes.iter().filter(|c| *c == "CG000").count() >= 3,
        "{codes:?}"
    );
    assert!(codes.contains(&"CG007".to_string()), "{codes:?}");
}

#[wasm_bindgen_test]
fn oversized_input_is_refused_or_reported_never_an_out_of_memory_trap() {
    // Over the core's 10 MiB per-file limit: the core's own CG000, as from the CLI.
    let big = js_sys::JsString::from("a").repeat(11 * 1024 * 1024);
    let one: JsValue =
        Array::of1(&obj(&[("path", "big.yaml".into()), ("text", big.into())])).into();
    let report = lint_files(one, None).expect("lints");
    assert_eq!(
        get(&report, "findings.0.code").as_string().as_deref(),
        Some("CG000")
    );
    assert!(
        get(&report, "findings.0.message")
            .as_string()
            .is_some_and(|m| m.contains("over the 10 MiB limit"))
    );
    // Over the total the build accepts: an error naming `files`, before any copy.
    let units = catalyst_guard_web::MAX_TOTAL_TEXT_UNITS / 2 + 1;
    let half = js_sys::JsString::from("b").repeat(units as i32);
    let two: JsValue = Array::of2(
        &obj(&[("path", "a.yaml".into()), ("text", half.clone().into())]),
        &obj(&[("path", "b.yaml".into()), ("text", half.into())]),
    )
    .into();
    let (field, message) = thrown(lint_files(two, None));
    assert_eq!(field, "files");
    assert!(message.contains("at `files[1].text`"), "{message}");
}
