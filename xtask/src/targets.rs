//! README targets for the benchmarks: every figure a target is stated for is checked,
//! printed as `met` or `MISSED`, and a missed target makes the command exit non-zero,
//! so a regression fails the run instead of scrolling past.

use std::fmt::Display;

use anyhow::{Result, bail};

/// The targets one benchmark checked.
#[derive(Default)]
pub struct Targets {
    missed: Vec<String>,
}

impl Targets {
    /// Records one target: `what` names it as the README does (`decide <= 50 ms`),
    /// `measured` is the figure it was judged on.
    pub fn check(&mut self, what: &str, ok: bool, measured: impl Display) {
        let verdict = if ok { "met" } else { "MISSED" };
        println!("target {what}: {verdict} ({measured})");
        if !ok {
            self.missed.push(format!("{what} ({measured})"));
        }
    }

    /// `Err` naming every missed target, if any.
    pub fn finish(self, bench: &str) -> Result<()> {
        if self.missed.is_empty() {
            return Ok(());
        }
        bail!(
            "`cargo xtask bench {bench}`: {} target(s) missed: {}",
            self.missed.len(),
            self.missed.join("; ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Targets;

    #[test]
    fn a_missed_target_fails_the_benchmark_and_is_named() {
        let mut t = Targets::default();
        t.check("decide <= 50 ms", true, "11 ms");
        t.check("peak RSS <= 64 MiB", false, "70.0 MiB");
        let err = t.finish("recover").expect_err("a target was missed");
        assert!(
            err.to_string().contains("peak RSS <= 64 MiB (70.0 MiB)"),
            "{err}"
        );
    }

    #[test]
    fn met_targets_pass() {
        let mut t = Targets::default();
        t.check("decide <= 50 ms", true, "11 ms");
        assert!(t.finish("recover").is_ok());
    }
}
