//! The write path shared by the HTTP handlers and the simulation: create, update
//! (main resource or status), patch and apply (`patch.rs`), delete with finalizers and
//! garbage collection (`delete.rs`).

mod delete;
mod patch;

pub use delete::{DeleteOpts, delete, dependents, mark_deleted, purge};
pub use patch::{PatchType, json_patch_like_apiserver, patch};

use serde_json::{Value, json};

use crate::defaults::{apply_defaults, immutable_violations, validate_name};
use crate::registry::{ResourceDef, ResourceKey};
use crate::ssa;
use crate::ssa::fieldpath::Scope;
use crate::ssa::schema::TypeInfo;
use crate::status::{ApiError, Target};
use crate::store::{Obj, State, StoredObject, name_of};
use crate::util::{get_path, get_str, now_rfc3339, random_suffix, remove_path, set_path, uuid};

/// Options common to writes.
#[derive(Debug, Clone)]
pub struct WriteOpts<'a> {
    /// Field manager recorded in managedFields.
    pub manager: &'a str,
    /// `dryRun=All`: compute, validate and return without storing.
    pub dry_run: bool,
    /// Main resource or status subresource.
    pub scope: Scope,
    /// `fieldValidation=Strict`: unknown fields of custom resources are an error
    /// (otherwise they are pruned).
    pub strict: bool,
}

pub(crate) fn target<'a>(def: &'a ResourceDef, name: &'a str) -> Target<'a> {
    Target {
        group: &def.group,
        resource: &def.plural,
        name,
    }
}

pub(crate) fn types(def: &ResourceDef) -> TypeInfo<'_> {
    TypeInfo {
        crd_schema: def.schema.as_deref(),
    }
}

/// The storage key of namespaces.
pub fn namespaces_key() -> ResourceKey {
    ResourceKey {
        group: String::new(),
        plural: "namespaces".into(),
    }
}

/// Kinds whose `metadata.generation` the API server maintains.
fn has_generation(def: &ResourceDef, _v: &Value) -> bool {
    def.custom
        || matches!(
            def.group.as_str(),
            "apps"
                | "batch"
                | "networking.k8s.io"
                | "policy"
                | "autoscaling"
                | "apiextensions.k8s.io"
                | "admissionregistration.k8s.io"
        )
}

/// Everything but metadata and status: a change here bumps `metadata.generation`.
fn spec_part(v: &Value) -> Value {
    let mut s = v.clone();
    if let Some(m) = s.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
        m.remove("apiVersion");
        m.remove("kind");
    }
    s
}

pub(crate) fn check_namespace(
    st: &State,
    def: &ResourceDef,
    ns: &str,
    name: &str,
) -> Result<(), ApiError> {
    if !def.namespaced {
        return Ok(());
    }
    let Some(n) = st.get(&namespaces_key(), "", ns) else {
        return Err(ApiError::not_found(Target {
            group: "",
            resource: "namespaces",
            name: ns,
        }));
    };
    if get_path(&n.value, &["metadata", "deletionTimestamp"]).is_some() {
        return Err(ApiError::forbidden(format!(
            "{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
            def.plural,
        )));
    }
    Ok(())
}

/// Sets identity fields of a new object and validates the name.
pub(crate) fn prepare_new(
    st: &mut State,
    def: &ResourceDef,
    ns: &str,
    obj: &mut Value,
) -> Result<String, ApiError> {
    if !obj.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request is not a JSON object",
        ));
    }
    let mut name = get_str(obj, &["metadata", "name"])
        .unwrap_or_default()
        .to_string();
    if name.is_empty()
        && let Some(g) = get_str(obj, &["metadata", "generateName"])
    {
        name = format!("{g}{}", random_suffix(5));
    }
    if let Err(m) = validate_name(&def.kind, &name) {
        return Err(ApiError::invalid(
            &def.kind,
            &def.group,
            &name,
            &[("metadata.name".into(), m)],
        ));
    }
    if def.namespaced {
        if let Some(n) = get_str(obj, &["metadata", "namespace"])
            && n != ns
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        set_path(obj, &["metadata", "namespace"], json!(ns));
    } else {
        remove_path(obj, &["metadata", "namespace"]);
    }
    set_path(obj, &["metadata", "name"], json!(name));
    set_path(obj, &["apiVersion"], json!(def.api_version()));
    set_path(obj, &["kind"], json!(def.kind));
    for f in [
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    ] {
        remove_path(obj, &["metadata", f]);
    }
    set_path(obj, &["metadata", "uid"], json!(uuid()));
    set_path(
        obj,
        &["metadata", "creationTimestamp"],
        json!(now_rfc3339()),
    );
    if has_generation(def, obj) {
        set_path(obj, &["metadata", "generation"], json!(1));
    } else {
        remove_path(obj, &["metadata", "generation"]);
    }
    st.seq += 1;
    Ok(name)
}

/// Creates an object (POST).
pub fn create(
    st: &mut State,
    def: &ResourceDef,
    ns: &str,
    mut obj: Value,
    o: &WriteOpts<'_>,
) -> Result<Obj, ApiError> {
    let name = prepare_new(st, def, ns, &mut obj)?;
    check_namespace(st, def, ns, &name)?;
    if st
        .get(&def.key(), if def.namespaced { ns } else { "" }, &name)
        .is_some()
    {
        return Err(ApiError::already_exists(target(def, &name)));
    }
    if def.status && def.kind != "Namespace" {
        remove_path(&mut obj, &["status"]);
    }
    remove_path(&mut obj, &["metadata", "managedFields"]);
    prune_custom(def, &mut obj, o.strict)?;
    apply_defaults(&def.group, &def.kind, &mut obj, st.seq);
    check_required(def, &obj)?;
    ssa::record_update(
        None,
        &mut obj,
        o.manager,
        Scope::Main,
        &def.api_version(),
        &now_rfc3339(),
        &types(def),
    );
    if o.dry_run {
        return Ok(StoredObject::new(obj));
    }
    Ok(st.put(&def.key(), obj))
}

/// Completes an update: server-owned fields, status handling, defaults, immutability,
/// managedFields, generation, no-op detection, finalization.
pub(crate) fn finish_update(
    st: &mut State,
    def: &ResourceDef,
    old: &Obj,
    mut new: Value,
    o: &WriteOpts<'_>,
    applied: bool,
) -> Result<Obj, ApiError> {
    let oldv = &old.value;
    let name = name_of(oldv);
    if !new.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request is not a JSON object",
        ));
    }
    if let Some(n) = get_str(&new, &["metadata", "name"])
        && n != name
    {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({n}) does not match the name on the URL ({name})"
        )));
    }
    if let Some(rv) = get_str(&new, &["metadata", "resourceVersion"])
        && !rv.is_empty()
        && Some(rv) != get_str(oldv, &["metadata", "resourceVersion"])
    {
        return Err(ApiError::stale(target(def, &name)));
    }
    if o.scope == Scope::Status {
        // Only status changes through the status subresource.
        let status = new.get("status").cloned();
        let managed = get_path(&new, &["metadata", "managedFields"]).cloned();
        new = oldv.clone();
        match status {
            Some(s) => set_path(&mut new, &["status"], s),
            None => {
                remove_path(&mut new, &["status"]);
            }
        }
        if applied && let Some(m) = managed {
            set_path(&mut new, &["metadata", "managedFields"], m);
        }
    } else if def.status {
        match oldv.get("status") {
            Some(s) => set_path(&mut new, &["status"], s.clone()),
            None => {
                remove_path(&mut new, &["status"]);
            }
        }
    }
    for f in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
        "namespace",
    ] {
        match get_path(oldv, &["metadata", f]) {
            Some(v) => set_path(&mut new, &["metadata", f], v.clone()),
            None => {
                remove_path(&mut new, &["metadata", f]);
            }
        }
    }
    set_path(&mut new, &["metadata", "name"], json!(name));
    set_path(&mut new, &["apiVersion"], json!(def.api_version()));
    set_path(&mut new, &["kind"], json!(def.kind));
    if !applied {
        match get_path(oldv, &["metadata", "managedFields"]) {
            Some(m) => set_path(&mut new, &["metadata", "managedFields"], m.clone()),
            None => {
                remove_path(&mut new, &["metadata", "managedFields"]);
            }
        }
    }
    prune_custom(def, &mut new, o.strict && !applied)?;
    apply_defaults(&def.group, &def.kind, &mut new, st.seq);
    check_required(def, &new)?;
    let bad = immutable_violations(&def.group, &def.kind, oldv, &new);
    if !bad.is_empty() {
        return Err(ApiError::invalid(&def.kind, &def.group, &name, &bad));
    }
    if !applied {
        ssa::record_update(
            Some(oldv),
            &mut new,
            o.manager,
            o.scope,
            &def.api_version(),
            &now_rfc3339(),
            &types(def),
        );
    }
    if has_generation(def, &new) && spec_part(oldv) != spec_part(&new) {
        let g = get_path(oldv, &["metadata", "generation"])
            .and_then(Value::as_i64)
            .unwrap_or(0);
        set_path(&mut new, &["metadata", "generation"], json!(g + 1));
    }
    set_path(
        &mut new,
        &["metadata", "resourceVersion"],
        get_path(oldv, &["metadata", "resourceVersion"])
            .cloned()
            .unwrap_or(Value::Null),
    );
    if new == *oldv {
        return Ok(old.clone());
    }
    if o.dry_run {
        return Ok(StoredObject::new(new));
    }
    let deleting = get_path(&new, &["metadata", "deletionTimestamp"]).is_some();
    let finalizers_left = get_path(&new, &["metadata", "finalizers"])
        .and_then(Value::as_array)
        .is_some_and(|f| !f.is_empty());
    let stored = st.put(&def.key(), new);
    if deleting && !finalizers_left && def.kind != "Namespace" {
        let ns = crate::store::ns_of(&stored.value);
        if let Some(gone) = purge(st, &def.key(), &ns, &name) {
            return Ok(gone);
        }
    }
    Ok(stored)
}

/// Drops unknown fields (undeclared in a CRD schema, or unknown to a built-in type);
/// with `strict`, reports them instead.
pub(crate) fn prune_custom(
    def: &ResourceDef,
    obj: &mut Value,
    strict: bool,
) -> Result<(), ApiError> {
    let unknown = match def.schema.as_deref() {
        Some(schema) => crate::crd::prune(obj, schema),
        None if def.custom => vec![],
        None => {
            crate::validate::normalize_quantities(obj);
            let unknown =
                crate::validate::unknown_fields(&def.group, &def.kind, obj).unwrap_or_default();
            if !strict {
                crate::validate::remove_fields(obj, &unknown);
            }
            unknown
        }
    };
    if strict && !unknown.is_empty() {
        let name = get_str(obj, &["metadata", "name"])
            .unwrap_or_default()
            .to_string();
        let fields: Vec<String> = unknown
            .iter()
            .map(|f| format!("unknown field \"{f}\""))
            .collect();
        return Err(ApiError::bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: strict decoding error: {}",
            def.kind,
            def.version,
            def.kind,
            fields.join(", ")
        ))
        .with_name(&name));
    }
    Ok(())
}

/// Rejects a built-in object that lacks a required field, with 422 like the API server.
fn check_required(def: &ResourceDef, obj: &Value) -> Result<(), ApiError> {
    if def.custom {
        return Ok(());
    }
    match crate::validate::missing_required(&def.group, &def.kind, obj) {
        Some(field) => {
            let name = get_str(obj, &["metadata", "name"]).unwrap_or_default();
            Err(ApiError::invalid(
                &def.kind,
                &def.group,
                name,
                &[(field, "Required value".into())],
            ))
        }
        None => Ok(()),
    }
}

fn lookup(st: &State, def: &ResourceDef, ns: &str, name: &str) -> Result<Obj, ApiError> {
    st.get(&def.key(), if def.namespaced { ns } else { "" }, name)
        .ok_or_else(|| ApiError::not_found(target(def, name)))
}

/// Replaces an object (PUT) on the main resource or the status subresource.
pub fn update(
    st: &mut State,
    def: &ResourceDef,
    ns: &str,
    name: &str,
    new: Value,
    o: &WriteOpts<'_>,
) -> Result<Obj, ApiError> {
    let old = lookup(st, def, ns, name)?;
    finish_update(st, def, &old, new, o, false)
}
