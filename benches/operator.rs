//! gitops-operator at scale: 1,000 Applications of 20 objects each (20,000 objects) from one
//! Git repository, on the simulated API server.
//!
//! Measures: time to converge from scratch, the operator's peak RSS and CPU, steady-state CPU,
//! commit-to-applied time for one Application with a webhook while the others are idle, and
//! the time per hop of a dependsOn chain.
//!
//! Run (the operator runs as its own process, so its memory is its own):
//! `cargo build --release -p gitops-operator && cargo bench -p gitops-benches --bench operator`
//! (`APPS=n` to change the number of Applications; `OPERATOR_BIN=path` to run another binary,
//! e.g. a wrapper script that starts it under a profiler).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gitops_apply::{BackendOptions, KubeCluster};
use gitops_core::sync::{SyncOptions, SyncRequest, reconcile};
use gitops_operator::crd::Application;
use gitops_source::testing::GitRepoFixture;
use gitops_testcluster::{Options, TestCluster};
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::json;

const NAMESPACES: usize = 20;
const OBJECTS: usize = 20;

fn operator_binary() -> PathBuf {
    if let Some(binary) = std::env::var_os("OPERATOR_BIN") {
        return PathBuf::from(binary);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let binary = target.join("release/gitops-operator");
    assert!(
        binary.is_file(),
        "build it first: cargo build --release -p gitops-operator ({} is missing)",
        binary.display()
    );
    binary
}

/// The 20 objects of one Application: ConfigMaps, Services, a Secret, a ServiceAccount and a
/// Deployment, in one of 20 namespaces.
fn app_manifests(index: usize, version: &str) -> String {
    let ns = format!("bench-{}", index % NAMESPACES);
    let mut docs = Vec::new();
    for i in 0..12 {
        docs.push(format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: app{index}-cm{i}, namespace: {ns}}}\ndata: {{version: \"{version}\", index: \"{i}\"}}\n"));
    }
    for i in 0..5 {
        docs.push(format!("apiVersion: v1\nkind: Service\nmetadata: {{name: app{index}-svc{i}, namespace: {ns}}}\nspec:\n  selector: {{app: app{index}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n"));
    }
    docs.push(format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: app{index}-secret, namespace: {ns}}}\nstringData: {{token: t{index}}}\n"));
    docs.push(format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: app{index}-sa, namespace: {ns}}}\n"
    ));
    docs.push(format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app{index}, namespace: {ns}}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: app{index}}}}}\n  template:\n    metadata: {{labels: {{app: app{index}}}}}\n    spec: {{serviceAccountName: app{index}-sa, containers: [{{name: main, image: \"nginx:1.27\"}}]}}\n"
    ));
    assert_eq!(docs.len(), OBJECTS);
    docs.join("---\n")
}

fn rss_and_cpu(pid: u32) -> (u64, u64, Duration) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of stat; here counted after the command name.
    let cpu = Duration::from_millis((ticks(11) + ticks(12)) * 10);
    (field("VmRSS:"), field("VmHWM:"), cpu)
}

async fn ready_count(apps: &Api<Application>) -> usize {
    apps.list(&ListParams::default())
        .await
        .map(|list| {
            list.items
                .iter()
                .filter(|a| {
                    a.status.as_ref().is_some_and(|s| {
                        s.conditions
                            .iter()
                            .any(|c| c.type_ == "Ready" && c.status == "True")
                    })
                })
                .count()
        })
        .unwrap_or(0)
}

fn main() {
    let apps_count: usize = std::env::var("APPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let binary = operator_binary();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let namespaces: Vec<String> = ["default", "kube-system", "gitops-system"]
            .iter()
            .map(|s| (*s).to_owned())
            .chain((0..NAMESPACES).map(|i| format!("bench-{i}")))
            .collect();
        let cluster = TestCluster::start(Options { namespaces, ..Options::default() }).await.unwrap();
        cluster.skip_delays();
        let crds = gitops_core::manifest::load_str(gitops_operator::deploy::CRDS_YAML, "crds.yaml").unwrap();
        let backend = KubeCluster::new(cluster.client(), BackendOptions::default());
        reconcile(&backend, SyncRequest { objects: crds, revision: "crds".into(), commit: None, now: 0 }, &SyncOptions::new("crds", "gitops-system"))
            .await
            .unwrap();

        let repo = GitRepoFixture::new();
        for i in 0..apps_count {
            repo.write(&format!("apps/app-{i}/objects.yaml"), &app_manifests(i, "1"));
        }
        for hop in 0..5 {
            repo.write(&format!("chain/hop-{hop}/cm.yaml"), &format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: hop-{hop}, namespace: default}}\n"));
        }
        repo.commit("apps");

        let client = cluster.client();
        let params = PatchParams::apply("bench").force();
        let secrets: Api<kube::api::DynamicObject> = Api::namespaced_with(
            client.clone(),
            "default",
            &kube::core::ApiResource::from_gvk(&kube::core::GroupVersionKind::gvk("", "v1", "Secret")),
        );
        secrets
            .patch("hook", &params, &Patch::Apply(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "hook"}, "stringData": {"token": "t"}})))
            .await
            .unwrap();
        let repos: Api<gitops_operator::crd::GitRepository> = Api::namespaced(client.clone(), "default");
        repos
            .patch("mono", &params, &Patch::Apply(json!({"apiVersion": "gitops.rs/v1alpha1", "kind": "GitRepository", "metadata": {"name": "mono"},
                "spec": {"url": repo.file_url(), "ref": {"branch": "main"}, "interval": "1h", "webhookSecretRef": {"name": "hook"}}})))
            .await
            .unwrap();
        let apps: Api<Application> = Api::namespaced(client.clone(), "default");
        for i in 0..apps_count {
            let app = json!({"apiVersion": "gitops.rs/v1alpha1", "kind": "Application", "metadata": {"name": format!("app-{i}")},
                "spec": {"sourceRef": {"kind": "GitRepository", "name": "mono"}, "path": format!("apps/app-{i}"), "interval": "1h"}});
            apps.patch(&format!("app-{i}"), &params, &Patch::Apply(app)).await.unwrap();
        }

        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cache = tempfile::tempdir().unwrap();
        cluster.requests().clear();
        let started = Instant::now();
        let mut operator: Child = Command::new(&binary)
            .args(["run", "--kubeconfig"])
            .arg(cluster.kubeconfig_path())
            .args(["--listen", &format!("127.0.0.1:{port}"), "--concurrency", "16", "--cache-dir"])
            .arg(cache.path())
            .env("GITOPS_LOG", "warn")
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let pid = operator.id();
        loop {
            let ready = ready_count(&apps).await;
            if ready == apps_count {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(900), "only {ready} of {apps_count} ready after 15 minutes");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let converge = started.elapsed();
        let (_, peak_after_converge, cpu_converge) = rss_and_cpu(pid);
        let requests: u64 = cluster.requests().counters().values().sum();
        let managed = cluster.dump().iter().filter(|o| o["metadata"]["labels"]["applyset.kubernetes.io/part-of"].is_string()).count();

        // Steady state: nothing changes for 20 s.
        let (_, _, cpu_before) = rss_and_cpu(pid);
        cluster.requests().clear();
        tokio::time::sleep(Duration::from_secs(20)).await;
        let (rss_idle, _, cpu_after) = rss_and_cpu(pid);
        let idle_cpu = (cpu_after - cpu_before).as_secs_f64() / 20.0 * 100.0;
        let idle_requests: u64 = cluster.requests().counters().values().sum();

        // One commit touching one Application, announced by the webhook.
        repo.write("apps/app-7/objects.yaml", &app_manifests(7, "2"));
        repo.commit("app-7 v2");
        let pushed = Instant::now();
        let status = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "authorization: Bearer t"])
            .arg(format!("http://127.0.0.1:{port}/hook/default/mono"))
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        assert_eq!(status, "202", "webhook refused");
        let ns = format!("bench-{}", 7 % NAMESPACES);
        let cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(client.clone(), &ns);
        loop {
            let cm = cms.get("app7-cm0").await.unwrap();
            if cm.data.unwrap_or_default().get("version").map(String::as_str) == Some("2") {
                break;
            }
            assert!(pushed.elapsed() < Duration::from_secs(120), "the commit was not applied");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let commit_to_applied = pushed.elapsed();

        // A dependsOn chain of five: time from creation to the last one Ready, per hop.
        let chain_started = Instant::now();
        for hop in 0..5 {
            let mut spec = json!({"sourceRef": {"kind": "GitRepository", "name": "mono"}, "path": format!("chain/hop-{hop}"), "interval": "1h"});
            if hop > 0 {
                spec["dependsOn"] = json!([{"name": format!("hop-{}", hop - 1)}]);
            }
            let app = json!({"apiVersion": "gitops.rs/v1alpha1", "kind": "Application", "metadata": {"name": format!("hop-{hop}")}, "spec": spec});
            apps.patch(&format!("hop-{hop}"), &params, &Patch::Apply(app)).await.unwrap();
        }
        let chain_cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(client.clone(), "default");
        let mut hops = Vec::new();
        for hop in 0..5 {
            loop {
                if chain_cms.get_opt(&format!("hop-{hop}")).await.unwrap().is_some() {
                    hops.push(chain_started.elapsed());
                    break;
                }
                assert!(chain_started.elapsed() < Duration::from_secs(120), "hop {hop} never applied");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        let per_hop: Vec<String> = hops.windows(2).map(|w| format!("{:.0} ms", (w[1] - w[0]).as_secs_f64() * 1000.0)).collect();

        let (_, peak, cpu_total) = rss_and_cpu(pid);
        // A clean stop (SIGTERM), so that profilers wrapped around the operator write out.
        let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        let stopping = Instant::now();
        while operator.try_wait().ok().flatten().is_none() && stopping.elapsed() < Duration::from_secs(30) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = operator.kill();
        let _ = operator.wait();

        println!("| measure | value |");
        println!("|---|---|");
        println!("| Applications x objects | {apps_count} x {OBJECTS} ({managed} managed objects) |");
        println!("| converge from scratch | {:.1} s |", converge.as_secs_f64());
        println!("| API requests to converge | {requests} |");
        println!("| operator CPU while converging | {:.1} s ({:.0}% of one core) |", cpu_converge.as_secs_f64(), cpu_converge.as_secs_f64() / converge.as_secs_f64() * 100.0);
        println!("| operator peak RSS (converge) | {:.1} MiB |", peak_after_converge as f64 / 1024.0);
        println!("| steady state (20 s idle) | {idle_cpu:.1}% CPU, {idle_requests} requests, RSS {:.1} MiB |", rss_idle as f64 / 1024.0);
        println!("| commit to applied (webhook, one app of {apps_count}) | {:.0} ms |", commit_to_applied.as_secs_f64() * 1000.0);
        println!("| dependsOn propagation per hop | {} |", per_hop.join(", "));
        println!("| operator peak RSS (whole run) | {:.1} MiB, CPU {:.1} s |", peak as f64 / 1024.0, cpu_total.as_secs_f64());
    });
}
