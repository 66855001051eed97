//! Real kubectl (v1.32 when available) against the simulated server. Skips, with a printed
//! reason, only when kubectl is not installed.
//!
//! kubectl here does not send bearer tokens over plain HTTP, so these clusters use TLS.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use gitops_testcluster::{Options, TestCluster};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::support::cm;

/// kubectl v1.32 if the dispatcher ships it beside `kubectl`, else `kubectl` on PATH.
fn kubectl() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let found = std::env::split_paths(&path)
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file())?;
    let real = std::fs::canonicalize(&found).unwrap_or(found.clone());
    let pinned = real.with_file_name("kubectl.1.32");
    Some(if pinned.is_file() { pinned } else { found })
}

struct Kubectl {
    bin: PathBuf,
    kubeconfig: PathBuf,
    dir: tempfile::TempDir,
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Kubectl {
    async fn run(&self, args: &[&str]) -> Out {
        let out = Command::new(&self.bin)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.path().join("cache"))
            .args(args)
            .output()
            .await
            .unwrap();
        Out {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    async fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args).await;
        assert!(o.ok, "kubectl {args:?} failed:\n{}\n{}", o.stdout, o.stderr);
        o.stdout
    }

    fn write(&self, name: &str, text: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    }
}

async fn setup() -> Option<(TestCluster, Kubectl)> {
    let Some(bin) = kubectl() else {
        eprintln!("skipping: kubectl is not on PATH");
        return None;
    };
    let c = TestCluster::start(Options {
        tls: true,
        ..Options::default()
    })
    .await
    .unwrap();
    let k = Kubectl {
        bin,
        kubeconfig: c.kubeconfig_path().to_path_buf(),
        dir: tempfile::tempdir().unwrap(),
    };
    Some((c, k))
}

const APP: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: demo
data:
  mode: "fast"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: fast
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: demo
spec:
  selector: {app: web}
  ports:
  - port: 80
"#;

fn rvs(c: &TestCluster) -> Vec<(String, String)> {
    c.dump()
        .iter()
        .map(|o| {
            (
                format!(
                    "{}/{}/{}",
                    o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]
                ),
                o["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn apply_server_side_twice_get_yaml_and_api_resources() {
    let Some((c, k)) = setup().await else { return };
    let f = k.write("app.yaml", APP);
    let out = k.ok(&["apply", "--server-side", "-f", &f]).await;
    assert!(
        out.contains("deployment.apps/web serverside-applied"),
        "{out}"
    );
    c.settle().await;
    let before = rvs(&c);
    let out = k.ok(&["apply", "--server-side", "-f", &f]).await;
    assert!(out.contains("service/web serverside-applied"), "{out}");
    c.settle().await;
    assert_eq!(rvs(&c), before, "the second apply changed nothing");

    let yaml = k
        .ok(&["get", "deployments,services,configmaps", "-A", "-o", "yaml"])
        .await;
    let doc: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(doc["kind"], "List");
    let kinds: Vec<&str> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"Deployment") && kinds.contains(&"Service") && kinds.contains(&"ConfigMap"),
        "{kinds:?}"
    );

    let res = k.ok(&["api-resources"]).await;
    for line in [
        "deployments ",
        "customresourcedefinitions",
        "horizontalpodautoscalers",
    ] {
        assert!(res.contains(line), "{line} missing from:\n{res}");
    }
    assert!(
        res.lines()
            .any(|l| l.starts_with("deployments") && l.contains("deploy") && l.contains("apps/v1"))
    );
    c.shutdown().await;
}

#[tokio::test]
async fn diff_conflict_and_force() {
    let Some((c, k)) = setup().await else { return };
    let f = k.write("app.yaml", APP);
    k.ok(&["apply", "--server-side", "-f", &f]).await;
    let same = k.run(&["diff", "--server-side", "-f", &f]).await;
    assert!(same.ok, "no diff expected: {}{}", same.stdout, same.stderr);
    let changed = k.write("changed.yaml", &APP.replace("replicas: 2", "replicas: 3"));
    let d = k.run(&["diff", "--server-side", "-f", &changed]).await;
    assert!(
        !d.ok && d.stdout.contains("+  replicas: 3"),
        "{}{}",
        d.stdout,
        d.stderr
    );
    let d = k.run(&["diff", "-f", &changed]).await;
    assert!(
        !d.ok && d.stdout.contains("+  replicas: 3"),
        "client-side diff: {}{}",
        d.stdout,
        d.stderr
    );
    // diff is a dry run: nothing stored.
    let out = k
        .ok(&[
            "get",
            "deploy",
            "web",
            "-n",
            "demo",
            "-o",
            "jsonpath={.spec.replicas}",
        ])
        .await;
    assert_eq!(out, "2");

    let e = k
        .run(&[
            "apply",
            "--server-side",
            "--field-manager=other",
            "-f",
            &changed,
        ])
        .await;
    assert!(!e.ok);
    assert!(
        e.stderr
            .contains("conflict with \"kubectl\": .spec.replicas"),
        "{}",
        e.stderr
    );
    k.ok(&[
        "apply",
        "--server-side",
        "--field-manager=other",
        "--force-conflicts",
        "-f",
        &changed,
    ])
    .await;
    let out = k
        .ok(&[
            "get",
            "deploy",
            "web",
            "-n",
            "demo",
            "-o",
            "jsonpath={.spec.replicas}",
        ])
        .await;
    assert_eq!(out, "3");
    c.shutdown().await;
}

#[tokio::test]
async fn scale_wait_and_delete() {
    let Some((c, k)) = setup().await else { return };
    let f = k.write("app.yaml", APP);
    k.ok(&["apply", "--server-side", "-f", &f]).await;
    let out = k
        .ok(&["scale", "deployment/web", "-n", "demo", "--replicas=5"])
        .await;
    assert!(out.contains("scaled"), "{out}");
    let out = k
        .ok(&[
            "wait",
            "--for=condition=Available",
            "deployment/web",
            "-n",
            "demo",
            "--timeout=30s",
        ])
        .await;
    assert!(out.contains("condition met"), "{out}");
    let out = k
        .ok(&[
            "get",
            "deploy",
            "web",
            "-n",
            "demo",
            "-o",
            "jsonpath={.status.readyReplicas}",
        ])
        .await;
    assert_eq!(out, "5");
    let out = k
        .ok(&["delete", "deployment/web", "service/web", "-n", "demo"])
        .await;
    assert!(out.contains("deleted"), "{out}");
    let gone = k.run(&["get", "deployment/web", "-n", "demo"]).await;
    assert!(
        !gone.ok && gone.stderr.contains("NotFound"),
        "{}",
        gone.stderr
    );
    k.ok(&["delete", "namespace", "demo"]).await;
    assert!(
        !c.dump()
            .iter()
            .any(|o| o["metadata"]["namespace"] == "demo")
    );
    c.shutdown().await;
}

#[tokio::test]
async fn unknown_fields_are_rejected_like_a_real_server() {
    let Some((c, k)) = setup().await else { return };
    let typo = k.write("typo.yaml", &APP.replace("replicas: 2", "replicaz: 2"));
    for args in [
        ["apply", "--server-side", "-f", &typo],
        ["apply", "-f", &typo, "--dry-run=server"],
    ] {
        let o = k.run(&args).await;
        assert!(!o.ok, "{args:?} should fail");
        assert!(
            o.stderr
                .contains("strict decoding error: unknown field \"spec.replicaz\""),
            "{}",
            o.stderr
        );
    }
    // Without strict validation the unknown field is dropped, as the API server does.
    let o = k
        .ok(&["apply", "--server-side", "--validate=false", "-f", &typo])
        .await;
    assert!(o.contains("deployment.apps/web serverside-applied"), "{o}");
    let d = c
        .dump()
        .into_iter()
        .find(|o| o["kind"] == "Deployment")
        .unwrap();
    assert!(d["spec"].get("replicaz").is_none());
    c.shutdown().await;
}

#[tokio::test]
async fn plain_http_with_anonymous_access() {
    let Some(bin) = kubectl() else {
        eprintln!("skipping: kubectl is not on PATH");
        return;
    };
    let auth = gitops_testcluster::AuthConfig {
        anonymous: Some(gitops_testcluster::User {
            name: "system:anonymous".into(),
            groups: vec!["system:masters".into()],
        }),
        ..Default::default()
    };
    let c = TestCluster::start(Options {
        auth,
        ..Options::default()
    })
    .await
    .unwrap();
    let k = Kubectl {
        bin,
        kubeconfig: c.kubeconfig_path().to_path_buf(),
        dir: tempfile::tempdir().unwrap(),
    };
    let out = k.ok(&["get", "namespaces", "-o", "name"]).await;
    assert!(out.contains("namespace/default"), "{out}");
    assert!(
        c.requests()
            .records()
            .iter()
            .any(|r| r.user == "system:anonymous")
    );
    c.shutdown().await;
}

#[tokio::test]
async fn get_watch_streams_new_objects() {
    let Some((c, k)) = setup().await else { return };
    let mut child = Command::new(&k.bin)
        .arg("--kubeconfig")
        .arg(&k.kubeconfig)
        .arg("--cache-dir")
        .arg(k.dir.path().join("cache"))
        .args([
            "get",
            "configmaps",
            "-n",
            "default",
            "--watch",
            "-o",
            "name",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    // Wait until kubectl is watching, then create.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while c.requests().count("watch", "configmaps") == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "kubectl never started watching"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cms.create(&PostParams::default(), &cm("watched", &[]))
        .await
        .unwrap();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(line.as_deref(), Some("configmap/watched"));
    child.kill().await.unwrap();
    c.shutdown().await;
}

#[tokio::test]
async fn crd_printer_columns_and_short_names() {
    let Some((c, k)) = setup().await else { return };
    let crd = k.write(
        "crd.yaml",
        r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
"#,
    );
    k.ok(&["apply", "--server-side", "-f", &crd]).await;
    k.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
        "--timeout=20s",
    ])
    .await;
    let w = k.write("w.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: default}\nspec: {size: 7}\n");
    k.ok(&["apply", "--server-side", "-f", &w]).await;
    let out = k.ok(&["get", "wd"]).await;
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].split_whitespace().eq(["NAME", "SIZE"]), "{out}");
    assert!(lines[1].split_whitespace().eq(["w1", "7"]), "{out}");
    c.shutdown().await;
}
