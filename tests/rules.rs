//! Every rule has a fixture tree of cases that must fire and cases that must not, and a
//! snapshot of the diagnostics it renders for the firing cases.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

mod common;

use std::path::Path;

use catalyst_guard::lint::rule::Fixable;
use catalyst_guard::lint::{self, RULES, Report, RuleMeta, SourceFile, render};

/// Lints one case folder; a folder with `head/` and `base/` is a `--base` comparison.
fn lint_case(dir: &Path) -> (Report, Vec<SourceFile>) {
    if dir.join("head").is_dir() {
        let (head, config) = common::load_tree(&dir.join("head"));
        let (base, _) = common::load_tree(&dir.join("base"));
        (lint::lint(&head, Some(&base), &config), head)
    } else {
        let (files, config) = common::load_tree(dir);
        (lint::lint(&files, None, &config), files)
    }
}

fn rule_dir(rule: &RuleMeta) -> std::path::PathBuf {
    common::fixtures().join("rules").join(format!(
        "{}-{}",
        rule.code.to_ascii_lowercase(),
        rule.name
    ))
}

fn only(report: &Report, rule: &RuleMeta) -> Report {
    Report {
        findings: report
            .findings
            .iter()
            .filter(|f| f.code == rule.code)
            .cloned()
            .collect(),
        files_scanned: report.files_scanned,
        baseline: None,
    }
}

#[test]
fn every_rule_fires_on_its_fixture_and_the_output_matches_the_snapshot() {
    for rule in RULES {
        let dir = rule_dir(rule).join("fire");
        assert!(
            dir.is_dir(),
            "{} has no fixture at {}",
            rule.code,
            dir.display()
        );
        let (report, files) = lint_case(&dir);
        let mine = only(&report, rule);
        assert!(
            !mine.findings.is_empty(),
            "{} did not fire on {}",
            rule.code,
            dir.display()
        );
        let source = |p: &str| files.iter().find(|f| f.path == p).map(|f| f.text.as_str());
        let text = render::text(&mine, &source, &render::TextOptions::default());
        insta::assert_snapshot!(format!("{}-{}", rule.code, rule.name), text);
    }
}

#[test]
fn no_rule_fires_on_its_must_not_fire_fixture() {
    for rule in RULES {
        let dir = rule_dir(rule).join("pass");
        assert!(dir.is_dir(), "{} has no must-not-fire fixture", rule.code);
        let (report, _) = lint_case(&dir);
        let mine = only(&report, rule);
        assert!(
            mine.findings.is_empty(),
            "{} fired on {}:\n{:#?}",
            rule.code,
            dir.display(),
            mine.findings
        );
    }
}

#[test]
fn every_rule_fixes_exactly_as_it_declares() {
    for rule in RULES {
        let mut fixed = 0;
        let mut unfixed = 0;
        for case in ["fire", "pass"] {
            let (report, _) = lint_case(&rule_dir(rule).join(case));
            for f in only(&report, rule).findings {
                if f.fix.is_some() {
                    fixed += 1;
                } else {
                    unfixed += 1;
                }
            }
        }
        match rule.fix {
            Fixable::Never => assert_eq!(
                fixed, 0,
                "{} declares `fix: Never` but emitted {fixed} fixes",
                rule.code
            ),
            Fixable::Always => assert_eq!(
                unfixed, 0,
                "{} declares `fix: Always` but {unfixed} findings have no fix",
                rule.code
            ),
            // Its fixture shows both kinds, so the declaration is neither of the others.
            Fixable::Sometimes => assert!(
                fixed > 0,
                "{} declares `fix: Sometimes` but its fixture has no fixed finding",
                rule.code
            ),
        }
    }
}

#[test]
fn generated_rule_docs_are_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == lint::registry::markdown(),
        "docs/rules.md is stale: run `cargo xtask docs`"
    );
}
