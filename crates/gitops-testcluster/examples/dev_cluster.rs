//! Runs a simulated cluster until Ctrl-C: `cargo run -p gitops-testcluster --example dev_cluster -- PORT KUBECONFIG [STATE]`.

use std::time::Duration;

use gitops_testcluster::{Options, TestCluster};

#[tokio::main]
async fn main() -> Result<(), gitops_testcluster::Error> {
    let mut args = std::env::args().skip(1);
    let port = args.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let kubeconfig = args.next().unwrap_or_else(|| "kubeconfig".into());
    let options = Options {
        port,
        kubeconfig_out: Some(kubeconfig.into()),
        state_file: args.next().map(Into::into),
        simulate_delay: Duration::from_millis(500),
        tls: std::env::var("TC_TLS").is_ok(),
        simulate_pods: true,
        ..Options::default()
    };
    let cluster = TestCluster::start(options).await?;
    println!("simulated cluster (no pods run) at {}", cluster.url());
    cluster.serve_forever().await
}
