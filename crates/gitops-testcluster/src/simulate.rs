//! The simulated controllers (in the spirit of kwok): workload status progression after
//! a delay, Jobs completing, PVCs binding, LoadBalancer addresses, CRDs becoming
//! Established, namespace finalization and foreground deletion.
//!
//! The annotation `testcluster.gitops.rs/simulate` with `rollout-stuck`,
//! `image-pull-error` or `job-fails` makes an object fail instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use crate::registry::ResourceKey;
use crate::ssa::fieldpath::Scope;
use crate::store::{ObjRef, State, Store};
use crate::util::{get_path, get_str, now_rfc3339};
use crate::write::{self, WriteOpts};

/// The annotation that makes an object fail in a chosen way.
pub const SIMULATE_ANNOTATION: &str = "testcluster.gitops.rs/simulate";

/// Least time a terminating namespace stays before its contents go (skipped by
/// [`Simulation::skip_delays`]).
const NAMESPACE_TERMINATION: Duration = Duration::from_millis(300);

/// The field manager the simulated controllers write status with.
pub const CONTROLLER_MANAGER: &str = "testcluster-controller";

/// Runs the simulated controllers.
#[derive(Debug)]
pub struct Simulation {
    store: Arc<Store>,
    delay: Mutex<Duration>,
    skip: std::sync::atomic::AtomicBool,
    pending: Mutex<HashMap<ObjRef, Instant>>,
    wake: Notify,
    idle: watch::Sender<bool>,
}

fn delayed(key: &ResourceKey) -> Option<bool> {
    match (key.group.as_str(), key.plural.as_str()) {
        ("apps", "deployments" | "statefulsets" | "daemonsets" | "replicasets")
        | ("batch", "jobs")
        | ("networking.k8s.io", "ingresses")
        | ("policy", "poddisruptionbudgets")
        | ("autoscaling", "horizontalpodautoscalers")
        | ("", "persistentvolumeclaims" | "services" | "pods") => Some(true),
        ("apiextensions.k8s.io", "customresourcedefinitions") | ("", "namespaces") => Some(false),
        _ => None,
    }
}

impl Simulation {
    /// A simulation over a store.
    pub fn new(store: Arc<Store>, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            store,
            delay: Mutex::new(delay),
            skip: std::sync::atomic::AtomicBool::new(false),
            pending: Mutex::new(HashMap::new()),
            wake: Notify::new(),
            idle: watch::channel(true).0,
        })
    }

    /// Changes the progression delay for changes seen from now on.
    pub fn set_delay(&self, d: Duration) {
        *self.delay.lock().unwrap_or_else(|p| p.into_inner()) = d;
    }

    /// Makes everything pending happen now.
    pub fn skip_delays(&self) {
        self.skip.store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Subscribes to idleness (true when nothing is pending).
    pub fn idle(&self) -> watch::Receiver<bool> {
        self.idle.subscribe()
    }

    /// Runs until `shutdown` flips.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        loop {
            let next = self.step();
            let sleep = match next {
                Some(t) => tokio::time::sleep_until(t),
                None => tokio::time::sleep(Duration::from_secs(3600)),
            };
            tokio::select! {
                _ = self.store.changed.notified() => {}
                _ = self.wake.notified() => {}
                _ = sleep => {}
                r = shutdown.changed() => if r.is_err() || *shutdown.borrow() { return },
            }
        }
    }

    /// One pass: takes new changes, reconciles what is due; returns the next due time.
    pub fn step(&self) -> Option<Instant> {
        let mut st = self.store.lock();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let delay = *self.delay.lock().unwrap_or_else(|p| p.into_inner());
        for _ in 0..10_000 {
            let now = Instant::now();
            for r in std::mem::take(&mut st.dirty) {
                let deleting = st.get(&r.key, &r.namespace, &r.name).is_some_and(|o| {
                    get_path(&o.value, &["metadata", "deletionTimestamp"]).is_some()
                });
                match delayed(&r.key) {
                    // A terminating namespace empties after a moment, as on a real
                    // cluster, so `kubectl delete -f` can still delete its contents.
                    _ if deleting && r.key == write::namespaces_key() => {
                        pending.insert(r, now + delay.max(NAMESPACE_TERMINATION));
                    }
                    _ if deleting => {
                        pending.insert(r, now);
                    }
                    Some(true) => {
                        pending.insert(r, now + delay);
                    }
                    Some(false) => {
                        pending.insert(r, now);
                    }
                    None => {}
                }
            }
            if self.skip.swap(false, std::sync::atomic::Ordering::SeqCst) {
                for d in pending.values_mut() {
                    *d = now;
                }
            }
            let due: Vec<ObjRef> = pending
                .iter()
                .filter(|(_, t)| **t <= now)
                .map(|(r, _)| r.clone())
                .collect();
            if due.is_empty() && st.dirty.is_empty() {
                break;
            }
            for r in due {
                pending.remove(&r);
                reconcile(&mut st, &r);
            }
        }
        self.idle.send_replace(pending.is_empty());
        pending.values().min().copied()
    }
}

fn annotation(v: &Value) -> &str {
    v.pointer("/metadata/annotations")
        .and_then(|a| a.get(SIMULATE_ANNOTATION))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn short_hash(v: &Value) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in v.to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:x}", h % 0xff_ffff_ffff)
}

fn cond(t: &str, status: &str, reason: &str, message: &str) -> Value {
    json!({"type": t, "status": status, "reason": reason, "message": message})
}

/// Keeps timestamps of conditions that did not change, sets them on new ones.
fn stamp_conditions(old: Option<&Value>, conds: Vec<Value>, update_time: bool) -> Value {
    let now = now_rfc3339();
    let old: Vec<Value> = old.and_then(Value::as_array).cloned().unwrap_or_default();
    Value::Array(
        conds
            .into_iter()
            .map(|mut c| {
                let same = old.iter().find(|o| {
                    o.get("type") == c.get("type")
                        && o.get("status") == c.get("status")
                        && o.get("reason") == c.get("reason")
                });
                for f in ["lastTransitionTime", "lastUpdateTime", "lastProbeTime"] {
                    if f != "lastTransitionTime" && !(update_time && f == "lastUpdateTime") {
                        continue;
                    }
                    let t = same
                        .and_then(|o| o.get(f))
                        .cloned()
                        .unwrap_or_else(|| json!(now));
                    c[f] = t;
                }
                c
            })
            .collect(),
    )
}

fn replicas(v: &Value) -> i64 {
    get_path(v, &["spec", "replicas"])
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

fn generation(v: &Value) -> i64 {
    get_path(v, &["metadata", "generation"])
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

fn deployment_status(v: &Value) -> Value {
    let n = replicas(v);
    let name = get_str(v, &["metadata", "name"]).unwrap_or_default();
    let rs = format!(
        "{name}-{}",
        short_hash(v.pointer("/spec/template").unwrap_or(&Value::Null))
    );
    let old = v.pointer("/status/conditions");
    let mode = annotation(v);
    let (conds, ready) = match mode {
        "rollout-stuck" | "image-pull-error" => (
            vec![
                cond(
                    "Available",
                    "False",
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.",
                ),
                if mode == "rollout-stuck" {
                    cond(
                        "Progressing",
                        "False",
                        "ProgressDeadlineExceeded",
                        &format!("ReplicaSet \"{rs}\" has timed out progressing."),
                    )
                } else {
                    cond(
                        "Progressing",
                        "True",
                        "ReplicaSetUpdated",
                        &format!("ReplicaSet \"{rs}\" is progressing."),
                    )
                },
            ],
            0,
        ),
        _ => (
            vec![
                cond(
                    "Available",
                    "True",
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.",
                ),
                cond(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    &format!("ReplicaSet \"{rs}\" has successfully progressed."),
                ),
            ],
            n,
        ),
    };
    let mut s = json!({
        "observedGeneration": generation(v),
        "replicas": n,
        "updatedReplicas": n,
        "conditions": stamp_conditions(old, conds, true),
    });
    if ready > 0 {
        s["readyReplicas"] = json!(ready);
        s["availableReplicas"] = json!(ready);
    }
    if n - ready > 0 {
        s["unavailableReplicas"] = json!(n - ready);
    }
    if n == 0
        && let Some(m) = s.as_object_mut()
    {
        {
            m.remove("replicas");
            m.remove("updatedReplicas");
        }
    }
    s
}

fn statefulset_status(v: &Value) -> Value {
    let n = replicas(v);
    let failing = !annotation(v).is_empty();
    let ready = if failing { 0 } else { n };
    let rev = format!(
        "{}-{}",
        get_str(v, &["metadata", "name"]).unwrap_or_default(),
        short_hash(v.pointer("/spec/template").unwrap_or(&Value::Null))
    );
    let mut s = json!({
        "observedGeneration": generation(v),
        "replicas": n,
        "currentReplicas": n,
        "updatedReplicas": n,
        "currentRevision": rev,
        "updateRevision": rev,
        "collisionCount": 0,
        "availableReplicas": ready,
    });
    if ready > 0 {
        s["readyReplicas"] = json!(ready);
    }
    s
}

fn daemonset_status(v: &Value) -> Value {
    let ready = i64::from(annotation(v).is_empty());
    json!({
        "observedGeneration": generation(v),
        "currentNumberScheduled": 1,
        "desiredNumberScheduled": 1,
        "numberMisscheduled": 0,
        "numberReady": ready,
        "numberAvailable": ready,
        "updatedNumberScheduled": 1,
    })
}

fn replicaset_status(v: &Value) -> Value {
    let n = replicas(v);
    let ready = if annotation(v).is_empty() { n } else { 0 };
    let mut s =
        json!({"observedGeneration": generation(v), "replicas": n, "fullyLabeledReplicas": n});
    if ready > 0 {
        s["readyReplicas"] = json!(ready);
        s["availableReplicas"] = json!(ready);
    }
    s
}

fn job_status(v: &Value) -> Option<Value> {
    if get_path(v, &["spec", "suspend"]).and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let old = v.get("status");
    let start = old
        .and_then(|s| s.get("startTime"))
        .cloned()
        .unwrap_or_else(|| json!(now_rfc3339()));
    let conds = v.pointer("/status/conditions");
    if annotation(v) == "job-fails" {
        let failed = get_path(v, &["spec", "backoffLimit"])
            .and_then(Value::as_i64)
            .unwrap_or(6)
            + 1;
        return Some(json!({
            "startTime": start,
            "failed": failed,
            "ready": 0,
            "terminating": 0,
            "uncountedTerminatedPods": {},
            "conditions": stamp_conditions(conds, vec![
                cond("FailureTarget", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
                cond("Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
            ], false),
        }));
    }
    let completions = get_path(v, &["spec", "completions"])
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let done = old
        .and_then(|s| s.get("completionTime"))
        .cloned()
        .unwrap_or_else(|| json!(now_rfc3339()));
    Some(json!({
        "startTime": start,
        "completionTime": done,
        "succeeded": completions,
        "ready": 0,
        "terminating": 0,
        "uncountedTerminatedPods": {},
        "conditions": stamp_conditions(conds, vec![
            cond("SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
            cond("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
        ], false),
    }))
}

fn pod_status(v: &Value) -> Value {
    let containers: Vec<Value> = v
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| (get_str(c, &["name"]).unwrap_or_default(), get_str(c, &["image"]).unwrap_or_default()))
        .map(|(n, i)| {
            if annotation(v) == "image-pull-error" {
                json!({"name": n, "image": i, "ready": false, "started": false, "restartCount": 0, "imageID": "",
                    "state": {"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{i}\"")}}})
            } else {
                json!({"name": n, "image": i, "ready": true, "started": true, "restartCount": 0, "imageID": i,
                    "state": {"running": {"startedAt": "1970-01-01T00:00:00Z"}}})
            }
        })
        .collect();
    let ok = annotation(v) != "image-pull-error";
    let old = v.pointer("/status/conditions");
    json!({
        "phase": if ok { "Running" } else { "Pending" },
        "podIP": "10.244.0.10",
        "hostIP": "10.0.0.1",
        "conditions": stamp_conditions(old, vec![
            json!({"type": "PodScheduled", "status": "True"}),
            json!({"type": "Initialized", "status": "True"}),
            json!({"type": "ContainersReady", "status": if ok { "True" } else { "False" }}),
            json!({"type": "Ready", "status": if ok { "True" } else { "False" }}),
        ], false),
        "containerStatuses": containers,
    })
}

fn write_status(st: &mut State, r: &ObjRef, v: &Value, status: Value) {
    let Some(def) = st.registry.by_key(&r.key) else {
        return;
    };
    if v.get("status") == Some(&status) {
        return;
    }
    let mut new = v.clone();
    new["status"] = status;
    let o = WriteOpts {
        manager: CONTROLLER_MANAGER,
        dry_run: false,
        scope: if def.status {
            Scope::Status
        } else {
            Scope::Main
        },
        strict: false,
    };
    if let Err(e) = write::update(st, &def, &r.namespace, &r.name, new, &o) {
        tracing::debug!(object = %r.name, error = %e.message, "simulated status write failed");
    }
}

fn reconcile(st: &mut State, r: &ObjRef) {
    let Some(obj) = st.get(&r.key, &r.namespace, &r.name) else {
        return;
    };
    let v = obj.value.clone();
    if get_path(&v, &["metadata", "deletionTimestamp"]).is_some() {
        finish_deletion(st, r, &v);
        return;
    }
    match (r.key.group.as_str(), r.key.plural.as_str()) {
        ("apiextensions.k8s.io", "customresourcedefinitions") => establish(st, r, &v),
        ("apps", "deployments") => write_status(st, r, &v, deployment_status(&v)),
        ("apps", "statefulsets") => write_status(st, r, &v, statefulset_status(&v)),
        ("apps", "daemonsets") => write_status(st, r, &v, daemonset_status(&v)),
        ("apps", "replicasets") => write_status(st, r, &v, replicaset_status(&v)),
        ("batch", "jobs") => {
            if let Some(s) = job_status(&v) {
                write_status(st, r, &v, s);
            }
        }
        ("", "pods") => write_status(st, r, &v, pod_status(&v)),
        ("networking.k8s.io", "ingresses") => {
            let ip = v
                .pointer("/status/loadBalancer/ingress/0/ip")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("192.0.2.{}", st.seq % 250 + 1));
            write_status(
                st,
                r,
                &v,
                json!({"loadBalancer": {"ingress": [{"ip": ip}]}}),
            );
        }
        ("policy", "poddisruptionbudgets") => {
            let old = v.pointer("/status/conditions");
            let s = json!({
                "observedGeneration": generation(&v),
                "currentHealthy": 1,
                "desiredHealthy": 1,
                "expectedPods": 1,
                "disruptionsAllowed": 0,
                "conditions": stamp_conditions(old, vec![cond("DisruptionAllowed", "False", "InsufficientPods", "")], false),
            });
            write_status(st, r, &v, s);
        }
        ("autoscaling", "horizontalpodautoscalers") => {
            let n = get_path(&v, &["spec", "minReplicas"])
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let old = v.pointer("/status/conditions");
            let s = json!({
                "observedGeneration": generation(&v),
                "currentReplicas": n,
                "desiredReplicas": n,
                "conditions": stamp_conditions(old, vec![
                    cond("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size"),
                    cond("ScalingActive", "True", "ValidMetricFound", "the HPA was able to successfully calculate a replica count"),
                    cond("ScalingLimited", "False", "DesiredWithinRange", "the desired count is within the acceptable range"),
                ], false),
            });
            write_status(st, r, &v, s);
        }
        ("", "persistentvolumeclaims") => {
            let s = json!({
                "phase": "Bound",
                "accessModes": v.pointer("/spec/accessModes").cloned().unwrap_or(json!(["ReadWriteOnce"])),
                "capacity": {"storage": v.pointer("/spec/resources/requests/storage").cloned().unwrap_or(json!("1Gi"))},
            });
            write_status(st, r, &v, s);
        }
        ("", "services") if get_str(&v, &["spec", "type"]) == Some("LoadBalancer") => {
            let n = st.seq % 250 + 1;
            let ip = v
                .pointer("/status/loadBalancer/ingress/0/ip")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("192.0.2.{n}"));
            write_status(
                st,
                r,
                &v,
                json!({"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}}),
            );
        }
        _ => {}
    }
}

fn establish(st: &mut State, r: &ObjRef, v: &Value) {
    let ok = crate::crd::register(st, v);
    let storage: Vec<Value> = v
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|x| x.get("storage").and_then(Value::as_bool) == Some(true))
        .filter_map(|x| x.get("name").cloned())
        .collect();
    let old = v.pointer("/status/conditions");
    let conds = if ok {
        vec![
            cond("NamesAccepted", "True", "NoConflicts", "no conflicts found"),
            cond(
                "Established",
                "True",
                "InitialNamesAccepted",
                "the initial names have been accepted",
            ),
        ]
    } else {
        vec![cond(
            "NamesAccepted",
            "False",
            "InvalidNames",
            "spec.names are incomplete",
        )]
    };
    let status = json!({
        "conditions": stamp_conditions(old, conds, false),
        "acceptedNames": v.pointer("/spec/names").cloned().unwrap_or(json!({})),
        "storedVersions": storage,
    });
    write_status(st, r, v, status);
}

fn finish_deletion(st: &mut State, r: &ObjRef, v: &Value) {
    let finalizers: Vec<String> = v
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect();
    if r.key == write::namespaces_key() {
        for o in st.in_namespace(&r.name) {
            let marked = st
                .get(&o.key, &o.namespace, &o.name)
                .is_some_and(|x| get_path(&x.value, &["metadata", "deletionTimestamp"]).is_some());
            if !marked {
                write::mark_deleted(st, &o.key, &o.namespace, &o.name, "Background");
            }
        }
        if st.namespace_is_empty(&r.name) && finalizers.is_empty() {
            write::purge(st, &r.key, "", &r.name);
        }
        return;
    }
    if finalizers.iter().any(|f| f == "foregroundDeletion") && write::dependents(st, v).is_empty() {
        let mut new = v.clone();
        let rest: Vec<&String> = finalizers
            .iter()
            .filter(|f| *f != "foregroundDeletion")
            .collect();
        new["metadata"]["finalizers"] = json!(rest);
        if rest.is_empty() {
            write::purge(st, &r.key, &r.namespace, &r.name);
        } else {
            st.put(&r.key, new);
        }
    }
}
