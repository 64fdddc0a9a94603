//! `cargo xtask bench admit --soak`: admission under load, through the waPC harness
//! the way policy-server runs a policy.
//!
//! A pool of workers, one per core, each holding instances of the policy (one per
//! distinct cluster state the fixtures need), evaluates 1,000,000 requests drawn from
//! a mix: every fixture of `test_data/cases.yaml` (admitted and rejected; each answer
//! must be the fixture's verdict) and hostile payloads (not JSON, truncated, invalid
//! UTF-8, 10,000-deep nesting, a 1 MiB URL, 50,000 keys; each must be rejected with
//! a message, never trap). Reports throughput, latency p50/p99/p99.9 and the process's
//! resident memory after warm-up and at the end; fails if any answer is wrong or
//! memory grew by more than `MAX_GROWTH_MIB`.
//!
//! Epoch deadline: policy-server stops an evaluation at its deadline (wasmtime epoch
//! interruption, `policy-timeout`), answers the request with a rejection (policy-evaluator's
//! `reject_internal_server_error`: code 500) and never reuses that instance (it
//! rehydrates a fresh one from the precompiled module). The probe here does the same
//! with a second, short-deadline engine: hostile requests that outlast its deadline must
//! each trap, be answered 500 / not allowed, and leave the worker a fresh instance that
//! answers the next fixture correctly.
//!
//! Instances: policy-server creates a fresh instance (rehydrated from the precompiled
//! module) for every evaluation and discards it afterwards, so no memory a policy
//! leaks or fragments outlives one request (`EvaluationEnvironment` in
//! kubewarden/policy-server). The soak does the same and times the whole evaluation
//! (instantiate + validate) as well as validate alone. `--reuse-instances` keeps each
//! worker's instances across requests instead, to show how the policy's own memory
//! behaves in a long-lived instance; its memory figure is reported, not held to the
//! bound, since no Kubewarden host runs a policy that way.
//!
//! Options: `--requests N` (default 1,000,000), `--workers N` (default: all cores),
//! `--reuse-instances`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::common::harness::{Cluster, Instance, Policy};

/// Resident memory may grow by at most this much between warm-up and the end.
const MAX_GROWTH_MIB: f64 = 32.0;

/// One request of the mix.
struct Request {
    name: String,
    payload: Vec<u8>,
    /// Index of the cluster state its instance must see.
    cluster: usize,
    /// Expected `accepted` (hostile requests: false).
    allowed: bool,
    /// One in how many requests is this one (1: every round).
    every: usize,
}

/// The verdict policy-server would send for one evaluation: the policy's answer, or
/// a fail-closed 500 when the call failed (trap, deadline); `true` if the instance
/// must be replaced.
fn evaluate(instance: &Instance, payload: &[u8]) -> (bool, Option<u16>, bool) {
    match instance.validate(payload) {
        Ok(r) => (r.accepted, r.code, false),
        Err(_) => (false, Some(500), true),
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn hostile() -> Vec<(String, Vec<u8>)> {
    let url = format!(
        "https://gitea.hfmp.openova.io/abc/{}.git",
        "x".repeat(1 << 20)
    );
    let big = format!(
        "{{\"settings\":{{}},\"request\":{{\"operation\":\"CREATE\",\"kind\":{{\"group\":\"source.toolkit.fluxcd.io\",\"version\":\"v1\",\"kind\":\"GitRepository\"}},\"object\":{{\"apiVersion\":\"source.toolkit.fluxcd.io/v1\",\"kind\":\"GitRepository\",\"metadata\":{{\"name\":\"x\",\"namespace\":\"flux-system\"}},\"spec\":{{\"url\":\"{url}\"}}}}}}}}"
    );
    let deep = format!(
        "{{\"settings\":{{}},\"request\":{{\"operation\":\"CREATE\",\"object\":{}{}}}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let keys: String = (0..50_000)
        .map(|i| format!("\"k{i}\":{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let wide = format!(
        "{{\"settings\":{{}},\"request\":{{\"operation\":\"CREATE\",\"kind\":{{\"group\":\"helm.toolkit.fluxcd.io\",\"version\":\"v2\",\"kind\":\"HelmRelease\"}},\"object\":{{\"metadata\":{{\"labels\":{{{keys}}}}},\"spec\":{{\"chart\":{{\"spec\":{{\"chart\":\"bp-flux\",\"version\":\">=1\"}}}}}}}}}}}}"
    );
    vec![
        ("not JSON".to_string(), b"GET / HTTP/1.1\r\n\r\n".to_vec()),
        ("empty".to_string(), Vec::new()),
        (
            "truncated".to_string(),
            br#"{"settings":{},"request":{"operation":"CRE"#.to_vec(),
        ),
        (
            "invalid UTF-8".to_string(),
            b"{\"settings\":{},\"request\":{\"operation\":\"\xff\xfe\"}}".to_vec(),
        ),
        (
            "a number for the request".to_string(),
            b"{\"settings\":{},\"request\":1e999999}".to_vec(),
        ),
        ("10,000-deep nesting".to_string(), deep.into_bytes()),
        ("1 MiB URL".to_string(), big.into_bytes()),
        (
            "50,000 labels and a range pin".to_string(),
            wide.into_bytes(),
        ),
    ]
}

fn percentile(sorted: &[u32], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Duration::from_nanos(u64::from(sorted[rank.clamp(1, sorted.len()) - 1]) * 100)
}

fn us(d: Duration) -> String {
    format!("{:.1} us", d.as_secs_f64() * 1e6)
}

/// Runs the soak.
pub fn run(bytes: &[u8], cache: &std::path::Path, args: &[String]) -> Result<()> {
    let option = |name: &str| -> Result<Option<usize>> {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(|s| s.parse())
            .transpose()
            .map_err(Into::into)
    };
    let total = option("--requests")?.unwrap_or(1_000_000);
    let reuse = args.iter().any(|a| a == "--reuse-instances");
    let workers = option("--workers")?
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);

    // The mix: fixtures every round, hostile payloads rarer the heavier they are.
    let mut clusters: Vec<BTreeMap<String, Option<String>>> = Vec::new();
    let mut mix: Vec<Request> = Vec::new();
    for case in crate::common::cases() {
        let cluster = match clusters.iter().position(|c| *c == case.cluster) {
            Some(i) => i,
            None => {
                clusters.push(case.cluster.clone());
                clusters.len() - 1
            }
        };
        mix.push(Request {
            payload: case.payload(),
            name: case.name.clone(),
            cluster,
            allowed: case.allowed,
            every: 1,
        });
    }
    let fixtures = mix.len();
    for (name, payload) in hostile() {
        let every = match payload.len() {
            n if n > 256 * 1024 => 1000,
            n if n > 16 * 1024 => 100,
            _ => 1,
        };
        mix.push(Request {
            name,
            payload,
            cluster: 0,
            allowed: false,
            every,
        });
    }
    // The schedule: request `i` of a round of `round` slots.
    let mut schedule: Vec<usize> = Vec::new();
    let round = 1000;
    for slot in 0..round {
        for (i, r) in mix.iter().enumerate() {
            if slot % r.every == 0 {
                schedule.push(i);
            }
        }
    }
    let hostile_share =
        schedule.iter().filter(|&&i| i >= fixtures).count() as f64 / schedule.len() as f64;
    println!(
        "soak: {total} requests on {workers} workers; mix of {fixtures} fixtures and {} hostile payloads ({:.1}% hostile)",
        mix.len() - fixtures,
        hostile_share * 100.0
    );

    let policy = Policy::from_bytes(bytes, cache)?;
    let clusters: Vec<Arc<Cluster>> = clusters.into_iter().map(Cluster::unrecorded).collect();
    let clusters_len = clusters.len();
    let fresh = |c: usize| policy.instantiate(clusters[c].clone());

    // Each worker builds its own instances (a waPC host is not `Send`, as in
    // policy-server, where every worker thread owns its own). Warm-up: every worker's
    // instances see every request once (linear memory grows to what the largest request
    // needs, then stays), before memory is measured; the barriers let the main thread
    // read the RSS between warm-up and the timed run.
    let warmed = std::sync::Barrier::new(workers + 1);
    let go = std::sync::Barrier::new(workers + 1);
    let next = AtomicUsize::new(0);
    let (results, rss_start, start): (Vec<Result<WorkerTally>>, _, _) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (next, mix, schedule, fresh) = (&next, &mix, &schedule, &fresh);
                let (warmed, go) = (&warmed, &go);
                s.spawn(move || -> Result<WorkerTally> {
                    let pool: Result<Vec<Instance>> =
                        (0..clusters_len).map(fresh).collect::<Result<Vec<_>>>();
                    let warm = pool.and_then(|mut pool| {
                        for r in mix {
                            let (_, _, reset) = evaluate(&pool[r.cluster], &r.payload);
                            if reset {
                                pool[r.cluster] = fresh(r.cluster)?;
                            }
                        }
                        Ok(pool)
                    });
                    // Room for every request, touched now so that the samples are part
                    // of the memory measured after warm-up, not growth during the run.
                    let touched = |n: usize| {
                        let mut v: Vec<u32> = vec![1; n];
                        v.clear();
                        v
                    };
                    let (mut samples, mut validate_only) = (touched(total), touched(total));
                    // Always meet the barriers, even after a failure, so no thread waits
                    // forever.
                    warmed.wait();
                    go.wait();
                    let mut pool = warm?;
                    let (mut resets, mut hostile_seen, mut wrong) = (0u64, 0u64, Vec::new());
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= total {
                            break;
                        }
                        let r = &mix[schedule[i % schedule.len()]];
                        let t = Instant::now();
                        let own = if reuse { None } else { Some(fresh(r.cluster)?) };
                        let instance = own.as_ref().unwrap_or(&pool[r.cluster]);
                        let v = Instant::now();
                        let (accepted, code, reset) = evaluate(instance, &r.payload);
                        let validated = v.elapsed();
                        drop(own);
                        let elapsed = t.elapsed();
                        let tenths =
                            |d: Duration| u32::try_from(d.as_nanos() / 100).unwrap_or(u32::MAX);
                        samples.push(tenths(elapsed));
                        validate_only.push(tenths(validated));
                        if reset {
                            resets += 1;
                            if reuse {
                                pool[r.cluster] = fresh(r.cluster)?;
                            }
                        }
                        if !r.allowed && !accepted && code.is_none() {
                            wrong.push(format!("{}: rejected without a code", r.name));
                        }
                        if accepted != r.allowed && wrong.len() < 10 {
                            wrong.push(format!(
                                "{}: accepted {accepted}, expected {}",
                                r.name, r.allowed
                            ));
                        }
                        if !r.allowed && r.every > 1 {
                            hostile_seen += 1;
                        }
                    }
                    Ok((samples, validate_only, resets, hostile_seen, wrong))
                })
            })
            .collect();
        warmed.wait();
        let rss_start = rss_kib();
        let start = Instant::now();
        go.wait();
        let results = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a worker panicked")))
            })
            .collect();
        (results, rss_start, start)
    });
    let wall = start.elapsed();
    let rss_end = rss_kib();
    let mut samples = Vec::with_capacity(total);
    let mut validate_only = Vec::with_capacity(total);
    let (mut resets, mut heavy, mut wrong) = (0, 0, Vec::new());
    for r in results {
        let (s, v, n, h, w) = r?;
        samples.extend(s);
        validate_only.extend(v);
        resets += n;
        heavy += h;
        wrong.extend(w);
    }
    samples.sort_unstable();
    validate_only.sort_unstable();
    let growth = (rss_end as f64 - rss_start as f64) / 1024.0;
    let spread = |s: &[u32]| {
        format!(
            "p50 {}  p99 {}  p99.9 {}  max {}",
            us(percentile(s, 50.0)),
            us(percentile(s, 99.0)),
            us(percentile(s, 99.9)),
            us(percentile(s, 100.0))
        )
    };
    println!(
        "soak: {} requests in {:.1} s = {:.0} requests/s ({})",
        samples.len(),
        wall.as_secs_f64(),
        samples.len() as f64 / wall.as_secs_f64(),
        if reuse {
            "instances reused across requests"
        } else {
            "a fresh instance per evaluation, as policy-server"
        }
    );
    println!(
        "soak: evaluation (instantiate + validate) {}",
        spread(&samples)
    );
    println!("soak: validate alone {}", spread(&validate_only));
    println!(
        "soak: {heavy} heavy hostile requests (16 KiB to 1 MiB) among them; {resets} instance resets; wrong answers: {}",
        wrong.len()
    );
    println!(
        "soak: resident memory {:.1} MiB after warm-up, {:.1} MiB at the end ({growth:+.1} MiB; bound {MAX_GROWTH_MIB} MiB)",
        rss_start as f64 / 1024.0,
        rss_end as f64 / 1024.0
    );

    let probe = deadline_probe(bytes, cache, &mix, fixtures, &clusters)?;

    let mut failures = Vec::new();
    if !wrong.is_empty() {
        failures.push(format!("wrong answers: {}", wrong.join("; ")));
    }
    if growth > MAX_GROWTH_MIB && !reuse {
        failures.push(format!(
            "memory grew {growth:.1} MiB, over {MAX_GROWTH_MIB} MiB"
        ));
    }
    if resets > 0 {
        failures.push(format!(
            "{resets} evaluations failed under the normal deadline"
        ));
    }
    failures.extend(probe);
    if !failures.is_empty() {
        bail!("soak failed: {}", failures.join("; "));
    }
    println!("soak: all answers correct, memory within bound, deadline answered fail-closed");
    Ok(())
}

/// Hostile requests against a 1 ms-tick engine with a 2-tick deadline: each must
/// outlast it, trap, be answered fail-closed, and the next fixture must get its
/// verdict from a fresh instance. Returns what went wrong.
fn deadline_probe(
    bytes: &[u8],
    cache: &std::path::Path,
    mix: &[Request],
    fixtures: usize,
    clusters: &[Arc<Cluster>],
) -> Result<Vec<String>> {
    let short = Policy::with_deadline(bytes, cache, Duration::from_millis(1), 2)?;
    // Big enough to take far longer than 2 ms to read, whatever the machine.
    let slow: Vec<u8> = {
        let url = format!(
            "https://gitea.hfmp.openova.io/abc/{}.git",
            "x".repeat(32 << 20)
        );
        format!("{{\"settings\":{{}},\"request\":{{\"operation\":\"CREATE\",\"kind\":{{\"group\":\"source.toolkit.fluxcd.io\",\"version\":\"v1\",\"kind\":\"GitRepository\"}},\"object\":{{\"spec\":{{\"url\":\"{url}\"}}}}}}}}").into_bytes()
    };
    let mut problems = Vec::new();
    let rounds = 5;
    let (mut trapped, mut correct_after) = (0, 0);
    let followers: Vec<&Request> = mix[..fixtures].iter().filter(|r| r.cluster == 0).collect();
    if followers.is_empty() {
        bail!("no fixture runs against the first cluster state");
    }
    let mut instance = short.instantiate(clusters[0].clone())?;
    let t = Instant::now();
    for round in 0..rounds {
        let (accepted, code, reset) = evaluate(&instance, &slow);
        if reset {
            trapped += 1;
            instance = short.instantiate(clusters[0].clone())?;
        }
        if accepted || code != Some(500) {
            problems.push(format!("deadline probe round {round}: answered accepted={accepted} code={code:?}, not a fail-closed 500"));
        }
        // The next request on the same worker's (fresh) instance: a fixture, which
        // must get its own verdict.
        let r = followers[round % followers.len()];
        let (accepted, _, reset) = evaluate(&instance, &r.payload);
        if !reset && accepted == r.allowed {
            correct_after += 1;
        }
    }
    let per = t.elapsed() / rounds as u32;
    println!(
        "deadline probe: {trapped}/{rounds} requests of {} MiB outlasted a 2 ms deadline and were answered 500 (fail-closed), the instance replaced; {correct_after}/{rounds} following requests answered correctly ({:.0} ms per round)",
        slow.len() >> 20,
        per.as_secs_f64() * 1e3
    );
    if trapped != rounds {
        problems.push(format!(
            "only {trapped}/{rounds} slow requests hit the deadline"
        ));
    }
    if correct_after != rounds {
        problems.push(format!(
            "only {correct_after}/{rounds} requests after a reset were answered correctly"
        ));
    }
    Ok(problems)
}

/// One worker's latency samples (units of 100 ns: whole evaluations, then validate
/// alone), instance resets, hostile requests seen, and wrong answers.
type WorkerTally = (Vec<u32>, Vec<u32>, u64, u64, Vec<String>);
