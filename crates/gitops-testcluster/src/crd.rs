//! CustomResourceDefinitions: turning a CRD into served resources, and removing them.

use std::sync::Arc;

use serde_json::Value;

use crate::registry::{PrinterColumn, ResourceDef, ResourceKey, ScalePaths};
use crate::store::State;
use crate::util::{get_path, get_str};

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// The served resource definitions of a CRD, storage version first.
pub fn defs_from_crd(crd: &Value) -> Vec<ResourceDef> {
    let spec = crd.get("spec").cloned().unwrap_or(Value::Null);
    let group = get_str(&spec, &["group"]).unwrap_or_default().to_string();
    let names = spec.get("names").cloned().unwrap_or(Value::Null);
    let kind = get_str(&names, &["kind"]).unwrap_or_default().to_string();
    let plural = get_str(&names, &["plural"]).unwrap_or_default().to_string();
    let singular = get_str(&names, &["singular"])
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_lowercase());
    let namespaced = get_str(&spec, &["scope"]) != Some("Cluster");
    let mut out: Vec<(bool, ResourceDef)> = vec![];
    for v in spec
        .get("versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if v.get("served").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let scale = get_path(v, &["subresources", "scale"]).map(|s| ScalePaths {
            spec_replicas: get_str(s, &["specReplicasPath"])
                .unwrap_or(".spec.replicas")
                .to_string(),
            status_replicas: get_str(s, &["statusReplicasPath"])
                .unwrap_or(".status.replicas")
                .to_string(),
            label_selector: get_str(s, &["labelSelectorPath"]).map(str::to_string),
        });
        out.push((
            v.get("storage").and_then(Value::as_bool) == Some(true),
            ResourceDef {
                group: group.clone(),
                version: get_str(v, &["name"]).unwrap_or_default().to_string(),
                kind: kind.clone(),
                plural: plural.clone(),
                singular: singular.clone(),
                short_names: strings(names.get("shortNames")),
                categories: strings(names.get("categories")),
                namespaced,
                status: get_path(v, &["subresources", "status"]).is_some(),
                scale,
                schema: get_path(v, &["schema", "openAPIV3Schema"])
                    .cloned()
                    .map(Arc::new),
                custom: true,
                printer_columns: v
                    .get("additionalPrinterColumns")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|c| PrinterColumn {
                        name: get_str(c, &["name"]).unwrap_or_default().to_string(),
                        type_: get_str(c, &["type"]).unwrap_or("string").to_string(),
                        json_path: get_str(c, &["jsonPath"]).unwrap_or_default().to_string(),
                        description: get_str(c, &["description"]).unwrap_or_default().to_string(),
                        priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0),
                    })
                    .collect(),
            },
        ));
    }
    out.sort_by_key(|(storage, _)| !*storage);
    out.into_iter().map(|(_, d)| d).collect()
}

/// Registers (or re-registers) a CRD's resources; returns whether the CRD is usable.
pub fn register(st: &mut State, crd: &Value) -> bool {
    let defs = defs_from_crd(crd);
    let Some(first) = defs.first() else {
        return false;
    };
    if first.group.is_empty() || first.plural.is_empty() || first.kind.is_empty() {
        return false;
    }
    let (group, plural, version) = (
        first.group.clone(),
        first.plural.clone(),
        first.version.clone(),
    );
    st.registry.remove_custom(&group, &plural);
    for d in defs {
        st.registry.insert(d);
    }
    st.registry.set_preferred(&group, &version);
    true
}

/// Removes a CRD's resources and every object of them.
pub fn unregister(st: &mut State, crd: &Value) {
    let group = get_str(crd, &["spec", "group"])
        .unwrap_or_default()
        .to_string();
    let plural = get_str(crd, &["spec", "names", "plural"])
        .unwrap_or_default()
        .to_string();
    if st.registry.remove_custom(&group, &plural) {
        st.drop_resource(&ResourceKey { group, plural });
    }
}

/// Removes fields a structural schema does not declare; returns their paths
/// (`spec.bogus`). `apiVersion`, `kind` and `metadata` at the root are kept.
pub fn prune(obj: &mut Value, schema: &Value) -> Vec<String> {
    let mut out = vec![];
    prune_at(obj, schema, "", true, &mut out);
    out
}

fn prune_at(v: &mut Value, s: &Value, path: &str, root: bool, out: &mut Vec<String>) {
    if s.get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        == Some(true)
    {
        return;
    }
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        Value::Object(m) => {
            let props = s.get("properties").and_then(Value::as_object);
            let additional = s.get("additionalProperties");
            if props.is_none() && additional.is_none() {
                return;
            }
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                if root && matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                    continue;
                }
                let child = props
                    .and_then(|p| p.get(&k))
                    .or(additional.filter(|a| a.is_object()));
                match child {
                    Some(cs) => {
                        if let Some(cv) = m.get_mut(&k) {
                            prune_at(cv, cs, &join(&k), false, out);
                        }
                    }
                    None if additional.and_then(Value::as_bool) == Some(true) => {}
                    None => {
                        m.remove(&k);
                        out.push(join(&k));
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(is) = s.get("items") {
                for (i, it) in items.iter_mut().enumerate() {
                    prune_at(it, is, &format!("{path}[{i}]"), false, out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prunes_undeclared_fields() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "size": {"type": "integer"},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "items": {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "string"}}}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}}}}}});
        let mut obj = json!({"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "n", "whatever": 1},
            "spec": {"size": 1, "bogus": 2, "free": {"any": 1}, "items": [{"a": "x", "b": "y"}], "labels": {"k": "v"}},
            "status": {"x": 1}});
        let gone = prune(&mut obj, &schema);
        assert_eq!(gone, ["spec.bogus", "spec.items[0].b", "status"]);
        assert_eq!(
            obj["spec"],
            json!({"size": 1, "free": {"any": 1}, "items": [{"a": "x"}], "labels": {"k": "v"}})
        );
        assert_eq!(obj["metadata"]["whatever"], 1);
    }

    #[test]
    fn versions_become_defs() {
        let crd = json!({"spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets", "shortNames": ["wd"]},
            "versions": [
                {"name": "v1alpha1", "served": true, "storage": false},
                {"name": "v1", "served": true, "storage": true, "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.size", "statusReplicasPath": ".status.size"}},
                 "schema": {"openAPIV3Schema": {"type": "object"}}},
                {"name": "v0", "served": false, "storage": false}]}});
        let d = defs_from_crd(&crd);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].version, "v1");
        assert!(d[0].status);
        assert_eq!(d[0].scale.as_ref().unwrap().spec_replicas, ".spec.size");
        assert_eq!(d[0].singular, "widget");
        assert_eq!(d[0].short_names, ["wd"]);
    }
}
