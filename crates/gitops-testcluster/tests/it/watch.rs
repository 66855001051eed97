//! Watches: events, selectors, 410 Gone, and kube-rs watcher() surviving a restart.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;

use crate::support::{cluster, cm};

#[tokio::test]
async fn watch_streams_changes_from_a_resource_version() {
    let c = cluster().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    let created = cms
        .create(&PostParams::default(), &cm("a", &[]))
        .await
        .unwrap();
    let rv = created.metadata.resource_version.unwrap();
    cms.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"x": "1"}})),
    )
    .await
    .unwrap();
    cms.delete("a", &DeleteParams::default()).await.unwrap();
    let mut s = cms
        .watch(&WatchParams::default().timeout(5), &rv)
        .await
        .unwrap()
        .boxed();
    let mut kinds = vec![];
    while kinds.len() < 2 {
        match s.try_next().await.unwrap().unwrap() {
            WatchEvent::Modified(_) => kinds.push("MODIFIED"),
            WatchEvent::Deleted(_) => kinds.push("DELETED"),
            WatchEvent::Bookmark(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(kinds, ["MODIFIED", "DELETED"]);
    c.shutdown().await;
}

#[tokio::test]
async fn too_old_resource_version_is_gone() {
    let c = cluster().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    cms.create(&PostParams::default(), &cm("a", &[]))
        .await
        .unwrap();
    c.compact();
    let mut s = cms
        .watch(&WatchParams::default().timeout(5), "1")
        .await
        .unwrap()
        .boxed();
    match s.try_next().await.unwrap().unwrap() {
        WatchEvent::Error(e) => assert_eq!(e.code, 410),
        other => panic!("expected 410, got {other:?}"),
    }
    c.shutdown().await;
}

#[tokio::test]
async fn label_selected_watch_sees_objects_leave() {
    let c = cluster().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    let mut m = cm("a", &[]);
    m.metadata.labels = Some([("team".to_string(), "x".to_string())].into());
    let created = cms.create(&PostParams::default(), &m).await.unwrap();
    let rv = created.metadata.resource_version.unwrap();
    cms.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"team": "y"}}})),
    )
    .await
    .unwrap();
    let mut s = cms
        .watch(&WatchParams::default().labels("team=x").timeout(5), &rv)
        .await
        .unwrap()
        .boxed();
    assert!(matches!(
        s.try_next().await.unwrap().unwrap(),
        WatchEvent::Deleted(_)
    ));
    c.shutdown().await;
}

#[tokio::test]
async fn watcher_survives_restart_and_dropped_watches() {
    let c = cluster().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    let cfg = watcher::Config::default();
    let mut stream = watcher(cms.clone(), cfg)
        .applied_objects()
        .default_backoff()
        .boxed();
    cms.create(&PostParams::default(), &cm("before", &[]))
        .await
        .unwrap();
    let next_name =
        |s: Option<Result<ConfigMap, watcher::Error>>| s.unwrap().unwrap().metadata.name.unwrap();
    assert_eq!(next_name(stream.next().await), "before");

    c.restart().await.unwrap();
    cms.create(&PostParams::default(), &cm("after-restart", &[]))
        .await
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let n = next_name(stream.next().await);
            if n == "after-restart" {
                return n;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(got, "after-restart");

    c.faults().drop_watches();
    cms.create(&PostParams::default(), &cm("after-drop", &[]))
        .await
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let n = next_name(stream.next().await);
            if n == "after-drop" {
                return n;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(got, "after-drop");
    // Each phase needed a new LIST or WATCH: the initial one, one after the restart,
    // one after the dropped watches.
    let requests =
        c.requests().count("watch", "configmaps") + c.requests().count("list", "configmaps");
    assert!(requests >= 3, "{requests}");
    c.shutdown().await;
}

#[tokio::test]
async fn fifty_concurrent_watches() {
    let c = cluster().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    let rv = c.resource_version().to_string();
    let mut streams = vec![];
    for _ in 0..50 {
        streams.push(
            cms.watch(&WatchParams::default().timeout(10), &rv)
                .await
                .unwrap()
                .boxed(),
        );
    }
    cms.create(&PostParams::default(), &cm("x", &[]))
        .await
        .unwrap();
    for mut s in streams {
        loop {
            match s.try_next().await.unwrap().unwrap() {
                WatchEvent::Added(o) => {
                    assert_eq!(o.metadata.name.as_deref(), Some("x"));
                    break;
                }
                WatchEvent::Bookmark(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    c.shutdown().await;
}

#[tokio::test]
async fn streaming_list_watcher_gets_initial_objects() {
    let c = cluster().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "default");
    cms.create(&PostParams::default(), &cm("existing", &[]))
        .await
        .unwrap();
    let cfg = watcher::Config::default().streaming_lists();
    let mut stream = watcher(cms.clone(), cfg).default_backoff().boxed();
    let mut seen_init_done = false;
    let mut names = vec![];
    while !seen_init_done {
        match tokio::time::timeout(Duration::from_secs(20), stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        {
            watcher::Event::InitApply(o) => names.push(o.metadata.name.unwrap()),
            watcher::Event::InitDone => seen_init_done = true,
            _ => {}
        }
    }
    assert_eq!(names, ["existing"]);
    assert!(c.requests().records().iter().any(|r| r.verb == "watch"));
    assert_eq!(
        c.requests().count("list", "configmaps"),
        0,
        "a streaming list needs no LIST"
    );
    c.shutdown().await;
}
