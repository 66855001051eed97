//! The apply engine end to end against the simulated API server, over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use gitops_core::apply::Action;
use gitops_core::diff::Change;
use gitops_core::health::Status;
use gitops_core::inventory::SyncResult;
use gitops_core::sync::{detect_drift, reconcile};
use gitops_core::{ObjectRef, consts};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;
use support::*;

#[tokio::test]
async fn first_sync_in_stages_then_a_noop_makes_no_writes() {
    let (cluster, backend) = start().await;
    let options = sync_options("shop");
    let report = sync(&backend, shop(), "v1", &options).await;
    assert_eq!(report.result, SyncResult::Succeeded, "{}", report.message);
    assert_eq!(report.counts.created, 6, "{report:#?}");
    // The custom resource was applied in the same run as its CRD.
    let live: Vec<String> = cluster
        .dump()
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        live.contains(&"Promotion/spring-sale".to_owned()),
        "{live:?}"
    );
    // Every member carries the ApplySet label; the inventory lists them.
    let inventory = gitops_core::cluster::Cluster::load_inventory(&backend, "shop", "default")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(inventory.members.len(), 6);
    assert_eq!(inventory.revision.as_deref(), Some("v1"));

    cluster.requests().clear();
    let again = sync(&backend, shop(), "v1", &options).await;
    assert_eq!(again.result, SyncResult::Succeeded);
    assert_eq!(again.counts.unchanged, 6);
    assert_eq!(
        writes(&cluster),
        0,
        "a no-op sync writes nothing: {:?}",
        cluster.requests().counters()
    );
    let lists = cluster.requests().count("list", "*");
    assert!(
        lists <= 6,
        "at most one LIST per kind (6 kinds), got {lists}: {:?}",
        cluster.requests().counters()
    );
    assert_eq!(
        cluster.requests().count("get", "*"),
        1,
        "only the inventory is read"
    );
}

#[tokio::test]
async fn a_change_propagates_and_is_diffed_per_field() {
    let (_cluster, backend) = start().await;
    let options = sync_options("app");
    let v1 = vec![
        namespace("app"),
        configmap("app", "cfg", json!({"color": "blue", "size": "m"})),
    ];
    sync(&backend, v1, "v1", &options).await;
    let v2 = vec![
        namespace("app"),
        configmap("app", "cfg", json!({"color": "green", "size": "m"})),
    ];
    let report = sync(&backend, v2, "v2", &options).await;
    assert_eq!(report.counts.configured, 1);
    assert_eq!(report.counts.unchanged, 1);
    let entry = report
        .changes
        .entries
        .iter()
        .find(|e| e.object.name == "cfg")
        .unwrap();
    match &entry.change {
        Change::Update { fields } => {
            assert_eq!(fields.len(), 1, "{fields:?}");
            assert_eq!(fields[0].path, "/data/color");
            assert_eq!(fields[0].after, Some(json!("green")));
        }
        other => panic!("expected an update, got {other:?}"),
    }
}

#[tokio::test]
async fn dropped_fields_are_removed() {
    let (cluster, backend) = start().await;
    let options = sync_options("app");
    sync(
        &backend,
        vec![configmap("default", "cfg", json!({"a": "1", "b": "2"}))],
        "v1",
        &options,
    )
    .await;
    let report = sync(
        &backend,
        vec![configmap("default", "cfg", json!({"a": "1"}))],
        "v2",
        &options,
    )
    .await;
    assert_eq!(report.counts.configured, 1, "{report:#?}");
    let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "default");
    let data = cms.get("cfg").await.unwrap().data.unwrap();
    assert_eq!(data.len(), 1, "{data:?}");
}

#[tokio::test]
async fn removed_objects_are_pruned_others_never() {
    let (cluster, backend) = start().await;
    let options = sync_options("app");
    // Someone else's object in the same namespace.
    let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "default");
    let theirs =
        serde_json::from_value(json!({"metadata": {"name": "theirs"}, "data": {"x": "y"}}))
            .unwrap();
    cms.create(&Default::default(), &theirs).await.unwrap();

    let all = vec![
        configmap("default", "a", json!({})),
        configmap("default", "b", json!({})),
        configmap("default", "c", json!({})),
    ];
    sync(&backend, all.clone(), "v1", &options).await;
    let report = sync(&backend, all[..2].to_vec(), "v2", &options).await;
    assert_eq!(report.counts.deleted, 1);
    assert!(cms.get_opt("c").await.unwrap().is_none());
    assert!(cms.get_opt("theirs").await.unwrap().is_some());
    let inventory = gitops_core::cluster::Cluster::load_inventory(&backend, "app", "default")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(inventory.members.len(), 2);
}

#[tokio::test]
async fn prune_guards() {
    let (cluster, backend) = start().await;
    let options = sync_options("app");
    let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "default");
    let keep = configmap("default", "keep", json!({}))
        .edit(|m| m["metadata"]["annotations"] = json!({consts::PRUNE: "disabled"}))
        .unwrap();
    let all = vec![
        keep,
        configmap("default", "a", json!({})),
        configmap("default", "b", json!({})),
    ];
    sync(&backend, all.clone(), "v1", &options).await;

    // An empty render deletes nothing.
    // (The namespace holds the three and the inventory's ConfigMap.)
    let report = sync(&backend, vec![], "v2", &options).await;
    assert_eq!(report.counts.deleted, 0);
    assert_eq!(cms.list(&Default::default()).await.unwrap().items.len(), 4);

    // A failed stage skips pruning: `bad` is refused by the server (invalid name).
    let bad = configmap("default", "Not_Valid", json!({}));
    let report = sync(&backend, vec![all[1].clone(), bad], "v3", &options).await;
    assert_eq!(report.result, SyncResult::Failed);
    assert_eq!(report.counts.deleted, 0);
    assert_eq!(cms.list(&Default::default()).await.unwrap().items.len(), 4);

    // gitops.rs/prune: disabled keeps the object.
    let report = sync(&backend, vec![all[1].clone()], "v4", &options).await;
    assert_eq!(report.result, SyncResult::Succeeded, "{}", report.message);
    assert_eq!(report.counts.deleted, 1);
    assert!(cms.get_opt("keep").await.unwrap().is_some());
    assert!(cms.get_opt("b").await.unwrap().is_none());
}

#[tokio::test]
async fn mass_deletion_waits_for_approval() {
    let (cluster, backend) = start().await;
    let mut options = sync_options("big");
    let all: Vec<_> = (0..40)
        .map(|i| configmap("default", &format!("c{i}"), json!({})))
        .collect();
    sync(&backend, all.clone(), "v1", &options).await;
    let report = sync(&backend, all[..5].to_vec(), "v2", &options).await;
    let held = report.prune.held.clone().expect("held");
    assert_eq!(held.objects.len(), 35);
    assert_eq!(report.counts.deleted, 0);
    let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "default");
    assert_eq!(
        cms.list(&Default::default()).await.unwrap().items.len(),
        41,
        "40 + the inventory"
    );

    options.prune.approve = Some(held.hash);
    let report = sync(&backend, all[..5].to_vec(), "v2", &options).await;
    assert_eq!(report.counts.deleted, 35);
    assert_eq!(cms.list(&Default::default()).await.unwrap().items.len(), 6);
}

#[tokio::test]
async fn conflicts_fail_without_force_and_win_with_it() {
    let (cluster, backend) = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "default");
    let theirs = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shared"}, "data": {"owner": "them"}});
    cms.patch(
        "shared",
        &PatchParams::apply("someone-else"),
        &Patch::Apply(&theirs),
    )
    .await
    .unwrap();

    let mut options = sync_options("app");
    options.apply.force = false;
    let ours = vec![configmap("default", "shared", json!({"owner": "us"}))];
    let report = sync(&backend, ours.clone(), "v1", &options).await;
    assert_eq!(report.result, SyncResult::Failed);
    assert!(report.message.contains("conflict"), "{}", report.message);
    assert_eq!(
        cms.get("shared").await.unwrap().data.unwrap()["owner"],
        "them"
    );

    options.apply.force = true;
    let report = sync(&backend, ours, "v1", &options).await;
    assert_eq!(report.result, SyncResult::Succeeded, "{}", report.message);
    assert_eq!(
        cms.get("shared").await.unwrap().data.unwrap()["owner"],
        "us"
    );
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried() {
    let (cluster, backend) = start().await;
    let options = sync_options("app");
    cluster.faults().throttle_next(3, 0);
    let report = sync(
        &backend,
        vec![configmap("default", "a", json!({"k": "v"}))],
        "v1",
        &options,
    )
    .await;
    assert_eq!(report.result, SyncResult::Succeeded, "{}", report.message);
    assert!(cluster.requests().records().iter().any(|r| r.code == 429));

    cluster.faults().set_error_rate("patch", 1.0, 503);
    let heal = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        cluster.faults().clear();
    };
    let (report, ()) = tokio::join!(
        sync(
            &backend,
            vec![configmap("default", "a", json!({"k": "w"}))],
            "v2",
            &options
        ),
        heal
    );
    assert_eq!(report.result, SyncResult::Succeeded, "{}", report.message);
    assert!(cluster.requests().records().iter().any(|r| r.code == 503));
}

#[tokio::test]
async fn a_stuck_rollout_fails_after_the_timeout() {
    let (cluster, backend) = start().await;
    cluster.skip_delays();
    let mut options = sync_options("app");
    options.wait = Some(Duration::from_secs(3));
    let objects = vec![
        deployment("default", "ok", "nginx", json!({})),
        deployment(
            "default",
            "stuck",
            "nginx",
            json!({"testcluster.gitops.rs/simulate": "rollout-stuck"}),
        ),
    ];
    let report = sync(&backend, objects, "v1", &options).await;
    assert_eq!(report.result, SyncResult::Failed);
    let health: std::collections::BTreeMap<String, Status> = report
        .health
        .iter()
        .map(|(r, h)| (r.name.clone(), h.status))
        .collect();
    assert_eq!(health["ok"], Status::Current, "{:?}", report.health);
    assert_eq!(health["stuck"], Status::Failed, "{:?}", report.health);
    assert!(report.message.contains("stuck"), "{}", report.message);
}

#[tokio::test]
async fn immutable_fields_fail_or_are_replaced() {
    let (_cluster, backend) = start().await;
    let options = sync_options("app");
    let immutable = |value: &str, replace: bool| {
        let annotations = if replace {
            json!({consts::REPLACE: "true"})
        } else {
            json!({})
        };
        object(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "frozen", "namespace": "default", "annotations": annotations},
            "immutable": true, "data": {"k": value}}))
    };
    sync(&backend, vec![immutable("1", false)], "v1", &options).await;
    let report = sync(&backend, vec![immutable("2", false)], "v2", &options).await;
    assert_eq!(report.result, SyncResult::Failed);
    assert!(
        report.message.contains("gitops.rs/replace"),
        "{}",
        report.message
    );

    let report = sync(&backend, vec![immutable("2", true)], "v3", &options).await;
    assert_eq!(report.result, SyncResult::Succeeded, "{}", report.message);
    let live = gitops_core::apply::Applier::get(
        &backend,
        &[ObjectRef::new("", "ConfigMap", "default", "frozen")],
    )
    .await
    .unwrap();
    assert_eq!(live[0].as_ref().unwrap().manifest()["data"]["k"], "2");
}

#[tokio::test]
async fn drift_is_detected_and_healed() {
    let (cluster, backend) = start().await;
    let options = sync_options("app");
    let objects = vec![
        configmap("default", "edited", json!({"k": "v"})),
        configmap("default", "deleted", json!({})),
    ];
    sync(&backend, objects.clone(), "v1", &options).await;

    let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "default");
    let edit = json!({"data": {"k": "tampered"}});
    cms.patch("edited", &PatchParams::default(), &Patch::Merge(&edit))
        .await
        .unwrap();
    cms.delete("deleted", &Default::default()).await.unwrap();

    let drift = detect_drift(&backend, objects.clone(), &options)
        .await
        .unwrap();
    assert_eq!(drift.changed.len(), 1);
    assert_eq!(drift.changed[0].object.name, "edited");
    assert_eq!(
        drift.deleted,
        vec![ObjectRef::new("", "ConfigMap", "default", "deleted")]
    );

    let report = reconcile(&backend, request(objects.clone(), "v1"), &options)
        .await
        .unwrap();
    assert_eq!(
        report.counts.configured + report.counts.created,
        2,
        "{report:#?}"
    );
    assert!(
        detect_drift(&backend, objects, &options)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(cms.get("edited").await.unwrap().data.unwrap()["k"], "v");
}

#[tokio::test]
async fn unknown_kinds_are_bad_input_before_any_write() {
    let (cluster, backend) = start().await;
    let widget = object(
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "default"}}),
    );
    let err = reconcile(
        &backend,
        request(vec![configmap("default", "a", json!({})), widget], "v1"),
        &sync_options("app"),
    )
    .await
    .unwrap_err();
    assert!(err.is_bad_input(), "{err}");
    assert!(err.to_string().contains("unknown kind Widget"), "{err}");
    assert_eq!(writes(&cluster), 0);
}

#[tokio::test]
async fn dry_run_writes_nothing() {
    let (cluster, backend) = start().await;
    let mut options = sync_options("app");
    options.dry_run = true;
    let report = sync(&backend, shop(), "v1", &options).await;
    assert_eq!(report.counts.created, 6);
    assert_eq!(writes(&cluster), 0);
    assert!(
        report
            .results
            .iter()
            .all(|r| r.outcome != Ok(Action::Created))
    );
}

#[tokio::test]
async fn the_inventory_may_live_in_a_namespace_the_sync_creates() {
    let (cluster, backend) = start().await;
    let options = sync_options("app");
    let options = gitops_core::sync::SyncOptions {
        namespace: "fresh".into(),
        ..options
    };
    let objects = vec![
        namespace("fresh"),
        configmap("fresh", "a", json!({"k": "v"})),
    ];
    let report = sync(&backend, objects.clone(), "v1", &options).await;
    assert_eq!(report.result, SyncResult::Succeeded, "{}", report.message);
    assert_eq!(report.counts.created, 2, "{report:#?}");
    assert!(
        cluster
            .dump()
            .iter()
            .any(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == "app")
    );
    let again = sync(&backend, objects, "v1", &options).await;
    assert_eq!(again.counts.unchanged, 2);
}

#[tokio::test]
async fn lookup_reads_objects_and_lists_as_helm_does() {
    let (_tc, cluster) = start().await;
    sync(&cluster, shop(), "r1", &sync_options("shop")).await;
    let cm = cluster
        .lookup("v1", "ConfigMap", "shop", "storefront-config")
        .await
        .unwrap();
    assert_eq!(cm["kind"], "ConfigMap");
    assert_eq!(cm["apiVersion"], "v1");
    assert_eq!(cm["metadata"]["name"], "storefront-config");
    assert!(cm["data"].is_object(), "{cm}");
    let missing = cluster
        .lookup("v1", "ConfigMap", "shop", "nope")
        .await
        .unwrap();
    assert_eq!(missing, json!({}));
    let list = cluster.lookup("v1", "Namespace", "", "").await.unwrap();
    assert_eq!(list["kind"], "NamespaceList");
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["metadata"]["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"shop"), "{names:?}");
    assert!(list["items"][0]["kind"] == "Namespace");
    let in_ns = cluster
        .lookup("apps/v1", "Deployment", "shop", "")
        .await
        .unwrap();
    assert!(!in_ns["items"].as_array().unwrap().is_empty(), "{in_ns}");
    let err = cluster
        .lookup("example.com/v1", "Widget", "shop", "x")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("unable to get apiresource from unstructured: example.com/v1, Kind=Widget"),
        "{err}"
    );
}
