//! [`Differ`] and the change-set vocabulary every backend, binary and status report shares.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::object::{Object, ObjectRef};

/// One field that differs, addressed by a JSON pointer (RFC 6901).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field, e.g. `/spec/replicas`.
    pub path: String,
    /// The live value; `None` when the field is absent in the cluster.
    pub before: Option<Value>,
    /// The desired value; `None` when the field is to be removed.
    pub after: Option<Value>,
}

/// What a sync would do, or did, to one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum Change {
    /// The object does not exist and will be created.
    Create,
    /// The object exists and these fields differ.
    Update {
        /// The differing fields.
        fields: Vec<FieldChange>,
    },
    /// The object exists and equals the desired state.
    Unchanged,
    /// The object left the desired set and will be deleted.
    Delete,
}

/// One object of a change set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeSetEntry {
    /// The object.
    pub object: ObjectRef,
    /// What changes.
    pub change: Change,
    /// The live object, when it exists.
    #[serde(skip)]
    pub live: Option<Object>,
    /// The desired object, when it is desired.
    #[serde(skip)]
    pub desired: Option<Object>,
}

/// Counts of a change set by kind of change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeCounts {
    /// Objects to create.
    pub create: usize,
    /// Objects to update.
    pub update: usize,
    /// Objects that are already as desired.
    pub unchanged: usize,
    /// Objects to delete.
    pub delete: usize,
}

/// The difference between desired and live state, object by object.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChangeSet {
    /// One entry per object, in the order the differ chose (usually plan order).
    pub entries: Vec<ChangeSetEntry>,
}

impl ChangeSet {
    /// How many entries of each kind.
    pub fn counts(&self) -> ChangeCounts {
        let mut counts = ChangeCounts::default();
        for entry in &self.entries {
            match entry.change {
                Change::Create => counts.create += 1,
                Change::Update { .. } => counts.update += 1,
                Change::Unchanged => counts.unchanged += 1,
                Change::Delete => counts.delete += 1,
            }
        }
        counts
    }

    /// True when applying would change nothing.
    pub fn is_noop(&self) -> bool {
        self.entries
            .iter()
            .all(|e| matches!(e.change, Change::Unchanged))
    }
}

/// The fields that differ between a live and a desired value, as JSON pointers.
///
/// Mappings are compared key by key; lists of equal length element by element; anything else
/// (including lists whose length changed) as a whole.
///
/// ```
/// use gitops_core::diff::field_changes;
/// use serde_json::json;
///
/// let live = json!({"spec": {"replicas": 1, "paused": false}});
/// let desired = json!({"spec": {"replicas": 3}});
/// let changes = field_changes(&live, &desired);
/// let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
/// assert_eq!(paths, ["/spec/paused", "/spec/replicas"]);
/// assert_eq!(changes[0].after, None);
/// ```
pub fn field_changes(live: &Value, desired: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk(&mut String::new(), live, desired, &mut out);
    out
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn walk(path: &mut String, live: &Value, desired: &Value, out: &mut Vec<FieldChange>) {
    if live == desired {
        return;
    }
    let len = path.len();
    match (live, desired) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                path.push('/');
                path.push_str(&escape(key));
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => walk(path, x, y, out),
                    (x, y) => out.push(FieldChange {
                        path: path.clone(),
                        before: x.cloned(),
                        after: y.cloned(),
                    }),
                }
                path.truncate(len);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                path.push('/');
                path.push_str(&i.to_string());
                walk(path, x, y, out);
                path.truncate(len);
            }
        }
        _ => out.push(FieldChange {
            path: path.clone(),
            before: Some(live.clone()),
            after: Some(desired.clone()),
        }),
    }
}

/// Compares desired state with the live cluster.
///
/// `owned` lists the objects a previous sync applied (the inventory): those absent from
/// `desired` become [`Change::Delete`] entries. Objects that are not owned are never deleted.
///
/// ```
/// use async_trait::async_trait;
/// use gitops_core::diff::{field_changes, Change, ChangeSet, ChangeSetEntry, Differ};
/// use gitops_core::{Object, ObjectRef};
/// use std::collections::BTreeMap;
///
/// /// Diffs against a fixed map of live objects.
/// struct Snapshot(BTreeMap<ObjectRef, Object>);
///
/// #[async_trait]
/// impl Differ for Snapshot {
///     type Error = std::convert::Infallible;
///     async fn diff(&self, desired: &[Object], owned: &[ObjectRef]) -> Result<ChangeSet, Self::Error> {
///         let mut entries = Vec::new();
///         for object in desired {
///             let live = self.0.get(object.reference()).cloned();
///             let change = match &live {
///                 None => Change::Create,
///                 Some(l) => match field_changes(l.manifest(), object.manifest()) {
///                     fields if fields.is_empty() => Change::Unchanged,
///                     fields => Change::Update { fields },
///                 },
///             };
///             entries.push(ChangeSetEntry { object: object.reference().clone(), change, live, desired: Some(object.clone()) });
///         }
///         for gone in owned.iter().filter(|r| !desired.iter().any(|d| d.reference() == *r)) {
///             let live = self.0.get(gone).cloned();
///             entries.push(ChangeSetEntry { object: gone.clone(), change: Change::Delete, live, desired: None });
///         }
///         Ok(ChangeSet { entries })
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let cm = |v: &str| Object::new(serde_json::json!({
///     "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": v}})).unwrap();
/// let live = Snapshot(BTreeMap::from([(cm("1").reference().clone(), cm("1"))]));
/// let changes = live.diff(&[cm("2")], &[]).await.unwrap();
/// assert_eq!(changes.counts().update, 1);
/// # });
/// ```
#[async_trait]
pub trait Differ: Send + Sync {
    /// Why a diff failed as a whole (per-object problems belong in the change set's backend).
    type Error: std::error::Error + Send + Sync + 'static;

    /// Compares `desired` with the cluster; `owned` is what a previous sync applied.
    async fn diff(&self, desired: &[Object], owned: &[ObjectRef])
    -> Result<ChangeSet, Self::Error>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_changes() {
        let live = json!({"a": {"b": [1, 2], "c/d": 1}, "gone": true});
        let desired = json!({"a": {"b": [1, 3], "c/d": 2}, "new": "x"});
        let changes = field_changes(&live, &desired);
        let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["/a/b/1", "/a/c~1d", "/gone", "/new"]);
        assert_eq!(changes[2].after, None);
        assert_eq!(changes[3].before, None);
    }

    #[test]
    fn list_length_change_is_whole() {
        let changes = field_changes(&json!({"l": [1]}), &json!({"l": [1, 2]}));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].path, "/l");
    }

    #[test]
    fn equal_values_have_no_changes() {
        let v = json!({"a": [1, {"b": null}]});
        assert!(field_changes(&v, &v).is_empty());
    }

    #[test]
    fn type_change_at_root() {
        let changes = field_changes(&json!(1), &json!("1"));
        assert_eq!(changes[0].path, "");
    }
}
