//! Reading live objects: one labelled LIST per kind, single GETs for the rest.

use std::collections::{BTreeSet, HashMap};

use gitops_core::{Object, ObjectRef};
use kube::api::ListParams;

use super::{KubeCluster, Resolved, to_object};
use crate::error::Error;
use crate::retry::retry;

const PAGE: u32 = 500;

/// Every object of a kind carrying the label selector: in its one namespace when the objects
/// share one (least privilege, and a smaller list), else cluster-wide when allowed, else one
/// namespace at a time.
pub(super) async fn list_kind(
    cluster: &KubeCluster,
    resolved: &Resolved,
    selector: &str,
    namespaces: &BTreeSet<String>,
) -> Result<Vec<Object>, Error> {
    if resolved.namespaced
        && let [only] = namespaces.iter().collect::<Vec<_>>().as_slice()
    {
        return list_in(cluster, resolved, selector, Some(only)).await;
    }
    match list_in(cluster, resolved, selector, None).await {
        Err(Error::Api { code: 403, .. }) if resolved.namespaced && !namespaces.is_empty() => {
            let mut out = Vec::new();
            for ns in namespaces {
                out.extend(list_in(cluster, resolved, selector, Some(ns)).await?);
            }
            Ok(out)
        }
        other => other,
    }
}

/// Every object of a kind in one namespace (or cluster-wide for `None`), labelled or not.
pub(super) async fn list_all_in(
    cluster: &KubeCluster,
    resolved: &Resolved,
    namespace: Option<&str>,
) -> Result<Vec<Object>, Error> {
    list_in(cluster, resolved, "", namespace).await
}

async fn list_in(
    cluster: &KubeCluster,
    resolved: &Resolved,
    selector: &str,
    namespace: Option<&str>,
) -> Result<Vec<Object>, Error> {
    let api = cluster.api(resolved, namespace);
    let what = || format!("list {}", resolved.resource.kind);
    let mut out = Vec::new();
    let mut params = ListParams::default().limit(PAGE);
    if !selector.is_empty() {
        params = params.labels(selector);
    }
    loop {
        let page = retry(&cluster.options.retry, || api.list(&params))
            .await
            .map_err(|e| Error::kube(what(), &e))?;
        let next = page.metadata.continue_.clone().filter(|c| !c.is_empty());
        out.extend(
            page.items
                .into_iter()
                .filter_map(|item| to_object(item, resolved)),
        );
        match next {
            Some(token) => params = params.continue_token(&token),
            None => return Ok(out),
        }
    }
}

/// One object, or `None` when it does not exist.
pub(super) async fn get_one(
    cluster: &KubeCluster,
    resolved: &Resolved,
    object: &ObjectRef,
) -> Result<Option<Object>, Error> {
    let api = cluster.api(resolved, object.namespace());
    retry(&cluster.options.retry, || api.get_opt(&object.name))
        .await
        .map(|found| found.and_then(|item| to_object(item, resolved)))
        .map_err(|e| Error::kube(format!("get {object}"), &e))
}

/// Reads objects by reference (their version comes from discovery).
pub(super) async fn get_many(
    cluster: &KubeCluster,
    objects: &[ObjectRef],
) -> Result<Vec<Option<Object>>, Error> {
    let work = objects
        .iter()
        .map(|object| async move {
            match cluster
                .resolver
                .resolve_group_kind(&object.group, &object.kind)
                .await?
            {
                Some(resolved) => get_one(cluster, &resolved, object).await,
                None => Ok(None),
            }
        })
        .collect();
    super::bounded(work, cluster.options.concurrency).await
}

/// Live objects by reference.
pub(super) type LiveMap = HashMap<ObjectRef, Object>;
