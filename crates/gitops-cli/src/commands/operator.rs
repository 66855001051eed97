//! Commands for clusters run by gitops-operator: bootstrap, get, reconcile.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use gitops_core::consts;
use gitops_core::sync::{SyncOptions, SyncRequest, reconcile as sync};
use gitops_operator::crd::{Application, GitRepository};
use kube::ResourceExt;
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::json;

use crate::args::{BootstrapArgs, GetCommand, Global, ReconcileCommand};
use crate::cluster::Target;
use crate::exit::{self, Failure};
use crate::output;

fn api<K>(target: &Target, global: &Global, all: bool) -> Api<K>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let client = target.cluster.client().clone();
    if all {
        Api::all(client)
    } else {
        Api::namespaced(client, &target.namespace(global))
    }
}

fn ready_of(conditions: &[gitops_operator::crd::Condition]) -> (String, String) {
    conditions
        .iter()
        .find(|c| c.type_ == "Ready")
        .map_or(("Unknown".to_owned(), String::new()), |c| {
            (c.status.clone(), c.message.clone())
        })
}

/// `gitops get apps|sources`.
pub async fn get(global: &Global, command: GetCommand) -> Result<u8, Failure> {
    let target = crate::cluster::connect(global, Default::default()).await?;
    let result = async {
        let mut text = String::new();
        match command {
            GetCommand::Apps(args) => {
                let list = api::<Application>(&target, global, args.all_namespaces)
                    .list(&ListParams::default())
                    .await
                    .map_err(Failure::cluster)?;
                if let Some(machine) = output::machine(global.output, &list.items)? {
                    return Ok(machine);
                }
                let _ = writeln!(
                    text,
                    "{:<16} {:<24} {:<52} {:<7} STATUS",
                    "NAMESPACE", "NAME", "REVISION", "READY"
                );
                for app in &list.items {
                    let status = app.status.clone().unwrap_or_default();
                    let (ready, message) = ready_of(&status.conditions);
                    let ready = if app.spec.suspend {
                        "Suspended".to_owned()
                    } else {
                        ready
                    };
                    let _ = writeln!(
                        text,
                        "{:<16} {:<24} {:<52} {:<7} {message}",
                        app.namespace().unwrap_or_default(),
                        app.name_any(),
                        status.last_applied_revision.unwrap_or_default(),
                        ready
                    );
                }
            }
            GetCommand::Sources(args) => {
                let list = api::<GitRepository>(&target, global, args.all_namespaces)
                    .list(&ListParams::default())
                    .await
                    .map_err(Failure::cluster)?;
                if let Some(machine) = output::machine(global.output, &list.items)? {
                    return Ok(machine);
                }
                let _ = writeln!(
                    text,
                    "{:<16} {:<24} {:<52} {:<7} URL",
                    "NAMESPACE", "NAME", "REVISION", "READY"
                );
                for repo in &list.items {
                    let status = repo.status.clone().unwrap_or_default();
                    let (ready, _) = ready_of(&status.conditions);
                    let _ = writeln!(
                        text,
                        "{:<16} {:<24} {:<52} {:<7} {}",
                        repo.namespace().unwrap_or_default(),
                        repo.name_any(),
                        status.artifact.map(|a| a.revision).unwrap_or_default(),
                        ready,
                        repo.spec.url
                    );
                }
            }
        }
        Ok(text)
    }
    .await;
    target.close().await;
    output::print(&result?)?;
    Ok(exit::OK)
}

fn stamp() -> String {
    gitops_agent::now().to_string()
}

/// `gitops reconcile app|source NAME`: sets the request annotation and waits for the result.
pub async fn reconcile(global: &Global, command: ReconcileCommand) -> Result<u8, Failure> {
    let target = crate::cluster::connect(global, Default::default()).await?;
    let result = async {
        let requested = stamp();
        let poke =
            json!({"metadata": {"annotations": {consts::RECONCILE_REQUESTED_AT: requested}}});
        let params = PatchParams::default();
        let (name, timeout) = match &command {
            ReconcileCommand::App(args) | ReconcileCommand::Source(args) => {
                (args.name.clone(), args.timeout)
            }
        };
        let deadline = Instant::now() + timeout;
        let repos: Api<GitRepository> = api(&target, global, false);
        let apps: Api<Application> = api(&target, global, false);
        let source = match &command {
            ReconcileCommand::Source(_) => Some(name.clone()),
            ReconcileCommand::App(args) if args.with_source => {
                let app = apps.get(&name).await.map_err(Failure::cluster)?;
                Some(app.spec.source_ref.name)
            }
            ReconcileCommand::App(_) => None,
        };
        if let Some(source) = &source {
            repos
                .patch(source, &params, &Patch::Merge(&poke))
                .await
                .map_err(Failure::cluster)?;
            loop {
                let repo = repos.get(source).await.map_err(Failure::cluster)?;
                let status = repo.status.unwrap_or_default();
                if status.last_handled_reconcile_at.as_deref() == Some(requested.as_str()) {
                    eprintln!(
                        "fetched {source}: {}",
                        status.artifact.map(|a| a.revision).unwrap_or_default()
                    );
                    break;
                }
                wait(deadline).await?;
            }
        }
        if let ReconcileCommand::Source(_) = command {
            return Ok(exit::OK);
        }
        apps.patch(&name, &params, &Patch::Merge(&poke))
            .await
            .map_err(Failure::cluster)?;
        loop {
            let app = apps.get(&name).await.map_err(Failure::cluster)?;
            let status = app.status.unwrap_or_default();
            if status.last_handled_reconcile_at.as_deref() == Some(requested.as_str()) {
                let (ready, message) = ready_of(&status.conditions);
                output::print(&format!("{name}: Ready={ready} {message}\n"))?;
                return Ok(if ready == "True" {
                    exit::OK
                } else {
                    exit::FAILED
                });
            }
            wait(deadline).await?;
        }
    }
    .await;
    target.close().await;
    result
}

async fn wait(deadline: Instant) -> Result<(), Failure> {
    if Instant::now() >= deadline {
        return Err(Failure::cluster(anyhow::anyhow!(
            "timed out waiting for the operator (is gitops-operator running?)"
        )));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(())
}

/// `gitops bootstrap`: the operator's manifests, then a GitRepository and an Application.
pub async fn bootstrap(global: &Global, args: BootstrapArgs) -> Result<u8, Failure> {
    let reference = crate::source::reference(&args.reference)?;
    let target = crate::cluster::connect(global, Default::default()).await?;
    let result = async {
        let objects = gitops_core::manifest::load_str(&gitops_operator::deploy::install_yaml(), "deploy/install.yaml")
            .map_err(Failure::internal)?;
        let report = sync(
            &target.cluster,
            SyncRequest {
                objects,
                revision: concat!("gitops-operator@v", env!("CARGO_PKG_VERSION")).to_owned(),
                commit: None,
                now: gitops_agent::now(),
            },
            &SyncOptions::new("gitops-operator", "gitops-system"),
        )
        .await
        .map_err(super::classified_sync)?;
        if !report.message.is_empty() {
            return Err(Failure::cluster(anyhow::anyhow!("installing the operator: {}", report.message)));
        }
        eprintln!("installed gitops-operator ({} created, {} configured)", report.counts.created, report.counts.configured);
        let mut git_ref = json!({});
        match &reference {
            gitops_source::GitRef::Branch(b) => git_ref["branch"] = json!(b),
            gitops_source::GitRef::Tag(t) => git_ref["tag"] = json!(t),
            gitops_source::GitRef::Semver(r) => git_ref["semver"] = json!(r.as_str()),
            gitops_source::GitRef::Commit { id, branch } => {
                git_ref["commit"] = json!(id);
                if let Some(b) = branch {
                    git_ref["branch"] = json!(b);
                }
            }
            gitops_source::GitRef::DefaultBranch => {}
        }
        let params = PatchParams::apply("gitops").force();
        let client = target.cluster.client().clone();
        let repos: Api<GitRepository> = Api::namespaced(client.clone(), "gitops-system");
        let repo = json!({"apiVersion": "gitops.rs/v1alpha1", "kind": "GitRepository", "metadata": {"name": args.name},
            "spec": {"url": args.git, "ref": git_ref, "interval": args.interval}});
        repos.patch(&args.name, &params, &Patch::Apply(&repo)).await.map_err(Failure::cluster)?;
        let apps: Api<Application> = Api::namespaced(client, "gitops-system");
        let app = json!({"apiVersion": "gitops.rs/v1alpha1", "kind": "Application", "metadata": {"name": args.name},
            "spec": {"sourceRef": {"kind": "GitRepository", "name": args.name}, "path": args.path, "interval": "10m", "prune": true}});
        apps.patch(&args.name, &params, &Patch::Apply(&app)).await.map_err(Failure::cluster)?;
        Ok(format!(
            "bootstrapped: gitops-system/{name} follows {url} ({reference}) at {path:?}\n  watch it with: gitops get apps -n gitops-system\n",
            name = args.name,
            url = args.git,
            path = args.path
        ))
    }
    .await;
    target.close().await;
    output::print(&result?)?;
    Ok(exit::OK)
}
