//! CG004: HelmRelease chart versions and Chart.yaml dependencies that are not exact.

use super::{no_fix, report_object_findings};
use crate::lint::rule::{Check, declare_rule};
use crate::lint::{FileCtx, Sink};
use crate::model::Object;
use crate::objects;
use crate::version::{PinKind, pin_kind};

declare_rule! {
    /// ## What it does
    /// Reports a HelmRelease whose `spec.chart.spec.version` is missing, `*`, or a
    /// range (`>=1.2`, `1.x`, `^1`, `~1`, `1.2`), and a `Chart.yaml` dependency whose
    /// `version` is a range. A pin must be an exact version such as `1.2.3`; read as Helm
    /// and Flux read it (Masterminds semver), `v1.2.3` and `=1.2.3` are exact too. Envsubst
    /// variables (`${BP_FLUX_VERSION}`) are accepted as stand-ins. HelmReleases using
    /// `spec.chartRef` are skipped: their version lives in the referenced source.
    ///
    /// ## Why is this bad?
    /// A range lets helm-controller upgrade a Sovereign whenever a new chart is
    /// published, outside any review and out of lockstep with the Blueprint. A missing
    /// version means "latest", the widest range of all.
    ///
    /// ## Example
    /// ```yaml
    /// chart:
    ///   spec:
    ///     chart: bp-keycloak
    ///     version: ">=1.2.0"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// chart:
    ///   spec:
    ///     chart: bp-keycloak
    ///     version: 1.2.1
    /// ```
    code: "CG004",
    name: "unpinned-chart-version",
    severity: Error,
    fix: Never,
    summary: "a HelmRelease chart version or Chart.yaml dependency is missing, `*` or a range",
    check: Check::File(check),
}

fn check(ctx: &FileCtx<'_>, sink: &mut Sink<'_>) {
    for obj in ctx.objects {
        match obj {
            Object::HelmRelease(hr) => {
                // The pin rule itself is the core's object rule (shared with the
                // admission policy); this adapter adds file positions.
                let Some(chart_pos) = hr.chart_pos else {
                    continue;
                };
                let chart = hr.chart.as_ref().map_or("the chart", |c| c.value.as_str());
                let subject = format!("HelmRelease `{}`", hr.meta.name_str());
                let version = hr.version.as_ref();
                let findings = objects::helm_release_pin(
                    &subject,
                    Some(chart),
                    version.map(|v| v.value.as_str()),
                    hr.chart_ref.is_some(),
                    &objects::Settings::new(&ctx.config.locations),
                );
                report_object_findings(sink, ctx.path, version, (chart_pos, 5), findings, no_fix);
            }
            Object::Chart(chart) => {
                for dep in &chart.dependencies {
                    let name = dep.name.as_ref().map_or("(unnamed)", |n| n.value.as_str());
                    match &dep.version {
                        Some(v) if pin_kind(&v.value) == PinKind::Range => {
                            sink.report(
                                ctx.path,
                                v.pos,
                                format!("dependency `{name}` uses the range `{}`", v.value),
                            )
                            .width(v.width())
                            .help("pin the exact upstream version the chart was tested with");
                        }
                        None => {
                            sink.report(
                                ctx.path,
                                dep.pos,
                                format!("dependency `{name}` has no `version`"),
                            )
                            .help("pin the exact upstream version the chart was tested with");
                        }
                        Some(_) => {}
                    }
                }
            }
            _ => {}
        }
    }
}
