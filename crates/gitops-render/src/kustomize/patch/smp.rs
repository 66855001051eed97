//! Strategic merge patch, as kustomize applies it (kyaml's `merge2` walker with
//! `ListIncreaseDirection: Prepend`).
//!
//! Maps merge field by field; `null` deletes a field; `$patch: delete|replace|merge` work on
//! maps and (as a list element of its own) on lists. A list merges element by element only
//! when the built-in schema says so (`x-kubernetes-patch-strategy: merge`), by its merge keys;
//! elements from the patch come first, then the target's remaining ones. Every other list,
//! and every list of a type without a schema, is replaced.

use serde_json::{Map, Value};

use crate::kustomize::merge_keys::Schema;

/// What walking a node produced.
#[derive(Debug)]
enum Out {
    /// Remove the field (or the whole object).
    Clear,
    /// The new value (`null` only when the target held an explicit null).
    Keep(Value),
}

/// Stands for a value the target's file left empty (`key:`) during a merge: kyaml drops such
/// a field when the patch does not mention it, but keeps an explicit `null`.
const EMPTY: &str = "\u{0}gitops-render:empty-value";

fn is_empty_mark(v: &Value) -> bool {
    matches!(v, Value::String(s) if s == EMPTY)
}

/// Marks the nulls at `pointers` (the target's empty values) before [`merge`].
pub(crate) fn mark_empty(target: &mut Value, pointers: &[String]) {
    for p in pointers {
        if let Some(v) = target.pointer_mut(p)
            && v.is_null()
        {
            *v = Value::String(EMPTY.to_owned());
        }
    }
}

/// Turns the marks [`merge`] left back into nulls; returns their pointers.
pub(crate) fn unmark_empty(merged: &mut Value) -> Vec<String> {
    fn visit(v: &mut Value, path: &mut String, out: &mut Vec<String>) {
        match v {
            Value::String(_) if is_empty_mark(v) => {
                *v = Value::Null;
                out.push(path.clone());
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&i.to_string());
                    visit(item, path, out);
                    path.truncate(len);
                }
            }
            Value::Object(map) => {
                for (k, item) in map.iter_mut() {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&k.replace('~', "~0").replace('/', "~1"));
                    visit(item, path, out);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    visit(merged, &mut String::new(), &mut out);
    out
}

/// Merges `patch` into `target`; `None` when the patch deletes the object.
pub(crate) fn merge(patch: Value, target: Value) -> Result<Option<Value>, String> {
    match walk(Some(target), Some(patch), None)?.0 {
        Out::Clear => Ok(None),
        Out::Keep(Value::Null) => Ok(None),
        Out::Keep(v) => Ok(Some(v)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    Map,
    Seq,
    Scalar,
}

fn kind_of(v: &Value) -> NodeKind {
    match v {
        Value::Object(_) | Value::Null => NodeKind::Map,
        Value::Array(_) => NodeKind::Seq,
        _ => NodeKind::Scalar,
    }
}

fn describe(k: NodeKind) -> &'static str {
    match k {
        NodeKind::Map => "a mapping",
        NodeKind::Seq => "a list",
        NodeKind::Scalar => "a scalar",
    }
}

/// kyaml's `GetSchema`: an explicit schema, else the schema of a source that names a type.
fn schema_for(dest: Option<&Value>, origin: Option<&Value>) -> Option<Schema> {
    for v in [dest, origin].into_iter().flatten() {
        if let (Some(api_version), Some(kind)) = (v["apiVersion"].as_str(), v["kind"].as_str())
            && !api_version.is_empty()
            && !kind.is_empty()
            && let Some(s) = Schema::for_type(api_version, kind)
        {
            return Some(s);
        }
    }
    None
}

/// Walks one node; the flag is true when the result is the target's node, merged in place
/// (kyaml mutates it, which matters for list elements).
fn walk(
    mut dest: Option<Value>,
    origin: Option<Value>,
    schema: Option<Schema>,
) -> Result<(Out, bool), String> {
    if dest.as_ref().is_some_and(is_empty_mark) {
        if origin.is_none() {
            return Ok((Out::Clear, false));
        }
        dest = Some(Value::Null);
    }
    let schema = schema.or_else(|| schema_for(dest.as_ref(), origin.as_ref()));
    let kind = [dest.as_ref(), origin.as_ref()]
        .into_iter()
        .flatten()
        .find(|v| !v.is_null())
        .map_or(NodeKind::Map, kind_of);
    for v in [dest.as_ref(), origin.as_ref()].into_iter().flatten() {
        if !v.is_null() && kind_of(v) != kind {
            return Err(format!(
                "wrong node kind: expected {} but got {}",
                describe(kind),
                describe(kind_of(v))
            ));
        }
    }
    let replace = |dest: Option<Value>, origin: Option<Value>| match origin {
        Some(Value::Null) => (Out::Clear, false),
        Some(v) => (Out::Keep(v), false),
        None => (dest.map_or(Out::Clear, Out::Keep), true),
    };
    match kind {
        NodeKind::Map => walk_map(dest, origin, schema),
        NodeKind::Scalar => Ok(replace(dest, origin)),
        NodeKind::Seq => {
            if schema.is_some_and(Schema::merges) {
                Ok((walk_associative(dest, origin, schema)?, false))
            } else {
                Ok(replace(dest, origin))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Directive {
    Merge,
    Replace,
    Delete,
}

/// Reads and removes `$patch` from a mapping of the patch.
fn map_directive(origin: &mut Option<Value>) -> Result<Directive, String> {
    let Some(Value::Object(map)) = origin else {
        return Ok(Directive::Merge);
    };
    let Some(value) = map.get("$patch") else {
        return Ok(Directive::Merge);
    };
    let directive = match value.as_str() {
        Some("delete") => Directive::Delete,
        Some("replace") => Directive::Replace,
        Some("merge") => Directive::Merge,
        _ => return Err(format!("unknown patch strategy '{}'", text(value))),
    };
    map.remove("$patch");
    Ok(directive)
}

fn walk_map(
    dest: Option<Value>,
    mut origin: Option<Value>,
    schema: Option<Schema>,
) -> Result<(Out, bool), String> {
    let mut in_place = false;
    let mut dest = match dest {
        None | Some(Value::Null) => {
            // kyaml ignores an error here (a scalar origin cannot be a map directive).
            let directive = map_directive(&mut origin).unwrap_or(Directive::Merge);
            if directive == Directive::Delete {
                return Ok((Out::Clear, false));
            }
            if origin.is_none() && dest.is_some() {
                // An explicit null in the target survives a patch that does not mention it.
                return Ok((Out::Keep(Value::Null), true));
            }
            match &origin {
                Some(Value::Object(m)) => m.clone(),
                _ => return Ok((Out::Clear, false)),
            }
        }
        Some(Value::Object(d)) => {
            if matches!(origin, Some(Value::Null)) {
                return Ok((Out::Clear, false));
            }
            match map_directive(&mut origin)? {
                Directive::Delete => return Ok((Out::Clear, false)),
                Directive::Replace => match &origin {
                    Some(Value::Object(m)) => m.clone(),
                    _ => d,
                },
                Directive::Merge => {
                    in_place = true;
                    d
                }
            }
        }
        Some(other) => return Ok((Out::Keep(other), true)),
    };
    let mut origin = match origin {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let mut keys: Vec<String> = dest.keys().chain(origin.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let child_schema = schema.and_then(|s| s.field(&key));
        let d = dest.remove(&key);
        let o = origin.remove(&key);
        match walk(d, o, child_schema)?.0 {
            Out::Clear => {}
            Out::Keep(v) => {
                dest.insert(key, v);
            }
        }
    }
    Ok((Out::Keep(Value::Object(dest)), in_place))
}

/// The text kyaml compares values by (a YAML node's `Value`).
fn text(v: &Value) -> String {
    match v {
        Value::String(_) if is_empty_mark(v) => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null | Value::Object(_) | Value::Array(_) => String::new(),
    }
}

fn nil_or_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(v) if is_empty_mark(v) => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(_) => false,
    }
}

/// Reads and removes a list-level `$patch` element.
fn seq_directive(origin: &mut Option<Value>) -> Result<Directive, String> {
    let Some(Value::Array(items)) = origin else {
        return Ok(Directive::Merge);
    };
    let Some(elem) = items
        .iter()
        .find(|e| e.as_object().is_some_and(|m| m.contains_key("$patch")))
    else {
        return Ok(Directive::Merge);
    };
    if elem.as_object().is_some_and(|m| m.len() > 1) {
        return Ok(Directive::Merge);
    }
    let value = text(&elem["$patch"]);
    let directive = match value.as_str() {
        "delete" => Directive::Delete,
        "replace" => Directive::Replace,
        "merge" => Directive::Merge,
        _ => return Err(format!("unknown patch strategy '{value}'")),
    };
    let keys = ["$patch".to_owned()];
    set_element(items, None, &keys, std::slice::from_ref(&value));
    Ok(directive)
}

fn walk_associative(
    dest: Option<Value>,
    mut origin: Option<Value>,
    schema: Option<Schema>,
) -> Result<Out, String> {
    let dest = match dest {
        None | Some(Value::Null) => match &origin {
            Some(Value::Array(items)) => items.clone(),
            _ => return Ok(Out::Clear),
        },
        Some(Value::Array(d)) => {
            if matches!(origin, Some(Value::Null)) {
                return Ok(Out::Clear);
            }
            match seq_directive(&mut origin)? {
                Directive::Delete => return Ok(Out::Clear),
                Directive::Replace => match &origin {
                    Some(Value::Array(items)) => items.clone(),
                    _ => d,
                },
                Directive::Merge => d,
            }
        }
        Some(other) => return Ok(Out::Keep(other)),
    };
    let origin = match origin {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    let keys: Vec<String> = schema
        .map(|s| {
            s.strategy_and_keys()
                .1
                .iter()
                .map(|k| (*k).to_owned())
                .collect()
        })
        .unwrap_or_default();
    let elem_schema = schema.and_then(Schema::elements);
    let values = element_values(&origin, &dest, &keys);
    let merged = if !values.is_empty() || !keys.is_empty() {
        set_associative(values, &keys, dest, &origin, elem_schema)?
    } else {
        let values = primitive_values(&origin, &dest);
        set_associative(values, &[String::new()], dest, &origin, elem_schema)?
    };
    Ok(Out::Keep(Value::Array(merged)))
}

/// kyaml's `ElementValuesList` over the patch's elements, then the target's, deduplicated.
fn element_values(origin: &[Value], dest: &[Value], keys: &[String]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for elem in origin.iter().chain(dest) {
        let values: Vec<String> = keys
            .iter()
            .map(|k| {
                let field = elem.as_object().and_then(|m| m.get(k));
                if nil_or_empty(field) {
                    String::new()
                } else {
                    field.map(text).unwrap_or_default()
                }
            })
            .collect();
        if values.is_empty() || out.contains(&values) {
            continue;
        }
        out.push(values);
    }
    out
}

fn primitive_values(origin: &[Value], dest: &[Value]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for elem in origin.iter().chain(dest) {
        let t = text(elem);
        if out.iter().any(|v| v[0] == t) {
            continue;
        }
        out.push(vec![t]);
    }
    out
}

/// kyaml's `mergeValues`: value lists that agree where both are set describe one element.
fn merge_values(list: &mut [Vec<String>]) {
    for i in 0..list.len() {
        // Go's `range` hands out the outer element once, the inner ones as they are now.
        let first = list[i].clone();
        for j in 0..list.len() {
            if let Some(merged) = match_values(&first, &list[j]) {
                list[i] = merged.clone();
                list[j] = merged;
            }
        }
    }
}

fn match_values(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() != b.len() {
        return None;
    }
    let mut common = false;
    let mut out = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(b) {
        if x == y {
            common = true;
            out.push(x.clone());
        } else if !x.is_empty() && !y.is_empty() {
            return None;
        } else if !x.is_empty() {
            out.push(x.clone());
        } else {
            out.push(y.clone());
        }
    }
    common.then_some(out)
}

/// kyaml's `validateKeys`: only the keys that have a value somewhere.
fn validate_keys(
    list: &[Vec<String>],
    values: &[String],
    keys: &[String],
) -> (Vec<String>, Vec<String>) {
    let valid: Vec<bool> = (0..keys.len())
        .map(|i| {
            list.iter()
                .any(|vs| vs.get(i).is_some_and(|v| !v.is_empty()))
        })
        .collect();
    if !valid.iter().any(|v| *v) {
        return (keys.to_vec(), values.to_vec());
    }
    let k = keys
        .iter()
        .zip(&valid)
        .filter(|(_, ok)| **ok)
        .map(|(k, _)| k.clone())
        .collect();
    let v = values
        .iter()
        .enumerate()
        .filter(|(i, v)| !v.is_empty() || valid.get(*i).copied().unwrap_or(false))
        .map(|(_, v)| v.clone())
        .collect();
    (k, v)
}

/// kyaml's `ElementMatcher`: the first element whose key fields hold the values.
fn find_element(list: &[Value], keys: &[String], values: &[String]) -> Option<usize> {
    let empty = String::new();
    let first_key = keys.first().unwrap_or(&empty);
    if first_key.is_empty() {
        let want = values.first().unwrap_or(&empty);
        return list.iter().position(|e| text(e) == *want);
    }
    list.iter().position(|e| {
        e.as_object().is_some_and(|m| {
            keys.iter()
                .zip(values)
                .all(|(k, v)| m.get(k).is_some_and(|f| text(f) == *v))
                && keys.len() == values.len()
        })
    })
}

/// kyaml's `ElementSetter`: replaces (or, with `None`, deletes) the elements that match, or
/// appends. Null and empty elements are dropped on the way.
fn set_element(list: &mut Vec<Value>, element: Option<&Value>, keys: &[String], values: &[String]) {
    let default_keys = [String::new()];
    let keys = if keys.is_empty() {
        &default_keys[..]
    } else {
        keys
    };
    let mapping_setter = !keys[0].is_empty() && values.first().is_some_and(|v| !v.is_empty());
    let mut out = Vec::with_capacity(list.len() + 1);
    let mut found_any = false;
    for elem in list.drain(..) {
        if nil_or_empty_map(&elem) {
            continue;
        }
        if !elem.is_object() && mapping_setter {
            out.push(elem);
            continue;
        }
        let mut found = true;
        let mut last: Option<bool> = None;
        for (j, key) in keys.iter().enumerate() {
            if let Some(value) = values.get(j) {
                last = Some(field_matches(&elem, key, value));
            }
            if last != Some(true) {
                found = false;
                break;
            }
        }
        if !found {
            if !values.is_empty() {
                out.push(elem);
            }
            continue;
        }
        found_any = true;
        if let Some(e) = element {
            out.push(e.clone());
        }
    }
    *list = out;
    if let Some(e) = element
        && !e.is_null()
        && !found_any
    {
        list.push(e.clone());
    }
}

fn nil_or_empty_map(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// kyaml's `FieldMatcher{Name, StringValue}`: an empty value matches any value.
fn field_matches(elem: &Value, name: &str, value: &str) -> bool {
    if elem.is_null() {
        return false;
    }
    if name.is_empty() {
        return !elem.is_object() && !elem.is_array() && text(elem) == value;
    }
    match elem.as_object().and_then(|m| m.get(name)) {
        None => false,
        Some(f) => value.is_empty() || text(f) == value,
    }
}

/// A merge key's value written back into an element: typed as YAML would read it.
fn typed(text: &str) -> Value {
    if let Ok(n) = text.parse::<i64>() {
        return Value::Number(n.into());
    }
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(text.to_owned()),
    }
}

fn set_associative(
    mut values_list: Vec<Vec<String>>,
    keys: &[String],
    mut dest: Vec<Value>,
    origin: &[Value],
    elem_schema: Option<Schema>,
) -> Result<Vec<Value>, String> {
    let mut items: Vec<Value> = Vec::new();
    if keys.len() > 1 {
        merge_values(&mut values_list);
    }
    let mut valid_keys: Vec<String> = Vec::new();
    for values in &values_list {
        if values.is_empty() {
            continue;
        }
        let (vk, vv) = validate_keys(&values_list, values, keys);
        valid_keys.clone_from(&vk);
        let (k2, v2) = validate_keys(std::slice::from_ref(&vv), &vv, &vk);
        let at = find_element(&dest, &k2, &v2);
        let d = at.map(|i| dest[i].clone());
        let o = find_element(origin, &k2, &v2).map(|i| origin[i].clone());
        let (out, in_place) = walk(d, o, elem_schema)?;
        let val = match out {
            Out::Clear => None,
            Out::Keep(v) => Some(v),
        };
        let deleted = match &val {
            None | Some(Value::Null) => true,
            Some(Value::Object(m)) => m.is_empty(),
            Some(_) => false,
        };
        if deleted {
            set_element(&mut dest, None, &vk, &vv);
            continue;
        }
        let Some(mut val) = val else { continue };
        for (i, key) in vk.iter().enumerate() {
            let missing = match &val {
                Value::Object(m) => !m.contains_key(key),
                _ => true,
            };
            if missing && vv.get(i).is_some_and(|v| !v.is_empty()) {
                if key.is_empty() {
                    continue;
                }
                if let Value::Object(m) = &mut val {
                    m.insert(key.clone(), typed(&vv[i]));
                }
            }
        }
        if in_place && let Some(i) = at {
            // kyaml merged the target's element in place: the list holds the result.
            dest[i] = val.clone();
        }
        set_element(&mut items, Some(&val), &vk, &vv);
    }
    if values_list.is_empty() {
        return Ok(dest);
    }
    append_list(&mut items, dest, &valid_keys);
    Ok(items)
}

/// kyaml's `appendListNode`: the target's elements after the patch's ones, replacing equal
/// keys.
fn append_list(dst: &mut Vec<Value>, src: Vec<Value>, keys: &[String]) {
    let primitive = keys.first().is_none_or(String::is_empty);
    for elem in src {
        if primitive {
            let v = [text(&elem)];
            set_element(dst, Some(&elem), &[String::new()], &v);
            continue;
        }
        let mut v = Vec::with_capacity(keys.len());
        for key in keys {
            match elem.as_object().and_then(|m| m.get(key)) {
                None => dst.push(elem.clone()),
                Some(f) => v.push(text(f)),
            }
        }
        if keys.len() > 1 {
            set_element(dst, None, keys, &v);
        }
        set_element(dst, Some(&elem), keys, &v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(containers: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"containers": containers}}}})
    }

    #[test]
    fn containers_merge_by_name_patch_first() {
        let target = deployment(json!([
            {"name": "a", "image": "a:1"},
            {"name": "b", "image": "b:1", "env": [{"name": "X", "value": "1"}]}
        ]));
        let patch = deployment(json!([
            {"name": "b", "env": [{"name": "Y", "value": "2"}]},
            {"name": "c", "image": "c:1"}
        ]));
        let out = merge(patch, target).unwrap().unwrap();
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"],
            json!([
                {"name": "b", "image": "b:1", "env": [{"name": "Y", "value": "2"}, {"name": "X", "value": "1"}]},
                {"name": "c", "image": "c:1"},
                {"name": "a", "image": "a:1"}
            ])
        );
    }

    #[test]
    fn directives() {
        let target = deployment(json!([{"name": "a", "image": "a:1"}, {"name": "b"}]));
        let patch = deployment(json!([{"name": "a", "$patch": "delete"}]));
        let out = merge(patch, target.clone()).unwrap().unwrap();
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"],
            json!([{"name": "b"}])
        );
        let patch = deployment(json!([{"$patch": "replace"}, {"name": "z"}]));
        let out = merge(patch, target.clone()).unwrap().unwrap();
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"],
            json!([{"name": "z"}])
        );
        let patch = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "$patch": "delete"});
        assert!(merge(patch, target).unwrap().is_none());
    }

    #[test]
    fn nulls_delete_and_lists_without_schema_are_replaced() {
        let target = json!({"apiVersion": "x.io/v1", "kind": "W", "metadata": {"name": "w"},
            "spec": {"a": 1, "b": 2, "items": [{"name": "x"}, {"name": "y"}]}});
        let patch = json!({"apiVersion": "x.io/v1", "kind": "W", "metadata": {"name": "w"},
            "spec": {"a": null, "items": [{"name": "z"}]}});
        let out = merge(patch, target).unwrap().unwrap();
        assert_eq!(out["spec"], json!({"b": 2, "items": [{"name": "z"}]}));
    }

    /// kustomize (kyaml) merges ports on `containerPort` and `protocol`, and, when the patch
    /// leaves out the protocol, keeps the target's port as it was (verified with kubectl).
    #[test]
    fn ports_merge_on_two_keys() {
        let target = deployment(json!([{"name": "a", "ports": [
            {"containerPort": 80, "protocol": "TCP"}, {"containerPort": 53, "protocol": "UDP"}]}]));
        let patch = deployment(
            json!([{"name": "a", "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 8080}]}]),
        );
        let out = merge(patch, target).unwrap().unwrap();
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][0]["ports"],
            json!([{"containerPort": 8080}, {"containerPort": 80, "protocol": "TCP"}, {"containerPort": 53, "protocol": "UDP"}])
        );
    }

    #[test]
    fn finalizers_union() {
        let target = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": ["a", "b"]}});
        let patch = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": ["c", "a"]}});
        let out = merge(patch, target).unwrap().unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["c", "a", "b"]));
    }
}
