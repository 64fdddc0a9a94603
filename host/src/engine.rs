//! Choosing where rules and decisions run: the WebAssembly plugin (the default when one
//! is installed) or the core linked into this binary (`--engine native`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};

use catalyst_guard_host::plugin::{
    Limits, OnDeadline, Plugin, default_cache_dir, default_locations,
};

/// Engine flags shared by `lint` and `recover`.
#[derive(clap::Args)]
pub struct EngineArgs {
    /// Where the rules and decisions run.
    #[arg(long, value_enum, default_value_t = EngineChoice::Auto)]
    pub engine: EngineChoice,
    /// Plugin component to use (default: `$CATALYST_GUARD_PLUGIN`, then
    /// `catalyst-guard.wasm` next to this binary or in `lib/catalyst-guard/`).
    #[arg(long, value_name = "FILE")]
    pub plugin: Option<PathBuf>,
    /// Wall-clock budget of one plugin call, in milliseconds.
    #[arg(long, default_value_t = 2000, value_name = "MS")]
    pub plugin_deadline_ms: u64,
    /// Memory cap of the plugin, in MiB.
    #[arg(long, default_value_t = 256, value_name = "MIB")]
    pub plugin_memory_mib: usize,
}

/// Engine choice.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineChoice {
    /// The plugin if one is found, else the linked core (with a note on stderr).
    Auto,
    /// The plugin; failing to find or load it is an error.
    Plugin,
    /// The core linked into this binary.
    Native,
}

impl EngineArgs {
    /// Loads the plugin this run should use, or `None` for the native engine; says so on
    /// stderr when no plugin is found.
    pub fn load(&self) -> Result<Option<Plugin>> {
        self.load_noting(true)
    }

    /// [`EngineArgs::load`], with the note about a missing plugin only if `note`
    /// (`lint --verbose`): a linter run every commit should not print it every time.
    pub fn load_noting(&self, note: bool) -> Result<Option<Plugin>> {
        if self.engine == EngineChoice::Native {
            return Ok(None);
        }
        // Every plugin call of a CLI run comes before its first write, and a timeout
        // ends the run with exit 2 either way: end the process at the deadline rather
        // than pay for epoch checks in the compiled code (see `OnDeadline`).
        let limits = Limits {
            deadline: Duration::from_millis(self.plugin_deadline_ms.max(1)),
            memory: self.plugin_memory_mib.max(1).saturating_mul(1024 * 1024),
            on_deadline: OnDeadline::ExitProcess,
        };
        let candidates = match &self.plugin {
            Some(p) => vec![p.clone()],
            None => default_locations(),
        };
        let found = candidates.iter().find(|p| p.is_file());
        let Some(path) = found else {
            let looked: Vec<String> = candidates
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect();
            if self.engine == EngineChoice::Plugin || self.plugin.is_some() {
                bail!(
                    "no plugin at {}\nhelp: build it with `cargo xtask build-wasm`, or use `--engine native`",
                    looked.join(", ")
                );
            }
            if note {
                eprintln!(
                    "note: no plugin found (looked at {}); using the built-in engine",
                    looked.join(", ")
                );
            }
            return Ok(None);
        };
        Ok(Some(Plugin::load(
            path,
            limits,
            default_cache_dir().as_deref(),
        )?))
    }
}
