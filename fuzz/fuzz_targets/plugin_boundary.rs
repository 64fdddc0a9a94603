//! The WIT plugin boundary: what the host passes to the component's `lint` and
//! `decide`, through the same Rust functions the component exports (natively; the
//! differential test in host/tests/plugin.rs shows the component matches them).
//!
//! Input: a selector byte, then text. Lint: the text is a file set (`props::files`)
//! whose `.catalyst-guard.yaml`, if any, goes in as the `config` argument. Decide: the
//! text is `CONFIG-JSON\n---\nSNAPSHOT-JSON`.
//! Calls: `catalyst_guard_plugin::lint_files`, `catalyst_guard_plugin::decide_json`,
//! compared with `lint::lint` / `Config::parse` and `Snapshot::from_json` /
//! `RecoveryConfig::from_json` / `decide`.
//! Property: the plugin entry gives exactly the native answer, or an error exactly
//! when the native parse fails; a plan it returns reads back and obeys
//! `props::check_decide`.
#![no_main]

use catalyst_guard::lint::{self, Config};
use catalyst_guard::recovery::{Plan, RecoveryConfig, Snapshot};
use catalyst_guard_fuzz::{NOW, props};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if selector % 2 == 0 {
        let files = props::files(rest);
        let config_text = files
            .iter()
            .find(|f| f.path == ".catalyst-guard.yaml")
            .map(|f| f.text.clone());
        let native = match &config_text {
            Some(t) => Config::parse(t).map(|c| lint::lint(&files, None, &c)),
            None => Ok(lint::lint(&files, None, &Config::default())),
        };
        let plugin = catalyst_guard_plugin::lint_files(files.clone(), None, config_text);
        match (native, plugin) {
            (Ok(n), Ok(p)) => assert_eq!(n, p, "plugin lint differs"),
            (Err(_), Err(e)) => assert!(
                e.starts_with(".catalyst-guard.yaml:"),
                "unnamed config error `{e}`"
            ),
            (n, p) => panic!("native {:?} vs plugin {:?}", n.is_ok(), p.is_ok()),
        }
    } else {
        let (config, snapshot) = text.split_once("\n---\n").unwrap_or(("{}", text));
        let now = NOW + i64::from(selector);
        let native = Snapshot::from_json(snapshot)
            .map_err(|e| e.to_string())
            .and_then(|s| RecoveryConfig::from_json(config).map(|c| (s, c)));
        let plugin = catalyst_guard_plugin::decide_json(snapshot.to_string(), config, now);
        match (native, plugin) {
            (Ok((s, c)), Ok(json)) => {
                let plan: Plan = serde_json::from_str(&json).expect("the plugin's plan reads back");
                assert_eq!(
                    plan,
                    props::check_decide(&s, &c, now, None),
                    "plugin plan differs"
                );
            }
            (Err(n), Err(p)) => assert_eq!(n, p, "a different error"),
            (n, p) => panic!("native {:?} vs plugin {:?}", n.is_ok(), p.is_ok()),
        }
    }
});
