//! DELETE: preconditions, finalizers and deletionTimestamp, propagation (background,
//! foreground, orphan) and garbage collection of dependents.

use serde_json::{Value, json};

use super::{lookup, namespaces_key, target};
use crate::registry::{ResourceDef, ResourceKey};
use crate::status::ApiError;
use crate::store::{Obj, ObjRef, State};
use crate::util::{get_path, get_str, now_rfc3339, remove_path, set_path};

/// Delete options.
#[derive(Debug, Clone, Default)]
pub struct DeleteOpts {
    /// `Foreground`, `Background` or `Orphan`.
    pub propagation: Option<String>,
    /// Precondition on uid.
    pub uid: Option<String>,
    /// Precondition on resourceVersion.
    pub resource_version: Option<String>,
    /// Dry run.
    pub dry_run: bool,
}
/// Deletes an object (DELETE), honouring preconditions, finalizers and propagation.
pub fn delete(
    st: &mut State,
    def: &ResourceDef,
    ns: &str,
    name: &str,
    d: &DeleteOpts,
) -> Result<Obj, ApiError> {
    let obj = lookup(st, def, ns, name)?;
    if let Some(uid) = &d.uid
        && Some(uid.as_str()) != get_str(&obj.value, &["metadata", "uid"])
    {
        return Err(ApiError::conflict(
            target(def, name),
            &format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                get_str(&obj.value, &["metadata", "uid"]).unwrap_or_default()
            ),
        ));
    }
    if let Some(rv) = &d.resource_version
        && Some(rv.as_str()) != get_str(&obj.value, &["metadata", "resourceVersion"])
    {
        return Err(ApiError::conflict(
            target(def, name),
            &format!(
                "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                get_str(&obj.value, &["metadata", "resourceVersion"]).unwrap_or_default()
            ),
        ));
    }
    if d.dry_run {
        return Ok(obj);
    }
    let ns = if def.namespaced { ns } else { "" };
    Ok(mark_deleted(
        st,
        &def.key(),
        ns,
        name,
        d.propagation.as_deref().unwrap_or("Background"),
    )
    .unwrap_or(obj))
}

/// Starts deleting an object: sets deletionTimestamp when finalizers hold it, otherwise
/// removes it and collects its dependents.
pub fn mark_deleted(
    st: &mut State,
    key: &ResourceKey,
    ns: &str,
    name: &str,
    propagation: &str,
) -> Option<Obj> {
    let obj = st.get(key, ns, name)?;
    let mut v = obj.value.clone();
    let uid = get_str(&v, &["metadata", "uid"])
        .unwrap_or_default()
        .to_string();
    let deps = st.dependents_of(&uid);
    if propagation == "Orphan" {
        for dep in &deps {
            if let Some(d) = st.get(&dep.key, &dep.namespace, &dep.name) {
                let mut dv = d.value.clone();
                if let Some(refs) = dv
                    .pointer_mut("/metadata/ownerReferences")
                    .and_then(Value::as_array_mut)
                {
                    refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(uid.as_str()));
                    if refs.is_empty() {
                        remove_path(&mut dv, &["metadata", "ownerReferences"]);
                    }
                }
                st.put(&dep.key, dv);
            }
        }
    }
    let is_ns = *key == namespaces_key();
    let mut finalizers: Vec<Value> = get_path(&v, &["metadata", "finalizers"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let foreground = propagation == "Foreground" && !deps.is_empty();
    if foreground && !finalizers.contains(&json!("foregroundDeletion")) {
        finalizers.push(json!("foregroundDeletion"));
    }
    if is_ns || !finalizers.is_empty() {
        let already = get_path(&v, &["metadata", "deletionTimestamp"]).is_some();
        let mut changed = false;
        if !already {
            set_path(
                &mut v,
                &["metadata", "deletionTimestamp"],
                json!(now_rfc3339()),
            );
            set_path(
                &mut v,
                &["metadata", "deletionGracePeriodSeconds"],
                json!(0),
            );
            changed = true;
        }
        if !finalizers.is_empty()
            && get_path(&v, &["metadata", "finalizers"]) != Some(&Value::Array(finalizers.clone()))
        {
            set_path(
                &mut v,
                &["metadata", "finalizers"],
                Value::Array(finalizers),
            );
            changed = true;
        }
        if is_ns && get_str(&v, &["status", "phase"]) != Some("Terminating") {
            set_path(&mut v, &["status", "phase"], json!("Terminating"));
            changed = true;
        }
        let out = if changed { st.put(key, v) } else { obj };
        if foreground {
            for dep in deps {
                mark_deleted(st, &dep.key, &dep.namespace, &dep.name, "Foreground");
            }
        }
        return Some(out);
    }
    purge(st, key, ns, name)
}

/// Removes an object now, then deletes dependents whose owners are all gone.
pub fn purge(st: &mut State, key: &ResourceKey, ns: &str, name: &str) -> Option<Obj> {
    let gone = st.remove(key, ns, name)?;
    if key.group == "apiextensions.k8s.io" && key.plural == "customresourcedefinitions" {
        crate::crd::unregister(st, &gone.value);
    }
    let uid = get_str(&gone.value, &["metadata", "uid"])
        .unwrap_or_default()
        .to_string();
    for dep in st.dependents_of(&uid) {
        let Some(d) = st.get(&dep.key, &dep.namespace, &dep.name) else {
            continue;
        };
        let owners_left = d
            .value
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("uid").and_then(Value::as_str))
            .any(|u| u != uid && st.by_uid(u).is_some());
        if !owners_left {
            mark_deleted(st, &dep.key, &dep.namespace, &dep.name, "Background");
        }
    }
    Some(gone)
}

/// References to dependents, for callers that need them.
pub fn dependents(st: &State, obj: &Value) -> Vec<ObjRef> {
    st.dependents_of(get_str(obj, &["metadata", "uid"]).unwrap_or_default())
}
