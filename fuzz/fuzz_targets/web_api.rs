//! The browser API's inputs, through the plain-Rust functions the wasm-bindgen
//! exports call (`web/src/api.rs`; the `JsValue` conversion around them is not native
//! code).
//!
//! Calls: `api::parse_config` (YAML text and stringified object), `api::check_files`,
//! `api::lint_json`, `api::gitea_url_json`, `api::decode_json`,
//! `api::canonical_gitea_url`, compared with `lint::lint` + `render::json`,
//! `naming::check_gitea_url` and `LocationTable::decode`.
//! Property: every bad input is an error naming its field (`config...`, `files[i].path`,
//! `locationCode`, `domain`, `org`, `repo`); `lint` returns exactly the CLI's JSON;
//! the URL and location answers are the core's; a URL the builder hands out is one
//! the checker accepts (its "the probes mirror the grammar" fallback never fires).
#![no_main]

use arbitrary::Arbitrary;
use catalyst_guard::lint::{self, SourceFile, render};
use catalyst_guard::naming::check_gitea_url;
use catalyst_guard_web::api::{self, ConfigSource, UrlParts};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    config: Option<(bool, String)>,
    files: Vec<(String, String)>,
    url: String,
    code: String,
    parts: (String, String, String, String),
}

fuzz_target!(|input: Input| {
    let source = input.config.map(|(object, text)| {
        if object {
            ConfigSource::Object(text)
        } else {
            ConfigSource::Yaml(text)
        }
    });
    let config = match api::parse_config(source.as_ref()) {
        Ok(c) => c,
        Err(e) => {
            assert!(
                e.field.starts_with("config") && !e.message.is_empty(),
                "{e:?}"
            );
            return;
        }
    };
    let files: Vec<SourceFile> = input
        .files
        .into_iter()
        .map(|(p, t)| SourceFile::new(p, t))
        .collect();
    match api::check_files(&files) {
        Ok(()) => {
            let json = api::lint_json(&files, &config);
            assert_eq!(
                json,
                render::json(&lint::lint(&files, None, &config), ""),
                "not the CLI's JSON"
            );
        }
        Err(e) => assert!(
            e.field.starts_with("files[") && e.field.ends_with("].path"),
            "{e:?}"
        ),
    }

    let table = &config.locations;
    let answer = api::gitea_url_json(&input.url, table);
    assert_eq!(
        answer["ok"],
        check_gitea_url(&input.url, table).is_ok(),
        "{answer}"
    );
    assert_eq!(
        answer["ok"] == true,
        answer["message"].is_null(),
        "{answer}"
    );

    let decoded = api::decode_json(&input.code, table);
    assert_eq!(
        decoded["ok"],
        table.decode(&input.code).is_ok(),
        "{decoded}"
    );

    let (location_code, domain, org, repo) = input.parts;
    let parts = UrlParts {
        location_code,
        domain,
        org,
        repo,
    };
    match api::canonical_gitea_url(&parts, table) {
        Ok(url) => assert!(
            check_gitea_url(&url, table).is_ok(),
            "built `{url}`, which the checker rejects"
        ),
        Err(e) => assert!(
            ["locationCode", "domain", "org", "repo"].contains(&e.field.as_str()),
            "{parts:?}: {e:?}"
        ),
    }
});
