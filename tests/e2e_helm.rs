//! User stories of Helm charts in the `gitops` CLI: render a chart directory with
//! `helm template`'s flags (checked against real Helm v4 when its SDK is installed), pull one
//! from a Helm repository served on 127.0.0.1, and apply charts from a directory, a
//! repository and Git to the simulated API server.

// Tests may panic on a broken fixture.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gitops_source::testing::{GitRepoFixture, free_port};
use serde_json::Value;
use support::env::Env;
use support::{gitops, stderr, stdout, workspace_root};

const CHART: &str = "examples/charts/storefront";

/// The flags of the full render, as `helm template` takes them.
fn full_flags(values: &Path, note: &Path) -> Vec<String> {
    [
        "--release-name",
        "shop",
        "-n",
        "shop",
        "-f",
        values.to_str().unwrap(),
        "--set",
        "replicas=3,promotions.enabled=true",
        "--set",
        "promotions.codes={SPRING,WINTER}",
        "--set-string",
        "currency=007",
        "--set-json",
        r#"labels={"team":"web"}"#,
        "--set-file",
        &format!("greeting={}", note.display()),
        "--skip-tests",
        "--include-crds",
        "--kube-version",
        "1.31.2",
        "--api-versions",
        "shop.example.com/v1",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

fn docs(yaml: &str) -> Vec<Value> {
    gitops_core::yaml::parse_documents(yaml)
        .unwrap()
        .into_iter()
        .map(|d| d.value)
        .filter(|v| !v.is_null())
        .collect()
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name} in {docs:#?}"))
}

/// Why real Helm (its SDK, driven by the render tests' oracle) cannot run, if it cannot.
fn helm_oracle_missing() -> Option<String> {
    match Command::new("python3")
        .args(["-c", "import helm_python, yaml"])
        .output()
    {
        Err(e) => Some(format!("python3: {e}")),
        Ok(o) if !o.status.success() => Some("helm-python-sdk is not installed".into()),
        Ok(_) => None,
    }
}

/// What Helm v4 renders for the chart with these values (skipping test hooks; CRDs are not
/// part of `helm template` without --include-crds, so they are compared separately).
fn helm_render(values_files: &[PathBuf], release: &str, namespace: &str) -> String {
    let oracle = workspace_root().join("crates/gitops-render/tests/helm/oracle.py");
    let case = serde_json::json!({"cases": [{
        "name": "storefront",
        "chart": workspace_root().join(CHART),
        "release": release,
        "namespace": namespace,
        "values_files": values_files,
        "skip_tests": true,
    }]});
    let mut child = Command::new("python3")
        .arg(oracle)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), case.to_string().as_bytes()).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "oracle failed");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["results"][0]["ok"]
        .as_str()
        .unwrap_or_else(|| panic!("Helm failed: {v}"))
        .to_owned()
}

#[test]
fn render_a_chart_directory_with_helm_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let values = tmp.path().join("prod.yaml");
    std::fs::write(&values, "image:\n  tag: 2.5.0\ncurrency: USD\n").unwrap();
    let note = tmp.path().join("greeting.txt");
    std::fs::write(&note, "Hello from a file").unwrap();

    let out = gitops()
        .args(["render", CHART])
        .args(full_flags(&values, &note))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    insta::assert_snapshot!("render_chart_full", text);
    let rendered = docs(&text);
    // CRDs first, then Helm's install order; no test hook.
    assert_eq!(rendered[0]["kind"], "CustomResourceDefinition");
    assert!(rendered.iter().all(|d| d["kind"] != "Pod"));
    let deploy = find(&rendered, "Deployment", "shop");
    assert_eq!(deploy["spec"]["replicas"], 3);
    assert_eq!(deploy["metadata"]["namespace"], "shop");
    assert_eq!(deploy["metadata"]["labels"]["team"], "web");
    assert_eq!(
        deploy["spec"]["template"]["spec"]["containers"][0]["image"],
        "ghcr.io/example/storefront:2.5.0"
    );
    let config = find(&rendered, "ConfigMap", "shop-config");
    assert_eq!(
        config["data"]["CURRENCY"], "007",
        "--set-string wins over -f"
    );
    assert_eq!(config["data"]["GREETING"], "Hello from a file");
    assert_eq!(config["data"]["KUBE_VERSION"], "v1.31.2");
    find(&rendered, "Promotion", "shop-spring");
    find(&rendered, "Promotion", "shop-winter");

    // Without flags: the chart's name is the release name, defaults apply, tests are kept.
    let out = gitops().args(["render", CHART]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plain = docs(&stdout(&out));
    find(&plain, "Deployment", "storefront");
    find(&plain, "Pod", "storefront-smoke");
    assert!(
        plain
            .iter()
            .all(|d| d["kind"] != "Promotion" && d["kind"] != "CustomResourceDefinition")
    );

    // The same chart through real Helm v4, with the same values as a file.
    if let Some(reason) = helm_oracle_missing() {
        println!("skipping the comparison with Helm: {reason}");
        return;
    }
    let out = gitops()
        .args([
            "render",
            CHART,
            "--release-name",
            "shop",
            "-n",
            "shop",
            "--skip-tests",
        ])
        .args(["-f", values.to_str().unwrap(), "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ours: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let helm = docs(&helm_render(std::slice::from_ref(&values), "shop", "shop"));
    assert_eq!(ours, helm, "gitops render differs from helm template");
}

#[test]
fn bad_helm_input_is_refused_with_the_flag_or_file() {
    let out = gitops()
        .args(["render", CHART, "--set", "replicas[=3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--set"), "{}", stderr(&out));

    let out = gitops()
        .args(["render", CHART, "-f", "no/such/values.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no/such/values.yaml"),
        "{}",
        stderr(&out)
    );

    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("broken");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "kind: ConfigMap\n{{ .Values.x.y }}\n",
    )
    .unwrap();
    let out = gitops().arg("render").arg(&chart).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("broken/templates/cm.yaml") && err.contains("nil pointer"),
        "{err}"
    );

    // Only http(s) repositories; credentials in the URL never show.
    let out = gitops()
        .args(["render", "--helm-repo", "file:///etc", "--chart", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("must start with https://"),
        "{}",
        stderr(&out)
    );
    let out = gitops()
        .args([
            "render",
            "--helm-repo",
            "http://bob:s3cret@127.0.0.1:1",
            "--chart",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(!stderr(&out).contains("s3cret"), "{}", stderr(&out));

    // --chart needs --helm-repo, and --helm-repo a --chart.
    let out = gitops().args(["render", "--chart", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = gitops()
        .args(["render", "--helm-repo", "http://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A Helm repository on 127.0.0.1: `python3 -m http.server` over a directory holding an
/// `index.yaml` and the storefront chart packaged as 1.2.0 (and a broken 1.3.0).
struct Repository {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Repository {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn repository() -> Option<Repository> {
    if Command::new("python3").arg("--version").output().is_err() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("tar")
        .arg("-czf")
        .arg(dir.path().join("storefront-1.2.0.tgz"))
        .arg("-C")
        .arg(workspace_root().join("examples/charts"))
        .arg("storefront")
        .status()
        .ok()?;
    assert!(status.success());
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    std::fs::write(
        dir.path().join("index.yaml"),
        format!(
            "apiVersion: v1\nentries:\n  storefront:\n  - name: storefront\n    version: 1.2.0\n    urls: [{url}/storefront-1.2.0.tgz]\n"
        ),
    )
    .unwrap();
    let child = Command::new("python3")
        .args(["-m", "http.server", "--bind", "127.0.0.1"])
        .arg(port.to_string())
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "http.server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Repository {
        child,
        url,
        _dir: dir,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charts_from_a_repository_a_directory_and_git_are_applied() {
    let env = Env::start().await;

    // A local chart directory: the sync name is the release name.
    let out = env
        .gitops()
        .args([
            "apply",
            CHART,
            "--name",
            "web",
            "-n",
            "default",
            "--set",
            "replicas=2",
        ])
        .args(["--wait", "--timeout", "30s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let deploy = env.object("Deployment", "default", "web").expect("applied");
    assert_eq!(deploy["spec"]["replicas"], 2);
    // The same values: no difference; other values: a difference (exit 1).
    let diff = |replicas: &str| {
        env.gitops()
            .args(["diff", CHART, "--name", "web", "-n", "default"])
            .args(["--set", &format!("replicas={replicas}")])
            .output()
            .unwrap()
    };
    assert_eq!(diff("2").status.code(), Some(0), "{}", stdout(&diff("2")));
    let changed = diff("5");
    assert_eq!(changed.status.code(), Some(1), "{}", stderr(&changed));
    assert!(
        stdout(&changed).contains("replicas"),
        "{}",
        stdout(&changed)
    );

    // Values from a file: `status` renders the chart as the sync did (the settings are
    // recorded beside the source), so nothing has drifted; a literal --set is not recorded.
    let tmp = tempfile::tempdir().unwrap();
    let values = tmp.path().join("values.yaml");
    std::fs::write(&values, "replicas: 4\n").unwrap();
    let out = env
        .gitops()
        .args(["apply", CHART, "--name", "valued", "-n", "default", "-f"])
        .arg(&values)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        env.object("Deployment", "default", "valued").unwrap()["spec"]["replicas"],
        4
    );
    let out = env
        .gitops()
        .args(["status", "--name", "valued", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        status["drift"]["changed"],
        serde_json::json!([]),
        "{status}"
    );
    assert_eq!(
        status["source"]["helm"],
        Value::Null,
        "the record stays internal"
    );
    let out = env
        .gitops()
        .args(["status", "--name", "web", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("--set value(s) are not recorded"),
        "{}",
        stderr(&out)
    );

    // From a Helm repository on 127.0.0.1, pulled into the cache.
    if let Some(repo) = repository() {
        let out = env
            .gitops()
            .args(["render", "--helm-repo", &repo.url, "--chart", "storefront"])
            .args(["--version", "^1.0", "--release-name", "remote"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        find(&docs(&stdout(&out)), "Deployment", "remote");

        let out = env
            .gitops()
            .args(["apply", "--helm-repo", &repo.url, "--chart", "storefront"])
            .args(["--version", "1.2.0", "--name", "from-repo", "-n", "default"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(env.object("Deployment", "default", "from-repo").is_some());

        let out = env
            .gitops()
            .args(["render", "--helm-repo", &repo.url, "--chart", "storefront"])
            .args(["--version", "9.9.9"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("9.9.9"), "{}", stderr(&out));
    } else {
        println!("skipping the Helm repository story: python3 or tar is missing");
    }

    // From Git: a chart at a path of a repository.
    let git = GitRepoFixture::new();
    let src = workspace_root().join(CHART);
    for entry in walk(&src) {
        let rel = entry
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        git.write(
            &format!("charts/storefront/{rel}"),
            &std::fs::read_to_string(&entry).unwrap(),
        );
    }
    git.commit("storefront chart");
    let out = env
        .gitops()
        .args(["apply", "--git", &git.file_url(), "--branch", "main"])
        .args([
            "--path",
            "charts/storefront",
            "--name",
            "from-git",
            "-n",
            "default",
        ])
        .args(["--set-string", "greeting=from Git"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let config = env
        .object("ConfigMap", "default", "from-git-config")
        .expect("applied from Git");
    assert_eq!(config["data"]["GREETING"], "from Git");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_reads_the_live_cluster_only_when_asked() {
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::{Api, PostParams};

    let env = Env::start().await;
    let api: Api<ConfigMap> = Api::namespaced(env.cluster.client(), "default");
    let existing: ConfigMap = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "existing", "namespace": "default"},
        "data": {"token": "kept-across-upgrades"},
    }))
    .unwrap();
    api.create(&PostParams::default(), &existing).await.unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("lookup");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: lookup\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/cm.yaml"),
        concat!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-seen\n",
            "data:\n",
            "  token: {{ dig \"data\" \"token\" \"none\" (lookup \"v1\" \"ConfigMap\" .Release.Namespace \"existing\") | quote }}\n",
            "  missing: {{ lookup \"v1\" \"ConfigMap\" .Release.Namespace \"nope\" | len | quote }}\n",
            "  namespaces: {{ gt (len (dig \"items\" list (lookup \"v1\" \"Namespace\" \"\" \"\"))) 0 | quote }}\n",
        ),
    )
    .unwrap();

    let out = env
        .gitops()
        .arg("apply")
        .arg(&chart)
        .args(["--name", "with", "-n", "default", "--helm-lookup"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let seen = env
        .object("ConfigMap", "default", "with-seen")
        .expect("applied");
    assert_eq!(seen["data"]["token"], "kept-across-upgrades");
    assert_eq!(seen["data"]["missing"], "0");
    assert_eq!(seen["data"]["namespaces"], "true");

    // Without the flag, lookup finds nothing (helm template's behaviour).
    let out = env
        .gitops()
        .arg("apply")
        .arg(&chart)
        .args(["--name", "without", "-n", "default"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let seen = env
        .object("ConfigMap", "default", "without-seen")
        .expect("applied");
    assert_eq!(seen["data"]["token"], "none");
    assert_eq!(seen["data"]["namespaces"], "false");

    // A diff with the flag sees no change; render has no cluster to read.
    let out = env
        .gitops()
        .arg("diff")
        .arg(&chart)
        .args(["--name", "with", "-n", "default", "--helm-lookup"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let out = env
        .gitops()
        .arg("render")
        .arg(&chart)
        .arg("--helm-lookup")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--helm-lookup"), "{}", stderr(&out));
}
