//! The catalyst-guard core as a WebAssembly component (`wit/guard.wit`, world `guard`).
//!
//! This crate is only glue: it converts between the WIT types and the core's types and
//! calls the same functions the native host links. It must never trap on input: every
//! error the core can report becomes a `result::err` string, and the core itself does
//! not panic. Built for `wasm32-wasip2` by `cargo xtask build-wasm`.

#[cfg(target_arch = "wasm32")]
#[allow(
    unsafe_code,
    missing_docs,
    clippy::too_many_arguments,
    reason = "wit-bindgen generates the canonical-ABI export glue; it is the only unsafe code here"
)]
mod bindings {
    wit_bindgen::generate!({
        path: "../wit/guard.wit",
        world: "guard",
    });

    use super::Plugin;
    export!(Plugin);
}

use catalyst_guard::lint::{self, Config, Report, SourceFile};
use catalyst_guard::recovery::{RecoveryConfig, Snapshot, decide};

/// The exported implementation (a unit type: the plugin keeps no state between calls).
pub struct Plugin;

/// Lints with the core; the native side of the differential test calls this too.
pub fn lint_files(
    files: Vec<SourceFile>,
    base: Option<Vec<SourceFile>>,
    config: Option<String>,
) -> Result<Report, String> {
    let config = match config {
        Some(text) => Config::parse(&text).map_err(|e| format!(".catalyst-guard.yaml:{e}"))?,
        None => Config::default(),
    };
    Ok(lint::lint(&files, base.as_deref(), &config))
}

/// Decides with the core, compact JSON in and out. Takes the snapshot text by value
/// and frees it once parsed: linear memory never shrinks, so every copy alive at the
/// same time adds to the plugin's peak.
pub fn decide_json(snapshot: String, config: &str, now: i64) -> Result<String, String> {
    let parsed = Snapshot::from_json(&snapshot).map_err(|e| e.to_string());
    drop(snapshot);
    let snapshot = parsed?;
    let config = RecoveryConfig::from_json(config)?;
    let plan = decide(&snapshot, &config, now);
    // The Plan's JSON can then reuse the snapshot's memory instead of growing past it.
    drop(snapshot);
    Ok(plan.to_json_compact())
}

#[cfg(target_arch = "wasm32")]
mod exports {
    use super::Plugin;
    use super::bindings::Guest;
    use super::bindings::catalyst::guard::types as wit;
    use catalyst_guard::lint::{RULES, Severity, SourceFile};

    fn severity(s: Severity) -> wit::Severity {
        match s {
            Severity::Info => wit::Severity::Info,
            Severity::Warning => wit::Severity::Warning,
            Severity::Error => wit::Severity::Error,
        }
    }

    fn files(list: Vec<wit::SourceFile>) -> Vec<SourceFile> {
        list.into_iter()
            .map(|f| SourceFile::new(f.path, f.text))
            .collect()
    }

    impl Guest for Plugin {
        fn version() -> String {
            env!("CARGO_PKG_VERSION").to_string()
        }

        fn rules() -> Vec<wit::RuleInfo> {
            RULES
                .iter()
                .map(|r| wit::RuleInfo {
                    code: r.code.to_string(),
                    name: r.name.to_string(),
                    default_severity: severity(r.default_severity),
                    summary: r.summary.to_string(),
                    docs: r.docs(),
                })
                .collect()
        }

        fn lint(
            list: Vec<wit::SourceFile>,
            base: Option<Vec<wit::SourceFile>>,
            config: Option<String>,
        ) -> Result<wit::Report, String> {
            let report = super::lint_files(files(list), base.map(files), config)?;
            Ok(wit::Report {
                files_scanned: u32::try_from(report.files_scanned).unwrap_or(u32::MAX),
                findings: report
                    .findings
                    .into_iter()
                    .map(|f| wit::Finding {
                        code: f.code,
                        rule: f.rule,
                        severity: severity(f.severity),
                        path: f.path,
                        line: f.line,
                        col: f.col,
                        width: f.width,
                        message: f.message,
                        help: f.help,
                    })
                    .collect(),
            })
        }

        fn decide(snapshot: String, config: String, now: i64) -> Result<String, String> {
            super::decide_json(snapshot, &config, now)
        }
    }
}
