//! CG015: retired terms in the text a UI shows (Svelte, TSX, ... sources).

use super::retired_term::check_terms;
use crate::lint::prose::ui_context;
use crate::lint::rule::{Check, declare_rule};
use crate::lint::{FileCtx, FileKind, Sink};

declare_rule! {
    /// ## What it does
    /// Finds the retired terms of CG007's glossary (built-in and `retiredTerms`) in the
    /// user-visible text of UI sources: the files whose extension is in `uiExtensions`
    /// (default `.svelte`, `.tsx`, `.jsx`, `.vue`, `.astro`, `.html`). Visible text is
    /// markup text (`<h1>Create a tenant</h1>`) and string literals a person reads (with
    /// a space, or capitalised: `label="New Tenant"`). Code is not judged: variable and
    /// component names (`tenantId`, `TenantList`), imports, comments and
    /// identifier-like strings (`t('tenant.title')`, `type="tenant"`), unless a term sets
    /// `identifiers: true`.
    ///
    /// A term's `paths`, `exclude`, `allow`, `severity` and migration-note cues apply as
    /// in CG007.
    ///
    /// ## Why is this bad?
    /// The console is where most people meet the platform's words. A button that says
    /// "New Tenant" teaches the retired name to every new user, whatever the docs say.
    ///
    /// ## Example
    /// ```svelte
    /// <button>New Tenant</button>
    /// ```
    ///
    /// ## Use instead
    /// ```svelte
    /// <button>New Organization</button>
    /// ```
    code: "CG015",
    name: "retired-term-in-ui",
    severity: Error,
    fix: Never,
    summary: "a retired term in the visible text of a UI source (.svelte, .tsx, ...)",
    check: Check::File(check),
}

fn check(ctx: &FileCtx<'_>, sink: &mut Sink<'_>) {
    if ctx.kind != FileKind::Ui {
        return;
    }
    check_terms(ctx, sink, &|at, end| ui_context(ctx.text, at, end));
}
