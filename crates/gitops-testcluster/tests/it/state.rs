//! Persisting and restoring the store, seeding without HTTP, and TLS.

use gitops_testcluster::{Options, TestCluster};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};
use serde_json::json;

use crate::support::cm;

#[tokio::test]
async fn state_file_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let opts = || Options {
        state_file: Some(state.clone()),
        ..Options::default()
    };
    let c = TestCluster::start(opts()).await.unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    let created = cms
        .create(&PostParams::default(), &cm("kept", &[("a", "1")]))
        .await
        .unwrap();
    c.run_until(async {}).await.unwrap();

    let c = TestCluster::start(opts()).await.unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    let got = cms.get("kept").await.unwrap();
    assert_eq!(got.metadata.uid, created.metadata.uid);
    assert_eq!(
        got.metadata.resource_version,
        created.metadata.resource_version
    );
    let next = cms
        .create(&PostParams::default(), &cm("new", &[]))
        .await
        .unwrap();
    let rv = |m: &ConfigMap| {
        m.metadata
            .resource_version
            .as_ref()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(rv(&next) > rv(&got));
    c.shutdown().await;
}

#[tokio::test]
async fn state_is_saved_while_serving() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let c = TestCluster::start(Options {
        state_file: Some(state.clone()),
        save_interval: std::time::Duration::from_millis(100),
        ..Options::default()
    })
    .await
    .unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    cms.create(&PostParams::default(), &cm("autosaved", &[]))
        .await
        .unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let state2 = state.clone();
    let watcher = tokio::spawn(async move {
        // Bounded wait for the periodic save, then stop the server.
        for _ in 0..100 {
            if std::fs::read_to_string(&state2).is_ok_and(|s| s.contains("autosaved")) {
                let _ = stop_tx.send(());
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let _ = stop_tx.send(());
        false
    });
    c.run_until(async {
        let _ = stop_rx.await;
    })
    .await
    .unwrap();
    assert!(
        watcher.await.unwrap(),
        "the state file was written while serving"
    );
}

#[tokio::test]
async fn insert_seeds_objects_directly() {
    let c = TestCluster::start(Options::default()).await.unwrap();
    c.insert([
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "seeded"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "seeded"}}),
    ])
    .unwrap();
    let err = c
        .insert([json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "y", "namespace": "absent"}})])
        .unwrap_err();
    assert!(err.to_string().contains("absent"), "{err}");
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "seeded");
    assert!(cms.get("x").await.is_ok());
    assert!(c.dump().iter().any(|o| o["metadata"]["name"] == "x"));
    c.shutdown().await;
}

#[tokio::test]
async fn tls_with_generated_ca() {
    let c = TestCluster::start(Options {
        tls: true,
        ..Options::default()
    })
    .await
    .unwrap();
    assert!(c.url().starts_with("https://127.0.0.1:"));
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    cms.create(&PostParams::default(), &cm("secure", &[]))
        .await
        .unwrap();
    // The written kubeconfig works for kube-rs too.
    let kc = kube::config::Kubeconfig::read_from(c.kubeconfig_path()).unwrap();
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    let from_file: Api<ConfigMap> =
        Api::namespaced(kube::Client::try_from(cfg).unwrap(), "default");
    assert!(from_file.get("secure").await.is_ok());
    c.shutdown().await;
}
