//! Sprig's dictionary functions.

use super::strings::strval;
use super::{ArgType::*, FuncMap, arg_str, ferr, reg, regv};
use crate::error::Error;
use crate::value::{ElemType, List, Map, MapKind, Value};

fn as_map(v: &Value) -> Map {
    match v {
        Value::Map(m) => m.clone(),
        _ => Map::new(MapKind::Interface),
    }
}

fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Invalid | Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(i) | Value::Int64(i) => *i == 0,
        Value::Float64(f) => *f == 0.0,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Bytes(b) => b.is_empty(),
        _ => false,
    }
}

/// mergo's deep merge of `src` into `dst` (in place).
pub(crate) fn merge_into(dst: &Map, src: &Map, overwrite: bool) {
    if dst.ptr_eq(src) {
        return;
    }
    for (k, sv) in src.entries() {
        let dv = dst.get(&k);
        match (&dv, &sv) {
            (Some(Value::Map(dm)), Value::Map(sm)) => merge_into(dm, sm, overwrite),
            _ => {
                let dst_empty = dv.as_ref().is_none_or(is_empty_value);
                if sv.is_nil() {
                    if dv.is_none() {
                        dst.insert(k, Value::Nil);
                    }
                    continue;
                }
                if dst_empty || overwrite {
                    dst.insert(k, sv);
                }
            }
        }
    }
}

/// A deep copy (maps get new storage).
pub(crate) fn deep_copy(v: &Value) -> Value {
    v.deep_copy()
}

fn dig(ps: &[Value]) -> Result<Value, Error> {
    if ps.len() < 3 {
        return Err(ferr("dig needs at least three arguments"));
    }
    let dict = match &ps[ps.len() - 1] {
        Value::Map(m) if m.kind() == MapKind::Interface => m.clone(),
        other => {
            return Err(ferr(format!(
                "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                if other.is_nil() {
                    "nil".to_string()
                } else {
                    other.type_name()
                }
            )));
        }
    };
    let def = ps[ps.len() - 2].clone();
    let mut keys = Vec::new();
    for k in &ps[..ps.len() - 2] {
        match k {
            Value::String(s) => keys.push(s.clone()),
            other => {
                return Err(ferr(format!(
                    "interface conversion: interface {{}} is {}, not string",
                    if other.is_nil() {
                        "nil".to_string()
                    } else {
                        other.type_name()
                    }
                )));
            }
        }
    }
    let mut cur = dict;
    for (i, k) in keys.iter().enumerate() {
        let Some(step) = cur.get(k) else {
            return Ok(def);
        };
        if i == keys.len() - 1 {
            return Ok(step);
        }
        cur = match step {
            Value::Map(m) if m.kind() == MapKind::Interface => m,
            other => {
                return Err(ferr(format!(
                    "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                    if other.is_nil() {
                        "nil".to_string()
                    } else {
                        other.type_name()
                    }
                )));
            }
        };
    }
    Ok(def)
}

pub(crate) fn register(m: &mut FuncMap) {
    reg(m, "get", &[Map, Text], |a| {
        Ok(as_map(&a[0])
            .get(arg_str(&a[1]))
            .unwrap_or_else(|| Value::str("")))
    });
    reg(m, "set", &[Map, Text, Any], |a| {
        let d = as_map(&a[0]);
        d.insert(arg_str(&a[1]), a[2].clone());
        Ok(Value::Map(d))
    });
    reg(m, "unset", &[Map, Text], |a| {
        let d = as_map(&a[0]);
        d.remove(arg_str(&a[1]));
        Ok(Value::Map(d))
    });
    reg(m, "hasKey", &[Map, Text], |a| {
        Ok(Value::Bool(as_map(&a[0]).contains_key(arg_str(&a[1]))))
    });
    regv(m, "pluck", &[Text], Map, |a| {
        let key = arg_str(&a[0]);
        Ok(Value::list(
            a[1..].iter().filter_map(|d| as_map(d).get(key)).collect(),
        ))
    });
    regv(m, "keys", &[], Map, |a| {
        let mut k: Vec<Value> = Vec::new();
        for d in a {
            k.extend(as_map(d).keys().into_iter().map(Value::String));
        }
        Ok(Value::List(List::new(ElemType::String, k)))
    });
    regv(m, "pick", &[Map], Text, |a| {
        let d = as_map(&a[0]);
        let out = crate::value::Map::new(MapKind::Interface);
        for k in &a[1..] {
            if let Some(v) = d.get(arg_str(k)) {
                out.insert(arg_str(k), v);
            }
        }
        Ok(Value::Map(out))
    });
    regv(m, "omit", &[Map], Text, |a| {
        let d = as_map(&a[0]);
        let out = crate::value::Map::new(MapKind::Interface);
        for (k, v) in d.entries() {
            if !a[1..].iter().any(|o| arg_str(o) == &*k) {
                out.insert(k, v);
            }
        }
        Ok(Value::Map(out))
    });
    regv(m, "dict", &[], Any, |a| {
        let out = crate::value::Map::new(MapKind::Interface);
        for pair in a.chunks(2) {
            let key = strval(&pair[0]);
            out.insert(key, pair.get(1).cloned().unwrap_or_else(|| Value::str("")));
        }
        Ok(Value::Map(out))
    });
    for (name, over) in [
        ("merge", false),
        ("mustMerge", false),
        ("mergeOverwrite", true),
        ("mustMergeOverwrite", true),
    ] {
        regv(m, name, &[Map], Map, move |a| {
            let d = as_map(&a[0]);
            for s in &a[1..] {
                merge_into(&d, &as_map(s), over);
            }
            Ok(Value::Map(d))
        });
    }
    reg(m, "values", &[Map], |a| {
        Ok(Value::list(
            as_map(&a[0])
                .entries()
                .into_iter()
                .map(|(_, v)| v)
                .collect(),
        ))
    });
    reg(m, "deepCopy", &[Any], |a| {
        if a[0].is_nil() {
            return Err(ferr(
                "deepCopy error: reflect: call of reflect.Value.Type on zero Value",
            ));
        }
        Ok(deep_copy(&a[0]))
    });
    reg(m, "mustDeepCopy", &[Any], |a| Ok(deep_copy(&a[0])));
    regv(m, "dig", &[], Any, dig);
}
