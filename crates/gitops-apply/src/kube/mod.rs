//! The kube-rs backend: [`KubeCluster`].
//!
//! One module per verb: [`scope`] (namespaces by discovery), `live` (one LIST per kind),
//! `diff` (dry-run based change sets), `apply` (server-side apply), `delete`, `inventory`
//! (the ApplySet parent) and `wait` (health from watch events).

mod apply;
mod delete;
mod diff;
mod inventory;
mod live;
mod lookup;
mod managed;
mod resolve;
pub mod scope;
mod wait;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use gitops_core::apply::{Applier, ApplyOptions, DeleteOptions, ObjectResult};
use gitops_core::cluster::Cluster;
use gitops_core::diff::{ChangeSet, Differ};
use gitops_core::health::Health;
use gitops_core::inventory::Inventory;
use gitops_core::{Object, ObjectRef};
use kube::Client;
use kube::api::{Api, DynamicObject};
use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::error::Error;
use crate::options::BackendOptions;

pub use resolve::{Resolved, Resolver};

/// A Kubernetes cluster reached through kube-rs.
///
/// Cheap to clone: clones share the client, the discovery cache and what the last diff saw.
#[derive(Clone)]
pub struct KubeCluster {
    client: Client,
    resolver: Resolver,
    options: Arc<BackendOptions>,
    default_namespace: String,
    /// The resourceVersion of each object the last diff saw (`None`: absent), so that an
    /// apply knows created from configured from unchanged without reading again.
    seen: Arc<Mutex<HashMap<ObjectRef, Option<String>>>>,
}

impl KubeCluster {
    /// A backend over a ready client.
    pub fn new(client: Client, options: BackendOptions) -> Self {
        let default_namespace = options
            .default_namespace
            .clone()
            .unwrap_or_else(|| client.default_namespace().to_owned());
        Self {
            resolver: Resolver::new(client.clone(), options.crd_ready_timeout),
            client,
            options: Arc::new(options),
            default_namespace,
            seen: Arc::default(),
        }
    }

    /// A backend from a kubeconfig file (`None`: `$KUBECONFIG`, then `~/.kube/config`, then the
    /// in-cluster service account), optionally for one context.
    pub async fn connect(
        kubeconfig: Option<&Path>,
        context: Option<&str>,
        options: BackendOptions,
    ) -> Result<Self, Error> {
        let config_error = |e: &dyn std::fmt::Display| Error::Config {
            message: e.to_string(),
        };
        let kube_options = KubeConfigOptions {
            context: context.map(str::to_owned),
            ..KubeConfigOptions::default()
        };
        let config = match kubeconfig {
            Some(path) => {
                let file = Kubeconfig::read_from(path).map_err(|e| Error::Config {
                    message: format!("{}: {e}", path.display()),
                })?;
                kube::Config::from_custom_kubeconfig(file, &kube_options)
                    .await
                    .map_err(|e| config_error(&e))?
            }
            None if context.is_some() => kube::Config::from_kubeconfig(&kube_options)
                .await
                .map_err(|e| config_error(&e))?,
            None => kube::Config::infer().await.map_err(|e| config_error(&e))?,
        };
        let client = Client::try_from(config).map_err(|e| config_error(&e))?;
        Ok(Self::new(client, options))
    }

    /// Shares a discovery cache with other backends (an operator with many applications).
    #[must_use]
    pub fn with_resolver(mut self, resolver: Resolver) -> Self {
        self.resolver = resolver;
        self
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The namespace for namespaced objects that name none.
    pub fn default_namespace(&self) -> &str {
        &self.default_namespace
    }

    /// The options.
    pub fn options(&self) -> &BackendOptions {
        &self.options
    }

    /// The discovery cache.
    pub fn resolver(&self) -> &Resolver {
        &self.resolver
    }

    fn api(&self, resolved: &Resolved, namespace: Option<&str>) -> Api<DynamicObject> {
        match namespace.filter(|_| resolved.namespaced) {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &resolved.resource),
            None => Api::all_with(self.client.clone(), &resolved.resource),
        }
    }

    fn remember(&self, object: ObjectRef, resource_version: Option<String>) {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(object, resource_version);
    }

    fn seen(&self, object: &ObjectRef) -> Option<Option<String>> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(object)
            .cloned()
    }
}

/// Runs futures with at most `limit` in flight, keeping their order; stops at the first error.
///
/// (Collecting the futures first, rather than mapping a stream, keeps them `Send` for any
/// lifetime, which `async_trait` needs.)
async fn bounded<T, F>(futures: Vec<F>, limit: usize) -> Result<Vec<T>, Error>
where
    F: std::future::Future<Output = Result<T, Error>>,
{
    use futures::{StreamExt, TryStreamExt};
    futures::stream::iter(futures)
        .buffered(limit.max(1))
        .try_collect()
        .await
}

/// A live object as our [`Object`]: list items come without apiVersion and kind, so they are
/// filled in from the resource.
fn to_object(item: DynamicObject, resolved: &Resolved) -> Option<Object> {
    let mut value = serde_json::to_value(item).ok()?;
    value["apiVersion"] = serde_json::Value::String(resolved.resource.api_version.clone());
    value["kind"] = serde_json::Value::String(resolved.resource.kind.clone());
    Object::new(value).ok()
}

#[async_trait]
impl Applier for KubeCluster {
    type Error = Error;

    async fn apply(
        &self,
        objects: &[Object],
        options: &ApplyOptions,
    ) -> Result<Vec<ObjectResult>, Error> {
        apply::apply(self, objects, options).await
    }

    async fn delete(
        &self,
        objects: &[ObjectRef],
        options: &DeleteOptions,
    ) -> Result<Vec<ObjectResult>, Error> {
        delete::delete(self, objects, options).await
    }

    async fn get(&self, objects: &[ObjectRef]) -> Result<Vec<Option<Object>>, Error> {
        live::get_many(self, objects).await
    }
}

#[async_trait]
impl Differ for KubeCluster {
    type Error = Error;

    async fn diff(&self, desired: &[Object], inventory: &Inventory) -> Result<ChangeSet, Error> {
        diff::diff(self, desired, inventory).await
    }
}

#[async_trait]
impl Cluster for KubeCluster {
    async fn prepare(&self, objects: Vec<Object>) -> Result<Vec<Object>, Error> {
        scope::prepare(self, objects).await
    }

    async fn load_inventory(
        &self,
        name: &str,
        namespace: &str,
    ) -> Result<Option<Inventory>, Error> {
        inventory::load(self, name, namespace).await
    }

    async fn save_inventory(&self, inventory: &Inventory) -> Result<(), Error> {
        inventory::save(self, inventory).await
    }

    async fn health(&self, objects: &[Object]) -> Result<Vec<(ObjectRef, Health)>, Error> {
        wait::health(self, objects).await
    }

    async fn wait(
        &self,
        objects: &[Object],
        timeout: Duration,
    ) -> Result<Vec<(ObjectRef, Health)>, Error> {
        wait::wait(self, objects, timeout).await
    }
}
