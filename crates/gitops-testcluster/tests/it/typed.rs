//! Typed kube-rs API: CRUD, metadata, optimistic concurrency, defaults, validation, selectors, paging.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{cluster, cm, code, deployment, status};

#[tokio::test]
async fn create_get_update_with_server_metadata() {
    let c = cluster().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    let created = cms
        .create(&PostParams::default(), &cm("a", &[("k", "v")]))
        .await
        .unwrap();
    let meta = &created.metadata;
    assert_eq!(meta.uid.as_ref().unwrap().len(), 36);
    assert!(meta.creation_timestamp.is_some());
    let rv1: u64 = meta.resource_version.as_ref().unwrap().parse().unwrap();
    assert_eq!(cms.get("a").await.unwrap().data, created.data);

    let mut changed = created.clone();
    changed.data = Some([("k".to_string(), "w".to_string())].into());
    let updated = cms
        .replace("a", &PostParams::default(), &changed)
        .await
        .unwrap();
    let rv2: u64 = updated
        .metadata
        .resource_version
        .as_ref()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rv2 > rv1);
    // The first object's resourceVersion is stale now.
    let e = cms
        .replace("a", &PostParams::default(), &changed)
        .await
        .unwrap_err();
    let s = status(e);
    assert_eq!((s.code, s.reason.as_str()), (409, "Conflict"));
    assert!(
        s.message.contains("the object has been modified"),
        "{}",
        s.message
    );

    assert_eq!(
        code(
            cms.create(&PostParams::default(), &cm("a", &[]))
                .await
                .unwrap_err()
        ),
        409
    );
    assert_eq!(code(cms.get("missing").await.unwrap_err()), 404);
    c.shutdown().await;
}

#[tokio::test]
async fn namespaces_must_exist_and_names_are_validated() {
    let c = cluster().await;
    let nowhere: Api<ConfigMap> = Api::namespaced(c.client(), "nowhere");
    let s = status(
        nowhere
            .create(&PostParams::default(), &cm("a", &[]))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (s.code, s.message.as_str()),
        (404, "namespaces \"nowhere\" not found")
    );
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    let s = status(
        cms.create(&PostParams::default(), &cm("Bad_Name", &[]))
            .await
            .unwrap_err(),
    );
    assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
    // A missing required field is 422 Invalid, naming the field.
    let deps: Api<Deployment> = Api::namespaced(c.client(), "default");
    let mut d = deployment("web", 1);
    d.spec
        .as_mut()
        .unwrap()
        .template
        .spec
        .as_mut()
        .unwrap()
        .containers[0]
        .name = String::new();
    let raw = {
        let mut v = serde_json::to_value(&d).unwrap();
        v["spec"]["template"]["spec"]["containers"][0]
            .as_object_mut()
            .unwrap()
            .remove("name");
        v
    };
    let e = deps
        .patch("web", &PatchParams::apply("t"), &Patch::Apply(&raw))
        .await
        .unwrap_err();
    let s = status(e);
    assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
    assert!(
        s.message
            .contains("spec.template.spec.containers[0].name: Required value"),
        "{}",
        s.message
    );
    let nss: Api<Namespace> = Api::all(c.client());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "a.b"}})).unwrap();
    assert_eq!(
        code(nss.create(&PostParams::default(), &ns).await.unwrap_err()),
        422
    );
    c.shutdown().await;
}

#[tokio::test]
async fn defaults_generation_and_immutable_fields() {
    let c = cluster().await;
    let deps: Api<Deployment> = Api::namespaced(c.client(), "default");
    let mut d = deployment("web", 2);
    d.spec.as_mut().unwrap().replicas = None;
    let d = deps.create(&PostParams::default(), &d).await.unwrap();
    let spec = d.spec.as_ref().unwrap();
    assert_eq!(spec.replicas, Some(1));
    assert_eq!(
        spec.strategy.as_ref().unwrap().type_.as_deref(),
        Some("RollingUpdate")
    );
    let container = &spec.template.spec.as_ref().unwrap().containers[0];
    assert_eq!(container.image_pull_policy.as_deref(), Some("IfNotPresent"));
    assert_eq!(d.metadata.generation, Some(1));

    // A label change does not bump the generation; a spec change does.
    let pp = PatchParams::default();
    let d2 = deps
        .patch(
            "web",
            &pp,
            &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
        )
        .await
        .unwrap();
    assert_eq!(d2.metadata.generation, Some(1));
    let d3 = deps
        .patch("web", &pp, &Patch::Merge(json!({"spec": {"replicas": 3}})))
        .await
        .unwrap();
    assert_eq!(d3.metadata.generation, Some(2));

    let s = status(
        deps.patch(
            "web",
            &pp,
            &Patch::Merge(json!({"spec": {"selector": {"matchLabels": {"app": "other"}}}})),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
    assert!(s.message.contains("spec.selector"), "{}", s.message);

    let svcs: Api<Service> = Api::namespaced(c.client(), "default");
    let svc: Service = serde_json::from_value(
        json!({"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}),
    )
    .unwrap();
    let svc = svcs.create(&PostParams::default(), &svc).await.unwrap();
    let spec = svc.spec.unwrap();
    assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
    assert!(spec.cluster_ip.as_deref().unwrap().starts_with("10.96."));
    let e = svcs
        .patch(
            "web",
            &pp,
            &Patch::Merge(json!({"spec": {"clusterIP": "10.0.0.9"}})),
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), 422);

    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    let mut frozen = cm("frozen", &[("a", "1")]);
    frozen.immutable = Some(true);
    cms.create(&PostParams::default(), &frozen).await.unwrap();
    let e = cms
        .patch("frozen", &pp, &Patch::Merge(json!({"data": {"a": "2"}})))
        .await
        .unwrap_err();
    assert_eq!(code(e), 422);
    c.shutdown().await;
}

#[tokio::test]
async fn selectors_and_paging() {
    let c = cluster().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    for i in 0..7 {
        let mut m = cm(&format!("cm-{i}"), &[]);
        m.metadata.labels = Some(
            [(
                "parity".to_string(),
                if i % 2 == 0 { "even" } else { "odd" }.to_string(),
            )]
            .into(),
        );
        cms.create(&PostParams::default(), &m).await.unwrap();
    }
    let names = |l: kube::core::ObjectList<ConfigMap>| {
        l.items
            .into_iter()
            .map(|c| c.metadata.name.unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(
            cms.list(&ListParams::default().labels("parity=odd"))
                .await
                .unwrap()
        ),
        ["cm-1", "cm-3", "cm-5"]
    );
    assert_eq!(
        names(
            cms.list(&ListParams::default().labels("parity in (even),parity!=odd"))
                .await
                .unwrap()
        )
        .len(),
        4
    );
    assert_eq!(
        names(
            cms.list(&ListParams::default().fields("metadata.name=cm-2"))
                .await
                .unwrap()
        ),
        ["cm-2"]
    );
    assert_eq!(
        code(
            cms.list(&ListParams::default().fields("spec.bogus=1"))
                .await
                .unwrap_err()
        ),
        400
    );
    assert_eq!(
        code(
            cms.list(&ListParams::default().labels("a in b"))
                .await
                .unwrap_err()
        ),
        400
    );

    let mut all = vec![];
    let mut lp = ListParams::default().limit(3);
    let mut pages = 0;
    loop {
        let page = cms.list(&lp).await.unwrap();
        pages += 1;
        let cont = page.metadata.continue_.clone();
        all.extend(names(page));
        match cont {
            Some(t) if !t.is_empty() => lp = ListParams::default().limit(3).continue_token(&t),
            _ => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(all, (0..7).map(|i| format!("cm-{i}")).collect::<Vec<_>>());
    let all_ns: Api<ConfigMap> = Api::all(c.client());
    assert_eq!(
        all_ns
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
        7
    );
    c.shutdown().await;
}

#[tokio::test]
async fn status_subresource_is_separate() {
    let c = cluster().await;
    let deps: Api<Deployment> = Api::namespaced(c.client(), "default");
    deps.create(&PostParams::default(), &deployment("web", 1))
        .await
        .unwrap();
    c.settle().await;
    // Status written on the main resource is ignored...
    let pp = PatchParams::default();
    let d = deps
        .patch(
            "web",
            &pp,
            &Patch::Merge(json!({"status": {"replicas": 42}})),
        )
        .await
        .unwrap();
    assert_eq!(d.status.unwrap().replicas, Some(1));
    // ...and spec written on the status subresource is ignored.
    let d = deps
        .patch_status(
            "web",
            &pp,
            &Patch::Merge(json!({"spec": {"replicas": 9}, "status": {"replicas": 42}})),
        )
        .await
        .unwrap();
    assert_eq!(d.spec.unwrap().replicas, Some(1));
    assert_eq!(d.status.unwrap().replicas, Some(42));
    c.shutdown().await;
}

#[tokio::test]
async fn scale_subresource() {
    let c = cluster().await;
    let deps: Api<Deployment> = Api::namespaced(c.client(), "default");
    deps.create(&PostParams::default(), &deployment("web", 1))
        .await
        .unwrap();
    let s = deps.get_scale("web").await.unwrap();
    assert_eq!(s.spec.unwrap().replicas, Some(1));
    assert_eq!(s.status.unwrap().selector.as_deref(), Some("app=web"));
    deps.patch_scale(
        "web",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"replicas": 5}})),
    )
    .await
    .unwrap();
    assert_eq!(
        deps.get("web").await.unwrap().spec.unwrap().replicas,
        Some(5)
    );
    c.shutdown().await;
}

#[tokio::test]
async fn metadata_only_api() {
    let c = cluster().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    let mut m = cm("meta", &[("big", "value")]);
    m.metadata.labels = Some([("a".to_string(), "b".to_string())].into());
    cms.create(&PostParams::default(), &m).await.unwrap();
    let one = cms.get_metadata("meta").await.unwrap();
    assert_eq!(one.metadata.labels.unwrap()["a"], "b");
    assert_eq!(one.types.unwrap().kind, "PartialObjectMetadata");
    let list = cms.list_metadata(&ListParams::default()).await.unwrap();
    assert_eq!(list.items.len(), 1);
    assert_eq!(list.items[0].metadata.name.as_deref(), Some("meta"));
    c.shutdown().await;
}
