//! The regexes the twins match with, and the params ConfigMap's `data` that carries
//! them: RE2 syntax, and no backslashes (`[.]` rather than `\\.`), so they read the same
//! in YAML, in a CEL string literal and in RE2.

use std::collections::BTreeMap;

use catalyst_guard::naming::LocationTable;
use catalyst_guard::naming::location::{ENV_TYPES, MANAGEMENT};

use crate::settings::Config;

/// The location codes Gitea may live at: every provider/region pair of the table,
/// building block `m`, any environment type.
pub fn location_code_regex(table: &LocationTable) -> String {
    let pairs: Vec<String> = table
        .providers()
        .iter()
        .filter(|p| !p.regions.is_empty())
        .map(|p| {
            let regions: String = p.regions.iter().map(|(c, _)| *c).collect();
            if regions.chars().count() == 1 {
                format!("{}{regions}", p.code)
            } else {
                format!("{}[{regions}]", p.code)
            }
        })
        .collect();
    let envs: String = ENV_TYPES.iter().map(|(c, _)| *c).collect();
    format!("(?:{}){MANAGEMENT}[{envs}]", pairs.join("|"))
}

/// A DNS label, as the core's URL grammar accepts one.
const DNS_LABEL: &str = "[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?";

/// An org as the core's grammar accepts one.
pub const ORG_REGEX: &str = "[a-z][a-z0-9-]{2,31}";

/// The orgs a URL may name: the grammar, or the `allowedOrgs` (which the settings
/// validate against the grammar).
pub fn org_regex(allowed: &[String]) -> String {
    if allowed.is_empty() {
        ORG_REGEX.to_string()
    } else {
        format!("(?:{})", allowed.join("|"))
    }
}

/// The canonical Gitea URL for a location-code and an org regex:
/// `https://gitea.<location-code>.<sovereign-domain>/<org>/<repo>.git`.
pub fn gitea_url_regex(codes: &str, orgs: &str) -> String {
    format!(
        "^https://gitea[.]{codes}[.]{DNS_LABEL}(?:[.]{DNS_LABEL})*/{orgs}/[A-Za-z0-9._-]+[.]git$"
    )
}

/// Whitespace Masterminds skips around a pin (Go's `\s`; `[[:space:]]` also takes
/// `\v`, which no YAML or JSON pin carries unescaped).
const SPACE: &str = "[[:space:]]*";

/// A version number: leading zeros allowed (Masterminds coerces them), at most 19
/// significant digits (the core accepts up to `u64::MAX`, 20 digits).
const NUMBER: &str = "0*[0-9]{1,19}";

/// A prerelease identifier: numeric without a leading zero, or alphanumeric.
const PRE_IDENT: &str = "(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)";

/// A pin `catalyst_guard::version::parse_pin` reads as exact: one equality
/// (`1.2.3`, `=1.2.3`, `v1.2.3`, ` 1.2.3 `) with all three numbers.
pub fn exact_pin_regex() -> String {
    format!(
        "^{SPACE}=?{SPACE}v?{NUMBER}[.]{NUMBER}[.]{NUMBER}(?:-{PRE_IDENT}(?:[.]{PRE_IDENT})*)?(?:[+][0-9A-Za-z-]+(?:[.][0-9A-Za-z-]+)*)?{SPACE}$"
    )
}

/// A chart-name glob (`bp-*`) as a whole-name regex; `*` and `?` never cross a `/`,
/// as in the policy.
pub fn chart_regex(glob: &str) -> String {
    let mut out = String::from("^");
    for c in glob.chars() {
        match c {
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            '.' => out.push_str("[.]"),
            c => out.push(c),
        }
    }
    out.push('$');
    out
}

/// The params ConfigMap's `data`, from validated settings.
pub fn params(cfg: &Config) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("locationCodes", location_code_regex(&cfg.locations)),
        ("orgs", org_regex(&cfg.allowed_orgs)),
        ("chartPattern", chart_regex(&cfg.chart_pattern)),
        ("exemptNamespaces", cfg.exempt_namespaces.join(" ")),
    ])
}
