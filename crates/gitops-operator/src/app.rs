//! The Application controller: dependencies, source, input closure, render, sync or drift,
//! status, events, alerts. The reconcile itself is `gitops_core::sync::reconcile`, the same the
//! CLI runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gitops_agent::{Event as Notification, events as notifications, failure_event};
use gitops_apply::BackendOptions;
use gitops_core::cluster::Cluster;
use gitops_core::diff::IgnoreRule;
use gitops_core::inventory::{SyncResult, applyset_id};
use gitops_core::sync::{self, SyncOptions, SyncReport, SyncRequest};
use gitops_core::{Artifact, Renderer, consts};
use gitops_render::helm::{FetchOptions, RenderSettings};
use gitops_render::{DirRenderer, RenderOptions};
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType};
use kube::runtime::finalizer::{Event as Finalized, finalizer};
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::context::{Context, Key};
use crate::crd::{Application, ApplicationStatus, DriftSummary, HistoryEntry, InventorySummary};
use crate::deps;
use crate::error::Error;
use crate::source::{duration, key};
use crate::status::{self, State};

const HISTORY: usize = 10;

/// Reconciles one Application (with its finalizer).
pub async fn reconcile(app: Arc<Application>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = Instant::now();
    let (namespace, _) = key(app.as_ref());
    let api: Api<Application> = Api::namespaced(ctx.client.clone(), &namespace);
    let result = finalizer(&api, consts::FINALIZER, app, |event| async {
        match event {
            Finalized::Apply(app) => apply(app, &ctx).await,
            Finalized::Cleanup(app) => cleanup(app, &ctx).await,
        }
    })
    .await
    .map_err(|e| Error::Finalizer(e.to_string()));
    let outcome = if result.is_ok() { "success" } else { "failure" };
    ctx.metrics
        .reconciled("Application", outcome, started.elapsed());
    result
}

/// How soon to retry after a failure.
pub fn retry_interval(app: &Application) -> Duration {
    let interval = duration(&app.spec.interval, Duration::from_secs(300));
    app.spec
        .retry_interval
        .as_deref()
        .map_or(interval, |r| duration(r, interval))
}

async fn publish(ctx: &Context, app: &Application, type_: EventType, reason: &str, note: String) {
    let event = Event {
        type_,
        reason: reason.to_owned(),
        note: Some(note),
        action: "Reconcile".to_owned(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&event, &app.object_ref(&())).await {
        tracing::debug!(error = %e, "event not recorded");
    }
}

/// Writes the status when it changed.
async fn set_status(
    ctx: &Context,
    app: &Application,
    status: ApplicationStatus,
) -> Result<(), Error> {
    status::write(ctx, app, app.status.as_ref(), status).await
}

/// The digest of the files a render read, as they are in `artifact`.
fn inputs_digest(root: &Path, inputs: &[PathBuf]) -> Option<String> {
    let mut hasher = Sha256::new();
    for input in inputs {
        let content = std::fs::read(root.join(input)).ok()?;
        hasher.update(input.as_os_str().as_encoded_bytes());
        hasher.update([0]);
        hasher.update(
            u64::try_from(content.len())
                .unwrap_or(u64::MAX)
                .to_le_bytes(),
        );
        hasher.update(&content);
    }
    let digest = hasher.finalize();
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// The manifest files under a directory (what a plain render would read), to notice new files.
fn listing(root: &Path, dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(root.join(rel)) else {
            return;
        };
        let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
        names.sort();
        for name in names {
            if name.as_encoded_bytes().starts_with(b".") {
                continue;
            }
            let child = rel.join(&name);
            if root.join(&child).is_dir() {
                walk(root, &child, out);
            } else if matches!(
                child.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                out.push(child);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, dir, &mut out);
    out
}

/// The artifact with the Application's path, checked to stay inside it.
fn artifact_for(app: &Application, artifact: &Artifact) -> Result<Artifact, Error> {
    let path = PathBuf::from(app.spec.path.trim_start_matches("./"));
    let escapes = path.is_absolute()
        || path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
    if escapes {
        return Err(Error::Invalid(format!(
            "path {:?} must be relative and stay inside the repository",
            app.spec.path
        )));
    }
    Ok(Artifact {
        path,
        ..artifact.clone()
    })
}

fn history_entry(report: &SyncReport) -> HistoryEntry {
    HistoryEntry {
        revision: report.revision.clone(),
        time: status::now(),
        result: match report.result {
            SyncResult::Succeeded => "Succeeded".to_owned(),
            SyncResult::Failed => "Failed".to_owned(),
        },
        created: report.counts.created,
        configured: report.counts.configured,
        deleted: report.counts.deleted,
    }
}

fn push_history(status: &mut ApplicationStatus, entry: HistoryEntry) {
    status.history.push(entry);
    let excess = status.history.len().saturating_sub(HISTORY);
    status.history.drain(..excess);
}

/// Keeps the previous check time when the drift did not change, so a steady state writes
/// nothing.
fn drift_summary(
    previous: Option<&DriftSummary>,
    changed: Vec<String>,
    deleted: Vec<String>,
) -> DriftSummary {
    match previous {
        Some(p) if p.changed == changed && p.deleted == deleted => p.clone(),
        _ => DriftSummary {
            changed,
            deleted,
            checked_at: status::now(),
        },
    }
}

/// `helm template`'s settings from `spec.helm` (release name: the Application's; namespace:
/// the target namespace, else the Application's), and the values files as inputs relative to
/// the artifact's root. A values file that leaves the source is refused.
fn helm_settings(
    ctx: &Context,
    app: &Application,
    app_key: &(String, String),
    artifact: &Artifact,
    cluster: &gitops_apply::KubeCluster,
) -> Result<(RenderSettings, Vec<PathBuf>), String> {
    let spec = app
        .spec
        .helm
        .clone()
        .unwrap_or_else(|| crate::crd::HelmSpec {
            include_crds: true,
            ..crate::crd::HelmSpec::default()
        });
    let mut settings = RenderSettings {
        release_name: spec
            .release_name
            .clone()
            .unwrap_or_else(|| app_key.1.clone()),
        namespace: app
            .spec
            .target_namespace
            .clone()
            .unwrap_or_else(|| app_key.0.clone()),
        include_crds: spec.include_crds,
        kube_version: spec.kube_version.clone(),
        api_versions: spec.api_versions.clone(),
        fetch: FetchOptions {
            cache_dir: ctx.settings.cache_dir.as_ref().map(|d| d.join("helm")),
            ..FetchOptions::default()
        },
        lookup: if spec.lookup {
            gitops_agent::helm_lookup(cluster.clone())
        } else {
            None
        },
        ..RenderSettings::default()
    };
    let root = std::fs::canonicalize(&artifact.root).map_err(|e| e.to_string())?;
    let mut inputs = Vec::new();
    for (i, file) in spec.value_files.iter().enumerate() {
        let field = format!("spec.helm.valueFiles[{i}]");
        let path = std::fs::canonicalize(artifact.dir().join(file))
            .map_err(|e| format!("{field}: {file}: {e}"))?;
        let rel = path
            .strip_prefix(&root)
            .map_err(|_| format!("{field}: {file} leaves the source"))?;
        inputs.push(rel.to_path_buf());
        settings.values.value_files.push(path);
    }
    if let Some(values) = spec.values {
        settings.values.inline.push(values);
    }
    for p in &spec.parameters {
        let value = p.value.replace('\\', "\\\\").replace(',', "\\,");
        let set = format!("{}={value}", p.name);
        if p.force_string {
            settings.values.string_values.push(set);
        } else {
            settings.values.values.push(set);
        }
    }
    Ok((settings, inputs))
}

/// Whether `artifact` changes none of the files the Application's last render read (and adds
/// no manifest beside them): then its render cannot change.
pub fn unaffected(ctx: &Context, app: &Application, artifact: &Artifact) -> bool {
    let Ok(artifact) = artifact_for(app, artifact) else {
        return false;
    };
    let digest = app.status.as_ref().and_then(|s| s.inputs_digest.as_deref());
    same_inputs(ctx, &key(app), &artifact, digest)
}

/// Whether `artifact` holds exactly the files of the last render (as far as they matter: no
/// new manifest beside them, the same content by `digest`). False without a recorded digest.
fn same_inputs(ctx: &Context, key: &Key, artifact: &Artifact, digest: Option<&str>) -> bool {
    let Some(inputs) = ctx.inputs(key) else {
        return false;
    };
    digest.is_some()
        && listing(&artifact.root, &artifact.path)
            .iter()
            .all(|f| inputs.contains(f))
        && inputs_digest(&artifact.root, &inputs).as_deref() == digest
}

/// Dependencies not ready in the store are read again: the store may lag behind their last
/// status write (the write that woke this Application).
async fn dependencies_ready(ctx: &Context, app: &Application) -> Result<(), String> {
    let mut apps = ctx.apps();
    let revision_of = |other: &Application| {
        ctx.artifact(&deps::source_key(other))
            .map(|a| a.revision.clone())
    };
    if deps::check(app, &apps, revision_of).is_ok() {
        return Ok(());
    }
    let namespace = app.namespace().unwrap_or_default();
    for dependency in &app.spec.depends_on {
        let ns = dependency
            .namespace
            .clone()
            .unwrap_or_else(|| namespace.clone());
        let api: Api<Application> = Api::namespaced(ctx.client.clone(), &ns);
        if let Ok(Some(fresh)) = api.get_opt(&dependency.name).await {
            let fresh_key = key(&fresh);
            apps.retain(|a| key(a.as_ref()) != fresh_key);
            apps.push(Arc::new(fresh));
        }
    }
    deps::check(app, &apps, revision_of)
}

async fn apply(app: Arc<Application>, ctx: &Context) -> Result<Action, Error> {
    let app_key = key(app.as_ref());
    let generation = app.metadata.generation.unwrap_or_default();
    let previous = app.status.clone().unwrap_or_default();
    let mut status = previous.clone();
    status.observed_generation = generation;
    let requested = app
        .annotations()
        .get(consts::RECONCILE_REQUESTED_AT)
        .cloned();
    let forced = requested.is_some() && requested != previous.last_handled_reconcile_at;
    status.last_handled_reconcile_at = requested;
    let interval = duration(&app.spec.interval, Duration::from_secs(300));

    if app.spec.suspend {
        status.conditions = previous.conditions.clone();
        set_status(ctx, &app, status).await?;
        return Ok(Action::await_change());
    }

    let apps = ctx.apps();
    if let Some(cycle) = deps::cycle(&app, &apps) {
        let message = format!("dependency cycle: {cycle}");
        status.conditions = status::conditions(
            &previous.conditions,
            State::Stalled,
            "DependencyCycle",
            &message,
            generation,
        );
        publish(ctx, &app, EventType::Warning, "DependencyCycle", message).await;
        set_status(ctx, &app, status).await?;
        return Ok(Action::await_change());
    }
    if let Err(why) = dependencies_ready(ctx, &app).await {
        status.conditions = status::conditions(
            &previous.conditions,
            State::Failed,
            "DependencyNotReady",
            &why,
            generation,
        );
        set_status(ctx, &app, status).await?;
        // Dependencies wake this Application when they become ready; this is a fallback.
        return Ok(Action::requeue(Duration::from_secs(30)));
    }

    let Some(source) = ctx.artifact(&deps::source_key(&app)) else {
        let (ns, name) = deps::source_key(&app);
        let message = format!("source {ns}/{name} has no artifact yet");
        status.conditions = status::conditions(
            &previous.conditions,
            State::Failed,
            "SourceNotReady",
            &message,
            generation,
        );
        set_status(ctx, &app, status).await?;
        return Ok(Action::requeue(Duration::from_secs(10)));
    };
    let artifact = artifact_for(&app, &source)?;
    let revision = artifact.revision.clone();
    let spec_changed = generation != previous.observed_generation;
    let new_revision = previous.last_applied_revision.as_deref() != Some(revision.as_str());

    // A revision that changes none of the files this Application reads is only recorded.
    if new_revision
        && !spec_changed
        && !forced
        && previous.last_applied_revision.is_some()
        && same_inputs(ctx, &app_key, &artifact, previous.inputs_digest.as_deref())
    {
        status.last_applied_revision = Some(revision.clone());
        status.last_attempted_revision = Some(revision.clone());
        let message = format!("revision {revision} changes none of this application's files");
        status.conditions = status::conditions(
            &previous.conditions,
            State::Ready,
            "ReconciliationSucceeded",
            &message,
            generation,
        );
        set_status(ctx, &app, status).await?;
        ctx.metrics
            .reconciled("Application", "skipped", Duration::ZERO);
        wake_dependents(ctx, &app);
        return Ok(Action::requeue(interval));
    }

    let account = app
        .spec
        .service_account_name
        .as_deref()
        .map(|sa| (app_key.0.as_str(), sa));
    let client = ctx
        .client_for(account)
        .map_err(|e| Error::kube("build an impersonating client", &e))?;
    let backend_options = BackendOptions {
        field_manager: ctx.settings.field_manager.clone(),
        // Applications reconcile in parallel already; few requests per Application at once
        // keep the number of open connections (and their buffers) small.
        concurrency: 4,
        // Many Applications share a namespace: read missing objects one by one rather than
        // listing the whole namespace for each.
        list_missing_at: usize::MAX,
        default_namespace: app
            .spec
            .target_namespace
            .clone()
            .or_else(|| Some(app_key.0.clone())),
        ignore: app
            .spec
            .ignore_differences
            .iter()
            .map(|i| IgnoreRule {
                group: i.group.clone(),
                kind: i.kind.clone(),
                namespace: i.namespace.clone(),
                name: i.name.clone(),
                json_pointers: i.json_pointers.clone(),
            })
            .collect(),
        ..BackendOptions::default()
    };
    let cluster = ctx.backend(client, backend_options);
    let loader =
        gitops_agent::GitRemoteLoader::new(ctx.settings.cache_dir.clone(), Duration::from_secs(60));
    let render_options = RenderOptions {
        ignore: ctx.ignore(&deps::source_key(&app)),
        ..RenderOptions::default()
    };
    let rendered = match helm_settings(ctx, &app, &app_key, &artifact, &cluster) {
        Ok((settings, value_files)) => DirRenderer::new(render_options)
            .with_remote_loader(Arc::new(loader))
            .with_helm(settings)
            .render(&artifact)
            .await
            .map(|mut rendered| {
                // Values files outside the chart are inputs too; a live lookup is outside
                // the source altogether.
                rendered.inputs.extend(value_files);
                if app.spec.helm.as_ref().is_some_and(|h| h.lookup) {
                    rendered
                        .external
                        .push("lookup: the live cluster".to_owned());
                }
                rendered.inputs.sort();
                rendered.inputs.dedup();
                rendered
            })
            .map_err(|e| e.to_string()),
        Err(message) => Err(message),
    };
    let rendered = match rendered {
        Ok(rendered) => rendered,
        Err(e) => {
            let message = e.to_string();
            status.last_attempted_revision = Some(revision.clone());
            status.conditions = status::conditions(
                &previous.conditions,
                State::Failed,
                "RenderFailed",
                &message,
                generation,
            );
            publish(ctx, &app, EventType::Warning, "RenderFailed", message).await;
            alert(ctx, &app, vec![failure_event(&app_key.1, &revision, &e)]).await;
            set_status(ctx, &app, status).await?;
            return Ok(Action::requeue(retry_interval(&app)));
        }
    };
    let digest = inputs_digest(&artifact.root, &rendered.inputs);
    if rendered.external.is_empty() {
        ctx.set_inputs(app_key.clone(), rendered.inputs.clone());
    } else {
        // The render read remote bases or charts: a new commit that changes none of the local
        // inputs may still render differently, so the input-closure shortcut never applies.
        ctx.forget(&app_key);
    }

    let mut options = SyncOptions::new(app_key.1.clone(), app_key.0.clone());
    options
        .apply
        .field_manager
        .clone_from(&ctx.settings.field_manager);
    options.prune.enabled = app.spec.prune;
    options.wait = app.spec.wait.then(|| {
        app.spec
            .timeout
            .as_deref()
            .map_or(Duration::from_secs(300), |t| {
                duration(t, Duration::from_secs(300))
            })
    });
    options.source = Some(
        json!({"kind": "GitRepository", "name": deps::source_key(&app).1, "path": app.spec.path})
            .to_string(),
    );
    status.inventory = Some(InventorySummary {
        id: applyset_id(&app_key.1, &app_key.0),
        entries: previous.inventory.as_ref().map_or(0, |i| i.entries),
    });

    let sync_now =
        forced || (app.spec.automated() && (app.spec.self_heal() || new_revision || spec_changed));
    if !sync_now {
        return report_drift(
            ctx,
            &app,
            &cluster,
            rendered.objects,
            &options,
            status,
            &previous,
            &revision,
            new_revision,
            interval,
        )
        .await;
    }

    let request = SyncRequest {
        objects: rendered.objects,
        revision: revision.clone(),
        commit: artifact.commit.clone(),
        now: gitops_agent::now(),
    };
    status.last_attempted_revision = Some(revision.clone());
    match sync::reconcile(&cluster, request, &options).await {
        Ok(report) => {
            let succeeded = report.result == SyncResult::Succeeded;
            let entries = report
                .changes
                .entries
                .iter()
                .filter(|e| !matches!(e.change, gitops_core::diff::Change::Delete))
                .count();
            if let Some(inventory) = status.inventory.as_mut() {
                inventory.entries = entries + report.prune.remaining().count();
            }
            let drifted: Vec<String> = if report.same_revision() && report.changed() {
                report
                    .changes
                    .entries
                    .iter()
                    .filter(|e| {
                        !matches!(
                            e.change,
                            gitops_core::diff::Change::Unchanged
                                | gitops_core::diff::Change::Delete
                        )
                    })
                    .map(|e| e.object.to_string())
                    .collect()
            } else {
                Vec::new()
            };
            ctx.metrics.objects(
                &app_key.0,
                &app_key.1,
                entries,
                if succeeded { 0 } else { drifted.len() },
            );
            if report.changed() || !succeeded {
                push_history(&mut status, history_entry(&report));
            }
            if succeeded {
                status.last_applied_revision = Some(revision.clone());
                status.inputs_digest = digest;
                status.drift = Some(drift_summary(
                    previous.drift.as_ref(),
                    Vec::new(),
                    Vec::new(),
                ));
                let message = format!("applied revision {revision}");
                status.conditions = status::conditions(
                    &previous.conditions,
                    State::Ready,
                    "ReconciliationSucceeded",
                    &message,
                    generation,
                );
            } else {
                status.conditions = status::conditions(
                    &previous.conditions,
                    State::Failed,
                    "ReconciliationFailed",
                    &report.message,
                    generation,
                );
            }
            let summary = format!(
                "{revision}: {} created, {} configured, {} pruned",
                report.counts.created, report.counts.configured, report.counts.deleted
            );
            match (succeeded, report.changed(), drifted.is_empty()) {
                (false, _, _) => {
                    publish(
                        ctx,
                        &app,
                        EventType::Warning,
                        "ReconciliationFailed",
                        report.message.clone(),
                    )
                    .await
                }
                (true, true, false) => {
                    publish(
                        ctx,
                        &app,
                        EventType::Warning,
                        "DriftDetected",
                        format!(
                            "{} object(s) drifted: {}",
                            drifted.len(),
                            drifted.join(", ")
                        ),
                    )
                    .await;
                    publish(ctx, &app, EventType::Normal, "DriftHealed", summary).await;
                }
                (true, true, true) => {
                    publish(
                        ctx,
                        &app,
                        EventType::Normal,
                        "ReconciliationSucceeded",
                        summary,
                    )
                    .await
                }
                (true, false, _) => {}
            }
            alert(ctx, &app, notifications(&report, &artifact)).await;
            set_status(ctx, &app, status).await?;
            if succeeded {
                if new_revision || spec_changed {
                    wake_dependents(ctx, &app);
                }
                Ok(Action::requeue(interval))
            } else {
                Ok(Action::requeue(retry_interval(&app)))
            }
        }
        Err(e) => {
            let message = e.to_string();
            let reason = if e.is_bad_input() {
                "ValidationFailed"
            } else {
                "ReconciliationFailed"
            };
            status.conditions = status::conditions(
                &previous.conditions,
                State::Failed,
                reason,
                &message,
                generation,
            );
            publish(ctx, &app, EventType::Warning, reason, message).await;
            alert(ctx, &app, vec![failure_event(&app_key.1, &revision, &e)]).await;
            set_status(ctx, &app, status).await?;
            Ok(Action::requeue(retry_interval(&app)))
        }
    }
}

/// Manual policy, or self-heal off on an unchanged revision: report, change nothing.
#[allow(clippy::too_many_arguments)]
async fn report_drift(
    ctx: &Context,
    app: &Application,
    cluster: &gitops_apply::KubeCluster,
    objects: Vec<gitops_core::Object>,
    options: &SyncOptions,
    mut status: ApplicationStatus,
    previous: &ApplicationStatus,
    revision: &str,
    new_revision: bool,
    interval: Duration,
) -> Result<Action, Error> {
    let generation = app.metadata.generation.unwrap_or_default();
    let (namespace, name) = key(app);
    let drift = match sync::detect_drift(cluster, objects, options).await {
        Ok(drift) => drift,
        Err(e) => {
            status.conditions = status::conditions(
                &previous.conditions,
                State::Failed,
                "DriftCheckFailed",
                &e.to_string(),
                generation,
            );
            set_status(ctx, app, status).await?;
            return Ok(Action::requeue(retry_interval(app)));
        }
    };
    let changed: Vec<String> = drift.changed.iter().map(|e| e.object.to_string()).collect();
    let deleted: Vec<String> = drift.deleted.iter().map(ToString::to_string).collect();
    ctx.metrics.objects(
        &namespace,
        &name,
        status.inventory.as_ref().map_or(0, |i| i.entries),
        changed.len() + deleted.len(),
    );
    let summary = drift_summary(previous.drift.as_ref(), changed.clone(), deleted.clone());
    let is_new_drift = previous.drift.as_ref() != Some(&summary) && !drift.is_empty();
    status.drift = Some(summary);
    let (state, reason, message) = match (new_revision, drift.is_empty()) {
        (true, _) => (
            State::Failed,
            "OutOfSync",
            format!("revision {revision} waits for a sync (gitops reconcile app {name})"),
        ),
        (false, false) => (
            State::Failed,
            "DriftDetected",
            format!(
                "{} object(s) differ from Git",
                changed.len() + deleted.len()
            ),
        ),
        (false, true) => (
            State::Ready,
            "ReconciliationSucceeded",
            format!("in sync with revision {revision}"),
        ),
    };
    status.conditions =
        status::conditions(&previous.conditions, state, reason, &message, generation);
    if is_new_drift {
        let objects: Vec<String> = changed.iter().chain(&deleted).cloned().collect();
        publish(
            ctx,
            app,
            EventType::Warning,
            "DriftDetected",
            format!("{message}: {}", objects.join(", ")),
        )
        .await;
        let event = Notification {
            name: name.clone(),
            kind: gitops_agent::EventKind::DriftDetected,
            revision: revision.to_owned(),
            commit: None,
            counts: Default::default(),
            failing: objects
                .into_iter()
                .map(|object| gitops_agent::notify::Failing {
                    object,
                    message: "differs from Git".to_owned(),
                })
                .collect(),
            message,
            time: gitops_agent::now(),
        };
        alert(ctx, app, vec![event]).await;
    }
    set_status(ctx, app, status).await?;
    Ok(Action::requeue(interval))
}

async fn alert(ctx: &Context, app: &Application, events: Vec<Notification>) {
    let (namespace, _) = key(app);
    ctx.alerts.dispatch(&ctx.client, &namespace, &events).await;
}

fn wake_dependents(ctx: &Context, app: &Application) {
    for dependent in deps::dependents(app, &ctx.apps()) {
        ctx.trigger_app(ObjectRef::from_obj(&*dependent));
    }
}

/// Deletion: prune everything the Application owns (when `prune` is on), then let it go.
async fn cleanup(app: Arc<Application>, ctx: &Context) -> Result<Action, Error> {
    let app_key = key(app.as_ref());
    ctx.forget(&app_key);
    ctx.metrics.forget(&app_key.0, &app_key.1);
    let account = app
        .spec
        .service_account_name
        .as_deref()
        .map(|sa| (app_key.0.as_str(), sa));
    let client = ctx
        .client_for(account)
        .map_err(|e| Error::kube("build an impersonating client", &e))?;
    let cluster = ctx.backend(client.clone(), BackendOptions::default());
    let inventory = cluster
        .load_inventory(&app_key.1, &app_key.0)
        .await
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let Some(inventory) = inventory else {
        return Ok(Action::await_change());
    };
    if app.spec.prune {
        let mut members: Vec<_> = inventory.members.iter().cloned().collect();
        gitops_core::prune::deletion_order(&mut members);
        let results = gitops_core::Applier::delete(&cluster, &members, &Default::default())
            .await
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let failed: Vec<String> = results
            .iter()
            .filter_map(|r| {
                r.outcome
                    .as_ref()
                    .err()
                    .map(|e| format!("{}: {e}", r.object))
            })
            .collect();
        if !failed.is_empty() {
            return Err(Error::Invalid(format!(
                "prune on deletion failed: {}",
                failed.join("; ")
            )));
        }
        publish(
            ctx,
            &app,
            EventType::Normal,
            "Pruned",
            format!("deleted {} object(s)", members.len()),
        )
        .await;
    }
    let parent = gitops_core::ObjectRef::new("", "ConfigMap", &app_key.0, &app_key.1);
    gitops_core::Applier::delete(&cluster, &[parent], &Default::default())
        .await
        .map_err(|e| Error::Invalid(e.to_string()))?;
    Ok(Action::await_change())
}
