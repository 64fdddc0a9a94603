//! CG005: GitRepository URLs that are not the canonical Gitea URL.

use crate::lint::fix::{Fix, concrete_suggestion, replace_value};
use super::report_object_findings;
use crate::lint::rule::{Check, declare_rule};
use crate::lint::{FileCtx, Sink};
use crate::model::Object;
use crate::objects;

declare_rule! {
    /// ## What it does
    /// Checks that every Flux GitRepository's `spec.url` is
    /// `https://gitea.<location-code>.<sovereign-domain>/<org>/<repo>.git`: `https`
    /// only, no credentials or port, a location code that decodes and whose building
    /// block is `m` (Gitea runs on the management cluster), an org matching
    /// `^[a-z][a-z0-9-]{2,31}$`, and a `.git` suffix. Placeholders such as
    /// `<location-code>` and envsubst variables such as `${SOVEREIGN_DOMAIN}` stand in
    /// for any one part. The message decodes the location code it saw.
    ///
    /// ## Why is this bad?
    /// Every Flux in a Sovereign pulls from the one Gitea on the management cluster.
    /// A URL without the location code, on the wrong building block, or over plain
    /// HTTP either does not resolve, resolves to the wrong cluster, or sends the
    /// token in clear text.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   url: https://gitea.${SOVEREIGN_FQDN}/openova/flux.git
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   url: https://gitea.<location-code>.<sovereign-domain>/openova/flux.git
    /// ```
    code: "CG005",
    name: "non-canonical-gitea-url",
    severity: Error,
    fix: Sometimes,
    summary: "a GitRepository spec.url is not https://gitea.<location-code>.<sovereign-domain>/<org>/<repo>.git",
    check: Check::File(check),
}

fn check(ctx: &FileCtx<'_>, sink: &mut Sink<'_>) {
    let settings = objects::Settings::new(&ctx.config.locations);
    for obj in ctx.objects {
        let Object::GitRepository(repo) = obj else {
            continue;
        };
        let subject = format!("GitRepository `{}`", repo.meta.name_str());
        let url = repo.url.as_ref();
        let findings =
            objects::git_repository_url(&subject, url.map(|u| u.value.as_str()), &settings);
        // The fix is the linter's own: an edit by span of the URL's scalar, when the help
        // names one concrete canonical URL.
        report_object_findings(sink, ctx.path, url, (repo.meta.pos, 1), findings, |f, u| {
            concrete_suggestion(&f.help)
                .and_then(|c| replace_value(u, c))
                .map(|edit| Fix::replace(format!("use `{}`", edit.text), edit))
        });
    }
}
