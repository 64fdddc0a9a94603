//! End to end over `tests/fixtures/monorepo/`: a monorepo as real teams have them
//! (DOMAIN.md "Real monorepos"): product charts under `products/`, v-prefixed and
//! `=`-prefixed dependency pins, Helm values key paths and in-cluster names in docs and
//! values, a glossary with contextual exemptions, and migration notes. The linter must
//! report exactly the seeded violations (snapshot), and the worked glossary example of
//! docs/lint.md must be the fixture's configuration, so the documented example is tested.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

mod common;

use catalyst_guard::lint::{self, render};

fn lint_fixture() -> (lint::Report, Vec<lint::SourceFile>) {
    let (files, config) = common::load_tree(&common::fixtures().join("monorepo"));
    (lint::lint(&files, None, &config), files)
}

#[test]
fn the_monorepo_reports_exactly_its_seeded_findings() {
    let (report, files) = lint_fixture();
    let source = |p: &str| files.iter().find(|f| f.path == p).map(|f| f.text.as_str());
    let text = render::text(&report, &source, &render::TextOptions::default());
    insta::assert_snapshot!("monorepo", text);
}

#[test]
fn product_charts_are_found_by_name_and_key_paths_are_not_hosts() {
    let (report, _) = lint_fixture();
    let codes_in = |path: &str| -> Vec<&str> {
        report
            .findings
            .iter()
            .filter(|f| f.path == path)
            .map(|f| f.code.as_str())
            .collect()
    };
    // bp-catalyst-platform lives under products/ at exactly the pinned version.
    assert!(codes_in("clusters/_template/bootstrap-kit/10-catalyst-platform.yaml").is_empty());
    // Key paths, `--set` paths and in-cluster names are not hosts; the old host is.
    let lines_in = |path: &str| -> Vec<u32> {
        report
            .findings
            .iter()
            .filter(|f| f.path == path)
            .map(|f| f.line)
            .collect()
    };
    assert_eq!(lines_in("docs/gitea.md"), [7], "{:#?}", report.findings);
    // Migration notes (a line naming the replacement too) are not drift; the plain
    // use of the retired word on line 6 is.
    assert_eq!(lines_in("docs/migration.md"), [6], "{:#?}", report.findings);
    // The glossary and the audit log are exempt.
    assert!(codes_in("docs/glossary.md").is_empty());
    assert!(codes_in("docs/audit-log.md").is_empty());
}

#[test]
fn the_documented_glossary_example_is_the_fixture_configuration() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/lint.md"))
        .expect("docs/lint.md is readable");
    let marker = "<!-- glossary example: tests/fixtures/monorepo/.catalyst-guard.yaml -->";
    let after = readme
        .split_once(marker)
        .expect("docs/lint.md marks the glossary example")
        .1;
    let block = after
        .split_once("```yaml\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("a yaml block follows the marker")
        .0;
    let config = std::fs::read_to_string(common::fixtures().join("monorepo/.catalyst-guard.yaml"))
        .expect("fixture config is readable");
    assert_eq!(block, config);
    lint::Config::parse(block).expect("the README example parses");
}
