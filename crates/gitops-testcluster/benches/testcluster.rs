//! Benchmarks of the simulated API server over real HTTP: start-up, LIST of 10,000 objects out of
//! a 100,000-object store, GET, a no-op server-side apply, create, and one event fanned
//! out to 50 concurrent watches.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use futures::{StreamExt, TryStreamExt};
use gitops_testcluster::{Options, TestCluster};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use serde_json::json;

fn cm(ns: &str, name: &str) -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns, "labels": {"app": "bench"}},
        "data": {"key": "value", "other": "some longer value to make objects a little more realistic"}})
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    {
        let mut g = c.benchmark_group("testcluster");
        g.bench_function("start_and_first_request", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let cluster = TestCluster::start(Options::default()).await.unwrap();
                    let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "default");
                    cms.list(&Default::default()).await.unwrap();
                    cluster.shutdown().await;
                })
            })
        });
        g.finish();
    }
    let cluster = rt.block_on(TestCluster::start(Options::default())).unwrap();
    let t = Instant::now();
    cluster
        .insert([
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "big"}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "target"}}),
        ])
        .unwrap();
    cluster
        .insert((0..90_000).map(|i| cm("big", &format!("cm-{i:06}"))))
        .unwrap();
    cluster
        .insert((0..10_000).map(|i| cm("target", &format!("cm-{i:06}"))))
        .unwrap();
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_string)
        })
        .unwrap_or_default();
    eprintln!("inserted 100,000 objects in {:?}; {rss}", t.elapsed());
    rt.block_on(cluster.settle());

    let client = cluster.client();
    let mut g = c.benchmark_group("testcluster");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("list_10k_of_100k", |b| {
        b.iter(|| {
            rt.block_on(async {
                let req = http::Request::get("/api/v1/namespaces/target/configmaps")
                    .body(Vec::new())
                    .unwrap();
                let text = client.request_text(req).await.unwrap();
                assert!(text.len() > 1_000_000);
            })
        })
    });
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "target");
    g.bench_function("get", |b| {
        b.iter(|| rt.block_on(async { cms.get("cm-000042").await.unwrap() }))
    });
    let applied = cm("target", "cm-000007");
    let pp = PatchParams::apply("bench");
    rt.block_on(cms.patch("cm-000007", &pp.clone().force(), &Patch::Apply(&applied)))
        .unwrap();
    g.bench_function("apply_noop", |b| {
        b.iter(|| {
            rt.block_on(async {
                cms.patch("cm-000007", &pp, &Patch::Apply(&applied))
                    .await
                    .unwrap()
            })
        })
    });
    let mut n = 0u64;
    g.bench_function("create", |b| {
        b.iter(|| {
            n += 1;
            let obj: ConfigMap = serde_json::from_value(cm("target", &format!("new-{n}"))).unwrap();
            rt.block_on(async { cms.create(&PostParams::default(), &obj).await.unwrap() })
        })
    });
    let small: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    g.bench_function("event_to_50_watches", |b| {
        b.iter(|| {
            n += 1;
            rt.block_on(async {
                let rv = cluster.resource_version().to_string();
                let mut streams = Vec::new();
                for _ in 0..50 {
                    streams.push(
                        small
                            .watch(&WatchParams::default().timeout(30), &rv)
                            .await
                            .unwrap()
                            .boxed(),
                    );
                }
                let obj: ConfigMap =
                    serde_json::from_value(cm("default", &format!("w-{n}"))).unwrap();
                small.create(&PostParams::default(), &obj).await.unwrap();
                for mut s in streams {
                    while !matches!(s.try_next().await.unwrap().unwrap(), WatchEvent::Added(_)) {}
                }
            })
        })
    });
    g.finish();
    rt.block_on(cluster.shutdown());
}

criterion_group!(group, benches);
criterion_main!(group);
