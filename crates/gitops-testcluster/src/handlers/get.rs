//! GET of one object.

use http::Response;

use super::{Body, Ctx, object_response, table};
use crate::status::{ApiError, Target};

/// `GET .../{name}` (and `/status`).
pub fn get(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let rr = &ctx.rr;
    let name = rr.name.as_deref().unwrap_or_default();
    let obj = ctx
        .shared
        .store
        .lock()
        .get(&rr.def.key(), &rr.namespace, name)
        .ok_or_else(|| {
            ApiError::not_found(Target {
                group: &rr.def.group,
                resource: &rr.def.plural,
                name,
            })
        })?;
    if ctx.wants_table() {
        let rv = obj.value.pointer("/metadata/resourceVersion").cloned();
        return Ok(super::json_response(
            200,
            &table::table(&rr.def, &[obj], rv),
        ));
    }
    if ctx.wants_metadata() {
        return Ok(super::bytes_response(
            200,
            super::partial_metadata(&obj),
            "application/json",
        ));
    }
    Ok(object_response(200, &rr.def, &obj))
}
