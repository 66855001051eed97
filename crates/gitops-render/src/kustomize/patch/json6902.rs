//! JSON 6902 patches with the semantics of the library kustomize uses (evanphx/json-patch
//! v4): `add`, `remove`, `replace`, `move`, `copy` and `test`; `-` appends; negative array
//! indices count from the end; `replace` of a missing object key adds it.

use serde_json::Value;

/// One operation.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    op: String,
    path: Option<String>,
    from: Option<String>,
    value: Option<Value>,
}

/// Decodes a patch: a JSON array, or YAML that converts to one (only the first document
/// counts, as in kustomize).
pub(crate) fn decode(text: &str) -> Result<Vec<Operation>, String> {
    let value = if text.starts_with('[') {
        serde_json::from_str::<Value>(text).map_err(|e| e.to_string())?
    } else {
        let docs =
            crate::kustomize::yaml12::parse_plain_documents(text).map_err(|e| e.to_string())?;
        docs.into_iter().next().map_or(Value::Null, |d| d.value)
    };
    let Value::Array(items) = value else {
        return Err("a JSON patch must be a list of operations".to_owned());
    };
    items
        .into_iter()
        .map(|item| {
            let Value::Object(mut m) = item else {
                return Err("a JSON patch operation must be a mapping".to_owned());
            };
            let string = |v: Option<Value>| match v {
                Some(Value::String(s)) => Some(s),
                _ => None,
            };
            Ok(Operation {
                op: string(m.remove("op")).unwrap_or_default(),
                path: string(m.remove("path")),
                from: string(m.remove("from")),
                value: m.remove("value"),
            })
        })
        .collect()
}

/// Applies the operations in order.
pub(crate) fn apply(doc: &mut Value, ops: &[Operation]) -> Result<(), String> {
    for op in ops {
        apply_one(doc, op)?;
    }
    Ok(())
}

fn apply_one(doc: &mut Value, op: &Operation) -> Result<(), String> {
    let path = || {
        op.path
            .as_deref()
            .ok_or_else(|| format!("{} operation has no path", op.op))
    };
    match op.op.as_str() {
        "add" => {
            let path = path()?;
            let value = op.value.clone().unwrap_or(Value::Null);
            add(doc, path, value)
        }
        "remove" => {
            let path = path()?;
            remove(doc, path).map(|_| ())
        }
        "replace" => {
            let path = path()?;
            let value = op.value.clone().unwrap_or(Value::Null);
            if path.is_empty() {
                if !value.is_object() && !value.is_array() {
                    return Err("replace operation value must be object or array".into());
                }
                *doc = value;
                return Ok(());
            }
            let (parent, key) = find_parent(doc, path).ok_or_else(|| {
                format!("replace operation does not apply: doc is missing path: {path}")
            })?;
            match parent {
                Value::Object(m) => {
                    m.insert(key, value);
                    Ok(())
                }
                Value::Array(items) => {
                    let i = index(&key, items.len(), false).ok_or_else(|| {
                        format!("replace operation does not apply: doc is missing key: {path}")
                    })?;
                    items[i] = value;
                    Ok(())
                }
                _ => Err(format!(
                    "replace operation does not apply: doc is missing path: {path}"
                )),
            }
        }
        "move" => {
            let from = op.from.as_deref().ok_or("move operation has no from")?;
            let value = remove(doc, from)?;
            add(doc, path()?, value)
        }
        "copy" => {
            let from = op.from.as_deref().ok_or("copy operation has no from")?;
            let value = get(doc, from)
                .ok_or_else(|| {
                    format!("copy operation does not apply: doc is missing from path: {from}")
                })?
                .clone();
            add(doc, path()?, value)
        }
        "test" => {
            let path = path()?;
            let expected = op.value.clone().unwrap_or(Value::Null);
            let actual = if path.is_empty() {
                Some(&*doc)
            } else {
                let (parent, key) = find_parent(doc, path).ok_or_else(|| {
                    format!("test operation does not apply: doc is missing path: {path}")
                })?;
                child(parent, &key)
            };
            match actual {
                None if expected.is_null() => Ok(()),
                Some(v) if *v == expected => Ok(()),
                _ => Err(format!("testing value {path} failed")),
            }
        }
        other => Err(format!("unexpected kind: {other:?}")),
    }
}

fn decode_key(part: &str) -> String {
    part.replace("~1", "/").replace("~0", "~")
}

/// The container of the last path segment, and that segment.
fn find_parent<'a>(doc: &'a mut Value, path: &str) -> Option<(&'a mut Value, String)> {
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() < 2 {
        return None;
    }
    let key = decode_key(parts[parts.len() - 1]);
    let mut cur = doc;
    for part in &parts[1..parts.len() - 1] {
        let part = decode_key(part);
        cur = match cur {
            Value::Object(m) => m.get_mut(&part)?,
            Value::Array(items) => {
                let i = index(&part, items.len(), false)?;
                items.get_mut(i)?
            }
            _ => return None,
        };
        if cur.is_null() {
            return None;
        }
    }
    match cur {
        Value::Object(_) | Value::Array(_) => Some((cur, key)),
        _ => None,
    }
}

fn child<'a>(parent: &'a Value, key: &str) -> Option<&'a Value> {
    match parent {
        Value::Object(m) => m.get(key),
        Value::Array(items) => index(key, items.len(), false).and_then(|i| items.get(i)),
        _ => None,
    }
}

fn get<'a>(doc: &'a mut Value, path: &str) -> Option<&'a Value> {
    let (parent, key) = find_parent(doc, path)?;
    child(parent, &key)
}

/// An array index; `insert` allows `len` (append position). Negative indices count from the
/// end.
fn index(key: &str, len: usize, insert: bool) -> Option<usize> {
    let i: i64 = key.parse().ok()?;
    let len = i64::try_from(len).ok()?;
    let i = if i < 0 {
        if i < -len {
            return None;
        }
        i + len
    } else {
        i
    };
    let limit = if insert { len } else { len - 1 };
    if i > limit {
        return None;
    }
    usize::try_from(i).ok()
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let (parent, key) = find_parent(doc, path)
        .ok_or_else(|| format!("add operation does not apply: doc is missing path: \"{path}\""))?;
    match parent {
        Value::Object(m) => {
            m.insert(key, value);
            Ok(())
        }
        Value::Array(items) => {
            if key == "-" {
                items.push(value);
                return Ok(());
            }
            let i = index(&key, items.len(), true).ok_or_else(|| {
                format!("add operation does not apply: invalid index {key} at {path}")
            })?;
            items.insert(i, value);
            Ok(())
        }
        _ => Err(format!(
            "add operation does not apply: doc is missing path: \"{path}\""
        )),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let (parent, key) = find_parent(doc, path).ok_or_else(|| {
        format!("remove operation does not apply: doc is missing path: \"{path}\"")
    })?;
    match parent {
        Value::Object(m) => m
            .remove(&key)
            .ok_or_else(|| format!("unable to remove nonexistent key: {key}: missing value")),
        Value::Array(items) => {
            let i = index(&key, items.len(), false)
                .ok_or_else(|| format!("unable to remove invalid index {key} at {path}"))?;
            Ok(items.remove(i))
        }
        _ => Err(format!(
            "remove operation does not apply: doc is missing path: \"{path}\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(doc: Value, patch: &str) -> Result<Value, String> {
        let mut doc = doc;
        apply(&mut doc, &decode(patch)?)?;
        Ok(doc)
    }

    #[test]
    fn operations() {
        let doc = json!({"a": {"b": [1, 2]}, "c": "x"});
        let out = run(
            doc.clone(),
            "- op: add\n  path: /a/b/-\n  value: 3\n- op: replace\n  path: /c\n  value: z\n- op: remove\n  path: /a/b/0\n- op: add\n  path: /d~1e\n  value: {f: 1}\n",
        )
        .unwrap();
        assert_eq!(out, json!({"a": {"b": [2, 3]}, "c": "z", "d/e": {"f": 1}}));
        let out = run(doc.clone(), r#"[{"op": "move", "from": "/c", "path": "/a/z"}, {"op": "copy", "from": "/a/z", "path": "/a/b/-1"}, {"op": "test", "path": "/a/z", "value": "x"}]"#).unwrap();
        assert_eq!(out, json!({"a": {"b": [1, "x", 2], "z": "x"}}));
        assert!(run(doc.clone(), "[{\"op\": \"remove\", \"path\": \"/nope\"}]").is_err());
        assert!(
            run(
                doc.clone(),
                "[{\"op\": \"add\", \"path\": \"/x/y\", \"value\": 1}]"
            )
            .is_err()
        );
        assert!(
            run(
                doc.clone(),
                "[{\"op\": \"test\", \"path\": \"/c\", \"value\": \"z\"}]"
            )
            .is_err()
        );
        let out = run(
            doc,
            "[{\"op\": \"replace\", \"path\": \"/new\", \"value\": 1}]",
        )
        .unwrap();
        assert_eq!(out["new"], 1);
    }
}
