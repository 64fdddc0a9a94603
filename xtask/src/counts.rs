//! Test counts, read from the runners' summary lines, so `cargo xtask test` can print
//! one closing line for the whole suite: libtest's (and wasm-bindgen-test-runner's)
//! `test result: ok. 9 passed; 0 failed; 2 ignored; ...` and node's TAP summary
//! (`# pass 5`, `# fail 0`, `# cancelled 0`, `# skipped 2`, `# todo 1`). A test that is
//! ignored or skipped is counted, so none passes silently as part of a green run.

use std::io::BufRead;
use std::ops::AddAssign;
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Context, Result};

/// Tests passed, failed and not run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Tests that passed.
    pub passed: u64,
    /// Tests that failed (a cancelled TAP test counts: a hook or its file failed).
    pub failed: u64,
    /// Tests not run: libtest `ignored`, TAP `skipped` and `todo`.
    pub skipped: u64,
}

impl AddAssign for Counts {
    fn add_assign(&mut self, other: Self) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

impl Counts {
    /// The counts one output line reports; any other line: zero.
    pub fn of_line(line: &str) -> Counts {
        if let Some(rest) = line.strip_prefix("test result: ") {
            let count = |word: &str| -> u64 {
                rest.split(';')
                    .find_map(|part| {
                        part.trim()
                            .strip_suffix(word)?
                            .trim()
                            .rsplit(' ')
                            .next()?
                            .parse()
                            .ok()
                    })
                    .unwrap_or(0)
            };
            return Counts {
                passed: count(" passed"),
                failed: count(" failed"),
                skipped: count(" ignored"),
            };
        }
        let number = |prefix: &str| -> u64 {
            line.strip_prefix(prefix)
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0)
        };
        Counts {
            passed: number("# pass "),
            failed: number("# fail ") + number("# cancelled "),
            skipped: number("# skipped ") + number("# todo "),
        }
    }
}

/// Runs a test command, echoing its stdout, and totals the counts of its lines.
pub fn stream(command: &mut Command) -> Result<(Counts, ExitStatus)> {
    eprintln!("+ {command:?}");
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {command:?}"))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut counts = Counts::default();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        counts += Counts::of_line(&line);
    }
    Ok((counts, child.wait()?))
}

#[cfg(test)]
mod tests {
    use super::Counts;

    fn counts(passed: u64, failed: u64, skipped: u64) -> Counts {
        Counts {
            passed,
            failed,
            skipped,
        }
    }

    #[test]
    fn libtest_summaries_are_counted() {
        assert_eq!(
            Counts::of_line(
                "test result: ok. 9 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.01s"
            ),
            counts(9, 0, 2)
        );
        assert_eq!(
            Counts::of_line("test result: FAILED. 8 passed; 1 failed; 0 ignored"),
            counts(8, 1, 0)
        );
        assert_eq!(Counts::of_line("running 9 tests"), counts(0, 0, 0));
        assert_eq!(Counts::of_line("test foo ... ignored"), counts(0, 0, 0));
    }

    #[test]
    fn tap_summaries_are_counted_and_a_cancelled_test_is_a_failure() {
        assert_eq!(Counts::of_line("# pass 31"), counts(31, 0, 0));
        assert_eq!(Counts::of_line("# fail 2"), counts(0, 2, 0));
        assert_eq!(Counts::of_line("# cancelled 1"), counts(0, 1, 0));
        assert_eq!(Counts::of_line("# skipped 3"), counts(0, 0, 3));
        assert_eq!(Counts::of_line("# todo 1"), counts(0, 0, 1));
        assert_eq!(Counts::of_line("# passed the wrong thing"), counts(0, 0, 0));
        assert_eq!(Counts::of_line("ok 1 - # pass 3"), counts(0, 0, 0));
        assert_eq!(Counts::of_line("ok 1 - # skipped 3"), counts(0, 0, 0));
    }
}
