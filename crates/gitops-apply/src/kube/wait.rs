//! Health: read once, or follow watch events until every object is current or failed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use futures::{StreamExt, stream};
use gitops_core::health::{Health, Status, assess};
use gitops_core::{Object, ObjectRef, consts};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};

use super::live::list_kind;
use super::{KubeCluster, Resolved, to_object};
use crate::error::Error;

/// The label selector shared by the objects (their ApplySet), if they all carry one.
fn selector(objects: &[Object]) -> String {
    let ids: BTreeSet<Option<&str>> = objects
        .iter()
        .map(|o| o.label(consts::APPLYSET_PART_OF))
        .collect();
    match ids.into_iter().collect::<Vec<_>>().as_slice() {
        [Some(id)] => format!("{}={id}", consts::APPLYSET_PART_OF),
        _ => String::new(),
    }
}

/// The objects grouped by resolved kind.
async fn by_kind(
    cluster: &KubeCluster,
    objects: &[Object],
) -> Result<Vec<(Resolved, Vec<ObjectRef>)>, Error> {
    let mut groups: BTreeMap<(String, String), Vec<ObjectRef>> = BTreeMap::new();
    for object in objects {
        groups
            .entry((object.api_version().to_owned(), object.kind().to_owned()))
            .or_default()
            .push(object.reference().clone());
    }
    let mut out = Vec::new();
    for ((api_version, kind), refs) in groups {
        if let Some(resolved) = cluster.resolver.resolve(&api_version, &kind).await? {
            out.push((resolved, refs));
        }
    }
    Ok(out)
}

fn missing() -> Health {
    Health::new(Status::Unknown, "not found")
}

pub(super) async fn health(
    cluster: &KubeCluster,
    objects: &[Object],
) -> Result<Vec<(ObjectRef, Health)>, Error> {
    let selector = selector(objects);
    let mut state: BTreeMap<ObjectRef, Health> = objects
        .iter()
        .map(|o| (o.reference().clone(), missing()))
        .collect();
    for (resolved, refs) in by_kind(cluster, objects).await? {
        let namespaces: BTreeSet<String> = refs
            .iter()
            .filter_map(|r| r.namespace())
            .map(str::to_owned)
            .collect();
        for live in list_kind(cluster, &resolved, &selector, &namespaces).await? {
            if let Some(slot) = state.get_mut(live.reference()) {
                *slot = assess(live.manifest());
            }
        }
    }
    Ok(state.into_iter().collect())
}

fn settled(health: &Health) -> bool {
    matches!(health.status, Status::Current | Status::Failed)
}

pub(super) async fn wait(
    cluster: &KubeCluster,
    objects: &[Object],
    timeout: Duration,
) -> Result<Vec<(ObjectRef, Health)>, Error> {
    let selector = selector(objects);
    let mut state: HashMap<ObjectRef, Health> = objects
        .iter()
        .map(|o| (o.reference().clone(), missing()))
        .collect();
    let mut watches = Vec::new();
    for (resolved, refs) in by_kind(cluster, objects).await? {
        let namespaces: BTreeSet<&str> = refs.iter().filter_map(|r| r.namespace()).collect();
        let namespace = match namespaces.iter().collect::<Vec<_>>().as_slice() {
            [only] => Some(**only),
            _ => None,
        };
        let api = cluster.api(&resolved, namespace);
        let mut config = watcher::Config::default();
        if !selector.is_empty() {
            config = config.labels(&selector);
        } else if let [only] = refs.as_slice() {
            config = config.fields(&format!("metadata.name={}", only.name));
        }
        let resolved = resolved.clone();
        watches.push(
            watcher::watcher(api, config)
                .default_backoff()
                .map(move |event| (resolved.clone(), event))
                .boxed(),
        );
    }
    let mut events = stream::select_all(watches);
    let deadline = tokio::time::Instant::now() + timeout;
    while !state.values().all(settled) {
        let next = tokio::time::timeout_at(deadline, events.next()).await;
        let (resolved, event) = match next {
            Ok(Some(item)) => item,
            Ok(None) | Err(_) => break,
        };
        match event {
            Ok(Event::Apply(item) | Event::InitApply(item)) => {
                if let Some(live) = to_object(item, &resolved)
                    && let Some(slot) = state.get_mut(live.reference())
                {
                    *slot = assess(live.manifest());
                }
            }
            Ok(Event::Delete(item)) => {
                if let Some(live) = to_object(item, &resolved)
                    && let Some(slot) = state.get_mut(live.reference())
                {
                    *slot = Health::new(Status::Unknown, "deleted");
                }
            }
            Ok(Event::Init | Event::InitDone) => {}
            // The watcher retries with backoff; a failing watch only delays the answer.
            Err(e) => tracing::debug!(error = %e, "watch error"),
        }
    }
    let mut out: Vec<(ObjectRef, Health)> = state.into_iter().collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, health) in &mut out {
        if !settled(health) && health.message.is_empty() {
            health.message = "timed out".to_owned();
        }
    }
    Ok(out)
}
