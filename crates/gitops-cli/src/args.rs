//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Render, plan and apply Kubernetes configuration from Git.
///
/// Exit status: 0 success, 2 bad input or usage (invalid manifests, dependency cycles,
/// unknown flags).
#[derive(Debug, Parser)]
#[command(name = "gitops", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct Global {
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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the objects a directory renders to.
    Render(RenderArgs),
    /// Print the stages in which the objects would be applied.
    Plan(PlanArgs),
}

/// Where desired state comes from.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// A directory of manifests.
    pub path: PathBuf,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = RenderFormat::Yaml)]
    pub output: RenderFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RenderFormat {
    /// Multi-document YAML.
    Yaml,
    /// A JSON array.
    Json,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = PlanFormat::Text)]
    pub output: PlanFormat,
    /// Ignore Argo CD's sync waves and hooks.
    #[arg(long)]
    pub no_argocd: bool,
    /// Ignore Helm's hook annotations.
    #[arg(long)]
    pub no_helm_hooks: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PlanFormat {
    /// For people.
    Text,
    /// `{"stages": [[{"group", "kind", "namespace", "name"}, ...], ...], "skipped": [...]}`.
    Json,
}
