//! Helm's `lookup` against a live cluster, for renders that run on tokio's blocking pool.

use gitops_apply::KubeCluster;
use gitops_render::helm::{LookupFn, lookup_from_json};

/// A `lookup` that reads `cluster` (see [`KubeCluster::lookup`]).
///
/// Renders run on tokio's blocking pool ([`gitops_render::DirRenderer`]'s `Renderer`
/// implementation), where each call blocks on the request; call this inside the runtime.
/// Returns `None` outside a tokio runtime.
pub fn helm_lookup(cluster: KubeCluster) -> Option<LookupFn> {
    let handle = tokio::runtime::Handle::try_current().ok()?;
    Some(lookup_from_json(
        move |api_version, kind, namespace, name| {
            handle
                .block_on(cluster.lookup(api_version, kind, namespace, name))
                .map_err(|e| e.to_string())
        },
    ))
}
