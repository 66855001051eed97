//! Scope: every object gets the namespace the API server will give it.

use std::collections::HashMap;

use gitops_core::Object;
use serde_json::Value;

use super::KubeCluster;
use crate::error::Error;

/// `(group, kind) -> namespaced` for the CustomResourceDefinitions among `objects`.
pub fn defined_kinds(objects: &[Object]) -> HashMap<(String, String), bool> {
    objects
        .iter()
        .filter(|o| o.group() == "apiextensions.k8s.io" && o.kind() == "CustomResourceDefinition")
        .filter_map(|crd| {
            let spec = &crd.manifest()["spec"];
            let group = spec["group"].as_str()?.to_owned();
            let kind = spec["names"]["kind"].as_str()?.to_owned();
            Some(((group, kind), spec["scope"] != "Cluster"))
        })
        .collect()
}

/// Sets or removes `metadata.namespace` so that the object's reference matches the live one.
pub fn with_scope(object: Object, namespaced: bool, default_namespace: &str) -> Object {
    match (namespaced, object.namespace().is_some()) {
        (true, false) => object
            .edit(|m| m["metadata"]["namespace"] = Value::String(default_namespace.to_owned()))
            .unwrap_or_else(|_| object.clone()),
        (false, true) => object
            .edit(|m| {
                if let Some(meta) = m["metadata"].as_object_mut() {
                    meta.remove("namespace");
                }
            })
            .unwrap_or_else(|_| object.clone()),
        _ => object,
    }
}

/// Resolves each object's scope: by the CRDs in the set, else by discovery.
pub(super) async fn prepare(
    cluster: &KubeCluster,
    objects: Vec<Object>,
) -> Result<Vec<Object>, Error> {
    let defined = defined_kinds(&objects);
    let mut out = Vec::with_capacity(objects.len());
    let mut known: HashMap<(String, String), bool> = HashMap::new();
    for object in objects {
        let key = (object.api_version().to_owned(), object.kind().to_owned());
        let namespaced = match known.get(&key) {
            Some(&n) => n,
            None => {
                let crd = defined.get(&(object.group().to_owned(), object.kind().to_owned()));
                let namespaced = match crd {
                    Some(&n) => n,
                    None => match cluster
                        .resolver
                        .resolve(object.api_version(), object.kind())
                        .await?
                    {
                        Some(resolved) => resolved.namespaced,
                        None => {
                            return Err(Error::UnknownKind {
                                object: object.reference().clone(),
                                api_version: object.api_version().to_owned(),
                                kind: object.kind().to_owned(),
                            });
                        }
                    },
                };
                known.insert(key, namespaced);
                namespaced
            }
        };
        out.push(with_scope(object, namespaced, &cluster.default_namespace));
    }
    Ok(out)
}
