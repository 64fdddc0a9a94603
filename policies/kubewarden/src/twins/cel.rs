//! The three stateless rules as CEL, shared by both twins. The expressions mirror the
//! Kubewarden policy's UPDATE rule: a violation already present in an unchanged field
//! is let through (CEL cannot warn selectively, so it passes silently).

use catalyst_guard::objects::{self, MAX_URL_BYTES};

use super::regex::{exact_pin_regex, gitea_url_regex};

/// One stateless rule as CEL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CelRule {
    /// The linter rule it enforces.
    pub rule: objects::Rule,
    /// Kind it applies to.
    pub kind: &'static str,
    /// API group.
    pub group: &'static str,
    /// Plural resource name.
    pub resource: &'static str,
    /// The version ValidatingAdmissionPolicy matches (others are converted to it).
    pub version: &'static str,
    /// True when the object passes.
    pub expression: String,
    /// Static message.
    pub message: String,
    /// Message naming the object (falls back to `message` if it fails).
    pub message_expression: String,
}

/// A grandfathering clause: on UPDATE, the field did not change.
fn unchanged(paths: &[&str]) -> String {
    let mut parts = vec![
        "request.operation == 'UPDATE'".to_string(),
        "oldObject != null".to_string(),
    ];
    for path in paths {
        parts.push(has_chain("oldObject", path));
        parts.push(has_chain("object", path));
        parts.push(format!("oldObject.{path} == object.{path}"));
    }
    format!("({})", parts.join(" && "))
}

/// `has(root.a) && has(root.a.b) && ...` for every prefix of `path`.
pub(crate) fn has_chain(root: &str, path: &str) -> String {
    let mut prefix = root.to_string();
    path.split('.')
        .map(|segment| {
            prefix = format!("{prefix}.{segment}");
            format!("has({prefix})")
        })
        .collect::<Vec<_>>()
        .join(" && ")
}

/// `exemptNamespaces` (space-separated in the params): the request's namespace is one
/// of them. Cluster-scoped requests are never exempt, as in the policy.
const EXEMPT: &str = "(has(request.namespace) && request.namespace != '' && (' ' + params.data.exemptNamespaces + ' ').contains(' ' + request.namespace + ' '))";

/// The three stateless rules. They read the settings from `params` (the ConfigMap of
/// [`params`]).
pub fn cel_rules() -> Vec<CelRule> {
    let url_re = gitea_url_regex(
        "' + params.data.locationCodes + '",
        "' + params.data.orgs + '",
    );
    let url = format!(
        "{EXEMPT} || ({has} && size(object.spec.url) <= {MAX_URL_BYTES} && object.spec.url.matches('{url_re}')) || {unchanged}",
        has = has_chain("object", "spec.url"),
        unchanged = unchanged(&["spec.url"]),
    );
    // Selected chart, not a chartRef release, and not an exact pin: a violation,
    // unless chart and pin (or its absence) are unchanged by an UPDATE.
    let version = "object.spec.chart.spec.version";
    let old_version = "oldObject.spec.chart.spec.version";
    let pin = format!(
        "{EXEMPT} || !({has_chart} && object.spec.chart.spec.chart.matches(params.data.chartPattern)) || has(object.spec.chartRef) || (has({version}) && {version}.matches('{exact}')) || (request.operation == 'UPDATE' && oldObject != null && {has_old_chart} && oldObject.spec.chart.spec.chart == object.spec.chart.spec.chart && (has({old_version}) ? (has({version}) && {old_version} == {version}) : !has({version})))",
        has_chart = has_chain("object", "spec.chart.spec.chart"),
        has_old_chart = has_chain("oldObject", "spec.chart.spec.chart"),
        exact = exact_pin_regex(),
    );
    let sops = format!(
        "{EXEMPT} || !({has} && object.spec.decryption.provider.matches('^[sS][oO][pP][sS]$')) || {unchanged}",
        has = has_chain("object", "spec.decryption.provider"),
        unchanged = unchanged(&["spec.decryption.provider"]),
    );
    vec![
        CelRule {
            rule: objects::GITEA_URL,
            kind: "GitRepository",
            group: "source.toolkit.fluxcd.io",
            resource: "gitrepositories",
            version: "v1",
            expression: url,
            message: format!(
                "CG005 non-canonical-gitea-url: spec.url must be {} (location code with building block m)",
                objects::CANONICAL_URL
            ),
            message_expression: format!(
                "'CG005 non-canonical-gitea-url: GitRepository ' + object.metadata.name + ' spec.url `' + object.spec.url + '` is not {} (location code with building block m)'",
                objects::CANONICAL_URL
            ),
        },
        CelRule {
            rule: objects::UNPINNED,
            kind: "HelmRelease",
            group: "helm.toolkit.fluxcd.io",
            resource: "helmreleases",
            version: "v2",
            expression: pin,
            message: "CG004 unpinned-chart-version: a HelmRelease of a selected chart must pin spec.chart.spec.version to an exact version such as 1.2.3".to_string(),
            message_expression: "'CG004 unpinned-chart-version: HelmRelease ' + object.metadata.name + ' must pin `' + object.spec.chart.spec.chart + '` at an exact version such as 1.2.3, not a range or nothing'".to_string(),
        },
        CelRule {
            rule: objects::SOPS,
            kind: "Kustomization",
            group: "kustomize.toolkit.fluxcd.io",
            resource: "kustomizations",
            version: "v1",
            expression: sops,
            message: "CG008 sops-decryption: remove spec.decryption; deliver secrets with External Secrets PushSecrets".to_string(),
            message_expression: "'CG008 sops-decryption: Kustomization ' + object.metadata.name + ' decrypts with `' + object.spec.decryption.provider + '`; remove spec.decryption and deliver secrets with External Secrets PushSecrets'".to_string(),
        },
    ]
}

pub fn policy_name(rule: &CelRule) -> String {
    format!("catalyst-guard-{}", rule.rule.name)
}
