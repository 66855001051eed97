//! [`Differ`] and the change-set vocabulary every backend, binary and status report shares.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::inventory::Inventory;
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
/// `inventory` holds what a previous sync applied: its members absent from `desired` become
/// [`Change::Delete`] entries (objects that are not members are never deleted), and its id
/// lets a backend find the live members cheaply (they carry its ApplySet label).
///
/// ```
/// use async_trait::async_trait;
/// use gitops_core::diff::{field_changes, Change, ChangeSet, ChangeSetEntry, Differ};
/// use gitops_core::inventory::Inventory;
/// use gitops_core::{Object, ObjectRef};
/// use std::collections::BTreeMap;
///
/// /// Diffs against a fixed map of live objects.
/// struct Snapshot(BTreeMap<ObjectRef, Object>);
///
/// #[async_trait]
/// impl Differ for Snapshot {
///     type Error = std::convert::Infallible;
///     async fn diff(&self, desired: &[Object], inventory: &Inventory) -> Result<ChangeSet, Self::Error> {
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
///         for gone in inventory.members.iter().filter(|r| !desired.iter().any(|d| d.reference() == *r)) {
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
/// let changes = live.diff(&[cm("2")], &Inventory::new("app", "default")).await.unwrap();
/// assert_eq!(changes.counts().update, 1);
/// # });
/// ```
#[async_trait]
pub trait Differ: Send + Sync {
    /// Why a diff failed as a whole (per-object problems belong in the change set's backend).
    type Error: std::error::Error + Send + Sync + 'static;

    /// Compares `desired` with the cluster; `inventory` is what a previous sync applied.
    async fn diff(
        &self,
        desired: &[Object],
        inventory: &Inventory,
    ) -> Result<ChangeSet, Self::Error>;
}

/// Compares two rendered object sets (e.g. a pull request's base and head) without a cluster.
///
/// Objects only in `after` are created, objects only in `before` deleted, others updated or
/// unchanged; Secret values are masked in the field changes.
///
/// ```
/// use gitops_core::diff::{compare_sets, Change};
/// use gitops_core::Object;
/// use serde_json::json;
///
/// let cm = |name: &str, v: &str| Object::new(json!({"apiVersion": "v1", "kind": "ConfigMap",
///     "metadata": {"name": name}, "data": {"k": v}})).unwrap();
/// let changes = compare_sets(&[cm("a", "1"), cm("gone", "1")], &[cm("a", "2"), cm("new", "1")]);
/// let counts = changes.counts();
/// assert_eq!((counts.create, counts.update, counts.delete), (1, 1, 1));
/// ```
pub fn compare_sets(before: &[Object], after: &[Object]) -> ChangeSet {
    let old: std::collections::BTreeMap<&ObjectRef, &Object> =
        before.iter().map(|o| (o.reference(), o)).collect();
    let new: std::collections::BTreeSet<&ObjectRef> = after.iter().map(Object::reference).collect();
    let mut entries = Vec::new();
    for object in after {
        let live = old.get(object.reference()).copied();
        let change = match live {
            None => Change::Create,
            Some(previous) => {
                let (l, d) = redact_secrets(Some(previous.manifest()), Some(object.manifest()));
                let fields = match (l, d) {
                    (Some(l), Some(d)) => field_changes(&l, &d),
                    _ => Vec::new(),
                };
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
            live: live.cloned(),
            desired: Some(object.clone()),
        });
    }
    for object in before.iter().filter(|o| !new.contains(o.reference())) {
        entries.push(ChangeSetEntry {
            object: object.reference().clone(),
            change: Change::Delete,
            live: Some(object.clone()),
            desired: None,
        });
    }
    ChangeSet { entries }
}

/// Metadata fields the cluster writes, never part of a comparison.
const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "generation",
    "uid",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Annotations written by clients for their own bookkeeping.
const CLIENT_ANNOTATIONS: &[&str] = &["kubectl.kubernetes.io/last-applied-configuration"];

/// A copy of an object without what the cluster owns: server metadata, `status`, and
/// bookkeeping annotations. Empty `labels`/`annotations` maps are dropped.
///
/// ```
/// use gitops_core::diff::normalize;
/// use serde_json::json;
///
/// let live = json!({"kind": "ConfigMap", "metadata": {"name": "a", "uid": "1", "resourceVersion": "7",
///     "managedFields": [], "annotations": {}}, "data": {"k": "v"}, "status": {}});
/// assert_eq!(normalize(&live), json!({"kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}}));
/// ```
pub fn normalize(object: &Value) -> Value {
    let mut out = object.clone();
    if let Some(top) = out.as_object_mut() {
        top.remove("status");
        if let Some(metadata) = top.get_mut("metadata").and_then(Value::as_object_mut) {
            for field in SERVER_METADATA {
                metadata.remove(*field);
            }
            if let Some(annotations) = metadata
                .get_mut("annotations")
                .and_then(Value::as_object_mut)
            {
                for key in CLIENT_ANNOTATIONS {
                    annotations.remove(*key);
                }
            }
            for map in ["annotations", "labels"] {
                if metadata
                    .get(map)
                    .is_some_and(|m| m.as_object().is_some_and(|m| m.is_empty()) || m.is_null())
                {
                    metadata.remove(map);
                }
            }
        }
    }
    out
}

/// Fields to leave out of comparisons for some objects, like Argo CD's `ignoreDifferences`.
///
/// Empty selectors match everything. Pointers follow RFC 6901 (`/spec/replicas`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct IgnoreRule {
    /// API group to match (empty: any).
    pub group: Option<String>,
    /// Kind to match.
    pub kind: Option<String>,
    /// Namespace to match.
    pub namespace: Option<String>,
    /// Name to match.
    pub name: Option<String>,
    /// The fields to ignore.
    pub json_pointers: Vec<String>,
}

impl IgnoreRule {
    /// Whether the rule applies to an object.
    pub fn matches(&self, object: &ObjectRef) -> bool {
        let ok = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        ok(&self.group, &object.group)
            && ok(&self.kind, &object.kind)
            && ok(&self.namespace, &object.namespace)
            && ok(&self.name, &object.name)
    }
}

/// Removes the fields the matching rules ignore.
pub fn apply_ignores(value: &mut Value, object: &ObjectRef, rules: &[IgnoreRule]) {
    for rule in rules.iter().filter(|r| r.matches(object)) {
        for pointer in &rule.json_pointers {
            remove_pointer(value, pointer);
        }
    }
}

fn remove_pointer(value: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&last);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = last.parse::<usize>()
                && i < items.len()
            {
                items.remove(i);
            }
        }
        _ => {}
    }
}

/// True when every field of `desired` is in `live` with the same value (lists: same length,
/// element by element). Fields the server added (defaults, other managers) do not matter.
pub fn is_subset(desired: &Value, live: &Value) -> bool {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => d.iter().all(|(k, v)| {
            l.get(k).is_some_and(|lv| is_subset(v, lv)) || (v.is_null() && !l.contains_key(k))
        }),
        (Value::Array(d), Value::Array(l)) => {
            d.len() == l.len() && d.iter().zip(l).all(|(a, b)| is_subset(a, b))
        }
        (Value::Number(a), Value::Number(b)) => a == b || a.as_f64() == b.as_f64(),
        _ => desired == live,
    }
}

/// The marker shown instead of a secret value.
pub const MASK: &str = "(redacted)";

fn is_secret(object: &Value) -> bool {
    object["kind"] == "Secret" && object["apiVersion"] == "v1"
}

/// The marker for a secret value that changed (or is new).
pub const MASK_CHANGED: &str = "(redacted, changed)";

/// Replaces Secret `data`/`stringData` values with markers, keeping the keys: the live side
/// shows `(redacted)`, the desired side `(redacted)` for an equal value and
/// `(redacted, changed)` for a changed or new one, so a diff of the results names exactly the
/// keys that change and no value. Other kinds are returned unchanged.
///
/// ```
/// use gitops_core::diff::redact_secrets;
/// use serde_json::json;
///
/// let live = json!({"apiVersion": "v1", "kind": "Secret", "data": {"a": "MQ==", "b": "Mg=="}});
/// let desired = json!({"apiVersion": "v1", "kind": "Secret", "data": {"a": "MQ==", "b": "Mw=="}});
/// let (l, d) = redact_secrets(Some(&live), Some(&desired));
/// assert_eq!(l.unwrap()["data"], json!({"a": "(redacted)", "b": "(redacted)"}));
/// assert_eq!(d.unwrap()["data"], json!({"a": "(redacted)", "b": "(redacted, changed)"}));
/// ```
pub fn redact_secrets(
    live: Option<&Value>,
    desired: Option<&Value>,
) -> (Option<Value>, Option<Value>) {
    let secret = live.or(desired).is_some_and(is_secret);
    if !secret {
        return (live.cloned(), desired.cloned());
    }
    let mut l = live.cloned();
    let mut d = desired.cloned();
    for field in ["data", "stringData"] {
        let before = live
            .and_then(|v| v[field].as_object())
            .cloned()
            .unwrap_or_default();
        let after = desired
            .and_then(|v| v[field].as_object())
            .cloned()
            .unwrap_or_default();
        if let Some(Value::Object(map)) = l.as_mut().and_then(|v| v.get_mut(field)) {
            for value in map.values_mut() {
                *value = Value::String(MASK.to_owned());
            }
        }
        if let Some(Value::Object(map)) = d.as_mut().and_then(|v| v.get_mut(field)) {
            for (key, value) in map.iter_mut() {
                let mark = if before.get(key) == after.get(key) {
                    MASK
                } else {
                    MASK_CHANGED
                };
                *value = Value::String(mark.to_owned());
            }
        }
    }
    // The last-applied annotation would repeat the values in clear.
    for side in [&mut l, &mut d] {
        if let Some(annotations) = side
            .as_mut()
            .and_then(|v| v.pointer_mut("/metadata/annotations"))
            .and_then(Value::as_object_mut)
        {
            for key in CLIENT_ANNOTATIONS {
                if annotations.contains_key(*key) {
                    annotations.insert((*key).to_owned(), Value::String(MASK.to_owned()));
                }
            }
        }
    }
    (l, d)
}

/// A unified diff of two YAML texts, with `---`/`+++` headers naming the object.
pub fn unified_yaml_diff(name: &str, before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("live/{name}"), &format!("desired/{name}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subset_ignores_server_additions() {
        let desired = json!({"spec": {"containers": [{"name": "a", "image": "x"}]}});
        let live = json!({"spec": {"containers": [{"name": "a", "image": "x", "terminationMessagePath": "/dev"}], "dnsPolicy": "ClusterFirst"}});
        assert!(is_subset(&desired, &live));
        assert!(!is_subset(
            &json!({"spec": {"containers": [{"name": "a", "image": "y"}]}}),
            &live
        ));
        assert!(!is_subset(&json!({"spec": {"containers": []}}), &live));
        assert!(is_subset(&json!({"a": 1}), &json!({"a": 1.0})));
        assert!(is_subset(&json!({"a": null}), &json!({})));
    }

    #[test]
    fn ignores_remove_matching_fields() {
        let r = ObjectRef::new("apps", "Deployment", "x", "web");
        let rules = vec![
            IgnoreRule {
                kind: Some("Deployment".into()),
                json_pointers: vec!["/spec/replicas".into(), "/metadata/annotations/a~1b".into()],
                ..IgnoreRule::default()
            },
            IgnoreRule {
                kind: Some("Service".into()),
                json_pointers: vec!["/spec".into()],
                ..IgnoreRule::default()
            },
        ];
        let mut value = json!({"metadata": {"annotations": {"a/b": "1", "c": "2"}}, "spec": {"replicas": 3, "paused": false}});
        apply_ignores(&mut value, &r, &rules);
        assert_eq!(
            value,
            json!({"metadata": {"annotations": {"c": "2"}}, "spec": {"paused": false}})
        );
    }

    #[test]
    fn secrets_never_leak() {
        let live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"p\":\"c2VjcmV0\"}}"}},
            "data": {"p": "c2VjcmV0"}});
        let desired = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "stringData": {"q": "hunter2"}, "data": {"p": "bmV3"}});
        let (l, d) = redact_secrets(Some(&live), Some(&desired));
        let text = format!("{l:?}{d:?}");
        for secret in ["c2VjcmV0", "hunter2", "bmV3"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        let d = d.unwrap();
        assert_eq!(d["stringData"]["q"], MASK_CHANGED);
        assert_eq!(d["data"]["p"], MASK_CHANGED);
        assert_eq!(l.unwrap()["data"]["p"], MASK);
        // Non-secrets are untouched.
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"p": "v"}});
        assert_eq!(redact_secrets(Some(&cm), None).0.unwrap(), cm);
    }

    #[test]
    fn unified_diff_names_the_object() {
        let out = unified_yaml_diff("ConfigMap/a", "a: 1\nb: 2\n", "a: 1\nb: 3\n");
        assert!(
            out.starts_with("--- live/ConfigMap/a\n+++ desired/ConfigMap/a\n"),
            "{out}"
        );
        assert!(out.contains("-b: 2\n+b: 3\n"), "{out}");
    }

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
