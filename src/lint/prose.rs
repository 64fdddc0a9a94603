//! Where a word sits: prose a person reads (Markdown text, YAML comments and
//! description-like fields, a UI's visible strings) or an identifier a machine reads
//! (YAML keys and object names, label values, env var names, hosts, paths, code).
//!
//! CG007 and CG015 judge prose by default and identifiers only for terms that ask
//! (`identifiers: true`): renaming a deployed object is a migration of its own, while a
//! doc that still says "tenant" is drift. The classification is lexical (one line and a
//! bounded look upwards), so it costs nothing for the files without a hit.

/// What the text at an offset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Text a person reads.
    Prose,
    /// A name a machine reads.
    Identifier,
    /// Neither judged as prose nor as an identifier (a UI source's code comments).
    Ignored,
}

/// The line holding byte `at`: its start and end offsets.
pub fn line_bounds(text: &str, at: usize) -> (usize, usize) {
    let start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let end = text
        .get(at..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| at + i);
    (start, end)
}

/// Keys whose values are prose, matched as a suffix of the lowercased key
/// (`description`, `catalyst.openova.io/description`, `helpText`).
const PROSE_KEYS: [&str; 18] = [
    "description",
    "summary",
    "message",
    "help",
    "helptext",
    "title",
    "text",
    "note",
    "notes",
    "comment",
    "details",
    "docs",
    "documentation",
    "displayname",
    "usage",
    "reason",
    "tooltip",
    "hint",
];

/// True if a YAML key's value is prose.
pub fn is_prose_key(key: &str) -> bool {
    let key = key
        .trim()
        .trim_matches(['"', '\''])
        .trim_start_matches("- ")
        .to_ascii_lowercase();
    !key.is_empty() && PROSE_KEYS.iter().any(|k| key.ends_with(k))
}

/// The byte offset where a YAML comment starts on `line` (a `#` at the start or after
/// whitespace, outside quotes), if any.
pub fn yaml_comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'"' | b'\'' => {
                    // A quote opens a scalar only at its start (`key: "x"`, `- 'x'`).
                    let prev = i.checked_sub(1).and_then(|p| bytes.get(p)).copied();
                    if prev.is_none_or(|p| matches!(p, b' ' | b'\t' | b'[' | b'{' | b',')) {
                        quote = Some(b);
                    }
                }
                b'#' => {
                    let prev = i.checked_sub(1).and_then(|p| bytes.get(p)).copied();
                    if prev.is_none_or(|p| p == b' ' || p == b'\t') {
                        return Some(i);
                    }
                }
                _ => {}
            },
        }
    }
    None
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

/// The key of the `key: value` at the start of a YAML line (after `- `), if any, and
/// where its value starts.
fn key_of(content: &str) -> Option<(&str, usize)> {
    let item = content.trim_start_matches("- ");
    let offset = content.len() - item.len();
    let colon = item.find(": ").or_else(|| {
        item.trim_end()
            .ends_with(':')
            .then(|| item.trim_end().len() - 1)
    })?;
    let key = item.get(..colon)?;
    // A key has no spaces unless quoted (prose with a colon is not a key).
    if key.contains(' ') && !key.starts_with(['"', '\'']) {
        return None;
    }
    Some((key, offset + colon + 1))
}

/// The YAML context of byte `at` in `text` (a YAML file, or a YAML block of a
/// Markdown file starting at `floor`): a comment or the value of a prose key is
/// prose; keys and other values are identifiers. A line inside a block scalar
/// (`description: |`) takes its key's context.
pub fn yaml_context(text: &str, at: usize, floor: usize) -> Context {
    let (start, end) = line_bounds(text, at);
    let line = text.get(start..end).unwrap_or_default();
    let col = at - start;
    if yaml_comment_start(line).is_some_and(|c| c < col) {
        return Context::Prose;
    }
    let indent = indent_of(line);
    let content = line.get(indent..).unwrap_or_default();
    match key_of(content) {
        Some((key, value_at)) if col >= indent + value_at => {
            if is_prose_key(key) {
                Context::Prose
            } else {
                Context::Identifier
            }
        }
        Some(_) => Context::Identifier,
        None => match parent_line(text, start, indent, floor) {
            // Inside a block scalar or a list: the parent key decides.
            Some(parent) => {
                let pcontent = parent.trim_start();
                match key_of(pcontent) {
                    Some((key, _)) if is_prose_key(key) => Context::Prose,
                    _ => Context::Identifier,
                }
            }
            None => Context::Identifier,
        },
    }
}

/// The nearest line above `line_start` indented less than `indent` (a bounded look
/// upwards, not above `floor`).
fn parent_line(text: &str, line_start: usize, indent: usize, floor: usize) -> Option<&str> {
    let above = text.get(floor..line_start)?;
    for line in above.lines().rev().take(200) {
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if indent_of(line) < indent || (indent == 0 && content.ends_with(['|', '>'])) {
            return Some(line);
        }
        if indent == 0 {
            return None;
        }
    }
    None
}

/// True if a token reads as an identifier: a path, host, file name, variable or
/// `snake_case` / `key=value` / `camelCase` word, rather than a word of prose.
pub fn is_identifier_token(token: &str) -> bool {
    let t = token.trim_end_matches(['.', ',', ':', ';', '!', '?']);
    if t.contains(['/', '_', '=', '$', '@', '\\']) || t.contains("::") {
        return true;
    }
    // An inner dot (`tenant.svc`, `minio.yaml`); a trailing one ends a sentence.
    if t.char_indices()
        .any(|(i, c)| c == '.' && t.get(i + 1..).is_some_and(|r| !r.is_empty()))
    {
        return true;
    }
    // camelCase / PascalCase joins (`tenantId`, `getTenant`): a lowercase letter, then
    // an uppercase one starting a lowercase word. Brand names (`MinIO`, `PowerDNS`)
    // capitalise an acronym instead.
    t.as_bytes().windows(3).any(|w| {
        matches!(w, [a, b, c] if a.is_ascii_lowercase() && b.is_ascii_uppercase() && c.is_ascii_lowercase())
    })
}

/// The whitespace-delimited token around `[at, end)`, without surrounding
/// brackets, quotes and emphasis.
pub fn token_around(text: &str, at: usize, end: usize) -> &str {
    let stop = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | '"' | '\'' | '`' | '*' | '|' | ','
            )
    };
    let from = text
        .get(..at)
        .and_then(|t| {
            t.rfind(stop)
                .map(|i| i + t[i..].chars().next().map_or(1, char::len_utf8))
        })
        .unwrap_or(0);
    let to = text
        .get(end..)
        .and_then(|t| t.find(stop).map(|i| end + i))
        .unwrap_or(text.len());
    text.get(from..to).unwrap_or_default()
}

/// Fenced code blocks of a Markdown text: byte ranges of their bodies, with whether
/// the info string says YAML.
pub fn fences(text: &str) -> Vec<(usize, usize, bool)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, &str, bool)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let marker = if trimmed.starts_with("```") {
            Some("```")
        } else if trimmed.starts_with("~~~") {
            Some("~~~")
        } else {
            None
        };
        match (open, marker) {
            (None, Some(m)) => {
                let info = trimmed.trim_start_matches(m).trim().to_ascii_lowercase();
                let yaml = matches!(info.split_whitespace().next(), Some("yaml" | "yml"));
                open = Some((offset + line.len(), m, yaml));
            }
            (Some((from, m, yaml)), Some(close)) if close == m => {
                out.push((from, offset, yaml));
                open = None;
            }
            _ => {}
        }
        offset += line.len();
    }
    if let Some((from, _, yaml)) = open {
        out.push((from, text.len(), yaml));
    }
    out
}

/// The Markdown context of `[at, end)`: prose unless the token is identifier-shaped,
/// the hit is a link target, or (in a YAML code block) YAML says it is an identifier.
pub fn markdown_context(
    text: &str,
    at: usize,
    end: usize,
    fences: &[(usize, usize, bool)],
) -> Context {
    let in_code =
        if let Some(&(from, _, yaml)) = fences.iter().find(|(f, t, _)| (*f..*t).contains(&at)) {
            if yaml && yaml_context(text, at, from) == Context::Identifier {
                return Context::Identifier;
            }
            true
        } else {
            let (start, _) = line_bounds(text, at);
            let before = text.get(start..at).unwrap_or_default();
            // A link target: `](...tenant...)`.
            if let Some(open) = before.rfind("](")
                && !before.get(open..).is_some_and(|s| s.contains(')'))
            {
                return Context::Identifier;
            }
            // Inside an inline code span: an odd number of backticks before it.
            before.bytes().filter(|b| *b == b'`').count() % 2 == 1
        };
    let token = token_around(text, at, end);
    // In code, a hyphenated word is an object's name (`kubectl -n tenant-acme`); in
    // prose it is a compound (`tenant-facing`).
    let named = in_code && token.trim_matches('-').contains('-');
    if named || is_identifier_token(token) {
        Context::Identifier
    } else {
        Context::Prose
    }
}

/// Lines of UI code that are not markup text.
const CODE_STARTS: [&str; 12] = [
    "import ",
    "export ",
    "const ",
    "let ",
    "var ",
    "function ",
    "return ",
    "if ",
    "type ",
    "interface ",
    "class ",
    "//",
];

/// The UI-source context of `[at, end)`: a string literal that a person reads (with a
/// space, or capitalised), or markup text, is prose; code, comments, imports and
/// identifier-like strings are not.
pub fn ui_context(text: &str, at: usize, end: usize) -> Context {
    let (start, line_end) = line_bounds(text, at);
    let line = text.get(start..line_end).unwrap_or_default();
    let col = at - start;
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") || trimmed.starts_with("/*") || trimmed.starts_with('*') {
        return Context::Ignored;
    }
    if let Some(c) = line.find("//")
        && c < col
        && !line.get(..c).is_some_and(|b| b.ends_with(':'))
    {
        return Context::Ignored;
    }
    if let (Some(open), close) = (
        line.get(..col).and_then(|b| b.rfind("<!--")),
        line.get(..col).and_then(|b| b.rfind("-->")),
    ) && close.is_none_or(|c| c < open)
    {
        return Context::Ignored;
    }
    let token = token_around(text, at, end);
    if is_identifier_token(token) {
        return Context::Identifier;
    }
    // Inside a string literal on this line?
    let mut quote: Option<(u8, usize)> = None;
    for (i, &b) in line.as_bytes().iter().enumerate().take(col) {
        match quote {
            Some((q, _)) if b == q => quote = None,
            Some(_) => {}
            None if matches!(b, b'"' | b'\'' | b'`') => quote = Some((b, i)),
            None => {}
        }
    }
    if let Some((q, open)) = quote {
        let rest = line.get(open + 1..).unwrap_or_default();
        let literal = rest.split(q as char).next().unwrap_or_default();
        let visible =
            literal.contains(' ') || literal.starts_with(|c: char| c.is_ascii_uppercase());
        return if visible {
            Context::Prose
        } else {
            Context::Identifier
        };
    }
    // Markup text: after a `>` that closes a tag, or a line of text between tags.
    let before = line.get(..col).unwrap_or_default();
    let (lt, gt) = (before.rfind('<'), before.rfind('>'));
    match (lt, gt) {
        (lt, Some(g)) if lt.is_none_or(|l| l < g) => {
            let between = before.get(g + 1..).unwrap_or_default();
            if between.contains(['{', '=', ';', '(']) {
                Context::Identifier
            } else {
                Context::Prose
            }
        }
        (Some(_), _) => Context::Identifier,
        (None, _) => {
            let code = CODE_STARTS.iter().any(|s| trimmed.starts_with(s))
                || line.contains(['=', '(', ';', '{', '}']);
            if code {
                Context::Identifier
            } else {
                Context::Prose
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml_at(text: &str, word: &str) -> Context {
        yaml_context(text, text.find(word).expect("word in text"), 0)
    }

    #[test]
    fn yaml_comments_and_prose_fields_are_prose_keys_and_names_are_not() {
        assert_eq!(yaml_at("a: 1 # the tenant\n", "tenant"), Context::Prose);
        assert_eq!(yaml_at("# tenant\n", "tenant"), Context::Prose);
        assert_eq!(yaml_at("description: a tenant\n", "tenant"), Context::Prose);
        assert_eq!(
            yaml_at("x:\n  description: |\n    one tenant\n", "tenant"),
            Context::Prose
        );
        assert_eq!(
            yaml_at("minio:\n  enabled: true\n", "minio"),
            Context::Identifier
        );
        assert_eq!(
            yaml_at("name: tenant-acme\n", "tenant"),
            Context::Identifier
        );
        assert_eq!(
            yaml_at("env:\n  - TENANT_ID\n", "TENANT"),
            Context::Identifier
        );
        assert_eq!(
            yaml_at("url: http://x.tenant.svc # not a tenant\n", "tenant"),
            Context::Identifier
        );
        assert_eq!(
            yaml_at("a: \"x # tenant\"\n", "tenant"),
            Context::Identifier
        );
        assert_eq!(
            yaml_at("script: |\n  echo tenant\n", "tenant"),
            Context::Identifier
        );
    }

    #[test]
    fn markdown_words_are_prose_and_names_are_identifiers() {
        let md = |t: &str, w: &str| {
            let at = t.find(w).expect("word");
            markdown_context(t, at, at + w.len(), &fences(t))
        };
        assert_eq!(md("Each tenant is isolated.", "tenant"), Context::Prose);
        assert_eq!(md("Set `tenant_id` here.", "tenant"), Context::Identifier);
        assert_eq!(
            md("See [x](docs/tenant.md).", "tenant"),
            Context::Identifier
        );
        assert_eq!(md("Use tenantId.", "tenant"), Context::Identifier);
        assert_eq!(md("Storage: MinIO (gone).", "MinIO"), Context::Prose);
        assert_eq!(md("Call tenant.svc now.", "tenant"), Context::Identifier);
        assert_eq!(md("the multi-tenant view", "tenant"), Context::Prose);
        let block = "x\n```yaml\nminio:\n  # the minio chart\n```\nminio here\n";
        assert_eq!(md(block, "minio:"), Context::Identifier);
        let comment = block.find("the minio").unwrap() + 4;
        assert_eq!(
            markdown_context(block, comment, comment + 5, &fences(block)),
            Context::Prose
        );
        let bash =
            "```bash\nflux reconcile kustomization tenants\nkubectl -n tenant-acme get hr\n```\n";
        assert_eq!(md(bash, "tenants"), Context::Prose);
        assert_eq!(md(bash, "tenant-acme"), Context::Identifier);
        assert_eq!(
            md("Run `kubectl -n tenant-acme get hr`.", "tenant"),
            Context::Identifier
        );
    }

    #[test]
    fn ui_strings_people_read_are_prose() {
        let ui = |t: &str, w: &str| {
            let at = t.find(w).expect("word");
            ui_context(t, at, at + w.len())
        };
        assert_eq!(ui("<h1>Create a tenant</h1>", "tenant"), Context::Prose);
        assert_eq!(
            ui("<Button label=\"New Tenant\" />", "Tenant"),
            Context::Prose
        );
        assert_eq!(
            ui("const tenant = getTenant();", "tenant"),
            Context::Identifier
        );
        assert_eq!(
            ui("import Tenant from './Tenant.svelte';", "Tenant"),
            Context::Identifier
        );
        assert_eq!(ui("  Pick a tenant below\n", "tenant"), Context::Prose);
        assert_eq!(ui("x = t('tenant.title');", "tenant"), Context::Identifier);
        assert_eq!(ui("// the tenant list\n", "tenant"), Context::Ignored);
        assert_eq!(ui("<!-- tenant -->", "tenant"), Context::Ignored);
        assert_eq!(ui("type=\"tenant\"", "tenant"), Context::Identifier);
    }
}
