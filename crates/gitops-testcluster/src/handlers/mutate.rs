//! POST (create), PUT (update) and PATCH (json, merge, strategic, apply).

use http::Response;
use serde_json::Value;

use super::{Body, Ctx, object_response};
use crate::ssa::fieldpath::Scope;
use crate::status::ApiError;
use crate::write::{self, PatchType, WriteOpts};

fn scope(ctx: &Ctx) -> Scope {
    match ctx.rr.subresource.as_deref() {
        Some("status") => Scope::Status,
        _ => Scope::Main,
    }
}

/// `POST` to a collection.
pub fn create(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let rr = &ctx.rr;
    if rr.def.namespaced && !rr.has_namespace {
        return Err(ApiError::method_not_allowed());
    }
    let body = ctx.json_body()?;
    let manager = ctx.manager();
    let o = WriteOpts {
        manager: &manager,
        dry_run: ctx.query.dry_run(),
        scope: Scope::Main,
        strict: ctx.query.get("fieldValidation") == Some("Strict"),
    };
    let mut st = ctx.shared.store.lock();
    let obj = write::create(&mut st, &rr.def, &rr.namespace, body, &o)?;
    drop(st);
    Ok(object_response(201, &rr.def, &obj))
}

/// `PUT` of an object or its status.
pub fn update(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let rr = &ctx.rr;
    let body = ctx.json_body()?;
    let manager = ctx.manager();
    let o = WriteOpts {
        manager: &manager,
        dry_run: ctx.query.dry_run(),
        scope: scope(ctx),
        strict: ctx.query.get("fieldValidation") == Some("Strict"),
    };
    let name = rr.name.as_deref().unwrap_or_default();
    let mut st = ctx.shared.store.lock();
    let obj = write::update(&mut st, &rr.def, &rr.namespace, name, body, &o)?;
    drop(st);
    Ok(object_response(200, &rr.def, &obj))
}

/// Parses an apply body: JSON, or YAML through serde-saphyr.
pub fn parse_apply_body(body: &[u8]) -> Result<Value, ApiError> {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return Ok(v);
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("the apply body is not UTF-8"))?;
    serde_saphyr::from_str::<Value>(text)
        .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
}

/// `PATCH` of an object or its status.
pub fn patch(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let rr = &ctx.rr;
    let ty = PatchType::from_content_type(&ctx.content_type)
        .ok_or_else(|| ApiError::unsupported_media(&ctx.content_type))?;
    let body = match ty {
        PatchType::Apply => parse_apply_body(&ctx.body)?,
        _ => ctx.json_body()?,
    };
    let manager = match (ty, ctx.query.get("fieldManager")) {
        (PatchType::Apply, None | Some("")) => {
            return Err(ApiError::new(
                422,
                "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            ));
        }
        _ => ctx.manager(),
    };
    let o = WriteOpts {
        manager: &manager,
        dry_run: ctx.query.dry_run(),
        scope: scope(ctx),
        strict: ctx.query.get("fieldValidation") == Some("Strict"),
    };
    if rr.def.namespaced && !rr.has_namespace {
        return Err(ApiError::method_not_allowed());
    }
    let name = rr.name.as_deref().unwrap_or_default();
    let force = ctx.query.flag("force");
    let mut st = ctx.shared.store.lock();
    let (obj, created) = write::patch(&mut st, &rr.def, &rr.namespace, name, ty, &body, force, &o)?;
    drop(st);
    Ok(object_response(
        if created { 201 } else { 200 },
        &rr.def,
        &obj,
    ))
}
