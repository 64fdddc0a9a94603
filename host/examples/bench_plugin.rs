//! Plugin benchmark driver, spawned by `cargo xtask bench plugin` (which generates the
//! inputs): cold start with and without the precompiled cache, per-call overhead, and
//! plugin/native ratios on a recovery snapshot and a lint corpus.
//!
//! Usage: `bench_plugin PLUGIN SNAPSHOT.json CORPUS_DIR`
#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a benchmark: a broken setup stops it loudly"
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use catalyst_guard::lint::{self, Config, SourceFile};
use catalyst_guard::recovery::{RecoveryConfig, Snapshot, decide};
use catalyst_guard_host::plugin::{Limits, OnDeadline, Plugin};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn read_tree(dir: &Path, out: &mut Vec<SourceFile>, root: &Path) {
    for entry in std::fs::read_dir(dir).expect("readable corpus").flatten() {
        let path = entry.path();
        if path.is_dir() {
            read_tree(&path, out, root);
        } else {
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            if lint::wants(&rel, &lint::Config::default()) {
                out.push(SourceFile::new(
                    rel,
                    std::fs::read_to_string(&path).expect("UTF-8"),
                ));
            }
        }
    }
}

/// Deals `chunks` round robin to `threads` threads running `work` on their share at
/// once, and joins what they return, thread by thread.
fn on_threads<T: Send>(
    chunks: &[&[SourceFile]],
    threads: usize,
    work: impl Fn(Vec<&[SourceFile]>) -> Vec<T> + Sync,
) -> Vec<T> {
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let mine: Vec<&[SourceFile]> =
                    chunks.iter().skip(t).step_by(threads).copied().collect();
                let work = &work;
                s.spawn(move || work(mine))
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [plugin_path, snapshot_path, corpus] = args.as_slice() else {
        eprintln!("usage: bench_plugin PLUGIN SNAPSHOT.json CORPUS_DIR");
        std::process::exit(2);
    };
    let plugin_path = PathBuf::from(plugin_path);
    let size = std::fs::metadata(&plugin_path).expect("plugin").len();
    println!(
        "plugin size: {size} bytes ({:.2} MiB)",
        size as f64 / (1024.0 * 1024.0)
    );

    // Generous bounds: this measures speed, not the sandbox. The deadline is kept as
    // the CLI keeps it (a watchdog, no epoch checks in the compiled code).
    let limits = Limits {
        deadline: Duration::from_secs(120),
        memory: 2048 * 1024 * 1024,
        on_deadline: OnDeadline::ExitProcess,
    };
    let cache =
        std::env::temp_dir().join(format!("catalyst-guard-bench-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let start = Instant::now();
    let compiled = Plugin::load(&plugin_path, limits, Some(&cache)).expect("plugin compiles");
    let uncached = start.elapsed();
    assert!(!compiled.from_cache);
    drop(compiled);
    let cached = time(15, || {
        let p = Plugin::load(&plugin_path, limits, Some(&cache)).expect("loads from cache");
        assert!(p.from_cache);
        p
    });
    let cached_first_call = time(15, || {
        let p = Plugin::load(&plugin_path, limits, Some(&cache)).expect("loads from cache");
        p.version().expect("version")
    });
    println!("cold start without cache (compile): {:.0} ms", ms(uncached));
    println!(
        "cold start from the precompiled cache: {:.2} ms (load), {:.2} ms (load + first call)",
        ms(cached),
        ms(cached_first_call)
    );

    let plugin = Plugin::load(&plugin_path, limits, Some(&cache)).expect("loads");
    let per_call = time(200, || plugin.version().expect("version"));
    println!(
        "per-call overhead (fresh instance + `version` call): {:.1} us",
        per_call.as_secs_f64() * 1e6
    );

    let snapshot_json = std::fs::read_to_string(snapshot_path).expect("snapshot");
    let snapshot = Snapshot::from_json(&snapshot_json).expect("valid snapshot");
    let config = RecoveryConfig::default();
    let config_json = serde_json::to_string(&config).expect("config json");
    let now = 1_795_348_800; // 2026-11-22T12:00:00Z
    let native_decide = time(11, || decide(&snapshot, &config, now));
    let native_json = time(11, || {
        let s = Snapshot::from_json(&snapshot_json).expect("snapshot");
        decide(&s, &config, now).to_json_compact()
    });
    let plugin_decide = time(11, || {
        plugin
            .decide(&snapshot_json, &config_json, now)
            .expect("plugin decide")
    });
    // The plugin returns the compact wire format.
    assert_eq!(
        plugin
            .decide(&snapshot_json, &config_json, now)
            .expect("plan"),
        decide(&snapshot, &config, now).to_json_compact(),
        "plugin and native plans differ"
    );
    println!(
        "decide, {} HelmReleases / {} storage entries: native {:.1} ms (decide only), native {:.1} ms (JSON in/out), plugin {:.1} ms (JSON in/out) -> plugin/native {:.2}x",
        snapshot.helm_releases.len(),
        snapshot.storage.len(),
        ms(native_decide),
        ms(native_json),
        ms(plugin_decide),
        plugin_decide.as_secs_f64() / native_json.as_secs_f64()
    );

    let root = PathBuf::from(corpus);
    let mut files = Vec::new();
    read_tree(&root, &mut files, &root);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let bytes: usize = files.iter().map(|f| f.text.len()).sum();
    let native_lint = time(5, || lint::lint(&files, None, &Config::default()));
    let plugin_lint = time(5, || plugin.lint(&files, None, None).expect("plugin lint"));
    println!(
        "lint, {} files / {:.1} MB, one thread each: native {:.0} ms, plugin {:.0} ms -> plugin/native {:.2}x",
        files.len(),
        bytes as f64 / 1e6,
        ms(native_lint),
        ms(plugin_lint),
        plugin_lint.as_secs_f64() / native_lint.as_secs_f64()
    );
    // As `catalyst-guard lint` runs them: batches of 64 files spread over every thread
    // (one plugin instance each), then one `finish`.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunks: Vec<&[SourceFile]> = files.chunks(64).collect();
    let config = Config::default();
    let native_par = time(5, || {
        let analyses = on_threads(&chunks, threads, |mine| {
            mine.iter()
                .flat_map(|c| c.iter().filter_map(|f| lint::analyze(f, &config)))
                .collect()
        });
        lint::finish(&analyses, None, &config)
    });
    let plugin_par = time(5, || {
        let batches = on_threads(&chunks, threads, |mine| {
            let mut linter = plugin.linter().expect("instance");
            mine.iter()
                .map(|c| linter.analyze(c.to_vec(), None).expect("analyze"))
                .collect()
        });
        let mut linter = plugin.linter().expect("instance");
        linter.finish(&batches, None, None).expect("finish")
    });
    println!(
        "lint, {} files, {threads} threads each (batches of 64, one finish): native {:.0} ms, plugin {:.0} ms -> plugin/native {:.2}x",
        files.len(),
        ms(native_par),
        ms(plugin_par),
        plugin_par.as_secs_f64() / native_par.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&cache);

    // The README's targets: a miss fails `cargo xtask bench plugin`.
    let decide_ratio = plugin_decide.as_secs_f64() / native_json.as_secs_f64();
    let lint_ratio = plugin_lint.as_secs_f64() / native_lint.as_secs_f64();
    let targets = [
        (
            "plugin size <= 1.5 MiB",
            size <= 1536 * 1024,
            format!("{size} bytes"),
        ),
        (
            "cold start from the cache (load + first call) <= 5 ms",
            cached_first_call <= Duration::from_millis(5),
            format!("{:.2} ms", ms(cached_first_call)),
        ),
        (
            "decide plugin/native <= 2.0x",
            decide_ratio <= 2.0,
            format!("{decide_ratio:.2}x"),
        ),
        (
            "lint plugin/native <= 2.0x",
            lint_ratio <= 2.0,
            format!("{lint_ratio:.2}x"),
        ),
    ];
    let mut missed = 0;
    for (what, ok, measured) in &targets {
        println!(
            "target {what}: {} ({measured})",
            if *ok { "met" } else { "MISSED" }
        );
        missed += usize::from(!ok);
    }
    if missed > 0 {
        eprintln!("bench plugin: {missed} target(s) missed");
        std::process::exit(1);
    }
}
