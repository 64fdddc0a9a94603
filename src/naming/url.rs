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

/// True for a stand-in whose name says it is a location code: `<location-code>`,
/// `<loc>`, `${LOCATION_CODE}`, `$LOC`. `<sovereign>` and `<domain>` are stand-ins
/// too, but not for a location code.
pub fn is_location_stand_in(s: &str) -> bool {
    is_stand_in(s) && s.to_ascii_lowercase().contains("loc")
}

fn is_env_var(s: &str) -> bool {
    let name = s
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| s.strip_prefix('$'));
    name.is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
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

/// True for an in-cluster Service name (`gitea-http.gitea.svc`,
/// `gitea.gitea.svc.cluster.local`): resolved by cluster DNS, never a public host.
pub fn is_in_cluster_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host.ends_with(".svc")
        || host.ends_with(".svc.cluster.local")
        || host.ends_with(".cluster.local")
}

/// True if a bare dotted token reads as a DNS host on its own, without a position
/// that says so: it ends in a public suffix of the Public Suffix List (`.io`,
/// `.co.uk`) or in a stand-in (`gitea.${SOVEREIGN_FQDN}`, `gitea.<domain>`), and is
/// not an in-cluster name. Helm values key paths
/// (`gitea.gitea.metrics.serviceMonitor.enabled`) end in neither.
pub fn ends_like_a_host(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if !host.contains('.') || is_in_cluster_name(host) {
        return false;
    }
    let last = host.rsplit('.').next().unwrap_or(host);
    if is_stand_in(last) {
        return true;
    }
    // Stand-ins elsewhere (`gitea.${CODE}.example.io`) do not hide the suffix.
    ends_in_public_suffix(&host.to_ascii_lowercase())
}

/// True if a lowercase dotted name matches some rule of the Public Suffix List. Every
/// top-level domain but one has a rule of its own or a wildcard, so the TLD decides;
/// under the one that has neither (`za`) only its second-level rules (`co.za`) match.
fn ends_in_public_suffix(lower: &str) -> bool {
    use super::public_suffix::{SECOND_LEVEL, TOP_LEVEL};
    // A fully qualified name's root dot (`example.com.`).
    let lower = lower.strip_suffix('.').unwrap_or(lower);
    let mut labels = lower.rsplitn(3, '.');
    let (Some(tld), Some(second)) = (labels.next(), labels.next()) else {
        return false;
    };
    if TOP_LEVEL.binary_search(&tld).is_ok() {
        return true;
    }
    let start = lower.len().saturating_sub(tld.len() + 1 + second.len());
    lower
        .get(start..)
        .is_some_and(|tail| SECOND_LEVEL.binary_search(&tail).is_ok())
}

/// Checks `<service>.<location-code>.<sovereign-domain>` for a service that runs on the
/// management cluster (Gitea, the Flux webhook); any stand-in counts for the location
/// code.
pub fn check_service_host(host: &str, table: &LocationTable) -> Result<(), Problem> {
    check_service_host_with(
        host,
        &HostRules {
            table,
            building_block: Some(MANAGEMENT),
            is_code_stand_in: &is_stand_in,
        },
    )
}

/// What a service host is checked against.
pub struct HostRules<'a> {
    /// The location-code table.
    pub table: &'a LocationTable,
    /// The building block the service runs on (`m` for Gitea), or `None` for any.
    pub building_block: Option<char>,
    /// Which stand-ins may take the location code's place.
    pub is_code_stand_in: &'a dyn Fn(&str) -> bool,
}

/// Checks `<service>.<location-code>.<sovereign-domain>` with the given rules.
pub fn check_service_host_with(host: &str, rules: &HostRules<'_>) -> Result<(), Problem> {
    match service_host_problem(host, rules) {
        None => Ok(()),
        Some((message, suggestion)) => Err(Problem {
            message,
            help: format!("use `{suggestion}`"),
        }),
    }
}

/// What is wrong with a service host, and the host to use instead (Gitea's rules).
fn host_problem(host: &str, table: &LocationTable) -> Option<(String, String)> {
    service_host_problem(
        host,
        &HostRules {
            table,
            building_block: Some(MANAGEMENT),
            is_code_stand_in: &is_stand_in,
        },
    )
}

fn service_host_problem(host: &str, rules: &HostRules<'_>) -> Option<(String, String)> {
    let table = rules.table;
    let parts = labels(host);
    let service = parts.first().copied().unwrap_or_default();
    let example = || format!("{service}.<location-code>.<sovereign-domain>");
    let no_code = || format!("host `{host}` has no location code");
    let Some(code) = parts.get(1).copied() else {
        return Some((
            format!("host `{host}` has no location code and no Sovereign domain"),
            example(),
        ));
    };
    let domain = parts.get(2..).unwrap_or_default();
    if domain.is_empty() {
        // `gitea.hfmp`, `gitea.<loc>`: a code without a domain. `gitea.${SOVEREIGN_FQDN}`
        // is a domain without a code.
        if is_location_stand_in(code) || table.decode(code).is_ok() {
            return Some((
                format!("host `{host}` has no Sovereign domain"),
                format!("{service}.{code}.<sovereign-domain>"),
            ));
        }
        return Some((no_code(), format!("{service}.<location-code>.{code}")));
    }
    if let Some(bad) = domain.iter().find(|l| !(is_dns_label(l) || is_stand_in(l))) {
        return Some((
            format!("host `{host}` has an invalid domain label `{bad}`"),
            example(),
        ));
    }
    if (rules.is_code_stand_in)(code) {
        return None;
    }
    // Joined only for a message: most hosts a scan meets are canonical.
    let domain = || domain.join(".");
    if is_stand_in(code) {
        return Some((
            format!(
                "host `{host}` has no location code (`{code}` is not a location-code placeholder)"
            ),
            format!("{service}.<location-code>.{}", domain()),
        ));
    }
    match table.decode(code) {
        Ok(loc)
            if rules
                .building_block
                .is_none_or(|b| loc.building_block.code == b) =>
        {
            None
        }
        Ok(loc) => {
            let domain = domain();
            let block = rules.building_block.unwrap_or(MANAGEMENT);
            let fixed = loc.on_building_block(block);
            let label = if service == "gitea" { "Gitea" } else { service };
            let short = super::location::BUILDING_BLOCKS
                .iter()
                .find(|b| b.code == block)
                .map_or("mgt", |b| b.short);
            Some((
                format!(
                    "host `{host}` uses location code `{code}` = {loc}: {label} runs on {short}"
                ),
                format!("{service}.{fixed}.{domain}"),
            ))
        }
        Err(err) if code.chars().count() == 4 => Some((
            format!("host `{host}` has an invalid location code: {err}"),
            format!("{service}.<location-code>.{}", domain()),
        )),
        Err(_) => Some((
            no_code(),
            format!("{service}.<location-code>.{code}.{}", domain()),
        )),
    }
}

/// Checks a Git URL against `https://gitea.<location-code>.<sovereign-domain>/<org>/<repo>.git`.
///
/// Every problem is listed in one message, and the help carries the URL with all of
/// them fixed where that can be derived (placeholders where it cannot), so one edit
/// fixes the finding.
pub fn check_gitea_url(url: &str, table: &LocationTable) -> Result<(), Problem> {
    let canonical = "https://gitea.<location-code>.<sovereign-domain>/<org>/<repo>.git";
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(Problem {
            message: format!("`{url}` is not an https URL"),
            help: format!("use `{canonical}`"),
        });
    };
    let mut problems: Vec<String> = Vec::new();
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (path, query) = match path.find(['?', '#']) {
        Some(i) => path.split_at(i),
        None => (path, ""),
    };
    if !query.is_empty() {
        problems.push(format!("has a query or fragment `{query}`"));
    }
    if scheme != "https" {
        problems.push(format!("uses `{scheme}://`, not `https://`"));
    }
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if userinfo.is_some() {
        problems.push("carries credentials (use `spec.secretRef`)".to_string());
    }
    let host = match host_port.split_once(':') {
        Some((h, port)) => {
            problems.push(format!("sets port `{port}`"));
            h
        }
        None => host_port,
    };
    let fixed_host = if !host.starts_with("gitea.") {
        problems.push(format!("host `{host}` is not the Sovereign's Gitea"));
        "gitea.<location-code>.<sovereign-domain>".to_string()
    } else if let Some((message, suggestion)) = host_problem(host, table) {
        problems.push(message);
        suggestion
    } else {
        host.to_string()
    };
    // `path` is empty or starts with the one `/` after the host. Empty segments
    // (`//org`, `/org//repo.git`, a trailing `/`) are not the canonical form; Git
    // servers may tolerate them, but a URL compared as a string (the admission twins,
    // Flux's own source matching) then differs from the canonical one.
    let raw: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let segments: Vec<&str> = raw.iter().copied().filter(|s| !s.is_empty()).collect();
    let (org, repo) = match segments.as_slice() {
        [org, repo] => {
            if raw.len() != 2 {
                problems.push(format!("path `{path}` has an empty segment"));
            }
            (*org, *repo)
        }
        _ => {
            problems.push("path is not `/<org>/<repo>.git`".to_string());
            ("<org>", "<repo>.git")
        }
    };
    let fixed_org = if is_stand_in(org) || is_valid_org(org) {
        org.to_string()
    } else {
        problems.push(format!(
            "org `{org}` does not match `^[a-z][a-z0-9-]{{2,31}}$`"
        ));
        let lower = org.to_ascii_lowercase();
        if is_valid_org(&lower) {
            lower
        } else {
            "<org>".to_string()
        }
    };
    let name = match repo.strip_suffix(".git") {
        Some(name) => name,
        None => {
            problems.push("does not end in `.git`".to_string());
            repo
        }
    };
    let fixed_name = if is_stand_in(name) || is_valid_repo(name) {
        name.to_string()
    } else {
        problems.push(format!("repository name `{name}` is invalid"));
        "<repo>".to_string()
    };
    if problems.is_empty() {
        return Ok(());
    }
    Err(Problem {
        message: format!("`{url}`: {}", problems.join("; ")),
        help: format!("use `https://{fixed_host}/{fixed_org}/{fixed_name}.git`"),
    })
}

#[cfg(test)]
mod tests {
    use super::super::public_suffix::{SECOND_LEVEL, TOP_LEVEL};
    use super::ends_in_public_suffix;

    /// What the `psl` crate, the table's source, says of `name`.
    fn psl_knows(name: &str) -> bool {
        psl::suffix(name.as_bytes()).is_some_and(|s| s.is_known())
    }

    #[test]
    fn the_public_suffix_table_answers_as_the_psl_crate_does() {
        assert!(TOP_LEVEL.is_sorted() && SECOND_LEVEL.is_sorted());
        let mut names: Vec<String> = Vec::new();
        for tld in TOP_LEVEL {
            names.extend([
                format!("a.{tld}"),
                format!("b.a.{tld}"),
                format!("www.{tld}"),
            ]);
        }
        for rule in SECOND_LEVEL {
            let tld = rule.rsplit('.').next().unwrap_or_default();
            names.extend([rule.to_string(), format!("a.{rule}"), format!("a.zz{rule}")]);
            names.extend([format!("a.{tld}"), format!("a.b.{tld}")]);
        }
        // Every label of up to three letters, digits and hyphens, as a TLD.
        let alphabet: Vec<char> = ('a'..='z').chain('0'..='9').chain(['-']).collect();
        let mut labels: Vec<String> = alphabet.iter().map(char::to_string).collect();
        for len in 2..=3 {
            let shorter: Vec<String> = labels
                .iter()
                .filter(|l| l.len() == len - 1)
                .cloned()
                .collect();
            for l in shorter {
                labels.extend(alphabet.iter().map(|c| format!("{l}{c}")));
            }
        }
        names.extend(labels.iter().map(|l| format!("x.{l}")));
        // Helm values key paths, in-cluster names and near misses.
        for name in [
            "gitea.gitea.metrics.servicemonitor.enabled",
            "a.comm",
            "a.co",
            "a.uk",
            "a.xn--",
            "a.xn--fiqs8s",
            "a.中国",
            "a.ck",
            "www.ck",
            "a.za",
            "co.za",
            "a.co.za",
            "a.b.za",
            "a..com",
            "a.com.",
            ".com",
            "a.local",
            "a.internal",
            "a.example",
            "a.test",
        ] {
            names.push(name.to_string());
        }
        let differ: Vec<&String> = names
            .iter()
            .filter(|n| ends_in_public_suffix(n) != psl_knows(n))
            .collect();
        assert!(
            differ.is_empty(),
            "{} differ: {:?}",
            differ.len(),
            &differ[..differ.len().min(20)]
        );
        // Both answers occur: the comparison is not vacuous.
        assert!(names.iter().filter(|n| psl_knows(n)).count() > 4000);
        assert!(names.iter().filter(|n| !psl_knows(n)).count() > 40000);
    }

    #[test]
    fn dotted_tokens_are_hosts_only_by_public_suffix_or_stand_in() {
        let cases = [
            ("gitea.openova.io", true),
            ("gitea.hfmp.openova.io", true),
            ("gitea.example.co.uk", true),
            ("flux-webhook.acme.com", true),
            ("gitea.${SOVEREIGN_FQDN}", true),
            ("gitea.<domain>", true),
            ("gitea.<location-code>.<sovereign-domain>", true),
            ("Gitea.OpenOva.IO", true),
            ("gitea.gitea.metrics.serviceMonitor.enabled", false),
            ("gitea.admin.password", false),
            ("gitea.gitea.svc", false),
            ("gitea-http.gitea.svc.cluster.local", false),
            ("gitea.gitea.svc.cluster.local.", false),
            ("gitea.flux-system.cluster.local", false),
            ("gitea.persistence", false),
            ("gitea", false),
        ];
        for (token, host) in cases {
            assert_eq!(ends_like_a_host(token), host, "{token}");
        }
    }

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
        assert!(
            !p.message.contains(';'),
            "one problem, one clause: {}",
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
    fn every_problem_is_listed_and_the_help_fixes_them_all() {
        let p = check("http://gitea.hfrp.example.io/Acme/apps").unwrap_err();
        assert_eq!(p.message.matches(';').count(), 3, "{}", p.message);
        assert_eq!(p.help, "use `https://gitea.hfmp.example.io/acme/apps.git`");
        let p =
            check("https://user:pw@gitea.hfmp.example.io:3000/acme/apps.git?ref=x").unwrap_err();
        assert!(
            p.message.contains("credentials") && p.message.contains("port"),
            "{}",
            p.message
        );
        assert_eq!(p.help, "use `https://gitea.hfmp.example.io/acme/apps.git`");
    }

    #[test]
    fn empty_path_segments_are_rejected_and_the_help_collapses_them() {
        for url in [
            "https://gitea.hfmp.openova.io//acme/app.git",
            "https://gitea.hfmp.openova.io/acme//app.git",
            "https://gitea.hfmp.openova.io/acme/app.git/",
        ] {
            let p = check(url).unwrap_err();
            assert!(
                p.message.contains("has an empty segment"),
                "{url}: {}",
                p.message
            );
            assert_eq!(
                p.help, "use `https://gitea.hfmp.openova.io/acme/app.git`",
                "{url}"
            );
        }
        let p = check("https://gitea.hfmp.openova.io///").unwrap_err();
        assert!(
            p.message.contains("path is not `/<org>/<repo>.git`"),
            "{}",
            p.message
        );
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
