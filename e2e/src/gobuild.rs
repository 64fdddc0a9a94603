//! Builds one package of a Go module at a pinned version into the user's cache, once.
//!
//! A build is a small wrapper module (`require M V`, M's own `replace` directives
//! repeated, because the go command ignores a dependency's replaces) and one
//! `go build` of package P into `$HOME/.cache/catalyst-guard/e2e/<name>-<version>/<name>`.
//! Go's build and module caches live under `$HOME/.cache/catalyst-guard/go`, so a
//! rebuild after a change of flags is a link, not a compile, and a second call with the
//! same spec is a cache hit that runs no go command at all. Nothing is written into
//! the checkout.
//!
//! A missing `go` or a module the proxy refuses is one [`Error`] whose message is the
//! one line to print. A module whose `go.mod` the proxy refuses but whose zip it serves
//! is fetched, verified and used from a directory (see `goproxy.rs`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::gomod::{self, Target};
use crate::goproxy::{self, Fetched};

/// Errors of a build; each message is one line a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No `go` command.
    #[error("`go` not found on PATH: install Go 1.26 or later (https://go.dev/dl/) and rerun")]
    GoMissing,
    /// The proxy refused a module version the build needs.
    #[error("the Go module proxy refuses `{module}@{version}` ({reason}); needed to build {build}")]
    Refused {
        /// The refused module path.
        module: String,
        /// Its version.
        version: String,
        /// What the proxy answered.
        reason: String,
        /// The build that needed it (`name version`).
        build: String,
    },
    /// A request to the proxy or the checksum database went wrong.
    #[error("{url}: {message}")]
    Proxy {
        /// The URL asked.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A go command failed for another reason; `output` is its last lines.
    #[error("`go {args}` failed for {build}:\n{output}")]
    Go {
        /// The go command's arguments.
        args: String,
        /// The build (`name version`).
        build: String,
        /// The tail of its output.
        output: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// No home directory to cache in.
    #[error("HOME is not set: the Go builds are cached under $HOME/.cache/catalyst-guard")]
    NoHome,
}

/// Result of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What to build.
#[derive(Debug, Clone)]
pub struct GoBuild {
    /// The binary's name, also the cache directory's (`<name>-<version>`).
    pub name: String,
    /// The module to require (`k8s.io/kubernetes`).
    pub module: String,
    /// Its version (`v1.36.2`).
    pub version: String,
    /// The package to build (`k8s.io/kubernetes/cmd/kube-apiserver`).
    pub package: String,
    /// `-ldflags`, e.g. `-X k8s.io/component-base/version.gitVersion=v1.36.2`.
    pub ldflags: String,
    /// The version given to each module that the module's own `go.mod` replaces with a
    /// directory of its repository (k8s.io/kubernetes `./staging/src/k8s.io/api` is
    /// `k8s.io/api v0.36.2`; helm-controller's `./api` is `.../api v1.6.4`). `None`: such
    /// replaces are an error.
    pub local_version: Option<String>,
    /// Extra lines for the wrapper's `replace` block (`old => new version`).
    pub replaces: Vec<String>,
}

/// A finished build.
#[derive(Debug, Clone)]
pub struct Built {
    /// The binary.
    pub path: PathBuf,
    /// True when nothing was built (the cache held it).
    pub cached: bool,
    /// Wall time of this call.
    pub seconds: f64,
}

/// `$HOME/.cache/catalyst-guard`: where Go builds and their caches live.
pub fn cache_root() -> Result<PathBuf> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or(Error::NoHome)?;
    Ok(PathBuf::from(home).join(".cache/catalyst-guard"))
}

impl GoBuild {
    /// `<name>-<version>` for messages.
    fn label(&self) -> String {
        format!("{} {}", self.name, self.version)
    }

    /// The directory the binary is built into.
    pub fn dir(&self) -> Result<PathBuf> {
        Ok(cache_root()?
            .join("e2e")
            .join(format!("{}-{}", self.name, self.version)))
    }

    /// Builds the binary unless the cache already holds it for this exact spec.
    /// Progress goes to standard error.
    pub fn build(&self) -> Result<Built> {
        let start = Instant::now();
        let dir = self.dir()?;
        let binary = dir.join(&self.name);
        let stamp = dir.join("build.stamp");
        let spec = self.fingerprint();
        let hit = |binary: &Path| {
            binary.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == spec)
        };
        if hit(&binary) {
            return Ok(Built {
                path: binary,
                cached: true,
                seconds: start.elapsed().as_secs_f64(),
            });
        }
        create_dir(&dir)?;
        // Two builders (another worktree, a second suite) may ask at once: one builds,
        // the other waits and then finds the cache filled.
        let lock_path = dir.join(".lock");
        let lock = std::fs::File::create(&lock_path).map_err(|source| Error::Io {
            path: lock_path.clone(),
            source,
        })?;
        lock.lock().map_err(|source| Error::Io {
            path: lock_path.clone(),
            source,
        })?;
        if hit(&binary) {
            return Ok(Built {
                path: binary,
                cached: true,
                seconds: start.elapsed().as_secs_f64(),
            });
        }
        let go = Go::find()?;
        eprintln!(
            "e2e: building {} from {}@{} ({}; first build takes minutes, then cached in {})",
            self.name,
            self.module,
            self.version,
            go.version,
            dir.display()
        );
        let module_dir = dir.join("module");
        create_dir(&module_dir)?;
        let mut dir_replaces: Vec<(String, PathBuf)> = Vec::new();
        let main_mod = match go.download_mod(&module_dir, &self.module, &self.version)? {
            Ok(text) => text,
            Err(reason) => {
                let src = self.fetch_refused(&go, &self.module, &self.version, &reason)?;
                dir_replaces.push((self.module.clone(), src.clone()));
                read(&src.join("go.mod"))?
            }
        };
        let parsed = gomod::parse(&main_mod).map_err(|e| Error::Go {
            args: format!("mod download {}@{}", self.module, self.version),
            build: self.label(),
            output: format!("go.mod of {}: {e}", self.module),
        })?;
        let mut attempts = 0;
        loop {
            let text = self.wrapper_go_mod(&parsed, &dir_replaces)?;
            write(&module_dir.join("go.mod"), text.as_bytes())?;
            let tmp = dir.join(format!(".{}.tmp", self.name));
            let args = [
                "build",
                "-mod=mod",
                "-trimpath",
                "-ldflags",
                &self.ldflags,
                "-o",
                tmp.to_str().unwrap_or_default(),
                &self.package,
            ];
            let out = go.run(&module_dir, &args)?;
            if out.status.success() {
                std::fs::rename(&tmp, &binary).map_err(|source| Error::Io {
                    path: binary.clone(),
                    source,
                })?;
                write(&stamp, spec.as_bytes())?;
                let seconds = start.elapsed().as_secs_f64();
                eprintln!("e2e: built {} in {seconds:.0} s", binary.display());
                return Ok(Built {
                    path: binary,
                    cached: false,
                    seconds,
                });
            }
            let output = String::from_utf8_lossy(&out.stderr).into_owned();
            attempts += 1;
            match refused_in(&output) {
                Some((module, version, reason)) if attempts < 8 => {
                    let src = self.fetch_refused(&go, &module, &version, &reason)?;
                    dir_replaces.push((module, src));
                }
                _ => {
                    return Err(Error::Go {
                        args: format!("build {}", self.package),
                        build: self.label(),
                        output: tail(&output, 20),
                    });
                }
            }
        }
    }

    /// Falls back to the zip of a module whose go.mod the proxy refused.
    fn fetch_refused(&self, go: &Go, module: &str, version: &str, reason: &str) -> Result<PathBuf> {
        let refused = |why: String| Error::Refused {
            module: module.to_string(),
            version: version.to_string(),
            reason: why,
            build: self.label(),
        };
        let Some(proxy) = goproxy::first_proxy(&go.proxy) else {
            return Err(refused(reason.to_string()));
        };
        eprintln!("e2e: the proxy refuses {module}@{version}'s go.mod ({reason}); trying its zip");
        match goproxy::fetch_zip(&proxy, module, version, &cache_root()?.join("e2e/src"))? {
            Fetched::Dir(dir) => {
                eprintln!(
                    "e2e: {module}@{version}: zip served and matches the checksum database; \
                     building from {}",
                    dir.display()
                );
                Ok(dir)
            }
            Fetched::Refused(more) => Err(refused(format!("{reason}; {more}"))),
        }
    }

    /// The wrapper module: requires the module, repeats its replaces.
    fn wrapper_go_mod(
        &self,
        parsed: &gomod::GoMod,
        dir_replaces: &[(String, PathBuf)],
    ) -> Result<String> {
        let mut text = format!(
            "// Generated by catalyst-guard's e2e builder: builds {} from {}@{}.\n\
             module catalyst-guard.local/e2e/{}\n\n",
            self.package, self.module, self.version, self.name
        );
        if let Some(go) = &parsed.go {
            text.push_str(&format!("go {go}\n\n"));
        }
        text.push_str(&format!(
            "require {} {}\n\nreplace (\n",
            self.module, self.version
        ));
        let overridden = |path: &str| dir_replaces.iter().any(|(m, _)| m == path);
        for r in &parsed.replaces {
            if overridden(&r.path) {
                continue;
            }
            match &r.target {
                Target::Module { .. } => text.push_str(&format!("\t{}\n", r.line())),
                Target::Dir(dir) if dir.starts_with("./") || dir.starts_with("../") => {
                    let Some(version) = &self.local_version else {
                        return Err(Error::Go {
                            args: format!("mod download {}@{}", self.module, self.version),
                            build: self.label(),
                            output: format!(
                                "{} replaces `{}` with the directory `{dir}`: give the build a \
                                 local_version for such modules",
                                self.module, r.path
                            ),
                        });
                    };
                    text.push_str(&format!("\t{} => {} {version}\n", r.path, r.path));
                }
                Target::Dir(dir) => text.push_str(&format!("\t{} => {dir}\n", r.path)),
            }
        }
        for line in &self.replaces {
            text.push_str(&format!("\t{line}\n"));
        }
        for (module, dir) in dir_replaces {
            text.push_str(&format!("\t{module} => {}\n", dir.display()));
        }
        text.push_str(")\n");
        Ok(text)
    }

    /// Everything that makes a build different; the cache holds one per fingerprint.
    fn fingerprint(&self) -> String {
        format!(
            "module {}@{}\npackage {}\nldflags {}\nlocal {:?}\nreplaces {:?}\n",
            self.module,
            self.version,
            self.package,
            self.ldflags,
            self.local_version,
            self.replaces
        )
    }
}

/// The source directory of `module@version` in the module cache (downloaded now if
/// needed; from its verified zip if the proxy refuses its go.mod), and its go.mod.
pub fn module_dir(module: &str, version: &str) -> Result<(PathBuf, String)> {
    let go = Go::find()?;
    let scratch = cache_root()?.join("e2e/scratch");
    create_dir(&scratch)?;
    let spec = format!("{module}@{version}");
    let out = go.run(&scratch, &["mod", "download", "-json", &spec])?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|_| Error::Go {
        args: format!("mod download -json {spec}"),
        build: spec.clone(),
        output: tail(&String::from_utf8_lossy(&out.stderr), 20),
    })?;
    let dir = match json.get("Error").and_then(|e| e.as_str()) {
        None => json
            .get("Dir")
            .and_then(|d| d.as_str())
            .map(PathBuf::from)
            .ok_or_else(|| Error::Go {
                args: format!("mod download -json {spec}"),
                build: spec.clone(),
                output: "no Dir in its answer".into(),
            })?,
        Some(error) => {
            let reason = refused_in(error).map_or_else(|| error.to_string(), |r| r.2);
            let refused = |why: String| Error::Refused {
                module: module.to_string(),
                version: version.to_string(),
                reason: why,
                build: spec.clone(),
            };
            let proxy = goproxy::first_proxy(&go.proxy).ok_or_else(|| refused(reason.clone()))?;
            match goproxy::fetch_zip(&proxy, module, version, &cache_root()?.join("e2e/src"))? {
                Fetched::Dir(dir) => dir,
                Fetched::Refused(more) => return Err(refused(format!("{reason}; {more}"))),
            }
        }
    };
    let text = read(&dir.join("go.mod"))?;
    Ok((dir, text))
}

/// The go command with the environment every build uses.
struct Go {
    version: String,
    proxy: String,
    cache: PathBuf,
}

impl Go {
    fn find() -> Result<Go> {
        let cache = cache_root()?.join("go");
        let mut go = Go {
            version: String::new(),
            proxy: String::new(),
            cache,
        };
        let out = go
            .command(Path::new("."))
            .args(["env", "GOVERSION", "GOPROXY"])
            .output()
            .map_err(|_| Error::GoMissing)?;
        if !out.status.success() {
            return Err(Error::GoMissing);
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        go.version = lines.next().unwrap_or_default().trim().to_string();
        go.proxy = lines.next().unwrap_or_default().trim().to_string();
        Ok(go)
    }

    fn command(&self, dir: &Path) -> Command {
        let mut cmd = Command::new("go");
        cmd.current_dir(dir)
            .env("GOCACHE", self.cache.join("build"))
            .env("GOMODCACHE", self.cache.join("mod"))
            // Two cores shared by several builders; no VCS stamping of a module build.
            .env("GOFLAGS", "-p=2 -buildvcs=false")
            .env("CGO_ENABLED", "0");
        cmd
    }

    fn run(&self, dir: &Path, args: &[&str]) -> Result<std::process::Output> {
        let out = self
            .command(dir)
            .args(args)
            .output()
            .map_err(|_| Error::GoMissing)?;
        Ok(out)
    }

    /// `go mod download -json M@V`: the module's go.mod text, or the proxy's refusal.
    fn download_mod(
        &self,
        dir: &Path,
        module: &str,
        version: &str,
    ) -> Result<Result<String, String>> {
        // Outside any module, so the download does not depend on the wrapper's go.mod.
        let _ = std::fs::remove_file(dir.join("go.mod"));
        let spec = format!("{module}@{version}");
        let out = self.run(dir, &["mod", "download", "-json", &spec])?;
        let json: serde_json::Value =
            serde_json::from_slice(&out.stdout).map_err(|_| Error::Go {
                args: format!("mod download -json {spec}"),
                build: spec.clone(),
                output: tail(&String::from_utf8_lossy(&out.stderr), 20),
            })?;
        if let Some(error) = json.get("Error").and_then(|e| e.as_str()) {
            return match refused_in(error) {
                Some((_, _, reason)) => Ok(Err(reason)),
                None => Err(Error::Go {
                    args: format!("mod download -json {spec}"),
                    build: spec,
                    output: error.to_string(),
                }),
            };
        }
        let path = json
            .get("GoMod")
            .and_then(|p| p.as_str())
            .ok_or_else(|| Error::Go {
                args: format!("mod download -json {spec}"),
                build: spec.clone(),
                output: "no GoMod in its answer".into(),
            })?;
        read(Path::new(path)).map(Ok)
    }
}

/// Finds the proxy's refusal of a module version in go's output:
/// `reading https://proxy.golang.org/<escaped>/@v/<version>.mod: 403 Forbidden`.
fn refused_in(output: &str) -> Option<(String, String, String)> {
    for line in output.lines() {
        let Some((_, rest)) = line.split_once("reading ") else {
            continue;
        };
        if !rest.starts_with("http") {
            continue;
        }
        let (url, after) = rest.split_once(": ")?;
        let status = after.trim();
        if !(status.starts_with("403") || status.starts_with("404") || status.starts_with("410")) {
            continue;
        }
        let (base, file) = url.rsplit_once("/@v/")?;
        let version = file
            .strip_suffix(".mod")
            .or_else(|| file.strip_suffix(".zip"))
            .or_else(|| file.strip_suffix(".info"))?;
        // Drop the scheme and host of the proxy: the module path follows.
        let path = base.split_once("://")?.1.split_once('/')?.1;
        let reason = format!("{}: {status}", url.rsplit('/').next().unwrap_or(url));
        return Some((gomod::unescape(path), version.to_string(), reason));
    }
    None
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all.get(all.len().saturating_sub(lines)..)
        .unwrap_or_default()
        .join("\n")
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = std::fs::File::create(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    file.write_all(bytes).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_go_mod_is_found_in_go_output_with_its_module_and_version() {
        let out = "go: github.com/fluxcd/helm-controller@v1.0.1: reading \
                   https://proxy.golang.org/github.com/fluxcd/helm-controller/@v/v1.0.1.mod: \
                   403 Forbidden\n\tserver response: This module version is not available.";
        assert_eq!(
            refused_in(out),
            Some((
                "github.com/fluxcd/helm-controller".into(),
                "v1.0.1".into(),
                "v1.0.1.mod: 403 Forbidden".into()
            ))
        );
        let escaped =
            "reading https://proxy.golang.org/github.com/!burnt!sushi/toml/@v/v1.2.0.mod: 410 Gone";
        assert_eq!(
            refused_in(escaped).map(|r| r.0),
            Some("github.com/BurntSushi/toml".into())
        );
        assert_eq!(refused_in("go: build failed: undefined: x"), None);
    }

    #[test]
    fn the_wrapper_repeats_module_replaces_and_pins_local_ones() {
        let build = GoBuild {
            name: "helm-controller".into(),
            module: "github.com/fluxcd/helm-controller".into(),
            version: "v1.6.4".into(),
            package: "github.com/fluxcd/helm-controller".into(),
            ldflags: String::new(),
            local_version: Some("v1.6.4".into()),
            replaces: vec![],
        };
        let parsed = gomod::parse(
            "module github.com/fluxcd/helm-controller\ngo 1.26.0\n\
             replace github.com/fluxcd/helm-controller/api => ./api\n\
             replace github.com/opencontainers/go-digest => github.com/opencontainers/go-digest v1.0.1-0.2023\n",
        )
        .expect("valid");
        let text = build.wrapper_go_mod(&parsed, &[]).expect("renders");
        assert!(text.contains("require github.com/fluxcd/helm-controller v1.6.4\n"));
        assert!(text.contains(
            "\tgithub.com/fluxcd/helm-controller/api => github.com/fluxcd/helm-controller/api v1.6.4\n"
        ));
        assert!(text.contains(
            "\tgithub.com/opencontainers/go-digest => github.com/opencontainers/go-digest v1.0.1-0.2023\n"
        ));
        assert!(text.contains("go 1.26.0\n"));
        let without = GoBuild {
            local_version: None,
            ..build
        };
        assert!(without.wrapper_go_mod(&parsed, &[]).is_err());
    }
}
