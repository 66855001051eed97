//! Command-line arguments: reusable argument groups, one struct per command.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// GitOps for Kubernetes: render, plan, diff, apply and continuously sync configuration from
/// Git, with ordered applies, guarded prunes, health waits and drift detection.
#[derive(Debug, Parser)]
#[command(
    name = "gitops",
    version,
    about,
    after_help = "Exit status: 0 success (diff: no differences), 1 differences (diff) or a failed sync, \
2 bad input or usage, 3 cluster or network error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Path of the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, global = true, env = "KUBECONFIG", value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Namespace of the inventory, and of namespaced objects that name none (default: the
    /// context's namespace, else "default").
    #[arg(short = 'n', long, global = true, value_name = "NS")]
    pub namespace: Option<String>,
    /// Output format (commands support the formats that make sense for them).
    #[arg(short, long, global = true, value_enum)]
    pub output: Option<Format>,
    /// Use the simulated dev cluster (no pods run) persisted under the cache directory:
    /// `always`, or `auto` when no cluster is configured.
    #[arg(long, global = true, value_enum, env = "GITOPS_DEV_CLUSTER", value_name = "WHEN", num_args = 0..=1, default_missing_value = "always")]
    pub dev_cluster: Option<DevCluster>,
    /// More log output (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Never colour the output.
    #[arg(long, global = true, env = "NO_COLOR", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_color: bool,
}

/// When to use the simulated dev cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DevCluster {
    /// Only when no kubeconfig is found.
    Auto,
    /// Always.
    Always,
    /// Never (the default).
    Never,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// JSON.
    Json,
    /// YAML.
    Yaml,
    /// A compact Markdown comment for pull requests (`diff`).
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the objects a directory (or a path in a Git repository) renders to.
    Render(RenderArgs),
    /// Print the stages in which the objects would be applied.
    Plan(PlanArgs),
    /// Compare the desired state with the cluster, or two revisions with each other.
    ///
    /// Exit status: 0 no differences, 1 differences, 2 bad input, 3 cluster or network error.
    Diff(DiffArgs),
    /// Reconcile once: render, plan, apply in stages, prune, wait for health.
    Apply(ApplyArgs),
    /// Reconcile continuously (the agent loop): poll the source, apply new revisions, heal drift.
    Sync(SyncArgs),
    /// Show what a sync applied, the health of its objects and drift now.
    Status(NameArgs),
    /// Show past syncs of a name.
    History(NameArgs),
    /// Re-apply a past revision from the source.
    Rollback(RollbackArgs),
    /// Pause `gitops sync` for a name (recorded in its inventory).
    Suspend(NameArgs),
    /// Resume `gitops sync` for a name.
    Resume(NameArgs),
    /// Fetch a source and print its revision and artifact directory.
    #[command(subcommand)]
    Source(SourceCommand),
    /// Run a simulated Kubernetes API server (no pods run) for trying gitops without a cluster.
    DevCluster(DevClusterArgs),
    /// Install gitops-operator and point it at a Git repository, so the cluster manages itself
    /// from Git (like `flux bootstrap`, without pushing to the repository).
    Bootstrap(BootstrapArgs),
    /// List the operator's Applications or GitRepositories.
    #[command(subcommand)]
    Get(GetCommand),
    /// Ask the operator to reconcile an Application or GitRepository now, and wait for it.
    #[command(subcommand)]
    Reconcile(ReconcileCommand),
    /// Print shell completions.
    Completions(CompletionsArgs),
}

/// Where desired state comes from: a directory, or a path in a Git repository.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// A directory of manifests, a kustomization or a Helm chart; or an oci:// chart reference.
    #[arg(value_name = "PATH", required_unless_present_any = ["git", "helm_repo"])]
    pub dir: Option<PathBuf>,
    /// A Git repository: https://, http://, ssh://, git@host:org/repo, git://, file:// or a path.
    /// Credentials come from GITOPS_GIT_TOKEN, or GITOPS_GIT_USERNAME and GITOPS_GIT_PASSWORD.
    #[arg(long, value_name = "URL", conflicts_with = "dir")]
    pub git: Option<String>,
    #[command(flatten)]
    pub reference: RefArgs,
    /// The directory to render inside the repository.
    #[arg(long = "path", value_name = "P", requires = "git")]
    pub sub_path: Option<PathBuf>,
    /// With PATH: the directory renders may read from (Kustomize bases in `../..`); by default
    /// the Git work tree PATH is in, else PATH itself.
    #[arg(long, value_name = "DIR", conflicts_with = "git")]
    pub root: Option<PathBuf>,
    /// Where Git repositories are cached (default: $XDG_CACHE_HOME/gitops).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// How long a Git fetch may take.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration)]
    pub git_timeout: Duration,
    /// SSH private key for ssh:// and git@ URLs.
    #[arg(long, value_name = "FILE", requires = "git")]
    pub ssh_key: Option<PathBuf>,
    /// known_hosts file for SSH.
    #[arg(long, value_name = "FILE", requires = "git")]
    pub known_hosts: Option<PathBuf>,
    #[command(flatten)]
    pub helm: HelmArgs,
}

/// How a Helm chart renders: a PATH (or Git path) holding a Chart.yaml, a chart of a Helm
/// repository, or an oci:// reference. The flags are `helm template`'s; the namespace is -n.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Helm charts")]
pub struct HelmArgs {
    /// A Helm repository to take --chart from. Credentials come from GITOPS_HELM_TOKEN, or
    /// GITOPS_HELM_USERNAME and GITOPS_HELM_PASSWORD.
    #[arg(long, value_name = "URL", requires = "chart", conflicts_with_all = ["git", "dir"])]
    pub helm_repo: Option<String>,
    /// The chart to take from --helm-repo.
    #[arg(long, value_name = "NAME", requires = "helm_repo")]
    pub chart: Option<String>,
    /// The chart version, or a semver range (--helm-repo and oci://; default: the newest
    /// stable version).
    #[arg(long = "version", value_name = "V")]
    pub chart_version: Option<String>,
    /// The release name (default: --name where the command has one, else the chart's name).
    #[arg(long, value_name = "NAME")]
    pub release_name: Option<String>,
    /// Values files, merged in order.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Set values (a.b=c, a[0]=x, a\.b=c; several separated by commas).
    #[arg(long = "set", value_name = "K=V")]
    pub set: Vec<String>,
    /// Set values as strings.
    #[arg(long, value_name = "K=V")]
    pub set_string: Vec<String>,
    /// Set values from files (K=PATH).
    #[arg(long, value_name = "K=PATH")]
    pub set_file: Vec<String>,
    /// Set JSON values (K=JSON, or a JSON object).
    #[arg(long, value_name = "K=JSON")]
    pub set_json: Vec<String>,
    /// Leave test hooks out.
    #[arg(long)]
    pub skip_tests: bool,
    /// Render the chart's crds/ too (applied first).
    #[arg(long)]
    pub include_crds: bool,
    /// The Kubernetes version charts see (.Capabilities.KubeVersion).
    #[arg(long, value_name = "V")]
    pub kube_version: Option<String>,
    /// Extra API versions charts see (.Capabilities.APIVersions).
    #[arg(long = "api-versions", value_name = "GROUP/VERSION")]
    pub api_versions: Vec<String>,
    /// Talk plain HTTP to an OCI registry.
    #[arg(long)]
    pub plain_http: bool,
    /// Let the chart's `lookup` read the live cluster (diff, apply, sync); without it,
    /// `lookup` finds nothing, as in `helm template`.
    #[arg(long)]
    pub helm_lookup: bool,
}

/// Which revision of a Git repository.
#[derive(Debug, Clone, Args)]
#[group(multiple = true)]
pub struct RefArgs {
    /// Follow a branch.
    #[arg(long, value_name = "B", conflicts_with_all = ["tag", "semver"])]
    pub branch: Option<String>,
    /// Follow a tag.
    #[arg(long, value_name = "T", conflicts_with = "semver")]
    pub tag: Option<String>,
    /// Follow the highest tag matching a semver range, e.g. ">=1.2.0 <2.0.0".
    #[arg(long, value_name = "RANGE")]
    pub semver: Option<String>,
    /// Pin a commit (full or short SHA); may be combined with --branch.
    #[arg(long, value_name = "SHA", conflicts_with_all = ["tag", "semver"])]
    pub commit: Option<String>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Ignore Argo CD's sync waves and hooks.
    #[arg(long)]
    pub no_argocd: bool,
    /// Ignore Helm's hook annotations.
    #[arg(long)]
    pub no_helm_hooks: bool,
}

/// How objects are applied.
#[derive(Debug, Clone, Args)]
pub struct ApplyFlags {
    /// The sync's name: keys its inventory (what it owns, its history).
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Delete objects that left the desired set (default).
    #[arg(long, overrides_with = "no_prune")]
    pub prune: bool,
    /// Never delete anything.
    #[arg(long)]
    pub no_prune: bool,
    /// Let an empty render delete every object it owns.
    #[arg(long)]
    pub allow_empty_prune: bool,
    /// Approve a held prune plan (its hash, as printed when it was held).
    #[arg(long, value_name = "HASH")]
    pub approve_prune: Option<String>,
    /// Hold prunes of more than this many objects...
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub prune_budget: usize,
    /// ...that are also more than this fraction of what the sync owns.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.25)]
    pub prune_budget_fraction: f64,
    /// Wait until the objects are healthy.
    #[arg(long)]
    pub wait: bool,
    /// How long to wait.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = duration)]
    pub timeout: Duration,
    /// Fail on conflicts with other field managers instead of taking the fields over.
    #[arg(long)]
    pub no_force_conflicts: bool,
    /// The server-side apply field manager.
    #[arg(long, value_name = "NAME", default_value = "gitops")]
    pub field_manager: String,
    /// Delete and re-create objects whose update is refused for an immutable field.
    #[arg(long)]
    pub replace_immutable: bool,
    /// POST a JSON event here on sync success (with changes), failure, drift and degraded
    /// health; `slack+https://…` or a hooks.slack.com URL sends a Slack message. Repeatable.
    #[arg(long, value_name = "URL")]
    pub notify: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub flags: ApplyFlags,
    /// Print the plan and the diff only.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub flags: ApplyFlags,
    /// Time between passes.
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = duration)]
    pub interval: Duration,
    /// Revert drift (default).
    #[arg(long, overrides_with = "no_self_heal")]
    pub self_heal: bool,
    /// Only report drift on an unchanged revision.
    #[arg(long)]
    pub no_self_heal: bool,
    /// Report drift and new revisions, change nothing (Argo CD's manual sync policy).
    #[arg(long)]
    pub manual: bool,
    /// Run one pass and exit with its status.
    #[arg(long)]
    pub once: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The sync's name (default: the rendered directory's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Pull-request preview: the base revision (branch, tag, commit or kind:value).
    #[arg(long, value_name = "REF", requires_all = ["git", "head"])]
    pub base: Option<String>,
    /// Pull-request preview: the head revision.
    #[arg(long, value_name = "REF", requires_all = ["git", "base"])]
    pub head: Option<String>,
    /// With --base/--head: compare the head with the live cluster (server-side dry-run).
    #[arg(long, requires = "head")]
    pub cluster: bool,
    /// The server-side apply field manager whose fields are ours.
    #[arg(long, value_name = "NAME", default_value = "gitops")]
    pub field_manager: String,
}

#[derive(Debug, Args)]
pub struct NameArgs {
    /// The sync's name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The sync's name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The revision to go back to (as `gitops history` prints it, or a commit SHA).
    #[arg(long, value_name = "REVISION")]
    pub to: String,
    /// Also pause `gitops sync`, which would otherwise return to the branch head.
    #[arg(long)]
    pub suspend: bool,
    /// Wait until the objects are healthy.
    #[arg(long)]
    pub wait: bool,
    /// How long to wait.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = duration)]
    pub timeout: Duration,
    /// Where Git repositories are cached.
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Fetch and print the revision and the artifact directory.
    Get(SourceGetArgs),
}

#[derive(Debug, Args)]
pub struct SourceGetArgs {
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Args)]
pub struct DevClusterArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Where to write the kubeconfig.
    #[arg(long, value_name = "PATH")]
    pub kubeconfig_out: Option<PathBuf>,
    /// Keep the cluster's objects in this file across restarts.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS (kubectl then refuses to send its token).
    #[arg(long)]
    pub no_tls: bool,
    /// Delay before simulated workloads report progress.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = duration)]
    pub simulate_delay: Duration,
}

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// The Git repository the cluster follows.
    #[arg(long, value_name = "URL")]
    pub git: String,
    #[command(flatten)]
    pub reference: RefArgs,
    /// The directory of the repository the cluster applies.
    #[arg(long, value_name = "P", default_value = "")]
    pub path: String,
    /// The name of the GitRepository and Application created.
    #[arg(long, value_name = "NAME", default_value = "gitops-system")]
    pub name: String,
    /// How often the operator looks for new commits.
    #[arg(long, value_name = "DURATION", default_value = "1m")]
    pub interval: String,
}

#[derive(Debug, Subcommand)]
pub enum GetCommand {
    /// Applications.
    Apps(GetArgs),
    /// GitRepositories.
    Sources(GetArgs),
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// All namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReconcileCommand {
    /// An Application.
    App(ReconcileArgs),
    /// A GitRepository.
    Source(ReconcileArgs),
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Its name.
    pub name: String,
    /// Fetch the Application's source first.
    #[arg(long)]
    pub with_source: bool,
    /// How long to wait for the result.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = duration)]
    pub timeout: Duration,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// Parses `1m`, `30s`, `1h30m`, `500ms`.
fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| e.to_string())
}
