//! CG006: service hosts (`gitea.`, `flux-webhook.` and those configured) without a
//! location code or Sovereign domain, anywhere in YAML values, comments or Markdown.

use crate::lint::fix::{Edit, Fix, concrete_suggestion};
use crate::lint::rule::{Check, declare_rule};
use crate::lint::scan::Needle;
use crate::lint::{FileCtx, FileKind, Sink};
use crate::model::Object;
use crate::naming::{HostRules, check_service_host_with};
use crate::naming::url::{ends_like_a_host, is_in_cluster_name};

declare_rule! {
    /// ## What it does
    /// Scans the text of every YAML and Markdown file for service hosts (`gitea.`,
    /// `flux-webhook.`, and the services `serviceHosts` adds, such as `console: m` or
    /// `harbor: any`) and checks each is `<service>.<location-code>.<sovereign-domain>`,
    /// with a location code on the service's building block (the management cluster's
    /// `m` for Gitea and the Flux webhook). Catches ingress hosts, Helm values,
    /// comments, curl examples and `flux bootstrap git --url=...` commands in docs.
    ///
    /// Only a location-code placeholder stands in for the location code: one whose
    /// name says so (`<location-code>`, `<loc>`, `${LOCATION_CODE}`) or one declared
    /// under `locationCodes.placeholders`. So `gitea.<sovereign>.<domain>` has no
    /// location code, while any placeholder or envsubst variable may stand in for the
    /// domain. A bare service host is flagged too: a URL authority of the service name
    /// alone (`https://gitea/org/repo.git`), and a code without the Sovereign domain
    /// (`gitea.hfmp`).
    ///
    /// A dotted word is a host by position or by suffix. By position: a URL authority
    /// (`https://gitea.x.io/...`), the value of a host-like key (`host:`, `hosts:`,
    /// `url:`, `endpoint:`, `server:`, `domain:` and keys ending so, such as
    /// `externalHost` or `ROOT_URL`, also as list items under them), `--url=`-style
    /// flags, and a word followed by a path (`gitea.acme.local/org/repo.git`).
    /// Anywhere else, a bare dotted word is a host only when it ends in a public
    /// suffix of the [Public Suffix List](https://publicsuffix.org/) (`.io`, `.co.uk`)
    /// or in a stand-in (`gitea.${SOVEREIGN_FQDN}`, `gitea.<domain>`).
    ///
    /// Not flagged: in-cluster Service names (`gitea-http.gitea.svc`,
    /// `*.svc.cluster.local`), Helm values key paths
    /// (`gitea.gitea.metrics.serviceMonitor.enabled`, `--set gitea.enabled=true`,
    /// `gitea.admin.password: x`), file names (`gitea.yaml`), GitRepository `spec.url`
    /// (CG005 owns it), the public `gitea.io` / `gitea.com` sites and any host in
    /// `allowedHosts`.
    ///
    /// `lint --fix` rewrites a host whose canonical form is known (a wrong building
    /// block: `gitea.hfrp.openova.io` -> `gitea.hfmp.openova.io`); a host without a
    /// location code needs a person to pick one.
    ///
    /// ## Why is this bad?
    /// These hosts were fixed by hand, sweep after sweep, and kept creeping back from
    /// copy-pasted docs. A doc that shows `gitea.<domain>` teaches the next operator to
    /// configure a host that does not exist.
    ///
    /// ## Example
    /// ```bash
    /// flux bootstrap git --url=https://gitea.${SOVEREIGN_FQDN}/openova/flux
    /// ```
    ///
    /// ## Use instead
    /// ```bash
    /// flux bootstrap git --url=https://gitea.<location-code>.<sovereign-domain>/openova/flux
    /// ```
    code: "CG006",
    name: "non-canonical-service-host",
    severity: Error,
    fix: Sometimes,
    summary: "a service host (gitea., flux-webhook., configured ones) without a location code or Sovereign domain",
    check: Check::File(check),
}

const FILE_EXTENSIONS: [&str; 14] = [
    "yaml", "yml", "md", "json", "txt", "svg", "png", "tpl", "go", "rs", "sh", "toml", "ts", "tsx",
];

fn check(ctx: &FileCtx<'_>, sink: &mut Sink<'_>) {
    if ctx.kind == FileKind::Ui {
        return;
    }
    // GitRepository URLs are CG005's; do not report the same value twice.
    let owned_lines: Vec<u32> = ctx
        .objects
        .iter()
        .filter_map(|o| match o {
            Object::GitRepository(r) => r.url.as_ref().map(|u| u.pos.line),
            _ => None,
        })
        .collect();
    let bytes = ctx.text.as_bytes();
    let code_stand_in = |s: &str| ctx.config.is_location_placeholder(s);
    let want = |n: &Needle| matches!(n, Needle::Service(_) | Needle::Authority(_));
    for (needle, hit) in ctx.hits_of(want) {
        let (service, at) = match needle {
            Needle::Service(i) => (*i, hit.start),
            // `//gitea.`: the host starts after the slashes; `//gitea` alone is a bare
            // service name as a URL authority.
            Needle::Authority(i) => (*i, hit.start + 2),
            _ => continue,
        };
        let Some(svc) = ctx.config.services.get(service) else {
            continue;
        };
        let host = if matches!(needle, Needle::Authority(_)) {
            match bytes.get(hit.end) {
                Some(b'.') => None,
                // `//gitea/`, `//gitea:3000`, `//gitea"`, end of text: the bare name.
                None | Some(b'/' | b':' | b'"' | b'\'' | b'`' | b' ' | b'\n' | b')' | b'>') => {
                    ctx.text.get(at..hit.end)
                }
                // `//gitea-http.x`, `//giteax`: another name.
                _ => continue,
            }
        } else {
            None
        };
        let host = match host {
            Some(bare) => bare,
            None => {
                let prev = at.checked_sub(1).and_then(|i| bytes.get(i)).copied();
                if matches!(needle, Needle::Service(_))
                    && prev.is_some_and(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'$' | b'{')
                    })
                {
                    continue;
                }
                let end = host_end(bytes, at);
                let Some(host) = ctx
                    .text
                    .get(at..end)
                    .map(|h| h.trim_end_matches(['.', '-']))
                else {
                    continue;
                };
                let after = ctx.text.get(at + host.len()..).unwrap_or_default();
                if !is_host(ctx.text, at, host, after) {
                    continue;
                }
                host
            }
        };
        if ctx
            .config
            .allowed_hosts
            .iter()
            .any(|a| a.eq_ignore_ascii_case(host))
        {
            continue;
        }
        let rules = HostRules {
            table: &ctx.config.locations,
            building_block: svc.building_block,
            is_code_stand_in: &code_stand_in,
        };
        // Most hosts are canonical: check before computing a position, which
        // needs the file's line index.
        let Err(problem) = check_service_host_with(host, &rules) else {
            continue;
        };
        let pos = ctx.pos(at);
        if owned_lines.contains(&pos.line) {
            continue;
        }
        let width = u32::try_from(host.chars().count()).unwrap_or(1);
        let fix = concrete_suggestion(&problem.help).map(|canonical| {
            Fix::replace(
                format!("use `{canonical}`"),
                Edit {
                    line: pos.line,
                    col: pos.col,
                    width,
                    text: canonical.to_string(),
                },
            )
        });
        let reported = sink
            .report(ctx.path, pos, problem.message)
            .width(width)
            .help(problem.help);
        if let Some(fix) = fix {
            reported.fix(fix);
        }
    }
}

/// The end of a host starting at `start`: DNS characters plus `<placeholder>` and
/// `${VAR}` stand-ins.
fn host_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
            i += 1;
            continue;
        }
        let close = match b {
            b'<' => b'>',
            b'$' if bytes.get(i + 1) == Some(&b'{') => b'}',
            _ => break,
        };
        let inner_ok = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'{');
        let Some(len) = bytes
            .get(i + 1..)
            .and_then(|rest| rest.iter().take(64).position(|c| *c == close))
        else {
            break;
        };
        if !bytes
            .get(i + 1..i + 1 + len)
            .is_some_and(|inner| inner.iter().all(inner_ok))
        {
            break;
        }
        i += len + 2;
    }
    i
}

/// Whether the dotted token `host` at byte `at` is a host: by position (a URL
/// authority, the value of a host-like key, a `--url=`-style flag) or, for a bare
/// token, by ending in a public suffix or a stand-in. In-cluster Service names are
/// never hosts.
fn is_host(text: &str, at: usize, host: &str, after: &str) -> bool {
    if !host.contains('.') || is_in_cluster_name(host) {
        return false;
    }
    if by_position(text, at) {
        return true;
    }
    if is_file_name(host) {
        return false;
    }
    // `gitea.acme.local/org/repo`: a host with a path after it, whatever its suffix.
    after.starts_with('/') || (!is_key_path(host, after) && ends_like_a_host(host))
}

/// Key names whose values are hosts or URLs, matched as a suffix of the lowercased
/// key (`host`, `hosts`, `externalHost`, `ROOT_URL`, `webhookUrl`, `endpoint`).
const HOST_KEYS: [&str; 9] = [
    "host", "hosts", "hostname", "url", "urls", "uri", "endpoint", "server", "domain",
];

fn is_host_key(key: &str) -> bool {
    let key = key
        .trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace())
        .to_ascii_lowercase();
    !key.is_empty() && HOST_KEYS.iter().any(|k| key.ends_with(k))
}

/// The last key-like word of `s` (after whitespace, `-`, `{`, `,` or `[`).
fn last_word(s: &str) -> &str {
    s.rsplit(|c: char| c.is_whitespace() || matches!(c, '{' | ',' | '[' | '(' | '`'))
        .next()
        .unwrap_or(s)
}

/// True if the text before `at` on its line puts a host there: `scheme://` (with
/// optional `user@`), `--url=` / `--host=`-style flags and `KEY=` assignments,
/// `host:` / `url:`-like keys (also as a `- host:` list item or a flow list
/// `hosts: [a, b]`), or a `- item` of a block list under such a key.
fn by_position(text: &str, at: usize) -> bool {
    let line_start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let Some(before) = text.get(line_start..at) else {
        return false;
    };
    // A URL authority, possibly after userinfo.
    if let Some(scheme) = before.rfind("://")
        && before
            .get(scheme + 3..)
            .is_some_and(|auth| !auth.contains(|c: char| c == '/' || c.is_whitespace()))
    {
        return true;
    }
    let value_start = before.trim_end_matches(['"', '\'']);
    // `--url=`, `--gitea-host=`, `ROOT_URL=`.
    if let Some(flag) = value_start.strip_suffix('=') {
        return is_host_key(last_word(flag).trim_start_matches('-'));
    }
    let trimmed = value_start.trim_end();
    // `host: x`, `- host: x`, `{host: x`.
    if let Some(key) = trimmed.strip_suffix(':') {
        return is_host_key(last_word(key));
    }
    // `hosts: [a, x]`: the key before the innermost open `[`.
    if let Some(open) = trimmed.rfind('[')
        && !trimmed.get(open..).is_some_and(|s| s.contains(']'))
        && let Some(key) = trimmed
            .get(..open)
            .and_then(|k| k.trim_end().strip_suffix(':'))
    {
        return is_host_key(last_word(key));
    }
    // `- x` in a block list: the nearest less-indented line names the key.
    if let Some(item) = trimmed.trim_start().strip_prefix('-')
        && item.trim().is_empty()
    {
        let indent = before.len() - before.trim_start().len();
        return parent_key(text, line_start, indent).is_some_and(is_host_key);
    }
    false
}

/// The key of the nearest line above `line_start` that is indented less than
/// `indent` (or equally, for a list that is not indented under its key) and ends in
/// `key:`. Looks back a bounded number of lines.
fn parent_key(text: &str, line_start: usize, indent: usize) -> Option<&str> {
    let above = text.get(..line_start)?;
    for line in above.lines().rev().take(64) {
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let own = line.len() - content.len();
        if own < indent || (own == indent && !content.starts_with('-')) {
            let key = content.trim_end().strip_suffix(':')?;
            return Some(last_word(key));
        }
    }
    None
}

/// `gitea.enabled=true`, `gitea.admin.password: x`, and a bare `gitea` word are value
/// keys or prose, not hosts.
fn is_key_path(host: &str, after: &str) -> bool {
    !host.contains('.')
        || after.starts_with('=')
        || (after.starts_with(':')
            && !after
                .get(1..)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit() || c == '/')))
}

fn is_file_name(host: &str) -> bool {
    host.split_once('.').is_some_and(|(_, ext)| {
        !ext.contains('.') && FILE_EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(ext))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(text, whether the first `gitea.` in it is a host)`.
    fn decide(text: &str) -> bool {
        let at = text.find("gitea.").expect("case has a gitea. token");
        let end = host_end(text.as_bytes(), at);
        let host = text[at..end].trim_end_matches(['.', '-']);
        is_host(text, at, host, &text[at + host.len()..])
    }

    #[test]
    fn a_position_makes_a_host_whatever_it_ends_in() {
        for text in [
            "url: https://gitea.openova/acme/app.git",
            "see http://admin@gitea.acme.internal/x",
            "flux bootstrap git --url=gitea.acme.internal",
            "  host: gitea.acme.internal",
            "    - host: \"gitea.acme.internal\"",
            "externalHost: gitea.acme.internal",
            "ROOT_URL=gitea.acme.internal",
            "hosts: [gitea.a.internal, gitea.acme.internal]",
            "tls:\n  - hosts:\n      - gitea.acme.internal\n",
            "hosts:\n- other.example.io\n- gitea.acme.internal\n",
        ] {
            assert!(decide(text), "{text:?}");
        }
    }

    #[test]
    fn a_bare_word_is_a_host_only_by_its_suffix() {
        for (text, host) in [
            ("Gitea runs at gitea.openova.io today", true),
            ("move gitea.${SOVEREIGN_FQDN} over", true),
            (
                "set gitea.gitea.metrics.serviceMonitor.enabled to true",
                false,
            ),
            ("`gitea.gitea.metrics.serviceMonitor.enabled`", false),
            ("gitea.admin.password: x", false),
            ("--set gitea.enabled=true", false),
            ("see gitea.md", false),
            ("name: gitea.acme.internal", false),
            ("- gitea.acme.internal", false),
            ("clone gitea.bankdhofar.local/acme/app.git", true),
            ("see gitea.md/x", false),
        ] {
            assert_eq!(decide(text), host, "{text:?}");
        }
    }

    #[test]
    fn in_cluster_names_are_never_hosts() {
        for text in [
            "url: http://gitea.gitea.svc:3000/acme/app.git",
            "host: gitea.gitea.svc.cluster.local",
            "curl gitea.gitea.svc.cluster.local",
        ] {
            assert!(!decide(text), "{text:?}");
        }
    }
}
