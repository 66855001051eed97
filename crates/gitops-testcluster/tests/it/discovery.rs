//! Discovery, the dynamic API and CRDs.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{Discovery, Scope};
use serde_json::json;

use crate::support::{cluster, code};

fn widget_crd() -> serde_json::Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "shortNames": ["wd"]},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object", "properties": {
                    "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                        "items": {"type": "object", "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}}}}}}}}]}
    })
}

#[tokio::test]
async fn discovery_run_resolves_builtin_kinds() {
    let c = cluster().await;
    let d = Discovery::new(c.client()).run().await.unwrap();
    for (g, v, k, namespaced) in [
        ("apps", "v1", "Deployment", true),
        ("", "v1", "Namespace", false),
        ("batch", "v1", "CronJob", true),
        ("rbac.authorization.k8s.io", "v1", "ClusterRole", false),
        ("autoscaling", "v2", "HorizontalPodAutoscaler", true),
        (
            "admissionregistration.k8s.io",
            "v1",
            "ValidatingWebhookConfiguration",
            false,
        ),
        ("events.k8s.io", "v1", "Event", true),
    ] {
        let (ar, caps) = d
            .resolve_gvk(&GroupVersionKind::gvk(g, v, k))
            .unwrap_or_else(|| panic!("{k}"));
        assert_eq!(caps.scope == Scope::Namespaced, namespaced, "{k}");
        assert!(caps.supports_operation("watch"));
        assert_eq!(ar.kind, k);
    }
    let (_, caps) = d
        .resolve_gvk(&GroupVersionKind::gvk("apps", "v1", "Deployment"))
        .unwrap();
    assert!(
        caps.subresources
            .iter()
            .any(|(r, _)| r.plural == "deployments/scale" || r.plural == "scale")
    );
    c.shutdown().await;
}

#[tokio::test]
async fn aggregated_discovery_matches_legacy_discovery() {
    let c = cluster().await;
    let agg = Discovery::new(c.client()).run_aggregated().await.unwrap();
    // Aggregated discovery takes two requests: /api and /apis.
    let paths: Vec<String> = c.requests().records().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/apis", "/api"]);
    let legacy = Discovery::new(c.client()).run().await.unwrap();
    let kinds = |d: &Discovery| {
        let mut v: Vec<String> = d
            .groups()
            .flat_map(|g| {
                g.recommended_resources().into_iter().map(|(ar, caps)| {
                    format!(
                        "{}/{} {:?} {}",
                        ar.api_version, ar.kind, caps.scope, ar.plural
                    )
                })
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(kinds(&agg), kinds(&legacy));
    assert!(
        kinds(&agg)
            .iter()
            .any(|k| k == "apps/v1/Deployment Namespaced deployments")
    );
    c.shutdown().await;
}

#[tokio::test]
async fn crd_registers_resources_and_deleting_removes_them() {
    let c = cluster().await;
    let crds: Api<CustomResourceDefinition> = Api::all(c.client());
    crds.patch(
        "widgets.example.com",
        &PatchParams::apply("test"),
        &Patch::Apply(widget_crd()),
    )
    .await
    .unwrap();
    c.settle().await;
    let crd = crds.get("widgets.example.com").await.unwrap();
    let conds = crd.status.unwrap().conditions.unwrap();
    assert!(
        conds
            .iter()
            .any(|c| c.type_ == "Established" && c.status == "True")
    );

    let d = Discovery::new(c.client()).run().await.unwrap();
    let (ar, _) = d
        .resolve_gvk(&GroupVersionKind::gvk("example.com", "v1", "Widget"))
        .unwrap();
    let widgets: Api<DynamicObject> = Api::namespaced_with(c.client(), "default", &ar);
    let w = |ports: serde_json::Value| json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"ports": ports}});
    widgets
        .patch(
            "w",
            &PatchParams::apply("a"),
            &Patch::Apply(w(json!([{"name": "http", "port": 80}]))),
        )
        .await
        .unwrap();
    // x-kubernetes-list-map-keys: a second manager adds an item instead of replacing the list.
    let got = widgets
        .patch(
            "w",
            &PatchParams::apply("b"),
            &Patch::Apply(w(json!([{"name": "metrics", "port": 9090}]))),
        )
        .await
        .unwrap();
    assert_eq!(got.data["spec"]["ports"].as_array().unwrap().len(), 2);
    assert_eq!(got.metadata.generation, Some(2));
    assert_eq!(
        widgets
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );

    crds.delete("widgets.example.com", &DeleteParams::default())
        .await
        .unwrap();
    c.settle().await;
    assert_eq!(code(widgets.get("w").await.unwrap_err()), 404);
    let d = Discovery::new(c.client()).run().await.unwrap();
    assert!(
        d.resolve_gvk(&GroupVersionKind::gvk("example.com", "v1", "Widget"))
            .is_none()
    );
    assert!(!c.dump().iter().any(|o| o["kind"] == "Widget"));
    c.shutdown().await;
}
