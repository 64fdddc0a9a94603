//! The canonical service host and Gitea URL grammar.
//!
//! Catalyst control-plane DNS is `{component}.{location-code}.{sovereign-domain}`; the
//! canonical Git URL is `https://gitea.<location-code>.<sovereign-domain>/<org>/<repo>.git`.
//! Doc placeholders (`<location-code>`) and envsubst variables (`${SOVEREIGN_DOMAIN}`)
//! are legal stand-ins for any one part, never errors.

use super::location::{LocationTable, MANAGEMENT};

/// What is wrong with a host or URL, and how to write it instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// One clause, lowercase, the offending value in backticks.
    pub message: String,
    /// The canonical form to use.
    pub help: String,
}

/// A stand-in for a value: a `<placeholder>`, `${VAR}` or `$VAR`.
pub fn is_stand_in(s: &str) -> bool {
    let placeholder = s.len() > 2
        && s.starts_with('<')
        && s.ends_with('>')
        && s[1..s.len() - 1]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    placeholder || is_env_var(s)
}

fn is_env_var(s: &str) -> bool {
    let name = s
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| s.strip_prefix('$'));
    name.is_some_and(|n| {
        !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// An org name: `^[a-z][a-z0-9-]{2,31}$`.
pub fn is_valid_org(org: &str) -> bool {
    let mut bytes = org.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && (3..=32).contains(&org.len())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_valid_repo(repo: &str) -> bool {
    !repo.is_empty()
        && repo
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Splits a host that may contain `${VAR}` stand-ins (whose braces never hold dots)
/// into labels.
fn labels(host: &str) -> Vec<&str> {
    host.split('.').collect()
}

/// Checks `<service>.<location-code>.<sovereign-domain>` for a service that runs on the
/// management cluster (Gitea, the Flux webhook).
pub fn check_service_host(host: &str, table: &LocationTable) -> Result<(), Problem> {
    match host_problem(host, table) {
        None => Ok(()),
        Some((message, suggestion)) => Err(Problem {
            message,
            help: format!("use `{suggestion}`"),
        }),
    }
}

/// What is wrong with a service host, and the host to use instead.
fn host_problem(host: &str, table: &LocationTable) -> Option<(String, String)> {
    let parts = labels(host);
    let service = parts.first().copied().unwrap_or_default();
    let example = format!("{service}.<location-code>.<sovereign-domain>");
    let no_code = || format!("host `{host}` has no location code");
    let Some(code) = parts.get(1).copied() else {
        return Some((no_code(), example));
    };
    let domain = parts.get(2..).unwrap_or_default();
    if domain.is_empty() {
        return Some((no_code(), format!("{service}.<location-code>.{code}")));
    }
    if let Some(bad) = domain.iter().find(|l| !(is_dns_label(l) || is_stand_in(l))) {
        return Some((
            format!("host `{host}` has an invalid domain label `{bad}`"),
            example,
        ));
    }
    let domain = domain.join(".");
    if is_stand_in(code) {
        return None;
    }
    match table.decode(code) {
        Ok(loc) if loc.building_block.code == MANAGEMENT => None,
        Ok(loc) => {
            let fixed: String = code
                .chars()
                .enumerate()
                .map(|(i, c)| if i == 2 { MANAGEMENT } else { c })
                .collect();
            let label = if service == "gitea" { "Gitea" } else { service };
            Some((
                format!("host `{host}` uses location code `{code}` = {loc}: {label} runs on mgt"),
                format!("{service}.{fixed}.{domain}"),
            ))
        }
        Err(err) if code.chars().count() == 4 => Some((
            format!("host `{host}` has an invalid location code: {err}"),
            format!("{service}.<location-code>.{domain}"),
        )),
        Err(_) => Some((no_code(), format!("{service}.<location-code>.{code}.{domain}"))),
    }
}

/// Checks a Git URL against `https://gitea.<location-code>.<sovereign-domain>/<org>/<repo>.git`.
pub fn check_gitea_url(url: &str, table: &LocationTable) -> Result<(), Problem> {
    let canonical = "https://gitea.<location-code>.<sovereign-domain>/<org>/<repo>.git";
    let generic = || format!("use `{canonical}`");
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(Problem {
            message: format!("`{url}` is not an https URL"),
            help: generic(),
        });
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let fixed_scheme = format!("https://{host}{path}");
    if scheme != "https" {
        return Err(Problem {
            message: format!("`{url}` uses `{scheme}://`, not `https://`"),
            help: format!("use `{fixed_scheme}`"),
        });
    }
    if authority.contains('@') {
        return Err(Problem {
            message: format!("`{url}` carries credentials in the URL"),
            help: format!("use `{fixed_scheme}` with `spec.secretRef` for the token"),
        });
    }
    if host.contains(':') {
        return Err(Problem {
            message: format!("`{url}` sets a port; the canonical Gitea URL has none"),
            help: generic(),
        });
    }
    if !host.starts_with("gitea.") {
        return Err(Problem {
            message: format!("`{url}` does not point at the Sovereign's Gitea"),
            help: generic(),
        });
    }
    if let Some((message, suggestion)) = host_problem(host, table) {
        return Err(Problem {
            message: format!("`{url}`: {message}"),
            help: format!("use `https://{suggestion}{path}`"),
        });
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let [org, repo] = segments.as_slice() else {
        return Err(Problem {
            message: format!("`{url}` path must be `/<org>/<repo>.git`"),
            help: format!("use `https://{host}/<org>/<repo>.git`"),
        });
    };
    if !(is_stand_in(org) || is_valid_org(org)) {
        return Err(Problem {
            message: format!("`{url}` has org `{org}`, which does not match `^[a-z][a-z0-9-]{{2,31}}$`"),
            help: format!("use a lowercase org of 3 to 32 characters: `https://{host}/<org>/{repo}`"),
        });
    }
    let Some(name) = repo.strip_suffix(".git") else {
        return Err(Problem {
            message: format!("`{url}` does not end in `.git`"),
            help: format!("use `https://{host}/{org}/{repo}.git`"),
        });
    };
    if !(is_stand_in(name) || is_valid_repo(name)) {
        return Err(Problem {
            message: format!("`{url}` has an invalid repository name `{name}`"),
            help: format!("use `https://{host}/{org}/<repo>.git`"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str) -> Result<(), Problem> {
        check_gitea_url(url, &LocationTable::default())
    }

    #[test]
    fn canonical_urls_and_stand_ins_pass() {
        for url in [
            "https://gitea.hfmp.openova.io/openova/flux.git",
            "https://gitea.<location-code>.<sovereign-domain>/<org>/<component>.git",
            "https://gitea.${LOCATION_CODE}.${SOVEREIGN_DOMAIN}/acme/app.git",
            "https://gitea.hfmp.${SOVEREIGN_DOMAIN}/acme/app.git",
        ] {
            assert_eq!(check(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn a_wrong_building_block_is_decoded_in_the_message() {
        let p = check("https://gitea.hfrp.openova.io/acme/app.git").unwrap_err();
        assert!(
            p.message
                .contains("`hfrp` = Hetzner Falkenstein rtz prod: Gitea runs on mgt"),
            "{}",
            p.message
        );
        assert_eq!(p.help, "use `https://gitea.hfmp.openova.io/acme/app.git`");
    }

    #[test]
    fn hosts_without_a_location_code_are_rejected() {
        for url in [
            "https://gitea.${SOVEREIGN_FQDN}/acme/app.git",
            "https://gitea.<domain>/acme/app.git",
            "https://gitea.openova.io/acme/app.git",
        ] {
            let p = check(url).unwrap_err();
            assert!(p.message.contains("no location code"), "{url}: {p:?}");
        }
    }

    #[test]
    fn scheme_org_and_suffix_are_checked() {
        let p = check("http://gitea.hfmp.openova.io/acme/app.git").unwrap_err();
        assert!(p.message.contains("`http://`"));
        assert_eq!(p.help, "use `https://gitea.hfmp.openova.io/acme/app.git`");
        assert!(check("https://gitea.hfmp.openova.io/Acme/app.git").is_err());
        assert!(check("https://gitea.hfmp.openova.io/ab/app.git").is_err());
        let p = check("https://gitea.hfmp.openova.io/acme/app").unwrap_err();
        assert_eq!(p.help, "use `https://gitea.hfmp.openova.io/acme/app.git`");
        assert!(check("https://gitea.hfmp.openova.io/acme/x/app.git").is_err());
        assert!(check("ssh://git@gitea.hfmp.openova.io/acme/app.git").is_err());
        assert!(check("git@gitea.hfmp.openova.io:acme/app.git").is_err());
        assert!(check("https://github.com/acme/app.git").is_err());
        assert!(check("https://gitea.hfmp.openova.io:3000/acme/app.git").is_err());
    }

    #[test]
    fn org_grammar_matches_the_domain_brief() {
        assert!(is_valid_org("abc"));
        assert!(is_valid_org("openova-labs"));
        assert!(!is_valid_org("ab"));
        assert!(!is_valid_org("1abc"));
        assert!(!is_valid_org(&"a".repeat(33)));
        assert!(is_valid_org(&"a".repeat(32)));
    }
}
