//! The fast path of [`super::parse_documents`]: one document built straight from
//! `granit-parser`'s events (the parser serde-saphyr itself reads), without serde-saphyr's
//! deserializer layer.
//!
//! It covers what rendered manifests are made of — block and flow mappings and sequences,
//! quoted, block and plain scalars — and resolves plain scalars exactly as the slow path does
//! (serde-saphyr with the options of [`super::options`], then [`super::normalize`]). Anything
//! else gives up with `None` and the caller parses the document with serde-saphyr: anchors and
//! aliases, tags, merge keys, null or collection keys, duplicate keys, documents past the
//! slow path's depth, event or size budgets, and every syntax error (so error messages stay
//! serde-saphyr's). Plain scalars whose type is not obvious from their spelling (`0755`,
//! `1e3`, `0x1F`, `1_000`, `.5`, …) are resolved one by one by serde-saphyr itself.
//!
//! `tests/yaml_fast.rs` checks the two paths against each other on the corpus and on random
//! documents.

use std::borrow::Cow;

use granit_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Number, Value};

/// serde-saphyr's default depth budget (`Budget::max_depth`).
const MAX_DEPTH: usize = 64;
/// serde-saphyr's default event budget (`Budget::max_events`).
const MAX_EVENTS: usize = 1_000_000;
/// serde-saphyr's default budget for scalar text (`Budget::max_total_scalar_bytes`).
const MAX_SCALAR_BYTES: usize = 64 * 1024 * 1024;
/// The most plain scalars of one document handed to serde-saphyr one by one; past this, the
/// whole document goes to serde-saphyr (a document full of `0755`s costs no more than there).
const MAX_UNSURE: usize = 64;

/// A collection being built.
enum Frame {
    Seq(Vec<Value>),
    /// The mapping so far and the key whose value comes next.
    Map(Map<String, Value>, Option<String>),
}

/// Parses one document, or `None` when the slow path must decide.
pub(super) fn parse(text: &str) -> Option<Value> {
    let options = granit_parser::options! { emit_comments: false };
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Value> = None;
    let (mut scalar_bytes, mut unsure) = (0usize, 0usize);
    for (index, next) in Parser::new_from_str_with_options(text, options).enumerate() {
        // serde-saphyr counts every event, stream start and end too, and stops past the
        // budget: at the event whose index (from 0) is the budget.
        if index >= MAX_EVENTS {
            return None;
        }
        let (event, _span) = next.ok()?;
        let value = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::DocumentStart(..) if root.is_none() && stack.is_empty() => continue,
            Event::Scalar(text, style, anchor, tag) => {
                // Escapes such as `\L` make scalar text longer than its source, so the
                // budget is counted on the scalars themselves.
                scalar_bytes += text.len();
                if anchor != 0 || tag.is_some() || scalar_bytes > MAX_SCALAR_BYTES {
                    return None;
                }
                if let Some(Frame::Map(_, key @ None)) = stack.last_mut() {
                    *key = Some(map_key(text, style)?);
                    continue;
                }
                if style == ScalarStyle::Plain && classify(&text) == Plain::Unsure {
                    unsure += 1;
                    if unsure > MAX_UNSURE {
                        return None;
                    }
                }
                scalar(text, style)?
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                let is_map = matches!(event, Event::MappingStart(..));
                if anchor != 0 || tag.is_some() || stack.len() >= MAX_DEPTH || expects_key(&stack) {
                    return None;
                }
                stack.push(if is_map {
                    Frame::Map(Map::new(), None)
                } else {
                    Frame::Seq(Vec::new())
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop()? {
                Frame::Seq(items) => Value::Array(items),
                Frame::Map(map, None) => Value::Object(map),
                Frame::Map(_, Some(_)) => return None,
            },
            // Aliases, anchors, comments (not asked for) and anything newer.
            _ => return None,
        };
        match stack.last_mut() {
            None if root.is_none() => root = Some(value),
            None => return None,
            Some(Frame::Seq(items)) => items.push(value),
            Some(Frame::Map(map, key)) => {
                if map.insert(key.take()?, value).is_some() {
                    return None;
                }
            }
        }
    }
    if !stack.is_empty() {
        return None;
    }
    Some(root.unwrap_or(Value::Null))
}

fn expects_key(stack: &[Frame]) -> bool {
    matches!(stack.last(), Some(Frame::Map(_, None)))
}

/// A mapping key as the slow path reads it into a JSON object: its text, except for keys
/// that are null (`~`, empty) or a merge (`<<`).
///
/// serde-saphyr finds duplicate keys by text, except that plain keys which read as integers
/// are compared as integers (`1`, `01`, `0x1`, `+1` are one key). So a plain key is taken
/// only when it is no number at all, or an integer in its one decimal spelling.
fn map_key(text: Cow<'_, str>, style: ScalarStyle) -> Option<String> {
    if style == ScalarStyle::Plain {
        match classify(&text) {
            Plain::Str | Plain::Bool(_) => {}
            Plain::Number(_) if canonical_integer(&text) => {}
            _ => return None,
        }
        if text == "<<" {
            return None;
        }
    }
    Some(text.into_owned())
}

/// `0` or `-?[1-9][0-9]*`: the only spelling of its integer.
fn canonical_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" && digits.len() == text.len() || !digits.starts_with('0'))
}

fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// What a plain scalar's spelling says it is.
#[derive(Debug, PartialEq)]
pub(super) enum Plain {
    Null,
    Bool(bool),
    Str,
    Number(Number),
    /// Possibly a number in one of YAML's rarer spellings: serde-saphyr decides.
    Unsure,
}

/// The JSON value of a scalar event, or `None` when the slow path must decide.
fn scalar(text: Cow<'_, str>, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain {
        return Some(Value::String(text.into_owned()));
    }
    Some(match classify(&text) {
        Plain::Null => Value::Null,
        Plain::Bool(b) => Value::Bool(b),
        Plain::Str => Value::String(text.into_owned()),
        Plain::Number(n) => Value::Number(n),
        Plain::Unsure => resolve_slowly(&text)?,
    })
}

/// Letters that occur in some number spelling serde-saphyr accepts: hexadecimal digits,
/// radix prefixes (`0x`, `0o`, `0b`), exponents, and `inf`/`infinity`/`nan`.
fn number_letter(b: u8) -> bool {
    matches!(
        b.to_ascii_lowercase(),
        b'a'..=b'f' | b'x' | b'o' | b'i' | b'n' | b't' | b'y'
    )
}

/// Classifies a plain scalar the way serde-saphyr (YAML 1.1 booleans, legacy octal) and
/// kubectl's number normalisation resolve it, leaving the rare spellings [`Plain::Unsure`].
pub(super) fn classify(text: &str) -> Plain {
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else {
        return Plain::Null;
    };
    if first.is_ascii_alphabetic() || first == b'~' {
        if is_null(text) {
            return Plain::Null;
        }
        if bytes.len() <= 5
            && let Some(b) = yaml11_bool(text)
        {
            return Plain::Bool(b);
        }
        return if matches_ignore_case(text, &["inf", "infinity", "nan"]) {
            Plain::Unsure
        } else {
            Plain::Str
        };
    }
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.' | b'_')) {
        return Plain::Str;
    }
    if let Some(n) = simple_number(text) {
        return Plain::Number(n);
    }
    // Versions such as `6.7.0`: no number has two dots.
    if bytes.iter().all(|&b| b.is_ascii_digit() || b == b'.')
        && bytes.iter().filter(|&&b| b == b'.').count() > 1
    {
        return Plain::Str;
    }
    let numeric = bytes.iter().all(|&b| {
        b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'_' | b':') || number_letter(b)
    });
    if numeric { Plain::Unsure } else { Plain::Str }
}

fn matches_ignore_case(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.eq_ignore_ascii_case(w))
}

fn yaml11_bool(text: &str) -> Option<bool> {
    if matches_ignore_case(text, &["true", "yes", "y", "on"]) {
        Some(true)
    } else if matches_ignore_case(text, &["false", "no", "n", "off"]) {
        Some(false)
    } else {
        None
    }
}

/// `-?(0|[1-9][0-9]*)` and `-?(0|[1-9][0-9]*)\.[0-9]+` with few enough digits that the value
/// is exact (integers) or parsed exactly as Rust's `f64` parser does (as serde-saphyr does).
fn simple_number(text: &str) -> Option<Number> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match unsigned.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (int.len() > 1 && int.starts_with('0')) || int.len() > 18 {
        return None;
    }
    match frac {
        None => {
            if unsigned.len() == text.len() {
                text.parse::<u64>().ok().map(Number::from)
            } else {
                text.parse::<i64>().ok().map(Number::from)
            }
        }
        Some(frac) if digits(frac) && frac.len() <= 18 => {
            let f: f64 = text.parse().ok()?;
            Some(super::integral(&Number::from_f64(f)?).unwrap_or(Number::from_f64(f)?))
        }
        Some(_) => None,
    }
}

/// Resolves one plain scalar through serde-saphyr, as the value of a one-key mapping.
fn resolve_slowly(text: &str) -> Option<Value> {
    let doc = format!("k: {text}\n");
    let value = serde_saphyr::from_str_with_options::<Value>(&doc, super::options()).ok()?;
    match super::normalize(value) {
        Value::Object(mut map) if map.len() == 1 => {
            map.remove("k").filter(|v| !(v.is_array() || v.is_object()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse_chunk_slowly, split_documents};
    use super::*;
    use proptest::prelude::*;
    use std::path::{Path, PathBuf};

    /// Both paths on one stream: wherever the fast path answers, it answers as the slow one.
    /// Returns how many documents the fast path answered and how many the slow path read.
    fn compare(text: &str, origin: &str) -> (usize, usize) {
        let (mut fast, mut valid) = (0, 0);
        for chunk in split_documents(text) {
            let slow = parse_chunk_slowly(&chunk);
            valid += usize::from(slow.is_ok());
            let Some(value) = parse(chunk.text) else {
                continue;
            };
            fast += 1;
            assert_eq!(
                slow.as_ref(),
                Ok(&value),
                "{origin}, document {}:\n{}",
                chunk.index,
                chunk.text
            );
        }
        (fast, valid)
    }

    fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
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

    /// Every YAML file of the shared corpus and of this repository's fixtures and examples.
    #[test]
    fn corpus_and_fixtures_parse_alike() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in ["../shared/corpus", "crates", "examples", "deploy", "tests"] {
            yaml_files(&root.join(dir), &mut files);
        }
        let corpus = root.join("../shared/corpus");
        if !corpus.is_dir() {
            println!("skipping the corpus: {} is absent", corpus.display());
        }
        let (mut fast, mut valid) = (0, 0);
        for file in &files {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            let (f, v) = compare(&text, &file.display().to_string());
            fast += f;
            valid += v;
        }
        println!(
            "{} files, {valid} valid documents, {fast} on the fast path",
            files.len()
        );
        assert!(valid > 100, "too few documents found: {valid}");
        assert!(
            fast * 20 >= valid * 19,
            "only {fast} of {valid} on the fast path"
        );
    }

    #[test]
    fn leaves_the_rare_to_the_slow_path() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "<<: {a: 1}\n",
            "~: 1\n",
            "? [a]\n: 1\n",
            "a: 1\na: 2\n",
            "a: [1\n",
            "a: .inf\n",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
        assert_eq!(
            parse("a: 0755\nb: 1e3\nc: 12m\nd: -3\ne: 2.50\nf: \"1\"\ng:\nh: [x, {y: on}]\n"),
            Some(serde_json::json!({
                "a": 493, "b": 1000, "c": "12m", "d": -3, "e": 2.5, "f": "1", "g": null,
                "h": ["x", {"y": true}]
            }))
        );
    }

    /// Plain scalars built from the characters numbers, booleans and nulls are spelt with.
    fn plain_scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            "[-+.]?[0-9]{1,22}(\\.[0-9]{0,20})?([eE][-+]?[0-9]{1,4})?",
            "[-+]?0[xXoObB][0-9a-fA-F_]{0,20}",
            "[-+]?[0-9_.:]{1,12}",
            "[0-9]{0,3}(\\.[0-9]{0,3}){0,4}",
            "[-+.~_]?[a-zA-Z0-9_.:]{0,10}",
            "[0-9a-fA-FxXoObBeEiInNtTyY+._:-]{1,8}",
            prop::sample::select(vec![
                "inf", "Infinity", "NaN", ".inf", "-.Inf", "+.nan", ".NaN", "yes", "No", "ON", "y",
                "Y", "n", "~", "null", "NULL", "Null", "nULL", "0", "-0", "00", "0.0", "-0.0",
                "1.", ".5", "1_000", "0b101", "0o17", "0755", "09", "1e3", "1:20",
            ])
            .prop_map(str::to_owned),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// A plain scalar resolves on the fast path as serde-saphyr resolves it.
        #[test]
        fn plain_scalars_resolve_alike(s in plain_scalar()) {
            let slow = resolve_slowly(&s);
            // `None`: the spelling means structure or an error in a mapping value.
            if let Some(slow) = slow {
                prop_assert_eq!(scalar(Cow::Borrowed(&s), ScalarStyle::Plain), Some(slow), "{:?}", s);
            }
        }

        /// Documents of nested mappings and sequences, block or flow, with plain, quoted
        /// and block scalars, parse alike.
        #[test]
        fn documents_parse_alike(doc in document()) {
            compare(&doc, "generated");
        }
    }

    fn document() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            plain_scalar().prop_map(Node::Plain),
            "[a-z0-9 ]{0,8}".prop_map(Node::Quoted),
            "[a-z0-9 ]{0,8}".prop_map(Node::Literal),
        ];
        let node = leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Node::Seq),
                prop::collection::vec((key(), inner), 0..5).prop_map(Node::Map),
            ]
        });
        (node, any::<bool>()).prop_map(|(n, flow)| {
            let mut out = String::new();
            if flow {
                n.flow(&mut out);
                out.push('\n');
            } else {
                n.block(0, &mut out);
            }
            out
        })
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            // Few enough that keys of one mapping collide, as text or as integers.
            prop::sample::select(vec![
                "1", "01", "0x1", "+1", "0o1", "0b1", "0_1", "-0", "0", "00", "-1", "-0x1", "10",
                "1_0", "1.0", "yes", "true", "'1'", "\"01\"",
            ])
            .prop_map(str::to_owned),
            "[a-z][a-z0-9.-]{0,6}",
            plain_scalar(),
            plain_scalar().prop_map(|s| format!("{s:?}")),
            plain_scalar().prop_map(|s| format!("'{s}'")),
        ]
    }

    /// Seeds for the mutation test: manifests as charts render them.
    const SEEDS: &[&str] = &[
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app: web\n    version: 1.2.3\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: web\n          image: \"nginx:1.27\"\n          args: [--port, \"8080\", -v]\n          ports:\n          - containerPort: 8080\n            protocol: TCP\n          resources:\n            limits: {cpu: 100m, memory: 64Mi}\n",
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  script: |\n    #!/bin/sh\n    echo \"a: b\"\n  folded: >-\n    one\n    two\n  empty:\n  quoted: 'it''s'\n# trailing comment\n",
        "a:\n- b: 1\n  c: [1, 2.5, -3, 0x1F, 0755, yes, ~]\n- {d: e, f: \"g\"}\n- - nested\n  - 1e3\n",
    ];

    /// Seeds with random edits of characters that matter to YAML's syntax.
    fn mutated() -> impl Strategy<Value = String> {
        let edit = (
            any::<prop::sample::Index>(),
            0..3u8,
            prop::sample::select(vec![
                ":", "-", " ", "\n", "'", "\"", "[", "]", "{", "}", "#", "&a", "*a", "!", "|", ">",
                "?", ",", "\t", "  ", "---", "0", "y", "~", "<<", "%", "@", "\\",
            ]),
        );
        (
            prop::sample::select(SEEDS.to_vec()),
            prop::collection::vec(edit, 1..4),
        )
            .prop_map(|(seed, edits)| {
                let mut text = seed.to_owned();
                for (at, op, piece) in edits {
                    let mut i = at.index(text.len() + 1);
                    while !text.is_char_boundary(i) {
                        i -= 1;
                    }
                    match op {
                        0 => text.insert_str(i, piece),
                        1 => {
                            let end = (i + piece.len()).min(text.len());
                            if text.is_char_boundary(end) {
                                text.replace_range(i..end, piece);
                            }
                        }
                        _ => {
                            if i < text.len() {
                                text.remove(i);
                            }
                        }
                    }
                }
                text
            })
    }

    /// Broken and odd variants of real manifests: the fast path never accepts what
    /// serde-saphyr refuses, and never reads a document differently.
    #[test]
    fn mutated_manifests_parse_alike() {
        let cases = 3_000;
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases));
        let counts = std::cell::Cell::new((0, 0, 0));
        runner
            .run(&mutated(), |doc| {
                let (fast, valid) = compare(&doc, "mutated");
                let (f, v, n) = counts.get();
                counts.set((f + fast, v + valid, n + split_documents(&doc).len()));
                Ok(())
            })
            .unwrap();
        // Both kinds of input were seen: documents on the fast path and invalid ones.
        let (fast, valid, all) = counts.get();
        assert!(fast * 4 > all, "{fast} of {all} on the fast path");
        assert!(
            (all - valid) * 10 > all,
            "only {} of {all} invalid",
            all - valid
        );
    }

    /// Spellings at the edges of what the fast path takes.
    #[test]
    fn edge_cases_parse_alike() {
        for text in [
            "\"<<\": {a: 1}\n",
            "'<<': 1\n",
            "'~': 1\n",
            "\"\": 1\n",
            "? a\n: 1\n",
            "a: \"x\"\n\"a\": 2\n",
            "plain\n",
            "'q'\n",
            "a:\n  - b\n  -\n",
            "a: b\n  c\n",
            "a: 'b\n  c'\n",
            "\ta: 1\n",
            "a:\tb\n",
            "a: 1\r\nb: [x,\r\n  y]\r\n",
            "\u{feff}a: 1\n",
            "a: \"\\u00e9\\x41\\t\"\n",
            "a: >\n  one\n\n  two\n",
            "a: 18446744073709551616\nb: -9223372036854775809\nc: 123456789012345678\n",
            // Plain keys that are one integer in two spellings are duplicates.
            "1: a\n01: b\n",
            "{1: x, 0x1: y}\n",
            "1: x\n+1: y\n",
            "10: a\n1_0: b\n",
            "00: x\n0: y\n",
            "-0: x\n0: y\n",
            "-1: x\n-0x1: y\n",
            "? 01\n: 1\n? 1\n: 2\n",
            "18446744073709551616: x\n0x10000000000000000: y\n",
            "1: a\n\"01\": b\n'1': c\n",
            "yes: a\ntrue: b\n1.0: c\n1.00: d\n",
        ] {
            compare(text, "edge case");
        }
    }

    /// serde-saphyr's event budget counts the stream's start and end too: a sequence of
    /// 999,995 items is 1,000,001 events, one past it.
    #[test]
    fn event_budget_is_the_slow_paths() {
        for items in [999_994, 999_995] {
            let doc = "- 1\n".repeat(items);
            let fast = parse(&doc);
            let slow = parse_chunk_slowly(&split_documents(&doc)[0]);
            assert_eq!(slow.is_ok(), items == 999_994, "{items}");
            assert_eq!(fast.is_some(), items == 999_994, "{items}");
        }
    }

    /// Many plain scalars that only serde-saphyr can resolve send the whole document there.
    #[test]
    fn many_unsure_scalars_go_to_the_slow_path() {
        let doc = |n: usize| format!("[{}]", vec!["0755"; n].join(", "));
        assert_eq!(
            parse(&doc(MAX_UNSURE)).map(|v| v[0].clone()),
            Some(493.into())
        );
        assert_eq!(parse(&doc(MAX_UNSURE + 1)), None);
    }

    /// Nesting at serde-saphyr's depth budget and past it.
    #[test]
    fn depth_budget_is_the_slow_paths() {
        for depth in [62, 63, 64, 65, 66] {
            let flow = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let block: String = (0..depth)
                .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
                .collect::<String>()
                + &" ".repeat(depth)
                + "x\n";
            for doc in [flow, block] {
                let expected = if depth <= MAX_DEPTH { (1, 1) } else { (0, 0) };
                assert_eq!(
                    compare(&doc, &format!("depth {depth}")),
                    expected,
                    "{depth}"
                );
            }
        }
    }

    #[derive(Debug, Clone)]
    enum Node {
        Plain(String),
        Quoted(String),
        Literal(String),
        Seq(Vec<Node>),
        Map(Vec<(String, Node)>),
    }

    impl Node {
        fn flow(&self, out: &mut String) {
            match self {
                Node::Plain(s) => out.push_str(s),
                Node::Quoted(s) | Node::Literal(s) => out.push_str(&format!("{s:?}")),
                Node::Seq(items) => {
                    out.push('[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        item.flow(out);
                    }
                    out.push(']');
                }
                Node::Map(entries) => {
                    out.push('{');
                    for (i, (k, v)) in entries.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(k);
                        out.push_str(": ");
                        v.flow(out);
                    }
                    out.push('}');
                }
            }
        }

        /// Writes the node after a `key:` or `-` (or at the top), at `indent`.
        fn block(&self, indent: usize, out: &mut String) {
            let pad = " ".repeat(indent);
            match self {
                Node::Seq(items) if !items.is_empty() => {
                    for item in items {
                        out.push_str(&pad);
                        out.push('-');
                        item.after_indicator(indent + 2, out);
                    }
                }
                Node::Map(entries) if !entries.is_empty() => {
                    for (k, v) in entries {
                        out.push_str(&pad);
                        out.push_str(k);
                        out.push(':');
                        v.after_indicator(indent + 2, out);
                    }
                }
                other => {
                    out.push_str(&pad);
                    other.flow(out);
                    out.push('\n');
                }
            }
        }

        fn after_indicator(&self, indent: usize, out: &mut String) {
            match self {
                Node::Seq(items) if !items.is_empty() => {
                    out.push('\n');
                    self.block(indent, out);
                }
                Node::Map(entries) if !entries.is_empty() => {
                    out.push('\n');
                    self.block(indent, out);
                }
                Node::Literal(s) => {
                    out.push_str(" |\n");
                    for line in s.split(' ') {
                        out.push_str(&" ".repeat(indent));
                        out.push_str(line);
                        out.push('\n');
                    }
                }
                other => {
                    out.push(' ');
                    other.flow(out);
                    out.push('\n');
                }
            }
        }
    }
}
