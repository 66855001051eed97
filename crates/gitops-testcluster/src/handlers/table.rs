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

type Cell = fn(&Value) -> Value;

fn s(v: &Value, p: &str) -> Value {
    v.pointer(p).cloned().unwrap_or(json!("<none>"))
}

fn count_ready(v: &Value) -> Value {
    let cs = v
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array);
    let ready = cs.map_or(0, |c| {
        c.iter()
            .filter(|c| c.get("ready") == Some(&json!(true)))
            .count()
    });
    let total = v
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    json!(format!("{ready}/{total}"))
}

fn pod_status(v: &Value) -> Value {
    let waiting = v.pointer("/status/containerStatuses/0/state/waiting/reason");
    let terminated = v.pointer("/status/containerStatuses/0/state/terminated/reason");
    waiting
        .or(terminated)
        .or_else(|| v.pointer("/status/phase"))
        .cloned()
        .unwrap_or(json!("Pending"))
}

fn ports(v: &Value) -> Value {
    let list: Vec<String> = v
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
            match p.get("nodePort") {
                Some(n) => format!("{}:{n}/{proto}", int(p, "/port")),
                None => format!("{}/{proto}", int(p, "/port")),
            }
        })
        .collect();
    json!(if list.is_empty() {
        "<none>".to_string()
    } else {
        list.join(",")
    })
}

fn external_ip(v: &Value) -> Value {
    match v.pointer("/status/loadBalancer/ingress/0/ip") {
        Some(ip) => ip.clone(),
        None if v.pointer("/spec/type") == Some(&json!("LoadBalancer")) => json!("<pending>"),
        None => json!("<none>"),
    }
}

fn ratio(v: &Value, ready: &str, want: &str) -> Value {
    json!(format!(
        "{}/{}",
        int(v, ready),
        v.pointer(want).and_then(Value::as_i64).unwrap_or(1)
    ))
}

/// Extra columns of well-known kinds, as kubectl shows them.
fn columns(def: &ResourceDef) -> Vec<(&'static str, Cell)> {
    match (def.group.as_str(), def.kind.as_str()) {
        ("apps", "Deployment") => vec![
            ("Ready", |v| {
                ratio(v, "/status/readyReplicas", "/spec/replicas")
            }),
            ("Up-to-date", |v| json!(int(v, "/status/updatedReplicas"))),
            ("Available", |v| json!(int(v, "/status/availableReplicas"))),
        ],
        ("apps", "ReplicaSet") => vec![
            ("Desired", |v| {
                json!(
                    v.pointer("/spec/replicas")
                        .and_then(Value::as_i64)
                        .unwrap_or(1)
                )
            }),
            ("Current", |v| json!(int(v, "/status/replicas"))),
            ("Ready", |v| json!(int(v, "/status/readyReplicas"))),
        ],
        ("apps", "StatefulSet") => vec![("Ready", |v| {
            ratio(v, "/status/readyReplicas", "/spec/replicas")
        })],
        ("apps", "DaemonSet") => vec![
            ("Desired", |v| {
                json!(int(v, "/status/desiredNumberScheduled"))
            }),
            ("Ready", |v| json!(int(v, "/status/numberReady"))),
        ],
        ("batch", "Job") => vec![
            ("Status", |v| {
                let conds = v.pointer("/status/conditions").and_then(Value::as_array);
                let has = |t: &str| {
                    conds.is_some_and(|c| {
                        c.iter().any(|c| {
                            c.get("type") == Some(&json!(t))
                                && c.get("status") == Some(&json!("True"))
                        })
                    })
                };
                json!(if has("Complete") {
                    "Complete"
                } else if has("Failed") {
                    "Failed"
                } else {
                    "Running"
                })
            }),
            ("Completions", |v| {
                ratio(v, "/status/succeeded", "/spec/completions")
            }),
        ],
        ("", "Pod") => vec![
            ("Ready", count_ready),
            ("Status", pod_status),
            ("Restarts", |_| json!(0)),
        ],
        ("", "Service") => vec![
            ("Type", |v| s(v, "/spec/type")),
            ("Cluster-IP", |v| s(v, "/spec/clusterIP")),
            ("External-IP", external_ip),
            ("Port(s)", ports),
        ],
        ("", "PersistentVolumeClaim") => vec![
            ("Status", |v| s(v, "/status/phase")),
            ("Capacity", |v| {
                v.pointer("/status/capacity/storage")
                    .cloned()
                    .unwrap_or(json!(""))
            }),
        ],
        ("", "Node") => vec![
            ("Status", |v| {
                let ready = v
                    .pointer("/status/conditions")
                    .and_then(Value::as_array)
                    .is_some_and(|c| {
                        c.iter().any(|c| {
                            c.get("type") == Some(&json!("Ready"))
                                && c.get("status") == Some(&json!("True"))
                        })
                    });
                json!(if ready { "Ready" } else { "NotReady" })
            }),
            ("Version", |v| s(v, "/status/nodeInfo/kubeletVersion")),
        ],
        ("", "Namespace") => vec![("Status", |v| s(v, "/status/phase"))],
        ("", "ConfigMap") => vec![("Data", |v| {
            let n = v
                .get("data")
                .and_then(Value::as_object)
                .map_or(0, |m| m.len())
                + v.get("binaryData")
                    .and_then(Value::as_object)
                    .map_or(0, |m| m.len());
            json!(n)
        })],
        ("", "Secret") => vec![
            ("Type", |v| s(v, "/type")),
            ("Data", |v| {
                json!(
                    v.get("data")
                        .and_then(Value::as_object)
                        .map_or(0, |m| m.len())
                )
            }),
        ],
        _ => vec![],
    }
}

fn extra(def: &ResourceDef) -> Vec<Value> {
    columns(def)
        .into_iter()
        .map(|(n, _)| col(n, "", n))
        .collect()
}

fn extra_cells(def: &ResourceDef, v: &Value) -> Vec<Value> {
    columns(def).into_iter().map(|(_, f)| f(v)).collect()
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
    fn service_and_pod_rows_look_like_kubectl() {
        let reg = crate::registry::Registry::builtin();
        let svc = crate::store::StoredObject::new(
            json!({"metadata": {"name": "web", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.2", "ports": [{"port": 80, "nodePort": 30001}]}}),
        );
        let t = table(&reg.get("", "v1", "services").unwrap(), &[svc], None);
        let names: Vec<&str> = t["columnDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "Name",
                "Type",
                "Cluster-IP",
                "External-IP",
                "Port(s)",
                "Age"
            ]
        );
        assert_eq!(
            t["rows"][0]["cells"],
            json!([
                "web",
                "LoadBalancer",
                "10.96.0.2",
                "<pending>",
                "80:30001/TCP",
                t["rows"][0]["cells"][5]
            ])
        );
        let pod = crate::store::StoredObject::new(
            json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}]},
            "status": {"phase": "Pending", "containerStatuses": [{"ready": false, "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}}),
        );
        let t = table(&reg.get("", "v1", "pods").unwrap(), &[pod], None);
        assert_eq!(
            t["rows"][0]["cells"].as_array().unwrap()[1..4],
            [json!("0/1"), json!("ImagePullBackOff"), json!(0)]
        );
    }

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
