//! `cargo xtask fuzz [--seconds N] [TARGET...]`: the cargo-fuzz targets in `fuzz/`
//! (libFuzzer; nightly only), each for N seconds (default 60), seeded from the
//! repository's fixtures.
//!
//! Installs what it needs (a minimal nightly toolchain, `cargo-fuzz`), writes the seed
//! corpora into `target/fuzz/seeds/<target>/` (generated, not committed), keeps the
//! corpus each run grows in `target/fuzz/corpus/<target>/`, and writes any crashing
//! input to `target/fuzz/artifacts/<target>/`. Prints one line per target (runs,
//! coverage, corpus size) and fails if any target found a crash: reproduce it with
//! `cargo +nightly fuzz run --fuzz-dir fuzz TARGET FILE`, then commit the input under
//! `fuzz/regressions/<target>/` (replayed by the stable test suite) with the fix.
//!
//! Builds without a sanitizer: the workspace denies `unsafe` code, so AddressSanitizer
//! would only slow the search; debug assertions are on (overflow is a finding).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::fixtures::{sorted_dir, text_files, write_snapshot};
use crate::paths::{root, target_dir};
use crate::process;

/// Every target, in the order they run.
pub const TARGETS: &[&str] = &[
    "lint_tree",
    "config",
    "decide",
    "admission",
    "plugin_boundary",
    "web_api",
    "gitea_url_cel",
];

/// What one run reported.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Executions.
    pub runs: u64,
    /// Coverage counters hit (`cov:`).
    pub cov: u64,
    /// Features (`ft:`).
    pub features: u64,
    /// Corpus entries at the end.
    pub corpus: u64,
}

/// `cargo xtask fuzz ...`.
pub fn run(args: &[&str]) -> Result<()> {
    let mut seconds = 60u64;
    let mut targets: Vec<&str> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match *a {
            "--seconds" => {
                seconds = it
                    .next()
                    .context("--seconds needs a value")?
                    .parse()
                    .context("--seconds needs a number")?;
            }
            t if TARGETS.contains(&t) => targets.push(t),
            other => bail!(
                "unknown fuzz target or option `{other}` (targets: {})",
                TARGETS.join(", ")
            ),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    run_targets(&targets, seconds, None)
}

/// Runs `targets` for `seconds` each (installing the toolchain first); `Err` if any
/// crashed. `cargo xtask test` calls this with a short time per target.
pub fn run_targets(targets: &[&str], seconds: u64, seed: Option<u32>) -> Result<()> {
    ensure_toolchain()?;
    write_seeds()?;
    let mut crashed = Vec::new();
    let mut table = Vec::new();
    for target in targets {
        let (stats, ok) = run_one(target, seconds, seed)?;
        if !ok {
            crashed.push(*target);
        }
        table.push((*target, stats, ok));
    }
    println!("fuzz: {seconds} s per target (cargo xtask fuzz --seconds {seconds})");
    for (target, s, ok) in &table {
        println!(
            "fuzz {target:<16} {:>10} runs  cov {:>5}  ft {:>6}  corpus {:>5}  {}",
            s.runs,
            s.cov,
            s.features,
            s.corpus,
            if *ok { "no crash" } else { "CRASHED" }
        );
    }
    if !crashed.is_empty() {
        bail!(
            "fuzz targets crashed: {} (inputs in {})",
            crashed.join(", "),
            fuzz_dir().join("artifacts").display()
        );
    }
    Ok(())
}

fn fuzz_dir() -> PathBuf {
    target_dir().join("fuzz")
}

/// Installs a minimal nightly and cargo-fuzz if they are missing (idempotent).
fn ensure_toolchain() -> Result<()> {
    let quiet = |cmd: &mut Command| {
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    // Outside the repository, so `rust-toolchain.toml` does not pick the toolchain.
    let tmp = std::env::temp_dir();
    if !quiet(
        Command::new("rustc")
            .args(["+nightly", "--version"])
            .current_dir(&tmp),
    ) {
        eprintln!("installing a minimal nightly toolchain for cargo-fuzz");
        process::run(
            "rustup",
            &["toolchain", "install", "nightly", "--profile", "minimal"],
        )?;
    }
    if !quiet(
        Command::new("cargo")
            .args(["+nightly", "fuzz", "--version"])
            .current_dir(&tmp),
    ) {
        eprintln!("installing cargo-fuzz");
        let status = Command::new("cargo")
            .args(["+nightly", "install", "--locked", "cargo-fuzz"])
            .current_dir(&tmp)
            .status()
            .context("cannot run `cargo install cargo-fuzz`")?;
        if !status.success() {
            bail!("`cargo install cargo-fuzz` failed ({status})");
        }
    }
    Ok(())
}

/// Runs one target; returns its statistics and whether it finished without a crash.
fn run_one(target: &str, seconds: u64, seed: Option<u32>) -> Result<(Stats, bool)> {
    let root = root();
    let dir = fuzz_dir();
    let corpus = dir.join("corpus").join(target);
    let seeds = dir.join("seeds").join(target);
    let artifacts = dir.join("artifacts").join(target);
    for d in [&corpus, &seeds, &artifacts] {
        std::fs::create_dir_all(d)?;
    }
    let dict = root.join("fuzz/dicts").join(format!("{target}.dict"));
    let mut libfuzzer = vec![
        format!("-max_total_time={seconds}"),
        format!("-artifact_prefix={}/", artifacts.display()),
        "-print_final_stats=1".to_string(),
        // Inputs above this size slow the search without reaching new code.
        "-max_len=65536".to_string(),
        "-timeout=10".to_string(),
        "-rss_limit_mb=2048".to_string(),
    ];
    if dict.is_file() {
        libfuzzer.push(format!("-dict={}", dict.display()));
    }
    if let Some(seed) = seed {
        libfuzzer.push(format!("-seed={seed}"));
    }
    let target_dir = dir.join("build");
    let mut cmd = Command::new("cargo");
    cmd.arg("+nightly")
        .args(["fuzz", "run", "--fuzz-dir"])
        .arg(root.join("fuzz"))
        .args(["--sanitizer", "none", "--debug-assertions", "--target-dir"])
        .arg(&target_dir)
        .arg(target)
        .arg(&corpus)
        .arg(&seeds)
        .arg("--")
        .args(&libfuzzer)
        // The outer cargo's toolchain must not leak into the nightly build.
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .current_dir(&root)
        .stderr(Stdio::piped());
    eprintln!("+ cargo +nightly fuzz run {target} ({seconds} s)");
    let mut child = cmd.spawn().context("cannot run `cargo +nightly fuzz`")?;
    let stderr = child.stderr.take().context("no stderr")?;
    let mut stats = Stats::default();
    let mut tail: Vec<String> = Vec::new();
    use std::io::BufRead;
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line?;
        parse_line(&line, &mut stats);
        // Keep libFuzzer's progress quiet, but everything else (build errors, the
        // crash report) visible.
        if !line.starts_with('#') || line.contains("DONE") {
            eprintln!("{line}");
        }
        tail.push(line);
        if tail.len() > 200 {
            tail.remove(0);
        }
    }
    let status = child.wait()?;
    stats.corpus = std::fs::read_dir(&corpus).map_or(0, |d| d.count() as u64);
    Ok((stats, status.success()))
}

/// Reads libFuzzer's status lines (`#4096 pulse cov: 812 ft: 2301 corp: ...`) and final
/// stats (`stat::number_of_executed_units: 123`).
pub fn parse_line(line: &str, stats: &mut Stats) {
    let field = |name: &str| -> Option<u64> {
        let rest = line.split(name).nth(1)?;
        rest.split_whitespace().next()?.parse().ok()
    };
    if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
        stats.runs = n.trim().parse().unwrap_or(stats.runs);
    } else if line.starts_with('#') {
        if let Some(runs) = line
            .get(1..)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
        {
            stats.runs = stats.runs.max(runs);
        }
        if let Some(c) = field(" cov: ") {
            stats.cov = stats.cov.max(c);
        }
        if let Some(f) = field(" ft: ") {
            stats.features = stats.features.max(f);
        }
    }
}

/// Writes the seed corpora from the fixtures (regenerated each run, so they follow the
/// fixtures; nothing generated is committed).
fn write_seeds() -> Result<()> {
    let root = root();
    let seeds = fuzz_dir().join("seeds");
    let _ = std::fs::remove_dir_all(&seeds);
    let write = |target: &str, name: &str, bytes: &[u8]| -> Result<()> {
        let dir = seeds.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), bytes).with_context(|| format!("cannot write seed {name}"))
    };

    // File sets: every fixture tree (each rule's fire/pass trees, the synthetic
    // Sovereign, the example repository), in the `==> path <==` format.
    let mut trees: Vec<(String, PathBuf)> = vec![
        (
            "sovereign".to_string(),
            root.join("tests/fixtures/sovereign"),
        ),
        ("example".to_string(), root.join("examples/sovereign")),
    ];
    for rule in sorted_dir(&root.join("tests/fixtures/rules"))? {
        for side in ["fire", "pass"] {
            let tree = rule.join(side);
            if tree.is_dir() {
                let name = format!("{}-{side}", file_name(&rule));
                trees.push((name, tree));
            }
        }
    }
    for (name, tree) in &trees {
        let mut files = Vec::new();
        text_files(tree, tree, &mut files)?;
        let joined = join(&files);
        write("lint_tree", name, joined.as_bytes())?;
        let mut boundary = vec![0u8];
        boundary.extend_from_slice(joined.as_bytes());
        write("plugin_boundary", name, &boundary)?;
        for (path, text) in &files {
            if path.ends_with(".catalyst-guard.yaml") {
                write("config", &format!("{name}-lint"), text.as_bytes())?;
            }
        }
    }

    // Configurations: the documented examples, the deployed recovery ConfigMap's
    // `config.yaml`.
    for (name, text) in [
        (
            "recovery-doc",
            "stuckThreshold: 1h30m\nmaxActions: 3\nstrategies:\n  stuckStatusLost: force-reconcile\n  stuckAfterLeaderLoss: status-patch\nsuspendPause: 10s\nnamespaces:\n  include: [apps]\n  exclude: [kube-system]\nlabelSelector: team=platform,!skip\nannotations:\n  correctedAt: example.io/at\n",
        ),
        (
            "lint-doc",
            "rules:\n  CG007: warning\n  sops-decryption: off\nlocationCodes:\n  providers: { v: Vultr }\n  regions:\n    a: { e: eu-central-1 }\nretiredTerms:\n  - term: legacy-portal\n    replacement: console\nallowedHosts: [gitea.example.org]\nexclude: [\"docs/archive/**\"]\n",
        ),
    ] {
        write("config", name, text.as_bytes())?;
    }
    // The ConfigMap's `config.yaml` in the kustomize base (the chart's defaults).
    if let Ok(base) = std::fs::read_to_string(root.join("deploy/catalyst-guard.yaml")) {
        let parsed = catalyst_guard::yaml::parse(&base);
        let config = parsed
            .documents
            .iter()
            .filter_map(|d| d.root())
            .find_map(|r| r.str_at(&["data", "config.yaml"]));
        if let Some(config) = config {
            write("config", "deploy-configmap", config.as_bytes())?;
        }
    }

    // Snapshots: the recovery fixtures and a small generated cluster.
    let recovery = root.join("tests/fixtures/recovery");
    let mut snapshots = Vec::new();
    text_files(&recovery, &recovery, &mut snapshots)?;
    snapshots.retain(|(p, _)| p.ends_with(".json"));
    let generated = fuzz_dir().join("snapshot-40.json");
    write_snapshot(&generated, 40)?;
    snapshots.push((
        "generated-40.json".to_string(),
        std::fs::read_to_string(&generated)?,
    ));
    for (path, text) in &snapshots {
        let name = path.replace('/', "_");
        write("decide", &name, text.as_bytes())?;
        let mut boundary = vec![1u8];
        boundary.extend_from_slice(b"{\"maxActions\": 3}\n---\n");
        boundary.extend_from_slice(text.as_bytes());
        write("plugin_boundary", &format!("decide-{name}"), &boundary)?;
    }

    // Admission: every request fixture as policy-server wraps it; raw payloads as is.
    let requests = root.join("policies/kubewarden/test_data/requests");
    let mut found = Vec::new();
    text_files(&requests, &requests, &mut found)?;
    for (path, text) in &found {
        let name = path.replace('/', "_");
        if path.ends_with(".json") {
            let payload = format!("{{\"settings\":{{}},\"request\":{text}}}");
            write("admission", &name, payload.as_bytes())?;
        } else {
            write("admission", &name, text.as_bytes())?;
        }
    }

    // URLs: every Gitea/Git URL in the fixtures' text.
    let mut urls: Vec<String> = Vec::new();
    for (_, tree) in &trees {
        let mut files = Vec::new();
        text_files(tree, tree, &mut files)?;
        for (_, text) in files {
            urls.extend(
                text.split(|c: char| c.is_whitespace() || c == '"' || c == '`')
                    .filter(|w| w.contains("://"))
                    .map(str::to_string),
            );
        }
    }
    urls.sort();
    urls.dedup();
    for (i, url) in urls.iter().enumerate() {
        write("gitea_url_cel", &format!("url-{i:03}"), url.as_bytes())?;
    }
    Ok(())
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A file set in the `==> path <==` format the `lint_tree` target reads.
fn join(files: &[(String, String)]) -> String {
    let mut out = String::new();
    for (path, text) in files {
        out.push_str(&format!("==> {path} <==\n{text}"));
        if !text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libfuzzer_status_and_final_stats_are_read() {
        let mut s = Stats::default();
        parse_line(
            "#4096\tpulse  cov: 812 ft: 2301 corp: 55/3210b lim: 43 exec/s: 2048 rss: 60Mb",
            &mut s,
        );
        assert_eq!((s.runs, s.cov, s.features), (4096, 812, 2301));
        parse_line("#8192\tNEW    cov: 815 ft: 2310 corp: 56/3300b", &mut s);
        assert_eq!((s.runs, s.cov, s.features), (8192, 815, 2310));
        parse_line("stat::number_of_executed_units: 9000", &mut s);
        assert_eq!(s.runs, 9000);
        parse_line("INFO: Seed: 1234", &mut s);
        assert_eq!(s.runs, 9000);
    }
}
