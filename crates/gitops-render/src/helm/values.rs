//! Values: loading YAML values files, merging, and Helm's coalescing of chart defaults,
//! user values, subchart scopes and globals (`pkg/chart/common/util/coalesce.go`).
//!
//! Values are kept as template values ([`gitops_gotemplate::Value`]) whose maps are shared
//! and mutable like Go maps, so the port keeps Helm's aliasing behaviour.

use gitops_gotemplate::Value;
use gitops_gotemplate::value::{Map, MapKind};
use serde_json::Value as Json;

/// Helm's key for global values.
pub(crate) const GLOBAL_KEY: &str = "global";

/// The map inside a value, if it is a table (Go's `istable`).
pub(crate) fn table(v: &Value) -> Option<&Map> {
    match v {
        Value::Map(m) if m.kind() != MapKind::String => Some(m),
        _ => None,
    }
}

/// A new empty table.
pub(crate) fn new_table() -> Map {
    Map::new(MapKind::Interface)
}

/// Whether a value is Go's nil (`null` in YAML).
pub(crate) fn is_nil(v: &Value) -> bool {
    matches!(v, Value::Nil | Value::Invalid)
}

/// Reads a values document stream: each YAML document must be a map; the documents merge
/// in order (Helm's `LoadValues`). Numbers become `float64`, as Helm's YAML-to-JSON
/// decoding makes them.
pub(crate) fn load_values(data: &[u8], file: &str) -> Result<Value, String> {
    let text = String::from_utf8_lossy(data);
    let docs = gitops_core::yaml::parse_documents(&text)
        .map_err(|e| format!("error reading yaml document: {file}: {e}"))?;
    let mut out = new_table();
    for d in docs {
        match &d.value {
            Json::Object(_) => {
                let v = Value::from(&d.value);
                if let Some(m) = table(&v) {
                    out = merge_maps(&out, m);
                }
            }
            Json::Null => {}
            other => {
                return Err(format!(
                    "cannot unmarshal yaml document: error unmarshaling JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    json_kind(other)
                ));
            }
        }
    }
    Ok(Value::Map(out))
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Array(_) => "array",
        Json::String(_) => "string",
        Json::Number(_) => "number",
        Json::Bool(_) => "bool",
        _ => "object",
    }
}

/// Helm's `loader.MergeMaps`: a new map with `b` over `a`, maps merged recursively.
pub(crate) fn merge_maps(a: &Map, b: &Map) -> Map {
    let out = new_table();
    for (k, v) in a.entries() {
        out.insert(k, v);
    }
    for (k, v) in b.entries() {
        if let Some(bm) = table(&v)
            && let Some(existing) = out.get(&k)
            && let Some(am) = table(&existing)
        {
            out.insert(k, Value::Map(merge_maps(am, bm)));
            continue;
        }
        out.insert(k, v);
    }
    out
}

/// The chart tree as coalescing sees it: name, values and subcharts.
pub(crate) trait ChartValues {
    fn name(&self) -> &str;
    fn values(&self) -> &Value;
    fn deps(&self) -> Vec<&Self>;
}

fn concat_prefix(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

/// `CoalesceValues`: a copy of `vals` with the chart's (and its subcharts') defaults under
/// it; `null` user values delete keys.
pub(crate) fn coalesce_values<C: ChartValues>(ch: &C, vals: &Map) -> Result<Map, String> {
    let copy = match Value::Map(vals.clone()).deep_copy() {
        Value::Map(m) => m,
        _ => new_table(),
    };
    coalesce(ch, &copy, "", false)?;
    Ok(copy)
}

/// `MergeValues`: as [`coalesce_values`] but `null`s are kept.
pub(crate) fn merge_values<C: ChartValues>(ch: &C, vals: &Map) -> Result<Map, String> {
    let copy = match Value::Map(vals.clone()).deep_copy() {
        Value::Map(m) => m,
        _ => new_table(),
    };
    coalesce(ch, &copy, "", true)?;
    Ok(copy)
}

fn coalesce<C: ChartValues>(ch: &C, dest: &Map, prefix: &str, merge: bool) -> Result<(), String> {
    coalesce_chart_values(ch, dest, prefix, merge);
    coalesce_deps(ch, dest, prefix, merge)
}

/// Go's `%t` of a value that is (usually) not a boolean.
fn go_percent_t(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        other => format!("%!t({}={})", other.type_name(), other),
    }
}

fn coalesce_deps<C: ChartValues>(
    ch: &C,
    dest: &Map,
    prefix: &str,
    merge: bool,
) -> Result<(), String> {
    for sub in ch.deps() {
        let name = sub.name();
        let dv = match dest.get(name) {
            None => {
                let m = new_table();
                dest.insert(name, Value::Map(m.clone()));
                m
            }
            Some(v) => match table(&v) {
                Some(m) => m.clone(),
                None => return Err(format!("type mismatch on {name}: {}", go_percent_t(&v))),
            },
        };
        let sub_prefix = concat_prefix(prefix, ch.name());
        coalesce_globals(&dv, dest, &sub_prefix);
        coalesce(sub, &dv, &sub_prefix, merge)?;
        dest.insert(name, Value::Map(dv));
    }
    Ok(())
}

/// Copies the globals of `src` into `dest` (Helm's `coalesceGlobals`).
fn coalesce_globals(dest: &Map, src: &Map, prefix: &str) {
    let dg = match dest.get(GLOBAL_KEY) {
        None => new_table(),
        Some(v) => match table(&v) {
            Some(m) => m.clone(),
            None => return,
        },
    };
    let sg = match src.get(GLOBAL_KEY) {
        None => new_table(),
        Some(v) => match table(&v) {
            Some(m) => m.clone(),
            None => return,
        },
    };
    for (key, val) in sg.entries() {
        if let Some(vm) = table(&val) {
            let vv = new_table();
            for (k, x) in vm.entries() {
                vv.insert(k, x);
            }
            match dg.get(&key) {
                None => dg.insert(key, Value::Map(vv)),
                Some(destv) => {
                    if let Some(destm) = table(&destv) {
                        let sub_prefix = concat_prefix(prefix, &key);
                        coalesce_tables_full_key(&vv, destm, &sub_prefix, true);
                        dg.insert(key, Value::Map(vv));
                    }
                }
            }
        } else if dg.get(&key).is_some_and(|d| table(&d).is_some()) {
            // a table in the destination is not replaced by a scalar
        } else {
            dg.insert(key, val);
        }
    }
    dest.insert(GLOBAL_KEY, Value::Map(dg));
}

/// Builds the values of one chart: `v` (higher precedence) over the chart's defaults.
fn coalesce_chart_values<C: ChartValues>(c: &C, v: &Map, _prefix: &str, merge: bool) {
    let vc = match c.values().deep_copy() {
        Value::Map(m) => m,
        _ => new_table(),
    };
    for (key, val) in vc.entries() {
        match v.get(&key) {
            Some(value) => {
                if is_nil(&value) && !merge {
                    v.remove(&key);
                } else if let Some(dest) = table(&value)
                    && let Some(src) = table(&val)
                {
                    let merge = merge || c.deps().iter().any(|d| d.name() == &*key);
                    if !merge {
                        clean_nil_values(src);
                    }
                    coalesce_tables_full_key(dest, src, &key, merge);
                }
            }
            None => {
                if !merge {
                    if is_nil(&val) {
                        continue;
                    }
                    if let Some(sub) = table(&val) {
                        clean_nil_values(sub);
                    }
                }
                v.insert(key, val);
            }
        }
    }
}

/// `MergeTables`: `src` under `dst` (`dst` wins), `null`s kept.
pub(crate) fn merge_tables(dst: &Map, src: &Map) -> Map {
    coalesce_tables_full_key(dst, src, "", true);
    dst.clone()
}

fn coalesce_tables_full_key(dst: &Map, src: &Map, prefix: &str, merge: bool) {
    let src_non_nil: std::collections::BTreeSet<String> = src
        .entries()
        .into_iter()
        .filter(|(_, v)| !is_nil(v))
        .map(|(k, _)| k.to_string())
        .collect();
    for (key, val) in dst.entries() {
        if is_nil(&val) {
            src.insert(key, Value::Nil);
        }
    }
    for (key, val) in src.entries() {
        let full = concat_prefix(prefix, &key);
        match dst.get(&key) {
            Some(dv) if !merge && is_nil(&dv) && src_non_nil.contains(key.as_ref()) => {
                dst.remove(&key);
            }
            None => dst.insert(key, val),
            Some(dv) => {
                if let Some(sm) = table(&val)
                    && let Some(dm) = table(&dv)
                {
                    coalesce_tables_full_key(dm, sm, &full, merge);
                }
            }
        }
    }
}

/// Removes `null` entries, recursively, in place.
fn clean_nil_values(m: &Map) {
    for (key, val) in m.entries() {
        if is_nil(&val) {
            m.remove(&key);
        } else if let Some(sub) = table(&val) {
            clean_nil_values(sub);
        }
    }
}

/// `Values.Table`: the table at a dotted path.
pub(crate) fn path_table(v: &Map, path: &str) -> Option<Map> {
    let mut cur = v.clone();
    for n in path.split('.') {
        let next = cur.get(n)?;
        cur = table(&next)?.clone();
    }
    Some(cur)
}

/// `Values.PathValue`: the non-table value at a dotted path.
pub(crate) fn path_value(v: &Map, path: &str) -> Option<Value> {
    if path.is_empty() {
        return None;
    }
    let (table_path, key) = match path.rsplit_once('.') {
        Some((t, k)) => (Some(t), k),
        None => (None, path),
    };
    let t = match table_path {
        None => v.clone(),
        Some(tp) => path_table(v, tp)?,
    };
    let x = t.get(key)?;
    if table(&x).is_some() {
        return None;
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct C {
        name: String,
        values: Value,
        deps: Vec<C>,
    }
    impl ChartValues for C {
        fn name(&self) -> &str {
            &self.name
        }
        fn values(&self) -> &Value {
            &self.values
        }
        fn deps(&self) -> Vec<&Self> {
            self.deps.iter().collect()
        }
    }

    fn v(j: Json) -> Value {
        Value::from(&j)
    }

    fn m(j: Json) -> Map {
        match v(j) {
            Value::Map(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn coalesce_defaults_user_values_globals_and_nulls() {
        let chart = C {
            name: "parent".into(),
            values: v(serde_json::json!({
                "a": 1, "b": {"c": 2, "d": 3}, "gone": "x", "global": {"g": 1},
                "sub": {"s": "parent"}
            })),
            deps: vec![C {
                name: "sub".into(),
                values: v(serde_json::json!({"s": "default", "t": 1, "global": {"h": 2}})),
                deps: vec![],
            }],
        };
        let user = m(serde_json::json!({"b": {"c": 20}, "gone": null}));
        let out = Value::Map(coalesce_values(&chart, &user).unwrap()).to_json();
        assert_eq!(
            out,
            serde_json::json!({
                "a": 1.0, "b": {"c": 20.0, "d": 3.0}, "global": {"g": 1.0},
                "sub": {"s": "parent", "t": 1.0, "global": {"g": 1.0, "h": 2.0}}
            })
        );
    }

    #[test]
    fn path_value_and_table() {
        let vals = m(serde_json::json!({"a": {"b": {"c": true}}, "x": 1}));
        assert_eq!(
            path_value(&vals, "a.b.c").map(|x| x.to_json()),
            Some(Json::Bool(true))
        );
        assert!(path_value(&vals, "a.b").is_none());
        assert!(path_value(&vals, "a.q").is_none());
        assert!(path_table(&vals, "a.b").is_some());
    }
}
