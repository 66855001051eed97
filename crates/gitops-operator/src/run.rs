//! Wiring: client, HTTP endpoint, leader election, the two controllers, clean shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::{Stream, StreamExt};
use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::controller::{self, Action, Controller};
use kube::runtime::utils::Predicate;
use kube::runtime::{WatchStreamExt, predicates, reflector, watcher};
use kube::{Client, ResourceExt};
use kube_lease_manager::LeaseManagerBuilder;
use tokio::sync::mpsc;

use crate::context::{Context, Settings};
use crate::crd::{Application, GitRepository};
use crate::error::Error;
use crate::{app, server, source};

/// How to run the operator.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The kubeconfig (default: in-cluster, then `$KUBECONFIG`, then `~/.kube/config`).
    pub kubeconfig: Option<PathBuf>,
    /// Watch only this namespace (default: all).
    pub namespace: Option<String>,
    /// Where `/metrics`, `/healthz`, `/readyz` and `/hook/…` are served.
    pub listen: SocketAddr,
    /// Take part in leader election (several replicas, one reconciles).
    pub leader_election: bool,
    /// The Lease's namespace.
    pub lease_namespace: String,
    /// The Lease's name.
    pub lease_name: String,
    /// How long a lease lasts without renewal.
    pub lease_duration: Duration,
    /// Reconcile settings.
    pub settings: Settings,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            kubeconfig: None,
            namespace: None,
            listen: SocketAddr::from(([0, 0, 0, 0], 8080)),
            leader_election: false,
            lease_namespace: "gitops-system".to_owned(),
            lease_name: "gitops-operator".to_owned(),
            lease_duration: Duration::from_secs(15),
            settings: Settings::default(),
        }
    }
}

async fn config(options: &RunOptions) -> anyhow::Result<kube::Config> {
    Ok(match &options.kubeconfig {
        Some(path) => {
            let file = Kubeconfig::read_from(path)?;
            kube::Config::from_custom_kubeconfig(file, &KubeConfigOptions::default()).await?
        }
        None => kube::Config::infer().await?,
    })
}

fn receiver<T: Send + 'static>(
    mut rx: mpsc::UnboundedReceiver<T>,
) -> impl Stream<Item = T> + Send + 'static {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// A predicate that changes when deletion starts.
fn deletion(app: &Application) -> Option<u64> {
    app.metadata.deletion_timestamp.as_ref().map(|_| 1)
}

fn source_error(_: Arc<GitRepository>, error: &Error, _: Arc<Context>) -> Action {
    tracing::warn!(%error, "GitRepository reconcile failed");
    Action::requeue(Duration::from_secs(10))
}

fn app_error(application: Arc<Application>, error: &Error, _: Arc<Context>) -> Action {
    tracing::warn!(app = %application.name_any(), %error, "Application reconcile failed");
    Action::requeue(app::retry_interval(&application).min(Duration::from_secs(30)))
}

/// Runs until `shutdown` completes, or leadership is lost (an error: the process should exit
/// and be restarted as a standby).
pub async fn run(
    options: RunOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    gitops_agent::install_provider();
    let config = config(&options).await?;
    let client = Client::try_from(config.clone())?;
    let (ctx, triggers) = Context::new(client.clone(), config, options.settings.clone());

    let ready = server::Ready::default();
    let listener = server::bind(options.listen).await?;
    tracing::info!(addr = %listener.local_addr()?, "serving /metrics, /healthz, /readyz, /hook");
    tokio::spawn(server::serve(listener, ctx.clone(), ready.clone()));

    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });

    let mut leadership = None;
    if options.leader_election {
        let manager = LeaseManagerBuilder::new(client.clone(), &options.lease_name)
            .with_namespace(&options.lease_namespace)
            .with_duration(options.lease_duration.as_secs().max(1))
            .with_grace(options.lease_duration.as_secs().div_ceil(3).max(1))
            .build()
            .await?;
        let (mut is_leader, _task) = manager.watch().await;
        ready.store(true, Ordering::SeqCst);
        tracing::info!("waiting for leadership");
        let mut stopping = stopped.clone();
        tokio::select! {
            result = is_leader.wait_for(|leader| *leader) => { result?; }
            _ = stopping.wait_for(|stop| *stop) => return Ok(()),
        }
        tracing::info!("leading");
        leadership = Some((is_leader, _task));
    }

    let (repos, apps): (Api<GitRepository>, Api<Application>) = match &options.namespace {
        Some(ns) => (
            Api::namespaced(client.clone(), ns),
            Api::namespaced(client.clone(), ns),
        ),
        None => (Api::all(client.clone()), Api::all(client.clone())),
    };
    let concurrency = controller::Config::default().concurrency(options.settings.concurrency);
    let mut stop_sources = stopped.clone();
    let sources = Controller::new(repos, watcher::Config::default())
        .with_config(concurrency.clone())
        .reconcile_on(receiver(triggers.sources))
        .graceful_shutdown_on(async move {
            let _ = stop_sources.wait_for(|stop| *stop).await;
        })
        .run(source::reconcile, source_error, ctx.clone())
        .for_each(|_| futures::future::ready(()));
    // Status writes (ours) do not call for a reconcile: spec, annotations (reconcile requests),
    // finalizers and deletion do.
    let (store, writer) = reflector::store();
    let changes = watcher(apps, watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .applied_objects()
        .predicate_filter(
            predicates::generation
                .combine(predicates::annotations)
                .combine(predicates::finalizers)
                .combine(deletion),
            Default::default(),
        );
    let controller = Controller::for_stream(changes, store.clone());
    ctx.set_apps(store);
    let mut stop_apps = stopped.clone();
    let applications = controller
        .with_config(concurrency)
        .reconcile_on(receiver(triggers.apps))
        .graceful_shutdown_on(async move {
            let _ = stop_apps.wait_for(|stop| *stop).await;
        })
        .run(app::reconcile, app_error, ctx.clone())
        .for_each(|_| futures::future::ready(()));
    ready.store(true, Ordering::SeqCst);

    let lost = async move {
        match leadership {
            Some((mut is_leader, _task)) => {
                let _ = is_leader.wait_for(|leader| !*leader).await;
                true
            }
            None => futures::future::pending().await,
        }
    };
    tokio::select! {
        _ = futures::future::join(sources, applications) => Ok(()),
        true = lost => anyhow::bail!("lost leadership; exiting so that another replica leads"),
    }
}
