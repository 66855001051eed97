//! The apply engine against the simulated API server, side by side with
//! `kubectl apply --server-side --prune` doing the same work.
//!
//! kubectl's ApplySet needs an explicit `--namespace` for a ConfigMap/Secret parent and then
//! refuses objects in other namespaces, and its label-based `--prune` refuses `--server-side`;
//! so kubectl gets a cluster-scoped parent type (a CRD labelled
//! `applyset.kubernetes.io/is-parent-type`), the documented way to span namespaces.
//!
//! 1,000 objects over 20 namespaces; four steps: (1) first sync, (2) no-op resync, (3) resync
//! after changing 10 objects, (4) prune of 100 objects. Each step runs as a fresh process
//! would: gitops with a new backend (cold discovery cache, like one `gitops apply` run),
//! kubectl as one command (with its own on-disk discovery cache, warm after step 1).
//!
//! Run: `cargo bench -p gitops-benches --bench apply` (set `RUNS=n`, default 3). Prints wall
//! time medians and request counts (from the server's request log). kubectl is skipped with a
//! printed reason when it is not on PATH.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use gitops_apply::{BackendOptions, KubeCluster};
use gitops_core::sync::{SyncOptions, SyncRequest, reconcile};
use gitops_core::{Object, yaml};
use gitops_testcluster::{Options, TestCluster};
use serde_json::json;

const NAMESPACES: usize = 20;
const OBJECTS: usize = 1_000;
const STEPS: [&str; 4] = [
    "first sync",
    "no-op resync",
    "change 10 objects",
    "prune 100 objects",
];

/// The desired set of a step: 20 namespaces and 980 objects; step 3 changes 10 of them,
/// step 4 also drops 100.
fn objects(step: usize) -> Vec<Object> {
    let mut out: Vec<Object> = (0..NAMESPACES)
        .map(|n| Object::new(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("bench-{n}")}})).unwrap())
        .collect();
    let count = if step >= 3 {
        OBJECTS - NAMESPACES - 100
    } else {
        OBJECTS - NAMESPACES
    };
    for i in 0..count {
        let namespace = format!("bench-{}", i % NAMESPACES);
        let version = if step >= 2 && i < 10 { "2" } else { "1" };
        let value = match i % 4 {
            0 | 1 => json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("cm-{i}"), "namespace": namespace},
                "data": {"version": version, "payload": "x".repeat(64)}}),
            2 => json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": format!("svc-{i}"), "namespace": namespace, "labels": {"version": version}},
                "spec": {"selector": {"app": format!("app-{i}")}, "ports": [{"port": 80, "targetPort": 8080}]}}),
            _ => json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": format!("dep-{i}"), "namespace": namespace},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": format!("app-{i}")}},
                         "template": {"metadata": {"labels": {"app": format!("app-{i}")}},
                                      "spec": {"containers": [{"name": "main", "image": format!("nginx:1.{version}")}]}}}}),
        };
        out.push(Object::new(value).unwrap());
    }
    out
}

struct Measure {
    wall: Duration,
    requests: u64,
    lists: u64,
    writes: u64,
}

fn counts(cluster: &TestCluster) -> (u64, u64, u64) {
    let log = cluster.requests();
    let total: u64 = log.counters().values().sum();
    let writes = ["create", "update", "patch", "delete"]
        .iter()
        .map(|v| log.count(v, "*"))
        .sum();
    (total, log.count("list", "*"), writes)
}

async fn ours(cluster: &TestCluster, step: usize) -> Measure {
    cluster.requests().clear();
    let started = Instant::now();
    let backend = KubeCluster::new(cluster.client(), BackendOptions::default());
    let request = SyncRequest {
        objects: objects(step),
        revision: format!("r{step}"),
        commit: None,
        now: 0,
    };
    let mut options = SyncOptions::new("bench", "default");
    options.prune.max_objects = 1_000;
    let report = reconcile(&backend, request, &options).await.unwrap();
    let wall = started.elapsed();
    assert!(report.message.is_empty(), "{}", report.message);
    let (requests, lists, writes) = counts(cluster);
    Measure {
        wall,
        requests,
        lists,
        writes,
    }
}

fn kubectl_bin() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file())
}

fn theirs(cluster: &TestCluster, kubectl: &Path, home: &Path, step: usize) -> Measure {
    let dir = home.join(format!("step-{step}"));
    std::fs::create_dir_all(&dir).unwrap();
    let labelled: Vec<serde_json::Value> = objects(step)
        .iter()
        .map(|o| {
            let mut m = o.manifest().clone();
            m["metadata"]["labels"]["bench"] = json!("kubectl");
            m
        })
        .collect();
    std::fs::write(
        dir.join("all.yaml"),
        yaml::to_string_multi(&labelled).unwrap(),
    )
    .unwrap();
    if step == 0 {
        parent_type(cluster, kubectl, home);
    }
    cluster.requests().clear();
    let started = Instant::now();
    let output = Command::new(kubectl)
        .env("HOME", home)
        .env("KUBECTL_APPLYSET", "true")
        .arg("--kubeconfig")
        .arg(cluster.kubeconfig_path())
        .args(["apply", "--server-side", "--force-conflicts", "--prune"])
        .args(["--applyset=applysetparents.bench.gitops.rs/bench", "-f"])
        .arg(dir.join("all.yaml"))
        .output()
        .unwrap();
    let wall = started.elapsed();
    assert!(
        output.status.success(),
        "kubectl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (requests, lists, writes) = counts(cluster);
    Measure {
        wall,
        requests,
        lists,
        writes,
    }
}

/// A cluster-scoped ApplySet parent type for kubectl, and the parent (kubectl creates only
/// ConfigMap and Secret parents itself).
fn parent_type(cluster: &TestCluster, kubectl: &Path, home: &Path) {
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "applysetparents.bench.gitops.rs", "labels": {"applyset.kubernetes.io/is-parent-type": "true"}},
        "spec": {"group": "bench.gitops.rs", "scope": "Cluster",
                 "names": {"kind": "ApplySetParent", "plural": "applysetparents", "singular": "applysetparent", "listKind": "ApplySetParentList"},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}});
    // kubectl checks this id against its own computation: a test of ours too.
    let id =
        gitops_core::inventory::applyset_id_for("bench", "", "ApplySetParent", "bench.gitops.rs");
    let parent = json!({"apiVersion": "bench.gitops.rs/v1", "kind": "ApplySetParent",
        "metadata": {"name": "bench", "labels": {"applyset.kubernetes.io/id": id},
                     "annotations": {"applyset.kubernetes.io/tooling": "kubectl/v1.32.4",
                                     "applyset.kubernetes.io/contains-group-kinds": ""}}});
    for (name, value) in [("crd.yaml", crd), ("parent.yaml", parent)] {
        let file = home.join(name);
        std::fs::write(&file, yaml::to_string(&value).unwrap()).unwrap();
        for _ in 0..50 {
            let output = Command::new(kubectl)
                .env("HOME", home)
                .arg("--kubeconfig")
                .arg(cluster.kubeconfig_path())
                .args(["apply", "--server-side", "-f"])
                .arg(&file)
                .output()
                .unwrap();
            if output.status.success() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let kubectl = kubectl_bin();
    if kubectl.is_none() {
        eprintln!("kubectl is not on PATH: measuring gitops only");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut results: BTreeMap<(&str, usize), Vec<Measure>> = BTreeMap::new();
    for _ in 0..runs {
        runtime.block_on(async {
            let tls = Options {
                tls: true,
                ..Options::default()
            };
            let cluster = TestCluster::start(tls.clone()).await.unwrap();
            for step in 0..STEPS.len() {
                results
                    .entry(("gitops", step))
                    .or_default()
                    .push(ours(&cluster, step).await);
            }
            if let Some(kubectl) = &kubectl {
                let cluster = TestCluster::start(tls).await.unwrap();
                let home = tempfile::tempdir().unwrap();
                for step in 0..STEPS.len() {
                    results.entry(("kubectl", step)).or_default().push(theirs(
                        &cluster,
                        kubectl,
                        home.path(),
                        step,
                    ));
                }
            }
        });
    }
    println!(
        "| step | gitops wall (ms) | kubectl wall (ms) | gitops requests | kubectl requests | request ratio | gitops LISTs | gitops writes | kubectl writes |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (step, name) in STEPS.iter().enumerate() {
        let ours = &results[&("gitops", step)];
        let wall =
            |m: &[Measure]| median(m.iter().map(|m| m.wall.as_secs_f64() * 1000.0).collect());
        let med =
            |m: &[Measure], f: fn(&Measure) -> u64| median(m.iter().map(|m| f(m) as f64).collect());
        let (their_wall, their_requests, their_writes) = match results.get(&("kubectl", step)) {
            Some(theirs) => (
                format!("{:.0}", wall(theirs)),
                med(theirs, |m| m.requests),
                format!("{:.0}", med(theirs, |m| m.writes)),
            ),
            None => ("-".into(), f64::NAN, "-".into()),
        };
        let our_requests = med(ours, |m| m.requests);
        println!(
            "| {name} | {:.0} | {their_wall} | {our_requests:.0} | {their_requests:.0} | {:.1}x fewer | {:.0} | {:.0} | {their_writes} |",
            wall(ours),
            their_requests / our_requests.max(1.0),
            med(ours, |m| m.lists),
            med(ours, |m| m.writes),
        );
    }
}
