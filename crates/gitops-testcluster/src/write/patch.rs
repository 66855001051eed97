//! PATCH: JSON patch, merge patch, strategic merge patch and server-side apply.

use serde_json::{Value, json};

use super::{
    WriteOpts, check_namespace, check_required, finish_update, prepare_new, prune_custom, target,
    types,
};
use crate::defaults::apply_defaults;
use crate::registry::ResourceDef;
use crate::ssa::fieldpath::Scope;
use crate::ssa::{self, ApplyRequest};
use crate::status::ApiError;
use crate::store::{Obj, State, StoredObject};
use crate::util::{get_path, get_str, now_rfc3339, remove_path, set_path};

/// Applies an RFC 6902 patch the way the API server's library (evanphx/json-patch) does: a
/// `test` of `null` succeeds on a missing path (kube-runtime's finalizer helper relies on it).
pub fn json_patch_like_apiserver(doc: &mut Value, body: &Value) -> Result<(), ApiError> {
    let ops: Vec<Value> = body
        .as_array()
        .ok_or_else(|| ApiError::bad_request("invalid JSON patch: expected a list of operations"))?
        .iter()
        .filter(|op| {
            let missing_null_test = op["op"] == "test"
                && op["value"].is_null()
                && op["path"]
                    .as_str()
                    .is_some_and(|p| doc.pointer(p).is_none());
            !missing_null_test
        })
        .cloned()
        .collect();
    let p: json_patch::Patch = serde_json::from_value(Value::Array(ops))
        .map_err(|e| ApiError::bad_request(format!("invalid JSON patch: {e}")))?;
    json_patch::patch(doc, &p).map_err(|e| {
        ApiError::new(
            422,
            "Invalid",
            format!("the server rejected our request due to an error in our request: {e}"),
        )
    })
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
        PatchType::Json => json_patch_like_apiserver(&mut doc, body)?,
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
    if def.status && o.scope == Scope::Main {
        // The status subresource owns status: the main resource ignores it.
        remove_path(&mut body, &["status"]);
    }
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
            check_required(def, &obj)?;
            if o.dry_run {
                return Ok((StoredObject::new(obj), true));
            }
            Ok((st.put(&def.key(), obj), true))
        }
    }
}

#[cfg(test)]
mod json_patch_tests {
    use super::*;

    #[test]
    fn a_null_test_of_a_missing_path_passes_like_the_apiserver() {
        let mut doc = json!({"metadata": {"name": "a"}});
        let body = json!([
            {"op": "test", "path": "/metadata/finalizers", "value": null},
            {"op": "add", "path": "/metadata/finalizers", "value": ["x"]}
        ]);
        json_patch_like_apiserver(&mut doc, &body).unwrap();
        assert_eq!(doc["metadata"]["finalizers"], json!(["x"]));
        // A test that does not hold still fails.
        let body = json!([{"op": "test", "path": "/metadata/name", "value": "b"}]);
        assert!(json_patch_like_apiserver(&mut doc, &body).is_err());
    }
}
