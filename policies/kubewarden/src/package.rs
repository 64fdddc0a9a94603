//! Packaging: the policy's `metadata.yml` and the `io.kubewarden.metadata` custom
//! section `kwctl annotate` embeds in the module.
//!
//! kwctl reads `metadata.yml` into its `Metadata` type, sets `protocolVersion` from
//! the policy, and appends the metadata as JSON in a custom section named
//! `io.kubewarden.metadata`; policy-server and kwctl read that section back. This
//! module does the same without kwctl (which cannot be downloaded here): the protocol
//! version is the SDK's, the very value the module's `protocol_version` returns (the
//! end-to-end tests check that they agree), and the section is spliced in by hand.

use std::collections::BTreeMap;

use kubewarden_policy_sdk::metadata::ProtocolVersion;
use serde::{Deserialize, Serialize};

/// Name of the custom section holding the metadata.
pub const METADATA_SECTION: &str = "io.kubewarden.metadata";

/// The policy metadata, as kwctl's `Metadata` (camelCase in YAML and JSON).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    /// The waPC protocol the policy speaks (set by annotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<ProtocolVersion>,
    /// Admission rules: which requests policy-server sends.
    pub rules: Vec<Rule>,
    /// Labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations (`io.kubewarden.policy.*`, `io.artifacthub.*`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Whether the policy mutates.
    pub mutating: bool,
    /// Whether the audit scanner may evaluate it on existing objects.
    #[serde(default = "yes")]
    pub background_audit: bool,
    /// The resources a context-aware policy may read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context_aware_resources: Vec<ContextAwareResource>,
    /// `kubewarden-wapc`, `opa`, `gatekeeper` or `wasi`.
    pub execution_mode: String,
    /// `kubernetes` or `raw`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_type: Option<String>,
    /// Oldest Kubewarden that can run the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_kubewarden_version: Option<String>,
}

fn yes() -> bool {
    true
}

/// One admission rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// API groups.
    pub api_groups: Vec<String>,
    /// API versions.
    pub api_versions: Vec<String>,
    /// Resources (plural).
    pub resources: Vec<String>,
    /// Operations.
    pub operations: Vec<String>,
}

/// A resource a context-aware policy reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContextAwareResource {
    /// `group/version`.
    pub api_version: String,
    /// Kind.
    pub kind: String,
}

impl Metadata {
    /// Reads `metadata.yml`.
    pub fn from_yaml(text: &str) -> Result<Self, String> {
        serde_yaml::from_str(text).map_err(|e| format!("metadata.yml: {e}"))
    }

    /// The checks kwctl makes before annotating (rules well formed, a known execution
    /// mode, a known protocol version once set).
    pub fn validate(&self) -> Result<(), String> {
        if self.rules.is_empty() {
            return Err("`rules`: a validating policy needs at least one rule".into());
        }
        for (i, rule) in self.rules.iter().enumerate() {
            for (field, list) in [
                ("apiGroups", &rule.api_groups),
                ("apiVersions", &rule.api_versions),
                ("resources", &rule.resources),
                ("operations", &rule.operations),
            ] {
                if list.is_empty() {
                    return Err(format!("`rules[{i}].{field}`: must not be empty"));
                }
                if list.len() > 1 && list.iter().any(|x| x == "*") {
                    return Err(format!(
                        "`rules[{i}].{field}`: `*` cannot be combined with other values"
                    ));
                }
            }
            if let Some(op) = rule.operations.iter().find(|op| {
                !matches!(
                    op.as_str(),
                    "CREATE" | "UPDATE" | "DELETE" | "CONNECT" | "*"
                )
            }) {
                return Err(format!("`rules[{i}].operations`: unknown operation `{op}`"));
            }
        }
        if !matches!(
            self.execution_mode.as_str(),
            "kubewarden-wapc" | "opa" | "gatekeeper" | "wasi"
        ) {
            return Err(format!(
                "`executionMode`: unknown mode `{}`",
                self.execution_mode
            ));
        }
        if self.protocol_version == Some(ProtocolVersion::Unknown) {
            return Err("`protocolVersion`: must be a known protocol version".into());
        }
        Ok(())
    }
}

/// Appends an unsigned LEB128 number.
fn leb128(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads an unsigned LEB128 `u32` at `*pos`.
fn read_leb128(bytes: &[u8], pos: &mut usize) -> Result<usize, String> {
    let mut value: usize = 0;
    for shift in (0..35).step_by(7) {
        let byte = *bytes
            .get(*pos)
            .ok_or("truncated module: section size runs past the end")?;
        *pos += 1;
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("malformed module: section size longer than 5 bytes".into())
}

const WASM_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/// One top-level section: id, where the whole section starts and ends, and for a
/// custom section its name and payload.
struct Section<'a> {
    start: usize,
    end: usize,
    custom: Option<(&'a str, &'a [u8])>,
}

fn sections(module: &[u8]) -> Result<Vec<Section<'_>>, String> {
    if module.get(..8) != Some(&WASM_HEADER[..]) {
        return Err("not a WebAssembly 1.0 module (bad magic or version)".into());
    }
    let mut out = Vec::new();
    let mut pos = 8;
    while pos < module.len() {
        let start = pos;
        let id = module.get(pos).copied().unwrap_or_default();
        pos += 1;
        let size = read_leb128(module, &mut pos)?;
        let end = pos
            .checked_add(size)
            .filter(|&e| e <= module.len())
            .ok_or("truncated module: a section runs past the end")?;
        let custom = if id == 0 {
            let mut p = pos;
            let len = read_leb128(module, &mut p)?;
            let name = p
                .checked_add(len)
                .filter(|&e| e <= end)
                .and_then(|e| module.get(p..e))
                .ok_or("malformed custom section name")?;
            let name = std::str::from_utf8(name).map_err(|_| "custom section name is not UTF-8")?;
            Some((name, module.get(p + len..end).unwrap_or_default()))
        } else {
            None
        };
        out.push(Section { start, end, custom });
        pos = end;
    }
    Ok(out)
}

/// Every custom section, by name, in module order.
pub fn custom_sections(module: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    Ok(sections(module)?
        .into_iter()
        .filter_map(|s| s.custom.map(|(n, d)| (n.to_string(), d.to_vec())))
        .collect())
}

/// Embeds `metadata` (with the SDK's protocol version) as the `io.kubewarden.metadata`
/// section, replacing any earlier one, as `kwctl annotate` does.
pub fn annotate(module: &[u8], metadata: &Metadata) -> Result<Vec<u8>, String> {
    let mut metadata = metadata.clone();
    metadata.protocol_version = Some(ProtocolVersion::default());
    metadata.validate()?;
    let json = serde_json::to_vec(&metadata).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(module.len() + json.len() + 64);
    out.extend_from_slice(&WASM_HEADER);
    for section in sections(module)? {
        if matches!(section.custom, Some((name, _)) if name == METADATA_SECTION) {
            continue;
        }
        out.extend_from_slice(module.get(section.start..section.end).unwrap_or_default());
    }
    let mut payload = Vec::with_capacity(json.len() + METADATA_SECTION.len() + 5);
    leb128(METADATA_SECTION.len(), &mut payload);
    payload.extend_from_slice(METADATA_SECTION.as_bytes());
    payload.extend_from_slice(&json);
    out.push(0);
    leb128(payload.len(), &mut out);
    out.extend_from_slice(&payload);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "rules:\n  - apiGroups: [\"\"]\n    apiVersions: [v1]\n    resources: [pods]\n    operations: [CREATE]\nmutating: false\nexecutionMode: kubewarden-wapc\n";

    /// A module with one type section and one unrelated custom section.
    fn module() -> Vec<u8> {
        let mut m = WASM_HEADER.to_vec();
        m.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]); // type section: one `() -> ()`
        m.extend_from_slice(&[0, 5, 4, b'n', b'a', b'm', b'e']); // custom "name", empty
        m
    }

    #[test]
    fn annotation_appends_the_metadata_as_json_and_replaces_an_old_one() {
        let md = Metadata::from_yaml(MINIMAL).unwrap();
        let once = annotate(&module(), &md).unwrap();
        let twice = annotate(&once, &md).unwrap();
        assert_eq!(once, twice, "re-annotating replaces, never duplicates");
        let sections = custom_sections(&twice).unwrap();
        let names: Vec<&str> = sections.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["name", METADATA_SECTION]);
        let json: serde_json::Value = serde_json::from_slice(&sections[1].1).unwrap();
        assert_eq!(json["protocolVersion"], "v1");
        assert_eq!(json["rules"][0]["resources"][0], "pods");
        assert_eq!(json["backgroundAudit"], true);
        assert!(
            twice.starts_with(&module()[..14]),
            "other sections are kept as they were"
        );
    }

    #[test]
    fn bad_modules_and_bad_metadata_are_refused() {
        let md = Metadata::from_yaml(MINIMAL).unwrap();
        assert!(annotate(b"\0asm\x02\0\0\0", &md).is_err());
        let mut truncated = module();
        truncated.truncate(truncated.len() - 2);
        assert!(annotate(&truncated, &md).is_err());
        let bad = Metadata {
            execution_mode: "native".into(),
            ..md.clone()
        };
        assert_eq!(
            annotate(&module(), &bad).unwrap_err(),
            "`executionMode`: unknown mode `native`"
        );
        assert!(Metadata::from_yaml(&format!("{MINIMAL}mutatin: true\n")).is_err());
    }

    #[test]
    fn leb128_round_trips() {
        for n in [0, 1, 127, 128, 300, 16_384, 1 << 28] {
            let mut buf = Vec::new();
            leb128(n, &mut buf);
            let mut pos = 0;
            assert_eq!(read_leb128(&buf, &mut pos).unwrap(), n);
            assert_eq!(pos, buf.len());
        }
    }
}
