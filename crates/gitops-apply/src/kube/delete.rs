//! Delete: objects by reference, concurrently, with retries.

use gitops_core::ObjectRef;
use gitops_core::apply::{Action, DeleteOptions, ObjectResult, Propagation};
use kube::api::{DeleteParams, PropagationPolicy};

use super::KubeCluster;
use crate::error::Error;
use crate::retry::{is_transient, retry};

fn params(options: &DeleteOptions) -> DeleteParams {
    DeleteParams {
        dry_run: options.dry_run,
        propagation_policy: Some(match options.propagation {
            Propagation::Background => PropagationPolicy::Background,
            Propagation::Foreground => PropagationPolicy::Foreground,
            Propagation::Orphan => PropagationPolicy::Orphan,
        }),
        ..DeleteParams::default()
    }
}

pub(super) async fn delete(
    cluster: &KubeCluster,
    objects: &[ObjectRef],
    options: &DeleteOptions,
) -> Result<Vec<ObjectResult>, Error> {
    let params = params(options);
    let params = &params;
    let work = objects
        .iter()
        .map(|object| async move {
            {
                let Some(resolved) = cluster
                    .resolver
                    .resolve_group_kind(&object.group, &object.kind)
                    .await?
                else {
                    // The kind is gone (its CRD was deleted), and its objects with it.
                    return Ok(ObjectResult::done(object.clone(), Action::Skipped));
                };
                let api = cluster.api(&resolved, object.namespace());
                match retry(&cluster.options.retry, || api.delete(&object.name, params)).await {
                    Ok(_) => {
                        cluster.remember(object.clone(), None);
                        Ok(ObjectResult::done(object.clone(), Action::Deleted))
                    }
                    Err(kube::Error::Api(status)) if status.code == 404 => {
                        Ok(ObjectResult::done(object.clone(), Action::Skipped))
                    }
                    Err(e @ (kube::Error::HyperError(_) | kube::Error::Service(_))) => {
                        Err(Error::kube(format!("delete {object}"), &e))
                    }
                    Err(e) => {
                        let message = match &e {
                            kube::Error::Api(status) => {
                                format!("{} ({})", status.message, status.reason)
                            }
                            other => other.to_string(),
                        };
                        Ok(ObjectResult::failed(
                            object.clone(),
                            message,
                            is_transient(&e),
                        ))
                    }
                }
            }
        })
        .collect();
    super::bounded(work, cluster.options.concurrency).await
}
