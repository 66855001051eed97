//! The cluster a command talks to: a kubeconfig's, or the simulated dev cluster.

use std::fs::File;
use std::path::PathBuf;

use gitops_apply::{BackendOptions, KubeCluster};
use gitops_testcluster::{Options, TestCluster};

use crate::args::{DevCluster, Global};
use crate::exit::Failure;

/// A connected cluster; close it to save the dev cluster's state.
pub struct Target {
    pub cluster: KubeCluster,
    dev: Option<Dev>,
}

struct Dev {
    cluster: TestCluster,
    state: PathBuf,
    _lock: File,
}

/// Whether a real cluster is configured: a kubeconfig file, or in-cluster credentials.
fn configured(global: &Global) -> bool {
    global.kubeconfig.is_some()
        || std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
        || std::env::home_dir().is_some_and(|home| home.join(".kube/config").is_file())
}

/// Where the dev cluster's state lives.
pub fn dev_state_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::home_dir().map(|h| h.join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("gitops")
}

/// Connects as the global flags say.
pub async fn connect(global: &Global, mut options: BackendOptions) -> Result<Target, Failure> {
    options.default_namespace.clone_from(&global.namespace);
    let dev = match global.dev_cluster {
        Some(DevCluster::Always) => true,
        Some(DevCluster::Auto) => !configured(global),
        Some(DevCluster::Never) | None => false,
    };
    if !dev {
        let cluster = KubeCluster::connect(
            global.kubeconfig.as_deref(),
            global.context.as_deref(),
            options,
        )
        .await
        .map_err(Failure::cluster)?;
        return Ok(Target { cluster, dev: None });
    }
    let dir = dev_state_dir();
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::internal(anyhow::anyhow!("{}: {e}", dir.display())))?;
    // One command at a time owns the dev cluster's state.
    let lock = File::create(dir.join("dev-cluster.lock"))
        .map_err(|e| Failure::internal(anyhow::anyhow!("{}: {e}", dir.display())))?;
    lock.lock()
        .map_err(|e| Failure::internal(anyhow::anyhow!("locking the dev cluster: {e}")))?;
    let state = dir.join("dev-cluster.json");
    let cluster = TestCluster::start(Options {
        state_file: Some(state.clone()),
        ..Options::default()
    })
    .await
    .map_err(Failure::internal)?;
    if !global.quiet {
        eprintln!(
            "note: using the simulated dev cluster (no pods run; state in {})",
            state.display()
        );
    }
    let backend = KubeCluster::new(cluster.client(), options);
    Ok(Target {
        cluster: backend,
        dev: Some(Dev {
            cluster,
            state,
            _lock: lock,
        }),
    })
}

impl Target {
    /// The namespace of inventories: the flag's, else the cluster's default.
    pub fn namespace(&self, global: &Global) -> String {
        global
            .namespace
            .clone()
            .unwrap_or_else(|| self.cluster.default_namespace().to_owned())
    }

    /// Saves the dev cluster's state (after letting its simulation catch up) and stops it.
    pub async fn close(self) {
        if let Some(dev) = self.dev {
            dev.cluster.settle().await;
            if let Err(e) = dev.cluster.save_state(&dev.state) {
                eprintln!("warning: saving the dev cluster's state: {e}");
            }
            dev.cluster.shutdown().await;
        }
    }
}
