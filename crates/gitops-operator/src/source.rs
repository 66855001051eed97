//! The GitRepository controller: fetch, record the artifact, wake the Applications using it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gitops_core::{Source, consts};
use gitops_source::git::{GitAuth, SshOptions};
use gitops_source::{GitRef, GitSource, GitSourceOptions};
use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};

use crate::context::{Context, Key};
use crate::crd::{ArtifactStatus, CommitStatus, GitRepository, GitRepositoryStatus};
use crate::error::Error;
use crate::status::{self, State};

/// Parses a duration such as `1m`, `30s`.
pub fn duration(text: &str, default: Duration) -> Duration {
    humantime::parse_duration(text).unwrap_or(default)
}

/// The `(namespace, name)` of an object.
pub fn key<K: Resource>(object: &K) -> Key {
    (object.namespace().unwrap_or_default(), object.name_any())
}

/// The values of a Secret, as text.
pub async fn secret_data(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<BTreeMap<String, String>, Error> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let secret = api
        .get(name)
        .await
        .map_err(|e| Error::kube(format!("read Secret {namespace}/{name}"), &e))?;
    let mut out: BTreeMap<String, String> = secret
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v.0).into_owned()))
        .collect();
    out.extend(secret.string_data.unwrap_or_default());
    Ok(out)
}

async fn options(repo: &GitRepository, ctx: &Context) -> Result<GitSourceOptions, Error> {
    let spec = &repo.spec;
    let reference = match &spec.reference {
        Some(r) => GitRef::from_parts(
            r.branch.as_deref(),
            r.tag.as_deref(),
            r.semver.as_deref(),
            r.commit.as_deref(),
        )
        .map_err(|e| Error::Invalid(e.to_string()))?,
        None => GitRef::default(),
    };
    let mut options = GitSourceOptions::new(spec.url.clone())
        .reference(reference)
        .timeout(
            spec.timeout
                .as_deref()
                .map_or(Duration::from_secs(60), |t| {
                    duration(t, Duration::from_secs(60))
                }),
        );
    options.cache_dir.clone_from(&ctx.settings.cache_dir);
    if let Some(secret) = &spec.secret_ref {
        let namespace = repo.namespace().unwrap_or_default();
        let data = secret_data(&ctx.client, &namespace, &secret.name).await?;
        if let Some(token) = data.get("bearerToken") {
            options = options.auth(GitAuth::Bearer(token.clone()));
        } else if let (Some(username), Some(password)) =
            (data.get("username"), data.get("password"))
        {
            options = options.auth(GitAuth::Basic {
                username: username.clone(),
                password: password.clone(),
            });
        }
        if let Some(identity) = data.get("identity") {
            // ssh reads keys and known_hosts from files: keep them beside the cache.
            let dir = ctx
                .settings
                .cache_dir
                .clone()
                .unwrap_or_else(std::env::temp_dir)
                .join("ssh")
                .join(format!("{namespace}-{}", secret.name));
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::Invalid(format!("{}: {e}", dir.display())))?;
            let key = dir.join("identity");
            write_private(&key, identity)?;
            let known_hosts = match data.get("known_hosts") {
                Some(hosts) => {
                    let path = dir.join("known_hosts");
                    write_private(&path, hosts)?;
                    Some(path)
                }
                None => None,
            };
            options = options.ssh(SshOptions {
                key: Some(key),
                known_hosts,
                command: None,
            });
        }
    }
    Ok(options)
}

fn write_private(path: &std::path::Path, content: &str) -> Result<(), Error> {
    std::fs::write(path, content)
        .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(())
}

/// Patches the status when it differs from what is stored.
async fn set_status(
    repo: &GitRepository,
    ctx: &Context,
    status: GitRepositoryStatus,
) -> Result<(), Error> {
    status::write(ctx, repo, repo.status.as_ref(), status).await
}

/// Reconciles one GitRepository.
pub async fn reconcile(repo: Arc<GitRepository>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = Instant::now();
    let result = fetch(&repo, &ctx).await;
    let outcome = if result.is_ok() { "success" } else { "failure" };
    ctx.metrics
        .reconciled("GitRepository", outcome, started.elapsed());
    result
}

async fn fetch(repo: &GitRepository, ctx: &Context) -> Result<Action, Error> {
    let generation = repo.metadata.generation.unwrap_or_default();
    let mut status = repo.status.clone().unwrap_or_default();
    status.observed_generation = generation;
    status.last_handled_reconcile_at = repo
        .annotations()
        .get(consts::RECONCILE_REQUESTED_AT)
        .cloned();
    if repo.spec.suspend {
        return Ok(Action::await_change());
    }
    let interval = duration(&repo.spec.interval, Duration::from_secs(60));
    let fetched = async {
        let options = options(repo, ctx).await?;
        let source = GitSource::new(options).map_err(|e| Error::Invalid(e.to_string()))?;
        let started = Instant::now();
        let artifact = source
            .fetch()
            .await
            .map_err(|e| Error::Source(e.to_string()))?;
        ctx.metrics.fetched(started.elapsed());
        Ok::<_, Error>(artifact)
    }
    .await;
    match fetched {
        Ok(artifact) => {
            let revision = artifact.revision.clone();
            let same = status.artifact.as_ref().map(|a| &a.revision) == Some(&revision);
            if !same {
                status.artifact = Some(ArtifactStatus {
                    revision: revision.clone(),
                    commit: artifact.commit.as_ref().map(|c| CommitStatus {
                        id: c.id.clone(),
                        author: c.author.clone(),
                        message: c.message.lines().next().unwrap_or_default().to_owned(),
                        time: status::rfc3339(c.time),
                    }),
                    last_update_time: status::now(),
                });
            }
            status.conditions = status::conditions(
                &status.conditions,
                State::Ready,
                "Succeeded",
                &format!("stored artifact for revision {revision}"),
                generation,
            );
            ctx.set_ignore(key(repo), repo.spec.ignore.clone());
            let new = ctx.set_artifact(key(repo), artifact);
            set_status(repo, ctx, status).await?;
            if new {
                wake_applications(repo, ctx);
            }
            Ok(Action::requeue(interval))
        }
        Err(error) => {
            status.conditions = status::conditions(
                &status.conditions,
                State::Failed,
                "GitOperationFailed",
                &error.to_string(),
                generation,
            );
            set_status(repo, ctx, status).await?;
            Err(error)
        }
    }
}

/// Reconciles the Applications that use this source.
fn wake_applications(repo: &GitRepository, ctx: &Context) {
    let (namespace, name) = key(repo);
    for app in ctx.apps() {
        let source = &app.spec.source_ref;
        let source_namespace = source
            .namespace
            .clone()
            .or_else(|| app.namespace())
            .unwrap_or_default();
        if source.name == name && source_namespace == namespace {
            ctx.trigger_app(ObjectRef::from_obj(&*app));
        }
    }
}
