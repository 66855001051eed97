//! `gitops dev-cluster`: a simulated Kubernetes API server until interrupted.

use gitops_testcluster::{Options, TestCluster};

use crate::args::{DevClusterArgs, Global};
use crate::exit::{self, Failure};

pub async fn run(global: &Global, args: DevClusterArgs) -> Result<u8, Failure> {
    let kubeconfig = args
        .kubeconfig_out
        .clone()
        .or_else(|| Some(crate::cluster::dev_state_dir().join("dev-cluster.kubeconfig")));
    if let Some(dir) = kubeconfig
        .as_ref()
        .and_then(|p| p.parent())
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::internal(anyhow::anyhow!("{}: {e}", dir.display())))?;
    }
    let cluster = TestCluster::start(Options {
        port: args.port,
        kubeconfig_out: kubeconfig,
        state_file: args.state.clone(),
        tls: !args.no_tls,
        simulate_delay: args.simulate_delay,
        ..Options::default()
    })
    .await
    .map_err(Failure::bad_input)?;
    if !global.quiet {
        eprintln!(
            "gitops dev-cluster: a SIMULATED Kubernetes API server (no pods run, no containers start)"
        );
        eprintln!("  url:        {}", cluster.url());
        eprintln!("  kubeconfig: {}", cluster.kubeconfig_path().display());
        if let Some(state) = &args.state {
            eprintln!("  state:      {} (saved on exit)", state.display());
        }
        eprintln!(
            "  try:        KUBECONFIG={} gitops apply examples/shop --name shop",
            cluster.kubeconfig_path().display()
        );
        eprintln!("Press Ctrl-C to stop.");
    }
    cluster
        .run_until(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(Failure::internal)?;
    Ok(exit::OK)
}
