//! The catalyst-guard rules in the browser: wasm-bindgen exports over the core for
//! the Catalyst UI.
//!
//! The exports only convert: JS arguments are read field by field into Rust types
//! (a wrong type is a thrown `Error` naming the field, never a trap), [`api`] calls the
//! core, and results cross back as JSON text parsed by `JSON.parse`, which is both the
//! cheapest way to build plain JS objects and a guarantee that `lint` returns the same
//! document as `catalyst-guard lint --format json`. The TypeScript types of those
//! objects are declared below and land in the generated `.d.ts`.

pub mod api;
pub mod plain;

use std::cell::RefCell;

use api::{ConfigSource, FieldError, UrlParts};
use catalyst_guard::lint::{Config, SourceFile};
use js_sys::{Array, JSON, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** One file to lint: its root-relative, `/`-separated path and its text. */
export interface SourceFileInput {
  path: string;
  text: string;
}

/** `.catalyst-guard.yaml` as an object; unknown keys and bad values are errors. */
export interface LintConfig {
  rules?: Record<string, "error" | "warning" | "info" | "off" | false>;
  locationCodes?: {
    providers?: Record<string, string>;
    regions?: Record<string, Record<string, string>>;
  };
  retiredTerms?: { term: string; replacement: string }[];
  allowedHosts?: string[];
  exclude?: string[];
}

export type Severity = "error" | "warning" | "info";

/** One finding of an object rule (`checkObject`). */
export interface ObjectFinding {
  code: string;
  rule: string;
  field: string;
  value: string | null;
  message: string;
  help: string;
  /** `message` as plain text (no Markdown), for a UI's text nodes. */
  messageText: string;
  /** `help` as plain text. */
  helpText: string | null;
}

/** What `checkObject` returns. */
export interface ObjectCheck {
  kind: string;
  findings: ObjectFinding[];
}

/** One diagnostic; `line` and `col` are 1-based, `col` and `width` in characters. */
export interface Finding {
  code: string;
  rule: string;
  severity: Severity;
  path: string;
  line: number;
  col: number;
  width: number;
  /** Markdown: offending values in backticks, as the CLI prints them. */
  message: string;
  help?: string;
  /** `message` as plain text (no Markdown), for a UI's text nodes. */
  messageText: string;
  /** `help` as plain text, or `null` if there is no help. */
  helpText: string | null;
  /** The fix, where the rule can derive one (`catalyst-guard lint --fix` applies it). */
  fix?: Fix;
  /** The other places the finding compares (the Blueprint's version beside the chart's, say). */
  related?: RelatedLocation[];
}

/** What a fix does, and its edits, all in the finding's file; they never overlap. */
export interface Fix {
  description: string;
  edits: Edit[];
}

/** Replace `width` characters at `line`:`col` (1-based, columns in characters) with `text`. */
export interface Edit {
  line: number;
  col: number;
  width: number;
  text: string;
}

/** A place a finding refers to besides its own: the value read there, or the file's role. */
export interface RelatedLocation {
  path: string;
  line: number;
  col: number;
  value: string;
}

/** The report, exactly as `catalyst-guard lint --format json` prints it. */
export interface LintReport {
  schemaVersion: 1;
  tool: "catalyst-guard";
  version: string;
  filesScanned: number;
  summary: { error: number; warning: number; info: number };
  findings: Finding[];
}

export interface CodeName {
  code: string;
  name: string;
}

export interface BuildingBlock {
  code: string;
  short: string;
  long: string;
}

/** A decoded location code, e.g. `hfmp` = Hetzner Falkenstein mgt prod. */
export interface DecodedLocation {
  code: string;
  provider: CodeName;
  region: CodeName;
  buildingBlock: BuildingBlock;
  env: CodeName;
  description: string;
}

export type LocationDecode =
  | { ok: true; message: null; location: DecodedLocation }
  | { ok: false; message: string; location: null };

/** The verdict of rule CG005 on one URL, with the location code the host carries. */
export interface GiteaUrlCheck {
  ok: boolean;
  code: "CG005";
  rule: "non-canonical-gitea-url";
  message: string | null;
  help: string | null;
  /** `message` and `help` as plain text (no Markdown). */
  messageText: string | null;
  helpText: string | null;
  /** The host's location-code label (or stand-in), if it has one where one belongs. */
  locationCode: string | null;
  /** That label decoded, if it decodes. */
  location: DecodedLocation | null;
}

export interface GiteaUrlParts {
  locationCode: string;
  domain: string;
  org: string;
  /** With or without `.git`. */
  repo: string;
}

export interface RuleInfo {
  code: string;
  name: string;
  defaultSeverity: Severity;
  summary: string;
  /** Markdown: What it does / Why is this bad? / Example / Use instead. */
  docs: string;
}

export interface LocationTableInfo {
  providers: (CodeName & { regions: CodeName[] })[];
  buildingBlocks: BuildingBlock[];
  envTypes: CodeName[];
  /** The building block Gitea runs on. */
  management: string;
}

/** What every export throws on a bad argument: `field` names it (`files[2].text`). */
export interface FieldError extends Error {
  field: string;
}
"#;

/// A JS `Error` whose message names the field, with the field also as `error.field`
/// so a UI can point at the input at fault.
fn to_js_error(e: &FieldError) -> JsValue {
    let error = js_sys::Error::new(&e.to_string());
    // Setting a property on a fresh Error cannot fail; if it somehow did, the message
    // still names the field.
    let _ = Reflect::set(
        &error,
        &JsValue::from_str("field"),
        &e.field.as_str().into(),
    );
    error.into()
}

/// How a value reads in an error message.
fn describe(v: &JsValue) -> &'static str {
    if v.is_undefined() {
        "undefined"
    } else if v.is_null() {
        "null"
    } else if v.is_string() {
        "a string"
    } else if v.as_f64().is_some() {
        "a number"
    } else if v.as_bool().is_some() {
        "a boolean"
    } else if Array::is_array(v) {
        "an array"
    } else if v.is_function() {
        "a function"
    } else if v.is_object() {
        "an object"
    } else {
        "a value of another type"
    }
}

fn string_of(v: &JsValue, field: &str) -> Result<String, FieldError> {
    v.as_string()
        .ok_or_else(|| FieldError::new(field, format!("expected a string, got {}", describe(v))))
}

/// `obj[key]`; a getter or Proxy trap that throws becomes an error naming the field.
fn property(obj: &JsValue, key: &str, field: &str) -> Result<JsValue, FieldError> {
    Reflect::get(obj, &JsValue::from_str(key))
        .map_err(|_| FieldError::new(field, "reading it threw"))
}

fn is_plain_object(v: &JsValue) -> bool {
    v.is_object() && !Array::is_array(v) && !v.is_function()
}

/// The most text, in UTF-16 code units (JS string length), one `lint` call copies into
/// wasm memory. Far above any paste, far below what would exhaust the 4 GiB address
/// space while parsing: past it the caller gets an error instead of an out-of-memory
/// trap. Files over the core's 10 MiB per-file limit but under this total still get
/// the core's own CG000 finding, as they would from the CLI.
pub const MAX_TOTAL_TEXT_UNITS: u32 = 64 * 1024 * 1024;

fn files_of(files: &JsValue) -> Result<Vec<SourceFile>, FieldError> {
    if !Array::is_array(files) {
        return Err(FieldError::new(
            "files",
            format!(
                "expected an array of `{{path, text}}` objects, got {}",
                describe(files)
            ),
        ));
    }
    let array = Array::from(files);
    let mut out = Vec::with_capacity(array.length() as usize);
    let mut total: u32 = 0;
    for (i, item) in array.iter().enumerate() {
        let field = format!("files[{i}]");
        if !is_plain_object(&item) {
            return Err(FieldError::new(
                field,
                format!(
                    "expected a `{{path, text}}` object, got {}",
                    describe(&item)
                ),
            ));
        }
        let path_field = format!("{field}.path");
        let text_field = format!("{field}.text");
        let path = string_of(&property(&item, "path", &path_field)?, &path_field)?;
        let text = property(&item, "text", &text_field)?;
        // Measured before copying: the copy is what would run out of memory.
        if let Some(js) = text.dyn_ref::<js_sys::JsString>() {
            total = total.saturating_add(js.length());
            if total > MAX_TOTAL_TEXT_UNITS {
                return Err(FieldError::new(
                    "files",
                    format!(
                        "more than {} Mi UTF-16 code units of text in one call (at `{text_field}`); lint fewer files at a time",
                        MAX_TOTAL_TEXT_UNITS >> 20
                    ),
                ));
            }
        }
        let text = string_of(&text, &text_field)?;
        out.push(SourceFile { path, text });
    }
    api::check_files(&out)?;
    Ok(out)
}

fn config_source(config: Option<&JsValue>) -> Result<Option<ConfigSource>, FieldError> {
    let Some(config) = config.filter(|c| !c.is_undefined() && !c.is_null()) else {
        return Ok(None);
    };
    if let Some(text) = config.as_string() {
        return Ok(Some(ConfigSource::Yaml(text)));
    }
    if is_plain_object(config) {
        let json = JSON::stringify(config)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| {
                FieldError::new("config", "cannot be written as JSON (a cycle or a BigInt?)")
            })?;
        return Ok(Some(ConfigSource::Object(json)));
    }
    Err(FieldError::new(
        "config",
        format!(
            "expected `.catalyst-guard.yaml` text or an object, got {}",
            describe(config)
        ),
    ))
}

thread_local! {
    /// The last configuration parsed and the source it came from. A UI lints on every
    /// pause in typing with the same configuration; parsing it (and building its
    /// text scanner) each time would be most of the work for small file sets.
    static CONFIG_CACHE: RefCell<Option<(Option<ConfigSource>, Config)>> =
        const { RefCell::new(None) };
}

/// Runs `f` with the configuration `config` describes, parsing it only if it changed.
fn with_config<T>(config: Option<&JsValue>, f: impl FnOnce(&Config) -> T) -> Result<T, FieldError> {
    let source = config_source(config)?;
    CONFIG_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let hit = cache.as_ref().filter(|(s, _)| *s == source);
        if let Some((_, parsed)) = hit {
            return Ok(f(parsed));
        }
        let parsed = api::parse_config(source.as_ref())?;
        let out = f(&parsed);
        *cache = Some((source, parsed));
        Ok(out)
    })
}

/// Parses JSON the exports produced into plain JS objects.
fn from_json(json: &str) -> Result<JsValue, JsValue> {
    JSON::parse(json)
}

/// Lints a set of files, as `catalyst-guard lint` lints a repository: every rule,
/// cross-file lockstep included, so give `platform/<name>/blueprint.yaml` together
/// with `platform/<name>/chart/Chart.yaml`. `config` is `.catalyst-guard.yaml` text or
/// the same as an object. Returns the report `catalyst-guard lint --format json`
/// prints; throws a `FieldError` for a malformed argument or configuration.
#[wasm_bindgen(js_name = lint, unchecked_return_type = "LintReport")]
pub fn lint_files(
    #[wasm_bindgen(unchecked_param_type = "SourceFileInput[]")] files: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "LintConfig | string | null")] config: Option<
        JsValue,
    >,
) -> Result<JsValue, JsValue> {
    let files = files_of(&files).map_err(|e| to_js_error(&e))?;
    let json =
        with_config(config.as_ref(), |c| api::lint_json(&files, c)).map_err(|e| to_js_error(&e))?;
    from_json(&plain::report_with_plain_text(&json))
}

/// Checks a Git URL against `https://gitea.<location-code>.<sovereign-domain>/<org>/<repo>.git`
/// (rule CG005) and decodes the location code in its host.
#[wasm_bindgen(js_name = checkGiteaUrl, unchecked_return_type = "GiteaUrlCheck")]
pub fn check_gitea_url(
    #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "LintConfig | string | null")] config: Option<
        JsValue,
    >,
) -> Result<JsValue, JsValue> {
    let url = string_of(&url, "url").map_err(|e| to_js_error(&e))?;
    let json = with_config(config.as_ref(), |c| {
        let mut verdict = api::gitea_url_json(&url, &c.locations);
        plain::add_plain_fields(&mut verdict);
        verdict.to_string()
    })
    .map_err(|e| to_js_error(&e))?;
    from_json(&json)
}

/// Judges one Kubernetes object (a plain object, as `JSON.parse` or a YAML parser
/// gives it) with the core's object rules, exactly as the linter and the admission
/// policy do: GitRepository URL (CG005), HelmRelease pin (CG004), Kustomization
/// decryption (CG008), Blueprint version (CG012).
#[wasm_bindgen(js_name = checkObject, unchecked_return_type = "ObjectCheck")]
pub fn check_object(
    #[wasm_bindgen(unchecked_param_type = "object")] object: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "LintConfig | string | null")] config: Option<
        JsValue,
    >,
) -> Result<JsValue, JsValue> {
    let parsed = || -> Result<serde_json::Value, FieldError> {
        if !is_plain_object(&object) {
            return Err(FieldError::new(
                "object",
                format!("expected a Kubernetes object, got {}", describe(&object)),
            ));
        }
        let text = JSON::stringify(&object)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| FieldError::new("object", "cannot be written as JSON"))?;
        serde_json::from_str(&text).map_err(|e| FieldError::new("object", e.to_string()))
    };
    let object = parsed().map_err(|e| to_js_error(&e))?;
    let json = with_config(config.as_ref(), |c| {
        api::object_findings_json(&object, c).map(|mut v| {
            if let Some(findings) = v.get_mut("findings").and_then(|f| f.as_array_mut()) {
                findings.iter_mut().for_each(plain::add_plain_fields);
            }
            v.to_string()
        })
    })
    .and_then(|r| r)
    .map_err(|e| to_js_error(&e))?;
    from_json(&json)
}

/// Builds the canonical Gitea URL from its parts; throws a `FieldError` naming the
/// part the core's grammar rejects (`locationCode` on a non-`m` building block too).
#[wasm_bindgen(js_name = canonicalGiteaUrl)]
pub fn canonical_gitea_url(
    #[wasm_bindgen(unchecked_param_type = "GiteaUrlParts")] parts: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "LintConfig | string | null")] config: Option<
        JsValue,
    >,
) -> Result<String, JsValue> {
    let read = || -> Result<UrlParts, FieldError> {
        if !is_plain_object(&parts) {
            return Err(FieldError::new(
                "parts",
                format!(
                    "expected `{{locationCode, domain, org, repo}}`, got {}",
                    describe(&parts)
                ),
            ));
        }
        let get = |key: &str| string_of(&property(&parts, key, key)?, key);
        Ok(UrlParts {
            location_code: get("locationCode")?,
            domain: get("domain")?,
            org: get("org")?,
            repo: get("repo")?,
        })
    };
    let parts = read().map_err(|e| to_js_error(&e))?;
    with_config(config.as_ref(), |c| {
        api::canonical_gitea_url(&parts, &c.locations)
    })
    .and_then(|r| r)
    .map_err(|e| to_js_error(&e))
}

/// Decodes a four-character location code (`hfmp` = Hetzner Falkenstein mgt prod)
/// with the default table plus any `locationCodes` the configuration adds.
#[wasm_bindgen(js_name = decodeLocationCode, unchecked_return_type = "LocationDecode")]
pub fn decode_location_code(
    #[wasm_bindgen(unchecked_param_type = "string")] code: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "LintConfig | string | null")] config: Option<
        JsValue,
    >,
) -> Result<JsValue, JsValue> {
    let code = string_of(&code, "code").map_err(|e| to_js_error(&e))?;
    let json = with_config(config.as_ref(), |c| {
        api::decode_json(&code, &c.locations).to_string()
    })
    .map_err(|e| to_js_error(&e))?;
    from_json(&json)
}

/// The location-code table (providers and their regions, building blocks, env
/// types), for pickers: the defaults plus any `locationCodes` the configuration adds.
#[wasm_bindgen(js_name = locationTable, unchecked_return_type = "LocationTableInfo")]
pub fn location_table(
    #[wasm_bindgen(unchecked_optional_param_type = "LintConfig | string | null")] config: Option<
        JsValue,
    >,
) -> Result<JsValue, JsValue> {
    let json = with_config(config.as_ref(), |c| {
        api::location_table_json(&c.locations).to_string()
    })
    .map_err(|e| to_js_error(&e))?;
    from_json(&json)
}

/// Every rule with its code, name, default severity, summary and documentation.
#[wasm_bindgen(unchecked_return_type = "RuleInfo[]")]
pub fn rules() -> Result<JsValue, JsValue> {
    from_json(&api::rules_json().to_string())
}
