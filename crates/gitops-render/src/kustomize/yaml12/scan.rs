//! The line scanner behind [`super::parse_documents`]: rewrites the plain values kustomize
//! reads differently from the project's YAML module.

use super::timestamp::timestamp;
use super::{is_word, scalar_not_string};

/// Quotes the words where they stand as plain values (after `key:`, after `- `, or as flow
/// collection items on one line), outside block scalars and comments. With `empties`, also
/// gives each empty mapping value the [`super::EMPTY`] marker. `None` when nothing changed.
pub(super) fn rewrite(text: &str, empties: bool) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 16);
    let mut changed = false;
    let mut block: Option<usize> = None;
    // The keys (with their columns) of the mappings around the current line.
    let mut keys: Vec<(usize, String)> = Vec::new();
    // A `key:` line without a value: where its value would go, and its key's column.
    let mut pending: Option<(usize, usize)> = None;
    let mut inserts: Vec<usize> = Vec::new();
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
        let rest = &content[indent..];
        if !rest.is_empty()
            && !rest.starts_with('#')
            && let Some((at, col)) = pending.take()
        {
            // A more indented line, or a list at the key's column, is the key's value.
            let nested = indent > col || (indent == col && (rest == "-" || rest.starts_with("- ")));
            if !nested {
                inserts.push(at);
            }
        }
        if rest.starts_with("---") {
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
        let fix = fix_line(content, indent, !in_annotations);
        if let Some(col) = fix.opens_block {
            block = Some(col);
        }
        if empties && let Some((offset, col)) = fix.empty_after {
            pending = Some((out.len() + offset, col));
        }
        match fix.text {
            Some(fixed) => {
                changed = true;
                out.push_str(&fixed);
                out.push_str(&line[content.len()..]);
            }
            None => out.push_str(line),
        }
    }
    if let Some((at, _)) = pending {
        inserts.push(at);
    }
    if inserts.is_empty() {
        return changed.then_some(out);
    }
    let mut with = String::with_capacity(out.len() + inserts.len() * (EMPTY_TEXT.len() + 1));
    let mut from = 0;
    for at in inserts {
        with.push_str(&out[from..at]);
        with.push_str(EMPTY_TEXT);
        from = at;
    }
    with.push_str(&out[from..]);
    Some(with)
}

/// The text with every comment line (outside block scalars) left empty.
pub(super) fn blank_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut block: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let indent = content.len() - content.trim_start_matches([' ', '\t']).len();
        if let Some(block_indent) = block {
            if content.trim().is_empty() || indent > block_indent {
                out.push_str(line);
                continue;
            }
            block = None;
        }
        if content[indent..].starts_with('#') {
            out.push_str(&line[content.len()..]);
            continue;
        }
        if let Some(col) = fix_line(content, indent, true).opens_block {
            block = Some(col);
        }
        out.push_str(line);
    }
    out
}

/// [`super::EMPTY`] as a value written after `key:`.
pub(super) const EMPTY_TEXT: &str = " \"__gitops_render_empty_value_5b1f__\"";

/// What [`fix_line`] found.
#[derive(Debug, Default)]
struct LineFix {
    /// The rewritten line, if it changed.
    text: Option<String>,
    /// The line opens a block scalar: the column its content must be indented beyond.
    opens_block: Option<usize>,
    /// The line is a `key:` without a value on it: the offset after the colon, and the
    /// key's column.
    empty_after: Option<(usize, usize)>,
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

/// Fixes one line.
fn fix_line(line: &str, indent: usize, dates: bool) -> LineFix {
    let mut pos = indent;
    let bytes = line.as_bytes();
    if line[pos..].starts_with('#')
        || line[pos..].starts_with("---")
        || line[pos..].starts_with('%')
    {
        return LineFix::default();
    }
    let mut node_col = pos;
    loop {
        let rest = &line[pos..];
        if rest == "-" {
            return LineFix::default();
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
    let mut colon = None;
    let value_start = match key_end(&line[pos..]) {
        Some(after_colon) => {
            node_col = pos;
            colon = Some(pos + after_colon);
            let mut p = pos + after_colon;
            while p < bytes.len() && matches!(bytes[p], b' ' | b'\t') {
                p += 1;
            }
            p
        }
        None => pos,
    };
    let value = &line[value_start..];
    let value = match value.find(" #") {
        Some(i) => &value[..i],
        None if value.starts_with('#') => "",
        None => value,
    };
    let trimmed = value.trim_end();
    if trimmed.is_empty() {
        return LineFix {
            empty_after: colon.map(|c| (c, node_col)),
            ..LineFix::default()
        };
    }
    if trimmed.starts_with('|') || trimmed.starts_with('>') {
        return LineFix {
            opens_block: Some(node_col),
            ..LineFix::default()
        };
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
        return LineFix {
            text: Some(fixed),
            ..LineFix::default()
        };
    }
    if ((trimmed.starts_with('[') && trimmed.ends_with(']'))
        || (trimmed.starts_with('{') && trimmed.ends_with('}')))
        && let Some(flow) = fix_flow(trimmed, dates)
    {
        let mut fixed = String::with_capacity(line.len() + 8);
        fixed.push_str(&line[..value_start]);
        fixed.push_str(&flow);
        fixed.push_str(&line[value_start + trimmed.len()..]);
        return LineFix {
            text: Some(fixed),
            ..LineFix::default()
        };
    }
    LineFix::default()
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
