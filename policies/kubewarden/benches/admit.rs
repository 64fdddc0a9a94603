//! `cargo xtask bench admit`: admission latency of the built policy through the waPC
//! harness, i.e. the way policy-server evaluates it.
//!
//! Reported separately, as policy-server pays them separately:
//! - compiling the module (once per policy-server start; cold, then from the on-disk
//!   cache),
//! - instantiating it from the compiled module (`rehydrate` + `WapcHost::new`, which
//!   runs `wapc_init`; policy-server does this per evaluation),
//! - one `validate` call on a ready instance, over every fixture in
//!   `test_data/cases.yaml` (the mix of admitted, rejected, UPDATE and context-aware
//!   requests, host calls included), p50 and p99.
//!
//! Targets: validate p50 <= 100 us and p99 <= 500 us; instantiation <= 5 ms;
//! module <= 1.5 MiB. Options: `--rounds N` (default 200 passes over the fixtures).
//! `--soak [--requests N] [--workers N]`: admission under load instead (see `admit/soak.rs`).
//! Run outside `cargo bench` (e.g. by `cargo test --all-targets`) it does nothing.
#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a benchmark, with the tests' fixtures: a broken setup stops it loudly"
)]

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "admit/soak.rs"]
mod soak;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::harness::{Cluster, Policy, wasm_path};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn us(d: Duration) -> String {
    format!("{:.1} us", d.as_secs_f64() * 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Prints a target's verdict and remembers a miss: the benchmark fails at the end
/// if any target was missed.
fn verdict(missed: &mut Vec<&'static str>, what: &'static str, ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        missed.push(what);
        "MISSED"
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("admit: benchmark skipped outside `cargo bench` (run `cargo xtask bench admit`)");
        return Ok(());
    }
    let rounds: usize = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(200);

    let path = wasm_path()?;
    let bytes = std::fs::read(&path)?;
    if args.iter().any(|a| a == "--soak") {
        let cache = common::harness::cache_dir(&path);
        return soak::run(&bytes, &cache, &args);
    }
    println!(
        "module: {} ({} bytes, {:.0} KiB)",
        path.display(),
        bytes.len(),
        bytes.len() as f64 / 1024.0
    );

    // Compile cold into a fresh cache, then load again from that cache.
    let cache =
        std::env::temp_dir().join(format!("catalyst-guard-admit-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let cold = Policy::from_bytes(&bytes, &cache)?;
    let cold_time = cold.load_time;
    drop(cold);
    let policy = Policy::from_bytes(&bytes, &cache)?;
    println!("compile (cold):                 {}", ms(cold_time));
    println!("compile (from on-disk cache):   {}", ms(policy.load_time));

    // Instantiation from the compiled module, as per evaluation in policy-server.
    let cluster = Cluster::with(Default::default());
    for _ in 0..20 {
        policy.instantiate(cluster.clone())?;
    }
    let mut inst: Vec<Duration> = (0..500)
        .map(|_| {
            let start = Instant::now();
            let instance = policy.instantiate(cluster.clone());
            let elapsed = start.elapsed();
            instance.map(|_| elapsed)
        })
        .collect::<anyhow::Result<_>>()?;
    inst.sort();
    let (inst_p50, inst_p99) = (percentile(&inst, 50.0), percentile(&inst, 99.0));
    println!(
        "instantiate:                    p50 {}  p99 {}  (500 samples)",
        ms(inst_p50),
        ms(inst_p99)
    );

    // validate on ready instances, one per case (its cluster state), fixtures interleaved.
    let cases = common::cases();
    let prepared: Vec<(String, Vec<u8>, common::harness::Instance)> = cases
        .iter()
        .map(|c| {
            let cluster: Arc<Cluster> = Cluster::with(c.cluster.clone());
            Ok((c.name.clone(), c.payload(), policy.instantiate(cluster)?))
        })
        .collect::<anyhow::Result<_>>()?;
    for (name, payload, instance) in &prepared {
        for _ in 0..10 {
            instance
                .validate(payload)
                .map_err(|e| anyhow::anyhow!("{name}: {e:#}"))?;
        }
    }
    let mut samples = Vec::with_capacity(rounds * prepared.len());
    let mut bytes_in = 0usize;
    for _ in 0..rounds {
        for (_, payload, instance) in &prepared {
            let start = Instant::now();
            let out = instance.call("validate", payload)?;
            samples.push(start.elapsed());
            bytes_in += payload.len();
            std::hint::black_box(out);
        }
    }
    samples.sort();
    let (p50, p99) = (percentile(&samples, 50.0), percentile(&samples, 99.0));
    let mean = samples.iter().sum::<Duration>() / samples.len().max(1) as u32;
    println!(
        "validate:                       p50 {}  p99 {}  mean {}  max {}  ({} samples over {} fixtures, mean payload {} bytes)",
        us(p50),
        us(p99),
        us(mean),
        us(percentile(&samples, 100.0)),
        samples.len(),
        prepared.len(),
        bytes_in / samples.len().max(1)
    );
    println!();
    println!("targets:");
    let mut missed = Vec::new();
    println!(
        "  validate p50 <= 100 us:       {} ({})",
        verdict(
            &mut missed,
            "validate p50 <= 100 us",
            p50 <= Duration::from_micros(100)
        ),
        us(p50)
    );
    println!(
        "  validate p99 <= 500 us:       {} ({})",
        verdict(
            &mut missed,
            "validate p99 <= 500 us",
            p99 <= Duration::from_micros(500)
        ),
        us(p99)
    );
    println!(
        "  instantiate <= 5 ms (p50):    {} ({})",
        verdict(
            &mut missed,
            "instantiate <= 5 ms",
            inst_p50 <= Duration::from_millis(5)
        ),
        ms(inst_p50)
    );
    println!(
        "  module <= 1.5 MiB:            {} ({} bytes)",
        verdict(&mut missed, "module <= 1.5 MiB", bytes.len() <= 1536 * 1024),
        bytes.len()
    );
    let _ = std::fs::remove_dir_all(&cache);
    if !missed.is_empty() {
        anyhow::bail!("admission targets missed: {}", missed.join(", "));
    }
    Ok(())
}
