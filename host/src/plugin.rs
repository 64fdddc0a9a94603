//! Runs the catalyst-guard core as an untrusted WebAssembly component (`wit/guard.wit`).
//!
//! The plugin is loaded once, compiled (or loaded precompiled from a cache keyed by the
//! wasmtime version, the engine's compatibility hash and the plugin's SHA-256), and
//! instantiated afresh for every call, so calls never share guest state. The one
//! exception is a [`Linter`]: a lint run on several threads holds one instance per
//! thread for the run's `analyze` batches (instantiating per batch would re-grow the
//! guest's heap every time), and those calls share nothing but the run's own files.
//! Every call is bounded: a deadline (default 2 s) and a memory cap (default 256 MiB,
//! per instance). A trap, a timeout or an over-budget plugin is an error, never a
//! partial result. How a call past its deadline is stopped is [`OnDeadline`]: in
//! process by wasmtime's epoch interruption (the library's default), or, for the CLI,
//! by ending the process, which spares the compiled code the epoch checks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store, StoreLimits, StoreLimitsBuilder, Trap};

use catalyst_guard::lint::fix::{Edit, Fix};
use catalyst_guard::lint::{Finding, Report, Severity, SourceFile};

/// Host bindings generated from `wit/guard.wit`.
mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/guard.wit",
        world: "guard",
    });
}

use bindings::catalyst::guard::types as wit;
use bindings::{Guard, GuardPre};

/// Environment variable naming the plugin file.
pub const PLUGIN_ENV: &str = "CATALYST_GUARD_PLUGIN";
/// Environment variable naming the precompiled-plugin cache directory.
pub const CACHE_ENV: &str = "CATALYST_GUARD_CACHE_DIR";
/// File name of the plugin next to the binary or in a `lib/catalyst-guard` folder.
pub const PLUGIN_FILE: &str = "catalyst-guard.wasm";
/// Folder beside the plugin with precompiled artifacts shipped with it (the image's
/// `/usr/local/lib/catalyst-guard/precompiled/`), under the cache's file names. Read
/// only; an artifact for another plugin, wasmtime or engine has another name and is
/// simply not found, and a corrupted one fails its checksum: either way the plugin is
/// compiled as without it.
pub const PRECOMPILED_DIR: &str = "precompiled";

/// How often the deadline thread wakes: one epoch tick (deadlines are counted in
/// ticks), or one look at the calls in flight.
const TICK: Duration = Duration::from_millis(10);

/// Per-call bounds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock budget of one call.
    pub deadline: Duration,
    /// Most linear memory the plugin may grow to, in bytes.
    pub memory: usize,
    /// How a call past its deadline is stopped.
    pub on_deadline: OnDeadline,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(2),
            memory: 256 * 1024 * 1024,
            on_deadline: OnDeadline::Interrupt,
        }
    }
}

/// How a plugin call that runs past its deadline is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDeadline {
    /// wasmtime's epoch interruption: the call traps, returns
    /// [`PluginError::Timeout`], and the process goes on. The compiled code checks the
    /// epoch on entry to every function and on every loop back-edge, which costs the
    /// plugin about 17% of its lint time (measured on the `cargo xtask bench lint`
    /// corpus; upstream measures about 14% on SpiderMonkey, wasmtime issue 1749).
    Interrupt,
    /// No checks in the compiled code: a watchdog thread prints the
    /// [`PluginError::Timeout`] error and ends the process with exit status 2 once a
    /// call passes its deadline. For the CLI: its every plugin call comes before its
    /// first write (`lint --fix` writes after the lint's calls; `recover` decides
    /// before it acts), and its answer to a timeout is that same exit.
    ExitProcess,
}

/// Why the plugin could not answer.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The plugin file could not be read or compiled.
    #[error("cannot load plugin `{path}`: {message}")]
    Load {
        /// The plugin path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The call ran past its deadline.
    #[error("plugin call `{call}` exceeded its {deadline:?} deadline and was stopped")]
    Timeout {
        /// The exported function.
        call: &'static str,
        /// The deadline.
        deadline: Duration,
    },
    /// The plugin tried to grow its memory past the cap.
    #[error("plugin call `{call}` exceeded its memory cap of {limit} bytes and was stopped")]
    Memory {
        /// The exported function.
        call: &'static str,
        /// The cap.
        limit: usize,
    },
    /// Any other trap.
    #[error("plugin call `{call}` trapped: {message}")]
    Trap {
        /// The exported function.
        call: &'static str,
        /// The trap.
        message: String,
    },
    /// The plugin answered with an error (bad configuration, bad snapshot).
    #[error("{0}")]
    Guest(String),
}

struct State {
    limits: StoreLimits,
}

/// The calls in flight under [`OnDeadline::ExitProcess`], by id: when each must end.
#[derive(Default)]
struct Watch {
    next: AtomicU64,
    armed: Mutex<HashMap<u64, (Instant, &'static str)>>,
}

impl Watch {
    fn arm(&self, call: &'static str, deadline: Duration) -> Armed<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut armed) = self.armed.lock() {
            armed.insert(id, (Instant::now() + deadline, call));
        }
        Armed { watch: self, id }
    }

    /// The first call past its deadline, if any.
    fn expired(&self) -> Option<&'static str> {
        let now = Instant::now();
        let armed = self.armed.lock().ok()?;
        armed
            .values()
            .find(|(end, _)| now >= *end)
            .map(|&(_, call)| call)
    }
}

/// A call being watched; disarmed when dropped (the call returned).
struct Armed<'w> {
    watch: &'w Watch,
    id: u64,
}

impl Drop for Armed<'_> {
    fn drop(&mut self) {
        if let Ok(mut armed) = self.watch.armed.lock() {
            armed.remove(&self.id);
        }
    }
}

/// A loaded plugin.
pub struct Plugin {
    engine: Engine,
    pre: GuardPre<State>,
    limits: Limits,
    path: PathBuf,
    ticker: Arc<AtomicBool>,
    watch: Arc<Watch>,
    /// Whether the compiled code came from the cache.
    pub from_cache: bool,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        self.ticker.store(true, Ordering::Relaxed);
    }
}

/// Where to look for the plugin when no `--plugin` is given: `$CATALYST_GUARD_PLUGIN`,
/// next to the executable, then `lib/catalyst-guard/` beside and above it, then the
/// system locations.
pub fn default_locations() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os(PLUGIN_ENV).filter(|p| !p.is_empty()) {
        out.push(PathBuf::from(p));
        return out;
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        out.push(dir.join(PLUGIN_FILE));
        out.push(dir.join("../lib/catalyst-guard").join(PLUGIN_FILE));
    }
    out.push(PathBuf::from("/usr/local/lib/catalyst-guard").join(PLUGIN_FILE));
    out.push(PathBuf::from("/usr/lib/catalyst-guard").join(PLUGIN_FILE));
    out
}

/// The default cache directory: `$CATALYST_GUARD_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/catalyst-guard`, else `$HOME/.cache/catalyst-guard`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os(CACHE_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("catalyst-guard"))
}

fn engine(on_deadline: OnDeadline) -> Result<Engine, String> {
    let mut config = Config::new();
    config.epoch_interruption(on_deadline == OnDeadline::Interrupt);
    config.wasm_component_model(true);
    config.parallel_compilation(false);
    Engine::new(&config).map_err(|e| format!("{e:#}"))
}

/// The only capabilities a plugin gets. Rust's standard library on `wasm32-wasip2`
/// imports WASI stdio, environment, exit and poll plumbing, which the core never calls
/// (it does no I/O): each is linked as a function that traps, so any attempt at I/O
/// stops the call. `wasi:random/insecure-seed` (the seed of std's `HashMap`) returns
/// a constant, keeping evaluation deterministic and identical to the native build.
fn sandbox_linker(engine: &Engine, component: &Component) -> wasmtime::Result<Linker<State>> {
    let mut linker: Linker<State> = Linker::new(engine);
    // Define the seed under the exact version the component asks for (it follows the
    // toolchain's WASI version, e.g. `@0.2.6`).
    for (name, _) in component.component_type().imports(engine) {
        if name.starts_with("wasi:random/insecure-seed@") {
            linker
                .instance(name)?
                .func_wrap("insecure-seed", |_store, (): ()| {
                    Ok(((0x6361_7461_6c79_7374_u64, 0x2d67_7561_7264_u64),))
                })?;
        }
    }
    linker.define_unknown_imports_as_traps(component)?;
    Ok(linker)
}

/// The cache file name for a plugin: content hash, wasmtime version and the engine's
/// compatibility hash, so a different wasmtime or engine setting never reads it.
fn cache_key(engine: &Engine, bytes: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let digest = Sha256::digest(bytes);
    let content: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!(
        "{content}-wasmtime-{}-{:016x}.cwasm",
        wasmtime_version(),
        h.finish()
    )
}

/// The wasmtime version this host embeds.
pub fn wasmtime_version() -> &'static str {
    "48.0.8"
}

/// Reads a cache entry: 32 bytes of SHA-256 over the rest, then wasmtime's artifact.
/// A truncated or corrupted file is rejected before wasmtime sees it.
fn read_cached(engine: &Engine, path: &Path) -> Option<Component> {
    let data = std::fs::read(path).ok()?;
    let (sum, artifact) = data.split_at_checked(32)?;
    if Sha256::digest(artifact).as_slice() != sum {
        return None;
    }
    // SAFETY: `Component::deserialize` trusts that the bytes are a wasmtime artifact
    // produced by a compatible engine. This file was written by `write_cached` below
    // from `Engine::precompile_component` output, under a name that includes the
    // wasmtime version and the engine compatibility hash, and its checksum was just
    // verified. The cache directory is the user's own (not shared) directory; the
    // shipped `precompiled/` folder sits beside the plugin and is trusted as it is.
    #[expect(
        unsafe_code,
        reason = "loading our own precompiled plugin from the cache; see SAFETY above"
    )]
    let component = unsafe { Component::deserialize(engine, artifact) };
    component.ok()
}

fn write_cached(path: &Path, artifact: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut data = Sha256::digest(artifact).to_vec();
    data.extend_from_slice(artifact);
    // Write then rename: a concurrent or interrupted run never sees a partial file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, &data)?;
    std::fs::rename(&tmp, path)
}

impl Plugin {
    /// Loads and prepares a plugin; `cache` is the precompiled-artifact directory.
    pub fn load(path: &Path, limits: Limits, cache: Option<&Path>) -> Result<Self, PluginError> {
        let load_err = |message: String| PluginError::Load {
            path: path.to_path_buf(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| load_err(e.to_string()))?;
        let engine = engine(limits.on_deadline).map_err(load_err)?;
        let key = cache_key(&engine, &bytes);
        let shipped = path
            .parent()
            .map(|dir| dir.join(PRECOMPILED_DIR).join(&key));
        let cached = cache.map(|dir| dir.join(&key));
        let mut from_cache = false;
        let component = match shipped
            .iter()
            .chain(&cached)
            .find_map(|p| read_cached(&engine, p))
        {
            Some(c) => {
                from_cache = true;
                c
            }
            None => {
                let artifact = engine.precompile_component(&bytes).map_err(|e| {
                    load_err(format!("not a valid catalyst-guard component: {e:#}"))
                })?;
                if let Some(p) = &cached
                    && let Err(e) = write_cached(p, &artifact)
                {
                    // A read-only file system (the CronJob) only costs compile time.
                    eprintln!(
                        "note: cannot cache the compiled plugin at `{}`: {e}",
                        p.display()
                    );
                }
                // SAFETY: the artifact was produced a moment ago by this same engine.
                #[expect(
                    unsafe_code,
                    reason = "deserialising an artifact this engine just produced"
                )]
                let component = unsafe { Component::deserialize(&engine, &artifact) };
                component.map_err(|e| load_err(format!("{e:#}")))?
            }
        };
        let linker = sandbox_linker(&engine, &component).map_err(|e| load_err(format!("{e:#}")))?;
        let instance_pre = linker.instantiate_pre(&component).map_err(|e| {
            load_err(format!(
                "the plugin needs imports this host does not provide: {e:#}"
            ))
        })?;
        let pre = GuardPre::new(instance_pre)
            .map_err(|e| load_err(format!("not a `catalyst:guard/guard` component: {e:#}")))?;
        let ticker = Arc::new(AtomicBool::new(false));
        let watch = Arc::new(Watch::default());
        let stop = ticker.clone();
        let ticking = engine.clone();
        let watching = watch.clone();
        let (on_deadline, deadline) = (limits.on_deadline, limits.deadline);
        std::thread::Builder::new()
            .name("plugin-deadline".to_string())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    match on_deadline {
                        OnDeadline::Interrupt => ticking.increment_epoch(),
                        OnDeadline::ExitProcess => {
                            if let Some(call) = watching.expired() {
                                eprintln!("error: {}", PluginError::Timeout { call, deadline });
                                std::process::exit(2);
                            }
                        }
                    }
                }
            })
            .map_err(|e| load_err(format!("cannot start the deadline timer: {e}")))?;
        Ok(Self {
            engine,
            pre,
            limits,
            path: path.to_path_buf(),
            ticker,
            watch,
            from_cache,
        })
    }

    /// The plugin file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn store(&self) -> Store<State> {
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.limits.memory)
            .trap_on_grow_failure(true)
            .build();
        let mut store = Store::new(&self.engine, State { limits });
        store.limiter(|s| &mut s.limits);
        store
    }

    /// Gives the next call on `store` the full deadline; under
    /// [`OnDeadline::ExitProcess`] the call is watched until the guard is dropped.
    fn arm_deadline(&self, store: &mut Store<State>, call: &'static str) -> Option<Armed<'_>> {
        match self.limits.on_deadline {
            OnDeadline::Interrupt => {
                let ticks = (self.limits.deadline.as_millis() / TICK.as_millis()).max(1);
                store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
                None
            }
            OnDeadline::ExitProcess => Some(self.watch.arm(call, self.limits.deadline)),
        }
    }

    fn classify(&self, call: &'static str, e: &wasmtime::Error) -> PluginError {
        match e.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => PluginError::Timeout {
                call,
                deadline: self.limits.deadline,
            },
            _ if format!("{e:#}").contains("forcing trap when growing memory") => {
                PluginError::Memory {
                    call,
                    limit: self.limits.memory,
                }
            }
            _ => PluginError::Trap {
                call,
                message: format!("{e:#}"),
            },
        }
    }

    fn with<T>(
        &self,
        call: &'static str,
        f: impl FnOnce(&Guard, &mut Store<State>) -> wasmtime::Result<T>,
    ) -> Result<T, PluginError> {
        let mut store = self.store();
        let _armed = self.arm_deadline(&mut store, call);
        let guard = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| self.classify(call, &e))?;
        f(&guard, &mut store).map_err(|e| self.classify(call, &e))
    }

    /// The plugin's version.
    pub fn version(&self) -> Result<String, PluginError> {
        self.with("version", |g, s| g.call_version(s))
    }

    /// Lints through the plugin.
    pub fn lint(
        &self,
        files: &[SourceFile],
        base: Option<&[SourceFile]>,
        config: Option<&str>,
    ) -> Result<Report, PluginError> {
        let to_wit = |fs: &[SourceFile]| -> Vec<wit::SourceFile> {
            fs.iter()
                .map(|f| wit::SourceFile {
                    path: f.path.clone(),
                    text: f.text.clone(),
                })
                .collect()
        };
        let files = to_wit(files);
        let base = base.map(to_wit);
        let report = self.with("lint", |g, s| {
            g.call_lint(s, &files, base.as_deref(), config)
        })?;
        report.map(from_wit).map_err(PluginError::Guest)
    }

    /// A fresh instance for one thread of a lint run: any number of
    /// [`Linter::analyze`] batches, then (on any one of them) [`Linter::finish`].
    pub fn linter(&self) -> Result<Linter<'_>, PluginError> {
        let mut store = self.store();
        let _armed = self.arm_deadline(&mut store, "analyze");
        let guard = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| self.classify("analyze", &e))?;
        Ok(Linter {
            plugin: self,
            store,
            guard,
        })
    }

    /// Decides through the plugin; JSON in, Plan JSON out.
    pub fn decide(&self, snapshot: &str, config: &str, now: i64) -> Result<String, PluginError> {
        let plan = self.with("decide", |g, s| g.call_decide(s, snapshot, config, now))?;
        plan.map_err(PluginError::Guest)
    }

    /// Every rule's code and name, from the plugin.
    pub fn rule_codes(&self) -> Result<Vec<(String, String)>, PluginError> {
        let rules = self.with("rules", |g, s| g.call_rules(s))?;
        Ok(rules.into_iter().map(|r| (r.code, r.name)).collect())
    }
}

/// One plugin instance of a lint run (see [`Plugin::linter`]). Each call gets the full
/// deadline; the memory cap holds for the instance's whole life.
pub struct Linter<'p> {
    plugin: &'p Plugin,
    store: Store<State>,
    guard: Guard,
}

impl Linter<'_> {
    /// Phase one for a batch of files: the plugin's opaque analyses, for
    /// [`Linter::finish`] of any instance of the same plugin. Takes the files by value:
    /// their text moves into the call without a copy.
    pub fn analyze(
        &mut self,
        files: Vec<SourceFile>,
        config: Option<&str>,
    ) -> Result<Vec<u8>, PluginError> {
        let files: Vec<wit::SourceFile> = files
            .into_iter()
            .map(|f| wit::SourceFile {
                path: f.path,
                text: f.text,
            })
            .collect();
        let _armed = self.plugin.arm_deadline(&mut self.store, "analyze");
        let analysis = self
            .guard
            .call_analyze(&mut self.store, &files, config)
            .map_err(|e| self.plugin.classify("analyze", &e))?;
        analysis.map_err(PluginError::Guest)
    }

    /// Phase two over every batch's analyses (in any order) and the base tree's.
    pub fn finish(
        &mut self,
        analyses: &[Vec<u8>],
        base: Option<&[Vec<u8>]>,
        config: Option<&str>,
    ) -> Result<Report, PluginError> {
        let _armed = self.plugin.arm_deadline(&mut self.store, "finish");
        let report = self
            .guard
            .call_finish(&mut self.store, analyses, base, config)
            .map_err(|e| self.plugin.classify("finish", &e))?;
        report.map(from_wit).map_err(PluginError::Guest)
    }
}

fn from_wit(report: wit::Report) -> Report {
    Report {
        baseline: None,
        files_scanned: usize::try_from(report.files_scanned).unwrap_or(usize::MAX),
        findings: report
            .findings
            .into_iter()
            .map(|f| Finding {
                code: f.code,
                rule: f.rule,
                severity: match f.severity {
                    wit::Severity::Info => Severity::Info,
                    wit::Severity::Warning => Severity::Warning,
                    wit::Severity::Error => Severity::Error,
                },
                path: f.path,
                line: f.line,
                col: f.col,
                width: f.width,
                message: f.message,
                help: f.help,
                fix: f.fix.map(|fix| Fix {
                    description: fix.description,
                    edits: fix
                        .edits
                        .into_iter()
                        .map(|e| Edit {
                            line: e.line,
                            col: e.col,
                            width: e.width,
                            text: e.text,
                        })
                        .collect(),
                }),
                related: f
                    .related
                    .into_iter()
                    .map(|r| catalyst_guard::lint::Related {
                        path: r.path,
                        line: r.line,
                        col: r.col,
                        value: r.value,
                    })
                    .collect(),
            })
            .collect(),
    }
}
