//! The `catalyst-guard` command: parses flags, dispatches, and turns outcomes into exit
//! codes. Everything that decides lives in the `catalyst-guard` core crate.

mod engine;
mod fix;
mod git;
mod lint_cmd;
mod recover;
mod walk;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use catalyst_guard::lint::{RULES, find_rule};

/// Guardrails for a Flux/Helm GitOps platform.
#[derive(Parser)]
#[command(name = "catalyst-guard", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lint a Sovereign GitOps repository (default: the current directory).
    Lint(LintArgs),
    /// List every rule with its code, name, default severity and summary.
    Rules {
        /// Output format.
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Find stuck HelmReleases and recover them (the CronJob's job).
    Recover(recover::RecoverArgs),
    /// Save a Snapshot of HelmReleases and Helm storage metadata as JSON.
    Snapshot(recover::SnapshotArgs),
    /// Print a rule's documentation.
    Explain {
        /// Rule code (`CG005`) or name (`non-canonical-gitea-url`).
        code: String,
    },
}

/// Arguments of `catalyst-guard lint`.
#[derive(clap::Args)]
pub struct LintArgs {
    /// Directories (repository roots) or single files to lint.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Git revision to compare chart folders against (enables CG010).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Configuration file (default: `<root>/.catalyst-guard.yaml` if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// When to colour text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Worker threads for reading files and the native engine (default: the CPUs).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Record today's findings in FILE (a baseline for `--baseline`) and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Report only findings not recorded in FILE (written by `--write-baseline`).
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,
    /// Report only findings new since git revision REV (no checkout).
    #[arg(long, value_name = "REV", help = new_from_rev_help())]
    pub new_from_rev: Option<String>,
    /// Print the number of findings per rule instead of each finding.
    #[arg(long, conflicts_with_all = ["fix", "write_baseline"])]
    pub statistics: bool,
    /// Say more on stderr (e.g. which engine runs, when no plugin is installed).
    #[arg(long, short)]
    pub verbose: bool,
    /// Apply the safe, mechanical fixes in place, then report what is left.
    #[arg(long)]
    pub fix: bool,
    /// With `--fix`: print a unified diff instead of writing (exit 1 if any).
    #[arg(long)]
    pub dry_run: bool,
    /// Engine selection.
    #[command(flatten)]
    pub engine: engine::EngineArgs,
}

/// `--new-from-rev`'s help, naming the cross-file rules from the registry.
fn new_from_rev_help() -> String {
    format!(
        "Report only findings on lines changed since git revision REV (no checkout); \
         a cross-file finding ({}) is kept when any file it compares changed",
        catalyst_guard::lint::registry::cross_file_codes()
    )
}

/// Lint output formats.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Compiler-style diagnostics with source lines.
    Text,
    /// JSON with a schemaVersion.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

/// Colour choice for text output.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum RulesFormat {
    Text,
    Json,
    Markdown,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Lint(args) => {
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    std::io::stdout().is_terminal()
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            };
            lint_cmd::run(&args, color)
        }
        Command::Recover(args) => recover::run_recover(&args),
        Command::Snapshot(args) => recover::run_snapshot(&args),
        Command::Rules { format } => print(&rules_listing(format)).map(|()| 0),
        Command::Explain { code } => match find_rule(&code) {
            Some(rule) => {
                print(&format!("{} {}\n\n{}", rule.code, rule.name, rule.docs())).map(|()| 0)
            }
            None => Err(anyhow::anyhow!(
                "unknown rule `{code}`\nhelp: `catalyst-guard rules` lists the codes"
            )),
        },
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn rules_listing(format: RulesFormat) -> String {
    match format {
        RulesFormat::Text => RULES
            .iter()
            .map(|r| {
                format!(
                    "{}  {:<36} {:<8} {:<9} {}\n",
                    r.code,
                    r.name,
                    r.default_severity.as_str(),
                    r.fix.as_str(),
                    r.summary
                )
            })
            .collect(),
        RulesFormat::Json => {
            serde_json::to_string_pretty(&catalyst_guard::lint::registry::json())
                .unwrap_or_default()
                + "\n"
        }
        RulesFormat::Markdown => catalyst_guard::lint::registry::markdown(),
    }
}
