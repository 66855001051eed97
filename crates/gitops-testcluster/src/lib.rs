//! A simulated Kubernetes API server for tests and local trials: a real HTTP server on
//! 127.0.0.1 speaking the Kubernetes REST API from an in-memory store, with simulated
//! controllers (no pods run) and fault injection. kube-rs and kubectl talk to it.
//!
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use gitops_testcluster::{Options, TestCluster};
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kube::api::{Api, PostParams};
//!
//! let cluster = TestCluster::start(Options::default()).await?;
//! let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "default");
//! let mut cm = ConfigMap::default();
//! cm.metadata.name = Some("hello".into());
//! cms.create(&PostParams::default(), &cm).await?;
//! assert_eq!(cluster.requests().count("create", "configmaps"), 1);
//! cluster.shutdown().await;
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```
//!
//! # Serving a long-lived cluster (`gitops dev-cluster`)
//!
//! ```no_run
//! # async fn demo() -> Result<(), gitops_testcluster::Error> {
//! use gitops_testcluster::{Options, TestCluster};
//! let options = Options {
//!     port: 6443,                                     // --port (0 picks a free one)
//!     kubeconfig_out: Some("kubeconfig".into()),      // --kubeconfig-out (overwritten!)
//!     state_file: Some("cluster.json".into()),        // --state: loaded if present, saved
//!     simulate_delay: std::time::Duration::from_secs(2),
//!     simulate_pods: true,                            // ReplicaSets and Pod objects, like kwok
//!     tls: true,                                      // kubectl sends tokens only over TLS
//!     ..Options::default()
//! };
//! let cluster = TestCluster::start(options).await?;
//! eprintln!("simulated cluster (no pods run) at {}", cluster.url());
//! eprintln!("export KUBECONFIG={}", cluster.kubeconfig_path().display());
//! // Until Ctrl-C or SIGTERM; saves the state file periodically and on the way out.
//! cluster.serve_forever().await?;
//! # Ok(()) }
//! ```
//!
//! Plain HTTP works for kube-rs; for kubectl over plain HTTP set
//! [`AuthConfig::anonymous`] (kubectl does not send bearer tokens over HTTP).
//!
//! What is and is not simulated: see `docs/testcluster.md`.

pub mod auth;
mod builtin;
mod crd;
mod defaults;
mod discovery;
pub mod faults;
mod handlers;
mod kubeconfig;
mod openapi;
pub mod registry;
pub mod requests;
pub mod selectors;
mod server;
pub mod simulate;
pub mod ssa;
pub mod status;
mod store;
pub mod strategic_merge;
mod tls;
mod util;
mod validate;
mod write;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use auth::{AuthConfig, Policy, User};
pub use faults::{FaultConfig, Faults};
pub use requests::{RequestLog, RequestRecord};
pub use simulate::SIMULATE_ANNOTATION;

use simulate::Simulation;
use store::Store;

/// Errors of starting, restarting and persisting a cluster.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The port could not be bound.
    #[error("binding 127.0.0.1:{port}: {source}")]
    Bind {
        /// Requested port.
        port: u16,
        /// Cause.
        source: std::io::Error,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The state file is not a saved state.
    #[error("state file {path}: {message}")]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The kube client could not be built.
    #[error("building the kube client: {0}")]
    Client(String),
    /// TLS material could not be generated.
    #[error("TLS setup: {0}")]
    Tls(String),
    /// An object given to [`TestCluster::insert`] was rejected.
    #[error("inserting {object}: {message}")]
    Insert {
        /// `kind/namespace/name`.
        object: String,
        /// The API error message.
        message: String,
    },
}

/// How to start a cluster. `Default` is what tests want: a random port, no delays.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Options {
    /// Port on 127.0.0.1 (0 picks a free one).
    pub port: u16,
    /// Where to write the kubeconfig (default: a temporary file removed on drop).
    pub kubeconfig_out: Option<PathBuf>,
    /// Load the store from this JSON file at start if it exists; save it on
    /// [`TestCluster::run_until`] exit and [`TestCluster::save_state`].
    pub state_file: Option<PathBuf>,
    /// Serve HTTPS with a generated CA (written into the kubeconfig).
    pub tls: bool,
    /// Delay before simulated workload status progresses.
    pub simulate_delay: Duration,
    /// Faults in force at start.
    pub faults: FaultConfig,
    /// Tokens and policies (default: one admin token, written into the kubeconfig).
    pub auth: AuthConfig,
    /// Interval of watch bookmarks.
    pub bookmark_interval: Duration,
    /// Watch events kept for resuming watches; older resourceVersions get 410 Gone.
    pub history: usize,
    /// Namespaces that exist at start.
    pub namespaces: Vec<String>,
    /// How often [`TestCluster::run_until`] saves the state file while serving.
    pub save_interval: Duration,
    /// kwok-style children: Deployments get ReplicaSets, workloads get Pod objects on one
    /// simulated Node (nothing runs). Off by default: tests see only what they create.
    pub simulate_pods: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            port: 0,
            kubeconfig_out: None,
            state_file: None,
            tls: false,
            simulate_delay: Duration::ZERO,
            faults: FaultConfig::default(),
            auth: AuthConfig::default(),
            bookmark_interval: Duration::from_secs(5),
            history: 200_000,
            namespaces: ["default", "kube-system", "kube-public", "kube-node-lease"]
                .iter()
                .map(|s| (*s).to_string())
                .collect(),
            save_interval: Duration::from_secs(5),
            simulate_pods: false,
        }
    }
}

/// What a server incarnation shares with its request handlers.
#[derive(Debug)]
pub(crate) struct Shared {
    pub store: Arc<Store>,
    pub faults: Arc<Faults>,
    pub log: Arc<RequestLog>,
    pub auth: AuthConfig,
    pub addr: SocketAddr,
    pub bookmark_interval: Duration,
    pub shutdown: watch::Receiver<bool>,
}

/// A running simulated cluster. Dropping it stops the simulation; call
/// [`TestCluster::shutdown`] to also wait for the listener to close.
pub struct TestCluster {
    store: Arc<Store>,
    sim: Arc<Simulation>,
    faults: Arc<Faults>,
    log: Arc<RequestLog>,
    options: Options,
    addr: SocketAddr,
    url: String,
    kubeconfig: PathBuf,
    temp_dir: Option<PathBuf>,
    tls: Option<tls::TlsMaterial>,
    server: tokio::sync::Mutex<Option<server::Running>>,
    sim_stop: watch::Sender<bool>,
    client: kube::Client,
}

impl std::fmt::Debug for TestCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCluster")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl TestCluster {
    /// Starts a cluster: binds, writes the kubeconfig, restores the state file if any,
    /// and returns once requests are served.
    pub async fn start(options: Options) -> Result<Self, Error> {
        let listener = TcpListener::bind(("127.0.0.1", options.port))
            .await
            .map_err(|source| Error::Bind {
                port: options.port,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            port: options.port,
            source,
        })?;
        let tls = if options.tls {
            Some(tls::generate()?)
        } else {
            None
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{addr}");
        let store = Store::new(options.history);
        seed(&store, &options)?;
        let (kubeconfig, temp_dir) = match &options.kubeconfig_out {
            Some(p) => (p.clone(), None),
            None => {
                let dir = std::env::temp_dir().join(format!(
                    "testcluster-{}-{}",
                    addr.port(),
                    util::random_suffix(8)
                ));
                std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
                (dir.join("kubeconfig"), Some(dir))
            }
        };
        let text = kubeconfig::render(
            &url,
            &options.auth.admin_token,
            tls.as_ref().map(|t| t.ca_pem.as_str()),
        );
        std::fs::write(&kubeconfig, text).map_err(io_err(&kubeconfig))?;
        let client = client_for(&url, &options.auth.admin_token, tls.as_ref())?;
        let faults = Arc::new(Faults::new(options.faults.clone()));
        let log = Arc::new(RequestLog::default());
        let sim = Simulation::new(store.clone(), options.simulate_delay, options.simulate_pods);
        let (sim_stop, sim_rx) = watch::channel(false);
        tokio::spawn(sim.clone().run(sim_rx));
        let cluster = Self {
            store,
            sim,
            faults,
            log,
            options,
            addr,
            url,
            kubeconfig,
            temp_dir,
            tls,
            server: tokio::sync::Mutex::new(None),
            sim_stop,
            client,
        };
        let running = cluster.serve(listener);
        *cluster.server.lock().await = Some(running);
        tracing::info!(url = %cluster.url, "testcluster started");
        Ok(cluster)
    }

    fn serve(&self, listener: TcpListener) -> server::Running {
        let (store, faults, log) = (self.store.clone(), self.faults.clone(), self.log.clone());
        let auth = self.options.auth.clone();
        let addr = self.addr;
        let bookmark_interval = self.options.bookmark_interval;
        server::spawn(
            listener,
            move |shutdown| {
                Arc::new(Shared {
                    store: store.clone(),
                    faults: faults.clone(),
                    log: log.clone(),
                    auth: auth.clone(),
                    addr,
                    bookmark_interval,
                    shutdown,
                })
            },
            self.tls.clone(),
        )
    }

    /// A kube client for the admin user (ready to use).
    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    /// A kube client authenticating with another token (see [`AuthConfig::with_user`]).
    pub fn client_with_token(&self, token: &str) -> Result<kube::Client, Error> {
        client_for(&self.url, token, self.tls.as_ref())
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The kubeconfig file (for `KUBECONFIG` / `kubectl --kubeconfig`).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// The admin bearer token.
    pub fn admin_token(&self) -> &str {
        &self.options.auth.admin_token
    }

    /// Fault controls, changeable at run time.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The request log and counters.
    pub fn requests(&self) -> &RequestLog {
        &self.log
    }

    /// Makes every pending simulated progression happen now.
    pub fn skip_delays(&self) {
        self.sim.skip_delays();
    }

    /// Changes the simulated progression delay.
    pub fn set_simulate_delay(&self, d: Duration) {
        self.sim.set_delay(d);
    }

    /// Skips delays and waits until the simulated controllers have nothing left to do
    /// (bounded: gives up after 10 s).
    pub async fn settle(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            self.sim.skip_delays();
            let step_done = {
                self.sim.step();
                self.store.lock().dirty.is_empty() && *self.sim.idle().borrow()
            };
            if step_done || tokio::time::Instant::now() > deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Every stored object, ordered by resource, namespace and name.
    pub fn dump(&self) -> Vec<Value> {
        self.store
            .lock()
            .all_objects()
            .into_iter()
            .map(|(_, o)| o.value.clone())
            .collect()
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.store.lock().rv
    }

    /// Forgets the watch history: watches from an older resourceVersion get 410 Gone.
    pub fn compact(&self) {
        self.store.lock().compact();
    }

    /// Creates objects directly (no HTTP, no faults), as the field manager
    /// `testcluster-seed`. Namespaces must exist (or come first in `objects`).
    pub fn insert(&self, objects: impl IntoIterator<Item = Value>) -> Result<(), Error> {
        let mut st = self.store.lock();
        for obj in objects {
            insert_one(&mut st, obj)?;
        }
        drop(st);
        self.store.changed.notify_one();
        Ok(())
    }

    /// Stops the listener (closing every connection and watch) and serves again on the
    /// same port with the same state, like an API server restart.
    pub async fn restart(&self) -> Result<(), Error> {
        let mut guard = self.server.lock().await;
        if let Some(r) = guard.take() {
            r.stop().await;
        }
        let port = self.addr.port();
        let mut last = None;
        for _ in 0..50 {
            match TcpListener::bind(("127.0.0.1", port)).await {
                Ok(l) => {
                    *guard = Some(self.serve(l));
                    return Ok(());
                }
                Err(e) => {
                    last = Some(e);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
        Err(Error::Bind {
            port,
            source: last.unwrap_or_else(|| std::io::Error::other("bind failed")),
        })
    }

    /// Writes every object to a JSON file (restored by [`Options::state_file`]).
    pub fn save_state(&self, path: &Path) -> Result<(), Error> {
        let st = self.store.lock();
        let objects: Vec<Value> = st
            .all_objects()
            .into_iter()
            .map(|(_, o)| o.value.clone())
            .collect();
        let doc = json!({"resourceVersion": st.rv, "objects": objects});
        drop(st);
        let bytes = serde_json::to_vec(&doc).map_err(|e| Error::State {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        std::fs::write(path, bytes).map_err(io_err(path))
    }

    /// Serves until `shutdown` completes, then saves the state file (if configured)
    /// and stops. While serving, the state file is also saved every
    /// [`Options::save_interval`] when something changed, so a killed process loses
    /// little.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), Error> {
        let Some(path) = self.options.state_file.clone() else {
            shutdown.await;
            self.shutdown().await;
            return Ok(());
        };
        tokio::pin!(shutdown);
        let mut saved_rv = u64::MAX;
        let mut tick =
            tokio::time::interval(self.options.save_interval.max(Duration::from_millis(100)));
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tick.tick() => {
                    let rv = self.resource_version();
                    if rv != saved_rv {
                        if let Err(e) = self.save_state(&path) {
                            tracing::warn!(error = %e, "saving the state file failed");
                        }
                        saved_rv = rv;
                    }
                }
            }
        }
        self.save_state(&path)?;
        self.shutdown().await;
        Ok(())
    }

    /// Serves until the process gets Ctrl-C (or SIGTERM on Unix), then saves the state
    /// file (if configured).
    pub async fn serve_forever(self) -> Result<(), Error> {
        self.run_until(async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                match signal(SignalKind::terminate()) {
                    Ok(mut term) => {
                        tokio::select! {
                            _ = tokio::signal::ctrl_c() => {}
                            _ = term.recv() => {}
                        }
                    }
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
        })
        .await
    }

    /// Stops serving and the simulation.
    pub async fn shutdown(self) {
        if let Some(r) = self.server.lock().await.take() {
            r.stop().await;
        }
        let _ = self.sim_stop.send(true);
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let _ = self.sim_stop.send(true);
        if let Ok(mut g) = self.server.try_lock()
            && let Some(r) = g.take()
        {
            drop(r);
        }
        if let Some(d) = &self.temp_dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

fn client_for(
    url: &str,
    token: &str,
    tls: Option<&tls::TlsMaterial>,
) -> Result<kube::Client, Error> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| Error::Client(e.to_string()))?;
    let mut config = kube::Config::new(uri);
    config.default_namespace = "default".into();
    config.auth_info.token = Some(token.to_string().into());
    if let Some(t) = tls {
        config.root_cert = Some(vec![t.ca_der.clone()]);
    }
    config.read_timeout = None;
    kube::Client::try_from(config).map_err(|e| Error::Client(e.to_string()))
}

fn insert_one(st: &mut store::State, obj: Value) -> Result<(), Error> {
    let api_version = util::get_str(&obj, &["apiVersion"])
        .unwrap_or_default()
        .to_string();
    let kind = util::get_str(&obj, &["kind"])
        .unwrap_or_default()
        .to_string();
    let ns = util::get_str(&obj, &["metadata", "namespace"])
        .unwrap_or("default")
        .to_string();
    let describe = || {
        format!(
            "{kind}/{ns}/{}",
            util::get_str(&obj, &["metadata", "name"]).unwrap_or_default()
        )
    };
    let group = api_version
        .rsplit_once('/')
        .map(|(g, _)| g)
        .unwrap_or_default();
    let def = st
        .registry
        .by_kind(group, &kind)
        .ok_or_else(|| Error::Insert {
            object: describe(),
            message: format!("no resource for {api_version} {kind}"),
        })?;
    let o = write::WriteOpts {
        manager: "testcluster-seed",
        dry_run: false,
        scope: ssa::fieldpath::Scope::Main,
        strict: false,
    };
    let object = describe();
    write::create(st, &def, &ns, obj, &o).map_err(|e| Error::Insert {
        object,
        message: e.message,
    })?;
    Ok(())
}

fn seed(store: &Store, options: &Options) -> Result<(), Error> {
    let mut st = store.lock();
    let restored = match &options.state_file {
        Some(p) if p.exists() => {
            let bytes = std::fs::read(p).map_err(io_err(p))?;
            let doc: Value = serde_json::from_slice(&bytes).map_err(|e| Error::State {
                path: p.clone(),
                message: e.to_string(),
            })?;
            let objects = doc
                .get("objects")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            // CRDs first, so their resources exist for the objects that follow.
            let (crds, rest): (Vec<Value>, Vec<Value>) = objects
                .into_iter()
                .partition(|o| util::get_str(o, &["kind"]) == Some("CustomResourceDefinition"));
            for o in crds.into_iter().chain(rest) {
                let kind = util::get_str(&o, &["kind"]).unwrap_or_default().to_string();
                let group = util::get_str(&o, &["apiVersion"])
                    .and_then(|a| a.rsplit_once('/'))
                    .map(|(g, _)| g.to_string())
                    .unwrap_or_default();
                let Some(def) = st.registry.by_kind(&group, &kind) else {
                    tracing::warn!(%kind, "state file object of unknown kind skipped");
                    continue;
                };
                if kind == "CustomResourceDefinition" {
                    crd::register(&mut st, &o);
                }
                st.restore(&def.key(), o);
            }
            if let Some(rv) = doc.get("resourceVersion").and_then(Value::as_u64) {
                st.rv = st.rv.max(rv);
            }
            true
        }
        _ => false,
    };
    if !restored {
        for ns in &options.namespaces {
            insert_one(
                &mut st,
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
            )?;
        }
        if options.simulate_pods {
            let node = simulate::node();
            insert_one(&mut st, node.clone())?;
            // Status goes through the status subresource, as a kubelet would write it.
            if let Some(def) = st.registry.by_kind("", "Node") {
                let o = write::WriteOpts {
                    manager: simulate::CONTROLLER_MANAGER,
                    dry_run: false,
                    scope: ssa::fieldpath::Scope::Status,
                    strict: false,
                };
                write::update(&mut st, &def, "", simulate::NODE_NAME, node, &o).map_err(|e| {
                    Error::Insert {
                        object: format!("Node/{}", simulate::NODE_NAME),
                        message: e.message,
                    }
                })?;
            }
        }
    }
    Ok(())
}
