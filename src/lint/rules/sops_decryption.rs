//! CG008: Flux Kustomizations that decrypt with SOPS.

use super::{no_fix, report_object_findings};
use crate::lint::rule::{Check, declare_rule};
use crate::lint::{FileCtx, Sink};
use crate::model::Object;
use crate::objects;

declare_rule! {
    /// ## What it does
    /// Reports a Flux Kustomization (`kustomize.toolkit.fluxcd.io`) with
    /// `spec.decryption.provider: sops`.
    ///
    /// ## Why is this bad?
    /// SOPS was removed from the platform: secrets flow through External Secrets
    /// Operator PushSecrets, with Kubernetes Secrets as the source of truth. A SOPS
    /// decryption block means encrypted secrets are back in Git and a key has to be
    /// distributed to every cluster again.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   decryption:
    ///     provider: sops
    ///     secretRef:
    ///       name: sops-age
    /// ```
    ///
    /// ## Use instead
    /// Remove `spec.decryption` and deliver the secret with an External Secrets
    /// `PushSecret` / `ExternalSecret` pair.
    code: "CG008",
    name: "sops-decryption",
    severity: Error,
    fix: Never,
    summary: "a Flux Kustomization decrypts with SOPS",
    check: Check::File(check),
}

fn check(ctx: &FileCtx<'_>, sink: &mut Sink<'_>) {
    for obj in ctx.objects {
        let Object::Kustomization(k) = obj else {
            continue;
        };
        let Some(provider) = &k.decryption_provider else {
            continue;
        };
        let subject = format!("Kustomization `{}`", k.meta.name_str());
        let findings = objects::kustomization_decryption(&subject, Some(&provider.value));
        report_object_findings(sink, ctx.path, Some(provider), (provider.pos, 1), findings, no_fix);
    }
}
