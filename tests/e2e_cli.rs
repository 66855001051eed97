//! User stories of the `gitops` CLI, driving the real binary against the simulated API server
//! and real Git repositories.

// Tests may panic on a broken fixture.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use gitops_source::testing::GitRepoFixture;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Value, json};
use support::env::{Env, Receiver, commit_example, eventually};
use support::{stderr, stdout};

const SETTINGS: &str = "app/base/config.yaml";

/// Rewrites the example's ConfigMap with a new greeting.
fn greet(repo: &GitRepoFixture, greeting: &str) -> String {
    repo.write(
        SETTINGS,
        &format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: storefront-config\n  namespace: shop\ndata:\n  GREETING: \"{greeting}\"\n  CURRENCY: EUR\n"
        ),
    );
    repo.commit(&format!("greet: {greeting}"))
}

fn greeting(env: &Env) -> Option<String> {
    env.object("ConfigMap", "shop", "storefront-config")
        .and_then(|o| o["data"]["GREETING"].as_str().map(str::to_owned))
}

/// Output without what changes from run to run: commit ids, times, temporary paths.
fn redact(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_inclusive([' ', '\n']) {
        let trimmed = word.trim_end();
        let rest = &word[trimmed.len()..];
        let commit = trimmed
            .rsplit_once("sha1:")
            .filter(|(_, hex)| hex.len() >= 40 && hex[..40].bytes().all(|b| b.is_ascii_hexdigit()));
        let redacted = if let Some((prefix, hex)) = commit {
            format!("{prefix}sha1:<commit>{}", &hex[40..])
        } else if trimmed.len() == 10
            && trimmed.as_bytes()[4] == b'-'
            && trimmed.as_bytes()[7] == b'-'
        {
            "<date>".to_owned()
        } else if trimmed.len() == 8
            && trimmed.as_bytes()[2] == b':'
            && trimmed.as_bytes()[5] == b':'
        {
            "<time>".to_owned()
        } else if trimmed.starts_with("file:///") {
            "file://<repo>".to_owned()
        } else {
            trimmed.to_owned()
        };
        out.push_str(&redacted);
        out.push_str(rest);
    }
    out
}

fn git_args(repo: &GitRepoFixture) -> Vec<String> {
    vec![
        "--git".into(),
        repo.file_url(),
        "--branch".into(),
        "main".into(),
        "--path".into(),
        "app".into(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_diff_status_history_from_git() {
    let env = Env::start().await;
    let repo = GitRepoFixture::new();
    let first = commit_example(&repo);
    let git = git_args(&repo);

    let out = env
        .gitops()
        .arg("apply")
        .args(&git)
        .args(["--name", "shop", "--wait", "--timeout", "30s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!("apply_text", redact(&stdout(&out)));
    assert!(
        stdout(&out).contains(&format!("synced shop at main@sha1:{first}")),
        "{}",
        stdout(&out)
    );
    assert_eq!(greeting(&env).as_deref(), Some("Welcome to the shop"));

    // Nothing to do: diff says so with status 0.
    let out = env
        .gitops()
        .arg("diff")
        .args(&git)
        .args(["--name", "shop"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );

    // A new commit: diff shows the field, exits 1, and JSON is the typed change set.
    let second = greet(&repo, "Hello again");
    let out = env
        .gitops()
        .arg("diff")
        .args(&git)
        .args(["--name", "shop"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    insta::assert_snapshot!("diff_text", text);
    assert!(
        text.contains("~ update ConfigMap/shop/storefront-config"),
        "{text}"
    );
    assert!(text.contains("+  GREETING: Hello again"), "{text}");
    assert!(text.contains("-  FEATURE_FLAGS_ENABLED: \"yes\""), "{text}");
    let out = env
        .gitops()
        .arg("diff")
        .args(&git)
        .args(["--name", "shop", "-o", "json"])
        .output()
        .unwrap();
    let changes: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = changes["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["object"]["name"] == "storefront-config")
        .unwrap();
    assert_eq!(entry["change"]["action"], "update");

    let out = env
        .gitops()
        .arg("apply")
        .args(&git)
        .args(["--name", "shop"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(greeting(&env).as_deref(), Some("Hello again"));

    let out = env
        .gitops()
        .args(["history", "--name", "shop"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains(&format!("main@sha1:{first}"))
            && text.contains(&format!("main@sha1:{second}")),
        "{text}"
    );
    assert!(text.contains("greet: Hello again"), "{text}");
    let out = env
        .gitops()
        .args(["history", "--name", "shop", "-o", "json"])
        .output()
        .unwrap();
    let history: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        history[1]["commit"]["message"].as_str().map(str::trim),
        Some("greet: Hello again")
    );

    let out = env
        .gitops()
        .args(["status", "--name", "shop"])
        .output()
        .unwrap();
    insta::assert_snapshot!("status_text", redact(&stdout(&out)));

    let out = env
        .gitops()
        .args(["status", "--name", "shop", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["revision"], format!("main@sha1:{second}"));
    assert_eq!(status["objects"].as_array().unwrap().len(), 6);
    assert!(
        status["objects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["health"]["status"] == "Current"),
        "{status:#}"
    );
    assert_eq!(status["drift"]["changed"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_commits_change_nothing_and_notify() {
    let env = Env::start().await;
    let receiver = Receiver::start();
    let repo = GitRepoFixture::new();
    commit_example(&repo);
    let git = git_args(&repo);
    let sync = |env: &Env| {
        env.gitops()
            .arg("sync")
            .args(&git)
            .args(["--name", "shop", "--once", "--notify", &receiver.url])
            .output()
            .unwrap()
    };
    let out = sync(&env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Invalid YAML: exit 2, the message names the file and document, nothing changes.
    repo.write(SETTINGS, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: storefront-config\n  namespace: shop\ndata: [\n");
    repo.commit("broken");
    let before = env.cluster.resource_version();
    let out = sync(&env);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("app/base/config.yaml: document 1: line 6"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        env.cluster.resource_version(),
        before,
        "the cluster was written to"
    );
    assert_eq!(greeting(&env).as_deref(), Some("Welcome to the shop"));

    // A dependency cycle: same.
    repo.write(
        SETTINGS,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: storefront-config\n  namespace: shop\n  annotations: {gitops.rs/depends-on: apps/namespaces/shop/Deployment/storefront}\n---\n\
apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  namespace: shop\n  annotations: {gitops.rs/depends-on: /namespaces/shop/ConfigMap/storefront-config}\n",
    );
    repo.write(
        "app/base/storefront.yaml",
        &std::fs::read_to_string(
            support::workspace_root().join("examples/shop/base/storefront.yaml"),
        )
        .unwrap()
        .replacen(
            "  labels:",
            "  annotations: {gitops.rs/depends-on: /namespaces/shop/ConfigMap/other}\n  labels:",
            1,
        ),
    );
    repo.commit("cycle");
    let out = sync(&env);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("dependency cycle"),
        "{}",
        stdout(&out)
    );
    assert_eq!(env.cluster.resource_version(), before);

    // Fixing the commit recovers.
    repo.git(&["checkout", "HEAD~2", "--", "app"]);
    greet(&repo, "Fixed");
    let out = sync(&env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(greeting(&env).as_deref(), Some("Fixed"));

    eventually("notifications", || {
        receiver
            .kinds()
            .iter()
            .filter(|k| *k == "syncFailed")
            .count()
            == 2
    })
    .await;
    let kinds = receiver.kinds();
    assert_eq!(
        kinds.iter().filter(|k| *k == "syncSucceeded").count(),
        2,
        "{kinds:?}"
    );
    let events = receiver.events.lock().unwrap().clone();
    let failed = events.iter().find(|e| e["kind"] == "syncFailed").unwrap();
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .contains("config.yaml: document 1"),
        "{failed}"
    );
    assert_eq!(failed["name"], "shop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_heals_drift_survives_a_missing_remote_and_stops_cleanly() {
    let env = Env::start().await;
    let receiver = Receiver::start();
    let repo = GitRepoFixture::new();
    commit_example(&repo);
    let mut child = env
        .gitops_process()
        .arg("sync")
        .args(git_args(&repo))
        .args([
            "--name",
            "shop",
            "--interval",
            "300ms",
            "--notify",
            &receiver.url,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    eventually("the first sync", || greeting(&env).is_some()).await;

    // Out-of-band edit and delete: healed, and reported as drift.
    let cms: Api<ConfigMap> = Api::namespaced(env.cluster.client(), "shop");
    let tamper = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"GREETING": "tampered"}});
    cms.patch(
        "storefront-config",
        &PatchParams::apply("kubectl-edit").force(),
        &Patch::Apply(&tamper),
    )
    .await
    .unwrap();
    let services: Api<k8s_openapi::api::core::v1::Service> =
        Api::namespaced(env.cluster.client(), "shop");
    services
        .delete("storefront", &Default::default())
        .await
        .unwrap();
    eventually("drift to heal", || {
        greeting(&env).as_deref() == Some("Welcome to the shop")
            && env.object("Service", "shop", "storefront").is_some()
    })
    .await;
    eventually("drift notifications", || {
        let kinds = receiver.kinds();
        kinds.contains(&"driftDetected".to_owned()) && kinds.contains(&"driftHealed".to_owned())
    })
    .await;

    // The remote goes away: the loop keeps the last good revision (and keeps healing).
    let away = repo.parent().join("away");
    std::fs::rename(repo.path(), &away).unwrap();
    cms.patch(
        "storefront-config",
        &PatchParams::apply("kubectl-edit").force(),
        &Patch::Apply(&tamper),
    )
    .await
    .unwrap();
    eventually("healing without the remote", || {
        greeting(&env).as_deref() == Some("Welcome to the shop")
    })
    .await;
    std::fs::rename(&away, repo.path()).unwrap();
    greet(&repo, "Back online");
    eventually("the new commit", || {
        greeting(&env).as_deref() == Some("Back online")
    })
    .await;

    // SIGTERM stops it between passes, with status 0.
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(std::time::Instant::now() < deadline, "sync did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(exit.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_mode_reports_and_changes_nothing() {
    let env = Env::start().await;
    let repo = GitRepoFixture::new();
    commit_example(&repo);
    let git = git_args(&repo);
    let out = env
        .gitops()
        .arg("apply")
        .args(&git)
        .args(["--name", "shop"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let cms: Api<ConfigMap> = Api::namespaced(env.cluster.client(), "shop");
    let tamper = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"GREETING": "tampered"}});
    cms.patch(
        "storefront-config",
        &PatchParams::apply("kubectl-edit").force(),
        &Patch::Apply(&tamper),
    )
    .await
    .unwrap();
    greet(&repo, "New in Git");

    let out = env
        .gitops()
        .arg("sync")
        .args(&git)
        .args(["--name", "shop", "--manual", "--once"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("waits for `gitops apply` (manual)"), "{text}");
    assert!(
        text.contains("drift: ConfigMap/shop/storefront-config differs from Git"),
        "{text}"
    );
    assert_eq!(greeting(&env).as_deref(), Some("tampered"));

    // Self-heal off: drift on an unchanged revision is only reported.
    let out = env
        .gitops()
        .arg("apply")
        .args(&git)
        .args(["--name", "shop"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    cms.patch(
        "storefront-config",
        &PatchParams::apply("kubectl-edit").force(),
        &Patch::Apply(&tamper),
    )
    .await
    .unwrap();
    let out = env
        .gitops()
        .arg("sync")
        .args(&git)
        .args(["--name", "shop", "--no-self-heal", "--once"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("differs from Git"),
        "{}",
        stdout(&out)
    );
    assert_eq!(greeting(&env).as_deref(), Some("tampered"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_and_a_killed_sync_converges() {
    let env = Env::start().await;
    let repo = GitRepoFixture::new();
    commit_example(&repo);
    let git = git_args(&repo);

    // Throttling and 500s for a while: retried, then success.
    env.cluster.faults().throttle_next(5, 0);
    env.cluster.faults().set_error_rate("patch", 1.0, 500);
    let heal = async {
        eventually("a refused write", || {
            env.cluster
                .requests()
                .records()
                .iter()
                .any(|r| r.code == 500)
        })
        .await;
        env.cluster.faults().clear();
    };
    let run = tokio::task::spawn_blocking({
        let mut cmd = env.gitops();
        cmd.arg("apply").args(&git).args(["--name", "shop"]);
        move || cmd.output().unwrap()
    });
    let (out, ()) = tokio::join!(run, heal);
    let out = out.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        env.cluster
            .requests()
            .records()
            .iter()
            .any(|r| r.code == 500)
    );

    // Killed mid-sync: the inventory already owns what it created, the next run converges,
    // and a later prune leaves nothing orphaned.
    greet(&repo, "Slow");
    repo.write(
        "app/extra.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: shop}\n",
    );
    repo.commit("extra");
    env.cluster.faults().set_latency(Duration::from_millis(150));
    let mut child = env
        .gitops_process()
        .arg("apply")
        .args(&git)
        .args(["--name", "shop"])
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    child.kill().unwrap();
    let _ = child.wait();
    env.cluster.faults().clear();
    let out = env
        .gitops()
        .arg("apply")
        .args(&git)
        .args(["--name", "shop"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(env.object("ConfigMap", "shop", "extra").is_some());

    repo.remove("app/extra.yaml");
    repo.commit("no extra");
    let out = env
        .gitops()
        .arg("apply")
        .args(&git)
        .args(["--name", "shop"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(env.object("ConfigMap", "shop", "extra").is_none(), "pruned");
    let id = gitops_core::inventory::applyset_id("shop", "default");
    let owned = env
        .cluster
        .dump()
        .into_iter()
        .filter(|o| o["metadata"]["labels"]["applyset.kubernetes.io/part-of"] == id)
        .count();
    assert_eq!(owned, 6, "exactly the desired objects carry our label");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_and_suspend() {
    let env = Env::start().await;
    let repo = GitRepoFixture::new();
    let first = commit_example(&repo);
    let git = git_args(&repo);
    let apply = |env: &Env| {
        env.gitops()
            .arg("apply")
            .args(&git)
            .args(["--name", "shop"])
            .output()
            .unwrap()
    };
    assert_eq!(apply(&env).status.code(), Some(0));
    greet(&repo, "Version two");
    assert_eq!(apply(&env).status.code(), Some(0));
    assert_eq!(greeting(&env).as_deref(), Some("Version two"));

    let out = env
        .gitops()
        .args([
            "rollback",
            "--name",
            "shop",
            "--to",
            &format!("main@sha1:{first}"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("will return shop to the head of branch:main; pass --suspend"),
        "{}",
        stderr(&out)
    );
    assert_eq!(greeting(&env).as_deref(), Some("Welcome to the shop"));

    // With --suspend, a sync leaves it alone until resumed.
    let out = env
        .gitops()
        .args([
            "rollback",
            "--name",
            "shop",
            "--to",
            &first[..10],
            "--suspend",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = env
        .gitops()
        .arg("sync")
        .args(&git)
        .args(["--name", "shop", "--once"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("suspended"), "{}", stdout(&out));
    assert_eq!(greeting(&env).as_deref(), Some("Welcome to the shop"));
    let out = env
        .gitops()
        .args(["status", "--name", "shop"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("Suspended: yes"), "{}", stdout(&out));

    assert_eq!(
        env.gitops()
            .args(["resume", "--name", "shop"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    let out = env
        .gitops()
        .arg("sync")
        .args(&git)
        .args(["--name", "shop", "--once"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(greeting(&env).as_deref(), Some("Version two"));

    let out = env
        .gitops()
        .args(["history", "--name", "shop", "-o", "json"])
        .output()
        .unwrap();
    let history: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    // Two applies, the rollback, the return to the head; the second rollback to an already
    // applied revision changed nothing and is not a record.
    assert_eq!(
        history.len(),
        4,
        "every sync that did something is on record: {history:#?}"
    );
}

#[test]
fn pull_request_preview_without_a_cluster() {
    let repo = GitRepoFixture::new();
    commit_example(&repo);
    repo.write("app/base/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: api, namespace: shop}\nstringData: {token: s3cr3t-value}\n");
    let base = repo.commit("secret");
    greet(&repo, "Previewed");
    repo.write("app/base/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: api, namespace: shop}\nstringData: {token: n3w-s3cr3t}\n");
    repo.remove("app/extras/spring-sale.yaml");
    let head = repo.commit("preview me");
    let cache = tempfile::tempdir().unwrap();
    let out = support::gitops()
        .env("XDG_CACHE_HOME", cache.path())
        .args([
            "diff",
            "--git",
            &repo.file_url(),
            "--path",
            "app",
            "--base",
            &base,
            "--head",
            &head,
            "-o",
            "markdown",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("**0** to create, **2** to update, **1** to delete"),
        "{text}"
    );
    assert!(
        text.contains("| 🗑️ delete | `Promotion.shop.example.com/shop/spring-sale` |"),
        "{text}"
    );
    assert!(
        text.contains("<details><summary><code>ConfigMap/shop/storefront-config</code></summary>"),
        "{text}"
    );
    assert!(!text.contains("s3cr3t"), "a secret value leaked: {text}");
    let redacted = text.replace(&base, "BASE").replace(&head, "HEAD");
    insta::assert_snapshot!("pr_preview_markdown", redacted);
}

#[test]
fn source_get_prints_revision_and_commit() {
    let repo = GitRepoFixture::new();
    let first = commit_example(&repo);
    let cache = tempfile::tempdir().unwrap();
    let out = support::gitops()
        .env("XDG_CACHE_HOME", cache.path())
        .args([
            "source",
            "get",
            "--git",
            &repo.file_url(),
            "--branch",
            "main",
            "--path",
            "app",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let artifact: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(artifact["revision"], format!("main@sha1:{first}"));
    assert_eq!(
        artifact["commit"]["message"].as_str().map(str::trim),
        Some("the shop")
    );
    assert!(
        std::path::Path::new(artifact["root"].as_str().unwrap())
            .join("app/base/config.yaml")
            .is_file()
    );

    let out = support::gitops()
        .env("XDG_CACHE_HOME", cache.path())
        .args([
            "source",
            "get",
            "--git",
            &repo.file_url(),
            "--branch",
            "nope",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    let out = support::gitops()
        .args(["render", "--git", &repo.file_url(), "--path", "app"])
        .env("XDG_CACHE_HOME", cache.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("name: storefront-config"));
}

#[test]
fn completions_and_help() {
    let out = support::gitops()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("gitops"));
    let out = support::gitops().args(["diff", "--help"]).output().unwrap();
    assert!(stdout(&out).contains(
        "Exit status: 0 no differences, 1 differences, 2 bad input, 3 cluster or network error"
    ));
}

#[test]
fn unreachable_cluster_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"http://127.0.0.1:9\"}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\nusers:\n- name: u\n  user: {token: t}\n",
    )
    .unwrap();
    let out = support::gitops()
        .env("KUBECONFIG", &kubeconfig)
        .args(["apply", "examples/shop", "--name", "shop"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

#[test]
fn the_dev_cluster_command_serves_the_readme_walkthrough() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let mut server = std::process::Command::new(assert_cmd::cargo::cargo_bin("gitops"))
        .args(["dev-cluster", "--kubeconfig-out"])
        .arg(&kubeconfig)
        .arg("--state")
        .arg(dir.path().join("state.json"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !kubeconfig.is_file() {
        assert!(
            std::time::Instant::now() < deadline,
            "no kubeconfig written"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = support::gitops()
        .env("KUBECONFIG", &kubeconfig)
        .env("XDG_CACHE_HOME", dir.path())
        .args(["apply", "examples/shop", "--name", "shop"])
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("6 created"), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_get_and_reconcile_with_the_operator() {
    let env = Env::start().await;
    let repo = GitRepoFixture::new();
    commit_example(&repo);
    let out = env
        .gitops()
        .args([
            "bootstrap",
            "--git",
            &repo.file_url(),
            "--branch",
            "main",
            "--path",
            "app",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        env.object("Deployment", "gitops-system", "gitops-operator")
            .is_some()
    );
    assert!(
        env.object("CustomResourceDefinition", "", "applications.gitops.rs")
            .is_some()
    );

    // The operator, in process, plays the part of the Deployment (no pods run here).
    let cache = tempfile::tempdir().unwrap();
    let options = gitops_operator::RunOptions {
        kubeconfig: Some(env.cluster.kubeconfig_path().to_path_buf()),
        listen: "127.0.0.1:0".parse().unwrap(),
        settings: gitops_operator::context::Settings {
            cache_dir: Some(cache.path().to_path_buf()),
            ..Default::default()
        },
        ..Default::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let operator = tokio::spawn(gitops_operator::run(options, async {
        let _ = stopped.await;
    }));
    let get = |env: &Env| {
        stdout(
            &env.gitops()
                .args(["get", "apps", "-n", "gitops-system"])
                .output()
                .unwrap(),
        )
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !get(&env).contains(" True ") {
        assert!(std::time::Instant::now() < deadline, "{}", get(&env));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(greeting(&env).as_deref(), Some("Welcome to the shop"));
    let text = stdout(
        &env.gitops()
            .args(["get", "sources", "-A"])
            .output()
            .unwrap(),
    );
    assert!(
        text.contains("gitops-system") && text.contains("main@sha1:"),
        "{text}"
    );

    greet(&repo, "Reconciled on demand");
    let out = env
        .gitops()
        .args([
            "reconcile",
            "app",
            "gitops-system",
            "-n",
            "gitops-system",
            "--with-source",
            "--timeout",
            "60s",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(greeting(&env).as_deref(), Some("Reconciled on demand"));
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), operator).await;
}

#[test]
fn kustomize_remote_bases_come_through_the_git_source() {
    let repo = GitRepoFixture::new();
    repo.write(
        "app/base/kustomization.yaml",
        "resources: [namespace.yaml, config.yaml, storefront.yaml]\n",
    );
    commit_example(&repo);
    repo.tag("v1.0.0");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        format!(
            "resources:\n- {}//app/base?ref=v1.0.0\nnamePrefix: staging-\n",
            repo.file_url()
        ),
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = support::gitops()
        .env("XDG_CACHE_HOME", cache.path())
        .args(["render", "-o", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let objects: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = objects
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"staging-storefront-config"), "{names:?}");
}
