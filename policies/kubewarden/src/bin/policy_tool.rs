//! `policy-tool`: the native build steps of the Kubewarden policy, driven by
//! `cargo xtask` (so xtask only spawns commands and the data work lives next to the
//! policy it concerns).
//!
//! ```text
//! policy-tool annotate --wasm IN --metadata metadata.yml --output OUT
//! policy-tool gen-policies [--settings FILE] [--check]
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use catalyst_guard_kubewarden::{package, twins};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["annotate", rest @ ..] => annotate(rest),
        ["gen-policies", rest @ ..] => gen_policies(rest),
        _ => Err(anyhow::anyhow!(
            "usage: policy-tool annotate --wasm IN --metadata FILE --output OUT | gen-policies [--settings FILE] [--check]"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root (this crate lives in `policies/kubewarden`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn flag<'a>(args: &[&'a str], name: &str) -> Result<&'a str> {
    args.iter()
        .position(|a| *a == name)
        .and_then(|i| args.get(i + 1).copied())
        .with_context(|| format!("missing `{name} VALUE`"))
}

fn annotate(args: &[&str]) -> Result<()> {
    let wasm = flag(args, "--wasm")?;
    let metadata_path = flag(args, "--metadata")?;
    let output = flag(args, "--output")?;
    let module = std::fs::read(wasm).with_context(|| format!("cannot read `{wasm}`"))?;
    let text = std::fs::read_to_string(metadata_path)
        .with_context(|| format!("cannot read `{metadata_path}`"))?;
    let metadata = package::Metadata::from_yaml(&text).map_err(anyhow::Error::msg)?;
    let annotated = package::annotate(&module, &metadata)
        .map_err(|e| anyhow::anyhow!("cannot annotate `{wasm}`: {e}"))?;
    if let Some(dir) = Path::new(output).parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    std::fs::write(output, &annotated).with_context(|| format!("cannot write `{output}`"))?;
    println!(
        "annotated {output} ({} bytes, {} of metadata)",
        annotated.len(),
        annotated.len().saturating_sub(module.len())
    );
    Ok(())
}

/// `gen-policies [--settings FILE] [--check]`: the twins, and from the settings file
/// (default `deploy/admission/settings.yaml`) the Kubewarden settings and the params
/// ConfigMap. `--check` writes nothing and fails if a file is stale.
fn gen_policies(args: &[&str]) -> Result<()> {
    let check = args.contains(&"--check");
    let settings = if args.contains(&"--settings") {
        PathBuf::from(flag(args, "--settings")?)
    } else {
        root().join(twins::SETTINGS_PATH)
    };
    if let Some(unknown) = args
        .iter()
        .enumerate()
        .find(|(i, a)| {
            **a != "--check"
                && **a != "--settings"
                && !(*i > 0 && args.get(i - 1) == Some(&"--settings"))
        })
        .map(|(_, a)| a)
    {
        bail!("unknown argument `{unknown}`: usage: gen-policies [--settings FILE] [--check]");
    }
    let shown = settings.display().to_string();
    let text =
        std::fs::read_to_string(&settings).with_context(|| format!("cannot read `{shown}`"))?;
    let root = root();
    let cases = twins::read_case_table(&root).map_err(anyhow::Error::msg)?;
    let files = twins::files(&shown, &text, &cases).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut stale = Vec::new();
    for file in files {
        let path = root.join(file.path);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == file.text {
            continue;
        }
        if check {
            stale.push(file.path);
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &file.text)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        println!("wrote {}", file.path);
    }
    if !stale.is_empty() {
        bail!("{} stale: run `cargo xtask gen-policies`", stale.join(", "));
    }
    Ok(())
}
