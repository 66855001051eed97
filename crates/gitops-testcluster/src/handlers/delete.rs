//! DELETE of one object and of a collection.

use http::Response;
use serde_json::Value;

use super::list::Selectors;
use super::{Body, Ctx, bytes_response, list::list_bytes, object_response};
use crate::status::ApiError;
use crate::write::{self, DeleteOpts};

fn options(ctx: &Ctx) -> Result<DeleteOpts, ApiError> {
    let body: Value = if ctx.body.is_empty() {
        Value::Null
    } else {
        ctx.json_body()?
    };
    let s = |p: &str| body.pointer(p).and_then(Value::as_str).map(str::to_string);
    let dry_body = body
        .get("dryRun")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|x| x == "All"));
    let orphan = body.get("orphanDependents").and_then(Value::as_bool) == Some(true);
    Ok(DeleteOpts {
        propagation: ctx
            .query
            .get("propagationPolicy")
            .map(str::to_string)
            .or_else(|| s("/propagationPolicy"))
            .or_else(|| orphan.then(|| "Orphan".to_string())),
        uid: s("/preconditions/uid"),
        resource_version: s("/preconditions/resourceVersion"),
        dry_run: ctx.query.dry_run() || dry_body,
    })
}

/// `DELETE .../{name}`.
pub fn delete(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let rr = &ctx.rr;
    let d = options(ctx)?;
    let name = rr.name.as_deref().unwrap_or_default();
    let mut st = ctx.shared.store.lock();
    let obj = write::delete(&mut st, &rr.def, &rr.namespace, name, &d)?;
    drop(st);
    Ok(object_response(200, &rr.def, &obj))
}

/// `DELETE` of a collection (with selectors).
pub fn delete_collection(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let rr = &ctx.rr;
    let d = options(ctx)?;
    let sel = Selectors::from_ctx(ctx)?;
    let ns = (rr.def.namespaced && rr.has_namespace).then_some(rr.namespace.as_str());
    let mut st = ctx.shared.store.lock();
    let victims: Vec<_> = st
        .list(&rr.def.key(), ns)
        .into_iter()
        .filter(|o| sel.matches(&o.value))
        .collect();
    let mut out = Vec::with_capacity(victims.len());
    for v in victims {
        let vns = crate::store::ns_of(&v.value);
        let vname = crate::store::name_of(&v.value);
        out.push(write::delete(&mut st, &rr.def, &vns, &vname, &d)?);
    }
    let rv = st.rv;
    drop(st);
    let _ = object_response;
    Ok(bytes_response(
        200,
        list_bytes(ctx, &out, rv, None),
        "application/json",
    ))
}
