//! LIST with label and field selectors and `limit`/`continue` paging.

use base64::Engine;
use bytes::{BufMut, Bytes, BytesMut};
use http::Response;
use serde_json::{Value, json};

use super::{Body, Ctx, bytes_response, served_bytes, table};
use crate::selectors::{FieldSelector, LabelSelector};
use crate::status::ApiError;
use crate::store::Obj;

/// Parsed selectors of a list or watch.
pub struct Selectors {
    /// Labels.
    pub labels: LabelSelector,
    /// Fields.
    pub fields: FieldSelector,
}

impl Selectors {
    /// From the query.
    pub fn from_ctx(ctx: &Ctx) -> Result<Self, ApiError> {
        let labels = LabelSelector::parse(ctx.query.get("labelSelector").unwrap_or_default())
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let fields = FieldSelector::parse(ctx.query.get("fieldSelector").unwrap_or_default())
            .map_err(|e| ApiError::bad_request(format!("invalid field selector: {e}")))?;
        fields
            .validate()
            .map_err(|p| ApiError::bad_request(format!("field label not supported: {p}")))?;
        Ok(Self { labels, fields })
    }

    /// Whether an object matches both.
    pub fn matches(&self, v: &Value) -> bool {
        self.labels.matches(v) && self.fields.matches(v)
    }
}

fn encode_continue(rv: u64, ns: &str, name: &str) -> String {
    let raw = json!({"rv": rv, "ns": ns, "name": name}).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_continue(s: &str) -> Result<(u64, (String, String)), ApiError> {
    let bad = || ApiError::bad_request("continue key is not valid");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let rv = v.get("rv").and_then(Value::as_u64).ok_or_else(bad)?;
    let ns = v
        .get("ns")
        .and_then(Value::as_str)
        .ok_or_else(bad)?
        .to_string();
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(bad)?
        .to_string();
    Ok((rv, (ns, name)))
}

/// Serializes a list from pre-serialized items.
pub fn list_bytes(ctx: &Ctx, items: &[Obj], rv: u64, cont: Option<String>) -> Bytes {
    let def = &ctx.rr.def;
    let partial = ctx.wants_metadata();
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = cont {
        meta["continue"] = json!(c);
    }
    let (kind, api_version) = if partial {
        (
            "PartialObjectMetadata".to_string(),
            "meta.k8s.io/v1".to_string(),
        )
    } else {
        (def.kind.clone(), def.api_version())
    };
    let head = format!(
        "{{\"kind\":\"{kind}List\",\"apiVersion\":\"{api_version}\",\"metadata\":{meta},\"items\":["
    );
    let size: usize = items.iter().map(|o| o.json.len() + 1).sum();
    let mut buf = BytesMut::with_capacity(head.len() + size + 2);
    buf.put_slice(head.as_bytes());
    for (i, o) in items.iter().enumerate() {
        if i > 0 {
            buf.put_u8(b',');
        }
        if partial {
            buf.put_slice(&super::partial_metadata(o));
        } else {
            buf.put_slice(&served_bytes(def, o));
        }
    }
    buf.put_slice(b"]}");
    buf.freeze()
}

/// `GET` of a collection.
pub fn list(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let sel = Selectors::from_ctx(ctx)?;
    let limit = match ctx.query.get("limit") {
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| ApiError::bad_request(format!("invalid limit: {l}")))?,
        None => 0,
    };
    let after = ctx
        .query
        .get("continue")
        .filter(|c| !c.is_empty())
        .map(decode_continue)
        .transpose()?;
    let rr = &ctx.rr;
    let ns = (rr.def.namespaced && rr.has_namespace).then_some(rr.namespace.as_str());
    let (items, next, rv) = {
        let st = ctx.shared.store.lock();
        let rv = after.as_ref().map_or(st.rv, |(rv, _)| *rv);
        let (items, next) = st.list_page(
            &rr.def.key(),
            ns,
            after.as_ref().map(|(_, k)| k),
            |o| sel.matches(&o.value),
            if limit == 0 { usize::MAX } else { limit },
        );
        (items, next, rv)
    };
    let cont = next.map(|(ns, name)| encode_continue(rv, &ns, &name));
    if ctx.wants_table() {
        let mut t = table::table(&rr.def, &items, Some(json!(rv.to_string())));
        if let Some(c) = cont {
            t["metadata"]["continue"] = json!(c);
        }
        return Ok(super::json_response(200, &t));
    }
    Ok(bytes_response(
        200,
        list_bytes(ctx, &items, rv, cont),
        "application/json",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        let t = encode_continue(42, "ns", "name");
        assert_eq!(
            decode_continue(&t).unwrap(),
            (42, ("ns".into(), "name".into()))
        );
        assert!(decode_continue("garbage!").is_err());
    }
}
