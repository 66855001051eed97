//! [`MemoryCluster`]: the backend traits over an in-process map, for tests and simulations.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use gitops_core::apply::{Action, Applier, ApplyOptions, DeleteOptions, ObjectResult};
use gitops_core::cluster::Cluster;
use gitops_core::diff::{
    Change, ChangeSet, ChangeSetEntry, Differ, apply_ignores, field_changes, normalize,
};
use gitops_core::health::{Health, assess};
use gitops_core::inventory::Inventory;
use gitops_core::{Object, ObjectRef, kinds};
use serde_json::{Value, json};

use crate::error::Error;
use crate::kube::scope::{defined_kinds, with_scope};
use crate::options::BackendOptions;

#[derive(Default)]
struct State {
    objects: BTreeMap<ObjectRef, Object>,
    /// `(group, kind) -> namespaced` of the CRDs applied so far.
    custom: HashMap<(String, String), bool>,
    resource_version: u64,
    writes: usize,
    failures: HashMap<ObjectRef, String>,
}

/// A cluster in memory: objects in a map, no controllers, no defaults.
///
/// Applies replace an object's content (keeping uid, creation time; bumping the resource
/// version only on change), every apply, delete or inventory save counts as one write, and
/// health is assessed on the stored object as it is (nothing progresses by itself).
#[derive(Clone, Default)]
pub struct MemoryCluster {
    state: Arc<Mutex<State>>,
    options: Arc<BackendOptions>,
}

impl MemoryCluster {
    /// An empty cluster.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty cluster with these options (ignore rules, field manager).
    pub fn with_options(options: BackendOptions) -> Self {
        Self {
            state: Arc::default(),
            options: Arc::new(options),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many write requests the cluster has served.
    pub fn writes(&self) -> usize {
        self.lock().writes
    }

    /// Every stored object, inventory parents included.
    pub fn objects(&self) -> Vec<Object> {
        self.lock().objects.values().cloned().collect()
    }

    /// One stored object.
    pub fn object(&self, reference: &ObjectRef) -> Option<Object> {
        self.lock().objects.get(reference).cloned()
    }

    /// Changes an object behind the engine's back (drift). Returns false when absent.
    pub fn edit(&self, reference: &ObjectRef, edit: impl FnOnce(&mut Value)) -> bool {
        let mut state = self.lock();
        let Some(object) = state.objects.get(reference).cloned() else {
            return false;
        };
        state.resource_version += 1;
        let rv = state.resource_version.to_string();
        match object.edit(|m| {
            edit(m);
            m["metadata"]["resourceVersion"] = json!(rv);
        }) {
            Ok(edited) => {
                state.objects.insert(reference.clone(), edited);
                true
            }
            Err(_) => false,
        }
    }

    /// Removes an object behind the engine's back.
    pub fn remove(&self, reference: &ObjectRef) -> bool {
        self.lock().objects.remove(reference).is_some()
    }

    /// Makes every later apply of `reference` fail with `message`.
    pub fn fail(&self, reference: ObjectRef, message: impl Into<String>) {
        self.lock().failures.insert(reference, message.into());
    }

    /// Stops failing applies of `reference`.
    pub fn heal(&self, reference: &ObjectRef) {
        self.lock().failures.remove(reference);
    }

    fn comparable(&self, object: &Object) -> Value {
        let mut value = normalize(object.manifest());
        apply_ignores(&mut value, object.reference(), &self.options.ignore);
        value
    }

    fn store(state: &mut State, object: &Object) -> Action {
        let previous = state.objects.get(object.reference()).cloned();
        let same = previous
            .as_ref()
            .is_some_and(|p| normalize(p.manifest()) == normalize(object.manifest()));
        if same {
            return Action::Unchanged;
        }
        state.resource_version += 1;
        let rv = state.resource_version.to_string();
        let uid = previous
            .as_ref()
            .and_then(|p| p.manifest()["metadata"]["uid"].as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("uid-{rv}"));
        let stored = object
            .edit(|m| {
                m["metadata"]["resourceVersion"] = json!(rv);
                m["metadata"]["uid"] = json!(uid);
            })
            .unwrap_or_else(|_| object.clone());
        state.objects.insert(object.reference().clone(), stored);
        if object.group() == "apiextensions.k8s.io" && object.kind() == "CustomResourceDefinition" {
            state
                .custom
                .extend(defined_kinds(std::slice::from_ref(object)));
        }
        if previous.is_some() {
            Action::Configured
        } else {
            Action::Created
        }
    }

    fn inventory_ref(name: &str, namespace: &str) -> ObjectRef {
        ObjectRef::new("", "ConfigMap", namespace, name)
    }
}

#[async_trait]
impl Applier for MemoryCluster {
    type Error = Error;

    async fn apply(
        &self,
        objects: &[Object],
        options: &ApplyOptions,
    ) -> Result<Vec<ObjectResult>, Error> {
        let mut state = self.lock();
        let mut results = Vec::with_capacity(objects.len());
        for object in objects {
            let reference = object.reference().clone();
            if let Some(message) = state.failures.get(&reference) {
                results.push(ObjectResult::failed(reference, message.clone(), false));
                continue;
            }
            state.writes += 1;
            let action = if options.dry_run {
                match state.objects.get(&reference) {
                    None => Action::Created,
                    Some(live) if normalize(live.manifest()) == normalize(object.manifest()) => {
                        Action::Unchanged
                    }
                    Some(_) => Action::Configured,
                }
            } else {
                Self::store(&mut state, object)
            };
            results.push(ObjectResult::done(reference, action));
        }
        Ok(results)
    }

    async fn delete(
        &self,
        objects: &[ObjectRef],
        options: &DeleteOptions,
    ) -> Result<Vec<ObjectResult>, Error> {
        let mut state = self.lock();
        Ok(objects
            .iter()
            .map(|reference| {
                state.writes += 1;
                let present = if options.dry_run {
                    state.objects.contains_key(reference)
                } else {
                    state.objects.remove(reference).is_some()
                };
                let action = if present {
                    Action::Deleted
                } else {
                    Action::Skipped
                };
                ObjectResult::done(reference.clone(), action)
            })
            .collect())
    }

    async fn get(&self, objects: &[ObjectRef]) -> Result<Vec<Option<Object>>, Error> {
        let state = self.lock();
        Ok(objects
            .iter()
            .map(|r| state.objects.get(r).cloned())
            .collect())
    }
}

#[async_trait]
impl Differ for MemoryCluster {
    type Error = Error;

    async fn diff(&self, desired: &[Object], inventory: &Inventory) -> Result<ChangeSet, Error> {
        let state = self.lock();
        let mut entries = Vec::new();
        for object in desired {
            let live = state.objects.get(object.reference()).cloned();
            let change = match &live {
                None => Change::Create,
                Some(live) => {
                    let fields = field_changes(&self.comparable(live), &self.comparable(object));
                    if fields.is_empty() {
                        Change::Unchanged
                    } else {
                        Change::Update { fields }
                    }
                }
            };
            entries.push(ChangeSetEntry {
                object: object.reference().clone(),
                change,
                live,
                desired: Some(object.clone()),
            });
        }
        let wanted: std::collections::BTreeSet<&ObjectRef> =
            desired.iter().map(Object::reference).collect();
        for member in inventory.stale(&wanted) {
            entries.push(ChangeSetEntry {
                object: member.clone(),
                change: Change::Delete,
                live: state.objects.get(member).cloned(),
                desired: None,
            });
        }
        Ok(ChangeSet { entries })
    }
}

#[async_trait]
impl Cluster for MemoryCluster {
    async fn prepare(&self, objects: Vec<Object>) -> Result<Vec<Object>, Error> {
        let mut defined = self.lock().custom.clone();
        defined.extend(defined_kinds(&objects));
        let default_namespace = self
            .options
            .default_namespace
            .clone()
            .unwrap_or_else(|| "default".to_owned());
        objects
            .into_iter()
            .map(|object| {
                let key = (object.group().to_owned(), object.kind().to_owned());
                let namespaced = match defined.get(&key) {
                    Some(&namespaced) => namespaced,
                    None => match kinds::is_cluster_scoped(object.group(), object.kind()) {
                        Some(cluster) => !cluster,
                        None => {
                            return Err(Error::UnknownKind {
                                object: object.reference().clone(),
                                api_version: object.api_version().to_owned(),
                                kind: object.kind().to_owned(),
                            });
                        }
                    },
                };
                Ok(with_scope(object, namespaced, &default_namespace))
            })
            .collect()
    }

    async fn load_inventory(
        &self,
        name: &str,
        namespace: &str,
    ) -> Result<Option<Inventory>, Error> {
        let parent = self
            .lock()
            .objects
            .get(&Self::inventory_ref(name, namespace))
            .cloned();
        parent
            .map(|p| Inventory::from_parent(p.manifest()).map_err(Error::from))
            .transpose()
    }

    async fn save_inventory(&self, inventory: &Inventory) -> Result<(), Error> {
        let parent = Object::new(inventory.to_parent()).map_err(|e| Error::Connection {
            what: format!("write inventory {}", inventory.name),
            message: e.to_string(),
        })?;
        let mut state = self.lock();
        state.writes += 1;
        Self::store(&mut state, &parent);
        Ok(())
    }

    async fn health(&self, objects: &[Object]) -> Result<Vec<(ObjectRef, Health)>, Error> {
        let state = self.lock();
        Ok(objects
            .iter()
            .map(|o| {
                let health = state.objects.get(o.reference()).map_or_else(
                    || Health::new(gitops_core::health::Status::Unknown, "not found"),
                    |l| assess(l.manifest()),
                );
                (o.reference().clone(), health)
            })
            .collect())
    }

    async fn wait(
        &self,
        objects: &[Object],
        _timeout: Duration,
    ) -> Result<Vec<(ObjectRef, Health)>, Error> {
        // Nothing progresses in memory: the health now is the health at the deadline.
        Cluster::health(self, objects).await
    }
}
