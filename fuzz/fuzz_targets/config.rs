//! `.catalyst-guard.yaml` and the recovery ConfigMap.
//!
//! Calls: `lint::Config::parse`, `recovery::RecoveryConfig::parse_yaml`,
//! `RecoveryConfig::from_json` (what the plugin receives).
//! Property: accepted, or an error naming a field at a line:column inside the text;
//! an accepted recovery configuration reaches the plugin as JSON unchanged.
#![no_main]

use catalyst_guard_fuzz::props;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    props::check_lint_config(text);
    props::check_recovery_config(text);
});
