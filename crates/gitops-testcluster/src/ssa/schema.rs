//! List semantics (atomic, set, map keyed by fields) used by server-side apply and
//! strategic merge patch: a table for built-in kinds, `x-kubernetes-list-type` for CRDs.

use serde_json::Value;

/// How a list merges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListType {
    /// Replaced as a whole.
    Atomic,
    /// A set of scalars, merged by value.
    Set,
    /// Items identified by these key fields.
    Map(Vec<String>),
}

/// Type information for one object (built-in, or a CRD's schema).
#[derive(Debug, Clone, Copy, Default)]
pub struct TypeInfo<'a> {
    /// A CRD version's `openAPIV3Schema`.
    pub crd_schema: Option<&'a Value>,
}

const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

fn keys(k: &[&str]) -> ListType {
    ListType::Map(k.iter().map(|s| (*s).to_string()).collect())
}

/// The list type of built-in field at `path` (field names; `[]` steps into list items).
pub fn builtin_list_type(path: &[&str]) -> ListType {
    let n = path.len();
    let Some(&last) = path.last() else {
        return ListType::Atomic;
    };
    let item_of = if n >= 3 && path[n - 2] == "[]" {
        Some(path[n - 3])
    } else {
        None
    };
    let in_container = item_of.is_some_and(|p| CONTAINER_LISTS.contains(&p));
    match last {
        l if CONTAINER_LISTS.contains(&l) => keys(&["name"]),
        "env" if in_container => keys(&["name"]),
        "ports" if in_container => keys(&["containerPort", "protocol"]),
        "ports" if path == ["spec", "ports"] => keys(&["port", "protocol"]),
        "volumes" if n >= 2 && path[n - 2] == "spec" => keys(&["name"]),
        "volumeMounts" if in_container => keys(&["mountPath"]),
        "volumeDevices" if in_container => keys(&["devicePath"]),
        "resizePolicy" if in_container => keys(&["resourceName"]),
        "imagePullSecrets" => keys(&["name"]),
        "hostAliases" => keys(&["ip"]),
        "conditions" => keys(&["type"]),
        "ownerReferences" if path == ["metadata", "ownerReferences"] => keys(&["uid"]),
        "finalizers" if path == ["metadata", "finalizers"] => ListType::Set,
        "topologySpreadConstraints" => keys(&["topologyKey", "whenUnsatisfiable"]),
        "webhooks" => keys(&["name"]),
        "resourceClaims" | "schedulingGates" => keys(&["name"]),
        _ => ListType::Atomic,
    }
}

/// Schema default of a map-key field that clients often omit.
pub fn key_default(field: &str) -> Option<Value> {
    match field {
        "protocol" => Some(Value::String("TCP".into())),
        _ => None,
    }
}

fn walk<'a>(schema: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = schema;
    for step in path {
        cur = if *step == "[]" {
            cur.get("items")?
        } else if let Some(p) = cur.get("properties").and_then(|p| p.get(*step)) {
            p
        } else {
            cur.get("additionalProperties").filter(|a| a.is_object())?
        };
    }
    Some(cur)
}

impl TypeInfo<'_> {
    /// The list type at a path.
    pub fn list_type(&self, path: &[&str]) -> ListType {
        match self.crd_schema {
            Some(schema) if path.first() != Some(&"metadata") => {
                let Some(node) = walk(schema, path) else {
                    return ListType::Atomic;
                };
                match node.get("x-kubernetes-list-type").and_then(Value::as_str) {
                    Some("set") => ListType::Set,
                    Some("map") => ListType::Map(
                        node.get("x-kubernetes-list-map-keys")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(|k| k.as_str().map(str::to_string))
                            .collect(),
                    ),
                    _ => ListType::Atomic,
                }
            }
            _ => builtin_list_type(path),
        }
    }
}

/// The key object of a list item, with defaults for missing key fields; None when a key is absent.
pub fn item_key(item: &Value, key_fields: &[String]) -> Option<serde_json::Map<String, Value>> {
    let mut sorted: Vec<&String> = key_fields.iter().collect();
    sorted.sort();
    let mut m = serde_json::Map::new();
    for k in sorted {
        let v = match item.get(k.as_str()) {
            Some(v) if !v.is_null() => v.clone(),
            _ => key_default(k)?,
        };
        m.insert(k.clone(), v);
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtin_keys() {
        let t = TypeInfo::default();
        assert_eq!(
            t.list_type(&["spec", "template", "spec", "containers"]),
            ListType::Map(vec!["name".into()])
        );
        assert_eq!(
            t.list_type(&["spec", "template", "spec", "containers", "[]", "ports"]),
            ListType::Map(vec!["containerPort".into(), "protocol".into()])
        );
        assert_eq!(
            t.list_type(&["spec", "ports"]),
            ListType::Map(vec!["port".into(), "protocol".into()])
        );
        assert_eq!(
            t.list_type(&["spec", "template", "spec", "tolerations"]),
            ListType::Atomic
        );
        assert_eq!(t.list_type(&["metadata", "finalizers"]), ListType::Set);
    }

    #[test]
    fn crd_schema_list_types() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "items": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["id"], "items": {"type": "object"}},
            "tags": {"type": "array", "x-kubernetes-list-type": "set"},
            "plain": {"type": "array"}}}}});
        let t = TypeInfo {
            crd_schema: Some(&schema),
        };
        assert_eq!(
            t.list_type(&["spec", "items"]),
            ListType::Map(vec!["id".into()])
        );
        assert_eq!(t.list_type(&["spec", "tags"]), ListType::Set);
        assert_eq!(t.list_type(&["spec", "plain"]), ListType::Atomic);
        assert_eq!(t.list_type(&["metadata", "finalizers"]), ListType::Set);
    }

    #[test]
    fn key_defaults_fill_protocol() {
        let k = item_key(
            &json!({"containerPort": 80}),
            &["containerPort".into(), "protocol".into()],
        )
        .unwrap();
        assert_eq!(
            Value::Object(k),
            json!({"containerPort": 80, "protocol": "TCP"})
        );
        assert!(item_key(&json!({"x": 1}), &["name".into()]).is_none());
    }
}
