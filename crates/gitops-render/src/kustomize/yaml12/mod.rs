//! kustomize reads resources as YAML 1.2 (`yes`, `no`, `on`, `off`, `y`, `n` are strings) and
//! turns plain dates into timestamps (`2021-01-02` prints as `"2021-01-02T00:00:00Z"`), while
//! the project's YAML module reads them as kubectl does (YAML 1.1 booleans, dates as strings).
//!
//! [`parse_documents`] parses with the project's module, then, only for texts where such a
//! value appears plain, quotes those values (dates in their timestamp form) and parses again.
//! The second parse is kept only if it differs from the first exactly by those values, so a
//! misread line can never change anything else.

use gitops_core::yaml::{Document, YamlError};
use serde_json::Value;

mod scan;
mod timestamp;

pub(crate) use timestamp::timestamp;

/// The plain scalars YAML 1.1 reads as booleans and YAML 1.2 as strings.
const WORDS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
    "OFF",
];

fn is_word(s: &str) -> bool {
    WORDS.contains(&s)
}

/// What the scanner writes for a mapping value left empty (`key:`), which kustomize treats
/// unlike an explicit `null` (a strategic merge patch drops it).
const EMPTY: &str = "__gitops_render_empty_value_5b1f__";

/// One parsed document, with where it left a mapping value empty.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub doc: Document,
    /// JSON pointers of the `null`s written as nothing at all (`key:`).
    pub empty_values: Vec<String>,
}

/// The parser keeps a bounded number of comments while it looks ahead (a defence of the YAML
/// module): a long run of commented-out lines, common in scaffolded kustomizations, exceeds
/// it. Such texts are read again with their comment lines blanked (outside block scalars, so
/// nothing else changes, line numbers included).
fn comment_budget_exceeded(e: &YamlError) -> bool {
    e.message.contains("too many buffered comments")
}

/// `gitops_core::yaml::parse_value`, with the fallback of [`comment_budget_exceeded`].
pub(crate) fn parse_value(text: &str) -> Result<Value, YamlError> {
    match gitops_core::yaml::parse_value(text) {
        Err(e) if comment_budget_exceeded(&e) => {
            gitops_core::yaml::parse_value(&scan::blank_comments(text))
        }
        other => other,
    }
}

/// `gitops_core::yaml::parse_documents`, with the fallback of [`comment_budget_exceeded`].
pub(crate) fn parse_plain_documents(text: &str) -> Result<Vec<Document>, YamlError> {
    match gitops_core::yaml::parse_documents(text) {
        Err(e) if comment_budget_exceeded(&e) => {
            gitops_core::yaml::parse_documents(&scan::blank_comments(text))
        }
        other => other,
    }
}

/// Parses a stream the way kustomize reads resources.
pub(crate) fn parse_documents(text: &str) -> Result<Vec<Parsed>, YamlError> {
    match parse_kustomize_documents(text) {
        Err(e) if comment_budget_exceeded(&e) => {
            parse_kustomize_documents(&scan::blank_comments(text))
        }
        other => other,
    }
}

fn parse_kustomize_documents(text: &str) -> Result<Vec<Parsed>, YamlError> {
    let plain = |docs: Vec<Document>| {
        docs.into_iter()
            .map(|doc| Parsed {
                doc,
                empty_values: Vec::new(),
            })
            .collect()
    };
    let Some(fixed_text) = scan::rewrite(text, true) else {
        return Ok(plain(gitops_core::yaml::parse_documents(text)?));
    };
    let docs = gitops_core::yaml::parse_documents(text)?;
    if let Some(out) = reconciled(&docs, &fixed_text) {
        return Ok(out);
    }
    // The empty values misled the scanner (a multi-line flow collection, say): words only.
    if let Some(words) = scan::rewrite(text, false)
        && let Some(out) = reconciled(&docs, &words)
    {
        return Ok(out);
    }
    Ok(plain(docs))
}

/// The documents of `fixed_text`, if they differ from `docs` only by the rewritten values.
fn reconciled(docs: &[Document], fixed_text: &str) -> Option<Vec<Parsed>> {
    let fixed = gitops_core::yaml::parse_documents(fixed_text).ok()?;
    if fixed.len() != docs.len() {
        return None;
    }
    let mut out = Vec::with_capacity(docs.len());
    for (a, mut b) in docs.iter().zip(fixed) {
        let mut empty_values = Vec::new();
        let mut path = String::new();
        if a.index != b.index || !reconcile(&a.value, &mut b.value, &mut path, &mut empty_values) {
            return None;
        }
        out.push(Parsed {
            doc: b,
            empty_values,
        });
    }
    Some(out)
}

/// True when `b` equals `a` except for the rewritten values: 1.1 booleans that became their
/// words, dates that became timestamps, empty values (set back to null in `b`, their
/// pointers collected).
fn reconcile(a: &Value, b: &mut Value, path: &mut String, empties: &mut Vec<String>) -> bool {
    match (a, &mut *b) {
        (Value::String(x), Value::String(y)) => x == y || timestamp(x).as_deref() == Some(y),
        (Value::Bool(x), Value::String(s)) => {
            (is_word(s)
                && (matches!(s.as_bytes()[0], b'y' | b'Y') || s.eq_ignore_ascii_case("on")) == *x)
                || scalar_not_string(s)
        }
        (Value::Null, Value::String(s)) if s == EMPTY => {
            empties.push(path.clone());
            *b = Value::Null;
            true
        }
        (Value::Number(_) | Value::Null, Value::String(s)) => scalar_not_string(s),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len()
                && x.iter().zip(y.iter_mut()).enumerate().all(|(i, (p, q))| {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&i.to_string());
                    let ok = reconcile(p, q, path, empties);
                    path.truncate(len);
                    ok
                })
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    let Some(w) = y.get_mut(k) else {
                        return false;
                    };
                    let len = path.len();
                    path.push('/');
                    path.push_str(&k.replace('~', "~0").replace('/', "~1"));
                    let ok = reconcile(v, w, path, empties);
                    path.truncate(len);
                    ok
                })
        }
        (a, b) => a == &*b,
    }
}

/// A plain scalar YAML reads as a number, a boolean or null (and that is safe to quote).
fn scalar_not_string(text: &str) -> bool {
    if text.is_empty() || text.contains(['"', '\\', '\'', ' ', '#', ':', ',', '[', '{']) {
        return false;
    }
    matches!(
        text,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" | "null" | "Null" | "NULL" | "~"
    ) || text.replace('_', "").parse::<f64>().is_ok()
        || text.starts_with("0x")
        || text.starts_with("0o")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Value {
        parse_documents(text).unwrap().remove(0).doc.value
    }

    #[test]
    fn words_stay_strings() {
        let v = parse(
            "a: yes\nb: [on, off, x]\nc:\n- N\n- {k: y, z: 1}\nd: |\n  yes\n  no\ne: true\nf: \"no\" # c\ng: no # comment\nh: [{n: N, v: \"a, b\"}]\n",
        );
        assert_eq!(
            v,
            json!({"a": "yes", "b": ["on", "off", "x"], "c": ["N", {"k": "y", "z": 1}],
                "d": "yes\nno\n", "e": true, "f": "no", "g": "no", "h": [{"n": "N", "v": "a, b"}]})
        );
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            timestamp("2001-12-14").as_deref(),
            Some("2001-12-14T00:00:00Z")
        );
        assert_eq!(
            timestamp("2001-1-2").as_deref(),
            Some("2001-01-02T00:00:00Z")
        );
        assert_eq!(
            timestamp("2001-12-14t21:59:43.10-05:00").as_deref(),
            Some("2001-12-14T21:59:43.1-05:00")
        );
        assert_eq!(
            timestamp("2001-12-14 21:59:43.10").as_deref(),
            Some("2001-12-14T21:59:43.1Z")
        );
        assert_eq!(timestamp("2001-02-30"), None);
        assert_eq!(timestamp("2001-12-14x"), None);
        let v = parse("d: 2021-01-02\nq: \"2021-01-02\"\n");
        assert_eq!(v, json!({"d": "2021-01-02T00:00:00Z", "q": "2021-01-02"}));
    }

    #[test]
    fn empty_values_are_found() {
        let text = "a:\nb: null\nc: # comment\n  # more\nd:\n- x\ne:\n  f:\n  g: ~\nh:\n  - i:\n    j: 1\nk: |\n  l:\nm:";
        let parsed = parse_documents(text).unwrap().remove(0);
        assert_eq!(
            parsed.doc.value,
            json!({"a": null, "b": null, "c": null, "d": ["x"], "e": {"f": null, "g": null},
                "h": [{"i": null, "j": 1}], "k": "l:\n", "m": null})
        );
        assert_eq!(parsed.empty_values, ["/a", "/c", "/e/f", "/h/0/i", "/m"]);
    }

    #[test]
    fn a_misleading_flow_collection_keeps_the_words_fixed() {
        // The scanner cannot tell that `b:` is inside a flow mapping spread over lines.
        let text = "x: yes\na: {\n  b: 1,\n  c:\n  }\n";
        let parsed = parse_documents(text).unwrap().remove(0);
        assert_eq!(
            parsed.doc.value,
            json!({"x": "yes", "a": {"b": 1, "c": null}})
        );
    }

    #[test]
    fn long_comment_runs_are_read() {
        let comments: String = (0..200).map(|i| format!("# {i}\n")).collect();
        let text = format!("a:\n- x\n{comments}- z\nb: |\n  # kept\n{comments}c: 1\n");
        let expected = json!({"a": ["x", "z"], "b": "# kept\n", "c": 1});
        assert_eq!(parse_value(&text).unwrap(), expected);
        assert_eq!(parse(&text), expected);
        let blanked = scan::blank_comments(&text);
        assert_eq!(blanked.lines().count(), text.lines().count());
        assert!(blanked.contains("  # kept\n"));
    }

    #[test]
    fn the_marker_is_written_as_itself() {
        assert_eq!(scan::EMPTY_TEXT, format!(" \"{EMPTY}\""));
    }

    #[test]
    fn nothing_else_changes() {
        let text = "k: |\n  - yes\nm: noway\n";
        assert_eq!(parse(text), json!({"k": "- yes\n", "m": "noway"}));
        assert!(scan::rewrite("name: Nginx\nimage: nope\n# yes\n", true).is_none());
    }
}
