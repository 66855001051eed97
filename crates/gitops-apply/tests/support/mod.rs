//! Shared helpers: a testcluster with a backend over it, and object builders.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gitops_apply::{BackendOptions, KubeCluster, RetryPolicy};
use gitops_core::sync::{SyncOptions, SyncReport, SyncRequest, reconcile};
use gitops_core::{Object, manifest};
use gitops_testcluster::{Options, TestCluster};
use serde_json::{Value, json};

/// Fast retries, so fault tests do not sleep for seconds.
pub fn options() -> BackendOptions {
    BackendOptions {
        retry: RetryPolicy {
            attempts: 8,
            initial_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(200),
        },
        crd_ready_timeout: Duration::from_secs(10),
        ..BackendOptions::default()
    }
}

/// A fresh simulated cluster and a kube backend talking to it over HTTP.
pub async fn start() -> (TestCluster, KubeCluster) {
    let cluster = TestCluster::start(Options::default()).await.unwrap();
    let backend = KubeCluster::new(cluster.client(), options());
    (cluster, backend)
}

pub fn object(value: Value) -> Object {
    Object::new(value).unwrap()
}

pub fn namespace(name: &str) -> Object {
    object(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
}

pub fn configmap(namespace: &str, name: &str, data: Value) -> Object {
    object(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace}, "data": data}))
}

pub fn deployment(namespace: &str, name: &str, image: &str, annotations: Value) -> Object {
    object(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "main", "image": image}]}}}}))
}

/// The bundled example application.
pub fn shop() -> Vec<Object> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/shop");
    let mut objects = Vec::new();
    for file in [
        "base/namespace.yaml",
        "base/config.yaml",
        "base/storefront.yaml",
        "base/promotions-crd.yaml",
        "extras/spring-sale.yaml",
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        objects.extend(manifest::load_str(&text, file).unwrap());
    }
    objects
}

pub fn request(objects: Vec<Object>, revision: &str) -> SyncRequest {
    SyncRequest {
        objects,
        revision: revision.to_owned(),
        commit: None,
        now: 1_700_000_000,
    }
}

pub fn sync_options(name: &str) -> SyncOptions {
    SyncOptions::new(name, "default")
}

pub async fn sync(
    backend: &KubeCluster,
    objects: Vec<Object>,
    revision: &str,
    options: &SyncOptions,
) -> SyncReport {
    reconcile(backend, request(objects, revision), options)
        .await
        .unwrap()
}

/// Write requests (create, update, patch, delete) served so far.
pub fn writes(cluster: &TestCluster) -> u64 {
    ["create", "update", "patch", "delete", "deletecollection"]
        .iter()
        .map(|verb| cluster.requests().count(verb, "*"))
        .sum()
}
