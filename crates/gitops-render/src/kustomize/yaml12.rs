//! kustomize reads resources as YAML 1.2 (`yes`, `no`, `on`, `off`, `y`, `n` are strings),
//! while the project's YAML module reads them as kubectl does (YAML 1.1 booleans).
//!
//! [`parse_documents`] parses with the project's module, then, only for texts where such a
//! word appears as a plain value, quotes those values and parses again. The second parse is
//! kept only if it differs from the first exactly by those booleans becoming strings, so a
//! misread line can never change anything else.

use gitops_core::yaml::{Document, YamlError};
use serde_json::Value;

/// The plain scalars YAML 1.1 reads as booleans and YAML 1.2 as strings.
const WORDS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
    "OFF",
];

fn is_word(s: &str) -> bool {
    WORDS.contains(&s)
}

/// Parses a stream the way kustomize reads resources.
pub(crate) fn parse_documents(text: &str) -> Result<Vec<Document>, YamlError> {
    let Some(fixed_text) = quote_words(text) else {
        return gitops_core::yaml::parse_documents(text);
    };
    let docs = gitops_core::yaml::parse_documents(text)?;
    let Ok(fixed) = gitops_core::yaml::parse_documents(&fixed_text) else {
        return Ok(docs);
    };
    if fixed.len() != docs.len()
        || !docs
            .iter()
            .zip(&fixed)
            .all(|(a, b)| a.index == b.index && only_words_changed(&a.value, &b.value))
    {
        return Ok(docs);
    }
    Ok(fixed)
}

/// True when `b` equals `a` except for 1.1 booleans that became their words.
fn only_words_changed(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Bool(x), Value::String(s)) => {
            is_word(s)
                && (matches!(s.as_bytes()[0], b'y' | b'Y') || s.eq_ignore_ascii_case("on")) == *x
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| only_words_changed(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| only_words_changed(v, w)))
        }
        _ => a == b,
    }
}

/// Quotes the words where they stand as plain values (after `key:`, after `- `, or as flow
/// collection items on one line), outside block scalars and comments. `None` when nothing
/// changed.
fn quote_words(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 16);
    let mut changed = false;
    let mut block: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let indent = content.len() - content.trim_start_matches(' ').len();
        if let Some(block_indent) = block {
            if content.trim().is_empty() || indent > block_indent {
                out.push_str(line);
                continue;
            }
            block = None;
        }
        let (new_line, opens_block) = fix_line(content, indent);
        if let Some(col) = opens_block {
            block = Some(col);
        }
        match new_line {
            Some(fixed) => {
                changed = true;
                out.push_str(&fixed);
                out.push_str(&line[content.len()..]);
            }
            None => out.push_str(line),
        }
    }
    changed.then_some(out)
}

/// Fixes one line; also says whether it opens a block scalar (and the column its content
/// must be indented beyond).
fn fix_line(line: &str, indent: usize) -> (Option<String>, Option<usize>) {
    let mut pos = indent;
    let bytes = line.as_bytes();
    if line[pos..].starts_with('#')
        || line[pos..].starts_with("---")
        || line[pos..].starts_with('%')
    {
        return (None, None);
    }
    let mut node_col = pos;
    loop {
        let rest = &line[pos..];
        if rest == "-" {
            return (None, None);
        }
        if rest.starts_with("- ") {
            node_col = pos;
            pos += 2;
            while pos < bytes.len() && bytes[pos] == b' ' {
                pos += 1;
            }
            continue;
        }
        break;
    }
    let value_start = match key_end(&line[pos..]) {
        Some(after_colon) => {
            node_col = pos;
            let mut p = pos + after_colon;
            while p < bytes.len() && bytes[p] == b' ' {
                p += 1;
            }
            p
        }
        None => pos,
    };
    let value = &line[value_start..];
    let value = match value.find(" #") {
        Some(i) => &value[..i],
        None => value,
    };
    let trimmed = value.trim_end();
    if trimmed.starts_with('|') || trimmed.starts_with('>') {
        return (None, Some(node_col));
    }
    if is_word(trimmed) {
        let mut fixed = String::with_capacity(line.len() + 2);
        fixed.push_str(&line[..value_start]);
        fixed.push('"');
        fixed.push_str(trimmed);
        fixed.push('"');
        fixed.push_str(&line[value_start + trimmed.len()..]);
        return (Some(fixed), None);
    }
    if ((trimmed.starts_with('[') && trimmed.ends_with(']'))
        || (trimmed.starts_with('{') && trimmed.ends_with('}')))
        && let Some(flow) = fix_flow(trimmed)
    {
        let mut fixed = String::with_capacity(line.len() + 8);
        fixed.push_str(&line[..value_start]);
        fixed.push_str(&flow);
        fixed.push_str(&line[value_start + trimmed.len()..]);
        return (Some(fixed), None);
    }
    (None, None)
}

/// The length up to and including the `:` of a `key:` at the start of `s`, if there is one.
fn key_end(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    if let Some(q @ (b'"' | b'\'')) = bytes.first().copied() {
        i = 1;
        while i < bytes.len() && bytes[i] != q {
            if q == b'"' && bytes[i] == b'\\' {
                i += 1;
            }
            i += 1;
        }
        i += 1;
        if bytes.get(i) == Some(&b':') && matches!(bytes.get(i + 1), None | Some(b' ' | b'\t')) {
            return Some(i + 1);
        }
        return None;
    }
    if matches!(
        bytes.first(),
        Some(b'[' | b'{' | b'|' | b'>' | b'&' | b'*' | b'!')
    ) {
        return None;
    }
    while i < bytes.len() {
        if bytes[i] == b':' && matches!(bytes.get(i + 1), None | Some(b' ' | b'\t')) {
            return Some(i + 1);
        }
        if bytes[i] == b'#' && i > 0 && bytes[i - 1] == b' ' {
            return None;
        }
        i += 1;
    }
    None
}

/// Quotes the words among the items of a one-line flow collection.
fn fix_flow(flow: &str) -> Option<String> {
    if flow.contains('#') {
        return None;
    }
    let mut out = String::with_capacity(flow.len() + 8);
    let mut changed = false;
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String, changed: &mut bool| {
        let t = token.trim();
        let (prefix, value) = match t.rsplit_once(": ") {
            Some((k, v)) => (Some(k), v.trim()),
            None => (None, t),
        };
        if is_word(value) {
            let lead = &token[..token.len() - token.trim_start().len()];
            let trail = &token[token.trim_end().len()..];
            out.push_str(lead);
            if let Some(k) = prefix {
                out.push_str(k);
                out.push_str(": ");
            }
            out.push('"');
            out.push_str(value);
            out.push('"');
            out.push_str(trail);
            *changed = true;
        } else {
            out.push_str(token);
        }
        token.clear();
    };
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in flow.chars() {
        if let Some(q) = quote {
            token.push(c);
            if escaped {
                escaped = false;
            } else if q == '"' && c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        if c == '"' || c == '\'' {
            quote = Some(c);
            token.push(c);
        } else if matches!(c, '[' | ']' | '{' | '}' | ',') {
            flush(&mut token, &mut out, &mut changed);
            out.push(c);
        } else {
            token.push(c);
        }
    }
    if quote.is_some() {
        return None;
    }
    flush(&mut token, &mut out, &mut changed);
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Value {
        parse_documents(text).unwrap().remove(0).value
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
    fn nothing_else_changes() {
        let text = "k: |\n  - yes\nm: noway\n";
        assert_eq!(parse(text), json!({"k": "- yes\n", "m": "noway"}));
        assert!(quote_words("name: Nginx\nimage: nope\n# yes\n").is_none());
    }
}
