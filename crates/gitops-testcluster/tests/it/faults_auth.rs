//! Authentication, authorisation, impersonation, fault injection and request counters.

use gitops_testcluster::{AuthConfig, Options, Policy, TestCluster};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{cluster, cm, code, status};

#[tokio::test]
async fn tokens_policies_and_impersonation() {
    let policy = Policy {
        namespaces: Some(vec!["default".into()]),
        verbs: Some(vec!["get".into(), "list".into()]),
        ..Policy::default()
    };
    let c = TestCluster::start(Options {
        auth: AuthConfig::default().with_user("alice-token", "alice", &["devs"], policy),
        ..Options::default()
    })
    .await
    .unwrap();
    let anon = c.client_with_token("wrong").unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(anon, "default");
    assert_eq!(
        code(cms.list(&ListParams::default()).await.unwrap_err()),
        401
    );

    let alice = c.client_with_token("alice-token").unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(alice.clone(), "default");
    assert!(cms.list(&ListParams::default()).await.is_ok());
    let s = status(
        cms.create(&PostParams::default(), &cm("x", &[]))
            .await
            .unwrap_err(),
    );
    assert_eq!((s.code, s.reason.as_str()), (403, "Forbidden"));
    assert!(
        s.message
            .contains("User \"alice\" cannot create resource \"configmaps\""),
        "{}",
        s.message
    );
    let other: Api<ConfigMap> = Api::namespaced(alice, "kube-system");
    assert_eq!(
        code(other.list(&ListParams::default()).await.unwrap_err()),
        403
    );

    // The admin may impersonate alice, and then has alice's rights only.
    let mut cfg = kube::Config::new(c.url().parse().unwrap());
    cfg.auth_info.token = Some(c.admin_token().to_string().into());
    cfg.auth_info.impersonate = Some("alice".into());
    let as_alice = kube::Client::try_from(cfg).unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(as_alice, "default");
    assert!(cms.list(&ListParams::default()).await.is_ok());
    assert_eq!(
        code(
            cms.create(&PostParams::default(), &cm("y", &[]))
                .await
                .unwrap_err()
        ),
        403
    );
    // alice may not impersonate anyone.
    let mut cfg = kube::Config::new(c.url().parse().unwrap());
    cfg.auth_info.token = Some("alice-token".to_string().into());
    cfg.auth_info.impersonate = Some("admin".into());
    let sneaky: Api<ConfigMap> = Api::namespaced(kube::Client::try_from(cfg).unwrap(), "default");
    assert_eq!(
        code(sneaky.list(&ListParams::default()).await.unwrap_err()),
        403
    );
    let users: Vec<String> = c.requests().records().into_iter().map(|r| r.user).collect();
    assert!(users.iter().any(|u| u == "alice"));
    c.shutdown().await;
}

#[tokio::test]
async fn injected_faults() {
    let c = cluster().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    cms.create(&PostParams::default(), &cm("a", &[]))
        .await
        .unwrap();

    // kube's client retries a 429 after the server's Retry-After: two requests, one success.
    c.faults().throttle_next(1, 1);
    assert!(cms.get("a").await.is_ok());
    assert_eq!(
        c.requests()
            .records()
            .iter()
            .filter(|r| r.code == 429)
            .count(),
        1
    );

    c.faults().set_error_rate("list", 1.0, 500);
    let s = status(cms.list(&ListParams::default()).await.unwrap_err());
    assert_eq!((s.code, s.reason.as_str()), (500, "InternalError"));
    assert!(cms.get("a").await.is_ok(), "only list fails");
    c.faults().clear();

    c.faults().conflict_next_writes(1);
    let pp = PatchParams::default();
    let patch = Patch::Merge(json!({"data": {"k": "v"}}));
    assert_eq!(code(cms.patch("a", &pp, &patch).await.unwrap_err()), 409);
    assert!(cms.patch("a", &pp, &patch).await.is_ok());

    c.faults().set_latency(std::time::Duration::from_millis(5));
    assert!(cms.get("a").await.is_ok());
    c.faults().clear();

    let counters = c.requests().counters();
    assert_eq!(
        counters[&("patch".to_string(), "configmaps".to_string())],
        2
    );
    assert_eq!(c.requests().count("get", "configmaps"), 4);
    assert_eq!(c.requests().count("list", "*"), 1);
    c.shutdown().await;
}

#[tokio::test]
async fn raw_http_errors_are_status_objects() {
    let c = cluster().await;
    let client = c.client();
    let send = |method: &str, path: &str| {
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .body(Vec::new())
            .unwrap();
        let client = client.clone();
        async move { client.request_text(req).await }
    };
    // Deleting a subresource is not allowed; an unknown resource is 404; both are Status objects.
    cms_create(&c).await;
    let e = send("DELETE", "/api/v1/namespaces/default/configmaps/a/status")
        .await
        .unwrap_err();
    assert_eq!(code(e), 404, "configmaps have no status subresource");
    let e = send(
        "DELETE",
        "/apis/apps/v1/namespaces/default/deployments/x/status",
    )
    .await
    .unwrap_err();
    assert_eq!(code(e), 405);
    let e = send("GET", "/apis/nope.example.com/v1/things")
        .await
        .unwrap_err();
    assert_eq!(code(e), 404);
    let body = send("GET", "/version").await.unwrap();
    assert!(body.contains("\"gitVersion\""), "{body}");
    c.shutdown().await;
}

async fn cms_create(c: &TestCluster) {
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    cms.create(&PostParams::default(), &cm("a", &[]))
        .await
        .unwrap();
}

#[tokio::test]
async fn throttled_response_carries_retry_after() {
    let c = cluster().await;
    c.faults().throttle_next(1, 3);
    let url = format!("{}/api/v1/namespaces", c.url());
    let out = tokio::process::Command::new("curl")
        .args([
            "-s",
            "-i",
            "--max-time",
            "20",
            "-H",
            &format!("Authorization: Bearer {}", c.admin_token()),
            &url,
        ])
        .output()
        .await;
    let Ok(out) = out else {
        eprintln!("skipping: curl is not available");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(text.starts_with("http/1.1 429"), "{text}");
    assert!(text.contains("retry-after: 3"), "{text}");
    c.shutdown().await;
}
