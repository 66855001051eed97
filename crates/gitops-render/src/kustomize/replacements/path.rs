//! Replacement field paths (`spec.containers.[name=app].image`, `data.0`, `*`): looking up a
//! source value, and finding (or creating) every target node, as kustomize's `PathGetter` and
//! `PathMatcher` do.

use regex::Regex;
use serde_json::{Map, Value};

use crate::kustomize::resource::scalar_string;

/// One step of a replacement field path.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Part {
    Field(String),
    Index(usize),
    Last,
    Wildcard,
    /// `[key=value]` (an empty key matches primitive elements).
    Match(String, String),
}

/// kustomize's `SmarterPathSplitter` on `.`, then the kinds of steps.
pub(super) fn parse_path(path: &str) -> Result<Vec<Part>, String> {
    let raw = split_dots(path);
    let mut out = Vec::new();
    for elem in raw {
        let elem = elem.trim().to_owned();
        if elem.is_empty() {
            continue;
        }
        if elem.starts_with('[') && elem.ends_with(']') {
            let inner = &elem[1..elem.len() - 1];
            match inner.split_once('=') {
                Some((k, v)) => out.push(Part::Match(k.to_owned(), v.to_owned())),
                None => {
                    return Err(format!(
                        "list path element {elem} must contain fieldName=fieldValue for element to match"
                    ));
                }
            }
        } else if elem == "*" {
            out.push(Part::Wildcard);
        } else if elem == "-" {
            out.push(Part::Last);
        } else if let Ok(i) = elem.parse::<i64>() {
            let i =
                usize::try_from(i).map_err(|_| format!("array index {i} cannot be negative"))?;
            out.push(Part::Index(i));
        } else {
            out.push(Part::Field(elem));
        }
    }
    Ok(out)
}

/// Splits at `.`, keeping `\.` as a dot and bracketed `[a=b.c]` parts whole.
fn split_dots(path: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for piece in path.split('.') {
        match parts.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(piece);
            }
            _ => parts.push(piece.to_owned()),
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let elem = &parts[i];
        if elem.starts_with('[') && !elem.ends_with(']') {
            let mut joined = vec![elem.clone()];
            while i + 1 < parts.len() {
                i += 1;
                joined.push(parts[i].clone());
                if parts[i].ends_with(']') {
                    break;
                }
            }
            let s = joined.join(".");
            if s.contains('=') {
                out.push(s);
            } else {
                out.push(s.trim_matches(|c| c == '[' || c == ']').to_owned());
            }
        } else {
            out.push(elem.clone());
        }
        i += 1;
    }
    out
}

/// kustomize's `Lookup` on a source.
pub(super) fn lookup<'a>(v: &'a Value, path: &[Part]) -> Option<&'a Value> {
    let Some((first, rest)) = path.split_first() else {
        return Some(v);
    };
    let next = match (first, v) {
        (Part::Field(f), Value::Object(m)) => m.get(f)?,
        (Part::Index(i), Value::Array(a)) => a.get(*i)?,
        (Part::Last, Value::Array(a)) => a.last()?,
        (Part::Match(k, want), Value::Array(a)) => a.iter().find(|e| {
            if k.is_empty() {
                scalar_string(e).as_deref() == Some(want.as_str())
            } else {
                e.get(k).and_then(scalar_string).as_deref() == Some(want.as_str())
            }
        })?,
        _ => return None,
    };
    if next.is_null() && !rest.is_empty() {
        return None;
    }
    lookup(next, rest)
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum NodeKind {
    Scalar,
    Map,
    Seq,
}

pub(super) fn kind_of(v: &Value) -> NodeKind {
    match v {
        Value::Object(_) => NodeKind::Map,
        Value::Array(_) => NodeKind::Seq,
        _ => NodeKind::Scalar,
    }
}

fn empty_of(kind: NodeKind) -> Value {
    match kind {
        NodeKind::Map => Value::Object(Map::new()),
        NodeKind::Seq => Value::Array(Vec::new()),
        NodeKind::Scalar => Value::Null,
    }
}

fn part_kind(next: Option<&Part>, last: NodeKind) -> NodeKind {
    match next {
        Some(Part::Match(..) | Part::Index(_)) => NodeKind::Seq,
        None => last,
        Some(_) => NodeKind::Map,
    }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// kustomize's `PathMatcher`: every node the path names (JSON pointers), created on the way
/// when `create` is set.
pub(super) fn find_targets(
    v: &mut Value,
    path: &[Part],
    create: Option<NodeKind>,
    out: &mut Vec<String>,
) -> Result<(), String> {
    walk_targets(v, path, create, String::new(), out)
}

fn walk_targets(
    v: &mut Value,
    path: &[Part],
    create: Option<NodeKind>,
    at: String,
    out: &mut Vec<String>,
) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        out.push(at);
        return Ok(());
    };
    match first {
        Part::Field(name) => {
            if v.is_null() && create.is_some() {
                *v = Value::Object(Map::new());
            }
            let Value::Object(m) = v else {
                if v.is_null() {
                    return Ok(());
                }
                return Err(format!(
                    "wrong node kind: expected a mapping to look up {name:?}"
                ));
            };
            if !m.contains_key(name) {
                let Some(kind) = create else { return Ok(()) };
                m.insert(name.clone(), empty_of(part_kind(rest.first(), kind)));
            }
            let Some(next) = m.get_mut(name) else {
                return Ok(());
            };
            walk_targets(next, rest, create, format!("{at}/{}", escape(name)), out)
        }
        Part::Index(i) => {
            let Value::Array(items) = v else {
                return Err("wrong node kind: expected a list".to_owned());
            };
            if items.len() == *i
                && let Some(kind) = create
            {
                items.push(empty_of(part_kind(rest.first(), kind)));
            }
            if items.len() < i + 1 {
                return Err(format!(
                    "index {i} specified but only {} elements found",
                    items.len()
                ));
            }
            walk_targets(&mut items[*i], rest, create, format!("{at}/{i}"), out)
        }
        Part::Last => Err("'-' is not supported in replacement target paths".to_owned()),
        Part::Wildcard => {
            let Value::Array(items) = v else {
                return Err("wrong node kind: expected a list for '*'".to_owned());
            };
            for (i, item) in items.iter_mut().enumerate() {
                walk_targets(item, rest, create, format!("{at}/{i}"), out)?;
            }
            Ok(())
        }
        Part::Match(key, pattern) => {
            let Value::Array(items) = v else {
                return Err("wrong node kind: expected a list".to_owned());
            };
            let re =
                Regex::new(pattern).map_err(|e| format!("invalid pattern {pattern:?}: {e}"))?;
            let before = out.len();
            for (i, item) in items.iter_mut().enumerate() {
                let text = if key.is_empty() {
                    scalar_string(item)
                } else {
                    item.get(key.as_str()).and_then(scalar_string)
                };
                if text.is_some_and(|t| re.is_match(t.trim())) {
                    if key.is_empty() {
                        out.push(format!("{at}/{i}"));
                    } else {
                        walk_targets(item, rest, create, format!("{at}/{i}"), out)?;
                    }
                }
            }
            if out.len() > before || create.is_none() {
                return Ok(());
            }
            let elem = if key.is_empty() {
                resolve_plain(pattern)
            } else {
                let mut m = Map::new();
                m.insert(key.clone(), resolve_plain(pattern));
                Value::Object(m)
            };
            items.push(elem);
            walk_targets(v, path, create, at, out)
        }
    }
}

/// How YAML reads a plain scalar (for values written into untyped, new fields).
pub(super) fn resolve_plain(text: &str) -> Value {
    match text {
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Value::Number(i.into());
    }
    if text.chars().any(|c| c.is_ascii_digit())
        && !text.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = serde_json::Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("spec.http.0.route.[name=a.b].x").unwrap(),
            vec![
                Part::Field("spec".into()),
                Part::Field("http".into()),
                Part::Index(0),
                Part::Field("route".into()),
                Part::Match("name".into(), "a.b".into()),
                Part::Field("x".into())
            ]
        );
        assert_eq!(
            parse_path("metadata.annotations.[config.kubernetes.io/x]").unwrap(),
            vec![
                Part::Field("metadata".into()),
                Part::Field("annotations".into()),
                Part::Field("config.kubernetes.io/x".into())
            ]
        );
    }
}
