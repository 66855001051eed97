//! Live reads for Helm's `lookup`: one object by name, or a list, as Helm returns them.

use kube::api::{DynamicObject, ListParams};
use serde_json::{Value, json};

use super::KubeCluster;
use crate::error::Error;

impl KubeCluster {
    /// Reads what Helm's `lookup apiVersion kind namespace name` reads from a cluster: the
    /// object (`{}` when it does not exist), or with an empty name the list of the kind in the
    /// namespace (every namespace when it is empty), as `{apiVersion, kind: <Kind>List,
    /// metadata, items}`. A kind the cluster does not serve is an error, as in Helm.
    pub async fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Value, Error> {
        let what = format!("lookup {api_version} {kind} {namespace}/{name}");
        let resolved = self
            .resolver()
            .resolve(api_version, kind)
            .await?
            .ok_or_else(|| Error::Api {
                what: what.clone(),
                code: 404,
                reason: "NotFound".to_owned(),
                message: format!(
                    "unable to get apiresource from unstructured: {}, Kind={kind}",
                    group_version(api_version)
                ),
            })?;
        let api = self.api(&resolved, Some(namespace).filter(|n| !n.is_empty()));
        let typed = |mut v: Value| {
            if let Value::Object(m) = &mut v {
                m.insert("apiVersion".into(), json!(api_version));
                m.insert("kind".into(), json!(kind));
            }
            v
        };
        let to_json = |o: &DynamicObject| serde_json::to_value(o).unwrap_or(Value::Null);
        if !name.is_empty() {
            return match api.get_opt(name).await {
                Ok(Some(object)) => Ok(typed(to_json(&object))),
                Ok(None) => Ok(json!({})),
                Err(e) => Err(Error::kube(what, &e)),
            };
        }
        match api.list(&ListParams::default()).await {
            Ok(list) => Ok(json!({
                "apiVersion": api_version,
                "kind": format!("{kind}List"),
                "metadata": {"resourceVersion": list.metadata.resource_version.unwrap_or_default()},
                "items": list.items.iter().map(|o| typed(to_json(o))).collect::<Vec<_>>(),
            })),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(json!({})),
            Err(e) => Err(Error::kube(what, &e)),
        }
    }
}

/// `group/version` as Kubernetes prints a GroupVersion (`/v1` for the core group).
fn group_version(api_version: &str) -> String {
    match api_version.split_once('/') {
        Some(_) => api_version.to_owned(),
        None => format!("/{api_version}"),
    }
}
