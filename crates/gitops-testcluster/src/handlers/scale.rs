//! The `/scale` subresource (`autoscaling/v1` Scale), so `kubectl scale` works.

use http::Response;
use serde_json::{Value, json};

use super::{Body, Ctx, json_response};
use crate::registry::ResourceDef;
use crate::selectors::LabelSelector;
use crate::ssa::fieldpath::Scope;
use crate::status::{ApiError, Target};
use crate::store::Obj;
use crate::write::{self, WriteOpts};

fn pointer(path: &str) -> String {
    path.trim_start_matches('.')
        .split('.')
        .fold(String::new(), |mut s, p| {
            s.push('/');
            s.push_str(p);
            s
        })
}

fn to_scale(def: &ResourceDef, obj: &Obj) -> Value {
    let v = &obj.value;
    let Some(paths) = &def.scale else {
        return Value::Null;
    };
    let spec = v
        .pointer(&pointer(&paths.spec_replicas))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let status = v
        .pointer(&pointer(&paths.status_replicas))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let selector = if def.custom {
        paths
            .label_selector
            .as_ref()
            .and_then(|p| v.pointer(&pointer(p)))
            .and_then(Value::as_str)
            .map(str::to_string)
    } else {
        v.pointer("/spec/selector")
            .map(|s| LabelSelector::from_object(s).to_string_form())
    };
    let mut meta = json!({});
    for f in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(x) = v.pointer(&format!("/metadata/{f}")) {
            meta[f] = x.clone();
        }
    }
    let mut st = json!({"replicas": status});
    if let Some(s) = selector {
        st["selector"] = json!(s);
    }
    json!({"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": meta, "spec": {"replicas": spec}, "status": st})
}

fn current(ctx: &Ctx) -> Result<Obj, ApiError> {
    let rr = &ctx.rr;
    let name = rr.name.as_deref().unwrap_or_default();
    ctx.shared
        .store
        .lock()
        .get(&rr.def.key(), &rr.namespace, name)
        .ok_or_else(|| {
            ApiError::not_found(Target {
                group: &rr.def.group,
                resource: &rr.def.plural,
                name,
            })
        })
}

fn set_replicas(ctx: &Ctx, scale: &Value) -> Result<Response<Body>, ApiError> {
    let rr = &ctx.rr;
    let name = rr.name.as_deref().unwrap_or_default();
    let replicas = scale
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .ok_or_else(|| ApiError::bad_request("spec.replicas is required"))?;
    let paths = rr.def.scale.clone().ok_or_else(ApiError::not_found_path)?;
    let manager = ctx.manager();
    let o = WriteOpts {
        manager: &manager,
        dry_run: ctx.query.dry_run(),
        scope: Scope::Main,
        strict: ctx.query.get("fieldValidation") == Some("Strict"),
    };
    let mut st = ctx.shared.store.lock();
    let old = st
        .get(&rr.def.key(), &rr.namespace, name)
        .ok_or_else(ApiError::not_found_path)?;
    if let Some(rv) = scale
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        && Some(rv)
            != old
                .value
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
    {
        return Err(ApiError::stale(Target {
            group: &rr.def.group,
            resource: &rr.def.plural,
            name,
        }));
    }
    let mut new = old.value.clone();
    let ptr = pointer(&paths.spec_replicas);
    match new.pointer_mut(&ptr) {
        Some(slot) => *slot = json!(replicas),
        None => {
            let parts: Vec<&str> = paths
                .spec_replicas
                .trim_start_matches('.')
                .split('.')
                .collect();
            crate::util::set_path(&mut new, &parts, json!(replicas));
        }
    }
    let obj = write::update(&mut st, &rr.def, &rr.namespace, name, new, &o)?;
    drop(st);
    Ok(json_response(200, &to_scale(&rr.def, &obj)))
}

/// `GET .../scale`.
pub fn get(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let obj = current(ctx)?;
    Ok(json_response(200, &to_scale(&ctx.rr.def, &obj)))
}

/// `PUT .../scale`.
pub fn update(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let body = ctx.json_body()?;
    set_replicas(ctx, &body)
}

/// `PATCH .../scale` (merge, strategic or JSON patch of the Scale object).
pub fn patch(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let obj = current(ctx)?;
    let mut scale = to_scale(&ctx.rr.def, &obj);
    let body: Value = super::mutate::parse_apply_body(&ctx.body)?;
    match write::PatchType::from_content_type(&ctx.content_type) {
        Some(write::PatchType::Json) => write::json_patch_like_apiserver(&mut scale, &body)?,
        Some(_) => json_patch::merge(&mut scale, &body),
        None => return Err(ApiError::unsupported_media(&ctx.content_type)),
    }
    if let Some(m) = scale
        .pointer_mut("/metadata")
        .and_then(Value::as_object_mut)
    {
        m.remove("resourceVersion");
    }
    set_replicas(ctx, &scale)
}
