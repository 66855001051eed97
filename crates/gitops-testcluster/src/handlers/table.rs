//! Server-side printing (`Accept: ...;as=Table`), as kubectl get asks for.

use serde_json::{Value, json};

use crate::registry::ResourceDef;
use crate::store::Obj;
use crate::util::{now_secs, parse_rfc3339};

/// kubectl-style short duration.
pub fn age(created: Option<&str>) -> String {
    let Some(t) = created.and_then(parse_rfc3339) else {
        return "<unknown>".into();
    };
    let s = (now_secs() - t).max(0);
    match s {
        s if s < 120 => format!("{s}s"),
        s if s < 600 => format!("{}m{}s", s / 60, s % 60),
        s if s < 3 * 3600 => format!("{}m", s / 60),
        s if s < 48 * 3600 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

fn col(name: &str, format: &str, description: &str) -> Value {
    json!({"name": name, "type": "string", "format": format, "description": description, "priority": 0})
}

fn int(v: &Value, p: &str) -> i64 {
    v.pointer(p).and_then(Value::as_i64).unwrap_or(0)
}

fn extra(def: &ResourceDef) -> Vec<Value> {
    match (def.group.as_str(), def.kind.as_str()) {
        ("apps", "Deployment") => vec![
            col("Ready", "", "Number of the pod with ready state"),
            col(
                "Up-to-date",
                "",
                "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
            ),
            col(
                "Available",
                "",
                "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
            ),
        ],
        ("", "Namespace") => vec![col("Status", "", "The status of the namespace")],
        ("", "ConfigMap") => vec![col("Data", "", "Number of data entries")],
        _ => vec![],
    }
}

fn extra_cells(def: &ResourceDef, v: &Value) -> Vec<Value> {
    match (def.group.as_str(), def.kind.as_str()) {
        ("apps", "Deployment") => vec![
            json!(format!(
                "{}/{}",
                int(v, "/status/readyReplicas"),
                v.pointer("/spec/replicas")
                    .and_then(Value::as_i64)
                    .unwrap_or(1)
            )),
            json!(int(v, "/status/updatedReplicas")),
            json!(int(v, "/status/availableReplicas")),
        ],
        ("", "Namespace") => vec![v.pointer("/status/phase").cloned().unwrap_or(json!(""))],
        ("", "ConfigMap") => {
            let n = v
                .get("data")
                .and_then(Value::as_object)
                .map_or(0, |m| m.len())
                + v.get("binaryData")
                    .and_then(Value::as_object)
                    .map_or(0, |m| m.len());
            vec![json!(n)]
        }
        _ => vec![],
    }
}

/// Evaluates the simple JSONPath forms CRDs use: `.a.b`, `.a[0].b`, `.a[?(@.k=="v")].b`.
pub fn json_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    let mut rest = path
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim_start_matches('.');
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = &r[..end];
            rest = r[end + 1..].trim_start_matches('.');
            if let Some(filter) = inner.strip_prefix("?(@.").and_then(|f| f.strip_suffix(')')) {
                let (k, want) = filter.split_once("==")?;
                let want = want.trim().trim_matches('"').trim_matches('\'');
                cur = cur
                    .as_array()?
                    .iter()
                    .find(|x| x.get(k.trim()).and_then(Value::as_str) == Some(want))?;
            } else {
                cur = cur.get(inner.parse::<usize>().ok()?)?;
            }
            continue;
        }
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        cur = cur.get(&rest[..end])?;
        rest = rest[end..].trim_start_matches('.');
    }
    Some(cur)
}

fn custom_cell(c: &crate::registry::PrinterColumn, v: &Value) -> Value {
    match json_path(v, &c.json_path) {
        None | Some(Value::Null) => json!(null),
        Some(x) if c.type_ == "date" => json!(age(x.as_str())),
        Some(x) => x.clone(),
    }
}

/// A `Table` of objects.
pub fn table(def: &ResourceDef, objs: &[Obj], rv: Option<Value>) -> Value {
    if !def.printer_columns.is_empty() {
        return custom_table(def, objs, rv);
    }
    let mut cols = vec![col(
        "Name",
        "name",
        "Name must be unique within a namespace.",
    )];
    cols.extend(extra(def));
    cols.push(col("Age", "", "CreationTimestamp is a timestamp representing the server time when this object was created."));
    let rows: Vec<Value> = objs
        .iter()
        .map(|o| {
            let v = &o.value;
            let mut cells = vec![v.pointer("/metadata/name").cloned().unwrap_or(json!(""))];
            cells.extend(extra_cells(def, v));
            cells.push(json!(age(v
                .pointer("/metadata/creationTimestamp")
                .and_then(Value::as_str))));
            row(cells, v)
        })
        .collect();
    finish(cols, rows, rv)
}

fn row(cells: Vec<Value>, v: &Value) -> Value {
    let mut meta = v.get("metadata").cloned().unwrap_or(json!({}));
    if let Some(m) = meta.as_object_mut() {
        m.remove("managedFields");
    }
    json!({"cells": cells, "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}})
}

fn finish(cols: Vec<Value>, rows: Vec<Value>, rv: Option<Value>) -> Value {
    let mut meta = json!({});
    if let Some(rv) = rv {
        meta["resourceVersion"] = rv;
    }
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": cols, "rows": rows})
}

fn custom_table(def: &ResourceDef, objs: &[Obj], rv: Option<Value>) -> Value {
    let mut cols = vec![col(
        "Name",
        "name",
        "Name must be unique within a namespace.",
    )];
    for c in &def.printer_columns {
        let ty = if c.type_ == "date" {
            "string"
        } else {
            c.type_.as_str()
        };
        cols.push(json!({"name": c.name, "type": ty, "format": "", "description": c.description, "priority": c.priority}));
    }
    let rows = objs
        .iter()
        .map(|o| {
            let v = &o.value;
            let mut cells = vec![v.pointer("/metadata/name").cloned().unwrap_or(json!(""))];
            cells.extend(def.printer_columns.iter().map(|c| custom_cell(c, v)));
            row(cells, v)
        })
        .collect();
    finish(cols, rows, rv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths() {
        let v = json!({"spec": {"size": 3, "items": [{"n": "a"}]}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(json_path(&v, ".spec.size"), Some(&json!(3)));
        assert_eq!(json_path(&v, ".spec.items[0].n"), Some(&json!("a")));
        assert_eq!(
            json_path(&v, ".status.conditions[?(@.type==\"Ready\")].status"),
            Some(&json!("True"))
        );
        assert_eq!(json_path(&v, ".spec.missing"), None);
    }
}
