//! `cargo xtask bench recover`: the decision engine on a generated cluster of 10,000
//! HelmReleases and 30,000 Helm storage entries, natively; then the real binary end to
//! end against the in-process API server (the same one the host tests use), reporting
//! wall time, the API requests it made (pages, not one per HelmRelease) and its peak
//! RSS, with the native engine and with the plugin as the image ships it (precompiled
//! beside it, an empty cache as the CronJob's emptyDir) and compiled at start.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use catalyst_guard::recovery::time::parse_rfc3339;
use catalyst_guard::recovery::{RecoveryConfig, decide};

use crate::fixtures::{Cluster, NOW};
use crate::paths::{host_binary, plugin_wasm};
use crate::plugin::{build_wasm, precompile};
use crate::targets::Targets;

#[allow(
    dead_code,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "the host tests' API server: test code (a broken setup panics), of which the benchmark uses a subset"
)]
#[path = "../../host/tests/support/apiserver.rs"]
mod apiserver;

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// User + system CPU seconds of a live process, from `/proc/<pid>/stat` (clock ticks
/// are 100 per second on Linux).
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Runs the benchmark.
pub fn run(args: &[&str]) -> Result<()> {
    let mut count = 10_000usize;
    let mut runs = 9usize;
    // Another build of the host to run end to end (e.g. the image's static musl binary,
    // whose allocator differs from glibc's): the release build otherwise.
    let mut binary: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match *a {
            "--helmreleases" => count = it.next().context("value")?.parse()?,
            "--runs" => runs = it.next().context("value")?.parse::<usize>()?.max(1),
            "--binary" => binary = Some(PathBuf::from(it.next().context("value")?)),
            other => bail!("unknown option `{other}`"),
        }
    }
    let now = parse_rfc3339(NOW).context("NOW")?;
    let cluster = Cluster::generate(count)?;
    let snap = cluster.snapshot()?;
    let config = RecoveryConfig {
        suspend_pause_seconds: 0,
        ..RecoveryConfig::default()
    };
    println!(
        "cluster: {} HelmReleases, {} Helm storage entries; the Snapshot the plugin gets is {:.1} MiB of JSON",
        snap.helm_releases.len(),
        snap.storage.len(),
        snap.to_json_compact().len() as f64 / (1024.0 * 1024.0)
    );

    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let plan = decide(std::hint::black_box(&snap), &config, now);
            let t = start.elapsed();
            std::hint::black_box(plan);
            t
        })
        .collect();
    times.sort();
    let plan = decide(&snap, &config, now);
    let mut targets = Targets::default();
    let median = times[runs / 2];
    targets.check(
        "decide <= 50 ms (median)",
        median <= Duration::from_millis(50),
        format!("{:.2} ms", median.as_secs_f64() * 1e3),
    );
    println!(
        "decide (native, release build): median {:.2} ms, min {:.2} ms over {runs} runs ({} actions, guardrail tripped: {})",
        times[runs / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        plan.actions.len(),
        plan.guardrail.tripped
    );

    let binary = match binary {
        Some(b) => b,
        None => {
            let status = Command::new(env!("CARGO"))
                .args(["build", "--release", "--quiet", "-p", "catalyst-guard-host"])
                .current_dir(crate::paths::root())
                .status()?;
            if !status.success() {
                bail!("release build failed");
            }
            host_binary("release")
        }
    };
    println!("binary: {}", binary.display());
    build_wasm(&[])?;
    let scratch = std::env::temp_dir().join(format!("catalyst-guard-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    // The image's layout: the plugin in a lib folder with `precompiled/<cache key>`
    // beside it, compiled by this same binary (as `cargo xtask image` does).
    let lib = scratch.join("lib");
    std::fs::create_dir_all(&lib)?;
    let shipped = lib.join("catalyst-guard.wasm");
    std::fs::copy(plugin_wasm(), &shipped)?;
    let artifact = precompile(&binary, &shipped, &scratch.join("precompile"))?;
    let precompiled = lib.join("precompiled");
    std::fs::create_dir_all(&precompiled)?;
    std::fs::copy(
        &artifact,
        precompiled.join(artifact.file_name().context("artifact name")?),
    )?;
    let shipped = shipped.to_string_lossy().into_owned();
    let plugin = plugin_wasm().to_string_lossy().into_owned();
    let cases: [(&str, Vec<&str>); 3] = [
        ("native", vec!["--engine", "native"]),
        (
            "plugin, precompiled as shipped in the image",
            vec!["--engine", "plugin", "--plugin", shipped.as_str()],
        ),
        (
            "plugin, compiled at start (fallback: no usable precompiled artifact)",
            vec!["--engine", "plugin", "--plugin", plugin.as_str()],
        ),
    ];
    for (label, engine) in cases {
        // A fresh cluster per engine: the first run's writes would make the second a no-op.
        let server =
            apiserver::FakeApiServer::start(cluster.helm_releases.clone(), cluster.secrets.clone());
        let dir = scratch.join("run");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let kubeconfig = server.write_kubeconfig(&dir);
        let config_path = dir.join("config.yaml");
        std::fs::write(&config_path, "suspendPause: 0s\n")?;
        // The CronJob's cache is an emptyDir: empty at the start of every run.
        let cache = dir.join("cache");
        let start = Instant::now();
        let mut child = Command::new(&binary)
            .arg("recover")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .arg("--config")
            .arg(&config_path)
            .args(["--now", NOW])
            .args(&engine)
            .env("CATALYST_GUARD_CACHE_DIR", &cache)
            .stdout(std::process::Stdio::null())
            .spawn()?;
        // VmHWM is a high-water mark: the last value read before exit is the peak (to
        // within the polling interval's allocations).
        let mut peak = 0;
        let mut cpu = 0.0f64;
        let exit = loop {
            if let Some(k) = vm_hwm_kib(child.id()) {
                peak = peak.max(k);
            }
            if let Some(c) = cpu_secs(child.id()) {
                cpu = cpu.max(c);
            }
            if let Some(s) = child.try_wait()? {
                break s;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let wall = start.elapsed();
        let requests = server.requests();
        let reads = requests.iter().filter(|r| r.method == "GET").count();
        // The one other read is the helm-controller Deployment (its version).
        let lists = requests
            .iter()
            .filter(|r| {
                r.method == "GET"
                    && (r.path.ends_with("/helmreleases") || r.path.ends_with("/secrets"))
            })
            .count();
        let writes = requests.len() - reads;
        // A run that compiled the plugin leaves its artifact in the cache.
        let compiled = std::fs::read_dir(&cache).is_ok_and(|mut d| d.next().is_some());
        let peak_mib = peak as f64 / 1024.0;
        println!(
            "end to end `catalyst-guard recover`, {label}: {:.0} ms wall ({:.2} s CPU in the binary{}), exit {:?}, {} API requests ({} list pages, {} writes), peak RSS {peak_mib:.1} MiB",
            wall.as_secs_f64() * 1e3,
            cpu,
            if compiled {
                ", plugin compile included"
            } else {
                ""
            },
            exit.code(),
            requests.len(),
            lists,
            writes,
        );
        let pages = count.div_ceil(500) + (3 * count).div_ceil(500);
        targets.check(
            &format!("recover ({label}) lists in pages of 500"),
            lists <= pages && exit.success(),
            format!(
                "{lists} list requests for {pages} pages, exit {:?}",
                exit.code()
            ),
        );
        match label {
            "native" => targets.check(
                "native peak RSS <= 64 MiB",
                peak <= 64 * 1024,
                format!("{peak_mib:.1} MiB"),
            ),
            l if l.starts_with("plugin, precompiled") => {
                targets.check(
                    "the shipped precompiled plugin is used (nothing compiled)",
                    !compiled,
                    format!("compiled at start: {compiled}"),
                );
                targets.check(
                    "plugin peak RSS <= 96 MiB (the CronJob's memory limit)",
                    peak <= 96 * 1024,
                    format!("{peak_mib:.1} MiB"),
                );
            }
            // The fallback's figure is information: the image ships the artifact its
            // own binary compiled, so the fallback only runs with a swapped plugin.
            _ => {}
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    targets.finish("recover")
}
