//! Reading configuration files written in YAML: the error every configuration reader
//! returns (the field and its line:column) and the helpers that read one field's value
//! as a string, a flag, a mapping or a list, each failing with that error.
//!
//! The linter's `.catalyst-guard.yaml` and the recovery ConfigMap both read through
//! these, so a mistake in either names its field the same way.

use super::{Document, Node, Pos};

/// A configuration error with the field and position it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{col}: `{field}`: {message}")]
pub struct ConfigError {
    /// Dotted path of the field (`rules.CG099`).
    pub field: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
    /// What is wrong.
    pub message: String,
}

/// A configuration error at `pos` for `field`.
pub fn err(field: &str, pos: Pos, message: impl Into<String>) -> ConfigError {
    // A top-level key written as `: value` has an empty name; say so rather than
    // name no field (found by the `config` fuzz target).
    let field = if field.is_empty() {
        "(empty key)"
    } else {
        field
    };
    ConfigError {
        field: field.to_string(),
        line: pos.line,
        col: pos.col,
        message: message.into(),
    }
}

/// The root of a configuration file: `None` for an empty file, an error for invalid
/// YAML or more than one document.
pub fn root(parsed: &super::Parsed) -> Result<Option<Node<'_>>, ConfigError> {
    if let Some(e) = &parsed.error {
        return Err(err("(file)", e.pos, format!("invalid YAML: {}", e.message)));
    }
    let Some(root) = parsed.documents.first().and_then(Document::root) else {
        return Ok(None);
    };
    if let Some(second) = parsed.documents.get(1) {
        return Err(err(
            "(file)",
            second.start(),
            "expected a single YAML document",
        ));
    }
    Ok(Some(root))
}

/// A non-empty string value.
pub fn string(node: Node<'_>, field: &str) -> Result<String, ConfigError> {
    match node.as_str() {
        Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
        _ => Err(err(field, node.pos(), "expected a non-empty string")),
    }
}

/// A string, or a list of strings (a single string is a one-item list).
pub fn strings(node: Node<'_>, field: &str) -> Result<Vec<String>, ConfigError> {
    if node.as_str().is_some() {
        return Ok(vec![string(node, field)?]);
    }
    list(node, field)?
        .into_iter()
        .map(|item| string(item, field))
        .collect()
}

/// `true` or `false`.
pub fn flag(node: Node<'_>, field: &str) -> Result<bool, ConfigError> {
    match node.scalar() {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        other => Err(err(
            field,
            node.pos(),
            format!("`{}` is not true or false", other.unwrap_or("(collection)")),
        )),
    }
}

/// The entries of a mapping (a null value is an empty mapping).
pub fn map<'a>(node: Node<'a>, field: &str) -> Result<Vec<(Node<'a>, Node<'a>)>, ConfigError> {
    if node.is_null() {
        return Ok(Vec::new());
    }
    if !node.is_map() {
        return Err(err(field, node.pos(), "expected a mapping"));
    }
    Ok(node.entries().collect())
}

/// The items of a list (a null value is an empty list).
pub fn list<'a>(node: Node<'a>, field: &str) -> Result<Vec<Node<'a>>, ConfigError> {
    if node.is_null() {
        return Ok(Vec::new());
    }
    if !node.is_seq() {
        return Err(err(field, node.pos(), "expected a list"));
    }
    Ok(node.items().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> super::super::Parsed {
        super::super::parse(text)
    }

    #[test]
    fn each_reader_names_the_field_and_position_of_a_wrong_value() {
        let p = parsed("a: [1]\nb: x\nc: maybe\n");
        let root = root(&p).unwrap().unwrap();
        let a = root.get("a").unwrap();
        let b = root.get("b").unwrap();
        let c = root.get("c").unwrap();
        assert_eq!(list(a, "a").unwrap().len(), 1);
        let e = map(a, "a").unwrap_err();
        assert_eq!((e.field.as_str(), e.line, e.col), ("a", 1, 4));
        assert_eq!(strings(b, "b").unwrap(), ["x"]);
        let e = list(b, "b").unwrap_err();
        assert_eq!(e.to_string(), "2:4: `b`: expected a list");
        let e = flag(c, "c").unwrap_err();
        assert!(e.message.contains("`maybe`"), "{e}");
        assert_eq!(err("", Pos::new(1, 1), "x").field, "(empty key)");
    }

    #[test]
    fn the_root_is_one_document_of_valid_yaml() {
        assert!(root(&parsed("")).unwrap().is_none());
        let e = root(&parsed("a: 1\n---\nb: 2\n")).unwrap_err();
        assert_eq!((e.field.as_str(), e.line), ("(file)", 2));
        let e = root(&parsed("a: [\n")).unwrap_err();
        assert!(e.message.starts_with("invalid YAML"), "{e}");
    }
}
