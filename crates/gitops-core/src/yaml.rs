//! YAML reading and writing with kubectl's semantics: the project's only use of a YAML crate.
//!
//! Kubernetes clients read YAML 1.1-style (`yes`/`on`/`off` are booleans, `0755` is 493,
//! `1e3` is the number 1000). This module configures [`serde_saphyr`] to match what kubectl
//! sends, normalises numbers the way kubectl's JSON conversion does (an integral float such as
//! `1e3` or `09` becomes the integer `1000` / `9`), and splits a stream into documents itself so
//! that every document gets its own index, start line and parse budget.
//!
//! Most documents never reach serde-saphyr's deserializer: a fast path builds them from the
//! events of `granit-parser` (the parser under serde-saphyr) and resolves plain scalars the
//! same way; anchors, tags, merge keys, odd keys, rare number spellings and every error go
//! to serde-saphyr, so results and messages are the same either way.
//!
//! Known difference from kubectl: plain mapping keys such as `y`, `n`, `on` stay strings
//! (kubectl turns them into `"true"`/`"false"`).
//!
//! ```
//! use gitops_core::yaml;
//!
//! let docs = yaml::parse_documents("a: yes\nb: 0755\n---\n---\nc: 1e3\n")?;
//! assert_eq!(docs.len(), 2); // the empty document is skipped
//! assert_eq!(docs[0].value["a"], true);
//! assert_eq!(docs[0].value["b"], 493);
//! assert_eq!((docs[1].index, docs[1].line), (3, 4));
//! assert_eq!(docs[1].value["c"], 1000);
//! # Ok::<(), gitops_core::yaml::YamlError>(())
//! ```

use serde::Serialize;
use serde_json::{Number, Value};

mod fast;

/// One parsed document of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Position in the stream, counting from 1 (empty documents count too).
    pub index: usize,
    /// The line where the document's text starts, counting from 1.
    pub line: u32,
    /// The document's value, numbers normalised as kubectl sends them.
    pub value: Value,
}

/// A document that is not valid YAML (or JSON).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("document {document}: {}{message}", location(*.line, *.column))]
pub struct YamlError {
    /// The document, counting from 1.
    pub document: usize,
    /// The line in the whole stream, when the parser knows it.
    pub line: Option<u32>,
    /// The column, when the parser knows it.
    pub column: Option<u32>,
    /// What the parser said.
    pub message: String,
}

fn location(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!("line {line} column {column}: "),
        (Some(line), None) => format!("line {line}: "),
        _ => String::new(),
    }
}

/// The most YAML nodes one document may hold (a defence against alias bombs and huge inputs).
const MAX_NODES_PER_DOCUMENT: usize = 5_000_000;

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        legacy_octal_numbers: true,
        // Comments are not data; capturing them also caps runs of comment lines.
        emit_comments: false,
        budget: serde_saphyr::budget! {
            max_nodes: MAX_NODES_PER_DOCUMENT,
        },
        with_snippet: false,
    }
}

/// Parses a YAML (or JSON) stream into its non-empty documents.
///
/// Empty documents (nothing but comments, or `null`) are skipped but still counted by
/// [`Document::index`]. Text that starts with `{` or `[` is read as a JSON stream first.
pub fn parse_documents(text: &str) -> Result<Vec<Document>, YamlError> {
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if trimmed.starts_with(['{', '['])
        && let Ok(docs) = parse_json_stream(text)
    {
        return Ok(docs);
    }
    let mut out = Vec::new();
    for chunk in split_documents(text) {
        if chunk.is_blank() {
            continue;
        }
        let value = parse_chunk(&chunk)?;
        if !value.is_null() {
            out.push(Document {
                index: chunk.index,
                line: chunk.line,
                value,
            });
        }
    }
    Ok(out)
}

/// Parses a stream of JSON values (one, or several concatenated).
pub fn parse_json_stream(text: &str) -> Result<Vec<Document>, YamlError> {
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut index = 0;
    loop {
        let offset = stream.byte_offset();
        let Some(next) = stream.next() else { break };
        index += 1;
        let value = next.map_err(|e| YamlError {
            document: index,
            line: u32::try_from(e.line()).ok(),
            column: u32::try_from(e.column()).ok(),
            message: json_message(&e),
        })?;
        let skipped = &text[offset..stream.byte_offset()];
        let leading = skipped.len() - skipped.trim_start().len();
        let line = line_of(text, offset + leading);
        if !value.is_null() {
            out.push(Document {
                index,
                line,
                value: normalize(value),
            });
        }
    }
    Ok(out)
}

/// Parses one YAML document (for files such as `kustomization.yaml` or `values.yaml`).
///
/// An empty text is `null`. More than one document is an error.
pub fn parse_value(text: &str) -> Result<Value, YamlError> {
    let mut docs = parse_documents(text)?;
    match docs.len() {
        0 => Ok(Value::Null),
        1 => Ok(docs.remove(0).value),
        _ => Err(YamlError {
            document: docs[1].index,
            line: Some(docs[1].line),
            column: None,
            message: "expected a single document".to_owned(),
        }),
    }
}

/// Writes a value as YAML in Kubernetes' usual style (block style, ambiguous strings quoted).
pub fn to_string<T: Serialize>(value: &T) -> Result<String, serde_saphyr::ser::Error> {
    serde_saphyr::to_string(value)
}

/// Writes values as one multi-document YAML stream, separated by `---`.
pub fn to_string_multi<T: Serialize>(values: &[T]) -> Result<String, serde_saphyr::ser::Error> {
    let mut out = String::new();
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&serde_saphyr::to_string(value)?);
    }
    Ok(out)
}

fn json_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; we report the location ourselves.
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(pos) => text[..pos].to_owned(),
        None => text,
    }
}

fn line_of(text: &str, offset: usize) -> u32 {
    let newlines = text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

/// A document's text within a stream.
struct Chunk<'a> {
    index: usize,
    line: u32,
    text: &'a str,
}

impl Chunk<'_> {
    /// Nothing but blank lines, comments, directives and markers.
    fn is_blank(&self) -> bool {
        self.text.lines().all(|line| {
            let line = line.trim();
            line.is_empty()
                || line.starts_with('#')
                || line == "---"
                || line == "..."
                || line.starts_with("--- #")
                || line.starts_with('%')
        })
    }
}

fn is_start_marker(line: &str) -> bool {
    let line = line.trim_end_matches(['\r', '\n']);
    line == "---" || line.starts_with("--- ") || line.starts_with("---\t")
}

fn is_end_marker(line: &str) -> bool {
    let line = line.trim_end_matches(['\r', '\n']);
    line == "..." || line.starts_with("... ") || line.starts_with("...\t")
}

/// Splits a stream at its document markers (`---` starts, `...` ends a document).
///
/// A marker at column 0 always delimits documents in YAML, even inside block scalars, so
/// splitting lines is exact. Directives (`%YAML`) stay with the document they precede.
fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    // (from, to, first line, began with `---`)
    let mut spans: Vec<(usize, usize, u32, bool)> = Vec::new();
    let (mut start, mut start_line, mut explicit) = (0usize, 1u32, false);
    // The current chunk so far holds directives, which need the `---` that follows them.
    let mut directives = false;
    let (mut offset, mut line_no) = (0usize, 1u32);
    for line in text.split_inclusive('\n') {
        if is_start_marker(line) {
            if directives {
                directives = false;
            } else {
                spans.push((start, offset, start_line, explicit));
                start = offset;
                start_line = line_no;
            }
            explicit = true;
        } else if line.starts_with('%') {
            directives = true;
        }
        offset += line.len();
        line_no += 1;
        if is_end_marker(line) {
            spans.push((start, offset, start_line, explicit));
            start = offset;
            start_line = line_no;
            explicit = false;
            directives = false;
        }
    }
    spans.push((start, text.len(), start_line, explicit));

    let mut chunks = Vec::with_capacity(spans.len());
    let mut index = 0;
    for (from, to, line, explicit) in spans {
        let chunk = Chunk {
            index: index + 1,
            line,
            text: &text[from..to],
        };
        // Text before the first `---` (or after `...`) that holds no content is no document.
        if !explicit && chunk.is_blank() {
            continue;
        }
        index += 1;
        chunks.push(chunk);
    }
    chunks
}

fn parse_chunk(chunk: &Chunk<'_>) -> Result<Value, YamlError> {
    match fast::parse(chunk.text) {
        Some(value) => Ok(value),
        None => parse_chunk_slowly(chunk),
    }
}

/// [`parse_chunk`] through serde-saphyr: everything the fast path leaves, and every error.
fn parse_chunk_slowly(chunk: &Chunk<'_>) -> Result<Value, YamlError> {
    match serde_saphyr::from_str_with_options::<Value>(chunk.text, options()) {
        Ok(value) => Ok(normalize(value)),
        Err(err) => {
            let location = err.location();
            let mut message = err.without_snippet().to_string();
            let (mut line, mut column) = (None, None);
            if let Some(loc) = location.filter(|l| l.line() > 0) {
                let prefix = format!("line {} column {}: ", loc.line(), loc.column());
                if let Some(rest) = message.strip_prefix(&prefix) {
                    message = rest.to_owned();
                }
                message = shift_lines(&message, chunk.line - 1);
                let in_stream = u64::from(chunk.line) + loc.line() - 1;
                line = u32::try_from(in_stream).ok();
                column = u32::try_from(loc.column()).ok();
            }
            Err(YamlError {
                document: chunk.index,
                line,
                column,
                message,
            })
        }
    }
}

/// Moves "at line N" mentions inside a parser message from document lines to stream lines.
fn shift_lines(message: &str, offset: u32) -> String {
    const MARK: &str = "at line ";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(pos) = rest.find(MARK) {
        let (head, tail) = rest.split_at(pos + MARK.len());
        out.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        match tail[..digits].parse::<u32>() {
            Ok(line) => out.push_str(&(line.saturating_add(offset)).to_string()),
            Err(_) => out.push_str(&tail[..digits]),
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// Integral floats become integers, as kubectl's YAML-to-JSON conversion sends them.
fn normalize(mut value: Value) -> Value {
    normalize_in_place(&mut value);
    value
}

/// [`normalize`] without rebuilding maps and lists.
fn normalize_in_place(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(i) = integral(n) {
                *n = i;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_in_place),
        Value::Object(map) => map.values_mut().for_each(normalize_in_place),
        _ => {}
    }
}

fn integral(n: &Number) -> Option<Number> {
    let f = n.as_f64()?;
    // 2^63: beyond it an f64 cannot be an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_finite() && f.fract() == 0.0 && f.abs() < LIMIT {
        // Exact: f is integral and in range, so the cast neither truncates nor saturates.
        #[allow(clippy::cast_possible_truncation)]
        let i = f as i64;
        Some(Number::from(i))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What `kubectl label --local -o json` (v1.32) sends for each scalar.
    #[test]
    fn kubectl_scalar_semantics() {
        let text = "\
a: yes
b: on
c: off
d: y
e: n
f: 0755
g: 09
h: 1e3
i: ~
j: 0x1F
k: 1_000
l: .5
m: +12
o: NO
p: 0o17
r: 2001-12-14
s: 12:30:00
t: 1:20
u: 1.0
v: \"yes\"
";
        let docs = parse_documents(text).unwrap();
        assert_eq!(
            docs[0].value,
            json!({
                "a": true, "b": true, "c": false, "d": true, "e": false, "f": 493, "g": 9,
                "h": 1000, "i": null, "j": 31, "k": 1000, "l": 0.5, "m": 12, "o": false,
                "p": 15, "r": "2001-12-14", "s": "12:30:00", "t": "1:20", "u": 1, "v": "yes"
            })
        );
    }

    #[test]
    fn documents_indices_and_lines() {
        let text = "# header\n---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n---\nc: 3\n";
        let docs = parse_documents(text).unwrap();
        let summary: Vec<_> = docs.iter().map(|d| (d.index, d.line)).collect();
        assert_eq!(summary, vec![(1, 2), (3, 6), (4, 9)]);
        assert_eq!(docs[2].value, json!({"c": 3}));
    }

    #[test]
    fn first_document_without_marker() {
        let docs = parse_documents("a: 1\n---\nb: 2\n").unwrap();
        let summary: Vec<_> = docs.iter().map(|d| (d.index, d.line)).collect();
        assert_eq!(summary, vec![(1, 1), (2, 2)]);
    }

    #[test]
    fn block_scalar_with_dashes_inside_is_kept() {
        let docs = parse_documents("a: |\n  ---\n  x\nb: 1\n").unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].value["a"], "---\nx\n");
    }

    #[test]
    fn marker_with_content() {
        let docs = parse_documents("--- {a: 1}\n--- # c\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].value, json!({"a": 1}));
        assert_eq!(docs[1].value, json!({"b": 2}));
    }

    #[test]
    fn directive_stays_with_its_document() {
        let docs = parse_documents("%YAML 1.1\n---\na: 1\n").unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].index, 1);
        assert_eq!(docs[0].value, json!({"a": 1}));
    }

    #[test]
    fn error_lines_are_stream_lines() {
        let err = parse_documents("a: 1\n---\nb: [1, 2\nc: 3\n").unwrap_err();
        assert_eq!(err.document, 2);
        assert_eq!(err.line, Some(4));
        assert!(
            err.to_string().starts_with("document 2: line 4 column"),
            "{err}"
        );
    }

    #[test]
    fn lines_inside_messages_are_stream_lines() {
        let err = parse_documents("a: 1\n---\nb: 2\nc: [\n").unwrap_err();
        assert_eq!(err.line, Some(4));
        assert!(err.message.contains("at line 4"), "{err}");
        assert_eq!(
            shift_lines("x at line 2, column 3; at line 10", 5),
            "x at line 7, column 3; at line 15"
        );
    }

    #[test]
    fn long_runs_of_comments_are_fine() {
        let mut text = String::new();
        for i in 0..500 {
            text.push_str(&format!("# comment {i}\n"));
        }
        text.push_str("a: 1\n");
        assert_eq!(parse_documents(&text).unwrap()[0].value, json!({"a": 1}));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse_documents("a: 1\na: 2\n").unwrap_err();
        assert!(err.message.contains("duplicate mapping key"), "{err}");
        assert_eq!(err.line, Some(2));
    }

    #[test]
    fn non_finite_floats_are_errors() {
        assert!(parse_documents("a: .inf\n").is_err());
    }

    #[test]
    fn json_streams() {
        let docs = parse_documents("{\"a\": 1.0}\n\n{\"b\": [1e2]}").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].value, json!({"a": 1}));
        assert_eq!(docs[1].value, json!({"b": [100]}));
        assert_eq!((docs[1].index, docs[1].line), (2, 3));
    }

    #[test]
    fn json_error_has_location() {
        let err = parse_json_stream("{\"a\": 1,\n}").unwrap_err();
        assert_eq!(err.line, Some(2));
    }

    #[test]
    fn flow_yaml_that_is_not_json_falls_back() {
        let docs = parse_documents("{a: 1}").unwrap();
        assert_eq!(docs[0].value, json!({"a": 1}));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(parse_documents(&text).is_err());
    }

    #[test]
    fn single_value() {
        assert_eq!(parse_value("").unwrap(), Value::Null);
        assert_eq!(parse_value("a: 1").unwrap(), json!({"a": 1}));
        assert!(parse_value("a: 1\n---\nb: 2\n").is_err());
    }

    #[test]
    fn writes_block_yaml() {
        let out = to_string_multi(&[json!({"a": "yes", "b": [1]}), json!({"c": null})]).unwrap();
        assert_eq!(out, "a: \"yes\"\nb:\n- 1\n---\nc: null\n");
    }
}
