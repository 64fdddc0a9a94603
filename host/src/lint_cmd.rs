//! `catalyst-guard lint`: walks each root (respecting .gitignore, in parallel), hands
//! file contents to the core, prints the report and returns the exit code.
//!
//! Files are analysed as they are read, on every walker thread: natively with the
//! linked core, or through the plugin with one instance per thread, in batches of
//! [`PLUGIN_BATCH`] files; then one `finish` runs the cross-file rules. Neither engine
//! keeps the tree's text: text output and baselines read back the files with
//! findings.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};

use catalyst_guard::lint::baseline::Baseline;
use catalyst_guard::lint::{
    self, Config, FileAnalysis, Finding, MAX_FILE_BYTES, Report, SourceFile, render,
};

use catalyst_guard_host::plugin::{Linter, Plugin, PluginError};

use crate::walk::{self, Visit};
use crate::{Format, LintArgs, fix, git};

/// Name of the per-repository configuration file.
pub const CONFIG_FILE: &str = ".catalyst-guard.yaml";

/// Runs the command; returns the exit code (0 clean, 1 error findings; with `--fix
/// --dry-run`, 1 if a fix would change a file).
pub fn run(args: &LintArgs, color: bool) -> Result<u8> {
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let plugin = args.engine.load_noting(args.verbose)?;
    if (args.baseline.is_some() || args.write_baseline.is_some()) && args.paths.len() > 1 {
        anyhow::bail!(
            "`--baseline` and `--write-baseline` take one PATH (baseline paths are relative to it)"
        );
    }
    if args.dry_run && !args.fix {
        anyhow::bail!("`--dry-run` only applies to `--fix`");
    }
    let baseline = match &args.baseline {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read baseline `{}`", file.display()))?;
            Some(Baseline::parse(&text).map_err(|e| anyhow::anyhow!("`{}`: {e}", file.display()))?)
        }
        None => None,
    };
    let mut failed = false;
    let mut output = String::new();
    for path in &args.paths {
        let mut linted = lint_path(args, plugin.as_ref(), path, threads)?;
        if args.fix {
            let fixed = fix::fix_files(&linted.root, &linted.report, args.dry_run)?;
            if args.dry_run {
                output.push_str(&fixed.diff);
                failed |= fixed.files > 0;
                continue;
            }
            eprintln!("fixed {} findings in {} files", fixed.findings, fixed.files);
            if fixed.files > 0 {
                linted = lint_path(args, plugin.as_ref(), path, threads)?;
            }
        }
        let Linted {
            root,
            prefix,
            config,
            mut report,
        } = linted;
        // No source text is kept while linting (it would hold the whole tree in
        // memory); text output and baselines need the lines of findings, so it reads
        // back just the files that have findings.
        let needs_text = (args.format != Format::Json && !args.statistics)
            || args.baseline.is_some()
            || args.write_baseline.is_some();
        let sources = if needs_text {
            sources_of(&root, &report, &config)
        } else {
            Vec::new()
        };
        let lookup = |p: &str| text_of(&sources, p);
        if let Some(file) = &args.write_baseline {
            let recorded = Baseline::of(&report, &lookup);
            std::fs::write(file, recorded.to_json())
                .with_context(|| format!("cannot write baseline `{}`", file.display()))?;
            eprintln!(
                "recorded {} findings in `{}`",
                recorded.findings.len(),
                file.display()
            );
            return Ok(0);
        }
        if let Some(baseline) = &baseline {
            baseline.apply(&mut report, &lookup);
        }
        failed |= report.has_errors();
        if args.statistics {
            output.push_str(&render::statistics(&report));
            continue;
        }
        output.push_str(&render_report(
            &report,
            &sources,
            &config,
            args.format,
            color,
            &prefix,
        ));
    }
    crate::print(&output)?;
    Ok(u8::from(failed))
}

/// One PATH linted: its report (filtered by `--new-from-rev`), and what rendering
/// needs.
struct Linted {
    root: PathBuf,
    prefix: String,
    config: Config,
    report: Report,
}

fn lint_path(
    args: &LintArgs,
    plugin: Option<&Plugin>,
    path: &Path,
    threads: usize,
) -> Result<Linted> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let (root, files) = if meta.is_dir() {
        (path.to_path_buf(), None)
    } else {
        (PathBuf::from("."), Some(path.to_path_buf()))
    };
    let (mut config, config_text) = load_config(&root, args.config.as_deref())?;
    if args.verbose {
        eprintln!(
            "linting `{}` with the {} engine",
            path.display(),
            if plugin.is_some() { "plugin" } else { "native" }
        );
    }
    if files.is_some() {
        config.disable_repo_rules();
    }
    let engine = match plugin {
        None => Engine::Native(&config),
        Some(plugin) => Engine::Plugin {
            plugin,
            config: config_text.as_deref(),
        },
    };
    // Every path the walk sees (before `exclude`), for CG016's unmatched globs; only
    // collected when the configuration has globs.
    let seen = Mutex::new(Vec::new());
    let scanned = match &files {
        None => scan_dir(&root, &config, threads, &engine, &seen)?,
        Some(file) => scan_one(file, &config, &engine),
    };
    let base = match &args.base {
        Some(rev) => Some(git::chart_files_at(&root, rev, &config)?),
        None => None,
    };
    let Scanned {
        mut analyses,
        batches,
        input_findings,
        error,
    } = scanned;
    if let Some(error) = error {
        return Err(error.into());
    }
    let mut report = match plugin {
        None => {
            // Paths are unique, so an unstable sort is deterministic (and moves less).
            analyses.sort_unstable_by(|a, b| a.path.cmp(&b.path));
            let base: Option<Vec<FileAnalysis>> =
                base.map(|b| b.iter().filter_map(|f| lint::analyze(f, &config)).collect());
            let report = lint::finish(&analyses, base.as_deref(), &config);
            // Freeing every file's objects takes milliseconds the user waits
            // for; a thread of its own does it while the report is printed.
            std::thread::spawn(move || drop(analyses));
            report
        }
        Some(plugin) => {
            let config_text = config_text.as_deref();
            let mut linter = plugin.linter()?;
            let base = match base {
                Some(files) => Some(vec![linter.analyze(files, config_text)?]),
                None => None,
            };
            let mut report = linter.finish(&batches, base.as_deref(), config_text)?;
            if files.is_some() {
                report.findings.retain(|f| !is_repo_rule(&f.code));
            }
            report
        }
    };
    if config.is_enabled(&lint::rules::invalid_input::META) {
        report.findings.extend(input_findings);
    }
    if files.is_none() {
        let seen = seen.into_inner().unwrap_or_default();
        let paths: Vec<&str> = seen.iter().map(String::as_str).collect();
        report
            .findings
            .extend(lint::unmatched_globs(&config, &paths));
    }
    report
        .findings
        .sort_by(|a, b| (&a.path, a.line, a.col, &a.code).cmp(&(&b.path, b.line, b.col, &b.code)));
    if let Some(rev) = &args.new_from_rev {
        let changed = git::changed_lines(&root, rev)?;
        // A finding on a changed line is new. A cross-file finding is also kept when any
        // file it compares changed: a chart bumped without its blueprint.yaml leaves the
        // CG001 on the unchanged Blueprint line.
        report.findings.retain(|f| {
            changed.contains(&f.path, f.line)
                || (is_repo_rule(&f.code)
                    && (changed.touches(&f.path)
                        || f.related.iter().any(|r| changed.touches(&r.path))))
        });
    }
    let prefix = if files.is_some() {
        String::new()
    } else {
        display_root(&root)
    };
    Ok(Linted {
        root,
        prefix,
        config,
        report,
    })
}

fn display_root(root: &Path) -> String {
    let s = root.to_string_lossy().replace('\\', "/");
    if s == "." || s == "./" {
        String::new()
    } else {
        s.trim_end_matches('/').to_string()
    }
}

fn render_report(
    report: &Report,
    sources: &[SourceFile],
    config: &Config,
    format: Format,
    color: bool,
    prefix: &str,
) -> String {
    let lookup = |p: &str| text_of(sources, p);
    match format {
        Format::Text => {
            let opts = render::TextOptions {
                color,
                path_prefix: prefix.to_string(),
            };
            render::text(report, &lookup, &opts)
        }
        Format::Json => render::json(report, prefix),
        Format::Sarif => render::sarif(report, prefix, config, &lookup),
    }
}

/// The text of `path` among `sources` (sorted by path).
fn text_of<'a>(sources: &'a [SourceFile], path: &str) -> Option<&'a str> {
    sources
        .binary_search_by(|s| s.path.as_str().cmp(path))
        .ok()
        .and_then(|i| sources.get(i))
        .map(|s| s.text.as_str())
}

/// The text of every file a finding points at, sorted by path, read back for the text
/// renderer's source lines. A file that cannot be read again (or changed into
/// something unreadable since) is left out and its findings render without a source
/// line.
fn sources_of(root: &Path, report: &Report, config: &Config) -> Vec<SourceFile> {
    let mut paths: Vec<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|rel| {
            match read_file(std::fs::File::open(root.join(rel)), rel.to_string(), config) {
                Read::Text(src) => Some(src),
                Read::Problem(_) => None,
            }
        })
        .collect()
}

/// True for the cross-file rules, which a lone file cannot be judged by.
fn is_repo_rule(code: &str) -> bool {
    lint::find_rule(code).is_some_and(|r| r.is_cross_file())
}

/// The parsed configuration and its text (the plugin parses the text itself).
fn load_config(root: &Path, explicit: Option<&Path>) -> Result<(Config, Option<String>)> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let p = root.join(CONFIG_FILE);
            if !p.exists() {
                return Ok((Config::default(), None));
            }
            p
        }
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read config `{}`", path.display()))?;
    let mut config =
        Config::parse(&text).map_err(|e| anyhow::anyhow!("`{}`:{e}", path.display()))?;
    // Findings about the configuration (CG016) point at it: root-relative when it is
    // in the tree, as given otherwise.
    config.path = match path.strip_prefix(root) {
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => path.to_string_lossy().into_owned(),
    };
    Ok((config, Some(text)))
}

/// Files handed to one plugin `analyze` call: enough to make the call's fixed cost
/// (instance entry, copying in and out) small, few enough that the last batches
/// spread over every thread.
pub const PLUGIN_BATCH: usize = 64;

/// Where files are analysed.
enum Engine<'a> {
    /// The linked core.
    Native(&'a Config),
    /// The plugin, given the configuration's text (it parses it itself).
    Plugin {
        plugin: &'a Plugin,
        config: Option<&'a str>,
    },
}

/// What a scan produced: the analyses (natively) or the plugin's analysis batches,
/// findings for files that could not be handed over as text, and the first plugin
/// error, which fails the run.
#[derive(Default)]
struct Scanned {
    analyses: Vec<FileAnalysis>,
    batches: Vec<Vec<u8>>,
    input_findings: Vec<Finding>,
    error: Option<PluginError>,
}

/// One walker thread's analysis: what it found so far and, with the plugin, its own
/// instance (made on its first batch) and the files waiting for the next batch.
struct Worker<'a> {
    engine: &'a Engine<'a>,
    local: Scanned,
    linter: Option<Linter<'a>>,
    pending: Vec<SourceFile>,
    /// A plugin call failed, here or on another thread: the run fails, so no more
    /// calls (each could wait out its deadline).
    failed: bool,
}

impl<'a> Worker<'a> {
    fn new(engine: &'a Engine<'a>) -> Self {
        Self {
            engine,
            local: Scanned::default(),
            linter: None,
            pending: Vec::new(),
            failed: false,
        }
    }

    /// Adds what reading one file gave: its analysis, or a finding saying why it
    /// could not be read.
    fn add(&mut self, read: Read) {
        match (read, self.engine) {
            (Read::Problem(f), _) => self.local.input_findings.push(f),
            (Read::Text(src), Engine::Native(config)) => {
                if let Some(a) = lint::analyze(&src, config) {
                    self.local.analyses.push(a);
                }
            }
            (Read::Text(src), Engine::Plugin { .. }) => {
                self.pending.push(src);
                if self.pending.len() >= PLUGIN_BATCH {
                    self.analyze_pending();
                }
            }
        }
    }

    /// Hands the waiting files to this thread's plugin instance. After an error the
    /// thread only drains: the run fails with the first error.
    fn analyze_pending(&mut self) {
        let Engine::Plugin { plugin, config } = self.engine else {
            return;
        };
        let files = std::mem::take(&mut self.pending);
        if files.is_empty() || self.failed {
            return;
        }
        let linter = match self.linter.take() {
            Some(l) => Ok(l),
            None => plugin.linter(),
        };
        match linter.and_then(|mut l| l.analyze(files, *config).map(|batch| (l, batch))) {
            Ok((linter, batch)) => {
                self.linter = Some(linter);
                self.local.batches.push(batch);
            }
            Err(e) => {
                self.failed = true;
                self.local.error = Some(e);
            }
        }
    }

    /// Moves what the thread has into the shared set, keeping the first error.
    fn flush_into(&mut self, out: &Mutex<Scanned>) {
        if let Ok(mut all) = out.lock() {
            all.analyses.append(&mut self.local.analyses);
            all.batches.append(&mut self.local.batches);
            all.input_findings.append(&mut self.local.input_findings);
            if all.error.is_none() {
                all.error = self.local.error.take();
            }
            self.failed |= all.error.is_some();
        }
    }

    /// The thread's results, once every waiting file is analysed.
    fn finish(mut self) -> Scanned {
        self.analyze_pending();
        std::mem::take(&mut self.local)
    }
}

enum Read {
    Text(SourceFile),
    Problem(Finding),
}

fn read_file(file: std::io::Result<std::fs::File>, rel: String, config: &Config) -> Read {
    let problem = |msg: String| Read::Problem(lint::input_finding(&rel, msg, config));
    let bytes = match file.and_then(read_capped) {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(len)) => {
            return problem(format!(
                "file is {len} bytes, over the {} MiB limit; skipped",
                MAX_FILE_BYTES >> 20
            ));
        }
        Err(e) => return problem(format!("cannot read file: {e}")),
    };
    match String::from_utf8(bytes) {
        Ok(text) => Read::Text(SourceFile::new(rel, text)),
        // Opaque chart files (vendored .tgz) are only hashed: lossy text is enough.
        Err(e) if lint::FileKind::of(&rel, "", config) == Some(lint::FileKind::Opaque) => {
            Read::Text(SourceFile::new(
                rel,
                String::from_utf8_lossy(e.as_bytes()).into_owned(),
            ))
        }
        Err(e) => problem(format!(
            "file is not valid UTF-8 (first bad byte at offset {})",
            e.utf8_error().valid_up_to()
        )),
    }
}

/// Reads an open file with one fstat and one read: the contents, or `Err(size)` if it
/// is over [`MAX_FILE_BYTES`]. `std::fs::read` after a size check costs two more
/// syscalls per file (a second path lookup and an end-of-file probe), ~10% of a run on
/// an 18,600-file tree. Reading through `take(size)` ends at the size seen at open
/// without probing; a file that reports size 0 (procfs-like) is read to its end, still
/// capped.
fn read_capped(mut file: std::fs::File) -> std::io::Result<std::result::Result<Vec<u8>, u64>> {
    use std::io::Read as _;
    let len = file.metadata()?.len();
    let cap = MAX_FILE_BYTES as u64;
    if len > cap {
        return Ok(Err(len));
    }
    let limit = if len == 0 { cap + 1 } else { len };
    // `len` is at most MAX_FILE_BYTES, so it fits in usize.
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    (&mut file).take(limit).read_to_end(&mut bytes)?;
    let read = bytes.len() as u64;
    Ok(if read > cap { Err(read) } else { Ok(bytes) })
}

fn scan_one(path: &Path, config: &Config, engine: &Engine<'_>) -> Scanned {
    let rel = path.to_string_lossy().replace('\\', "/");
    let rel = rel.strip_prefix("./").unwrap_or(&rel).to_string();
    let mut worker = Worker::new(engine);
    worker.add(read_file(std::fs::File::open(path), rel, config));
    worker.finish()
}

fn scan_dir(
    root: &Path,
    config: &Config,
    threads: usize,
    engine: &Engine<'_>,
    seen: &Mutex<Vec<String>>,
) -> Result<Scanned> {
    let record = !config.glob_sites.is_empty();
    let out = Mutex::new(Scanned::default());
    let visitor = || {
        let mut batch = Batch {
            out: &out,
            worker: Worker::new(engine),
        };
        move |visit: Visit| {
            let worker = &mut batch.worker;
            match visit {
                Visit::File { rel, file } => worker.add(read_file(file, rel, config)),
                Visit::Error { rel, error } => {
                    worker.local.input_findings.push(lint::input_finding(
                        &rel,
                        format!("cannot read: {error}"),
                        config,
                    ));
                }
            }
            let local = &worker.local;
            if local.analyses.len() + local.batches.len() + local.input_findings.len() >= 64 {
                worker.flush_into(batch.out);
            }
        }
    };
    walk::walk(root, threads, visitor, |rel| {
        if record && let Ok(mut seen) = seen.lock() {
            seen.push(rel.to_string());
        }
        lint::wants(rel, config) && !config.is_excluded(rel)
    });
    out.into_inner()
        .map_err(|_| anyhow::anyhow!("a scan worker panicked"))
}

/// One walker thread's worker, merged into the shared set every 64 results and when
/// the thread finishes (on drop, after its last plugin batch), so threads rarely
/// contend for the lock.
struct Batch<'a> {
    out: &'a Mutex<Scanned>,
    worker: Worker<'a>,
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        self.worker.analyze_pending();
        self.worker.flush_into(self.out);
    }
}
