//! The vendored saphyr-parser's one change (vendor/saphyr-parser/PATCHES.md): plain
//! scalars take runs of ASCII in one step when the input is a `&str`. The same input
//! with `without_plain_runs` is the parser as published, one character at a time; both
//! must give the same events, spans and errors on every repository fixture and on
//! generated documents full of the characters that end or continue a plain scalar.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

use std::path::Path;

use saphyr_parser::{Parser, StrInput};

/// Every event (with its span) up to the end or the first error, from both inputs.
fn both(text: &str) -> (Vec<String>, Vec<String>) {
    fn events<I: Iterator<Item = Result<T, E>>, T: std::fmt::Debug, E: std::fmt::Debug>(
        items: I,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for item in items {
            let failed = item.is_err();
            out.push(format!("{item:?}"));
            // The parser repeats its error if asked again.
            if failed || out.len() > 1_000_000 {
                break;
            }
        }
        out
    }
    (
        events(Parser::new(StrInput::new(text))),
        events(Parser::new(StrInput::new(text).without_plain_runs())),
    )
}

fn assert_same(text: &str, what: &str) {
    let (fast, published) = both(text);
    assert_eq!(fast, published, "{what}: {text:?}");
}

fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn every_fixture_parses_as_with_the_published_parser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["tests/fixtures", "examples", "deploy"] {
        yaml_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50, "found only {} YAML files", files.len());
    let mut events = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("fixture is UTF-8");
        let (fast, published) = both(&text);
        assert_eq!(fast, published, "{}", file.display());
        events += fast.len();
    }
    assert!(events > 5000, "only {events} events");
}

/// xorshift: deterministic, so a failure names a reproducible round.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn generated_plain_scalars_parse_as_with_the_published_parser() {
    // What can end, continue or break a plain scalar, in and out of flow context.
    let pieces = [
        "a", "bc", "x1", "v1.2.3", "http", "//", ":", ": ", ":x", " ", "  ", "\t", "#", " #", ",",
        "[", "]", "{", "}", "-", "- ", "?", "'", "\"", "|", ">", "&a", "*a", "!t", "%", "@", "`",
        "\n", "\n  ", "\r\n", "é", "日本", "\u{feff}", "\u{1}", "...", "---", "\u{7f}", "~", "=",
    ];
    let shapes = [
        "{s}",
        "key: {s}",
        "key: {s}\nnext: {s}",
        "- {s}\n- {s}",
        "[{s}, {s}]",
        "{{k: {s}, {s}: v}}",
        "a:\n  b: {s}\n  c:\n    - {s}",
        "k: {s}\n  {s}\n  {s}",
        "? {s}\n: {s}",
        "[a, {{b: {s}}}, [{s}]]",
    ];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for round in 0..4000 {
        let mut scalar = || {
            let n = (rng.next() % 12) as usize;
            (0..n).map(|_| rng.pick(&pieces)).collect::<String>()
        };
        let shape = shapes[round % shapes.len()];
        let mut text = String::new();
        let mut rest = shape;
        while let Some(at) = rest.find("{s}") {
            text.push_str(&rest[..at].replace("{{", "{").replace("}}", "}"));
            text.push_str(&scalar());
            rest = &rest[at + 3..];
        }
        text.push_str(&rest.replace("{{", "{").replace("}}", "}"));
        assert_same(&text, &format!("round {round}"));
    }
}

#[test]
fn long_scalars_and_positions_after_them() {
    // Runs far longer than the parser's lookahead buffer, then content whose marks
    // depend on the columns counted in the run.
    let long = "x".repeat(5000);
    for text in [
        format!("k: {long}\nnext: [a, b]\n"),
        format!("[{long}, {long}x:y]\n"),
        format!("{long}: v\n"),
        format!("k: {long} # comment\n  more: bad\n"),
        format!("- {long}\n  {long}\n- é{long}\n"),
    ] {
        assert_same(&text, "long");
    }
}
