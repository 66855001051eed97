//! Properties of the engine over random histories: after applying S1..Sn in turn, the cluster's
//! managed objects are exactly Sn, and a diff right after each apply is empty. Checked against
//! the in-memory backend and against the simulated API server over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;

use gitops_core::cluster::Cluster;
use gitops_core::diff::{Change, Differ};
use gitops_core::inventory::{Inventory, SyncResult};
use gitops_core::sync::{SyncOptions, reconcile};
use gitops_core::{Object, ObjectRef, consts};
use proptest::prelude::*;
use serde_json::json;
use support::*;

/// One desired object: which of a fixed universe, and a data variant.
fn universe(index: usize, variant: u8) -> Object {
    let namespace = ["alpha", "beta"][index % 2];
    match index % 3 {
        0 => configmap(
            namespace,
            &format!("cm-{index}"),
            json!({"v": variant.to_string()}),
        ),
        1 => object(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": format!("svc-{index}"), "namespace": namespace, "labels": {"v": variant.to_string()}},
            "spec": {"selector": {"app": "x"}, "ports": [{"port": 80 + u16::from(variant)}]}})),
        _ => deployment(
            namespace,
            &format!("dep-{index}"),
            &format!("nginx:1.{variant}"),
            json!({}),
        ),
    }
}

fn desired_set(picks: &[(usize, u8)]) -> Vec<Object> {
    let mut seen = BTreeSet::new();
    let mut out = vec![namespace("alpha"), namespace("beta")];
    for &(index, variant) in picks {
        if seen.insert(index) {
            out.push(universe(index, variant));
        }
    }
    out
}

fn history() -> impl Strategy<Value = Vec<Vec<(usize, u8)>>> {
    proptest::collection::vec(proptest::collection::vec((0usize..9, 0u8..3), 0..8), 1..5)
}

fn options() -> SyncOptions {
    let mut options = SyncOptions::new("prop", "default");
    // Random histories drop many objects at once; the budget is tested elsewhere.
    options.prune.max_objects = usize::MAX;
    options
}

/// Applies each set in turn and checks the properties after each.
/// `dump` lists every live object.
async fn check<C>(
    cluster: &C,
    dump: impl Fn() -> Vec<serde_json::Value>,
    steps: &[Vec<(usize, u8)>],
) where
    C: Cluster + gitops_core::Applier<Error = gitops_apply::Error>,
{
    let id = Inventory::new("prop", "default").id;
    let options = options();
    for (i, picks) in steps.iter().enumerate() {
        let desired = desired_set(picks);
        let report = reconcile(
            cluster,
            request(desired.clone(), &format!("r{i}")),
            &options,
        )
        .await
        .unwrap();
        assert_eq!(
            report.result,
            SyncResult::Succeeded,
            "step {i}: {}",
            report.message
        );

        let prepared = cluster.prepare(desired).await.unwrap();
        let wanted: BTreeSet<ObjectRef> = prepared.iter().map(|o| o.reference().clone()).collect();
        assert_eq!(
            managed(dump(), &id),
            wanted,
            "step {i}: managed objects differ from the desired set"
        );

        let inventory = cluster
            .load_inventory("prop", "default")
            .await
            .unwrap()
            .unwrap_or_else(|| Inventory::new("prop", "default"));
        assert_eq!(inventory.members, wanted, "step {i}: inventory");
        let labelled: Vec<Object> = prepared
            .iter()
            .map(|o| gitops_core::sync::label_member(o, &inventory.id))
            .collect();
        let diff = Differ::diff(cluster, &labelled, &inventory).await.unwrap();
        for entry in &diff.entries {
            assert!(
                matches!(entry.change, Change::Unchanged),
                "step {i}: {} is {:?}",
                entry.object,
                entry.change
            );
        }
    }
}

fn managed(objects: Vec<serde_json::Value>, id: &str) -> BTreeSet<ObjectRef> {
    objects
        .into_iter()
        .filter(|o| o["metadata"]["labels"][consts::APPLYSET_PART_OF] == id)
        .map(|o| Object::new(o).unwrap().reference().clone())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn memory_backend_converges(steps in history()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let cluster = gitops_apply::MemoryCluster::new();
            let dump = || cluster.objects().iter().map(|o| o.manifest().clone()).collect();
            check(&cluster, dump, &steps).await;
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn kube_backend_converges(steps in history()) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async {
            let (testcluster, backend) = start().await;
            check(&backend, || testcluster.dump(), &steps).await;
        });
    }
}
