//! CG014: a Blueprint on an `apiVersion` other than the one the repository declares
//! current.

use crate::lint::fix::{Edit, Fix};
use crate::lint::rule::{Check, declare_rule};
use crate::lint::{FileCtx, Sink};
use crate::model::Object;
use crate::yaml::Pos;

declare_rule! {
    /// ## What it does
    /// Checks that every `catalyst.openova.io` Blueprint declares the `apiVersion` the
    /// repository calls current, as `.catalyst-guard.yaml` declares it:
    /// `blueprintApiVersion: catalyst.openova.io/v1alpha2`. Silent until it is
    /// declared: which version is current is the repository's decision, not the
    /// linter's. `lint --fix` rewrites the `apiVersion` value.
    ///
    /// ## Why is this bad?
    /// The Blueprint controller serves the current version; an old one is converted, or
    /// refused once the conversion is dropped, and a repository with Blueprints on two
    /// versions keeps teaching the old one to whoever copies a file.
    ///
    /// ## Example
    /// ```yaml
    /// # .catalyst-guard.yaml says blueprintApiVersion: catalyst.openova.io/v1alpha2
    /// apiVersion: catalyst.openova.io/v1alpha1
    /// kind: Blueprint
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: catalyst.openova.io/v1alpha2
    /// kind: Blueprint
    /// ```
    code: "CG014",
    name: "outdated-blueprint-api-version",
    severity: Error,
    fix: Sometimes,
    summary: "a Blueprint's apiVersion is not the one the repository declares current",
    check: Check::File(check),
}

fn check(ctx: &FileCtx<'_>, sink: &mut Sink<'_>) {
    let Some(current) = ctx.config.blueprint_api_version.as_deref() else {
        return;
    };
    for obj in ctx.objects {
        let Object::Blueprint(bp) = obj else {
            continue;
        };
        if bp.meta.api_version == current {
            continue;
        }
        let found = api_version_at(ctx, bp.meta.pos.line, &bp.meta.api_version);
        let (pos, width) = found.map_or((bp.meta.pos, 1), |(p, w)| (p, w));
        let reported = sink
            .report(
                ctx.path,
                pos,
                format!(
                    "blueprint `{}` uses `apiVersion: {}`, not the current `{current}`",
                    bp.meta.name_str(),
                    bp.meta.api_version
                ),
            )
            .width(width)
            .help(format!(
                "use `apiVersion: {current}` (`blueprintApiVersion` in `.catalyst-guard.yaml` names the current one)"
            ));
        if let Some((pos, width)) = found {
            reported.fix(Fix::replace(
                format!("use `apiVersion: {current}`"),
                Edit {
                    line: pos.line,
                    col: pos.col,
                    width,
                    text: current.to_string(),
                },
            ));
        }
    }
}

/// The position and width of the document's top-level `apiVersion` value, written
/// plainly as `value` on a line from `from` on, before the next document.
fn api_version_at(ctx: &FileCtx<'_>, from: u32, value: &str) -> Option<(Pos, u32)> {
    let lines = ctx.lines();
    for n in from..from.saturating_add(200) {
        let line = lines.line(ctx.text, n)?;
        if n > from && line.starts_with("---") {
            return None;
        }
        let Some(rest) = line.strip_prefix("apiVersion:") else {
            continue;
        };
        let written = rest.trim_start();
        let written = written.split(" #").next().unwrap_or(written).trim_end();
        let plain = written.trim_matches(['"', '\'']);
        if plain != value {
            return None;
        }
        let quote = usize::from(written.len() != plain.len());
        let col = "apiVersion:".len() + (rest.len() - rest.trim_start().len()) + quote + 1;
        return Some((
            Pos::new(n, u32::try_from(col).ok()?),
            u32::try_from(plain.chars().count()).ok()?,
        ));
    }
    None
}
