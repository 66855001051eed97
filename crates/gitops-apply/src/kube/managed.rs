//! Reading `metadata.managedFields`: does the desired object still declare every field our
//! field manager owns? If not, server-side apply would remove the missing ones, so the live
//! object cannot be called unchanged without asking the server.

use serde_json::Value;

/// True when every field `manager` owns through `Apply` in `live` is present in `desired`.
pub(super) fn owned_fields_declared(live: &Value, manager: &str, desired: &Value) -> bool {
    let Some(entries) = live["metadata"]["managedFields"].as_array() else {
        return true;
    };
    entries
        .iter()
        .filter(|e| e["manager"] == manager && e["operation"] == "Apply")
        .all(|e| declared(&e["fieldsV1"], desired))
}

/// Walks a `fieldsV1` tree alongside the desired value.
fn declared(fields: &Value, desired: &Value) -> bool {
    let Some(fields) = fields.as_object() else {
        return true;
    };
    fields.iter().all(|(key, sub)| {
        if key == "." {
            return true;
        }
        if let Some(name) = key.strip_prefix("f:") {
            return desired.get(name).is_some_and(|child| declared(sub, child));
        }
        if let Some(item_key) = key.strip_prefix("k:") {
            let Ok(Value::Object(wanted)) = serde_json::from_str::<Value>(item_key) else {
                return false;
            };
            // Key fields the server defaults (a port's `protocol`) may be absent from the
            // desired item; the ones it names must match.
            return desired.as_array().is_some_and(|items| {
                items.iter().any(|item| {
                    let mut named = 0;
                    let matches = wanted.iter().all(|(k, v)| match item.get(k) {
                        Some(iv) => {
                            named += 1;
                            same_scalar(iv, v)
                        }
                        None => true,
                    });
                    matches && named > 0 && declared(sub, item)
                })
            });
        }
        if let Some(value) = key.strip_prefix("v:") {
            let Ok(wanted) = serde_json::from_str::<Value>(value) else {
                return false;
            };
            return desired
                .as_array()
                .is_some_and(|items| items.iter().any(|item| same_scalar(item, &wanted)));
        }
        if let Some(index) = key.strip_prefix("i:") {
            return index
                .parse::<usize>()
                .ok()
                .and_then(|i| desired.as_array()?.get(i))
                .is_some_and(|item| declared(sub, item));
        }
        false
    })
}

/// Map keys in `fieldsV1` are JSON; ports compare `80` with `80.0` the same.
fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live(fields: Value) -> Value {
        json!({"metadata": {"managedFields": [
            {"manager": "gitops", "operation": "Apply", "fieldsV1": fields},
            {"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:spec": {"f:paused": {}}}},
        ]}})
    }

    #[test]
    fn all_declared() {
        let fields = json!({"f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}}}}},
                       "f:finalizers": {"v:\"a\"": {}}}});
        let desired = json!({"metadata": {"labels": {"app": "x"}},
            "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80, "protocol": "TCP"}]}],
                     "finalizers": ["a"]}});
        assert!(owned_fields_declared(&live(fields), "gitops", &desired));
    }

    #[test]
    fn defaulted_key_fields_may_be_absent() {
        let fields = json!({"f:spec": {"f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}}}});
        assert!(owned_fields_declared(
            &live(fields.clone()),
            "gitops",
            &json!({"spec": {"ports": [{"port": 80}]}})
        ));
        assert!(!owned_fields_declared(
            &live(fields.clone()),
            "gitops",
            &json!({"spec": {"ports": [{"port": 81}]}})
        ));
        assert!(!owned_fields_declared(
            &live(fields),
            "gitops",
            &json!({"spec": {"ports": [{"port": 80, "protocol": "UDP"}]}})
        ));
    }

    #[test]
    fn dropped_field_is_noticed() {
        let fields = json!({"f:metadata": {"f:labels": {"f:app": {}, "f:tier": {}}}});
        let desired = json!({"metadata": {"labels": {"app": "x"}}});
        assert!(!owned_fields_declared(&live(fields), "gitops", &desired));
    }

    #[test]
    fn dropped_list_item_is_noticed() {
        let fields =
            json!({"f:spec": {"f:containers": {"k:{\"name\":\"sidecar\"}": {"f:image": {}}}}});
        let desired = json!({"spec": {"containers": [{"name": "web", "image": "x"}]}});
        assert!(!owned_fields_declared(&live(fields), "gitops", &desired));
    }

    #[test]
    fn other_managers_do_not_count() {
        let desired = json!({});
        assert!(owned_fields_declared(&live(json!({})), "gitops", &desired));
        assert!(owned_fields_declared(
            &json!({"metadata": {}}),
            "gitops",
            &desired
        ));
    }
}
