//! Optional kwok-style children (`Options::simulate_pods`): Deployments own a
//! ReplicaSet per pod template, ReplicaSets, StatefulSets, DaemonSets and Jobs own Pod
//! objects on one simulated node. Nothing runs; the objects only look the part.

use serde_json::{Value, json};

use super::{CONTROLLER_MANAGER, SIMULATE_ANNOTATION, status::annotation};
use crate::registry::ResourceKey;
use crate::ssa::fieldpath::Scope;
use crate::store::{ObjRef, State};
use crate::util::{get_path, get_str};
use crate::write::{self, WriteOpts};

/// The one simulated node pods are bound to.
pub const NODE_NAME: &str = "testcluster-node";

fn opts() -> WriteOpts<'static> {
    WriteOpts {
        manager: CONTROLLER_MANAGER,
        dry_run: false,
        scope: Scope::Main,
        strict: false,
    }
}

fn key(group: &str, plural: &str) -> ResourceKey {
    ResourceKey {
        group: group.into(),
        plural: plural.into(),
    }
}

fn owner_ref(v: &Value) -> Value {
    json!({
        "apiVersion": v.get("apiVersion").cloned().unwrap_or(Value::Null),
        "kind": v.get("kind").cloned().unwrap_or(Value::Null),
        "name": v.pointer("/metadata/name").cloned().unwrap_or(Value::Null),
        "uid": v.pointer("/metadata/uid").cloned().unwrap_or(Value::Null),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

fn children(st: &State, owner: &Value, of: &ResourceKey) -> Vec<ObjRef> {
    write::dependents(st, owner)
        .into_iter()
        .filter(|d| &d.key == of)
        .filter(|d| {
            st.get(&d.key, &d.namespace, &d.name)
                .is_some_and(|o| get_path(&o.value, &["metadata", "deletionTimestamp"]).is_none())
        })
        .collect()
}

fn create(st: &mut State, group: &str, plural: &str, ns: &str, obj: Value) {
    let Some(def) = st.registry.by_key(&key(group, plural)) else {
        return;
    };
    if let Err(e) = write::create(st, &def, ns, obj, &opts()) {
        tracing::debug!(error = %e.message, "simulated child not created");
    }
}

/// A pod from a workload's template.
fn pod_from(owner: &Value, template: &Value, extra_labels: &Value, name: Option<String>) -> Value {
    let mut meta = template.get("metadata").cloned().unwrap_or(json!({}));
    if let (Some(labels), Some(extra)) = (
        meta.as_object_mut()
            .map(|m| m.entry("labels").or_insert_with(|| json!({}))),
        extra_labels.as_object(),
    ) {
        for (k, v) in extra {
            labels[k] = v.clone();
        }
    }
    let sim = annotation(owner);
    if !sim.is_empty() {
        meta["annotations"][SIMULATE_ANNOTATION] = json!(sim);
    }
    match name {
        Some(n) => meta["name"] = json!(n),
        None => {
            meta["generateName"] = json!(format!(
                "{}-",
                get_str(owner, &["metadata", "name"]).unwrap_or("pod")
            ));
        }
    }
    meta["ownerReferences"] = json!([owner_ref(owner)]);
    let mut spec = template.get("spec").cloned().unwrap_or(json!({}));
    spec["nodeName"] = json!(NODE_NAME);
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec})
}

fn scale_pods(st: &mut State, owner: &Value, template: &Value, extra_labels: &Value, want: usize) {
    let ns = get_str(owner, &["metadata", "namespace"])
        .unwrap_or_default()
        .to_string();
    let pods = children(st, owner, &key("", "pods"));
    for _ in pods.len()..want {
        create(
            st,
            "",
            "pods",
            &ns,
            pod_from(owner, template, extra_labels, None),
        );
    }
    for extra in pods.iter().skip(want) {
        write::mark_deleted(st, &extra.key, &extra.namespace, &extra.name, "Background");
    }
}

fn replicas(v: &Value) -> usize {
    get_path(v, &["spec", "replicas"])
        .and_then(Value::as_u64)
        .map_or(1, |n| n as usize)
}

fn deployment(st: &mut State, v: &Value) {
    let name = get_str(v, &["metadata", "name"])
        .unwrap_or_default()
        .to_string();
    let ns = get_str(v, &["metadata", "namespace"])
        .unwrap_or_default()
        .to_string();
    let template = v.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let hash = super::status::short_hash(&template);
    let rs_name = format!("{name}-{hash}");
    let rs_key = key("apps", "replicasets");
    let want = replicas(v) as i64;
    for rs in children(st, v, &rs_key) {
        let Some(o) = st.get(&rs.key, &rs.namespace, &rs.name) else {
            continue;
        };
        let target = if rs.name == rs_name { want } else { 0 };
        if get_path(&o.value, &["spec", "replicas"]).and_then(Value::as_i64) != Some(target) {
            let mut nv = o.value.clone();
            nv["spec"]["replicas"] = json!(target);
            if let Some(def) = st.registry.by_key(&rs_key) {
                let _ = write::update(st, &def, &ns, &rs.name, nv, &opts());
            }
        }
    }
    if st.get(&rs_key, &ns, &rs_name).is_some() {
        return;
    }
    let mut tpl = template;
    tpl["metadata"]["labels"]["pod-template-hash"] = json!(hash);
    let mut selector = v.pointer("/spec/selector").cloned().unwrap_or(json!({}));
    selector["matchLabels"]["pod-template-hash"] = json!(hash);
    let mut labels = tpl
        .pointer("/metadata/labels")
        .cloned()
        .unwrap_or(json!({}));
    labels["pod-template-hash"] = json!(hash);
    let mut meta = json!({"name": rs_name, "labels": labels, "ownerReferences": [owner_ref(v)]});
    let sim = annotation(v);
    if !sim.is_empty() {
        meta["annotations"] = json!({SIMULATE_ANNOTATION: sim});
    }
    let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta,
        "spec": {"replicas": want, "selector": selector, "template": tpl}});
    create(st, "apps", "replicasets", &ns, rs);
}

fn statefulset(st: &mut State, v: &Value) {
    let name = get_str(v, &["metadata", "name"])
        .unwrap_or_default()
        .to_string();
    let ns = get_str(v, &["metadata", "namespace"])
        .unwrap_or_default()
        .to_string();
    let template = v.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let want = replicas(v);
    let pods_key = key("", "pods");
    for i in 0..want {
        let pod = format!("{name}-{i}");
        if st.get(&pods_key, &ns, &pod).is_none() {
            let labels = json!({"statefulset.kubernetes.io/pod-name": pod, "apps.kubernetes.io/pod-index": i.to_string()});
            create(
                st,
                "",
                "pods",
                &ns,
                pod_from(v, &template, &labels, Some(pod.clone())),
            );
        }
    }
    for p in children(st, v, &pods_key) {
        let ordinal = p
            .name
            .rsplit('-')
            .next()
            .and_then(|n| n.parse::<usize>().ok());
        if ordinal.is_none_or(|o| o >= want) {
            write::mark_deleted(st, &p.key, &p.namespace, &p.name, "Background");
        }
    }
}

/// Creates or removes the children of a workload.
pub fn reconcile(st: &mut State, r: &ObjRef, v: &Value) {
    let template = v.pointer("/spec/template").cloned().unwrap_or(json!({}));
    match (r.key.group.as_str(), r.key.plural.as_str()) {
        ("apps", "deployments") => deployment(st, v),
        ("apps", "replicasets") => {
            let hash = v
                .pointer("/metadata/labels/pod-template-hash")
                .cloned()
                .map(|h| json!({"pod-template-hash": h}))
                .unwrap_or(json!({}));
            scale_pods(st, v, &template, &hash, replicas(v));
        }
        ("apps", "statefulsets") => statefulset(st, v),
        ("apps", "daemonsets") => scale_pods(st, v, &template, &json!({}), 1),
        ("batch", "jobs")
            if get_path(v, &["spec", "suspend"]).and_then(Value::as_bool) != Some(true) =>
        {
            let labels = v
                .pointer("/spec/template/metadata/labels")
                .cloned()
                .unwrap_or(json!({}));
            scale_pods(st, v, &template, &labels, 1);
        }
        _ => {}
    }
}

/// The simulated node.
pub fn node() -> Value {
    json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": NODE_NAME, "labels": {"kubernetes.io/hostname": NODE_NAME, "kubernetes.io/os": "linux", "type": "testcluster"}},
        "spec": {},
        "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "simulated node (no pods run)"}],
            "capacity": {"cpu": "32", "memory": "256Gi", "pods": "1100"},
            "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "1100"},
            "nodeInfo": {"kubeletVersion": "v1.33.0-testcluster", "operatingSystem": "linux", "architecture": "amd64",
                "containerRuntimeVersion": "none://0", "kernelVersion": "", "osImage": "testcluster", "kubeProxyVersion": "",
                "machineID": "", "systemUUID": "", "bootID": ""}}})
}
