//! `cargo xtask faults`: runs the API fault matrix of `recover` (`host/tests/faults.rs`,
//! which holds the cells and their expected outcomes) and prints the matrix the run
//! observed. Fails when any cell does. `cargo xtask test` runs the same test with the
//! rest of the workspace.

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// The test that runs every cell.
const MATRIX_TEST: &str =
    "every_call_under_every_api_fault_ends_in_a_safe_state_with_the_planned_exit_and_log";

/// `cargo xtask faults`.
pub fn run(args: &[&str]) -> Result<()> {
    if !args.is_empty() {
        bail!("usage: cargo xtask faults");
    }
    let out = std::env::temp_dir().join(format!(
        "catalyst-guard-fault-matrix-{}.md",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&out);
    let started = Instant::now();
    let test_args = [
        "test",
        "-p",
        "catalyst-guard-host",
        "--test",
        "faults",
        "--",
        "--exact",
        MATRIX_TEST,
    ];
    eprintln!("+ cargo {}", test_args.join(" "));
    let mut cargo = Command::new(env!("CARGO"));
    // `cargo run` gave this process xtask's package variables; build scripts that
    // watch them (ring's does) would rebuild everything a plain `cargo test` built.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_") || name.starts_with("CARGO_MANIFEST_") {
            cargo.env_remove(name.as_ref());
        }
    }
    let status = cargo
        .args(test_args)
        .env("FAULT_MATRIX_OUT", &out)
        .current_dir(crate::paths::root())
        .status()
        .context("cannot run `cargo test`")?;
    let table = std::fs::read_to_string(&out).ok();
    let _ = std::fs::remove_file(&out);
    match table {
        Some(table) => println!("{table}"),
        None => eprintln!("the test wrote no matrix to `{}`", out.display()),
    }
    println!(
        "cargo xtask faults: {:.1} s (build included)",
        started.elapsed().as_secs_f64()
    );
    if !status.success() {
        bail!("the fault matrix failed ({status})");
    }
    Ok(())
}
