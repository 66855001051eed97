//! User stories of `gitops-operator`: the real binary against the simulated API server, with
//! Git repositories on this machine.

// Tests may panic on a broken fixture.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gitops_apply::{BackendOptions, KubeCluster};
use gitops_core::sync::{SyncOptions, SyncRequest, reconcile};
use gitops_operator::crd::{Application, GitRepository};
use gitops_source::testing::GitRepoFixture;
use gitops_testcluster::auth::Policy;
use gitops_testcluster::{AuthConfig, Options, TestCluster};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use serde_json::{Value, json};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

const TENANT: &str = "system:serviceaccount:team-a:deployer";

/// A cluster with the gitops CRDs, and a tenant ServiceAccount that may only touch `team-a`.
async fn cluster() -> TestCluster {
    let mut auth = AuthConfig::default();
    auth.policies.insert(
        TENANT.to_owned(),
        Policy {
            namespaces: Some(vec!["team-a".into()]),
            ..Policy::default()
        },
    );
    let cluster = TestCluster::start(Options {
        auth,
        namespaces: [
            "default",
            "kube-system",
            "gitops-system",
            "team-a",
            "team-b",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect(),
        ..Options::default()
    })
    .await
    .unwrap();
    cluster.skip_delays();
    let crds =
        gitops_core::manifest::load_str(gitops_operator::deploy::CRDS_YAML, "crds.yaml").unwrap();
    let backend = KubeCluster::new(cluster.client(), BackendOptions::default());
    let report = reconcile(
        &backend,
        SyncRequest {
            objects: crds,
            revision: "crds".into(),
            commit: None,
            now: 0,
        },
        &SyncOptions::new("gitops-crds", "gitops-system"),
    )
    .await
    .unwrap();
    assert!(report.message.is_empty(), "{}", report.message);
    cluster
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running operator process; killed on drop.
struct Operator {
    child: Child,
    port: u16,
    _cache: tempfile::TempDir,
}

impl Operator {
    fn start(cluster: &TestCluster, extra: &[&str]) -> Self {
        let port = free_port();
        let cache = tempfile::tempdir().unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_gitops-operator"))
            .args(["run", "--kubeconfig"])
            .arg(cluster.kubeconfig_path())
            .args(["--listen", &format!("127.0.0.1:{port}"), "--cache-dir"])
            .arg(cache.path())
            .args(extra)
            .env("GITOPS_LOG", "info,kube=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let operator = Self {
            child,
            port,
            _cache: cache,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while operator.get("/healthz").is_none() {
            assert!(Instant::now() < deadline, "operator did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        operator
    }

    fn request(&self, request: &str) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.write_all(request.as_bytes()).ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let code = response.split(' ').nth(1)?.parse().ok()?;
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        Some((code, body))
    }

    fn get(&self, path: &str) -> Option<String> {
        self.request(&format!(
            "GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
        ))
        .filter(|(code, _)| *code == 200)
        .map(|(_, body)| body)
    }

    fn hook(&self, path: &str, token: &str) -> u16 {
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"
        );
        self.request(&request).map_or(0, |(code, _)| code)
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn create(cluster: &TestCluster, namespace: &str, value: Value) {
    let kind = value["kind"].as_str().unwrap().to_owned();
    let name = value["metadata"]["name"].as_str().unwrap().to_owned();
    let params = PatchParams::apply("test").force();
    match kind.as_str() {
        "GitRepository" => {
            let api: Api<GitRepository> = Api::namespaced(cluster.client(), namespace);
            api.patch(&name, &params, &Patch::Apply(&value))
                .await
                .unwrap();
        }
        "Application" => {
            let api: Api<Application> = Api::namespaced(cluster.client(), namespace);
            api.patch(&name, &params, &Patch::Apply(&value))
                .await
                .unwrap();
        }
        other => {
            let api_version = value["apiVersion"].as_str().unwrap();
            let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
            let resource = kube::core::ApiResource::from_gvk(&kube::core::GroupVersionKind::gvk(
                group, version, other,
            ));
            let api: Api<kube::api::DynamicObject> =
                Api::namespaced_with(cluster.client(), namespace, &resource);
            api.patch(&name, &params, &Patch::Apply(&value))
                .await
                .unwrap();
        }
    }
}

fn repository(name: &str, url: &str, interval: &str, webhook_secret: Option<&str>) -> Value {
    let mut spec = json!({"url": url, "ref": {"branch": "main"}, "interval": interval});
    if let Some(secret) = webhook_secret {
        spec["webhookSecretRef"] = json!({"name": secret});
    }
    json!({"apiVersion": "gitops.rs/v1alpha1", "kind": "GitRepository", "metadata": {"name": name}, "spec": spec})
}

fn application(name: &str, repo: &str, path: &str, extra: Value) -> Value {
    let mut spec = json!({"sourceRef": {"kind": "GitRepository", "name": repo}, "path": path, "interval": "10m"});
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    json!({"apiVersion": "gitops.rs/v1alpha1", "kind": "Application", "metadata": {"name": name}, "spec": spec})
}

async fn app(cluster: &TestCluster, namespace: &str, name: &str) -> Option<Application> {
    Api::<Application>::namespaced(cluster.client(), namespace)
        .get_opt(name)
        .await
        .unwrap()
}

fn ready(app: &Application) -> Option<(String, String)> {
    let status = app.status.as_ref()?;
    status
        .conditions
        .iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| (c.status.clone(), c.message.clone()))
}

async fn configmap(cluster: &TestCluster, namespace: &str, name: &str) -> Option<ConfigMap> {
    Api::<ConfigMap>::namespaced(cluster.client(), namespace)
        .get_opt(name)
        .await
        .unwrap()
}

async fn value_of(cluster: &TestCluster, namespace: &str, name: &str) -> Option<String> {
    configmap(cluster, namespace, name)
        .await
        .and_then(|c| c.data)
        .and_then(|d| d.get("value").cloned())
}

fn write_configmap(repo: &GitRepoFixture, path: &str, namespace: &str, name: &str, value: &str) {
    repo.write(
        path,
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\ndata:\n  value: \"{value}\"\n"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converges_heals_and_applies_pushed_commits_on_webhook() {
    let cluster = cluster().await;
    let repo = GitRepoFixture::new();
    let example = std::fs::read_dir(workspace().join("examples/shop/base")).unwrap();
    for entry in example.flatten() {
        repo.write(
            &format!("shop/{}", entry.file_name().to_string_lossy()),
            &std::fs::read_to_string(entry.path()).unwrap(),
        );
    }
    write_configmap(&repo, "shop/settings.yaml", "shop", "settings", "v1");
    repo.commit("the shop");
    let operator = Operator::start(&cluster, &[]);

    // The webhook's token, and a repository that polls rarely: only the webhook can be quick.
    create(&cluster, "default", json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "hook"}, "stringData": {"token": "s3cret"}})).await;
    create(
        &cluster,
        "default",
        repository("shop", &repo.file_url(), "1h", Some("hook")),
    )
    .await;
    create(
        &cluster,
        "default",
        application("shop", "shop", "shop", json!({"wait": true})),
    )
    .await;
    eventually("the shop to converge", Duration::from_secs(60), || async {
        app(&cluster, "default", "shop")
            .await
            .and_then(|a| ready(&a))
            .is_some_and(|(s, _)| s == "True")
    })
    .await;
    assert_eq!(
        value_of(&cluster, "shop", "settings").await.as_deref(),
        Some("v1")
    );
    let status = app(&cluster, "default", "shop")
        .await
        .unwrap()
        .status
        .unwrap();
    assert_eq!(
        status.inventory.as_ref().map(|i| i.entries),
        Some(6),
        "the five objects of the example and settings"
    );
    assert_eq!(status.history.len(), 1);

    // Out-of-band edit: self-heal puts it back (on the next reconcile; ask for one now).
    let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "shop");
    let tamper = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"value": "tampered"}});
    cms.patch(
        "settings",
        &PatchParams::apply("kubectl-edit").force(),
        &Patch::Apply(&tamper),
    )
    .await
    .unwrap();
    let apps: Api<Application> = Api::namespaced(cluster.client(), "default");
    let poke = json!({"metadata": {"annotations": {"gitops.rs/reconcile-requested-at": "1"}}});
    apps.patch("shop", &PatchParams::default(), &Patch::Merge(&poke))
        .await
        .unwrap();
    eventually("drift to heal", Duration::from_secs(30), || async {
        value_of(&cluster, "shop", "settings").await.as_deref() == Some("v1")
    })
    .await;

    // A pushed commit, announced by a webhook: applied within seconds.
    assert_eq!(operator.hook("/hook/default/shop", "wrong"), 401);
    write_configmap(&repo, "shop/settings.yaml", "shop", "settings", "v2");
    repo.commit("v2");
    let pushed = Instant::now();
    assert_eq!(operator.hook("/hook/default/shop", "s3cret"), 202);
    eventually("the pushed commit", Duration::from_secs(30), || async {
        value_of(&cluster, "shop", "settings").await.as_deref() == Some("v2")
    })
    .await;
    eprintln!("commit to applied with the webhook: {:?}", pushed.elapsed());

    // Metrics say what happened.
    let metrics = operator.get("/metrics").unwrap();
    assert!(
        metrics.contains("gitops_reconciles_total{kind=\"Application\",result=\"success\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("gitops_managed_objects{namespace=\"default\",name=\"shop\"} 6"),
        "{metrics}"
    );
    assert!(operator.get("/readyz").is_some());

    // Deleting the Application prunes what it owned.
    apps.delete("shop", &DeleteParams::default()).await.unwrap();
    eventually("the prune on deletion", Duration::from_secs(30), || async {
        configmap(&cluster, "shop", "settings").await.is_none()
            && app(&cluster, "default", "shop").await.is_none()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depends_on_orders_applications_and_reports_cycles() {
    let cluster = cluster().await;
    let repo = GitRepoFixture::new();
    for (dir, name) in [("a", "first"), ("b", "second"), ("c", "third")] {
        write_configmap(&repo, &format!("{dir}/cm.yaml"), "default", name, dir);
    }
    write_configmap(&repo, "x/cm.yaml", "default", "cycle-x", "x");
    write_configmap(&repo, "y/cm.yaml", "default", "cycle-y", "y");
    repo.commit("three layers");
    let _operator = Operator::start(&cluster, &[]);
    create(
        &cluster,
        "default",
        repository("layers", &repo.file_url(), "1m", None),
    )
    .await;
    // Created in reverse order: c needs b, b needs a.
    create(
        &cluster,
        "default",
        application("c", "layers", "c", json!({"dependsOn": [{"name": "b"}]})),
    )
    .await;
    create(
        &cluster,
        "default",
        application("b", "layers", "b", json!({"dependsOn": [{"name": "a"}]})),
    )
    .await;
    create(
        &cluster,
        "default",
        application("a", "layers", "a", json!({})),
    )
    .await;
    eventually("all three", Duration::from_secs(60), || async {
        configmap(&cluster, "default", "third").await.is_some()
    })
    .await;
    let version = |cm: ConfigMap| {
        cm.metadata
            .resource_version
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let first = version(configmap(&cluster, "default", "first").await.unwrap());
    let second = version(configmap(&cluster, "default", "second").await.unwrap());
    let third = version(configmap(&cluster, "default", "third").await.unwrap());
    assert!(
        first < second && second < third,
        "applied in dependency order: {first} {second} {third}"
    );

    create(
        &cluster,
        "default",
        application("x", "layers", "x", json!({"dependsOn": [{"name": "y"}]})),
    )
    .await;
    create(
        &cluster,
        "default",
        application("y", "layers", "y", json!({"dependsOn": [{"name": "x"}]})),
    )
    .await;
    eventually(
        "the cycle to be reported",
        Duration::from_secs(30),
        || async {
            app(&cluster, "default", "x").await.is_some_and(|a| {
                a.status.is_some_and(|s| {
                    s.conditions.iter().any(|c| {
                        c.type_ == "Stalled"
                            && c.status == "True"
                            && c.message.contains("default/x -> default/y -> default/x")
                    })
                })
            })
        },
    )
    .await;
    assert!(configmap(&cluster, "default", "cycle-x").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_policy_suspend_bad_commits_and_alerts() {
    let cluster = cluster().await;
    let receiver = Receiver::start();
    let repo = GitRepoFixture::new();
    write_configmap(&repo, "app/cm.yaml", "default", "managed", "v1");
    repo.commit("v1");
    let _operator = Operator::start(&cluster, &[]);
    create(&cluster, "default", json!({"apiVersion": "gitops.rs/v1alpha1", "kind": "Provider", "metadata": {"name": "hook"}, "spec": {"type": "generic", "address": receiver.url}})).await;
    create(&cluster, "default", json!({"apiVersion": "gitops.rs/v1alpha1", "kind": "Alert", "metadata": {"name": "all"},
        "spec": {"providerRef": {"name": "hook"}, "eventSources": [{"kind": "Application", "name": "*"}]}})).await;
    create(
        &cluster,
        "default",
        repository("repo", &repo.file_url(), "500ms", None),
    )
    .await;
    create(
        &cluster,
        "default",
        application("app", "repo", "app", json!({"interval": "1s"})),
    )
    .await;
    eventually("v1", Duration::from_secs(60), || async {
        value_of(&cluster, "default", "managed").await.as_deref() == Some("v1")
    })
    .await;

    // A bad commit: the last good revision stays live, Ready=False, an Event and an alert.
    repo.write("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: managed, namespace: default\ndata: {value: v2}\n");
    repo.commit("broken");
    eventually("the failure", Duration::from_secs(30), || async {
        app(&cluster, "default", "app")
            .await
            .and_then(|a| ready(&a))
            .is_some_and(|(s, m)| s == "False" && m.contains("app/cm.yaml: document 1"))
    })
    .await;
    assert_eq!(
        value_of(&cluster, "default", "managed").await.as_deref(),
        Some("v1")
    );
    let events = cluster
        .dump()
        .into_iter()
        .filter(|o| o["kind"] == "Event")
        .collect::<Vec<_>>();
    assert!(
        events.iter().any(|e| e["reason"] == "RenderFailed"),
        "{events:#?}"
    );
    eventually("the alert", Duration::from_secs(30), || async {
        receiver.kinds().contains(&"syncFailed".to_owned())
    })
    .await;

    // Fixed: back to Ready; then suspended: a new commit waits.
    write_configmap(&repo, "app/cm.yaml", "default", "managed", "v3");
    repo.commit("fixed");
    eventually("v3", Duration::from_secs(30), || async {
        value_of(&cluster, "default", "managed").await.as_deref() == Some("v3")
    })
    .await;
    let apps: Api<Application> = Api::namespaced(cluster.client(), "default");
    apps.patch(
        "app",
        &PatchParams::default(),
        &Patch::Merge(&json!({"spec": {"suspend": true}})),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    write_configmap(&repo, "app/cm.yaml", "default", "managed", "v4");
    repo.commit("while suspended");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        value_of(&cluster, "default", "managed").await.as_deref(),
        Some("v3"),
        "suspended"
    );
    apps.patch(
        "app",
        &PatchParams::default(),
        &Patch::Merge(&json!({"spec": {"suspend": false}})),
    )
    .await
    .unwrap();
    eventually("v4 after resume", Duration::from_secs(30), || async {
        value_of(&cluster, "default", "managed").await.as_deref() == Some("v4")
    })
    .await;

    // Manual policy: drift and new revisions are reported, nothing changes.
    apps.patch(
        "app",
        &PatchParams::default(),
        &Patch::Merge(&json!({"spec": {"syncPolicy": {"manual": true}}})),
    )
    .await
    .unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "default");
    let tamper = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"value": "tampered"}});
    cms.patch(
        "managed",
        &PatchParams::apply("kubectl-edit").force(),
        &Patch::Apply(&tamper),
    )
    .await
    .unwrap();
    eventually("drift reported", Duration::from_secs(30), || async {
        app(&cluster, "default", "app").await.is_some_and(|a| {
            a.status.is_some_and(|s| {
                s.drift
                    .is_some_and(|d| d.changed == vec!["ConfigMap/default/managed".to_owned()])
            })
        })
    })
    .await;
    assert_eq!(
        value_of(&cluster, "default", "managed").await.as_deref(),
        Some("tampered")
    );
    eventually("a drift alert", Duration::from_secs(30), || async {
        receiver.kinds().contains(&"driftDetected".to_owned())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_cannot_touch_another_namespace() {
    let cluster = cluster().await;
    let repo = GitRepoFixture::new();
    write_configmap(&repo, "own/cm.yaml", "team-a", "mine", "ok");
    write_configmap(&repo, "other/cm.yaml", "team-b", "theirs", "nope");
    repo.commit("tenants");
    let _operator = Operator::start(&cluster, &[]);
    create(
        &cluster,
        "team-a",
        repository("repo", &repo.file_url(), "1m", None),
    )
    .await;
    create(
        &cluster,
        "team-a",
        application(
            "own",
            "repo",
            "own",
            json!({"serviceAccountName": "deployer"}),
        ),
    )
    .await;
    create(
        &cluster,
        "team-a",
        application(
            "other",
            "repo",
            "other",
            json!({"serviceAccountName": "deployer"}),
        ),
    )
    .await;
    eventually("its own namespace", Duration::from_secs(60), || async {
        configmap(&cluster, "team-a", "mine").await.is_some()
    })
    .await;
    eventually("the refusal", Duration::from_secs(30), || async {
        app(&cluster, "team-a", "other")
            .await
            .and_then(|a| ready(&a))
            .is_some_and(|(s, m)| s == "False" && m.to_lowercase().contains("forbidden"))
    })
    .await;
    assert!(configmap(&cluster, "team-b", "theirs").await.is_none());
    let impersonated = cluster
        .requests()
        .records()
        .iter()
        .filter(|r| r.user == TENANT)
        .count();
    assert!(impersonated > 0, "applies were made as the tenant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_takes_over_when_the_leader_dies() {
    let cluster = cluster().await;
    let repo = GitRepoFixture::new();
    write_configmap(&repo, "one/cm.yaml", "default", "one", "1");
    write_configmap(&repo, "two/cm.yaml", "default", "two", "2");
    repo.commit("two apps");
    let election = [
        "--leader-election",
        "--lease-namespace",
        "gitops-system",
        "--lease-duration",
        "2s",
    ];
    let mut first = Operator::start(&cluster, &election);
    create(
        &cluster,
        "default",
        repository("repo", &repo.file_url(), "1m", None),
    )
    .await;
    create(
        &cluster,
        "default",
        application("one", "repo", "one", json!({})),
    )
    .await;
    eventually(
        "the first leader to reconcile",
        Duration::from_secs(60),
        || async { configmap(&cluster, "default", "one").await.is_some() },
    )
    .await;
    let second = Operator::start(&cluster, &election);

    // Kill the leader without letting it release the lease.
    first.child.kill().unwrap();
    let _ = first.child.wait();
    let killed = Instant::now();
    create(
        &cluster,
        "default",
        application("two", "repo", "two", json!({})),
    )
    .await;
    eventually(
        "the standby to take over",
        Duration::from_secs(30),
        || async { configmap(&cluster, "default", "two").await.is_some() },
    )
    .await;
    eprintln!("failover to the standby took {:?}", killed.elapsed());
    drop(second);
}

/// A webhook receiver keeping every JSON body.
struct Receiver {
    url: String,
    events: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
}

impl Receiver {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let events: std::sync::Arc<std::sync::Mutex<Vec<Value>>> = std::sync::Arc::default();
        let store = events.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let store = store.clone();
                std::thread::spawn(move || {
                    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                    let mut writer = stream;
                    loop {
                        let mut headers = BTreeMap::new();
                        let mut line = String::new();
                        if std::io::BufRead::read_line(&mut reader, &mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        loop {
                            line.clear();
                            if std::io::BufRead::read_line(&mut reader, &mut line).unwrap_or(0) == 0
                            {
                                return;
                            }
                            let header = line.trim_end().to_owned();
                            if header.is_empty() {
                                break;
                            }
                            if let Some((k, v)) = header.split_once(':') {
                                headers.insert(k.to_ascii_lowercase(), v.trim().to_owned());
                            }
                        }
                        let length: usize = headers
                            .get("content-length")
                            .and_then(|l| l.parse().ok())
                            .unwrap_or(0);
                        let mut body = vec![0; length];
                        if reader.read_exact(&mut body).is_err() {
                            return;
                        }
                        if let Ok(value) = serde_json::from_slice(&body) {
                            store.lock().unwrap().push(value);
                        }
                        let _ = writer.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
                    }
                });
            }
        });
        Self { url, events }
    }

    fn kinds(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_that_touch_none_of_an_apps_files_skip_its_render() {
    let cluster = cluster().await;
    let repo = GitRepoFixture::new();
    write_configmap(&repo, "a/cm.yaml", "default", "alpha", "1");
    write_configmap(&repo, "b/cm.yaml", "default", "beta", "1");
    repo.commit("two apps");
    let operator = Operator::start(&cluster, &[]);
    create(&cluster, "default", json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "hook"}, "stringData": {"token": "t"}})).await;
    create(
        &cluster,
        "default",
        repository("mono", &repo.file_url(), "1h", Some("hook")),
    )
    .await;
    create(
        &cluster,
        "default",
        application("a", "mono", "a", json!({})),
    )
    .await;
    create(
        &cluster,
        "default",
        application("b", "mono", "b", json!({})),
    )
    .await;
    eventually("both", Duration::from_secs(60), || async {
        configmap(&cluster, "default", "alpha").await.is_some()
            && configmap(&cluster, "default", "beta").await.is_some()
    })
    .await;
    let before = Api::<ConfigMap>::namespaced(cluster.client(), "default")
        .get("alpha")
        .await
        .unwrap()
        .metadata
        .resource_version;

    write_configmap(&repo, "b/cm.yaml", "default", "beta", "2");
    let head = repo.commit("only b");
    assert_eq!(operator.hook("/hook/default/mono", "t"), 202);
    eventually("b's change", Duration::from_secs(30), || async {
        value_of(&cluster, "default", "beta").await.as_deref() == Some("2")
    })
    .await;
    eventually(
        "a to record the revision",
        Duration::from_secs(30),
        || async {
            app(&cluster, "default", "a").await.is_some_and(|a| {
                a.status
                    .is_some_and(|s| s.last_applied_revision == Some(format!("main@sha1:{head}")))
            })
        },
    )
    .await;
    let metrics = operator.get("/metrics").unwrap();
    assert!(
        metrics.contains("gitops_reconciles_total{kind=\"Application\",result=\"skipped\"} 1"),
        "{metrics}"
    );
    let after = Api::<ConfigMap>::namespaced(cluster.client(), "default")
        .get("alpha")
        .await
        .unwrap()
        .metadata
        .resource_version;
    assert_eq!(before, after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignored_paths_of_a_repository_are_not_rendered() {
    let cluster = cluster().await;
    let repo = GitRepoFixture::new();
    write_configmap(&repo, "app/cm.yaml", "default", "kept", "1");
    repo.write("app/docs/example.yaml", "this: [is not a manifest\n");
    repo.commit("with docs");
    let _operator = Operator::start(&cluster, &[]);
    let mut source = repository("repo", &repo.file_url(), "1m", None);
    source["spec"]["ignore"] = json!(["docs/"]);
    create(&cluster, "default", source).await;
    create(
        &cluster,
        "default",
        application("app", "repo", "app", json!({})),
    )
    .await;
    eventually(
        "the render without docs",
        Duration::from_secs(60),
        || async {
            app(&cluster, "default", "app")
                .await
                .and_then(|a| ready(&a))
                .is_some_and(|(s, _)| s == "True")
        },
    )
    .await;
    assert!(configmap(&cluster, "default", "kept").await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charts_render_with_the_applications_helm_settings() {
    let cluster = cluster().await;
    let repo = GitRepoFixture::new();
    repo.write(
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    );
    repo.write(
        "charts/web/values.yaml",
        "replicas: 1\ncolor: blue\nsecretName: shared\n",
    );
    repo.write(
        "charts/web/templates/cm.yaml",
        concat!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\n",
            "  namespace: {{ .Release.Namespace }}\ndata:\n",
            "  value: {{ printf \"%v-%v-%v\" .Values.replicas .Values.color .Values.tier | quote }}\n",
            "  seen: {{ dig \"data\" \"token\" \"none\" (lookup \"v1\" \"ConfigMap\" \"team-b\" .Values.secretName) | quote }}\n",
        ),
    );
    repo.write("values/prod.yaml", "color: green\n");
    repo.commit("chart");
    let _operator = Operator::start(&cluster, &[]);
    create(&cluster, "team-b", json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shared"}, "data": {"token": "t0p"}})).await;
    create(
        &cluster,
        "team-a",
        repository("repo", &repo.file_url(), "1m", None),
    )
    .await;
    // As the tenant, with values files, inline values and parameters: lookup may not read
    // another namespace, so the render fails and says why.
    let helm = json!({
        "releaseName": "shop",
        "valueFiles": ["../../values/prod.yaml"],
        "values": {"tier": "front"},
        "parameters": [{"name": "replicas", "value": "3"}],
        "lookup": true,
    });
    create(
        &cluster,
        "team-a",
        application(
            "web",
            "repo",
            "charts/web",
            json!({"serviceAccountName": "deployer", "helm": helm}),
        ),
    )
    .await;
    eventually(
        "the tenant's lookup refused",
        Duration::from_secs(60),
        || async {
            app(&cluster, "team-a", "web")
                .await
                .and_then(|a| ready(&a))
                .is_some_and(|(s, m)| s == "False" && m.to_lowercase().contains("forbidden"))
        },
    )
    .await;
    // Without lookup, the same Application renders and applies.
    let mut without = helm.clone();
    without["lookup"] = json!(false);
    create(
        &cluster,
        "team-a",
        application(
            "web",
            "repo",
            "charts/web",
            json!({"serviceAccountName": "deployer", "helm": without}),
        ),
    )
    .await;
    eventually("the chart applied", Duration::from_secs(60), || async {
        value_of(&cluster, "team-a", "shop-settings")
            .await
            .as_deref()
            == Some("3-green-front")
    })
    .await;
    let cm = configmap(&cluster, "team-a", "shop-settings")
        .await
        .unwrap();
    assert_eq!(cm.data.unwrap()["seen"], "none");

    // The operator's own identity may look up anywhere.
    create(
        &cluster,
        "default",
        repository("repo", &repo.file_url(), "1m", None),
    )
    .await;
    create(
        &cluster,
        "default",
        application(
            "web",
            "repo",
            "charts/web",
            json!({"helm": {"lookup": true}}),
        ),
    )
    .await;
    eventually(
        "the lookup as the operator",
        Duration::from_secs(60),
        || async {
            configmap(&cluster, "default", "web-settings")
                .await
                .and_then(|c| c.data)
                .is_some_and(|d| d["seen"] == "t0p" && d["value"] == "1-blue-<nil>")
        },
    )
    .await;

    // A values file outside the source is refused with the field.
    create(
        &cluster,
        "default",
        application(
            "escape",
            "repo",
            "charts/web",
            json!({"helm": {"valueFiles": ["../../../../../etc/hostname"]}}),
        ),
    )
    .await;
    eventually("the escape refused", Duration::from_secs(60), || async {
        app(&cluster, "default", "escape")
            .await
            .and_then(|a| ready(&a))
            .is_some_and(|(s, m)| s == "False" && m.contains("spec.helm.valueFiles[0]"))
    })
    .await;
}
