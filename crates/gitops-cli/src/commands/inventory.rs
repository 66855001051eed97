//! Commands that start from a sync's inventory: status, history, rollback, suspend, resume.

use std::fmt::Write as _;

use gitops_agent::Pipeline;
use gitops_core::apply::Applier;
use gitops_core::cluster::Cluster;
use gitops_core::health::{Health, Status, assess};
use gitops_core::inventory::{Inventory, SyncRecord};
use gitops_core::sync::{DriftReport, SyncOptions};
use gitops_core::{ObjectRef, Source};
use gitops_render::RenderOptions;
use gitops_source::{AnySource, GitRef, GitSourceOptions, SourceSpec};
use serde::Serialize;

use crate::args::{Global, NameArgs, RollbackArgs};
use crate::cluster::Target;
use crate::exit::{self, Failure};
use crate::output;

/// The inventory of a name, or a bad-input error saying there is none.
async fn load(target: &Target, global: &Global, name: &str) -> Result<Inventory, Failure> {
    let namespace = target.namespace(global);
    target
        .cluster
        .load_inventory(name, &namespace)
        .await
        .map_err(super::classified)?
        .ok_or_else(|| {
            Failure::bad_input(anyhow::anyhow!(
                "no sync named {name:?} in namespace {namespace:?} (see `gitops apply --name`)"
            ))
        })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusJson<'a> {
    name: &'a str,
    namespace: &'a str,
    source: Option<SourceSpec>,
    revision: Option<&'a str>,
    suspended: bool,
    last_sync: Option<&'a SyncRecord>,
    objects: Vec<ObjectHealth<'a>>,
    drift: Option<DriftReport>,
    drift_error: Option<String>,
}

#[derive(Serialize)]
struct ObjectHealth<'a> {
    object: &'a ObjectRef,
    health: Health,
}

/// `gitops status`.
pub async fn status(global: &Global, args: NameArgs) -> Result<u8, Failure> {
    let target = crate::cluster::connect(global, Default::default()).await?;
    let result = status_of(global, &target, &args.name).await;
    target.close().await;
    result
}

async fn status_of(global: &Global, target: &Target, name: &str) -> Result<u8, Failure> {
    let inventory = load(target, global, name).await?;
    let members: Vec<ObjectRef> = inventory.members.iter().cloned().collect();
    let live = target
        .cluster
        .get(&members)
        .await
        .map_err(super::classified)?;
    let objects: Vec<ObjectHealth<'_>> = inventory
        .members
        .iter()
        .zip(live)
        .map(|(object, live)| ObjectHealth {
            object,
            health: live.map_or_else(
                || Health::new(Status::Unknown, "not found"),
                |l| assess(l.manifest()),
            ),
        })
        .collect();
    let source = inventory
        .source
        .as_deref()
        .and_then(|s| SourceSpec::from_json(s).ok());
    let helm = inventory
        .source
        .as_deref()
        .and_then(crate::source::HelmRecord::from_recorded);
    let (drift, drift_error) = match &source {
        Some(spec) => match drift_now(target, &inventory, spec, helm.as_ref()).await {
            Ok(drift) => (Some(drift), None),
            Err(e) => (None, Some(e.error.to_string())),
        },
        None => (None, Some("the source is not recorded".to_owned())),
    };
    let json = StatusJson {
        name,
        namespace: &inventory.namespace,
        source,
        revision: inventory.revision.as_deref(),
        suspended: inventory.suspended,
        last_sync: inventory.history.last(),
        objects,
        drift,
        drift_error,
    };
    let text = match output::machine(global.output, &json)? {
        Some(text) => text,
        None => status_text(&json, super::style(global)),
    };
    output::print(&text)?;
    Ok(exit::OK)
}

fn status_text(status: &StatusJson<'_>, style: output::Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Name:      {} (inventory in namespace {})",
        status.name, status.namespace
    );
    if let Some(source) = &status.source {
        let _ = writeln!(out, "Source:    {}", source.describe());
    }
    let _ = writeln!(
        out,
        "Revision:  {}",
        status.revision.unwrap_or("(none applied)")
    );
    if let Some(last) = status.last_sync {
        let c = last.counts;
        let _ = writeln!(
            out,
            "Last sync: {} {:?} at {}: {} created, {} configured, {} pruned{}",
            output::time(last.time),
            last.result,
            last.revision,
            c.created,
            c.configured,
            c.deleted,
            if last.message.is_empty() {
                String::new()
            } else {
                format!(" ({})", last.message)
            }
        );
    }
    let _ = writeln!(
        out,
        "Suspended: {}",
        if status.suspended { "yes" } else { "no" }
    );
    let _ = writeln!(out, "Objects:   {}", status.objects.len());
    for object in &status.objects {
        let health = match object.health.status {
            Status::Current => style.green(&object.health.to_string()),
            Status::Failed => style.red(&object.health.to_string()),
            _ => style.yellow(&object.health.to_string()),
        };
        let _ = writeln!(out, "  {:<60} {health}", object.object.to_string());
    }
    match (&status.drift, &status.drift_error) {
        (Some(drift), _) if drift.is_empty() => {
            let _ = writeln!(out, "Drift:     none");
        }
        (Some(drift), _) => {
            let _ = writeln!(
                out,
                "Drift:     {} object(s)",
                drift.changed.len() + drift.deleted.len()
            );
            for entry in &drift.changed {
                let _ = writeln!(out, "  {} {}", style.yellow("changed"), entry.object);
            }
            for object in &drift.deleted {
                let _ = writeln!(out, "  {} {object}", style.red("deleted"));
            }
        }
        (None, Some(error)) => {
            let _ = writeln!(out, "Drift:     unknown ({error})");
        }
        (None, None) => {}
    }
    out
}

/// Fetches the recorded source at the applied revision's branch tip (or the directory) and
/// compares it with the cluster.
async fn drift_now(
    target: &Target,
    inventory: &Inventory,
    spec: &SourceSpec,
    helm: Option<&crate::source::HelmRecord>,
) -> Result<DriftReport, Failure> {
    let source = AnySource::from_spec(spec, None, std::time::Duration::from_secs(60))
        .map_err(super::classified)?;
    let options = SyncOptions::new(inventory.name.clone(), inventory.namespace.clone());
    let mut pipeline = Pipeline::new(
        source,
        RenderOptions::default(),
        target.cluster.clone(),
        options,
    );
    if let Some(helm) = helm {
        pipeline = pipeline.with_helm(helm.replay(Some(&target.cluster)));
    }
    let artifact = pipeline.fetch().await.map_err(super::classified)?;
    let rendered = pipeline
        .render(&artifact)
        .await
        .map_err(Failure::bad_input)?;
    pipeline.drift(rendered).await.map_err(super::classified)
}

/// `gitops history`.
pub async fn history(global: &Global, args: NameArgs) -> Result<u8, Failure> {
    let target = crate::cluster::connect(global, Default::default()).await?;
    let result = load(&target, global, &args.name).await;
    target.close().await;
    let inventory = result?;
    let text = match output::machine(global.output, &inventory.history)? {
        Some(text) => text,
        None => output::history_text(&inventory),
    };
    output::print(&text)?;
    Ok(exit::OK)
}

/// `gitops suspend` and `gitops resume`.
pub async fn suspend(global: &Global, args: NameArgs, suspended: bool) -> Result<u8, Failure> {
    let target = crate::cluster::connect(global, Default::default()).await?;
    let result = async {
        let mut inventory = load(&target, global, &args.name).await?;
        inventory.suspended = suspended;
        target
            .cluster
            .save_inventory(&inventory)
            .await
            .map_err(super::classified)
    }
    .await;
    target.close().await;
    result?;
    if !global.quiet {
        eprintln!(
            "{} {}",
            args.name,
            if suspended { "suspended" } else { "resumed" }
        );
    }
    Ok(exit::OK)
}

/// The commit id in a revision such as `main@sha1:abc…`, `sha1:abc…` or a bare SHA.
fn commit_of(revision: &str) -> Option<&str> {
    let id = revision.rsplit_once("sha1:").map_or(revision, |(_, id)| id);
    (id.len() >= 4 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

/// `gitops rollback`.
pub async fn rollback(global: &Global, args: RollbackArgs) -> Result<u8, Failure> {
    let target = crate::cluster::connect(global, Default::default()).await?;
    let result = rollback_on(global, &target, &args).await;
    target.close().await;
    result
}

async fn rollback_on(global: &Global, target: &Target, args: &RollbackArgs) -> Result<u8, Failure> {
    let inventory = load(target, global, &args.name).await?;
    let recorded = inventory.source.clone().unwrap_or_default();
    let helm = crate::source::HelmRecord::from_recorded(&recorded);
    let spec = inventory
        .source
        .as_deref()
        .and_then(|s| SourceSpec::from_json(s).ok())
        .ok_or_else(|| {
            Failure::bad_input(anyhow::anyhow!(
                "{}: the source is not recorded; re-apply the revision yourself",
                args.name
            ))
        })?;
    let SourceSpec::Git {
        url,
        reference,
        path,
    } = &spec
    else {
        return Err(Failure::bad_input(anyhow::anyhow!(
            "{}: rollback needs a Git source (this one is the directory {})",
            args.name,
            spec.describe()
        )));
    };
    let commit = commit_of(&args.to).ok_or_else(|| {
        Failure::bad_input(anyhow::anyhow!(
            "{:?} names no commit (expected e.g. main@sha1:1a2b… or a SHA)",
            args.to
        ))
    })?;
    let branch = match reference.parse::<GitRef>() {
        Ok(GitRef::Branch(branch)) => Some(branch),
        _ => None,
    };
    let mut pinned = GitRef::commit(commit).map_err(Failure::bad_input)?;
    if let Some(branch) = &branch {
        pinned = pinned
            .on_branch(branch.clone())
            .map_err(Failure::bad_input)?;
    }
    let mut options = GitSourceOptions::new(url.clone())
        .reference(pinned)
        .path(path.clone());
    options.cache_dir.clone_from(&args.cache_dir);
    let source = AnySource::git(options).map_err(Failure::bad_input)?;
    let mut sync = SyncOptions::new(args.name.clone(), inventory.namespace.clone());
    sync.wait = args.wait.then_some(args.timeout);
    // Keep recording the followed reference, not the pinned commit, so `sync` resumes it.
    let mut pipeline = Pipeline::new(
        source,
        RenderOptions::default(),
        target.cluster.clone(),
        sync,
    );
    pipeline.options.source = Some(recorded.clone());
    if let Some(helm) = &helm {
        pipeline = pipeline.with_helm(helm.replay(Some(&target.cluster)));
    }
    let artifact = pipeline.source.fetch().await.map_err(super::classified)?;
    let rendered = pipeline
        .render(&artifact)
        .await
        .map_err(Failure::bad_input)?;
    let progress = crate::progress::Progress::new(global.quiet);
    let report = pipeline.sync(&artifact, rendered, &progress).await;
    progress.finish();
    let report = report.map_err(super::classified)?;
    if args.suspend {
        let mut inventory = load(target, global, &args.name).await?;
        inventory.suspended = true;
        target
            .cluster
            .save_inventory(&inventory)
            .await
            .map_err(super::classified)?;
    }
    let text = match output::machine(global.output, &report)? {
        Some(text) => text,
        None => output::report_text(&report, super::style(global)),
    };
    output::print(&text)?;
    if !global.quiet {
        if args.suspend {
            eprintln!(
                "{} is suspended: `gitops sync` leaves it alone until `gitops resume --name {}`",
                args.name, args.name
            );
        } else {
            eprintln!(
                "warning: a running `gitops sync` with self-heal will return {} to the head of {}; pass --suspend to pause it",
                args.name, reference
            );
        }
    }
    Ok(super::sync_status(&report))
}
