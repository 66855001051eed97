//! `gitops-operator`: the in-cluster GitOps agent. Thin: parse arguments, call the library.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use gitops_operator::context::Settings;
use gitops_operator::{RunOptions, run};

/// The gitops-rs operator: reconciles GitRepository and Application resources.
#[derive(Debug, Parser)]
#[command(name = "gitops-operator", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the controllers.
    Run(RunArgs),
    /// Print the CustomResourceDefinitions.
    Crds,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The kubeconfig (default: in-cluster, then $KUBECONFIG, then ~/.kube/config).
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: Option<PathBuf>,
    /// Watch only this namespace.
    #[arg(long)]
    namespace: Option<String>,
    /// Where /metrics, /healthz, /readyz and /hook are served.
    #[arg(long, default_value = "0.0.0.0:8080")]
    listen: SocketAddr,
    /// Take part in leader election.
    #[arg(long)]
    leader_election: bool,
    /// The Lease's namespace.
    #[arg(long, default_value = "gitops-system")]
    lease_namespace: String,
    /// How long a lease lasts without renewal.
    #[arg(long, default_value = "15s", value_parser = humantime::parse_duration)]
    lease_duration: Duration,
    /// Where Git repositories are cached.
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Reconciles in flight at once, per kind.
    #[arg(long, default_value_t = 8)]
    concurrency: u16,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Crds => {
            print!("{}", gitops_operator::crd::crds_yaml());
            ExitCode::SUCCESS
        }
        Command::Run(args) => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_env("GITOPS_LOG")
                        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,kube=warn")),
                )
                .with_writer(std::io::stderr)
                .init();
            let options = RunOptions {
                kubeconfig: args.kubeconfig,
                namespace: args.namespace,
                listen: args.listen,
                leader_election: args.leader_election,
                lease_namespace: args.lease_namespace,
                lease_duration: args.lease_duration,
                settings: Settings {
                    cache_dir: args.cache_dir,
                    concurrency: args.concurrency,
                    ..Settings::default()
                },
                ..RunOptions::default()
            };
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(70);
                }
            };
            match runtime.block_on(run(options, shutdown())) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
