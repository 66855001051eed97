//! Patches: server-side apply semantics, JSON / merge / strategic merge, dry-run.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{cluster, cm, code, deployment, status};

fn cm_json(data: serde_json::Value) -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": data})
}

#[tokio::test]
async fn apply_is_idempotent_and_tracks_managers() {
    let c = cluster().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    let a = PatchParams::apply("alice");
    let first = cms
        .patch("cfg", &a, &Patch::Apply(cm_json(json!({"x": "1"}))))
        .await
        .unwrap();
    let again = cms
        .patch("cfg", &a, &Patch::Apply(cm_json(json!({"x": "1"}))))
        .await
        .unwrap();
    assert_eq!(
        first.metadata.resource_version, again.metadata.resource_version,
        "a no-op apply must not write"
    );
    let mf = again.metadata.managed_fields.unwrap();
    assert_eq!(mf.len(), 1);
    assert_eq!(mf[0].manager.as_deref(), Some("alice"));
    assert_eq!(mf[0].operation.as_deref(), Some("Apply"));

    // Another manager changing alice's field conflicts...
    let b = PatchParams::apply("bob");
    let s = status(
        cms.patch("cfg", &b, &Patch::Apply(cm_json(json!({"x": "2"}))))
            .await
            .unwrap_err(),
    );
    assert_eq!((s.code, s.reason.as_str()), (409, "Conflict"));
    assert!(
        s.message.contains("conflict with \"alice\""),
        "{}",
        s.message
    );
    let causes = s.details.unwrap().causes;
    assert_eq!(causes[0].field, ".data.x");
    // ...unless forced, which moves ownership.
    let forced = cms
        .patch(
            "cfg",
            &b.clone().force(),
            &Patch::Apply(cm_json(json!({"x": "2"}))),
        )
        .await
        .unwrap();
    assert_eq!(forced.data.unwrap()["x"], "2");
    let managers: Vec<String> = forced
        .metadata
        .managed_fields
        .unwrap()
        .into_iter()
        .filter_map(|m| m.manager)
        .collect();
    assert_eq!(managers, ["bob"]);

    // A field the applier stops applying is removed when nobody else owns it.
    cms.patch(
        "cfg",
        &b,
        &Patch::Apply(cm_json(json!({"x": "2", "y": "3"}))),
    )
    .await
    .unwrap();
    let dropped = cms
        .patch("cfg", &b, &Patch::Apply(cm_json(json!({"x": "2"}))))
        .await
        .unwrap();
    assert_eq!(dropped.data.unwrap().keys().collect::<Vec<_>>(), ["x"]);
    c.shutdown().await;
}

#[tokio::test]
async fn apply_merges_containers_by_name_and_dry_run_does_not_store() {
    let c = cluster().await;
    let deps: Api<Deployment> = Api::namespaced(c.client(), "default");
    let base = serde_json::to_value(deployment("web", 1)).unwrap();
    deps.patch("web", &PatchParams::apply("ci"), &Patch::Apply(&base))
        .await
        .unwrap();
    // A second manager adds a sidecar container through the keyed list.
    let sidecar = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "busybox:1"}]}}}});
    let d = deps
        .patch("web", &PatchParams::apply("mesh"), &Patch::Apply(&sidecar))
        .await
        .unwrap();
    let names: Vec<String> = d
        .spec
        .unwrap()
        .template
        .spec
        .unwrap()
        .containers
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["main", "sidecar"]);

    let rv = deps.get("web").await.unwrap().metadata.resource_version;
    let mut bigger = base.clone();
    bigger["spec"]["replicas"] = json!(7);
    let dry = deps
        .patch(
            "web",
            &PatchParams::apply("ci").dry_run(),
            &Patch::Apply(&bigger),
        )
        .await
        .unwrap();
    assert_eq!(dry.spec.unwrap().replicas, Some(7));
    let live = deps.get("web").await.unwrap();
    assert_eq!(live.spec.unwrap().replicas, Some(1));
    assert_eq!(live.metadata.resource_version, rv);
    c.shutdown().await;
}

#[tokio::test]
async fn json_merge_and_strategic_patches() {
    let c = cluster().await;
    let deps: Api<Deployment> = Api::namespaced(c.client(), "default");
    deps.create(&PostParams::default(), &deployment("web", 1))
        .await
        .unwrap();
    let pp = PatchParams::default();
    let strategic = json!({"spec": {"template": {"spec": {"containers": [{"name": "extra", "image": "busybox:1"}]}}}});
    let d = deps
        .patch("web", &pp, &Patch::Strategic(strategic))
        .await
        .unwrap();
    assert_eq!(
        d.spec.unwrap().template.spec.unwrap().containers.len(),
        2,
        "strategic merge keeps containers by name"
    );
    let merge = json!({"spec": {"template": {"spec": {"containers": [{"name": "only", "image": "busybox:1"}]}}}});
    let d = deps.patch("web", &pp, &Patch::Merge(merge)).await.unwrap();
    assert_eq!(
        d.spec.unwrap().template.spec.unwrap().containers.len(),
        1,
        "merge patch replaces lists"
    );
    let ops: json_patch::Patch =
        serde_json::from_value(json!([{"op": "replace", "path": "/spec/replicas", "value": 4}]))
            .unwrap();
    let d = deps
        .patch("web", &pp, &Patch::<()>::Json(ops))
        .await
        .unwrap();
    assert_eq!(d.spec.unwrap().replicas, Some(4));
    let bad: json_patch::Patch =
        serde_json::from_value(json!([{"op": "test", "path": "/spec/replicas", "value": 1}]))
            .unwrap();
    assert_eq!(
        code(
            deps.patch("web", &pp, &Patch::<()>::Json(bad))
                .await
                .unwrap_err()
        ),
        422
    );
    // Non-apply writes are recorded as Update by their manager.
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    cms.create(
        &PostParams {
            field_manager: Some("creator".into()),
            ..Default::default()
        },
        &cm("m", &[("a", "1")]),
    )
    .await
    .unwrap();
    let m = cms.get("m").await.unwrap().metadata.managed_fields.unwrap();
    assert_eq!(
        (m[0].manager.as_deref(), m[0].operation.as_deref()),
        (Some("creator"), Some("Update"))
    );
    c.shutdown().await;
}
