//! Apply: server-side apply of one stage, concurrently, with retries and replace-on-immutable.

use gitops_core::apply::{Action, ApplyOptions, ObjectResult};
use gitops_core::{Object, ObjectRef, consts};
use kube::api::{DeleteParams, Patch, PatchParams};

use super::{KubeCluster, Resolved};
use crate::error::Error;
use crate::retry::{is_field_conflict, is_transient, retry};

pub(super) async fn apply(
    cluster: &KubeCluster,
    objects: &[Object],
    options: &ApplyOptions,
) -> Result<Vec<ObjectResult>, Error> {
    let work = objects
        .iter()
        .map(|object| apply_one(cluster, object, options))
        .collect();
    super::bounded(work, cluster.options.concurrency).await
}

fn params(options: &ApplyOptions) -> PatchParams {
    let mut params = PatchParams::apply(&options.field_manager);
    params.force = options.force;
    params.dry_run = options.dry_run;
    params
}

/// Whether the server refused the update because it changes an immutable field.
fn is_immutable(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) if status.code == 422 => {
            status.message.contains("immutable")
                || status
                    .details
                    .as_ref()
                    .is_some_and(|d| d.causes.iter().any(|c| c.message.contains("immutable")))
        }
        _ => false,
    }
}

fn failure(object: &ObjectRef, error: &kube::Error, hint: &str) -> ObjectResult {
    let message = match error {
        kube::Error::Api(status) if is_field_conflict(error) => {
            format!(
                "conflict with another field manager: {}{hint}",
                status.message
            )
        }
        kube::Error::Api(status) => format!("{} ({}){hint}", status.message, status.reason),
        other => format!("{other}{hint}"),
    };
    ObjectResult::failed(object.clone(), message, is_transient(error))
}

async fn apply_one(
    cluster: &KubeCluster,
    object: &Object,
    options: &ApplyOptions,
) -> Result<ObjectResult, Error> {
    let reference = object.reference();
    if object.group() == "apiextensions.k8s.io" && object.kind() == "CustomResourceDefinition" {
        let spec = &object.manifest()["spec"];
        if let (Some(group), Some(kind)) = (spec["group"].as_str(), spec["names"]["kind"].as_str())
        {
            cluster.resolver.expect(group, kind);
        }
    }
    let Some(resolved) = cluster
        .resolver
        .resolve(object.api_version(), object.kind())
        .await?
    else {
        return Ok(ObjectResult::failed(
            reference.clone(),
            format!("unknown kind {} in {}", object.kind(), object.api_version()),
            false,
        ));
    };
    let before = match cluster.seen(reference) {
        Some(before) => before,
        None => super::live::get_one(cluster, &resolved, reference)
            .await?
            .and_then(|o| {
                o.manifest()["metadata"]["resourceVersion"]
                    .as_str()
                    .map(str::to_owned)
            }),
    };
    let api = cluster.api(&resolved, reference.namespace());
    let params = params(options);
    let patch = Patch::Apply(object.manifest());
    let result = retry(&cluster.options.retry, || {
        api.patch(&reference.name, &params, &patch)
    })
    .await;
    match result {
        Ok(applied) => {
            let after = applied.metadata.resource_version.clone();
            if !options.dry_run {
                cluster.remember(reference.clone(), after.clone());
            }
            let action = match before {
                None => Action::Created,
                Some(rv) if Some(&rv) == after.as_ref() => Action::Unchanged,
                Some(_) => Action::Configured,
            };
            Ok(ObjectResult::done(reference.clone(), action))
        }
        Err(e) if is_immutable(&e) => {
            let replace = object.annotation(consts::REPLACE) == Some("true")
                || cluster.options.replace_immutable;
            if replace && !options.dry_run {
                replace_one(cluster, object, &resolved, &params).await
            } else {
                Ok(failure(
                    reference,
                    &e,
                    "; annotate the object with gitops.rs/replace: \"true\" to delete and re-create it",
                ))
            }
        }
        Err(e @ (kube::Error::HyperError(_) | kube::Error::Service(_))) => {
            Err(Error::kube(format!("apply {reference}"), &e))
        }
        Err(e) => Ok(failure(reference, &e, "")),
    }
}

/// Deletes the object, waits until it is gone, and applies it again.
async fn replace_one(
    cluster: &KubeCluster,
    object: &Object,
    resolved: &Resolved,
    params: &PatchParams,
) -> Result<ObjectResult, Error> {
    let reference = object.reference();
    let api = cluster.api(resolved, reference.namespace());
    let delete = DeleteParams::foreground();
    if let Err(e) = retry(&cluster.options.retry, || {
        api.delete(&reference.name, &delete)
    })
    .await
        && !matches!(&e, kube::Error::Api(s) if s.code == 404)
    {
        return Ok(failure(reference, &e, " (while deleting it to replace it)"));
    }
    let mut pause = std::time::Duration::from_millis(20);
    let deadline = tokio::time::Instant::now() + cluster.options.crd_ready_timeout;
    while super::live::get_one(cluster, resolved, reference)
        .await?
        .is_some()
    {
        if tokio::time::Instant::now() >= deadline {
            return Ok(ObjectResult::failed(
                reference.clone(),
                "deleted to be replaced, but it is still there (finalizers?)",
                true,
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_secs(1));
    }
    let patch = Patch::Apply(object.manifest());
    match retry(&cluster.options.retry, || {
        api.patch(&reference.name, params, &patch)
    })
    .await
    {
        Ok(applied) => {
            cluster.remember(reference.clone(), applied.metadata.resource_version);
            tracing::info!(object = %reference, "replaced (immutable field changed)");
            Ok(ObjectResult::done(reference.clone(), Action::Configured))
        }
        Err(e) => Ok(failure(reference, &e, " (while re-creating it)")),
    }
}
