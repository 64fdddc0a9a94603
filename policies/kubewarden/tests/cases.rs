//! The admission fixtures run natively through `admission::validate`: every case in
//! `test_data/cases.yaml` gets exactly its expected verdict, and every fixture file is
//! used by some case. (`e2e.rs` runs the same cases through the built module.)
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

mod common;

use std::collections::BTreeSet;

#[test]
fn every_case_gets_its_verdict_natively() {
    let cases = common::cases();
    assert!(cases.len() >= 50, "the table lost cases: {}", cases.len());
    for case in &cases {
        let (response, asked) = case.run_native();
        case.check(&response, "native");
        assert_eq!(asked, case.lookups, "native: {}: lookups", case.name);
    }
}

#[test]
fn every_fixture_is_used_and_every_case_name_is_unique() {
    let cases = common::cases();
    let used: BTreeSet<&str> = cases.iter().map(|c| c.request.as_str()).collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(common::test_data().join("requests"))
        .expect("test_data/requests")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let on_disk: BTreeSet<&str> = on_disk.iter().map(String::as_str).collect();
    assert_eq!(used, on_disk, "fixtures and cases.yaml disagree");
    let names: BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), cases.len(), "duplicate case names");
}

#[test]
fn every_rejection_names_a_rule_and_a_fix() {
    for case in common::cases() {
        let Some(message) = &case.message else {
            continue;
        };
        if case.code != Some(403) {
            continue;
        }
        let lines: Vec<&str> = message.lines().collect();
        for pair in lines.chunks(2) {
            assert!(
                pair.len() == 2 && pair[0].starts_with("CG0") && pair[1].starts_with("help: "),
                "{}: each violation is a coded line and a help line: {pair:?}",
                case.name
            );
        }
    }
}
