//! The inventory's parent ConfigMap: read and server-side applied like any object.

use gitops_core::inventory::Inventory;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};

use super::KubeCluster;
use crate::error::Error;
use crate::retry::retry;

fn configmaps(cluster: &KubeCluster, namespace: &str) -> Api<DynamicObject> {
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("", "v1", "ConfigMap"),
        "configmaps",
    );
    Api::namespaced_with(cluster.client.clone(), namespace, &resource)
}

pub(super) async fn load(
    cluster: &KubeCluster,
    name: &str,
    namespace: &str,
) -> Result<Option<Inventory>, Error> {
    let api = configmaps(cluster, namespace);
    let found = retry(&cluster.options.retry, || api.get_opt(name))
        .await
        .map_err(|e| Error::kube(format!("read inventory {namespace}/{name}"), &e))?;
    let Some(parent) = found else {
        return Ok(None);
    };
    let mut value = serde_json::to_value(parent).map_err(|e| Error::Connection {
        what: format!("read inventory {namespace}/{name}"),
        message: e.to_string(),
    })?;
    value["apiVersion"] = "v1".into();
    value["kind"] = "ConfigMap".into();
    Ok(Some(Inventory::from_parent(&value)?))
}

pub(super) async fn save(cluster: &KubeCluster, inventory: &Inventory) -> Result<(), Error> {
    let api = configmaps(cluster, &inventory.namespace);
    let parent = inventory.to_parent();
    let params = PatchParams::apply(&cluster.options.field_manager).force();
    let patch = Patch::Apply(&parent);
    retry(&cluster.options.retry, || {
        api.patch(&inventory.name, &params, &patch)
    })
    .await
    .map_err(|e| {
        Error::kube(
            format!("write inventory {}/{}", inventory.namespace, inventory.name),
            &e,
        )
    })?;
    Ok(())
}
