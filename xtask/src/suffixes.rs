//! `cargo xtask gen-suffixes [--check]`: the public suffixes CG006 needs, as a table.
//!
//! CG006 counts a bare dotted token as a host when it ends in a public suffix. It only
//! asks whether *some* rule of the Public Suffix List matches, never which one, and for
//! that the list reduces to its top-level domains: every TLD but one has a rule of its
//! own (`com`) or a wildcard (`*.ck`), so any name under it matches. The one that has
//! neither, `za`, matches only under its second-level rules (`co.za`), which are kept
//! as they are. The table replaces the `psl` crate's compiled matcher, about 0.9 MiB of
//! the plugin, with ~20 KB of sorted strings.
//!
//! The list is the one the `psl` crate in `Cargo.lock` ships (`data/rules.txt`), found
//! with `cargo metadata`; the core keeps `psl` as a dev-dependency and its tests check
//! the table against it. Unicode TLDs are listed as written and in Punycode, as `psl`
//! matches both. `--check` fails if the committed table is not what the list gives.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::paths::root;
use crate::process::capture;

/// Where the table goes.
const OUT: &str = "src/naming/public_suffix.rs";

pub fn run(args: &[&str]) -> Result<()> {
    let check = match args {
        [] => false,
        ["--check"] => true,
        _ => bail!("usage: cargo xtask gen-suffixes [--check]"),
    };
    let (version, rules_path) = psl_rules()?;
    let rules = std::fs::read_to_string(&rules_path)
        .with_context(|| format!("cannot read {}", rules_path.display()))?;
    let table =
        generate(&rules, &version).with_context(|| format!("in {}", rules_path.display()))?;
    let path = root().join(OUT);
    if check {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != table {
            bail!("{OUT} is stale for psl {version}: run `cargo xtask gen-suffixes`");
        }
        return Ok(());
    }
    std::fs::write(&path, table).with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {} (psl {version})", path.display());
    Ok(())
}

/// The version of the `psl` crate in the lock file and its `data/rules.txt`.
fn psl_rules() -> Result<(String, PathBuf)> {
    let out = capture(
        env!("CARGO"),
        &["metadata", "--format-version", "1", "--locked"],
    )?;
    let metadata: Value =
        serde_json::from_slice(&out).context("`cargo metadata` printed no JSON")?;
    let package = metadata["packages"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "psl"))
        .context("no `psl` package in `cargo metadata` (the core's dev-dependency)")?;
    let version = package["version"].as_str().unwrap_or("?").to_string();
    let manifest = package["manifest_path"]
        .as_str()
        .context("`psl` has no manifest_path")?;
    let dir = PathBuf::from(manifest)
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default();
    Ok((version, dir.join("data/rules.txt")))
}

/// The Rust source of the table for `rules` (one rule per line, as `psl` ships them).
fn generate(rules: &str, version: &str) -> Result<String> {
    // TLD -> its rules, with their line numbers.
    let mut under: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    for (index, line) in rules.lines().enumerate() {
        let rule = line.trim();
        if rule.is_empty() || rule.starts_with("//") {
            continue;
        }
        let tld = rule.rsplit('.').next().unwrap_or_default().to_lowercase();
        if tld.is_empty() || tld.starts_with(['*', '!']) {
            bail!("line {}: rule `{rule}` has no top-level domain", index + 1);
        }
        under
            .entry(tld)
            .or_default()
            .push((index + 1, rule.to_lowercase()));
    }
    let mut top = BTreeSet::new();
    let mut second = BTreeSet::new();
    for (tld, rules) in &under {
        // A rule that makes every name under the TLD match: `com`, `*.ck`.
        if rules
            .iter()
            .any(|(_, rule)| *rule == *tld || rule.strip_prefix("*.") == Some(tld))
        {
            top.insert(tld.clone());
            top.insert(ascii(tld)?);
            continue;
        }
        for (line, rule) in rules {
            let labels: Vec<&str> = rule.split('.').collect();
            if labels.len() != 2 || rule.contains(['*', '!']) {
                bail!(
                    "line {line}: rule `{rule}` is under `{tld}`, which has no rule of its own; \
                     only plain two-label rules are supported there, so extend \
                     `ends_in_public_suffix` in src/naming/url.rs and this generator"
                );
            }
            second.insert(rule.clone());
            second.insert(format!("{}.{}", ascii(labels[0])?, ascii(labels[1])?));
        }
    }
    let list = |set: &BTreeSet<String>| -> String {
        set.iter().map(|s| format!("    {s:?},\n")).collect()
    };
    Ok(format!(
        "//! @generated by `cargo xtask gen-suffixes` from the Public Suffix List as the `psl`\n\
         //! crate {version} ships it; do not edit. See `xtask/src/suffixes.rs`.\n\
         \n\
         /// Top-level domains under which every name ends in a public suffix (sorted).\n\
         #[rustfmt::skip]\n\
         pub(super) const TOP_LEVEL: &[&str] = &[\n{}];\n\
         \n\
         /// Public suffixes under a top-level domain that is not one itself (sorted).\n\
         #[rustfmt::skip]\n\
         pub(super) const SECOND_LEVEL: &[&str] = &[\n{}];\n",
        list(&top),
        list(&second),
    ))
}

/// `label` as DNS carries it: itself if ASCII, else its Punycode (`xn--...`).
fn ascii(label: &str) -> Result<String> {
    if label.is_ascii() {
        return Ok(label.to_string());
    }
    punycode(label)
        .map(|p| format!("xn--{p}"))
        .with_context(|| format!("cannot encode `{label}` as Punycode"))
}

/// RFC 3492 Punycode of `input` (without the `xn--` prefix), `None` on overflow.
fn punycode(input: &str) -> Option<String> {
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    let code_points: Vec<u32> = input.chars().map(u32::from).collect();
    let mut output: String = input.chars().filter(char::is_ascii).collect();
    let basic = u32::try_from(output.len()).ok()?;
    if basic > 0 {
        output.push('-');
    }
    // Punycode's digits: 0-25 are `a`-`z`, 26-35 are `0`-`9`.
    let digit = |d: u32| match d {
        0..26 => char::from_u32(u32::from(b'a') + d),
        26..36 => char::from_u32(u32::from(b'0') + d - 26),
        _ => None,
    };
    let (mut n, mut delta, mut bias, mut handled) = (128_u32, 0_u32, 72_u32, basic);
    while (handled as usize) < code_points.len() {
        let m = code_points.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &code_points {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    output.push(digit(t + (q - t) % (BASE - t))?);
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                output.push(digit(q)?);
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n += 1;
    }
    Some(output)
}

/// RFC 3492's bias adaptation.
fn adapt(delta: u32, points: u32, first: bool) -> u32 {
    const BASE: u32 = 36;
    let mut delta = if first { delta / 700 } else { delta / 2 };
    delta += delta / points;
    let mut k = 0;
    while delta > ((BASE - 1) * 26) / 2 {
        delta /= BASE - 1;
        k += BASE;
    }
    k + (BASE * delta) / (delta + 38)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punycode_matches_rfc_3492_and_the_registries() {
        assert_eq!(ascii("中国").unwrap(), "xn--fiqs8s");
        assert_eq!(ascii("рф").unwrap(), "xn--p1ai");
        assert_eq!(ascii("한국").unwrap(), "xn--3e0b707e");
        assert_eq!(ascii("みんな").unwrap(), "xn--q9jyb4c");
        assert_eq!(ascii("bücher").unwrap(), "xn--bcher-kva");
        assert_eq!(ascii("com").unwrap(), "com");
    }

    #[test]
    fn tlds_with_a_rule_of_their_own_are_top_level_and_the_rest_keep_their_rules() {
        let table = generate("com\r\n*.ck\r\n!www.ck\r\nco.za\r\n中国\r\n// c\r\n", "x").unwrap();
        for kept in [
            "\"com\"",
            "\"ck\"",
            "\"中国\"",
            "\"xn--fiqs8s\"",
            "\"co.za\"",
        ] {
            assert!(table.contains(kept), "{kept} in\n{table}");
        }
        assert_eq!(table.matches("\n    \"").count(), 5, "{table}");
        assert!(
            !table.contains("\"www.ck\"") && !table.contains("\"za\""),
            "{table}"
        );
    }

    #[test]
    fn a_deeper_rule_under_a_tld_without_its_own_is_an_error_naming_the_line() {
        let e = generate("com\na.b.za\n", "x").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("a.b.za"), "{e}");
    }
}
