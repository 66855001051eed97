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
        (Value::String(x), Value::String(y)) => x == y || timestamp(x).as_deref() == Some(y),
        (Value::Bool(x), Value::String(s)) => {
            (is_word(s)
                && (matches!(s.as_bytes()[0], b'y' | b'Y') || s.eq_ignore_ascii_case("on")) == *x)
                || scalar_not_string(s)
        }
        (Value::Number(_) | Value::Null, Value::String(s)) => scalar_not_string(s),
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
    // The keys (with their columns) of the mappings around the current line.
    let mut keys: Vec<(usize, String)> = Vec::new();
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
        if content.trim_start().starts_with("---") {
            keys.clear();
        }
        let key = line_key(content, indent);
        if let Some((col, _)) = &key {
            keys.retain(|(c, _)| c < col);
        }
        // kustomize rewrites the object's annotations as strings of their text at the end.
        let in_annotations =
            keys.len() == 2 && keys[0].1 == "metadata" && keys[1].1 == "annotations";
        if let Some(k) = key {
            keys.push(k);
        }
        let (new_line, opens_block) = fix_line(content, indent, !in_annotations);
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

/// The key of a `key:` line (after any `- `), with its column.
fn line_key(line: &str, indent: usize) -> Option<(usize, String)> {
    let mut pos = indent;
    while line[pos..].starts_with("- ") {
        pos += 2;
        while line[pos..].starts_with(' ') {
            pos += 1;
        }
    }
    let end = key_end(&line[pos..])?;
    let key = line[pos..pos + end - 1].trim().trim_matches(['"', '\'']);
    Some((pos, key.to_owned()))
}

/// Fixes one line; also says whether it opens a block scalar (and the column its content
/// must be indented beyond).
fn fix_line(line: &str, indent: usize, dates: bool) -> (Option<String>, Option<usize>) {
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
    let replacement = if is_word(trimmed) || (!dates && scalar_not_string(trimmed)) {
        // In annotations (`!dates`), kustomize keeps the text of numbers, booleans and nulls.
        Some(trimmed.to_owned())
    } else if dates {
        timestamp(trimmed)
    } else {
        None
    };
    if let Some(text) = replacement {
        let mut fixed = String::with_capacity(line.len() + 24);
        fixed.push_str(&line[..value_start]);
        fixed.push('"');
        fixed.push_str(&text);
        fixed.push('"');
        fixed.push_str(&line[value_start + trimmed.len()..]);
        return (Some(fixed), None);
    }
    if ((trimmed.starts_with('[') && trimmed.ends_with(']'))
        || (trimmed.starts_with('{') && trimmed.ends_with('}')))
        && let Some(flow) = fix_flow(trimmed, dates)
    {
        let mut fixed = String::with_capacity(line.len() + 8);
        fixed.push_str(&line[..value_start]);
        fixed.push_str(&flow);
        fixed.push_str(&line[value_start + trimmed.len()..]);
        return (Some(fixed), None);
    }
    (None, None)
}

/// A plain YAML timestamp as Go prints the time it reads (RFC 3339, fraction without trailing
/// zeros, UTC as `Z`); `None` for anything else. Accepts `2006-1-2`, with `T`/`t` and a time
/// with an optional fraction and zone (`Z`, `+07:00`), or with a space and a zoneless time.
pub(crate) fn timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let num = |t: &str, max: u32, min: u32| -> Option<u32> {
        if t.is_empty() || t.len() > 2 || !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse::<u32>().ok().filter(|v| (min..=max).contains(v))
    };
    let (date, rest) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some((&s[i..=i], &s[i + 1..]))),
        None => (s, None),
    };
    let mut parts = date.splitn(3, '-');
    let year = parts.next()?;
    let month = num(parts.next()?, 12, 1)?;
    let day = num(parts.next()?, 31, 1)?;
    let days_in_month = match month {
        2 => {
            let y: u32 = year.parse().ok()?;
            if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) {
                29
            } else {
                28
            }
        }
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day > days_in_month {
        return None;
    }
    let Some((sep, time)) = rest else {
        return Some(format!("{year}-{month:02}-{day:02}T00:00:00Z"));
    };
    let (clock, zone) = if sep == " " {
        (time, "Z".to_owned())
    } else if let Some(c) = time.strip_suffix('Z') {
        (c, "Z".to_owned())
    } else {
        let i = time.rfind(['+', '-'])?;
        let zone = &time[i..];
        let (h, m) = zone[1..].split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        num(h, 23, 0)?;
        num(m, 59, 0)?;
        let zone = if &zone[1..] == "00:00" {
            "Z".to_owned()
        } else {
            zone.to_owned()
        };
        (&time[..i], zone)
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, f))
            if !f.is_empty() && f.len() <= 9 && f.bytes().all(|c| c.is_ascii_digit()) =>
        {
            (hms, f.trim_end_matches('0'))
        }
        Some(_) => return None,
        None => (clock, ""),
    };
    let mut fields = hms.split(':');
    let hour = num(fields.next()?, 23, 0)?;
    let minute = num(fields.next()?, 59, 0)?;
    let second = num(fields.next()?, 59, 0)?;
    if fields.next().is_some() {
        return None;
    }
    let fraction = if fraction.is_empty() {
        String::new()
    } else {
        format!(".{fraction}")
    };
    Some(format!(
        "{year}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}{zone}"
    ))
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
fn fix_flow(flow: &str, dates: bool) -> Option<String> {
    if flow.contains('#') {
        return None;
    }
    let mut out = String::with_capacity(flow.len() + 8);
    let mut changed = false;
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String, changed: &mut bool| {
        let _ = dates;
        let t = token.trim();
        let (prefix, value) = match t.rsplit_once(": ") {
            Some((k, v)) => (Some(k), v.trim()),
            None => (None, t),
        };
        let replacement = if is_word(value) {
            Some(value.to_owned())
        } else if dates {
            timestamp(value)
        } else {
            None
        };
        if let Some(text) = replacement {
            let lead = &token[..token.len() - token.trim_start().len()];
            let trail = &token[token.trim_end().len()..];
            out.push_str(lead);
            if let Some(k) = prefix {
                out.push_str(k);
                out.push_str(": ");
            }
            out.push('"');
            out.push_str(&text);
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
    fn nothing_else_changes() {
        let text = "k: |\n  - yes\nm: noway\n";
        assert_eq!(parse(text), json!({"k": "- yes\n", "m": "noway"}));
        assert!(quote_words("name: Nginx\nimage: nope\n# yes\n").is_none());
    }
}
