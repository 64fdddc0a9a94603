//! Naming for the browser: location codes decoded, the location table for pickers,
//! Gitea URLs checked and built, all by the core's grammar.

use catalyst_guard::naming::location::{BUILDING_BLOCKS, ENV_TYPES, MANAGEMENT};
use catalyst_guard::naming::url::is_valid_org;
use catalyst_guard::naming::{Location, LocationTable, check_gitea_url, is_stand_in};
use serde_json::{Value, json};

use super::input::FieldError;

/// A decoded location code as JSON (`hfmp` = Hetzner Falkenstein mgt prod).
pub fn location_json(loc: &Location) -> Value {
    // A decoded code is exactly four characters: provider, region, block, env.
    let chars: Vec<String> = loc.code.chars().map(String::from).collect();
    let at = |i: usize| chars.get(i).cloned().unwrap_or_default();
    json!({
        "code": loc.code,
        "provider": { "code": at(0), "name": loc.provider },
        "region": { "code": at(1), "name": loc.region },
        "buildingBlock": {
            "code": at(2),
            "short": loc.building_block.short,
            "long": loc.building_block.long,
        },
        "env": { "code": at(3), "name": loc.env },
        "description": loc.to_string(),
    })
}

/// Decodes a location code: `{ok, message, location}`.
pub fn decode_json(code: &str, table: &LocationTable) -> Value {
    match table.decode(code) {
        Ok(loc) => json!({ "ok": true, "message": null, "location": location_json(&loc) }),
        Err(e) => json!({ "ok": false, "message": e.to_string(), "location": null }),
    }
}

/// The label of a Gitea URL's host that holds the location code, if the host has one
/// in that place: a four-character label or a stand-in after `gitea.`, with a domain
/// after it. This mirrors where the core's host grammar looks; the verdict on the code
/// stays the core's.
fn location_label(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    let mut labels = host.split('.');
    let (Some("gitea"), Some(code), Some(_domain)) = (labels.next(), labels.next(), labels.next())
    else {
        return None;
    };
    (code.chars().count() == 4 || is_stand_in(code)).then_some(code)
}

/// Checks a Git URL against the canonical Gitea URL (rule CG005):
/// `{ok, code, rule, message, help, locationCode, location}`.
pub fn gitea_url_json(url: &str, table: &LocationTable) -> Value {
    let meta = &catalyst_guard::lint::rules::non_canonical_gitea_url::META;
    let (message, help) = match check_gitea_url(url, table) {
        Ok(()) => (None, None),
        Err(p) => (Some(p.message), Some(p.help)),
    };
    let code = location_label(url);
    let location = code
        .and_then(|c| table.decode(c).ok())
        .map(|l| location_json(&l));
    json!({
        "ok": message.is_none(),
        "code": meta.code,
        "rule": meta.name,
        "message": message,
        "help": help,
        "locationCode": code,
        "location": location,
    })
}

/// The parts of a canonical Gitea URL, as the caller gave them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// Four-character location code (building block `m`), or a stand-in.
    pub location_code: String,
    /// The Sovereign's domain (`openova.io`), or a stand-in.
    pub domain: String,
    /// Gitea org.
    pub org: String,
    /// Repository name, with or without `.git`.
    pub repo: String,
}

/// Builds `https://gitea.<location-code>.<domain>/<org>/<repo>.git`, rejecting any
/// part the core's grammar rejects with an error naming that part.
///
/// Each part is judged by the core on its own (the others replaced by placeholders),
/// so the error names the part at fault rather than the whole URL; the assembled URL is
/// then checked once more, so the builder can never hand out a URL the checker refuses.
pub fn canonical_gitea_url(parts: &UrlParts, table: &LocationTable) -> Result<String, FieldError> {
    let probe = |url: String| check_gitea_url(&url, table).is_ok();
    let code = parts.location_code.as_str();
    if !is_stand_in(code) {
        match table.decode(code) {
            Err(e) => return Err(FieldError::new("locationCode", e.to_string())),
            Ok(loc) if loc.building_block.code != MANAGEMENT => {
                let fixed = loc.on_building_block(MANAGEMENT);
                return Err(FieldError::new(
                    "locationCode",
                    format!("`{code}` = {loc}: Gitea runs on mgt (use `{fixed}`)"),
                ));
            }
            Ok(_) => {}
        }
    }
    let domain = parts.domain.as_str();
    if !probe(format!(
        "https://gitea.<location-code>.{domain}/<org>/<repo>.git"
    )) {
        return Err(FieldError::new(
            "domain",
            format!(
                "`{domain}` is not a domain of lowercase DNS labels (or `${{VAR}}` / `<placeholder>` stand-ins)"
            ),
        ));
    }
    let org = parts.org.as_str();
    if !(is_stand_in(org) || is_valid_org(org)) {
        return Err(FieldError::new(
            "org",
            format!("`{org}` does not match `^[a-z][a-z0-9-]{{2,31}}$`"),
        ));
    }
    let repo = parts.repo.strip_suffix(".git").unwrap_or(&parts.repo);
    if !probe(format!(
        "https://gitea.<location-code>.<sovereign-domain>/<org>/{repo}.git"
    )) {
        return Err(FieldError::new(
            "repo",
            format!("`{repo}` is not a repository name (letters, digits, `-`, `_`, `.`)"),
        ));
    }
    let url = format!("https://gitea.{code}.{domain}/{org}/{repo}.git");
    match check_gitea_url(&url, table) {
        Ok(()) => Ok(url),
        // Unreachable while the probes above mirror the grammar; if the core's grammar
        // grows a rule they miss, say what the core says rather than hand out the URL.
        Err(p) => Err(FieldError::new("parts", p.message)),
    }
}

/// The location-code table the pickers offer: providers with their regions (defaults
/// plus configured ones), building blocks, env types, and the block Gitea runs on.
pub fn location_table_json(table: &LocationTable) -> Value {
    json!({
        "providers": table.providers().iter().map(|p| json!({
            "code": p.code.to_string(),
            "name": p.name,
            "regions": p.regions.iter().map(|(c, n)| json!({ "code": c.to_string(), "name": n })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "buildingBlocks": BUILDING_BLOCKS.iter().map(|b| json!({
            "code": b.code.to_string(), "short": b.short, "long": b.long,
        })).collect::<Vec<_>>(),
        "envTypes": ENV_TYPES.iter().map(|(c, n)| json!({ "code": c.to_string(), "name": n })).collect::<Vec<_>>(),
        "management": MANAGEMENT.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> LocationTable {
        LocationTable::default()
    }

    fn parts(code: &str, domain: &str, org: &str, repo: &str) -> UrlParts {
        UrlParts {
            location_code: code.into(),
            domain: domain.into(),
            org: org.into(),
            repo: repo.into(),
        }
    }

    #[test]
    fn every_management_code_in_the_table_builds_a_url_the_checker_accepts() {
        let t = table();
        let mut built = 0;
        for p in t.providers() {
            for (r, _) in &p.regions {
                for (e, _) in ENV_TYPES {
                    let code = format!("{}{r}{MANAGEMENT}{e}", p.code);
                    let url =
                        canonical_gitea_url(&parts(&code, "openova.io", "openova", "flux"), &t)
                            .expect("a management code builds");
                    assert_eq!(
                        url,
                        format!("https://gitea.{code}.openova.io/openova/flux.git")
                    );
                    assert_eq!(check_gitea_url(&url, &t), Ok(()), "{url}");
                    built += 1;
                }
            }
        }
        assert_eq!(
            built,
            16 * ENV_TYPES.len(),
            "16 regions in the default table"
        );
    }

    #[test]
    fn stand_ins_and_a_git_suffix_are_accepted_by_the_builder() {
        let url = canonical_gitea_url(
            &parts(
                "${LOCATION_CODE}",
                "${SOVEREIGN_DOMAIN}",
                "<org>",
                "app.git",
            ),
            &table(),
        )
        .expect("stand-ins are legal");
        assert_eq!(
            url,
            "https://gitea.${LOCATION_CODE}.${SOVEREIGN_DOMAIN}/<org>/app.git"
        );
    }

    #[test]
    fn the_builder_names_the_part_at_fault() {
        let t = table();
        let field = |p: UrlParts| canonical_gitea_url(&p, &t).expect_err("must fail").field;
        let e = canonical_gitea_url(&parts("hfrp", "openova.io", "openova", "flux"), &t)
            .expect_err("rtz is not where Gitea runs");
        assert_eq!(e.field, "locationCode");
        assert_eq!(
            e.message,
            "`hfrp` = Hetzner Falkenstein rtz prod: Gitea runs on mgt (use `hfmp`)"
        );
        assert_eq!(
            field(parts("hxmp", "openova.io", "openova", "flux")),
            "locationCode"
        );
        assert_eq!(
            field(parts("", "openova.io", "openova", "flux")),
            "locationCode"
        );
        for domain in [
            "",
            "Openova.io",
            "openova.io/evil",
            "a@b.io",
            "openova.io:443",
            "x..io",
            "a.io?x",
        ] {
            assert_eq!(
                field(parts("hfmp", domain, "openova", "flux")),
                "domain",
                "{domain}"
            );
        }
        for org in ["ab", "Openova", "1abc", "a/b"] {
            assert_eq!(
                field(parts("hfmp", "openova.io", org, "flux")),
                "org",
                "{org}"
            );
        }
        for repo in ["", "a/b", "a b", "x?y", ".git"] {
            assert_eq!(
                field(parts("hfmp", "openova.io", "openova", repo)),
                "repo",
                "{repo}"
            );
        }
    }

    #[test]
    fn the_url_check_decodes_the_code_it_saw() {
        let v = gitea_url_json("https://gitea.hfrp.openova.io/openova/flux.git", &table());
        assert_eq!(v["ok"], false);
        assert_eq!(v["code"], "CG005");
        assert_eq!(v["locationCode"], "hfrp");
        assert_eq!(v["location"]["description"], "Hetzner Falkenstein rtz prod");
        assert_eq!(v["location"]["buildingBlock"]["code"], "r");
        assert_eq!(
            v["help"],
            "use `https://gitea.hfmp.openova.io/openova/flux.git`"
        );
        let v = gitea_url_json("https://gitea.hfmp.openova.io/openova/flux.git", &table());
        assert_eq!(v["ok"], true);
        assert_eq!(v["message"], Value::Null);
        assert_eq!(v["location"]["env"]["name"], "prod");
    }

    #[test]
    fn the_location_label_is_read_where_the_core_reads_it() {
        for (url, want) in [
            ("https://gitea.hfmp.openova.io/a/b.git", Some("hfmp")),
            (
                "http://user:pw@gitea.hxmp.openova.io:3000/a/b.git",
                Some("hxmp"),
            ),
            (
                "https://gitea.${LOCATION_CODE}.x.io/a/b.git",
                Some("${LOCATION_CODE}"),
            ),
            ("https://gitea.openova.io/a/b.git", None),
            ("https://gitea.hfmp/a/b.git", None),
            ("https://github.com/a/b.git", None),
            ("not a url", None),
            ("", None),
        ] {
            assert_eq!(location_label(url), want, "{url}");
        }
    }
}
