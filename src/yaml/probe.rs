//! A parse that keeps no tree: for files where a rule needs one fact from the top of
//! each document (values.yaml: is there a `global.imageRegistry`?), building the arena
//! is most of the cost beyond the parser itself. The probe reads the same parser
//! events, applies the same depth limit and stops at the same errors as [`parse`], so
//! it reports the same documents and the same syntax error; it just remembers less.
//!
//! [`parse`]: super::parse

use saphyr_parser::{Event, Parser};

use super::{MAX_DEPTH, Pos, YamlError, pos_of, scan_error};

/// What [`probe`] saw in one complete document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// Where the document starts.
    pub start: Pos,
    /// Whether its root is a mapping.
    pub root_is_map: bool,
    /// Where the first top-level `key` is, if the root is a mapping with one.
    pub key: Option<Pos>,
    /// Whether that key's value is a mapping that has `child` among its keys.
    pub has_child: bool,
}

/// Every complete document's [`Probe`], and the syntax error that stopped the parse,
/// as [`super::Parsed`] has them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probed {
    /// Complete documents in file order.
    pub documents: Vec<Probe>,
    /// The error that stopped parsing, if any.
    pub error: Option<YamlError>,
}

/// One open collection.
struct Frame {
    is_map: bool,
    /// In a mapping: the next node is a key.
    key_next: bool,
    /// This is the mapping under the top-level `key`.
    is_target: bool,
}

/// Probes every document of `text` for the top-level `key` and, in its mapping value,
/// `child`. Returns `None` where the answer hangs on an alias (an alias as a key at
/// either level, or as the key's value): [`super::Node`] resolves those through the
/// whole document, so the caller parses the file in full instead. (So does content
/// outside a document, which the parser never produces and the full parse reports.)
pub fn probe(text: &str, key: &str, child: &str) -> Option<Probed> {
    let mut out = Probed::default();
    let mut doc: Option<Probe> = None;
    let mut frames: Vec<Frame> = Vec::new();
    // The next node is the value of the first top-level `key`.
    let mut target_value_next = false;
    for event in Parser::new_from_str(text) {
        let (event, span) = match event {
            Ok(ev) => ev,
            Err(err) => {
                out.error = Some(scan_error(&err, text));
                return Some(out);
            }
        };
        let pos = pos_of(&span.start);
        // A node starts: is it a key, in which mapping, and is it the target's value?
        let starts_node = matches!(
            event,
            Event::Scalar(..)
                | Event::Alias(_)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
        );
        let mut is_key_in = None;
        let mut is_target_value = false;
        if starts_node {
            let at_root = frames.len() == 1;
            if let Some(parent) = frames.last_mut()
                && parent.is_map
            {
                if parent.key_next {
                    is_key_in = Some(if at_root {
                        Level::Root
                    } else if parent.is_target {
                        Level::Target
                    } else {
                        Level::Other
                    });
                }
                parent.key_next = !parent.key_next;
            }
            if at_root && is_key_in.is_none() {
                is_target_value = std::mem::take(&mut target_value_next);
            }
        }
        match event {
            Event::DocumentStart(_) => {
                frames.clear();
                target_value_next = false;
                doc = Some(Probe {
                    start: pos,
                    root_is_map: false,
                    key: None,
                    has_child: false,
                });
            }
            Event::DocumentEnd => {
                if let Some(done) = doc.take() {
                    out.documents.push(done);
                }
            }
            Event::Scalar(value, ..) => {
                let current = doc.as_mut()?;
                match is_key_in {
                    Some(Level::Root) if current.key.is_none() && value == key => {
                        current.key = Some(pos);
                        target_value_next = true;
                    }
                    Some(Level::Target) if value == child => current.has_child = true,
                    _ => {}
                }
            }
            Event::Alias(_) => {
                if matches!(is_key_in, Some(Level::Root | Level::Target)) || is_target_value {
                    return None;
                }
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if frames.len() >= MAX_DEPTH {
                    out.error = Some(YamlError {
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                        pos,
                    });
                    return Some(out);
                }
                let is_map = matches!(event, Event::MappingStart(..));
                let current = doc.as_mut()?;
                if frames.is_empty() {
                    current.root_is_map = is_map;
                }
                frames.push(Frame {
                    is_map,
                    key_next: true,
                    is_target: is_map && is_target_value,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                frames.pop();
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
    Some(out)
}

/// Which mapping a key belongs to.
#[derive(Clone, Copy)]
enum Level {
    Root,
    Target,
    Other,
}

/// values.yaml shapes the probe must read as the full parse does: flow and block,
/// complex, quoted and duplicate keys, several documents, errors mid-file, stand-ins.
#[cfg(test)]
pub(crate) const CASES: &[&str] = tests::CASES;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    /// The same facts read from the full parse, the way `model::view` reads them.
    fn from_tree(text: &str, key: &str, child: &str) -> Probed {
        let parsed = parse(text);
        Probed {
            documents: parsed
                .documents
                .iter()
                .map(|d| {
                    let root = d.root().filter(|r| r.is_map());
                    let entry = root.and_then(|r| r.entry(key));
                    Probe {
                        start: d.start(),
                        root_is_map: root.is_some(),
                        key: entry.map(|(k, _)| k.pos()),
                        has_child: entry.is_some_and(|(_, v)| v.get(child).is_some()),
                    }
                })
                .collect(),
            error: parsed.error,
        }
    }

    pub(super) const CASES: &[&str] = &[
        "",
        "global:\n  imageRegistry: ''\n",
        "global:\n  imageRegistry:\n",
        "global: {}\n",
        "global: ~\n",
        "global: [imageRegistry]\n",
        "global: imageRegistry\n",
        "image: x\nglobal:\n  other: 1\n  imageRegistry: harbor\n",
        "a:\n  global:\n    imageRegistry: x\n",
        "global:\n  nested:\n    imageRegistry: x\n",
        "global:\n  - imageRegistry: x\n",
        "\"global\":\n  'imageRegistry': x\n",
        "{global: {imageRegistry: x}}\n",
        "? global\n: imageRegistry: x\n",
        "? [global]\n: {imageRegistry: x}\nglobal: {imageRegistry: y}\n",
        "global: {}\nglobal: {imageRegistry: x}\n",
        "global:\n  imageRegistry: x\nglobal: {}\n",
        "x: &a {imageRegistry: 1}\nglobal: {k: *a}\n",
        "global: &g\n  imageRegistry: x\nother: *g\n",
        "- global\n- imageRegistry\n",
        "plain scalar\n",
        "global:\n  imageRegistry: x\n---\nimage: y\n---\n- a\n",
        "---\n---\nglobal: {imageRegistry: x}\n",
        "global:\n  imageRegistry: x\n---\nbad: [unclosed\n",
        "global:\n  imageRegistry: x\n  bad: \"unclosed\n",
        "global: {imageRegistry: x, y: [1, 2, {z: 3}]}\nglobal2: 1\n",
        "imageRegistry: x\nglobal:\n  global: 1\n",
        "${VAR}: x\nglobal:\n  imageRegistry: <registry>\n",
    ];

    #[test]
    fn the_probe_sees_what_the_full_parse_sees() {
        for text in CASES {
            let probed = probe(text, "global", "imageRegistry").expect("no alias in the way");
            assert_eq!(
                probed,
                from_tree(text, "global", "imageRegistry"),
                "{text:?}"
            );
        }
    }

    #[test]
    fn deep_nesting_stops_both_at_the_same_place() {
        let deep = format!("global:\n  imageRegistry: {}\n", "[".repeat(200));
        let probed = probe(&deep, "global", "imageRegistry").expect("no alias");
        assert!(probed.error.is_some());
        assert_eq!(probed, from_tree(&deep, "global", "imageRegistry"));
    }

    #[test]
    fn an_alias_where_the_answer_depends_on_it_defers_to_the_full_parse() {
        for text in [
            "base: &b {imageRegistry: x}\nglobal: *b\n",
            "k: &k global\n*k : {imageRegistry: x}\n",
            "r: &r imageRegistry\nglobal: {*r : x}\n",
        ] {
            assert_eq!(probe(text, "global", "imageRegistry"), None, "{text:?}");
        }
        // An alias anywhere else does not matter.
        let text = "a: &a 1\nb: *a\nglobal: {imageRegistry: *a}\n";
        let probed = probe(text, "global", "imageRegistry").expect("alias is irrelevant");
        assert_eq!(probed, from_tree(text, "global", "imageRegistry"));
    }
}
