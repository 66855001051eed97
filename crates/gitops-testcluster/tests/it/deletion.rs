//! Deletion: finalizers, preconditions, garbage collection, namespace cascade, deletecollection.

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, Preconditions};
use serde_json::json;

use crate::support::{cluster, cm, code};

#[tokio::test]
async fn finalizers_hold_objects_until_removed() {
    let c = cluster().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    let mut m = cm("held", &[]);
    m.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    cms.create(&PostParams::default(), &m).await.unwrap();
    cms.delete("held", &DeleteParams::default()).await.unwrap();
    let held = cms.get("held").await.unwrap();
    assert!(held.metadata.deletion_timestamp.is_some());
    cms.patch(
        "held",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
    assert_eq!(code(cms.get("held").await.unwrap_err()), 404);
    c.shutdown().await;
}

#[tokio::test]
async fn preconditions_are_checked() {
    let c = cluster().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    cms.create(&PostParams::default(), &cm("p", &[]))
        .await
        .unwrap();
    let wrong = DeleteParams::default().preconditions(Preconditions {
        uid: Some("nope".into()),
        resource_version: None,
    });
    assert_eq!(code(cms.delete("p", &wrong).await.unwrap_err()), 409);
    cms.delete("p", &DeleteParams::default().dry_run())
        .await
        .unwrap();
    assert!(cms.get("p").await.is_ok());
    cms.delete("p", &DeleteParams::default()).await.unwrap();
    assert_eq!(code(cms.get("p").await.unwrap_err()), 404);
    c.shutdown().await;
}

fn owned(name: &str, owner: &ConfigMap) -> ConfigMap {
    let mut m = cm(name, &[]);
    m.metadata.owner_references = Some(vec![
        k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            name: owner.metadata.name.clone().unwrap(),
            uid: owner.metadata.uid.clone().unwrap(),
            block_owner_deletion: Some(true),
            ..Default::default()
        },
    ]);
    m
}

#[tokio::test]
async fn garbage_collection_background_foreground_orphan() {
    let c = cluster().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    let pp = PostParams::default();
    for (owner, policy) in [
        ("bg", DeleteParams::background()),
        ("fg", DeleteParams::foreground()),
        ("or", DeleteParams::orphan()),
    ] {
        let o = cms.create(&pp, &cm(owner, &[])).await.unwrap();
        let child = cms
            .create(&pp, &owned(&format!("{owner}-child"), &o))
            .await
            .unwrap();
        cms.create(&pp, &owned(&format!("{owner}-grandchild"), &child))
            .await
            .unwrap();
        cms.delete(owner, &policy).await.unwrap();
        c.settle().await;
        assert_eq!(code(cms.get(owner).await.unwrap_err()), 404, "{owner}");
        let left = cms.get_opt(&format!("{owner}-child")).await.unwrap();
        let grand = cms.get_opt(&format!("{owner}-grandchild")).await.unwrap();
        if owner == "or" {
            let left = left.expect("orphaned child stays");
            assert!(left.metadata.owner_references.is_none());
            assert!(grand.is_some());
        } else {
            assert!(
                left.is_none() && grand.is_none(),
                "{owner}: dependents collected"
            );
        }
    }
    c.shutdown().await;
}

#[tokio::test]
async fn namespace_deletion_cascades_and_deletecollection() {
    let c = cluster().await;
    let nss: Api<Namespace> = Api::all(c.client());
    nss.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "team"}})).unwrap(),
    )
    .await
    .unwrap();
    let ns = nss.get("team").await.unwrap();
    assert_eq!(ns.status.unwrap().phase.as_deref(), Some("Active"));
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "team");
    for i in 0..3 {
        cms.create(&PostParams::default(), &cm(&format!("c{i}"), &[]))
            .await
            .unwrap();
    }
    let gone = cms
        .delete_collection(
            &DeleteParams::default(),
            &ListParams::default().fields("metadata.name=c0"),
        )
        .await
        .unwrap();
    assert_eq!(gone.left().unwrap().items.len(), 1);
    assert_eq!(
        cms.list(&ListParams::default()).await.unwrap().items.len(),
        2
    );
    nss.delete("team", &DeleteParams::default()).await.unwrap();
    c.settle().await;
    assert_eq!(code(nss.get("team").await.unwrap_err()), 404);
    let all: Api<ConfigMap> = Api::all(c.client());
    assert!(
        all.list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    c.shutdown().await;
}
