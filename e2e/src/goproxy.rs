//! Modules whose `go.mod` the Go module proxy refuses while it still serves their zip.
//!
//! proxy.golang.org answers 403 "This module version is not available" for some
//! versions' `.mod` (github.com/fluxcd/helm-controller v1.0.1, v1.3.0, v1.4.5) but serves
//! their `.zip`. The go command cannot resolve such a module, so the builder fetches
//! the zip itself, checks it against the checksum database (the same `h1:` hash the go
//! command would check, looked up through the proxy's `/sumdb/` endpoint), unpacks it
//! and points the wrapper module at the directory with a `replace`.

use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::gomod::escape;

/// What the proxy answered for one module version.
#[derive(Debug)]
pub enum Fetched {
    /// Unpacked and verified, in this directory.
    Dir(PathBuf),
    /// The zip is refused too (or no proxy is configured): nothing to fall back on.
    Refused(String),
}

/// The first HTTP proxy of a `GOPROXY` list, if any (`direct` and `off` are not).
pub fn first_proxy(goproxy: &str) -> Option<String> {
    goproxy
        .split([',', '|'])
        .map(str::trim)
        .find(|p| p.starts_with("https://") || p.starts_with("http://"))
        .map(|p| p.trim_end_matches('/').to_string())
}

/// Fetches `module@version`'s zip from `proxy`, verifies it against the checksum
/// database and unpacks it under `root` (once: a directory already there is reused).
pub fn fetch_zip(
    proxy: &str,
    module: &str,
    version: &str,
    root: &Path,
) -> Result<Fetched, crate::gobuild::Error> {
    let dir = root.join(format!("{}@{version}", escape(module)));
    if dir.join(".verified").is_file() {
        return Ok(Fetched::Dir(dir));
    }
    let url = format!("{proxy}/{}/@v/{version}.zip", escape(module));
    let zip = match get(&url)? {
        Ok(bytes) => bytes,
        Err(status) => {
            return Ok(Fetched::Refused(format!(
                "`{url}` answered {status} as well"
            )));
        }
    };
    let lookup = format!(
        "{proxy}/sumdb/sum.golang.org/lookup/{}@{version}",
        escape(module)
    );
    let record = match get(&lookup)? {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(status) => {
            return Ok(Fetched::Refused(format!(
                "the checksum database has no record of `{module}@{version}` ({status})"
            )));
        }
    };
    let want = record
        .lines()
        .find_map(|line| {
            let mut fields = line.split_whitespace();
            (fields.next() == Some(module) && fields.next() == Some(version))
                .then(|| fields.next().map(str::to_string))
                .flatten()
        })
        .ok_or_else(|| crate::gobuild::Error::Proxy {
            url: lookup.clone(),
            message: "no `h1:` line for the module's zip".into(),
        })?;
    let files = read_zip(&zip).map_err(|message| crate::gobuild::Error::Proxy {
        url: url.clone(),
        message,
    })?;
    let got = hash_h1(&files);
    if got != want {
        return Err(crate::gobuild::Error::Proxy {
            url,
            message: format!("zip hash `{got}` differs from the checksum database's `{want}`"),
        });
    }
    let prefix = format!("{module}@{version}/");
    let parent = dir.parent().unwrap_or(root);
    crate::gobuild::create_dir(parent)?;
    let staging = parent.join(format!(
        ".{}.tmp",
        dir.file_name().unwrap_or_default().to_string_lossy()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    for (name, bytes) in &files {
        let Some(rel) = name.strip_prefix(&prefix) else {
            return Err(crate::gobuild::Error::Proxy {
                url,
                message: format!("zip entry `{name}` lies outside `{prefix}`"),
            });
        };
        if rel.split('/').any(|part| part == ".." || part.is_empty()) {
            return Err(crate::gobuild::Error::Proxy {
                url,
                message: format!("zip entry `{name}` is not a plain relative path"),
            });
        }
        let path = staging.join(rel);
        if let Some(parent) = path.parent() {
            crate::gobuild::create_dir(parent)?;
        }
        std::fs::write(&path, bytes).map_err(|source| crate::gobuild::Error::Io {
            path: path.clone(),
            source,
        })?;
    }
    std::fs::write(staging.join(".verified"), &want).map_err(|source| {
        crate::gobuild::Error::Io {
            path: staging.join(".verified"),
            source,
        }
    })?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&staging, &dir).map_err(|source| crate::gobuild::Error::Io {
        path: dir.clone(),
        source,
    })?;
    Ok(Fetched::Dir(dir))
}

/// GETs `url`: the body on 200, the status line otherwise.
fn get(url: &str) -> Result<Result<Vec<u8>, String>, crate::gobuild::Error> {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                .build(),
        )
        .build()
        .new_agent();
    let response = agent
        .get(url)
        .call()
        .map_err(|e| crate::gobuild::Error::Proxy {
            url: url.to_string(),
            message: e.to_string(),
        })?;
    let status = response.status();
    if status != 200 {
        return Ok(Err(status.to_string()));
    }
    let mut body = Vec::new();
    response
        .into_body()
        .into_reader()
        .read_to_end(&mut body)
        .map_err(|e| crate::gobuild::Error::Proxy {
            url: url.to_string(),
            message: e.to_string(),
        })?;
    Ok(Ok(body))
}

/// Every file of a module zip, by name.
fn read_zip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut files = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(|e| e.to_string())?;
        if file.is_dir() {
            continue;
        }
        let mut content = Vec::with_capacity(usize::try_from(file.size()).unwrap_or(0));
        file.read_to_end(&mut content).map_err(|e| e.to_string())?;
        files.push((file.name().to_string(), content));
    }
    Ok(files)
}

/// The go command's `h1:` hash of a set of files (golang.org/x/mod/sumdb/dirhash
/// `Hash1`): SHA-256 over the sorted lines `"<sha256 hex>  <name>\n"`, base64.
pub fn hash_h1(files: &[(String, Vec<u8>)]) -> String {
    // dirhash sorts by file name, then hashes one line per file.
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut summary = Sha256::new();
    for (name, bytes) in sorted {
        summary.update(format!("{:x}  {name}\n", Sha256::digest(bytes)).as_bytes());
    }
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(summary.finalize())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_h1_hash_of_a_go_mod_matches_the_checksum_database() {
        // github.com/pkg/errors v0.9.1 has no go.mod; the go command hashes the one it
        // synthesizes, and every go.sum that needs it carries this line.
        let files = vec![(
            "go.mod".to_string(),
            b"module github.com/pkg/errors\n".to_vec(),
        )];
        assert_eq!(
            hash_h1(&files),
            "h1:bwawxfHBFNV+L2hUp1rHADufV3IMtnDRdf1r5NINEl0="
        );
    }

    #[test]
    fn the_first_http_proxy_of_a_goproxy_list_is_used() {
        assert_eq!(
            first_proxy("https://proxy.golang.org/,direct").as_deref(),
            Some("https://proxy.golang.org")
        );
        assert_eq!(first_proxy("direct"), None);
        assert_eq!(first_proxy("off"), None);
    }
}
