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

mod pods;
mod status;

pub use pods::{NODE_NAME, node};

use status::{
    cond, daemonset_status, deployment_status, generation, job_status, pod_status,
    replicaset_status, stamp_conditions, statefulset_status,
};

use crate::registry::ResourceKey;
use crate::ssa::fieldpath::Scope;
use crate::store::{ObjRef, State, Store};
use crate::util::{get_path, get_str};
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
    pods: bool,
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
    pub fn new(store: Arc<Store>, delay: Duration, pods: bool) -> Arc<Self> {
        Arc::new(Self {
            store,
            delay: Mutex::new(delay),
            skip: std::sync::atomic::AtomicBool::new(false),
            pending: Mutex::new(HashMap::new()),
            wake: Notify::new(),
            idle: watch::channel(true).0,
            pods,
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
                reconcile(&mut st, &r, self.pods);
            }
        }
        self.idle.send_replace(pending.is_empty());
        pending.values().min().copied()
    }
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

fn reconcile(st: &mut State, r: &ObjRef, pods: bool) {
    let Some(obj) = st.get(&r.key, &r.namespace, &r.name) else {
        return;
    };
    let v = obj.value.clone();
    if get_path(&v, &["metadata", "deletionTimestamp"]).is_some() {
        finish_deletion(st, r, &v);
        return;
    }
    if pods {
        pods::reconcile(st, r, &v);
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
