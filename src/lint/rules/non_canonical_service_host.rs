//! CG006: `gitea.` / `flux-webhook.` hosts without a location code, anywhere in YAML
//! values, comments or Markdown.

use crate::lint::fix::{Edit, Fix, concrete_suggestion};
use crate::lint::registry::{Check, declare_rule};
use crate::lint::scan::Needle;
use crate::lint::{FileCtx, Sink};
use crate::model::Object;
use crate::naming::check_service_host;
use crate::naming::url::{ends_like_a_host, is_in_cluster_name};

declare_rule! {
    /// ## What it does
    /// Scans the text of every YAML and Markdown file for `gitea.` and `flux-webhook.`
    /// hosts and checks each is `<service>.<location-code>.<sovereign-domain>`, with a
    /// location code on the management building block. Catches ingress hosts, Helm
    /// values, comments, curl examples and `flux bootstrap git --url=...` commands in
    /// docs. `<location-code>` / `<sovereign-domain>` placeholders and envsubst
    /// variables count as canonical stand-ins.
    ///
    /// A dotted word is a host by position or by suffix. By position: a URL authority
    /// (`https://gitea.x.io/...`), the value of a host-like key (`host:`, `hosts:`,
    /// `url:`, `endpoint:`, `server:`, `domain:` and keys ending so, such as
    /// `externalHost` or `ROOT_URL`, also as list items under them) and `--url=`-style
    /// flags. Anywhere else, a bare dotted word is a host only when it ends in a public
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
    summary: "a gitea. or flux-webhook. host without a location code in YAML or Markdown",
    check: Check::File(check),
}

const FILE_EXTENSIONS: [&str; 14] = [
    "yaml", "yml", "md", "json", "txt", "svg", "png", "tpl", "go", "rs", "sh", "toml", "ts", "tsx",
];

fn check(ctx: &FileCtx<'_>, sink: &mut Sink<'_>) {
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
    {
        for (_, hit) in ctx.hits_of(|n| *n == Needle::Service) {
            let at = hit.start;
            let prev = at.checked_sub(1).and_then(|i| bytes.get(i)).copied();
            if prev.is_some_and(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'$' | b'{')
            }) {
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
            if ctx
                .config
                .allowed_hosts
                .iter()
                .any(|a| a.eq_ignore_ascii_case(host))
            {
                continue;
            }
            // Most hosts are canonical: check before computing a position, which
            // needs the file's line index.
            let Err(problem) = check_service_host(host, &ctx.config.locations) else {
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
    !is_key_path(host, after) && !is_file_name(host) && ends_like_a_host(host)
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
