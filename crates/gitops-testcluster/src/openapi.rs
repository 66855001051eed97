//! OpenAPI v3 documents, enough for kubectl's validation and field-validation detection:
//! every kind gets a schema tagged with `x-kubernetes-group-version-kind` (permissive for
//! built-ins, the CRD's own `openAPIV3Schema` for custom resources), and every
//! collection and item path declares the `fieldValidation` query parameter.

use serde_json::{Map, Value, json};

use crate::registry::{Registry, ResourceDef};

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`: the index of group-version documents.
pub fn index(reg: &Registry, hash: &str) -> Value {
    let mut paths = Map::new();
    let mut gvs: Vec<(String, String)> = reg
        .all()
        .map(|d| (d.group.clone(), d.version.clone()))
        .collect();
    gvs.sort();
    gvs.dedup();
    for (g, v) in gvs {
        let p = gv_path(&g, &v);
        paths.insert(
            p.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={hash}")}),
        );
    }
    json!({"paths": paths})
}

fn schema_name(d: &ResourceDef) -> String {
    let group = if d.group.is_empty() {
        "core"
    } else {
        d.group.as_str()
    };
    if d.custom {
        let rev: Vec<&str> = d.group.split('.').rev().collect();
        format!("{}.{}.{}", rev.join("."), d.version, d.kind)
    } else {
        let g = group.split('.').next().unwrap_or(group);
        format!("io.k8s.api.{g}.{}.{}", d.version, d.kind)
    }
}

fn schema_of(d: &ResourceDef) -> Value {
    let gvk = json!([{"group": d.group, "version": d.version, "kind": d.kind}]);
    let mut s = match &d.schema {
        Some(s) => (**s).clone(),
        None => json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
    };
    if let Some(m) = s.as_object_mut() {
        m.insert("x-kubernetes-group-version-kind".into(), gvk);
        let props = m.entry("properties").or_insert_with(|| json!({}));
        if let Some(p) = props.as_object_mut() {
            p.entry("apiVersion")
                .or_insert_with(|| json!({"type": "string"}));
            p.entry("kind").or_insert_with(|| json!({"type": "string"}));
            p.entry("metadata").or_insert_with(
                || json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
            );
        }
    }
    s
}

fn op(d: &ResourceDef, action: &str, schema_ref: &str) -> Value {
    let params = json!([
        {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
        {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
        {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
    ]);
    json!({
        "operationId": format!("{action}{}", d.kind),
        "parameters": params,
        "requestBody": {"content": {"*/*": {"schema": {"$ref": schema_ref}}}},
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": schema_ref}}}}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": d.group, "version": d.version, "kind": d.kind},
    })
}

/// `/openapi/v3/{api/v1 | apis/g/v}`.
pub fn document(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let defs = reg.resources(group, version);
    if defs.is_empty() {
        return None;
    }
    let mut schemas = Map::new();
    let mut paths = Map::new();
    let base = format!("/{}", gv_path(group, version));
    for d in &defs {
        let name = schema_name(d);
        let r = format!("#/components/schemas/{name}");
        schemas.insert(name, schema_of(d));
        let coll = if d.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}", d.plural)
        } else {
            format!("{base}/{}", d.plural)
        };
        paths.insert(coll.clone(), json!({"post": op(d, "post", &r)}));
        paths.insert(
            format!("{coll}/{{name}}"),
            json!({"put": op(d, "put", &r), "patch": op(d, "patch", &r)}),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }))
}
