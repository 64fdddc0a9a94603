//! CG006: `gitea.` / `flux-webhook.` hosts without a location code, anywhere in YAML
//! values, comments or Markdown.

use crate::lint::registry::{Check, declare_rule};
use crate::lint::scan::Needle;
use crate::lint::{FileCtx, Sink};
use crate::model::Object;
use crate::naming::check_service_host;

declare_rule! {
    /// ## What it does
    /// Scans the text of every YAML and Markdown file for `gitea.` and `flux-webhook.`
    /// hosts and checks each is `<service>.<location-code>.<sovereign-domain>`, with a
    /// location code on the management building block. Catches ingress hosts, Helm
    /// values, comments, curl examples and `flux bootstrap git --url=...` commands in
    /// docs. `<location-code>` / `<sovereign-domain>` placeholders and envsubst
    /// variables count as canonical stand-ins.
    ///
    /// Not flagged: GitRepository `spec.url` (CG005 owns it), the public
    /// `gitea.io` / `gitea.com` sites and any host in `allowedHosts`, dotted value keys
    /// (`--set gitea.enabled=true`, `gitea.admin.password: x`) and file names
    /// (`gitea.yaml`).
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
            if is_key_path(host, after) || is_file_name(host) {
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
            sink.report(ctx.path, pos, problem.message)
                .width(u32::try_from(host.chars().count()).unwrap_or(1))
                .help(problem.help);
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
