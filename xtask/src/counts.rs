//! Skipped tests, counted from the runners' summary lines so `cargo xtask test` can
//! print them in its closing line: a test that is ignored or skipped must be seen, not
//! pass silently as part of a green run.

/// Tests a summary line reports as not run: libtest's (and wasm-bindgen-test-runner's)
/// `test result: ok. 9 passed; 0 failed; 2 ignored; ...`, node's TAP `# skipped 2` and
/// `# todo 1`. Any other line: 0.
pub fn skipped(line: &str) -> u64 {
    if let Some(rest) = line.strip_prefix("test result: ") {
        return rest
            .split(';')
            .find_map(|part| {
                part.trim()
                    .strip_suffix(" ignored")?
                    .trim()
                    .rsplit(' ')
                    .next()?
                    .parse()
                    .ok()
            })
            .unwrap_or(0);
    }
    ["# skipped ", "# todo "]
        .iter()
        .find_map(|prefix| line.strip_prefix(prefix)?.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::skipped;

    #[test]
    fn ignored_and_skipped_tests_are_counted_from_every_runner() {
        assert_eq!(
            skipped(
                "test result: ok. 9 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.01s"
            ),
            2
        );
        assert_eq!(
            skipped("test result: FAILED. 8 passed; 1 failed; 0 ignored"),
            0
        );
        assert_eq!(skipped("# skipped 3"), 3);
        assert_eq!(skipped("# todo 1"), 1);
        assert_eq!(skipped("test foo ... ignored"), 0);
        assert_eq!(skipped("ok 1 - # skipped 3"), 0);
        assert_eq!(skipped("running 2 tests"), 0);
    }
}
