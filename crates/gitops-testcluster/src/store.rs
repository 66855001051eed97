//! The in-memory object store: objects per resource, a global resourceVersion, an event
//! history for watches, and indexes by uid and owner.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::{Notify, broadcast};

use crate::registry::{Registry, ResourceKey};
use crate::util::get_str;

/// A stored object with its serialized JSON (serialized once per write).
#[derive(Debug)]
pub struct StoredObject {
    /// The object.
    pub value: Value,
    /// Its JSON bytes.
    pub json: Bytes,
}

impl StoredObject {
    /// Wraps and serializes.
    pub fn new(value: Value) -> Arc<Self> {
        let json = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
        Arc::new(Self { value, json })
    }
}

/// A shared stored object.
pub type Obj = Arc<StoredObject>;

/// Watch event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// Created.
    Added,
    /// Changed.
    Modified,
    /// Removed.
    Deleted,
}

impl EventType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }
}

/// One change.
#[derive(Debug)]
pub struct Event {
    /// resourceVersion of the change.
    pub rv: u64,
    /// Type.
    pub kind: EventType,
    /// Resource.
    pub key: ResourceKey,
    /// Namespace ("" for cluster-scoped).
    pub namespace: String,
    /// Object after the change (the last state for deletions).
    pub object: Obj,
    /// Object before the change.
    pub previous: Option<Obj>,
}

/// A reference to a stored object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef {
    /// Resource.
    pub key: ResourceKey,
    /// Namespace ("" for cluster-scoped).
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// Mutable state, behind one lock.
#[derive(Debug)]
pub struct State {
    /// Served resources.
    pub registry: Registry,
    /// The last resourceVersion handed out.
    pub rv: u64,
    objects: HashMap<ResourceKey, BTreeMap<(String, String), Obj>>,
    history: VecDeque<Arc<Event>>,
    history_cap: usize,
    /// resourceVersions at or below this are too old to watch from.
    compacted: u64,
    by_uid: HashMap<String, ObjRef>,
    dependents: HashMap<String, BTreeSet<ObjRef>>,
    /// Objects changed since the simulation controller last looked.
    pub dirty: Vec<ObjRef>,
    /// Counter for allocated addresses and ports.
    pub seq: u64,
    events_tx: broadcast::Sender<Arc<Event>>,
}

fn owner_uids(v: &Value) -> Vec<String> {
    v.get("metadata")
        .and_then(|m| m.get("ownerReferences"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| o.get("uid").and_then(Value::as_str).map(str::to_string))
        .collect()
}

impl State {
    /// One object.
    pub fn get(&self, key: &ResourceKey, namespace: &str, name: &str) -> Option<Obj> {
        self.objects
            .get(key)?
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    /// Objects of a resource, optionally in one namespace, ordered by (namespace, name).
    pub fn list(&self, key: &ResourceKey, namespace: Option<&str>) -> Vec<Obj> {
        let Some(m) = self.objects.get(key) else {
            return vec![];
        };
        match namespace {
            None => m.values().cloned().collect(),
            Some(ns) => m
                .range((ns.to_string(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
                .map(|(_, o)| o.clone())
                .collect(),
        }
    }

    /// Objects after a `(namespace, name)` cursor, at most `limit` + whether more remain.
    pub fn list_page(
        &self,
        key: &ResourceKey,
        namespace: Option<&str>,
        after: Option<&(String, String)>,
        mut keep: impl FnMut(&Obj) -> bool,
        limit: usize,
    ) -> (Vec<Obj>, Option<(String, String)>) {
        let Some(m) = self.objects.get(key) else {
            return (vec![], None);
        };
        let start = match (after, namespace) {
            (Some(a), _) => std::ops::Bound::Excluded(a.clone()),
            (None, Some(ns)) => std::ops::Bound::Included((ns.to_string(), String::new())),
            (None, None) => std::ops::Bound::Unbounded,
        };
        let mut out = vec![];
        for (k, o) in m.range((start, std::ops::Bound::Unbounded)) {
            if namespace.is_some_and(|ns| k.0 != ns) {
                break;
            }
            if !keep(o) {
                continue;
            }
            if out.len() == limit {
                let last = out
                    .last()
                    .map(|o: &Obj| (ns_of(&o.value), name_of(&o.value)));
                return (out, last);
            }
            out.push(o.clone());
        }
        (out, None)
    }

    /// Number of objects of a resource.
    pub fn count(&self, key: &ResourceKey) -> usize {
        self.objects.get(key).map_or(0, BTreeMap::len)
    }

    /// Every object of every resource.
    pub fn all_objects(&self) -> Vec<(ResourceKey, Obj)> {
        let mut keys: Vec<&ResourceKey> = self.objects.keys().collect();
        keys.sort();
        keys.into_iter()
            .flat_map(|k| {
                self.objects[k]
                    .values()
                    .map(move |o| (k.clone(), o.clone()))
            })
            .collect()
    }

    /// Whether any object lives in a namespace.
    pub fn namespace_is_empty(&self, ns: &str) -> bool {
        self.objects.values().all(|m| {
            m.range((ns.to_string(), String::new())..)
                .next()
                .is_none_or(|((n, _), _)| n != ns)
        })
    }

    /// Objects in a namespace across all resources.
    pub fn in_namespace(&self, ns: &str) -> Vec<ObjRef> {
        let mut out = vec![];
        for (k, m) in &self.objects {
            for ((n, name), _) in m.range((ns.to_string(), String::new())..) {
                if n != ns {
                    break;
                }
                out.push(ObjRef {
                    key: k.clone(),
                    namespace: n.clone(),
                    name: name.clone(),
                });
            }
        }
        out
    }

    /// The object with a uid.
    pub fn by_uid(&self, uid: &str) -> Option<ObjRef> {
        self.by_uid.get(uid).cloned()
    }

    /// Objects whose ownerReferences name this uid.
    pub fn dependents_of(&self, uid: &str) -> Vec<ObjRef> {
        self.dependents
            .get(uid)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn index_remove(&mut self, r: &ObjRef, v: &Value) {
        if let Some(uid) = get_str(v, &["metadata", "uid"]) {
            self.by_uid.remove(uid);
        }
        for o in owner_uids(v) {
            if let Some(s) = self.dependents.get_mut(&o) {
                s.remove(r);
                if s.is_empty() {
                    self.dependents.remove(&o);
                }
            }
        }
    }

    fn index_add(&mut self, r: &ObjRef, v: &Value) {
        if let Some(uid) = get_str(v, &["metadata", "uid"]) {
            self.by_uid.insert(uid.to_string(), r.clone());
        }
        for o in owner_uids(v) {
            self.dependents.entry(o).or_default().insert(r.clone());
        }
    }

    fn record(&mut self, ev: Event) {
        let ev = Arc::new(ev);
        if self.history.len() >= self.history_cap
            && let Some(old) = self.history.pop_front()
        {
            self.compacted = old.rv;
        }
        self.history.push_back(ev.clone());
        let _ = self.events_tx.send(ev);
    }

    /// Stores an object (assigning the next resourceVersion) and records the event.
    pub fn put(&mut self, key: &ResourceKey, mut value: Value) -> Obj {
        self.rv += 1;
        let rv = self.rv;
        crate::util::set_path(
            &mut value,
            &["metadata", "resourceVersion"],
            Value::String(rv.to_string()),
        );
        let ns = ns_of(&value);
        let name = name_of(&value);
        let r = ObjRef {
            key: key.clone(),
            namespace: ns.clone(),
            name: name.clone(),
        };
        let obj = StoredObject::new(value);
        let prev = self
            .objects
            .entry(key.clone())
            .or_default()
            .insert((ns.clone(), name), obj.clone());
        if let Some(p) = &prev {
            self.index_remove(&r, &p.value);
        }
        self.index_add(&r, &obj.value);
        self.dirty.push(r);
        self.record(Event {
            rv,
            kind: if prev.is_some() {
                EventType::Modified
            } else {
                EventType::Added
            },
            key: key.clone(),
            namespace: ns,
            object: obj.clone(),
            previous: prev,
        });
        obj
    }

    /// Removes an object, recording a DELETED event; returns its last state.
    pub fn remove(&mut self, key: &ResourceKey, namespace: &str, name: &str) -> Option<Obj> {
        let prev = self
            .objects
            .get_mut(key)?
            .remove(&(namespace.to_string(), name.to_string()))?;
        self.rv += 1;
        let rv = self.rv;
        let r = ObjRef {
            key: key.clone(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        };
        self.index_remove(&r, &prev.value);
        let mut last = prev.value.clone();
        crate::util::set_path(
            &mut last,
            &["metadata", "resourceVersion"],
            Value::String(rv.to_string()),
        );
        let obj = StoredObject::new(last);
        // Owners waiting for their dependents (foreground deletion) need a look.
        for o in owner_uids(&prev.value) {
            if let Some(owner) = self.by_uid.get(&o).cloned() {
                self.dirty.push(owner);
            }
        }
        if !namespace.is_empty() {
            self.dirty.push(ObjRef {
                key: ResourceKey {
                    group: String::new(),
                    plural: "namespaces".into(),
                },
                namespace: String::new(),
                name: namespace.to_string(),
            });
        }
        self.record(Event {
            rv,
            kind: EventType::Deleted,
            key: key.clone(),
            namespace: namespace.to_string(),
            object: obj.clone(),
            previous: Some(prev),
        });
        Some(obj)
    }

    /// Inserts an object exactly as given (keeping its resourceVersion), without an event.
    /// Used when restoring a saved state.
    pub fn restore(&mut self, key: &ResourceKey, value: Value) {
        let rv = get_str(&value, &["metadata", "resourceVersion"])
            .and_then(|r| r.parse::<u64>().ok())
            .unwrap_or(0);
        self.rv = self.rv.max(rv);
        let r = ObjRef {
            key: key.clone(),
            namespace: ns_of(&value),
            name: name_of(&value),
        };
        let obj = StoredObject::new(value);
        self.index_add(&r, &obj.value);
        self.objects
            .entry(key.clone())
            .or_default()
            .insert((r.namespace.clone(), r.name.clone()), obj);
        self.dirty.push(r);
        self.compacted = self.rv;
    }

    /// Drops every object of a resource (used when a CRD goes away).
    pub fn drop_resource(&mut self, key: &ResourceKey) {
        let names: Vec<(String, String)> = self
            .objects
            .get(key)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        for (ns, n) in names {
            self.remove(key, &ns, &n);
        }
        self.objects.remove(key);
    }

    /// Events after `rv`, or None when `rv` is older than the kept history.
    pub fn events_since(&self, rv: u64) -> Option<Vec<Arc<Event>>> {
        if rv < self.compacted {
            return None;
        }
        let start = self.history.partition_point(|e| e.rv <= rv);
        Some(self.history.iter().skip(start).cloned().collect())
    }

    /// Forgets the event history (watches from older resourceVersions get 410 Gone).
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted = self.rv;
    }

    /// Subscribes to future events (call while holding the lock to not miss any).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events_tx.subscribe()
    }
}

/// The namespace of an object ("" when none).
pub fn ns_of(v: &Value) -> String {
    get_str(v, &["metadata", "namespace"])
        .unwrap_or_default()
        .to_string()
}

/// The name of an object.
pub fn name_of(v: &Value) -> String {
    get_str(v, &["metadata", "name"])
        .unwrap_or_default()
        .to_string()
}

/// The store shared by the server, the simulation and the test handle.
#[derive(Debug)]
pub struct Store {
    state: Mutex<State>,
    /// Woken on every write (the simulation controller waits on it).
    pub changed: Notify,
}

impl Store {
    /// An empty store with the built-in registry.
    pub fn new(history_cap: usize) -> Arc<Self> {
        let (tx, _) = broadcast::channel(65_536);
        Arc::new(Self {
            state: Mutex::new(State {
                registry: Registry::builtin(),
                rv: 0,
                objects: HashMap::new(),
                history: VecDeque::new(),
                history_cap: history_cap.max(16),
                compacted: 0,
                by_uid: HashMap::new(),
                dependents: HashMap::new(),
                dirty: vec![],
                seq: 0,
                events_tx: tx,
            }),
            changed: Notify::new(),
        })
    }

    /// Locks the state (a poisoned lock is recovered: the state stays consistent per call).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
