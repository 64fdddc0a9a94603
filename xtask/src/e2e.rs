//! `cargo xtask e2e`: the real control plane (see the `e2e` crate).
//!
//! - `e2e build [NAME...]`: build the pinned Go binaries into the cache (`kube-apiserver`,
//!   `helm-controller` (each version), `helm`; all when no name is given), printing each
//!   path and whether it was a cache hit.

use anyhow::{Result, bail};

use e2e::gobuild::GoBuild;
use e2e::pins;

/// Dispatches `cargo xtask e2e ...`.
pub fn run(args: &[&str]) -> Result<()> {
    match args {
        ["build", names @ ..] => build(names),
        _ => bail!("usage: cargo xtask e2e build [kube-apiserver|helm-controller|helm]..."),
    }
}

/// Every pinned build by name.
fn builds(name: &str) -> Option<Vec<GoBuild>> {
    Some(match name {
        "kube-apiserver" => vec![pins::kube_apiserver()],
        "helm-controller" => pins::HELM_CONTROLLERS
            .iter()
            .map(|v| pins::helm_controller(v))
            .collect(),
        "helm" => vec![pins::helm()],
        _ => return None,
    })
}

fn build(names: &[&str]) -> Result<()> {
    let names: &[&str] = if names.is_empty() {
        &["kube-apiserver", "helm-controller", "helm"]
    } else {
        names
    };
    for name in names {
        let Some(list) = builds(name) else {
            bail!("unknown build `{name}`: kube-apiserver, helm-controller or helm");
        };
        for spec in list {
            let built = spec.build()?;
            println!(
                "{} {} {} ({:.1} s{})",
                spec.name,
                spec.version,
                built.path.display(),
                built.seconds,
                if built.cached { ", cached" } else { "" }
            );
        }
    }
    Ok(())
}
