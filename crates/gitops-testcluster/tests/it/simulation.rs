//! Simulated controllers: delayed progression, failures by annotation, Jobs, PVCs, LoadBalancers.

use std::time::Duration;

use gitops_testcluster::{Options, SIMULATE_ANNOTATION, TestCluster};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Service};
use kube::api::{Api, PostParams};
use serde_json::json;

use crate::support::deployment;

fn condition(d: &Deployment, t: &str) -> Option<(String, String)> {
    d.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == t)
        .map(|c| (c.status.clone(), c.reason.clone().unwrap_or_default()))
}

#[tokio::test]
async fn deployments_progress_after_the_delay_or_when_skipped() {
    let c = TestCluster::start(Options {
        simulate_delay: Duration::from_secs(3600),
        ..Options::default()
    })
    .await
    .unwrap();
    let deps: Api<Deployment> = Api::namespaced(c.client(), "default");
    deps.create(&PostParams::default(), &deployment("web", 3))
        .await
        .unwrap();
    assert!(
        deps.get("web").await.unwrap().status.is_none(),
        "an hour has not passed"
    );
    c.settle().await;
    let d = deps.get("web").await.unwrap();
    let s = d.status.clone().unwrap();
    assert_eq!(
        (
            s.ready_replicas,
            s.available_replicas,
            s.observed_generation
        ),
        (Some(3), Some(3), Some(1))
    );
    assert_eq!(
        condition(&d, "Available"),
        Some(("True".into(), "MinimumReplicasAvailable".into()))
    );

    let mut stuck = deployment("stuck", 1);
    stuck.metadata.annotations =
        Some([(SIMULATE_ANNOTATION.to_string(), "rollout-stuck".to_string())].into());
    deps.create(&PostParams::default(), &stuck).await.unwrap();
    c.settle().await;
    let d = deps.get("stuck").await.unwrap();
    assert_eq!(
        condition(&d, "Progressing"),
        Some(("False".into(), "ProgressDeadlineExceeded".into()))
    );
    assert_eq!(condition(&d, "Available").unwrap().0, "False");
    c.shutdown().await;
}

#[tokio::test]
async fn jobs_pvcs_and_load_balancers() {
    let c = TestCluster::start(Options::default()).await.unwrap();
    let jobs: Api<Job> = Api::namespaced(c.client(), "default");
    let job = |name: &str, fail: bool| -> Job {
        let mut j: Job = serde_json::from_value(
            json!({"metadata": {"name": name}, "spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox:1"}]}}}}),
        )
        .unwrap();
        if fail {
            j.metadata.annotations =
                Some([(SIMULATE_ANNOTATION.to_string(), "job-fails".to_string())].into());
        }
        j
    };
    jobs.create(&PostParams::default(), &job("ok", false))
        .await
        .unwrap();
    jobs.create(&PostParams::default(), &job("bad", true))
        .await
        .unwrap();
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(c.client(), "default");
    let pvc: PersistentVolumeClaim =
        serde_json::from_value(json!({"metadata": {"name": "data"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}))
        .unwrap();
    pvcs.create(&PostParams::default(), &pvc).await.unwrap();
    let svcs: Api<Service> = Api::namespaced(c.client(), "default");
    let lb: Service = serde_json::from_value(json!({"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "ports": [{"port": 443}]}})).unwrap();
    svcs.create(&PostParams::default(), &lb).await.unwrap();
    c.settle().await;

    let ok = jobs.get("ok").await.unwrap().status.unwrap();
    assert_eq!(ok.succeeded, Some(1));
    assert!(
        ok.conditions
            .unwrap()
            .iter()
            .any(|c| c.type_ == "Complete" && c.status == "True")
    );
    let bad = jobs.get("bad").await.unwrap().status.unwrap();
    assert!(
        bad.conditions
            .unwrap()
            .iter()
            .any(|c| c.type_ == "Failed" && c.status == "True")
    );
    assert_eq!(
        pvcs.get("data")
            .await
            .unwrap()
            .status
            .unwrap()
            .phase
            .as_deref(),
        Some("Bound")
    );
    let ingress = svcs
        .get("lb")
        .await
        .unwrap()
        .status
        .unwrap()
        .load_balancer
        .unwrap()
        .ingress
        .unwrap();
    assert!(ingress[0].ip.is_some());
    let ing: Api<k8s_openapi::api::networking::v1::Ingress> =
        Api::namespaced(c.client(), "default");
    let i: k8s_openapi::api::networking::v1::Ingress =
        serde_json::from_value(json!({"metadata": {"name": "web"}, "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}})).unwrap();
    ing.create(&PostParams::default(), &i).await.unwrap();
    c.settle().await;
    let lb = ing
        .get("web")
        .await
        .unwrap()
        .status
        .unwrap()
        .load_balancer
        .unwrap()
        .ingress
        .unwrap();
    assert!(lb[0].ip.as_deref().unwrap().starts_with("192.0.2."));
    let job = jobs.get("ok").await.unwrap();
    assert!(
        job.spec.unwrap().selector.is_some(),
        "the server generates a Job selector"
    );
    c.shutdown().await;
}

#[tokio::test]
async fn optional_pods_follow_workloads() {
    use k8s_openapi::api::apps::v1::ReplicaSet;
    use k8s_openapi::api::core::v1::{Node, Pod};
    use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
    let c = TestCluster::start(Options {
        simulate_pods: true,
        ..Options::default()
    })
    .await
    .unwrap();
    let nodes: Api<Node> = Api::all(c.client());
    assert_eq!(
        nodes
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let deps: Api<Deployment> = Api::namespaced(c.client(), "default");
    deps.create(&PostParams::default(), &deployment("web", 3))
        .await
        .unwrap();
    c.settle().await;
    let rss: Api<ReplicaSet> = Api::namespaced(c.client(), "default");
    let pods: Api<Pod> = Api::namespaced(c.client(), "default");
    let rs = rss.list(&ListParams::default()).await.unwrap().items;
    assert_eq!(rs.len(), 1);
    assert!(rs[0].metadata.name.as_deref().unwrap().starts_with("web-"));
    let running = |l: Vec<Pod>| {
        l.into_iter()
            .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
            .count()
    };
    assert_eq!(
        running(
            pods.list(&ListParams::default().labels("app=web"))
                .await
                .unwrap()
                .items
        ),
        3
    );

    // A new template rolls to a new ReplicaSet; the old one scales to zero.
    let patch = json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "main", "image": "nginx:1.28"}]}}}});
    deps.patch("web", &PatchParams::default(), &Patch::Strategic(patch))
        .await
        .unwrap();
    c.settle().await;
    let rs = rss.list(&ListParams::default()).await.unwrap().items;
    let mut sizes: Vec<i32> = rs
        .iter()
        .map(|r| r.spec.as_ref().unwrap().replicas.unwrap())
        .collect();
    sizes.sort();
    assert_eq!(sizes, [0, 2]);
    assert_eq!(
        pods.list(&ListParams::default()).await.unwrap().items.len(),
        2
    );

    // Deleting the Deployment collects its ReplicaSets and Pods.
    deps.delete("web", &DeleteParams::default()).await.unwrap();
    c.settle().await;
    assert!(
        rss.list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        pods.list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    c.shutdown().await;
}
