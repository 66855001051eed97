//! What the controllers share: clients, the latest artifact of each source, metrics, events.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use gitops_apply::{BackendOptions, KubeCluster, Resolver};
use gitops_core::Artifact;
use kube::Client;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::{ObjectRef, Store};
use tokio::sync::mpsc;

use crate::crd::{Application, GitRepository};
use crate::metrics::Metrics;

/// Operator settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where Git repositories are cached.
    pub cache_dir: Option<PathBuf>,
    /// Reconciles in flight at once, per kind.
    pub concurrency: u16,
    /// The server-side apply field manager.
    pub field_manager: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            cache_dir: None,
            concurrency: 8,
            field_manager: "gitops-operator".to_owned(),
        }
    }
}

/// `(namespace, name)`.
pub type Key = (String, String);

/// Shared by all reconciles.
pub struct Context {
    /// The operator's own client.
    pub client: Client,
    /// Its configuration, for impersonated clients.
    pub config: kube::Config,
    /// Settings.
    pub settings: Settings,
    /// Metrics.
    pub metrics: Metrics,
    /// Kubernetes Events on the custom resources.
    pub recorder: Recorder,
    /// Discovery, shared by every Application's backend.
    pub resolver: Resolver,
    /// Alert delivery.
    pub alerts: crate::alerts::Dispatcher,
    artifacts: Mutex<HashMap<Key, Arc<Artifact>>>,
    ignores: Mutex<HashMap<Key, Vec<String>>>,
    clients: Mutex<HashMap<String, Client>>,
    /// Files each Application's last render read, relative to the artifact root.
    inputs: Mutex<HashMap<Key, Vec<PathBuf>>>,
    apps: OnceLock<Store<Application>>,
    app_trigger: mpsc::UnboundedSender<ObjectRef<Application>>,
    source_trigger: mpsc::UnboundedSender<ObjectRef<GitRepository>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The receiving ends of the triggers, for the controllers.
pub struct Triggers {
    /// Applications to reconcile now.
    pub apps: mpsc::UnboundedReceiver<ObjectRef<Application>>,
    /// Sources to fetch now.
    pub sources: mpsc::UnboundedReceiver<ObjectRef<GitRepository>>,
}

impl Context {
    /// A context for a client built from `config`.
    pub fn new(client: Client, config: kube::Config, settings: Settings) -> (Arc<Self>, Triggers) {
        let (app_trigger, apps) = mpsc::unbounded_channel();
        let (source_trigger, sources) = mpsc::unbounded_channel();
        let reporter = Reporter {
            controller: "gitops-operator".into(),
            instance: std::env::var("POD_NAME").ok(),
        };
        let context = Self {
            recorder: Recorder::new(client.clone(), reporter),
            resolver: Resolver::new(client.clone(), std::time::Duration::from_secs(60)),
            alerts: crate::alerts::Dispatcher::default(),
            client,
            config,
            settings,
            metrics: Metrics::default(),
            artifacts: Mutex::default(),
            ignores: Mutex::default(),
            clients: Mutex::default(),
            inputs: Mutex::default(),
            apps: OnceLock::new(),
            app_trigger,
            source_trigger,
        };
        (Arc::new(context), Triggers { apps, sources })
    }

    /// Remembers the Applications' store (once the Application controller exists).
    pub fn set_apps(&self, store: Store<Application>) {
        let _ = self.apps.set(store);
    }

    /// Every Application known to the controller.
    pub fn apps(&self) -> Vec<Arc<Application>> {
        self.apps.get().map(Store::state).unwrap_or_default()
    }

    /// The latest artifact of a source.
    pub fn artifact(&self, key: &Key) -> Option<Arc<Artifact>> {
        lock(&self.artifacts).get(key).cloned()
    }

    /// Records a source's artifact; returns whether its revision is new.
    pub fn set_artifact(&self, key: Key, artifact: Artifact) -> bool {
        let mut artifacts = lock(&self.artifacts);
        let new = artifacts
            .get(&key)
            .is_none_or(|a| a.revision != artifact.revision);
        artifacts.insert(key, Arc::new(artifact));
        new
    }

    /// The ignore patterns of a source.
    pub fn ignore(&self, key: &Key) -> Vec<String> {
        lock(&self.ignores).get(key).cloned().unwrap_or_default()
    }

    /// Records the ignore patterns of a source.
    pub fn set_ignore(&self, key: Key, patterns: Vec<String>) {
        lock(&self.ignores).insert(key, patterns);
    }

    /// The files an Application's last render read.
    pub fn inputs(&self, key: &Key) -> Option<Vec<PathBuf>> {
        lock(&self.inputs).get(key).cloned()
    }

    /// Records the files an Application's render read.
    pub fn set_inputs(&self, key: Key, inputs: Vec<PathBuf>) {
        lock(&self.inputs).insert(key, inputs);
    }

    /// Forgets a deleted Application.
    pub fn forget(&self, key: &Key) {
        lock(&self.inputs).remove(key);
    }

    /// Reconciles an Application soon.
    pub fn trigger_app(&self, app: ObjectRef<Application>) {
        let _ = self.app_trigger.send(app);
    }

    /// Fetches a source soon.
    pub fn trigger_source(&self, source: ObjectRef<GitRepository>) {
        let _ = self.source_trigger.send(source);
    }

    /// A client acting as `user` (impersonation), or the operator's own for `None`.
    pub fn client_for(&self, user: Option<(&str, &str)>) -> Result<Client, kube::Error> {
        let Some((namespace, account)) = user else {
            return Ok(self.client.clone());
        };
        let name = format!("system:serviceaccount:{namespace}:{account}");
        if let Some(client) = lock(&self.clients).get(&name) {
            return Ok(client.clone());
        }
        let mut config = self.config.clone();
        config.auth_info.impersonate = Some(name.clone());
        config.auth_info.impersonate_groups = Some(vec![
            "system:serviceaccounts".to_owned(),
            format!("system:serviceaccounts:{namespace}"),
        ]);
        let client = Client::try_from(config)?;
        lock(&self.clients).insert(name, client.clone());
        Ok(client)
    }

    /// A backend over `client` sharing the operator's discovery cache.
    pub fn backend(&self, client: Client, options: BackendOptions) -> KubeCluster {
        KubeCluster::new(client, options).with_resolver(self.resolver.clone())
    }
}
