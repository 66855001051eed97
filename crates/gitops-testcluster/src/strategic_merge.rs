//! Strategic merge patch (`application/strategic-merge-patch+json`) for built-in kinds,
//! with the common merge keys and the `$patch`, `$retainKeys`,
//! `$deleteFromPrimitiveList` and `$setElementOrder` directives.

use serde_json::{Map, Value};

use crate::ssa::schema::{ListType, builtin_list_type};

/// Applies a strategic merge patch to `original`.
pub fn patch(original: &Value, patch: &Value) -> Value {
    let mut path = vec![];
    merge_value(original, patch, &mut path)
}

fn merge_value(orig: &Value, patch: &Value, path: &mut Vec<String>) -> Value {
    match (orig, patch) {
        (Value::Object(o), Value::Object(p)) => merge_object(o, p, path),
        (_, Value::Object(p)) => {
            // Nothing to merge into: strip directives.
            merge_object(&Map::new(), p, path)
        }
        _ => patch.clone(),
    }
}

fn merge_object(
    orig: &Map<String, Value>,
    patch: &Map<String, Value>,
    path: &mut Vec<String>,
) -> Value {
    if patch.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut p = patch.clone();
        p.remove("$patch");
        return Value::Object(p);
    }
    let mut out = orig.clone();
    if let Some(keep) = patch.get("$retainKeys").and_then(Value::as_array) {
        let keep: Vec<&str> = keep.iter().filter_map(Value::as_str).collect();
        out.retain(|k, _| keep.contains(&k.as_str()));
    }
    for (k, pv) in patch {
        if k == "$patch" || k == "$retainKeys" || k.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(items)), Some(del)) = (out.get_mut(field), pv.as_array()) {
                items.retain(|i| !del.contains(i));
            }
            continue;
        }
        if pv.is_null() {
            out.remove(k);
            continue;
        }
        path.push(k.clone());
        let merged = match (out.get(k), pv) {
            (Some(Value::Array(o)), Value::Array(p)) => merge_list(o, p, path),
            (None, Value::Array(p)) => merge_list(&[], p, path),
            (Some(ov), _) => merge_value(ov, pv, path),
            (None, _) => merge_value(&Value::Null, pv, path),
        };
        path.pop();
        out.insert(k.clone(), merged);
    }
    Value::Object(out)
}

fn merge_list(orig: &[Value], patch: &[Value], path: &mut Vec<String>) -> Value {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    let replace = patch
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"));
    match builtin_list_type(&p) {
        ListType::Map(keys) if !replace => {
            let key = &keys[0];
            let mut out: Vec<Value> = orig.to_vec();
            for item in patch {
                let Some(kv) = item.get(key.as_str()) else {
                    out.push(item.clone());
                    continue;
                };
                let pos = out.iter().position(|o| o.get(key.as_str()) == Some(kv));
                let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
                match (pos, delete) {
                    (Some(i), true) => {
                        out.remove(i);
                    }
                    (None, true) => {}
                    (Some(i), false) => {
                        path.push("[]".into());
                        out[i] = merge_value(&out[i], item, path);
                        path.pop();
                    }
                    (None, false) => {
                        path.push("[]".into());
                        out.push(merge_value(&Value::Null, item, path));
                        path.pop();
                    }
                }
            }
            Value::Array(out)
        }
        ListType::Set if !replace => {
            let mut out: Vec<Value> = orig.to_vec();
            for item in patch {
                if !out.contains(item) {
                    out.push(item.clone());
                }
            }
            Value::Array(out)
        }
        _ => Value::Array(
            patch
                .iter()
                .filter(|i| i.get("$patch").is_none())
                .cloned()
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy() -> Value {
        json!({"spec": {"replicas": 1, "template": {"spec": {
            "containers": [{"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]}, {"name": "b", "image": "b:1"}],
            "tolerations": [{"key": "k"}]}}},
            "metadata": {"finalizers": ["f1"], "labels": {"x": "1", "y": "2"}}})
    }

    #[test]
    fn merges_containers_by_name() {
        let p = json!({"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "b:2"}, {"name": "c", "image": "c:1"}]}}}});
        let out = patch(&deploy(), &p);
        let c = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(c[0]["image"], "a:1");
        assert_eq!(c[1]["image"], "b:2");
        assert_eq!(c[2]["name"], "c");
    }

    #[test]
    fn directives() {
        let p = json!({
            "metadata": {"labels": {"x": null}, "finalizers": ["f2"]},
            "spec": {"template": {"spec": {
                "containers": [{"name": "a", "$patch": "delete"}],
                "tolerations": [{"key": "other"}]}}}});
        let out = patch(&deploy(), &p);
        assert_eq!(out["metadata"]["labels"], json!({"y": "2"}));
        assert_eq!(out["metadata"]["finalizers"], json!(["f1", "f2"]));
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            out["spec"]["template"]["spec"]["tolerations"],
            json!([{"key": "other"}])
        );
        let out = patch(
            &deploy(),
            &json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["f1"]}}),
        );
        assert_eq!(out["metadata"]["finalizers"], json!([]));
        let out = patch(
            &deploy(),
            &json!({"metadata": {"labels": {"$patch": "replace", "z": "3"}}}),
        );
        assert_eq!(out["metadata"]["labels"], json!({"z": "3"}));
    }

    #[test]
    fn env_merges_inside_container() {
        let p = json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}]}]}}}});
        let out = patch(&deploy(), &p);
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][0]["env"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }
}
