//! Multi-document YAML with line:column positions.
//!
//! Files are parsed with `saphyr-parser` (a maintained, pure-Rust YAML 1.2 parser that
//! reports a span for every event) into a compact arena per document. Every node keeps
//! the position where it starts, so a rule can point at the exact value it read.
//!
//! Hostile input is bounded here, once, for every caller: nesting deeper than
//! [`MAX_DEPTH`] is an error, and aliases are stored as references to their anchor and
//! resolved lazily with a hop limit, so an alias bomb costs nothing to parse and cannot
//! be expanded by a rule.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

pub mod config;
pub(crate) mod probe;
pub use probe::{Probe, Probed, probe};

/// Deepest nesting of collections accepted in one document.
pub const MAX_DEPTH: usize = 128;

/// Most alias hops followed when resolving a node; anchors are acyclic in valid YAML,
/// this only bounds malformed input.
const MAX_ALIAS_HOPS: usize = 16;

/// A position in a source file: 1-based line, 1-based column counted in characters.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Pos {
    /// Line number, starting at 1.
    pub line: u32,
    /// Column number in characters, starting at 1.
    pub col: u32,
}

impl Pos {
    /// A position from 1-based line and column.
    pub const fn new(line: u32, col: u32) -> Self {
        Self { line, col }
    }
}

/// A YAML syntax error with the position where the parser stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// What is wrong, as the parser or the depth check says it.
    pub message: String,
    /// Where it was detected.
    pub pos: Pos,
}

/// Index of a node inside its [`Document`].
type NodeId = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `text[start..end]`; `plain` is false for quoted and block scalars.
    Scalar { start: u32, end: u32, plain: bool },
    /// `children[start..start+len]`.
    Seq { start: u32, len: u32 },
    /// `children[start..start+2*len]`, alternating key and value.
    Map { start: u32, len: u32 },
    /// Reference to an anchor id; resolved through `Document::anchors`.
    Alias(u32),
}

#[derive(Debug, Clone, Copy)]
struct NodeData {
    kind: Kind,
    pos: Pos,
    /// Width of the node's source text in characters (scalars: including quotes).
    width: u32,
}

/// One YAML document as an arena of nodes.
#[derive(Debug, Clone)]
pub struct Document {
    nodes: Vec<NodeData>,
    children: Vec<NodeId>,
    text: String,
    anchors: HashMap<u32, NodeId>,
    root: Option<NodeId>,
    start: Pos,
}

/// The result of parsing a file: every complete document before the first error, and
/// that error if there was one.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Complete documents in file order.
    pub documents: Vec<Document>,
    /// The syntax error that stopped parsing, if any.
    pub error: Option<YamlError>,
}

fn pos_of(marker: &saphyr_parser::Marker) -> Pos {
    Pos {
        line: u32::try_from(marker.line()).unwrap_or(u32::MAX),
        col: u32::try_from(marker.col().saturating_add(1)).unwrap_or(u32::MAX),
    }
}

/// The position just past the last character of `text`, counting lines as YAML (and
/// the parser) does: CR LF, CR and LF each end one.
fn end_of(text: &str) -> Pos {
    let bytes = text.as_bytes();
    let breaks = memchr::memchr2_iter(b'\n', b'\r', bytes)
        .filter(|&i| !(bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) == Some(&b'\n')))
        .count();
    let last = text.rsplit(['\n', '\r']).next().unwrap_or_default();
    Pos::new(
        u32::try_from(breaks + 1).unwrap_or(u32::MAX),
        u32::try_from(last.chars().count() + 1).unwrap_or(u32::MAX),
    )
}

/// At the end of a text without a final line break the parser reports positions on
/// the line after the last one (it reads a virtual line break there), which an editor
/// cannot jump to; `end` (that text's [`end_of`], `None` for a text ending in a line
/// break) moves such a position to the end of the text. Found by the `lint_tree` and
/// `config` fuzz targets.
fn clamp(pos: Pos, end: Option<Pos>) -> Pos {
    match end {
        Some(end) if pos > end => end,
        _ => pos,
    }
}

/// [`end_of`] for a text that does not end in a line break (the only kind the parser
/// can report a position past); counting is skipped for the usual text that does.
fn end_if_unterminated(text: &str) -> Option<Pos> {
    (!text.is_empty() && !text.ends_with(['\n', '\r'])).then(|| end_of(text))
}

/// Byte offsets where each line of `text` starts, breaking lines as the parser does
/// (CR LF, CR and LF each end one).
fn line_starts_of(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    starts.extend(
        memchr::memchr2_iter(b'\n', b'\r', bytes)
            .filter(|&i| !(bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) == Some(&b'\n')))
            .map(|i| i + 1),
    );
    starts
}

/// Characters from `pos` to the last non-blank character of its line, `pos` included
/// (at least 1). A scalar that goes on to the next line has no comment on this one, and
/// its value is longer than this part, so a value edit (`lint --fix`) never takes it
/// for the whole scalar.
fn rest_of_line(text: &str, starts: &[usize], pos: Pos) -> u32 {
    let line = usize::try_from(pos.line)
        .unwrap_or(usize::MAX)
        .saturating_sub(1);
    let Some(&start) = starts.get(line) else {
        return 1;
    };
    let stop = starts.get(line + 1).copied().unwrap_or(text.len());
    let chars = text
        .get(start..stop)
        .unwrap_or_default()
        .trim_end()
        .chars()
        .count();
    u32::try_from(chars)
        .unwrap_or(u32::MAX)
        .saturating_sub(pos.col.saturating_sub(1))
        .max(1)
}

fn scan_error(err: &ScanError, text: &str) -> YamlError {
    YamlError {
        message: err.info().to_string(),
        pos: clamp(pos_of(err.marker()), Some(end_of(text))),
    }
}

fn to_id(n: usize) -> NodeId {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Parses every document of `text`.
pub fn parse(text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut builder = Builder::default();
    let end = end_if_unterminated(text);
    // Built on the first multi-line scalar only (most files have none).
    let mut line_starts: Option<Vec<usize>> = None;
    for event in Parser::new_from_str(text) {
        let (event, span) = match event {
            Ok(ev) => ev,
            Err(err) => {
                out.error = Some(scan_error(&err, text));
                return out;
            }
        };
        let pos = clamp(pos_of(&span.start), end);
        let mut width = u32::try_from(span.len()).unwrap_or(u32::MAX);
        if matches!(event, Event::Scalar(..)) && span.end.line() > span.start.line() {
            // A scalar folded over several lines: its caret (and a fix's span) stops at
            // the end of its first line, so it never points past the line it names.
            let starts = line_starts.get_or_insert_with(|| line_starts_of(text));
            width = width.min(rest_of_line(text, starts, pos));
        }
        if matches!(event, Event::DocumentStart(_)) {
            // Scalars copied into a document are at most the text left; reserving a
            // share up front avoids most of the regrowth that otherwise costs ~10%
            // of a parse. Sized from here (a character offset, so only a hint), not
            // the whole file, so a multi-document file does not reserve its size
            // once per document. Kubernetes YAML runs 9-13 bytes a node (measured on
            // the bench corpus), so a node per 8 bytes rarely has to regrow; at /12,
            // 60% of files did.
            let rest = text.len().saturating_sub(span.start.index());
            builder.text_hint = rest / 2;
            builder.node_hint = rest / 8;
        }
        match builder.event(event, pos, width) {
            Ok(Some(doc)) => out.documents.push(doc),
            Ok(None) => {}
            Err(err) => {
                out.error = Some(err);
                return out;
            }
        }
    }
    out
}

/// An open collection while building: its kind, position and anchor.
struct Frame {
    is_map: bool,
    pos: Pos,
    anchor: usize,
    /// Index into `Builder::stack` where this frame's children start.
    base: usize,
}

#[derive(Default)]
struct Builder {
    doc: Option<Document>,
    frames: Vec<Frame>,
    /// Children of open collections, flattened; each frame owns `stack[base..]`.
    stack: Vec<NodeId>,
    /// Initial capacity for a document's scalar text.
    text_hint: usize,
    /// Initial capacity for a document's nodes and children.
    node_hint: usize,
}

impl Builder {
    fn event(
        &mut self,
        event: Event<'_>,
        pos: Pos,
        width: u32,
    ) -> Result<Option<Document>, YamlError> {
        match event {
            Event::DocumentStart(_) => {
                self.frames.clear();
                self.stack.clear();
                self.doc = Some(Document {
                    nodes: Vec::with_capacity(self.node_hint),
                    children: Vec::with_capacity(self.node_hint),
                    text: String::with_capacity(self.text_hint),
                    anchors: HashMap::new(),
                    root: None,
                    start: pos,
                });
            }
            Event::DocumentEnd => return Ok(self.doc.take()),
            Event::Scalar(value, style, anchor, _tag) => {
                let doc = self.doc_mut(pos)?;
                let start = to_id(doc.text.len());
                doc.text.push_str(&value);
                let end = to_id(doc.text.len());
                let plain = matches!(style, ScalarStyle::Plain);
                // The parser's span of a quoted scalar can run on over a trailing
                // comment; a one-line quoted scalar is its value plus the quotes (and,
                // single-quoted, a doubled `'` per quote), so carets and fixes stop at
                // the closing quote.
                let chars = || u32::try_from(value.chars().count()).unwrap_or(u32::MAX);
                let width = match style {
                    ScalarStyle::SingleQuoted if !value.contains('\n') => width.min(
                        chars()
                            .saturating_add(u32::try_from(value.matches('\'').count()).unwrap_or(0))
                            .saturating_add(2),
                    ),
                    ScalarStyle::DoubleQuoted
                        if !value.contains(|c: char| c == '"' || c == '\\' || c.is_control()) =>
                    {
                        width.min(chars().saturating_add(2))
                    }
                    _ => width,
                };
                self.push(Kind::Scalar { start, end, plain }, pos, width, anchor)?;
            }
            Event::Alias(id) => self.push(Kind::Alias(to_id(id)), pos, width, 0)?,
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.frames.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                        pos,
                    });
                }
                self.doc_mut(pos)?;
                self.frames.push(Frame {
                    is_map: matches!(event, Event::MappingStart(..)),
                    pos,
                    anchor,
                    base: self.stack.len(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.frames.pop() else {
                    return Err(YamlError {
                        message: "unbalanced collection end".to_string(),
                        pos,
                    });
                };
                let doc = open_doc(&mut self.doc, pos)?;
                let start = to_id(doc.children.len());
                let items = self.stack.get(frame.base..).unwrap_or_default();
                doc.children.extend_from_slice(items);
                let count = to_id(items.len());
                self.stack.truncate(frame.base);
                let kind = if frame.is_map {
                    Kind::Map {
                        start,
                        len: count / 2,
                    }
                } else {
                    Kind::Seq { start, len: count }
                };
                self.push(kind, frame.pos, 1, frame.anchor)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(None)
    }

    fn doc_mut(&mut self, pos: Pos) -> Result<&mut Document, YamlError> {
        open_doc(&mut self.doc, pos)
    }
}

fn open_doc(doc: &mut Option<Document>, pos: Pos) -> Result<&mut Document, YamlError> {
    doc.as_mut().ok_or_else(|| YamlError {
        message: "content outside a document".to_string(),
        pos,
    })
}

impl Builder {
    fn push(&mut self, kind: Kind, pos: Pos, width: u32, anchor: usize) -> Result<(), YamlError> {
        let doc = open_doc(&mut self.doc, pos)?;
        let id = to_id(doc.nodes.len());
        doc.nodes.push(NodeData { kind, pos, width });
        if anchor != 0 {
            doc.anchors.insert(to_id(anchor), id);
        }
        if self.frames.is_empty() {
            doc.root = Some(id);
        } else {
            self.stack.push(id);
        }
        Ok(())
    }
}

impl Document {
    /// The root node, or `None` for an empty document.
    pub fn root(&self) -> Option<Node<'_>> {
        self.root.map(|id| Node { doc: self, id }.resolve())
    }

    /// Where the document starts (its `---` or first token).
    pub fn start(&self) -> Pos {
        self.start
    }
}

/// A borrowed view of one node of a [`Document`]; aliases are resolved on access.
#[derive(Debug, Clone, Copy)]
pub struct Node<'a> {
    doc: &'a Document,
    id: NodeId,
}

impl<'a> Node<'a> {
    fn data(&self) -> Option<&'a NodeData> {
        self.doc.nodes.get(self.id as usize)
    }

    fn kind(&self) -> Option<Kind> {
        self.data().map(|d| d.kind)
    }

    /// Follows aliases to the anchored node; an unknown alias stays as it is (and then
    /// reads as neither scalar nor collection).
    fn resolve(self) -> Self {
        let mut node = self;
        for _ in 0..MAX_ALIAS_HOPS {
            match node.kind() {
                Some(Kind::Alias(anchor)) => match node.doc.anchors.get(&anchor) {
                    Some(&id) => node = Node { doc: node.doc, id },
                    None => return node,
                },
                _ => return node,
            }
        }
        node
    }

    fn child(&self, index: u32) -> Option<Node<'a>> {
        let id = *self.doc.children.get(index as usize)?;
        Some(Node { doc: self.doc, id }.resolve())
    }

    /// Where this node starts in the source.
    pub fn pos(&self) -> Pos {
        self.data().map(|d| d.pos).unwrap_or_default()
    }

    /// Width of the node's source text in characters (scalars include their quotes;
    /// collections report 1).
    pub fn width(&self) -> u32 {
        self.data().map_or(1, |d| d.width.max(1))
    }

    /// The last line any part of this node starts on (bounded by [`MAX_DEPTH`]).
    pub fn last_line(&self) -> u32 {
        self.last_line_within(MAX_DEPTH)
    }

    fn last_line_within(&self, depth: usize) -> u32 {
        let own = self.pos().line;
        if depth == 0 {
            return own;
        }
        let entries = self
            .entries()
            .map(|(k, v)| k.pos().line.max(v.last_line_within(depth - 1)));
        let items = self.items().map(|i| i.last_line_within(depth - 1));
        entries.chain(items).fold(own, u32::max)
    }

    /// The scalar's text, for any scalar (plain or quoted); `None` for collections.
    pub fn scalar(&self) -> Option<&'a str> {
        match self.kind()? {
            Kind::Scalar { start, end, .. } => self.doc.text.get(start as usize..end as usize),
            _ => None,
        }
    }

    /// The scalar's text unless it is a YAML null (`~`, `null`, or empty, unquoted).
    pub fn as_str(&self) -> Option<&'a str> {
        if self.is_null() {
            return None;
        }
        self.scalar()
    }

    /// True for a plain `~`, `null`, `Null`, `NULL` or empty scalar.
    pub fn is_null(&self) -> bool {
        match self.kind() {
            Some(Kind::Scalar { plain: true, .. }) => {
                matches!(self.scalar(), Some("" | "~" | "null" | "Null" | "NULL"))
            }
            _ => false,
        }
    }

    /// True if the node is a plain `true`/`True`/`TRUE` scalar.
    pub fn is_true(&self) -> bool {
        matches!(self.kind(), Some(Kind::Scalar { plain: true, .. }))
            && matches!(self.scalar(), Some("true" | "True" | "TRUE"))
    }

    /// True for a mapping.
    pub fn is_map(&self) -> bool {
        matches!(self.kind(), Some(Kind::Map { .. }))
    }

    /// True for a sequence.
    pub fn is_seq(&self) -> bool {
        matches!(self.kind(), Some(Kind::Seq { .. }))
    }

    /// Key/value pairs of a mapping, in source order; empty for anything else.
    pub fn entries(&self) -> impl Iterator<Item = (Node<'a>, Node<'a>)> + 'a {
        let (start, len) = match self.kind() {
            Some(Kind::Map { start, len }) => (start, len),
            _ => (0, 0),
        };
        let this = *self;
        (0..len).filter_map(move |i| {
            let k = this.child(start + 2 * i)?;
            let v = this.child(start + 2 * i + 1)?;
            Some((k, v))
        })
    }

    /// Items of a sequence, in source order; empty for anything else.
    pub fn items(&self) -> impl Iterator<Item = Node<'a>> + 'a {
        let (start, len) = match self.kind() {
            Some(Kind::Seq { start, len }) => (start, len),
            _ => (0, 0),
        };
        let this = *self;
        (0..len).filter_map(move |i| this.child(start + i))
    }

    /// The value under a string key of a mapping.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value node under a string key of a mapping.
    pub fn entry(&self, key: &str) -> Option<(Node<'a>, Node<'a>)> {
        self.entries().find(|(k, _)| k.scalar() == Some(key))
    }

    /// Follows a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<Node<'a>> {
        keys.iter().try_fold(*self, |node, key| node.get(key))
    }

    /// The string at a path of mapping keys, ignoring nulls.
    pub fn str_at(&self, keys: &[&str]) -> Option<&'a str> {
        self.path(keys)?.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_carry_their_line_and_column() {
        let parsed = parse("a: 1\nspec:\n  version: \"1.2.3\"\n");
        assert!(parsed.error.is_none());
        let root = parsed.documents[0].root().unwrap();
        let v = root.path(&["spec", "version"]).unwrap();
        assert_eq!(v.as_str(), Some("1.2.3"));
        assert_eq!(v.pos(), Pos::new(3, 12));
        assert_eq!(v.width(), 7);
        assert_eq!(root.get("spec").unwrap().last_line(), 3);
    }

    #[test]
    fn a_scalar_folded_over_lines_has_a_caret_that_ends_on_its_first_line() {
        for (text, width) in [
            ("name: bp-velero\n v2\n", 9),
            ("name: bp-velero\r v2\r", 9),
            ("name: \"bp-velero\n v2\"\n", 10),
            ("name: x\n  y\n", 1),
            ("name: ab  \n c\n", 2),
            ("name: foo # note\n", 3),
            ("name: foo\n", 3),
            ("name: 'a''b' # note\n", 6),
        ] {
            let parsed = parse(text);
            assert!(parsed.error.is_none(), "{text:?}: {:?}", parsed.error);
            let name = parsed.documents[0].root().unwrap().get("name").unwrap();
            assert_eq!(name.pos(), Pos::new(1, 7), "{text:?}");
            assert_eq!(name.width(), width, "{text:?}");
        }
    }

    #[test]
    fn multi_document_files_yield_every_document() {
        let parsed = parse("---\na: 1\n---\nb: 2\n---\n");
        assert_eq!(parsed.documents.len(), 3);
        assert!(parsed.documents[2].root().unwrap().is_null());
        assert_eq!(parsed.documents[1].start(), Pos::new(3, 1));
    }

    #[test]
    fn envsubst_variables_and_placeholders_parse_as_plain_scalars() {
        let text = "url: https://gitea.${LOC}.${SOVEREIGN_FQDN}/org/x.git\nhost: <location-code>\n";
        let parsed = parse(text);
        assert!(parsed.error.is_none(), "{:?}", parsed.error);
        let root = parsed.documents[0].root().unwrap();
        assert_eq!(root.str_at(&["host"]), Some("<location-code>"));
    }

    #[test]
    fn invalid_yaml_reports_the_error_position_and_keeps_earlier_documents() {
        let parsed = parse("a: 1\n---\nb: [1, 2\nc: 3\n");
        assert_eq!(parsed.documents.len(), 1);
        let err = parsed.error.unwrap();
        assert!(err.pos.line >= 3, "{err:?}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let parsed = parse(&text);
        assert!(parsed.error.is_some());
        let block: String = (0..500).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let parsed = parse(&block);
        let err = parsed.error.expect("depth error");
        assert!(err.message.contains("nesting"), "{err:?}");
    }

    #[test]
    fn aliases_resolve_without_expansion() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..40 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        text.push_str("v: &v '9'\nw: *v\n");
        let parsed = parse(&text);
        assert!(parsed.error.is_none(), "{:?}", parsed.error);
        let root = parsed.documents[0].root().unwrap();
        assert_eq!(root.str_at(&["w"]), Some("9"));
        let first = root.get("a39").unwrap().items().next().unwrap();
        assert!(first.is_seq());
    }

    #[test]
    fn a_node_takes_24_bytes() {
        // Every node of every file passes through this struct: keep it small.
        assert_eq!(std::mem::size_of::<NodeData>(), 24);
    }

    #[test]
    fn empty_input_has_no_documents_and_no_error() {
        let parsed = parse("");
        assert!(parsed.error.is_none());
        assert!(
            parsed
                .documents
                .iter()
                .all(|d| d.root().is_none_or(|r| r.is_null()))
        );
    }
}
