//! The caller's inputs, checked before the core sees them: the configuration (YAML
//! text or a plain object) and the file set.

use std::fmt;

use catalyst_guard::lint::{Config, SourceFile};

/// Bad input from the caller, naming the field it concerns (`files[2].text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The argument or property, as a JS caller would write it (`files[0].path`).
    pub field: String,
    /// What is wrong: lowercase, one clause, the offending value in backticks.
    pub message: String,
}

impl FieldError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.field, self.message)
    }
}

/// How the caller gave the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// The text of a `.catalyst-guard.yaml`.
    Yaml(String),
    /// A plain object, as `JSON.stringify` wrote it (JSON is YAML, so the core's
    /// parser reads it and the same validation applies).
    Object(String),
}

/// The effective configuration: the defaults, or the caller's parsed by the core.
///
/// Errors name the field: `config.rules.CG099` for an object (positions in a
/// stringified object would mean nothing to the caller), `config` plus line:column and
/// the core's field for YAML text.
pub fn parse_config(source: Option<&ConfigSource>) -> Result<Config, FieldError> {
    match source {
        None => Ok(Config::default()),
        Some(ConfigSource::Yaml(text)) => Config::parse(text).map_err(|e| {
            // The core names a whole-file error `(file)`; here the input is `config`,
            // which the error already names.
            let field = if e.field.starts_with('(') {
                String::new()
            } else {
                format!("`{}`: ", e.field)
            };
            FieldError::new(
                "config",
                format!("{}:{}: {field}{}", e.line, e.col, e.message),
            )
        }),
        Some(ConfigSource::Object(json)) => Config::parse(json).map_err(|e| {
            let field = if e.field.starts_with('(') {
                "config".to_string()
            } else {
                format!("config.{}", e.field)
            };
            FieldError::new(field, e.message)
        }),
    }
}

/// Checks the file set a caller handed over: paths must be root-relative, `/`-separated
/// and unique, because every rule keys on them (a lone `blueprint.yaml` is not
/// `platform/<name>/blueprint.yaml`) and a repeated path would make findings ambiguous.
pub fn check_files(files: &[SourceFile]) -> Result<(), FieldError> {
    let mut seen = std::collections::HashMap::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let field = || format!("files[{i}].path");
        let path = file.path.as_str();
        if path.is_empty() {
            return Err(FieldError::new(field(), "is empty"));
        }
        if path.starts_with('/') || path.contains('\\') {
            return Err(FieldError::new(
                field(),
                format!(
                    "`{path}` is not a root-relative `/`-separated path (e.g. `platform/flux/blueprint.yaml`)"
                ),
            ));
        }
        if path
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(FieldError::new(
                field(),
                format!("`{path}` has an empty, `.` or `..` segment"),
            ));
        }
        if let Some(first) = seen.insert(path, i) {
            return Err(FieldError::new(
                field(),
                format!("`{path}` repeats `files[{first}].path`"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_name_the_field() {
        let yaml = ConfigSource::Yaml("rules:\n  CG099: off\n".into());
        let e = parse_config(Some(&yaml)).expect_err("unknown rule");
        assert_eq!(e.field, "config");
        assert!(
            e.to_string()
                .starts_with("`config`: 2:3: `rules.CG099`: unknown rule"),
            "{e}"
        );
        let object = ConfigSource::Object(r#"{"rules":{"CG099":"off"}}"#.into());
        let e = parse_config(Some(&object)).expect_err("unknown rule");
        assert_eq!(e.field, "config.rules.CG099");
        let e = parse_config(Some(&ConfigSource::Object("[1]".into()))).expect_err("not a map");
        assert_eq!(e.field, "config");
        let ok = ConfigSource::Object(r#"{"rules":{"retired-term":false}}"#.into());
        let c = parse_config(Some(&ok)).expect("valid");
        assert!(!c.is_enabled(&catalyst_guard::lint::rules::retired_term::META));
    }

    #[test]
    fn a_yaml_config_that_does_not_parse_is_named_config_not_a_placeholder() {
        for text in ["rules: [\n", "a: 1\n---\nb: 2\n"] {
            let e = parse_config(Some(&ConfigSource::Yaml(text.into()))).expect_err(text);
            assert_eq!(e.field, "config");
            assert!(!e.to_string().contains("(file)"), "{e}");
            assert!(e.to_string().starts_with("`config`: "), "{e}");
        }
        let e = parse_config(Some(&ConfigSource::Yaml("rules: [\n".into()))).expect_err("bad");
        assert!(e.message.contains("invalid YAML"), "{e}");
    }

    #[test]
    fn file_paths_must_be_root_relative_and_unique() {
        let f = |p: &str| SourceFile::new(p, "");
        assert_eq!(
            check_files(&[f("platform/a/blueprint.yaml"), f("b.md")]),
            Ok(())
        );
        for bad in [
            "",
            "/etc/x.yaml",
            "a\\b.yaml",
            "a//b.yaml",
            "./a.yaml",
            "a/../b.yaml",
            "a/",
        ] {
            let e = check_files(&[f("ok.yaml"), f(bad)]).expect_err(bad);
            assert_eq!(e.field, "files[1].path", "{bad}");
        }
        let e = check_files(&[f("a.yaml"), f("b.yaml"), f("a.yaml")]).expect_err("repeat");
        assert_eq!(
            e.to_string(),
            "`files[2].path`: `a.yaml` repeats `files[0].path`"
        );
    }
}
