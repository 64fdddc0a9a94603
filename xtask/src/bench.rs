//! The lint and plugin benchmarks.
//!
//! `cargo xtask bench lint`: end-to-end lint throughput on a generated corpus, against
//! the raw parse time of the same YAML with the chosen parser (saphyr-parser), against
//! yamllint, and through the WebAssembly plugin (built first, as the container image
//! ships it) against the native engine.
//!
//! `cargo xtask bench plugin`: the plugin's own costs (compile, instantiate, calls)
//! through the host's `bench_plugin` example.
//!
//! Timings are wall-clock medians of several runs on whatever machine runs them; the
//! figures in README.md come from this command on the project's 2-core machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use catalyst_guard::lint::{self, Config, FileKind, SourceFile};

use crate::fixtures::{corpus_dir, write_snapshot};
use crate::paths::{bench_dir, host_binary, plugin_wasm, relative, root};
use crate::plugin::build_wasm;
use crate::process::run;
use crate::targets::Targets;

struct Options {
    blueprints: usize,
    runs: usize,
    threads: usize,
    yamllint: bool,
}

fn parse_options(args: &[&str]) -> Result<Options> {
    let mut o = Options {
        blueprints: 3000,
        runs: 5,
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        yamllint: true,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut num = |name: &str| -> Result<usize> {
            it.next()
                .with_context(|| format!("{name} needs a value"))?
                .parse()
                .with_context(|| format!("{name} needs a number"))
        };
        match *arg {
            "--blueprints" => o.blueprints = num("--blueprints")?,
            "--runs" => o.runs = num("--runs")?.max(1),
            "--threads" => o.threads = num("--threads")?.max(1),
            "--no-yamllint" => o.yamllint = false,
            other => bail!("unknown option `{other}`"),
        }
    }
    Ok(o)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files_under(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn parse_events(texts: &[String]) -> usize {
    let mut events = 0;
    for t in texts {
        for ev in saphyr_parser::Parser::new_from_str(t) {
            if ev.is_err() {
                break;
            }
            events += 1;
        }
    }
    events
}

fn parallel<T: Send>(texts: &[String], threads: usize, f: fn(&[String]) -> T) -> Vec<T> {
    let chunk = texts.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = texts.chunks(chunk).map(|c| s.spawn(move || f(c))).collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    })
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

/// Runs the lint benchmark.
pub fn lint(args: &[&str]) -> Result<()> {
    let o = parse_options(args)?;
    let root = root();
    let corpus_dir = corpus_dir(o.blueprints)?;
    let mut paths = Vec::new();
    files_under(&corpus_dir, &mut paths)?;
    let mut total_bytes = 0u64;
    let mut yaml = Vec::new();
    let mut sources = Vec::new();
    let mut yaml_paths = Vec::new();
    for p in &paths {
        let text = std::fs::read_to_string(p)?;
        total_bytes += text.len() as u64;
        let rel = relative(&corpus_dir, p);
        // The raw-parse baseline parses exactly the files the linter parses as YAML
        // (Helm templates are scanned as text, not parsed).
        if FileKind::of(&rel, &text, &catalyst_guard::lint::Config::default())
            == Some(FileKind::Yaml)
        {
            yaml.push(text.clone());
            yaml_paths.push(p.clone());
        }
        sources.push(SourceFile::new(rel, text));
    }
    let yaml_bytes: u64 = yaml.iter().map(|t| t.len() as u64).sum();
    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "corpus: {} components, {} files, {:.1} MB ({} YAML files, {:.1} MB YAML)",
        o.blueprints,
        paths.len(),
        mb(total_bytes),
        yaml.len(),
        mb(yaml_bytes)
    );

    // The plugin is part of what is measured: build it (incremental) rather than skip
    // the plugin/native target when it is missing.
    build_wasm(&[])?;
    eprintln!("building the release binary");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "-p", "catalyst-guard-host"])
        .current_dir(&root)
        .status()?;
    if !status.success() {
        bail!("release build failed");
    }
    let bin = host_binary("release");

    let raw_1 = time(o.runs, || parse_events(&yaml));
    let raw_n = time(o.runs, || parallel(&yaml, o.threads, parse_events));
    // The same parse, but reading every file from disk first (page cache warm), split
    // across the same threads: the apples-to-apples baseline for the end-to-end run,
    // which also has to read what it parses.
    let read_parse_n = time(o.runs, || {
        let chunk = yaml_paths.len().div_ceil(o.threads).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> = yaml_paths
                .chunks(chunk)
                .map(|c| {
                    s.spawn(move || {
                        let texts: Vec<String> = c
                            .iter()
                            .filter_map(|p| std::fs::read_to_string(p).ok())
                            .collect();
                        parse_events(&texts)
                    })
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().ok())
                .sum::<usize>()
        })
    });

    let config = Config::default();
    let core_n = time(o.runs, || {
        let chunk = sources.len().div_ceil(o.threads).max(1);
        let analyses: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = sources
                .chunks(chunk)
                .map(|c| {
                    s.spawn(|| {
                        c.iter()
                            .filter_map(|f| lint::analyze(f, &config))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().ok())
                .flatten()
                .collect()
        });
        lint::finish(&analyses, None, &config).findings.len()
    });

    // The median time of a lint run and the findings it reported.
    let run_lint = |engine: &[&str]| -> Result<(Duration, usize)> {
        let mut findings = 0;
        let mut once = || -> Result<Duration> {
            let start = Instant::now();
            let out = Command::new(&bin)
                .args([
                    "lint",
                    "--format",
                    "json",
                    "--threads",
                    &o.threads.to_string(),
                ])
                .args(engine)
                .arg(&corpus_dir)
                .output()?;
            let elapsed = start.elapsed();
            if out.status.code() != Some(1) {
                bail!(
                    "lint exited {:?}: {}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            let json: serde_json::Value = serde_json::from_slice(&out.stdout)?;
            findings = json["findings"].as_array().map_or(0, Vec::len);
            Ok(elapsed)
        };
        // One untimed run first, so every timed run sees a warm page cache (the
        // release build just before can evict the corpus).
        once()?;
        let times = (0..o.runs).map(|_| once()).collect::<Result<Vec<_>>>()?;
        Ok((median(times), findings))
    };
    let (e2e, findings) = run_lint(&["--engine", "native"])?;
    // The same run through the WebAssembly plugin on the same threads, with the
    // default deadline and memory cap (they bound each call and each instance).
    let plugin_arg = plugin_wasm().to_string_lossy().into_owned();
    let (e2e_plugin, plugin_findings) = run_lint(&["--engine", "plugin", "--plugin", &plugin_arg])?;
    if plugin_findings != findings {
        bail!("the plugin found {plugin_findings} findings, the native engine {findings}");
    }

    let secs = |d: Duration| d.as_secs_f64();
    println!("threads: {}", o.threads);
    println!(
        "raw parse (saphyr-parser events, in memory), 1 thread : {:>8.1} ms  {:>6.1} MB/s",
        secs(raw_1) * 1e3,
        mb(yaml_bytes) / secs(raw_1)
    );
    println!(
        "raw parse (saphyr-parser events, in memory), {} threads: {:>8.1} ms  {:>6.1} MB/s",
        o.threads,
        secs(raw_n) * 1e3,
        mb(yaml_bytes) / secs(raw_n)
    );
    println!(
        "read from disk + raw parse, {} threads                  : {:>8.1} ms",
        o.threads,
        secs(read_parse_n) * 1e3
    );
    println!(
        "core lint in memory (analyze + finish), {} threads    : {:>8.1} ms",
        o.threads,
        secs(core_n) * 1e3
    );
    println!(
        "end-to-end `catalyst-guard lint --engine native` (walk, read, lint, JSON): {:>8.1} ms  {:>6.1} MB/s  {:>8.0} files/s  ({findings} findings)",
        secs(e2e) * 1e3,
        mb(total_bytes) / secs(e2e),
        paths.len() as f64 / secs(e2e)
    );
    println!(
        "end-to-end `catalyst-guard lint --engine plugin`, {} threads: {:>8.1} ms  {:>6.1} MB/s",
        o.threads,
        secs(e2e_plugin) * 1e3,
        mb(total_bytes) / secs(e2e_plugin)
    );
    println!(
        "ratio core lint / raw parse, in memory, {} threads: {:.2}x",
        o.threads,
        secs(core_n) / secs(raw_n)
    );
    println!(
        "ratio end-to-end / (read + raw parse), {} threads: {:.2}x",
        o.threads,
        secs(e2e) / secs(read_parse_n)
    );
    println!(
        "ratio end-to-end / raw parse in memory: {:.2}x ({} threads), {:.2}x (1-thread parse)",
        secs(e2e) / secs(raw_n),
        o.threads,
        secs(e2e) / secs(raw_1)
    );
    if o.yamllint {
        match yamllint(&corpus_dir) {
            Ok(d) => println!(
                "yamllint (relaxed config, same corpus): {:>8.1} ms -> catalyst-guard is {:.1}x faster",
                secs(d) * 1e3,
                secs(d) / secs(e2e)
            ),
            Err(e) => println!("yamllint: not measured ({e:#})"),
        }
    }
    // The README's targets; the ratio is judged against the apples-to-apples baseline
    // (reading and parsing the same YAML on the same threads).
    let mut targets = Targets::default();
    let throughput = mb(total_bytes) / secs(e2e);
    targets.check(
        "end to end >= 50 MB/s",
        throughput >= 50.0,
        format!("{throughput:.1} MB/s"),
    );
    let ratio = secs(e2e) / secs(read_parse_n);
    targets.check(
        "end to end <= 1.5x read + raw parse",
        ratio <= 1.5,
        format!("{ratio:.2}x"),
    );
    let plugin_ratio = secs(e2e_plugin) / secs(e2e);
    targets.check(
        "end to end plugin/native <= 1.5x",
        plugin_ratio <= 1.5,
        format!("{plugin_ratio:.2}x"),
    );
    targets.finish("lint")
}

fn yamllint(dir: &Path) -> Result<Duration> {
    let have = Command::new("python3")
        .args(["-m", "yamllint", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        eprintln!("installing yamllint from PyPI");
        let ok = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "yamllint"])
            .status()?
            .success();
        if !ok {
            bail!("pip install yamllint failed");
        }
    }
    let start = Instant::now();
    let status = Command::new("python3")
        .args(["-m", "yamllint", "-d", "relaxed", "-f", "parsable"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    let elapsed = start.elapsed();
    if status.code().is_none_or(|c| c > 1) {
        bail!("yamllint exited {:?}", status.code());
    }
    Ok(elapsed)
}

/// `cargo xtask bench plugin`: builds the plugin, generates a 10,000-HelmRelease
/// snapshot and the 3,000-blueprint lint corpus, and runs the host's `bench_plugin`
/// example (release build) on them. The example holds the wasmtime code, so this
/// crate stays small.
pub fn plugin(args: &[&str]) -> Result<()> {
    if let Some(a) = args.first() {
        bail!("unknown option `{a}`");
    }
    build_wasm(&[])?;
    let snapshot = bench_dir().join("snapshot-10000.json");
    std::fs::create_dir_all(bench_dir())?;
    write_snapshot(&snapshot, 10_000)?;
    let corpus = corpus_dir(3000)?;
    let plugin = plugin_wasm();
    let (plugin, snapshot, corpus) = (
        plugin.to_string_lossy(),
        snapshot.to_string_lossy(),
        corpus.to_string_lossy(),
    );
    run(
        env!("CARGO"),
        &[
            "run",
            "--quiet",
            "--release",
            "-p",
            "catalyst-guard-host",
            "--example",
            "bench_plugin",
            "--",
            &plugin,
            &snapshot,
            &corpus,
        ],
    )
}
