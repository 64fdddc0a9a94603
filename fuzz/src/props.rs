//! The properties the fuzz targets check, on the core's public entry points only
//! (`lint::lint`, `render::json`, `Config::parse`, `RecoveryConfig::parse_yaml` /
//! `from_json`, `Snapshot::from_json`, `decide`). Depends on nothing but the core and
//! serde_json, so the stable test suite includes this same file
//! (`tests/fuzz_regressions.rs`) and replays every committed crash against it.

use std::collections::BTreeMap;

use catalyst_guard::lint::{self, Config, ConfigError, Finding, SourceFile, render};
use catalyst_guard::recovery::{Plan, RecoveryConfig, Snapshot, decide};

/// Splits a fuzz input into a file set: `==> path <==` lines start a file (as `head`
/// prints several files), the text up to the next header is its contents. A path
/// seen twice keeps its first text (the host never hands over the same path twice).
/// Bytes before the first header, and inputs that are not UTF-8, give no files.
pub fn files(data: &[u8]) -> Vec<SourceFile> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Vec::new();
    };
    let mut out: Vec<SourceFile> = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.split_inclusive('\n') {
        let header = line
            .trim_end_matches(['\n', '\r'])
            .strip_prefix("==> ")
            .and_then(|l| l.strip_suffix(" <=="));
        match header {
            Some(path) => {
                if let Some((p, t)) = current.take() {
                    push(&mut out, p, t);
                }
                current = Some((path.to_string(), String::new()));
            }
            None => {
                if let Some((_, t)) = current.as_mut() {
                    t.push_str(line);
                }
            }
        }
    }
    if let Some((p, t)) = current {
        push(&mut out, p, t);
    }
    out
}

fn push(out: &mut Vec<SourceFile>, path: String, text: String) {
    if !path.is_empty() && !out.iter().any(|f| f.path == path) {
        out.push(SourceFile::new(path, text));
    }
}

/// The configuration a file set carries in its `.catalyst-guard.yaml` (the default
/// when it has none or it does not parse; the parse itself is checked by
/// [`check_lint_config`]).
pub fn config_of(files: &[SourceFile]) -> Config {
    files
        .iter()
        .find(|f| f.path == ".catalyst-guard.yaml")
        .and_then(|f| Config::parse(&f.text).ok())
        .unwrap_or_default()
}

/// Lints a file set and checks the report: the JSON rendering reads back into the
/// same findings and counts, and every finding points into a file of the set, inside
/// its text. Returns the report's findings.
pub fn check_lint(files: &[SourceFile], config: &Config) -> Vec<Finding> {
    let report = lint::lint(files, None, config);
    let json = render::json(&report, "");
    let doc: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("report is not JSON: {e}\n{json}"));
    let findings: Vec<Finding> = serde_json::from_value(doc["findings"].clone())
        .unwrap_or_else(|e| panic!("findings do not read back: {e}\n{json}"));
    assert_eq!(
        findings, report.findings,
        "JSON findings differ from the report"
    );
    assert_eq!(doc["filesScanned"], report.files_scanned, "filesScanned");
    for (key, severity) in [
        ("error", lint::Severity::Error),
        ("warning", lint::Severity::Warning),
        ("info", lint::Severity::Info),
    ] {
        assert_eq!(doc["summary"][key], report.count(severity), "summary.{key}");
    }
    for f in &report.findings {
        let file = files
            .iter()
            .find(|s| s.path == f.path)
            .unwrap_or_else(|| panic!("finding for a file not in the set: {f:?}"));
        check_span(f, &file.text);
        // A related place in a file of the set (not a missing counterpart) is a line
        // of that file.
        for r in &f.related {
            if let Some(other) = files.iter().find(|s| s.path == r.path) {
                let n = lines(&other.text, false)
                    .len()
                    .max(lines(&other.text, true).len());
                assert!(
                    r.line >= 1 && (r.line as usize) <= n.max(1),
                    "related place outside its file: {r:?} of {f:?}"
                );
            }
        }
    }
    // SARIF, with its fingerprints, renders every finding.
    let source = |p: &str| files.iter().find(|s| s.path == p).map(|s| s.text.as_str());
    let sarif: serde_json::Value =
        serde_json::from_str(&render::sarif(&report, "", config, &source))
            .unwrap_or_else(|e| panic!("SARIF is not JSON: {e}"));
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(report.findings.len()),
        "SARIF results"
    );
    report.findings
}

/// The lines of `text`: split at LF (as the text scanners and most tools count), or
/// at CR LF, CR and LF (as YAML and its parser count).
pub fn lines(text: &str, yaml: bool) -> Vec<&str> {
    if yaml {
        text.split("\r\n")
            .flat_map(|l| l.split(['\r', '\n']))
            .collect()
    } else {
        text.split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect()
    }
}

/// A finding's line, column and width lie inside `text`: the line exists, and the
/// marked characters are on it (one past its end is allowed, for "missing here").
/// Text rules count lines at LF, the YAML parser also at a lone CR; a span is inside
/// if it is inside by either count (the difference shows only in files with lone CRs).
pub fn check_span(f: &Finding, text: &str) {
    assert!(
        f.line >= 1 && f.col >= 1 && f.width >= 1,
        "span not 1-based: {f:?}"
    );
    let end = u64::from(f.col) + u64::from(f.width) - 1;
    let inside = |yaml: bool| {
        let lines = lines(text, yaml);
        let line = usize::try_from(f.line - 1).ok().and_then(|i| lines.get(i));
        line.is_some_and(|l| end <= l.chars().count() as u64 + 1)
    };
    assert!(
        inside(false) || inside(true),
        "span outside its file: {f:?}\ntext: {text:?}"
    );
}

/// A configuration error's position lies in the text (its line exists, and the column
/// is on it or one past its end) and it names a field and says what is wrong.
pub fn check_config_error(e: &ConfigError, text: &str) {
    let all = lines(text, true);
    let lines = all.len() as u64;
    assert!(e.line >= 1 && e.col >= 1, "position not 1-based: {e:?}");
    assert!(
        u64::from(e.line) <= lines,
        "line {} beyond the text's {lines} lines: {e:?}",
        e.line
    );
    if let Some(line) = all.get(e.line as usize - 1) {
        assert!(
            e.col as usize <= line.chars().count() + 1,
            "column {} beyond its line {line:?}: {e:?}",
            e.col
        );
    }
    assert!(
        !e.field.is_empty() && !e.message.is_empty(),
        "unnamed error: {e:?}"
    );
}

/// `.catalyst-guard.yaml`: accepted, or an error with a position in the text.
pub fn check_lint_config(text: &str) {
    if let Err(e) = Config::parse(text) {
        check_config_error(&e, text);
    }
}

/// The recovery ConfigMap: accepted, or a positioned error; an accepted configuration
/// travels to the plugin as JSON (`RecoveryConfig::from_json`) and must arrive intact.
pub fn check_recovery_config(text: &str) -> Option<RecoveryConfig> {
    match RecoveryConfig::parse_yaml(text) {
        Err(e) => {
            check_config_error(&e, text);
            None
        }
        Ok(c) => {
            let json = serde_json::to_string(&c).expect("a config serialises");
            let back = RecoveryConfig::from_json(&json)
                .unwrap_or_else(|e| panic!("accepted YAML config rejected as JSON: {e}\n{json}"));
            assert_eq!(back, c, "config changed on the way to the plugin");
            Some(c)
        }
    }
}

/// An equality-based selector term, as the oracle below reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// `key=value`.
    Eq(String, String),
    /// `key!=value`.
    NotEq(String, String),
    /// `key`.
    Exists(String),
    /// `!key`.
    NotExists(String),
}

impl Term {
    /// The term as a selector string.
    pub fn render(&self) -> String {
        match self {
            Self::Eq(k, v) => format!("{k}={v}"),
            Self::NotEq(k, v) => format!("{k}!={v}"),
            Self::Exists(k) => k.clone(),
            Self::NotExists(k) => format!("!{k}"),
        }
    }

    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Self::Eq(k, v) => labels.get(k) == Some(v),
            Self::NotEq(k, v) => labels.get(k) != Some(v),
            Self::Exists(k) => labels.contains_key(k),
            Self::NotExists(k) => !labels.contains_key(k),
        }
    }
}

/// Decides and checks the plan against what must never happen, judged from the
/// snapshot and configuration directly (not from the plan's own classes):
/// - no action on a HelmRelease suspended by someone else (`spec.suspend` without
///   this job's in-flight marker), with Ready=True (the first Ready condition, as
///   `meta.FindStatusCondition` reads it; resuming this job's own interrupted toggle
///   excepted), or outside the namespaces or the selector
///   (`terms`, the selector as generated; `None`: judged by the configuration's own
///   string, which only the structured target can know independently);
/// - never more actions than `maxActions`; none at all once the guardrail trips;
/// - one decision per HelmRelease; the plan reads back from its JSON; the same plan
///   twice.
pub fn check_decide(
    snapshot: &Snapshot,
    config: &RecoveryConfig,
    now: i64,
    terms: Option<&[Term]>,
) -> Plan {
    let plan = decide(snapshot, config, now);
    assert_eq!(
        plan.decisions.len(),
        snapshot.helm_releases.len(),
        "one decision per HelmRelease"
    );
    // Resuming this job's own interrupted toggles undoes its own earlier action: it is
    // planned even when the guardrail trips and is not counted against maxActions
    // (issue 11). Every other action is new and counts.
    let resumes = plan
        .actions
        .iter()
        .filter(|a| a.class == catalyst_guard::recovery::Class::InterruptedToggle)
        .count();
    let new_actions = plan.actions.len() - resumes;
    assert!(
        new_actions <= config.max_actions,
        "{new_actions} new actions over maxActions {}",
        config.max_actions
    );
    assert_eq!(plan.guardrail.exempt, resumes, "exempt resumes");
    assert_eq!(
        plan.guardrail.tripped,
        plan.guardrail.candidates > config.max_actions,
        "guardrail"
    );
    if plan.guardrail.tripped {
        assert_eq!(new_actions, 0, "new actions despite the guardrail");
    }
    for action in &plan.actions {
        // The object the action was planned from: same namespace, name and
        // resourceVersion (a snapshot file may list an object twice; the API never
        // does). If several match, one of them must be a legitimate target.
        let observed: Vec<_> = snapshot
            .helm_releases
            .iter()
            .filter(|h| {
                h.namespace == action.namespace
                    && h.name == action.name
                    && h.resource_version == action.resource_version
            })
            .collect();
        assert!(
            !observed.is_empty(),
            "action for an object not in the snapshot: {action:?}"
        );
        let why_not: Vec<String> = observed
            .iter()
            .map(|hr| not_actionable(hr, config, terms))
            .collect();
        assert!(
            why_not.iter().any(String::is_empty),
            "acted on {}/{}: {}",
            action.namespace,
            action.name,
            why_not.join("; ")
        );
    }
    let json = plan.to_json();
    let back: Plan =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("plan does not read back: {e}"));
    assert_eq!(back, plan, "plan changed through JSON");
    assert_eq!(
        decide(snapshot, config, now),
        plan,
        "decide is not deterministic"
    );
    plan
}

/// Why the job must never act on `hr` (empty: it may).
fn not_actionable(
    hr: &catalyst_guard::recovery::HelmReleaseObs,
    config: &RecoveryConfig,
    terms: Option<&[Term]>,
) -> String {
    let ours = hr
        .annotations
        .contains_key(&config.annotations.suspended_by);
    if hr.suspend && !ours {
        return "suspended by someone else".to_string();
    }
    // Resuming what this job's own interrupted toggle suspended is right even if the
    // release reads Ready=True: it must not stay suspended.
    if !(hr.suspend && ours)
        && hr
            .conditions
            .iter()
            .find(|c| c.type_ == "Ready")
            .is_some_and(|c| c.status == "True")
    {
        return "healthy (Ready=True)".to_string();
    }
    let included =
        config.include_namespaces.is_empty() || config.include_namespaces.contains(&hr.namespace);
    if !included || config.exclude_namespaces.contains(&hr.namespace) {
        return "outside the namespaces".to_string();
    }
    if terms.is_some_and(|terms| !terms.iter().all(|t| t.matches(&hr.labels))) {
        return "outside the selector".to_string();
    }
    String::new()
}

/// A Snapshot reads back from its own JSON unchanged, unless it lists one HelmRelease
/// twice (built in memory, not parsed): then reading it back must say so.
pub fn check_snapshot_round_trip(snapshot: &Snapshot) {
    if let Err(e) = snapshot.check_unique() {
        let back = Snapshot::from_json(&snapshot.to_json());
        assert_eq!(
            back.map(|_| ()).map_err(|e| e.to_string()),
            Err(e.to_string()),
            "a duplicate HelmRelease is refused when read"
        );
        return;
    }
    let back = Snapshot::from_json(&snapshot.to_json())
        .unwrap_or_else(|e| panic!("a snapshot's own JSON is rejected: {e}"));
    assert_eq!(&back, snapshot, "snapshot changed through JSON");
}
