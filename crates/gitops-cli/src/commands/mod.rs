//! One module per command; each composes library calls and prints.

mod apply;
mod completions;
mod dev_cluster;
mod diff;
mod inventory;
mod operator;
mod plan;
mod render;
mod source;
mod sync;

use gitops_agent::{Notifier, NotifyOptions, Target as NotifyTarget};
use gitops_apply::BackendOptions;
use gitops_core::prune::PruneOptions;
use gitops_core::sync::SyncOptions;
use gitops_core::{Artifact, Rendered, Renderer, Source};
use gitops_render::DirRenderer;

use crate::args::{ApplyFlags, Cli, Command, Global, SourceArgs};
use crate::exit::{self, Failure};
use crate::output::Style;

/// Runs the command; returns the exit status.
pub async fn run(cli: Cli) -> Result<u8, Failure> {
    let global = &cli.global;
    match cli.command {
        Command::Render(args) => render::run(global, args).await,
        Command::Plan(args) => plan::run(global, args).await,
        Command::Diff(args) => diff::run(global, args).await,
        Command::Apply(args) => apply::run(global, args).await,
        Command::Sync(args) => sync::run(global, args).await,
        Command::Status(args) => inventory::status(global, args).await,
        Command::History(args) => inventory::history(global, args).await,
        Command::Rollback(args) => inventory::rollback(global, args).await,
        Command::Suspend(args) => inventory::suspend(global, args, true).await,
        Command::Resume(args) => inventory::suspend(global, args, false).await,
        Command::Source(command) => source::run(global, command).await,
        Command::DevCluster(args) => dev_cluster::run(global, args).await,
        Command::Bootstrap(args) => operator::bootstrap(global, args).await,
        Command::Get(command) => operator::get(global, command).await,
        Command::Reconcile(command) => operator::reconcile(global, command).await,
        Command::Completions(args) => completions::run(args),
    }
}

/// Colours for standard output.
pub fn style(global: &Global) -> Style {
    Style {
        color: !global.no_color && std::io::IsTerminal::is_terminal(&std::io::stdout()),
    }
}

/// Fetches and renders what the source arguments name (no cluster needed); `name` is the
/// sync's name where the command has one (the default Helm release name).
pub async fn fetch_and_render(
    global: &Global,
    args: &SourceArgs,
    name: Option<&str>,
    cluster: Option<&gitops_apply::KubeCluster>,
) -> Result<(Artifact, Rendered), Failure> {
    if cluster.is_none() {
        no_lookup_without_cluster(args)?;
    }
    let source = crate::source::build(args).await?;
    let artifact = source.fetch().await.map_err(classified)?;
    let rendered = renderer(global, args, name, cluster)
        .render(&artifact)
        .await
        .map_err(Failure::bad_input)?;
    Ok((artifact, rendered))
}

/// The renderer for the source arguments: Kustomize, Helm or plain, remote bases through Git;
/// Helm's `lookup` reads `cluster` when `--helm-lookup` asks for it.
pub fn renderer(
    global: &Global,
    args: &SourceArgs,
    name: Option<&str>,
    cluster: Option<&gitops_apply::KubeCluster>,
) -> DirRenderer {
    let loader = gitops_agent::GitRemoteLoader::new(args.cache_dir.clone(), args.git_timeout);
    let namespace = global.namespace.as_deref().unwrap_or("default");
    DirRenderer::new(crate::source::render_options(args))
        .with_remote_loader(std::sync::Arc::new(loader))
        .with_helm(crate::source::helm_settings(args, namespace, name, cluster))
}

/// The pipeline of `apply` and `sync`: the source, the target's cluster, the sync options of
/// the flags, and the Helm settings of the flags, which it records beside its source in the
/// inventory for `status` and `rollback`.
pub fn pipeline(
    global: &Global,
    args: &SourceArgs,
    flags: &ApplyFlags,
    source: gitops_source::AnySource,
    target: &crate::cluster::Target,
) -> gitops_agent::Pipeline<gitops_apply::KubeCluster> {
    let namespace = target.namespace(global);
    let helm =
        crate::source::helm_settings(args, &namespace, Some(&flags.name), Some(&target.cluster));
    let record = crate::source::HelmRecord::from_args(args, &namespace, Some(&flags.name));
    let mut pipeline = gitops_agent::Pipeline::new(
        source,
        crate::source::render_options(args),
        target.cluster.clone(),
        sync_options(flags, namespace),
    )
    .with_helm(helm);
    pipeline.options.source = pipeline
        .options
        .source
        .as_deref()
        .map(|spec| record.recorded(spec));
    pipeline
}

/// `--helm-lookup` reads a cluster: refused where the command has none.
pub fn no_lookup_without_cluster(args: &SourceArgs) -> Result<(), Failure> {
    if args.helm.helm_lookup {
        return Err(Failure::bad_input(anyhow::anyhow!(
            "--helm-lookup reads the live cluster: use it with diff (against the cluster), apply or sync"
        )));
    }
    Ok(())
}

/// The backend options of the apply flags.
pub fn backend_options(flags: &ApplyFlags) -> BackendOptions {
    BackendOptions {
        field_manager: flags.field_manager.clone(),
        replace_immutable: flags.replace_immutable,
        ..BackendOptions::default()
    }
}

/// The sync options of the apply flags.
pub fn sync_options(flags: &ApplyFlags, namespace: String) -> SyncOptions {
    let mut options = SyncOptions::new(flags.name.clone(), namespace);
    options.apply.field_manager.clone_from(&flags.field_manager);
    options.apply.force = !flags.no_force_conflicts;
    options.prune = PruneOptions {
        enabled: !flags.no_prune,
        allow_empty: flags.allow_empty_prune,
        max_objects: flags.prune_budget,
        max_fraction: flags.prune_budget_fraction,
        approve: flags.approve_prune.clone(),
    };
    options.wait = flags.wait.then_some(flags.timeout);
    options
}

/// A notifier for the `--notify` URLs.
pub fn notifier(flags: &ApplyFlags) -> Result<Notifier, Failure> {
    let targets = flags
        .notify
        .iter()
        .map(|url| url.parse::<NotifyTarget>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::bad_input)?;
    Ok(Notifier::new(targets, NotifyOptions::default()))
}

/// Errors that know whether the input is at fault.
pub trait Classified: Into<anyhow::Error> {
    /// True when retrying the same input fails the same way.
    fn bad_input(&self) -> bool;
}

impl Classified for gitops_source::AnyError {
    fn bad_input(&self) -> bool {
        self.is_bad_input()
    }
}

impl Classified for gitops_apply::Error {
    fn bad_input(&self) -> bool {
        gitops_core::cluster::ErrorClass::is_bad_input(self)
    }
}

impl<E> Classified for gitops_agent::CycleError<E>
where
    E: gitops_core::cluster::ErrorClass + std::error::Error + Send + Sync + 'static,
{
    fn bad_input(&self) -> bool {
        self.is_bad_input()
    }
}

/// A failed sync, as a failure.
pub fn classified_sync(error: gitops_core::sync::SyncError<gitops_apply::Error>) -> Failure {
    let bad = error.is_bad_input();
    Failure::classify(error, bad)
}

/// A failure with the exit status its error calls for: 2 for bad input, else 3.
pub fn classified<E: Classified>(error: E) -> Failure {
    let bad = error.bad_input();
    Failure::classify(error, bad)
}

/// The exit status of a finished sync.
pub fn sync_status(report: &gitops_core::sync::SyncReport) -> u8 {
    match (&report.result, &report.cluster_failure) {
        (gitops_core::inventory::SyncResult::Succeeded, _) => exit::OK,
        (_, Some(_)) => exit::CLUSTER,
        _ => exit::FAILED,
    }
}
