//! A waPC host for the built policy module, set up the way Kubewarden's
//! policy-server runs policies: one `wasmtime::Engine` with epoch interruption,
//! the module compiled once and kept as a `WasmtimeEngineProviderPre`, and a fresh
//! instance (`rehydrate` + `WapcHost::new`, which runs `wapc_init`) per evaluation.
//! Compiled code is cached on disk (wasmtime's cache) so a test run or benchmark
//! does not recompile an unchanged module; the cache is keyed by the module's bytes
//! and the compiler settings, so a rebuilt module is recompiled.
//!
//! The host callback answers the Kubernetes host capability's `get_resource` for
//! Blueprints from an in-memory cluster, and records every call.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use wapc::WapcHost;
use wasmtime_provider::wasmtime;
use wasmtime_provider::{EpochDeadlines, WasmtimeEngineProviderBuilder, WasmtimeEngineProviderPre};

/// Epoch tick; policy-server ticks once a second, finer is kinder to tests.
const TICK: Duration = Duration::from_millis(100);
/// Deadline for `wapc_init` and for one call, in ticks (2 s, policy-server's default
/// policy timeout).
const DEADLINE_TICKS: u64 = 20;

/// Where the built, annotated policy is (`cargo xtask policies build` puts it there):
/// `$CATALYST_GUARD_POLICY_WASM`, else `<target>/policy/catalyst-guard-kubewarden.wasm`
/// found above the running test binary.
pub fn wasm_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("CATALYST_GUARD_POLICY_WASM") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()?;
    exe.ancestors()
        .map(|dir| dir.join("policy/catalyst-guard-kubewarden.wasm"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow!(
                "no built policy found above `{}`: run `cargo xtask policies build` (or `cargo xtask test`) first",
                exe.display()
            )
        })
}

/// The in-memory cluster the host capability reads: Blueprint name -> `spec.version`
/// (`None`: the Blueprint exists without a version).
#[derive(Default)]
pub struct Cluster {
    /// Blueprints by name.
    pub blueprints: BTreeMap<String, Option<String>>,
    /// Every host call, as `binding/namespace/operation payload`.
    pub calls: Mutex<Vec<String>>,
    /// Whether `calls` is kept: off for the soak, where a million recorded calls would
    /// be the harness's memory growth, not the policy's.
    pub record: bool,
}

impl Cluster {
    /// A cluster holding these Blueprints.
    pub fn with(blueprints: BTreeMap<String, Option<String>>) -> Arc<Self> {
        Arc::new(Self {
            blueprints,
            calls: Mutex::new(Vec::new()),
            record: true,
        })
    }

    /// As [`Cluster::with`], without recording the calls.
    pub fn unrecorded(blueprints: BTreeMap<String, Option<String>>) -> Arc<Self> {
        Arc::new(Self {
            blueprints,
            calls: Mutex::new(Vec::new()),
            record: false,
        })
    }

    /// What the host answers, mirroring policy-server: the object as JSON, or an error.
    fn answer(
        &self,
        binding: &str,
        namespace: &str,
        operation: &str,
        payload: &[u8],
    ) -> Result<Vec<u8>, String> {
        if self.record
            && let Ok(mut calls) = self.calls.lock()
        {
            calls.push(format!(
                "{binding}/{namespace}/{operation} {}",
                String::from_utf8_lossy(payload)
            ));
        }
        if (binding, namespace, operation) != ("kubewarden", "kubernetes", "get_resource") {
            return Err(format!(
                "unsupported host capability {binding}/{namespace}/{operation}"
            ));
        }
        let req: serde_json::Value = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
        if req["api_version"] != "catalyst.openova.io/v1alpha1" || req["kind"] != "Blueprint" {
            return Err(format!(
                "resource not declared in contextAwareResources: {req}"
            ));
        }
        let name = req["name"].as_str().unwrap_or_default();
        match self.blueprints.get(name) {
            Some(version) => {
                let mut bp = serde_json::json!({
                    "apiVersion": "catalyst.openova.io/v1alpha1",
                    "kind": "Blueprint",
                    "metadata": {"name": name},
                    "spec": {},
                });
                if let Some(v) = version {
                    bp["spec"]["version"] = serde_json::Value::from(v.as_str());
                }
                Ok(serde_json::to_vec(&bp).map_err(|e| e.to_string())?)
            }
            None => Err(format!(
                "blueprints.catalyst.openova.io \"{name}\" not found"
            )),
        }
    }
}

/// The compiled policy, ready to instantiate.
pub struct Policy {
    pre: WasmtimeEngineProviderPre,
    stop_ticker: Arc<AtomicBool>,
    deadline_ticks: u64,
    /// How long compiling (or loading from the on-disk cache) took.
    pub load_time: Duration,
}

impl Drop for Policy {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}

/// The on-disk compilation cache: next to the module, in the target directory.
pub fn cache_dir(wasm: &Path) -> PathBuf {
    wasm.parent()
        .unwrap_or_else(|| Path::new("."))
        .join("wasmtime-cache")
}

impl Policy {
    /// Compiles (or loads from the cache) the module at `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
        Self::from_bytes(&bytes, &cache_dir(path))
    }

    /// Compiles `bytes` with an on-disk cache in `cache`.
    pub fn from_bytes(bytes: &[u8], cache: &Path) -> Result<Self> {
        Self::with_deadline(bytes, cache, TICK, DEADLINE_TICKS)
    }

    /// As [`Policy::from_bytes`], with its own epoch tick and per-call deadline in
    /// ticks (the soak benchmark's deadline probe uses a short one).
    pub fn with_deadline(
        bytes: &[u8],
        cache: &Path,
        tick: Duration,
        deadline_ticks: u64,
    ) -> Result<Self> {
        let mut cache_config = wasmtime::CacheConfig::new();
        cache_config.with_directory(cache);
        let mut config = wasmtime::Config::default();
        config.epoch_interruption(true);
        config.cache(Some(wt(wasmtime::Cache::new(cache_config))?));
        let engine = wt(wasmtime::Engine::new(&config))?;
        let start = Instant::now();
        let module = wt(wasmtime::Module::new(&engine, bytes))?;
        let load_time = start.elapsed();
        let pre = WasmtimeEngineProviderBuilder::new()
            .engine(engine.clone())
            .module(module)
            .enable_epoch_interruptions(deadlines(deadline_ticks))
            .build_pre()?;
        let stop_ticker = Arc::new(AtomicBool::new(false));
        let stop = stop_ticker.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(tick);
                engine.increment_epoch();
            }
        });
        Ok(Self {
            pre,
            stop_ticker,
            deadline_ticks,
            load_time,
        })
    }

    /// A fresh instance, as policy-server makes one per evaluation.
    pub fn instantiate(&self, cluster: Arc<Cluster>) -> Result<Instance> {
        let provider = self.pre.rehydrate(Some(deadlines(self.deadline_ticks)))?;
        let callback =
            move |_id: u64, binding: &str, namespace: &str, operation: &str, payload: &[u8]| {
                cluster
                    .answer(binding, namespace, operation, payload)
                    .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })
            };
        let host = WapcHost::new(Box::new(provider), Some(Box::new(callback)))?;
        Ok(Instance { host })
    }
}

/// wasmtime has its own error type; bring it into anyhow with its full chain.
fn wt<T>(result: wasmtime::Result<T>) -> Result<T> {
    result.map_err(|e| anyhow!("{e:?}"))
}

fn deadlines(ticks: u64) -> EpochDeadlines {
    EpochDeadlines {
        wapc_init: ticks,
        wapc_func: ticks,
    }
}

/// One instantiated policy.
pub struct Instance {
    host: WapcHost,
}

impl Instance {
    /// Calls a waPC function; `Err` if the guest returned an error or trapped.
    pub fn call(&self, function: &str, payload: &[u8]) -> Result<Vec<u8>> {
        self.host
            .call(function, payload)
            .map_err(|e| anyhow!("`{function}` failed: {e}"))
    }

    /// `validate`, decoded.
    pub fn validate(
        &self,
        payload: &[u8],
    ) -> Result<kubewarden_policy_sdk::response::ValidationResponse> {
        Ok(serde_json::from_slice(&self.call("validate", payload)?)?)
    }

    /// `validate_settings`, decoded.
    pub fn validate_settings(
        &self,
        payload: &[u8],
    ) -> Result<kubewarden_policy_sdk::settings::SettingsValidationResponse> {
        Ok(serde_json::from_slice(
            &self.call("validate_settings", payload)?,
        )?)
    }
}
