//! Server-side apply: merging an applied configuration into a live object, field
//! ownership per manager (`metadata.managedFields`), conflicts and removal of fields a
//! manager stopped applying.

pub mod fieldpath;
pub mod schema;

use serde_json::{Map, Value, json};

use fieldpath::{FieldSet, Path, Scope, fields_of, get_at, remove_at};
use schema::{ListType, TypeInfo, item_key};

/// One `managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedEntry {
    /// Field manager name.
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// apiVersion the fields refer to.
    pub api_version: String,
    /// Timestamp of the last change of this entry.
    pub time: String,
    /// "" or "status"/"scale".
    pub subresource: String,
    /// Owned fields.
    pub fields: FieldSet,
}

impl ManagedEntry {
    fn same_slot(&self, manager: &str, operation: &str, subresource: &str) -> bool {
        self.manager == manager && self.operation == operation && self.subresource == subresource
    }
}

/// Reads `metadata.managedFields`.
pub fn read_managed(obj: &Value) -> Vec<ManagedEntry> {
    obj.get("metadata")
        .and_then(|m| m.get("managedFields"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| {
            let s = |k: &str| {
                e.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            ManagedEntry {
                manager: s("manager"),
                operation: s("operation"),
                api_version: s("apiVersion"),
                time: s("time"),
                subresource: s("subresource"),
                fields: FieldSet::from_fields_v1(e.get("fieldsV1").unwrap_or(&Value::Null)),
            }
        })
        .collect()
}

/// Writes `metadata.managedFields` (dropping empty entries).
pub fn write_managed(obj: &mut Value, entries: &[ManagedEntry]) {
    let arr: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": e.api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": e.fields.to_fields_v1(),
            });
            if !e.subresource.is_empty() {
                v["subresource"] = json!(e.subresource);
            }
            v
        })
        .collect();
    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if arr.is_empty() {
            m.remove("managedFields");
        } else {
            m.insert("managedFields".into(), Value::Array(arr));
        }
    }
}

/// A conflicting field and the manager that owns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The other manager.
    pub manager: String,
    /// The field in `.spec.replicas` form.
    pub field: String,
}

/// Renders a path like the API server does in conflict messages.
pub fn display_path(p: &[String]) -> String {
    let mut s = String::new();
    for e in p {
        if let Some(f) = e.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = e.strip_prefix("k:") {
            s.push('[');
            s.push_str(k);
            s.push(']');
        } else if let Some(v) = e.strip_prefix("v:") {
            s.push_str(&format!("[={v}]"));
        } else if let Some(i) = e.strip_prefix("i:") {
            s.push_str(&format!("[{i}]"));
        }
    }
    s
}

/// Merges `applied` into `live` (applied values win; keyed lists merge by key).
pub fn merge(live: &Value, applied: &Value, types: &TypeInfo<'_>, path: &mut Vec<String>) -> Value {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            let mut out = l.clone();
            for (k, av) in a {
                if av.is_null() {
                    out.remove(k);
                    continue;
                }
                path.push(k.clone());
                let merged = match l.get(k) {
                    Some(lv) => merge(lv, av, types, path),
                    None => av.clone(),
                };
                path.pop();
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(a)) => {
            let p: Vec<&str> = path.iter().map(String::as_str).collect();
            match types.list_type(&p) {
                ListType::Atomic => applied.clone(),
                ListType::Set => {
                    let mut out = l.clone();
                    for it in a {
                        if !out.contains(it) {
                            out.push(it.clone());
                        }
                    }
                    Value::Array(out)
                }
                ListType::Map(keys) => {
                    let mut out = l.clone();
                    for it in a {
                        let k = item_key(it, &keys);
                        let pos = k.as_ref().and_then(|k| {
                            out.iter()
                                .position(|x| item_key(x, &keys).as_ref() == Some(k))
                        });
                        path.push("[]".into());
                        match pos {
                            Some(i) => out[i] = merge(&out[i], it, types, path),
                            None => out.push(it.clone()),
                        }
                        path.pop();
                    }
                    Value::Array(out)
                }
            }
        }
        _ => applied.clone(),
    }
}

/// The input of one apply.
pub struct ApplyRequest<'a> {
    /// The live object (None on create).
    pub live: Option<&'a Value>,
    /// The applied configuration.
    pub applied: &'a Value,
    /// Field manager.
    pub manager: &'a str,
    /// Take ownership of conflicting fields.
    pub force: bool,
    /// Which part of the object this endpoint owns.
    pub scope: Scope,
    /// apiVersion recorded in the entry.
    pub api_version: &'a str,
    /// Timestamp for a changed entry.
    pub now: &'a str,
}

/// Applies; returns the merged object carrying updated managedFields, or the conflicts.
pub fn apply(req: &ApplyRequest<'_>, types: &TypeInfo<'_>) -> Result<Value, Vec<Conflict>> {
    let empty = json!({});
    let live = req.live.unwrap_or(&empty);
    let mut entries = read_managed(live);
    let mut live_plain = live.clone();
    if let Some(m) = live_plain
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
    {
        m.remove("managedFields");
    }
    let mut applied = req.applied.clone();
    // Only the endpoint's part of the object is applied.
    if let Some(m) = applied.as_object_mut() {
        match req.scope {
            // The caller strips `status` when a status subresource owns it.
            Scope::Main => {}
            Scope::Status => m.retain(|k, _| k == "status" || k == "apiVersion" || k == "kind"),
            Scope::All => {}
        }
        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
            meta.remove("resourceVersion");
            meta.remove("uid");
            meta.remove("creationTimestamp");
            meta.remove("generation");
        }
    }
    let new_set = fields_of(&applied, types, req.scope);
    let mut merged = merge(&live_plain, &applied, types, &mut vec![]);

    let mine = entries
        .iter()
        .position(|e| e.same_slot(req.manager, "Apply", subresource_of(req.scope)));
    let prev_set = mine.map(|i| entries[i].fields.clone()).unwrap_or_default();

    // Conflicts: fields this apply changes that another manager owns.
    let mut conflicts = vec![];
    for p in new_set.paths() {
        if get_at(&live_plain, &p) == get_at(&merged, &p) {
            continue;
        }
        for (i, e) in entries.iter().enumerate() {
            if Some(i) != mine && e.fields.contains(&p) {
                conflicts.push((i, p.clone()));
            }
        }
    }
    if !conflicts.is_empty() {
        if !req.force {
            return Err(conflicts
                .into_iter()
                .map(|(i, p)| Conflict {
                    manager: entries[i].manager.clone(),
                    field: display_path(&p),
                })
                .collect());
        }
        for (i, p) in &conflicts {
            entries[*i].fields.remove(p);
        }
    }

    // Removal of fields this manager no longer applies and nobody else owns.
    let mut removed: Vec<Path> = prev_set.difference(&new_set).paths();
    removed.sort_by_key(Vec::len);
    for p in removed {
        let owned_elsewhere = entries
            .iter()
            .enumerate()
            .any(|(i, e)| Some(i) != mine && e.fields.touches(&p));
        if !owned_elsewhere && !new_set.touches(&p) {
            remove_at(&mut merged, &p);
        }
    }

    // Record ownership.
    let time_changed = prev_set != new_set || mine.is_none();
    match mine {
        Some(i) => {
            entries[i].fields = new_set;
            entries[i].api_version = req.api_version.to_string();
            if time_changed {
                entries[i].time = req.now.to_string();
            }
        }
        None => entries.push(ManagedEntry {
            manager: req.manager.to_string(),
            operation: "Apply".into(),
            api_version: req.api_version.to_string(),
            time: req.now.to_string(),
            subresource: subresource_of(req.scope).to_string(),
            fields: new_set,
        }),
    }
    let full = fields_of(&merged, types, Scope::All);
    for e in &mut entries {
        e.fields = e.fields.intersection(&full);
    }
    if let Some(m) = merged.as_object_mut() {
        m.entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
    }
    write_managed(&mut merged, &entries);
    Ok(merged)
}

fn subresource_of(scope: Scope) -> &'static str {
    match scope {
        Scope::Status => "status",
        _ => "",
    }
}

/// Records ownership for a non-apply write (create, update, patch): the manager owns
/// what it changed, others lose it.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    scope: Scope,
    api_version: &str,
    now: &str,
    types: &TypeInfo<'_>,
) {
    let mut entries = match old {
        Some(o) => read_managed(o),
        None => read_managed(new),
    };
    let new_set = fields_of(new, types, scope);
    let changed = match old {
        None => new_set.clone(),
        Some(o) => {
            let mut c = FieldSet::default();
            for p in new_set.paths() {
                if get_at(o, &p) != get_at(new, &p) {
                    c.insert(&p);
                }
            }
            c
        }
    };
    let sub = subresource_of(scope);
    let full = fields_of(new, types, Scope::All);
    let mine = entries
        .iter()
        .position(|e| e.same_slot(manager, "Update", sub));
    for (i, e) in entries.iter_mut().enumerate() {
        if Some(i) != mine {
            e.fields = e.fields.difference(&changed).intersection(&full);
        }
    }
    if !changed.is_empty() || mine.is_some() {
        match mine {
            Some(i) => {
                let f = entries[i].fields.union(&changed).intersection(&full);
                if f != entries[i].fields {
                    entries[i].time = now.to_string();
                }
                entries[i].fields = f;
                entries[i].api_version = api_version.to_string();
            }
            None => entries.push(ManagedEntry {
                manager: manager.to_string(),
                operation: "Update".into(),
                api_version: api_version.to_string(),
                time: now.to_string(),
                subresource: sub.to_string(),
                fields: changed,
            }),
        }
    }
    write_managed(new, &entries);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cm(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data})
    }

    fn req<'a>(
        live: Option<&'a Value>,
        applied: &'a Value,
        manager: &'a str,
        force: bool,
    ) -> ApplyRequest<'a> {
        ApplyRequest {
            live,
            applied,
            manager,
            force,
            scope: Scope::Main,
            api_version: "v1",
            now: "2024-01-01T00:00:00Z",
        }
    }

    proptest::proptest! {
        /// Applying any configuration twice changes nothing the second time, and the
        /// applier owns exactly the fields it applied.
        #[test]
        fn reapply_is_a_no_op(data in proptest::collection::btree_map("[a-z]{1,8}", "[a-z0-9]{0,8}", 0..8),
                              labels in proptest::collection::btree_map("[a-z]{1,8}", "[a-z]{1,8}", 0..4)) {
            let t = TypeInfo::default();
            let mut a = cm(json!(data));
            a["metadata"]["labels"] = json!(labels);
            let live = apply(&req(None, &a, "m", false), &t).unwrap();
            let again = apply(&req(Some(&live), &a, "m", false), &t).unwrap();
            proptest::prop_assert_eq!(&again, &live);
            let owned = read_managed(&live).into_iter().map(|e| e.fields.paths().len()).sum::<usize>();
            // An empty map is itself a leaf field.
            proptest::prop_assert_eq!(owned, data.len().max(1) + labels.len().max(1));
        }

        /// A second manager applying disjoint keys never conflicts, and both sets survive.
        #[test]
        fn disjoint_managers_coexist(a in proptest::collection::btree_map("a[a-z]{1,6}", "[a-z]{1,4}", 1..6),
                                     b in proptest::collection::btree_map("b[a-z]{1,6}", "[a-z]{1,4}", 1..6)) {
            let t = TypeInfo::default();
            let live = apply(&req(None, &cm(json!(a)), "one", false), &t).unwrap();
            let live = apply(&req(Some(&live), &cm(json!(b)), "two", false), &t).unwrap();
            let keys = live["data"].as_object().unwrap().len();
            proptest::prop_assert_eq!(keys, a.len() + b.len());
        }
    }

    #[test]
    fn create_then_reapply_is_identical() {
        let t = TypeInfo::default();
        let a = cm(json!({"a": "1"}));
        let live = apply(&req(None, &a, "m", false), &t).unwrap();
        assert_eq!(live["data"], json!({"a": "1"}));
        assert_eq!(live["metadata"]["managedFields"][0]["manager"], "m");
        let again = apply(&req(Some(&live), &a, "m", false), &t).unwrap();
        assert_eq!(again, live);
    }

    #[test]
    fn conflict_with_other_manager_unless_forced() {
        let t = TypeInfo::default();
        let live = apply(&req(None, &cm(json!({"a": "1"})), "one", false), &t).unwrap();
        let other = cm(json!({"a": "2"}));
        let err = apply(&req(Some(&live), &other, "two", false), &t).unwrap_err();
        assert_eq!(
            err,
            vec![Conflict {
                manager: "one".into(),
                field: ".data.a".into()
            }]
        );
        let forced = apply(&req(Some(&live), &other, "two", true), &t).unwrap();
        assert_eq!(forced["data"]["a"], "2");
        let mf = read_managed(&forced);
        assert_eq!(mf.len(), 1, "the first manager lost its only field: {mf:?}");
        assert_eq!(mf[0].manager, "two");
    }

    #[test]
    fn same_value_is_shared_not_conflicting() {
        let t = TypeInfo::default();
        let live = apply(&req(None, &cm(json!({"a": "1"})), "one", false), &t).unwrap();
        let shared = apply(
            &req(Some(&live), &cm(json!({"a": "1", "b": "2"})), "two", false),
            &t,
        )
        .unwrap();
        assert_eq!(read_managed(&shared).len(), 2);
    }

    #[test]
    fn omitted_fields_are_removed_unless_owned_elsewhere() {
        let t = TypeInfo::default();
        let live = apply(
            &req(None, &cm(json!({"a": "1", "b": "2"})), "one", false),
            &t,
        )
        .unwrap();
        let live = apply(
            &req(Some(&live), &cm(json!({"b": "2", "c": "3"})), "two", false),
            &t,
        )
        .unwrap();
        let live = apply(&req(Some(&live), &cm(json!({})), "one", false), &t).unwrap();
        assert_eq!(live["data"], json!({"b": "2", "c": "3"}));
    }

    #[test]
    fn keyed_lists_merge_by_key() {
        let t = TypeInfo::default();
        let d = |containers: Value| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": {"containers": containers}}}})
        };
        let live = apply(
            &req(
                None,
                &d(json!([{"name": "a", "image": "a:1"}])),
                "one",
                false,
            ),
            &t,
        )
        .unwrap();
        let live = apply(
            &req(
                Some(&live),
                &d(json!([{"name": "b", "image": "b:1"}])),
                "two",
                false,
            ),
            &t,
        )
        .unwrap();
        let names: Vec<&str> = live["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b"]);
        // "one" drops its container: only that item goes.
        let live = apply(&req(Some(&live), &d(json!([])), "one", false), &t).unwrap();
        assert_eq!(
            live["spec"]["template"]["spec"]["containers"],
            json!([{"name": "b", "image": "b:1"}])
        );
    }

    #[test]
    fn updates_take_ownership_of_changed_fields() {
        let t = TypeInfo::default();
        let live = apply(&req(None, &cm(json!({"a": "1"})), "apply", false), &t).unwrap();
        let mut new = live.clone();
        new["data"]["a"] = json!("9");
        record_update(Some(&live), &mut new, "editor", Scope::Main, "v1", "t", &t);
        let mf = read_managed(&new);
        assert_eq!(mf.len(), 1);
        assert_eq!(mf[0].manager, "editor");
        assert_eq!(mf[0].operation, "Update");
        // and now the applier conflicts with the editor
        let err = apply(&req(Some(&new), &cm(json!({"a": "1"})), "apply", false), &t).unwrap_err();
        assert_eq!(err[0].manager, "editor");
    }
}
