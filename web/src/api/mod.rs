//! The browser API as plain Rust: validated inputs in, JSON values out.
//!
//! Everything the exports decide lives here, on ordinary Rust types, so native unit
//! tests cover it and the wasm-bindgen layer in `lib.rs` only converts `JsValue`s.
//! Each function wraps the core without re-deciding anything: `lint` returns exactly
//! what `catalyst-guard lint --format json` prints, and URL and location-code answers
//! come from `catalyst_guard::naming`, so the browser and the CLI cannot disagree.

//!
//! - `input.rs`: the configuration and the file set, checked, with errors naming the
//!   field;
//! - `lint.rs`: the lint report, one object's findings, the rule list;
//! - `naming.rs`: location codes and Gitea URLs.

mod input;
mod lint;
mod naming;

pub use input::{ConfigSource, FieldError, check_files, parse_config};
pub use lint::{lint_json, object_findings_json, rules_json};
pub use naming::{
    UrlParts, canonical_gitea_url, decode_json, gitea_url_json, location_json, location_table_json,
};

#[cfg(test)]
mod tests {
    use super::*;
    use catalyst_guard::lint::RULES;
    use catalyst_guard::naming::LocationTable;
    use catalyst_guard::naming::location::BUILDING_BLOCKS;

    fn table() -> LocationTable {
        LocationTable::default()
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
}
