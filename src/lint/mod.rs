//! The linter: a set of files in, findings out.
//!
//! Linting runs in two phases so hosts can parallelise the expensive one:
//! [`analyze`] parses one file, reads its objects and runs the single-file rules;
//! [`finish`] runs the cross-file rules (lockstep needs the whole set), applies
//! inline suppressions and sorts. [`lint`] composes the two sequentially and is what
//! the plugin and the browser call; the native host calls the phases itself on several
//! threads and gets the same result.

pub mod baseline;
pub mod config;
pub mod fix;
pub mod glob;
pub mod layout;
pub mod prose;
pub mod registry;
pub mod render;
pub mod rule;
pub mod rules;
pub mod scan;
mod suppress;
pub mod terms;
mod text;

use serde::{Deserialize, Serialize};

use crate::model::{self, FileRole, Object};
use crate::yaml::Pos;
pub use config::{Config, ConfigError};
pub use registry::{RULES, find_rule};
use rule::Check;
pub use rule::RuleMeta;
use suppress::Suppression;
pub use text::LineIndex;

/// Files larger than this are reported and skipped rather than parsed.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Information, never fails a run.
    Info,
    /// Worth fixing, does not fail a run.
    Warning,
    /// Fails `catalyst-guard lint` (exit 1) and admission.
    Error,
}

impl Severity {
    /// The lowercase name (`error`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// One file given to the linter: its path relative to the scanned root, `/`-separated,
/// and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Root-relative path with `/` separators.
    pub path: String,
    /// File contents.
    pub text: String,
}

impl SourceFile {
    /// A file from a path and text.
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
        }
    }
}

/// One diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Rule code, e.g. `CG005`.
    pub code: String,
    /// Rule name, e.g. `non-canonical-gitea-url`.
    pub rule: String,
    /// Effective severity.
    pub severity: Severity,
    /// Root-relative path of the file.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
    /// Width of the offending text in characters (at least 1).
    pub width: u32,
    /// What is wrong: lowercase, one clause, the offending value in backticks.
    pub message: String,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The mechanical fix `lint --fix` applies, when there is exactly one right edit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<fix::Fix>,
    /// For a cross-file finding: the other places its verdict depends on, each with
    /// the value read there (the chart's version for a Blueprint's mismatch).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
}

/// Another place a cross-file finding compared against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    /// Root-relative path of the file.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
    /// The value read there (`1.0.1`), or the file's role when no one value is
    /// compared (`chart file`).
    pub value: String,
}

/// A just-reported finding, to add a help line, a caret width or a lower severity.
pub struct Reported<'a>(Option<&'a mut Finding>);

impl Reported<'_> {
    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        if let Some(f) = self.0.as_deref_mut() {
            f.help = Some(help.into());
        }
        self
    }

    /// Attaches a mechanical fix.
    pub fn fix(mut self, fix: fix::Fix) -> Self {
        if let Some(f) = self.0.as_deref_mut() {
            f.fix = Some(fix);
        }
        self
    }

    /// Sets the caret width.
    pub fn width(mut self, width: u32) -> Self {
        if let Some(f) = self.0.as_deref_mut() {
            f.width = width.max(1);
        }
        self
    }

    /// Names another place the verdict depends on, with the value read there.
    pub fn related(mut self, path: &str, pos: Pos, value: impl Into<String>) -> Self {
        if let Some(f) = self.0.as_deref_mut() {
            f.related.push(Related {
                path: path.to_string(),
                line: pos.line,
                col: pos.col,
                value: value.into(),
            });
        }
        self
    }

    /// Sets this one finding's severity (a retired term's own `severity`).
    pub fn severity(mut self, severity: Severity) -> Self {
        if let Some(f) = self.0.as_deref_mut() {
            f.severity = severity;
        }
        self
    }

    /// Lowers the severity of this one finding (e.g. information about a live
    /// cluster's pin); a configured severity never raises it back.
    pub fn at_most(mut self, severity: Severity) -> Self {
        if let Some(f) = self.0.as_deref_mut() {
            f.severity = f.severity.min(severity);
        }
        self
    }
}

pub(crate) fn make(
    rule: &RuleMeta,
    severity: Severity,
    path: &str,
    pos: Pos,
    message: String,
) -> Finding {
    Finding {
        code: rule.code.to_string(),
        rule: rule.name.to_string(),
        severity,
        path: path.to_string(),
        line: pos.line,
        col: pos.col,
        width: 1,
        message,
        help: None,
        fix: None,
        related: Vec::new(),
    }
}

/// Collects findings for one rule at a time, stamping code, name and severity.
pub struct Sink<'a> {
    rule: &'static RuleMeta,
    severity: Severity,
    out: &'a mut Vec<Finding>,
}

impl<'a> Sink<'a> {
    fn new(rule: &'static RuleMeta, config: &Config, out: &'a mut Vec<Finding>) -> Self {
        Self {
            rule,
            severity: config.severity_of(rule),
            out,
        }
    }

    /// Reports a finding at `pos` in `path` and returns it for `help`/`width`.
    pub fn report(&mut self, path: &str, pos: Pos, message: impl Into<String>) -> Reported<'_> {
        let finding = make(self.rule, self.severity, path, pos, message.into());
        self.out.push(finding);
        Reported(self.out.last_mut())
    }
}

/// What kind of text a file holds, from its path and content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileKind {
    /// YAML: parsed, objects read, text scanned.
    Yaml,
    /// A Helm template under `templates/` with `{{ }}` actions: text scanned only.
    HelmTemplate,
    /// Markdown: text scanned only.
    Markdown,
    /// A UI source (`uiExtensions`: `.svelte`, `.tsx`, ...): its user-visible text is
    /// scanned for retired terms (CG015).
    Ui,
    /// Any other file under a chart folder (`_helpers.tpl`, `.helmignore`, vendored
    /// `.tgz`): only hashed, so CG010 sees every chart change.
    Opaque,
}

impl FileKind {
    /// The kind of a file, or `None` if the linter does not read it.
    pub fn of(path: &str, text: &str, config: &Config) -> Option<Self> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("yaml" | "yml") => {
                let in_templates = path.starts_with("templates/") || path.contains("/templates/");
                if in_templates && text.contains("{{") {
                    Some(Self::HelmTemplate)
                } else {
                    Some(Self::Yaml)
                }
            }
            Some("md" | "markdown") => Some(Self::Markdown),
            _ if config.chart_roots.chart_dir(path).is_some() => Some(Self::Opaque),
            _ if config.is_ui_source(path) => Some(Self::Ui),
            _ => None,
        }
    }
}

/// True if the linter reads a file at this path (by extension, or anything under a
/// chart folder): hosts use it to skip reading everything else.
pub fn wants(path: &str, config: &Config) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(ext.as_deref(), Some("yaml" | "yml" | "md" | "markdown"))
        || config.chart_roots.chart_dir(path).is_some()
        || config.is_ui_source(path)
}

/// Everything one file contributes: its objects, single-file findings and suppressions.
///
/// Serialisable so a host can analyse files in several plugin instances (one per
/// thread) and hand the analyses to one [`finish`]: the plugin's `analyze` and `finish`
/// exports pass them as opaque bytes the plugin alone reads, in a binary format that
/// is not self-describing, so no field here (or in what it holds) is ever skipped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileAnalysis {
    /// Root-relative path.
    pub path: String,
    /// What the file is.
    pub kind: FileKind,
    /// Recognised objects, in document order.
    pub objects: Vec<Object>,
    /// Findings from single-file rules.
    #[serde(with = "every_field")]
    pub findings: Vec<Finding>,
    /// Hash of the content (see [`content_hash`]) for files under
    /// a chart folder, compared against the base tree by CG010; 0 for other
    /// files. For a values.yaml with `versionBump.ignoreValues` configured, the hash of
    /// its text with those values blanked.
    pub hash: u64,
    /// For a chart's `.helmignore`: its patterns, in order (CG010 leaves out the files
    /// they ignore, which Helm does not package).
    pub helmignore: Vec<String>,
    suppressions: Vec<Suppression>,
    /// For a values.yaml without `global.imageRegistry`: the edit that adds it (CG009's
    /// fix needs the text, which is gone by the cross-file phase).
    image_registry_edit: Option<fix::Edit>,
}

/// [`Finding`]s with every field written: the JSON form leaves out an absent `help`
/// and `fix`, which a format that is not self-describing cannot read back.
mod every_field {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Finding, Related, Severity, fix::Fix};

    #[derive(Serialize)]
    struct Out<'a> {
        code: &'a str,
        rule: &'a str,
        severity: Severity,
        path: &'a str,
        line: u32,
        col: u32,
        width: u32,
        message: &'a str,
        help: &'a Option<String>,
        fix: &'a Option<Fix>,
        related: &'a [Related],
    }

    #[derive(Deserialize)]
    struct In {
        code: String,
        rule: String,
        severity: Severity,
        path: String,
        line: u32,
        col: u32,
        width: u32,
        message: String,
        help: Option<String>,
        fix: Option<Fix>,
        related: Vec<Related>,
    }

    pub(super) fn serialize<S: Serializer>(v: &[Finding], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|f| Out {
            code: &f.code,
            rule: &f.rule,
            severity: f.severity,
            path: &f.path,
            line: f.line,
            col: f.col,
            width: f.width,
            message: &f.message,
            help: &f.help,
            fix: &f.fix,
            related: &f.related,
        }))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Finding>, D::Error> {
        let v: Vec<In> = Vec::deserialize(d)?;
        Ok(v.into_iter()
            .map(|f| Finding {
                code: f.code,
                rule: f.rule,
                severity: f.severity,
                path: f.path,
                line: f.line,
                col: f.col,
                width: f.width,
                message: f.message,
                help: f.help,
                fix: f.fix,
                related: f.related,
            })
            .collect())
    }
}

/// The context single-file rules see.
pub struct FileCtx<'a> {
    /// Root-relative path.
    pub path: &'a str,
    /// File text.
    pub text: &'a str,
    /// What the file is.
    pub kind: FileKind,
    /// Objects read from it (empty for text-only files).
    pub objects: &'a [Object],
    /// Effective configuration.
    pub config: &'a Config,
    /// Every needle occurrence in the text, in order (see [`scan`]).
    pub hits: &'a [scan::Hit],
    /// Built on first use: most files have no text hits and never need it.
    lines: std::cell::OnceCell<LineIndex>,
}

impl FileCtx<'_> {
    /// The line and column of a byte offset.
    pub fn pos(&self, offset: usize) -> Pos {
        self.lines().pos(self.text, offset)
    }

    /// The line/column index of the text.
    pub fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(self.text))
    }

    /// The hits of needles of one kind, with what each needle means.
    pub fn hits_of<'s>(
        &'s self,
        want: impl Fn(&scan::Needle) -> bool + 's,
    ) -> impl Iterator<Item = (&'s scan::Needle, scan::Hit)> + 's {
        let scanner = self.config.scanner();
        self.hits.iter().filter_map(move |h| {
            let needle = scanner.needle(h.needle)?;
            want(needle).then_some((needle, *h))
        })
    }
}

/// The context cross-file rules see.
pub struct RepoCtx<'a> {
    /// Every analysed file of the current tree.
    pub files: &'a [FileAnalysis],
    /// Every analysed file of the base tree (`--base REV`), if given.
    pub base: Option<&'a [FileAnalysis]>,
    /// Effective configuration.
    pub config: &'a Config,
    /// `files` grouped by chart folder, built once for the rules that need it.
    components: std::cell::OnceCell<std::collections::BTreeMap<String, rules::Component<'a>>>,
}

impl<'a> RepoCtx<'a> {
    /// The files grouped by chart folder (`platform/flux/chart`), in path order.
    pub(crate) fn components(&self) -> &std::collections::BTreeMap<String, rules::Component<'a>> {
        self.components
            .get_or_init(|| rules::components(self.files, &self.config.chart_roots))
    }
}

/// The outcome of a lint run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Findings sorted by path, line, column, code.
    pub findings: Vec<Finding>,
    /// Number of files the linter read (after excludes, lintable kinds only).
    pub files_scanned: usize,
    /// What a baseline left out, when one was applied (`lint --baseline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<baseline::Applied>,
}

impl Report {
    /// True if any finding has error severity.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Number of findings at a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// A fast content hash for CG010's "did this chart file change" question, a word at a
/// time (FxHash's step: rotate, xor, multiply by an odd constant). Every step is a
/// bijection of the running state, so a change confined to one 8-byte word always
/// changes the hash; the length is mixed in last. Byte-at-a-time FNV-1a cost ~3% of a
/// lint run on the `cargo xtask bench lint` corpus, where chart files are half the bytes.
pub fn content_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let step = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let mut words = bytes.chunks_exact(8);
    let mut h = words.by_ref().fold(0, |h, w| {
        step(h, <[u8; 8]>::try_from(w).map_or(0, u64::from_le_bytes))
    });
    let tail = words.remainder();
    if !tail.is_empty() {
        let mut buf = [0u8; 8];
        for (b, t) in buf.iter_mut().zip(tail) {
            *b = *t;
        }
        h = step(h, u64::from_le_bytes(buf));
    }
    step(h, bytes.len() as u64)
}

/// Phase one: analyses one file. Returns `None` for files the linter does not read
/// (other extensions, or excluded by configuration).
pub fn analyze(file: &SourceFile, config: &Config) -> Option<FileAnalysis> {
    if config.is_excluded(&file.path) {
        return None;
    }
    let kind = FileKind::of(&file.path, &file.text, config)?;
    let mut analysis = FileAnalysis {
        path: file.path.clone(),
        kind,
        objects: Vec::new(),
        findings: Vec::new(),
        // Only chart files are compared with the base tree (CG010); hashing the rest
        // would cost a pass over every byte for nothing.
        hash: match config.chart_roots.place(&file.path) {
            layout::Place::Values(_) if !config.version_bump.ignore_values.is_empty() => {
                content_hash(
                    rules::chart_changed_without_version_bump::masked_values(
                        &file.text,
                        &config.version_bump.ignore_values,
                    )
                    .as_bytes(),
                )
            }
            layout::Place::ChartYaml(_)
            | layout::Place::Values(_)
            | layout::Place::ChartFile(_) => content_hash(file.text.as_bytes()),
            _ => 0,
        },
        helmignore: if file.path.ends_with("/.helmignore")
            && config.chart_roots.chart_dir(&file.path).is_some()
        {
            file.text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect()
        } else {
            Vec::new()
        },
        suppressions: Vec::new(),
        image_registry_edit: None,
    };
    if kind == FileKind::Opaque {
        return Some(analysis);
    }
    if let Some(message) = unreadable_reason(file) {
        let mut sink = Sink::new(&rules::invalid_input::META, config, &mut analysis.findings);
        sink.report(&file.path, Pos::new(1, 1), message);
        return Some(analysis);
    }
    if kind == FileKind::Yaml {
        let (objects, error) = model::objects(&file.text, FileRole::of(&file.path));
        analysis.objects = objects;
        if FileRole::of(&file.path) == FileRole::Values
            && !analysis
                .objects
                .iter()
                .any(|o| matches!(o, Object::Values(v) if v.has_image_registry))
        {
            analysis.image_registry_edit = fix::image_registry_edit(&file.text);
        }
        if let Some(err) = error
            && config.is_enabled(&rules::invalid_input::META)
        {
            let mut sink = Sink::new(&rules::invalid_input::META, config, &mut analysis.findings);
            sink.report(
                &file.path,
                err.pos,
                format!("invalid YAML: {}", err.message),
            );
        }
    }
    let hits = config.scanner().scan(&file.text);
    let ctx = FileCtx {
        path: &file.path,
        text: &file.text,
        kind,
        objects: &analysis.objects,
        config,
        hits: &hits,
        lines: std::cell::OnceCell::new(),
    };
    for rule in RULES {
        if let Check::File(check) = rule.check
            && config.is_enabled(rule)
        {
            check(&ctx, &mut Sink::new(rule, config, &mut analysis.findings));
        }
    }
    let invalid = &rules::invalid_suppression::META;
    let mut bad = Vec::new();
    analysis.suppressions = suppress::scan(&ctx, &mut bad);
    if config.is_enabled(invalid) {
        let mut sink = Sink::new(invalid, config, &mut analysis.findings);
        for (pos, message, help) in bad {
            sink.report(&file.path, pos, message).width(22).help(help);
        }
    }
    Some(analysis)
}

fn unreadable_reason(file: &SourceFile) -> Option<String> {
    if file.text.len() > MAX_FILE_BYTES {
        return Some(format!(
            "file is {} bytes, over the {} MiB limit; skipped",
            file.text.len(),
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    if file.text.contains('\0') {
        return Some("file contains NUL bytes (binary?); skipped".to_string());
    }
    None
}

/// A finding for a file the host could not hand over as text (not UTF-8, unreadable,
/// over the size limit), so input problems show up in every output format.
pub fn input_finding(path: &str, message: impl Into<String>, config: &Config) -> Finding {
    let rule = &rules::invalid_input::META;
    make(
        rule,
        config.severity_of(rule),
        path,
        Pos::new(1, 1),
        message.into(),
    )
}

/// Phase two: cross-file rules, suppressions and ordering. Takes the analyses by
/// reference so a host can free them off its critical path.
pub fn finish(files: &[FileAnalysis], base: Option<&[FileAnalysis]>, config: &Config) -> Report {
    let mut findings: Vec<Finding> = Vec::new();
    let ctx = RepoCtx {
        files,
        base,
        config,
        components: std::cell::OnceCell::new(),
    };
    for rule in RULES {
        if let Check::Repo(check) = rule.check
            && config.is_enabled(rule)
        {
            check(&ctx, &mut Sink::new(rule, config, &mut findings));
        }
    }
    // Only files with inline suppressions can cover a cross-file finding.
    let suppressed: std::collections::HashMap<&str, &[Suppression]> = files
        .iter()
        .filter(|f| !f.suppressions.is_empty())
        .map(|f| (f.path.as_str(), f.suppressions.as_slice()))
        .collect();
    if !suppressed.is_empty() {
        findings.retain(|f| {
            !suppressed
                .get(f.path.as_str())
                .is_some_and(|s| suppress::covers(s, f))
        });
    }
    let mut all: Vec<Finding> = Vec::with_capacity(findings.len());
    for file in files {
        all.extend(
            file.findings
                .iter()
                .filter(|f| !suppress::covers(&file.suppressions, f))
                .cloned(),
        );
    }
    all.append(&mut findings);
    sort_findings(&mut all);
    Report {
        findings: all,
        files_scanned: files.len(),
        baseline: None,
    }
}

/// Sorts findings by path, line, column, code and message, and drops duplicates: the
/// order every output has.
pub fn sort_findings(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (
            a.path.as_str(),
            a.line,
            a.col,
            a.code.as_str(),
            a.message.as_str(),
        )
            .cmp(&(
                b.path.as_str(),
                b.line,
                b.col,
                b.code.as_str(),
                b.message.as_str(),
            ))
    });
    findings.dedup();
}

/// CG016's findings: the globs of the configuration that match none of `paths` (every
/// root-relative path of the tree, before `exclude`).
pub fn unmatched_globs(config: &Config, paths: &[&str]) -> Vec<Finding> {
    rules::unmatched_glob::findings(config, paths)
}

/// Lints a set of files (and optionally the base tree for CG010), sequentially.
pub fn lint(files: &[SourceFile], base: Option<&[SourceFile]>, config: &Config) -> Report {
    let analysed: Vec<FileAnalysis> = files.iter().filter_map(|f| analyze(f, config)).collect();
    let base: Option<Vec<FileAnalysis>> =
        base.map(|b| b.iter().filter_map(|f| analyze(f, config)).collect());
    let mut report = finish(&analysed, base.as_deref(), config);
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let unmatched = unmatched_globs(config, &paths);
    if !unmatched.is_empty() {
        report.findings.extend(unmatched);
        sort_findings(&mut report.findings);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::content_hash;

    #[test]
    fn content_hash_sees_every_single_byte_change_and_length() {
        let base: Vec<u8> = (0..=40u8).collect();
        let h = content_hash(&base);
        for i in 0..base.len() {
            for delta in [1u8, 0x80] {
                let mut changed = base.clone();
                changed[i] ^= delta;
                assert_ne!(content_hash(&changed), h, "byte {i} ^ {delta:#x}");
            }
        }
        // Trailing zero bytes are not the same content.
        let mut longer = base.clone();
        longer.push(0);
        assert_ne!(content_hash(&longer), h);
        assert_ne!(content_hash(b""), content_hash(b"\0"));
    }
}
