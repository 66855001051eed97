//! The write path shared by the HTTP handlers and the simulation: create, update
//! (main resource or status), patch, apply, delete with finalizers and garbage collection.

use serde_json::{Value, json};

use crate::defaults::{apply_defaults, immutable_violations, validate_name};
use crate::registry::{ResourceDef, ResourceKey};
use crate::ssa::fieldpath::Scope;
use crate::ssa::schema::TypeInfo;
use crate::ssa::{self, ApplyRequest};
use crate::status::{ApiError, Target};
use crate::store::{Obj, ObjRef, State, StoredObject, name_of};
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

/// Kinds of patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// RFC 6902.
    Json,
    /// RFC 7396.
    Merge,
    /// Strategic merge patch.
    Strategic,
    /// Server-side apply.
    Apply,
}

impl PatchType {
    /// From a Content-Type header.
    pub fn from_content_type(ct: &str) -> Option<Self> {
        let ct = ct.split(';').next().unwrap_or_default().trim();
        match ct {
            "application/json-patch+json" => Some(Self::Json),
            "application/merge-patch+json" => Some(Self::Merge),
            "application/strategic-merge-patch+json" => Some(Self::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => Some(Self::Apply),
            _ => None,
        }
    }
}

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

fn target<'a>(def: &'a ResourceDef, name: &'a str) -> Target<'a> {
    Target {
        group: &def.group,
        resource: &def.plural,
        name,
    }
}

fn types(def: &ResourceDef) -> TypeInfo<'_> {
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

fn check_namespace(st: &State, def: &ResourceDef, ns: &str, name: &str) -> Result<(), ApiError> {
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
fn prepare_new(
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
fn finish_update(
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
fn prune_custom(def: &ResourceDef, obj: &mut Value, strict: bool) -> Result<(), ApiError> {
    let unknown = match def.schema.as_deref() {
        Some(schema) => crate::crd::prune(obj, schema),
        None => {
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

/// Patches an object; `Apply` creates it when missing. Returns the object and whether it was created.
#[allow(clippy::too_many_arguments)]
pub fn patch(
    st: &mut State,
    def: &ResourceDef,
    ns: &str,
    name: &str,
    ty: PatchType,
    body: &Value,
    force: bool,
    o: &WriteOpts<'_>,
) -> Result<(Obj, bool), ApiError> {
    let old = st.get(&def.key(), if def.namespaced { ns } else { "" }, name);
    if ty == PatchType::Apply {
        return apply(st, def, ns, name, old, body, force, o);
    }
    let old = old.ok_or_else(|| ApiError::not_found(target(def, name)))?;
    let mut doc = old.value.clone();
    match ty {
        PatchType::Json => {
            let p: json_patch::Patch = serde_json::from_value(body.clone())
                .map_err(|e| ApiError::bad_request(format!("invalid JSON patch: {e}")))?;
            json_patch::patch(&mut doc, &p).map_err(|e| {
                ApiError::new(
                    422,
                    "Invalid",
                    format!("the server rejected our request due to an error in our request: {e}"),
                )
            })?;
        }
        PatchType::Merge => json_patch::merge(&mut doc, body),
        PatchType::Strategic => {
            if def.custom {
                return Err(ApiError::unsupported_media(
                    "application/strategic-merge-patch+json",
                ));
            }
            doc = crate::strategic_merge::patch(&doc, body);
        }
        PatchType::Apply => {}
    }
    // A patch may only pin a resourceVersion when it mentions one.
    if get_path(body, &["metadata", "resourceVersion"]).is_none() {
        set_path(
            &mut doc,
            &["metadata", "resourceVersion"],
            get_path(&old.value, &["metadata", "resourceVersion"])
                .cloned()
                .unwrap_or(Value::Null),
        );
    }
    Ok((finish_update(st, def, &old, doc, o, false)?, false))
}

#[allow(clippy::too_many_arguments)]
fn apply(
    st: &mut State,
    def: &ResourceDef,
    ns: &str,
    name: &str,
    old: Option<Obj>,
    body: &Value,
    force: bool,
    o: &WriteOpts<'_>,
) -> Result<(Obj, bool), ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request is not an object",
        ));
    }
    if let Some(n) = get_str(body, &["metadata", "name"])
        && n != name
    {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({n}) does not match the name on the URL ({name})"
        )));
    }
    let api_version = def.api_version();
    if let Some(av) = get_str(body, &["apiVersion"])
        && av != api_version
    {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({av}) does not match the expected API version ({api_version})"
        )));
    }
    let mut body = body.clone();
    prune_custom(def, &mut body, o.strict)?;
    let body = &body;
    let now = now_rfc3339();
    let req = ApplyRequest {
        live: old.as_ref().map(|o| &o.value),
        applied: body,
        manager: o.manager,
        force,
        scope: o.scope,
        api_version: &api_version,
        now: &now,
    };
    let merged = ssa::apply(&req, &types(def)).map_err(|cs| {
        let n = cs.len();
        let causes: Vec<Value> = cs
            .iter()
            .map(|c| json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{}\"", c.manager), "field": c.field}))
            .collect();
        let lines: Vec<String> = cs
            .iter()
            .map(|c| format!("conflict with \"{}\": {}", c.manager, c.field))
            .collect();
        let mut e = ApiError::new(
            409,
            "Conflict",
            format!(
                "Apply failed with {n} conflict{}: {}",
                if n == 1 { "" } else { "s" },
                lines.join("\n")
            ),
        );
        e.details = Some(json!({"name": name, "group": def.group, "kind": def.plural, "causes": causes}));
        e
    })?;
    match old {
        Some(old) => Ok((finish_update(st, def, &old, merged, o, true)?, false)),
        None => {
            if o.scope == Scope::Status {
                return Err(ApiError::not_found(target(def, name)));
            }
            check_namespace(st, def, ns, name)?;
            let mut obj = merged;
            set_path(&mut obj, &["metadata", "name"], json!(name));
            let managed = get_path(&obj, &["metadata", "managedFields"]).cloned();
            prepare_new(st, def, ns, &mut obj)?;
            if def.status && def.kind != "Namespace" {
                remove_path(&mut obj, &["status"]);
            }
            if let Some(m) = managed {
                set_path(&mut obj, &["metadata", "managedFields"], m);
            }
            apply_defaults(&def.group, &def.kind, &mut obj, st.seq);
            if o.dry_run {
                return Ok((StoredObject::new(obj), true));
            }
            Ok((st.put(&def.key(), obj), true))
        }
    }
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
