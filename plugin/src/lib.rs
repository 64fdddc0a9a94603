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

use catalyst_guard::lint::{self, Config, FileAnalysis, Report, SourceFile};
use catalyst_guard::recovery::{RecoveryConfig, Snapshot, decide};

/// The exported implementation (a unit type: the plugin keeps no state between calls).
pub struct Plugin;

fn parse_config(config: Option<&str>) -> Result<Config, String> {
    match config {
        Some(text) => Config::parse(text).map_err(|e| format!(".catalyst-guard.yaml:{e}")),
        None => Ok(Config::default()),
    }
}

std::thread_local! {
    /// The configuration of the last `analyze` call and its text: a lint run hands
    /// the same text to every batch of an instance, and building the text scanner
    /// each time would cost more than a small batch's analysis.
    static LAST_CONFIG: std::cell::RefCell<Option<(Option<String>, std::rc::Rc<Config>)>> =
        const { std::cell::RefCell::new(None) };
}

/// The parsed configuration, reused while the text stays the same.
fn cached_config(text: Option<&str>) -> Result<std::rc::Rc<Config>, String> {
    LAST_CONFIG.with(|cell| {
        if let Ok(last) = cell.try_borrow()
            && let Some((last_text, config)) = last.as_ref()
            && last_text.as_deref() == text
        {
            return Ok(config.clone());
        }
        let config = std::rc::Rc::new(parse_config(text)?);
        if let Ok(mut last) = cell.try_borrow_mut() {
            *last = Some((text.map(str::to_string), config.clone()));
        }
        Ok(config)
    })
}

/// Lints with the core; the native side of the differential test calls this too.
pub fn lint_files(
    files: Vec<SourceFile>,
    base: Option<Vec<SourceFile>>,
    config: Option<String>,
) -> Result<Report, String> {
    let config = parse_config(config.as_deref())?;
    Ok(lint::lint(&files, base.as_deref(), &config))
}

/// Phase one for a batch (the `analyze` export): the analyses of the files the linter
/// reads, in `postcard`'s binary format: on the `cargo xtask bench lint` corpus, 2.5 MB
/// against 7.7 MB of JSON and about a third of JSON's time to read back in `finish`,
/// which runs on one thread. The format is private to this
/// crate: only [`finish_batches`] of the same build reads it back.
pub fn analyze_batch(files: &[SourceFile], config: Option<&str>) -> Result<Vec<u8>, String> {
    let config = cached_config(config)?;
    let analyses: Vec<FileAnalysis> = files
        .iter()
        .filter_map(|f| lint::analyze(f, &config))
        .collect();
    postcard::to_allocvec(&analyses).map_err(|e| format!("cannot encode analyses: {e}"))
}

/// Phase two (the `finish` export): the report over every batch [`analyze_batch`]
/// returned, in any order, and the base tree's batches. Files are put in path order
/// first, as a sequential lint sees them, so the report does not depend on how the
/// host split the files.
pub fn finish_batches(
    batches: &[Vec<u8>],
    base: Option<&[Vec<u8>]>,
    config: Option<&str>,
) -> Result<Report, String> {
    let config = parse_config(config)?;
    let decode = |batches: &[Vec<u8>]| -> Result<Vec<FileAnalysis>, String> {
        let mut all = Vec::new();
        for (i, batch) in batches.iter().enumerate() {
            let mut analyses: Vec<FileAnalysis> = postcard::from_bytes(batch)
                .map_err(|e| format!("analysis batch {i} is not this plugin's: {e}"))?;
            all.append(&mut analyses);
        }
        // Paths are unique (the host walks each file once), so an unstable sort is
        // deterministic, as the native engine's; it moves less than a stable one.
        all.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        Ok(all)
    };
    let files = decode(batches)?;
    let base = base.map(decode).transpose()?;
    Ok(lint::finish(&files, base.as_deref(), &config))
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
    use catalyst_guard::lint::{Finding, RULES, Report, Severity, SourceFile};

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

    fn finding(f: Finding) -> wit::Finding {
        wit::Finding {
            code: f.code,
            rule: f.rule,
            severity: severity(f.severity),
            path: f.path,
            line: f.line,
            col: f.col,
            width: f.width,
            message: f.message,
            help: f.help,
            fix: f.fix.map(|fix| wit::Fix {
                description: fix.description,
                edits: fix
                    .edits
                    .into_iter()
                    .map(|e| wit::Edit {
                        line: e.line,
                        col: e.col,
                        width: e.width,
                        text: e.text,
                    })
                    .collect(),
            }),
            related: f
                .related
                .into_iter()
                .map(|r| wit::Related {
                    path: r.path,
                    line: r.line,
                    col: r.col,
                    value: r.value,
                })
                .collect(),
        }
    }

    fn report(report: Report) -> wit::Report {
        wit::Report {
            files_scanned: u32::try_from(report.files_scanned).unwrap_or(u32::MAX),
            findings: report.findings.into_iter().map(finding).collect(),
        }
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
            super::lint_files(files(list), base.map(files), config).map(report)
        }

        fn analyze(list: Vec<wit::SourceFile>, config: Option<String>) -> Result<Vec<u8>, String> {
            super::analyze_batch(&files(list), config.as_deref())
        }

        fn finish(
            analyses: Vec<Vec<u8>>,
            base: Option<Vec<Vec<u8>>>,
            config: Option<String>,
        ) -> Result<wit::Report, String> {
            super::finish_batches(&analyses, base.as_deref(), config.as_deref()).map(report)
        }

        fn decide(snapshot: String, config: String, now: i64) -> Result<String, String> {
            super::decide_json(snapshot, &config, now)
        }
    }
}
