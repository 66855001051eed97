//! `toToml` / `fromToml` after BurntSushi/toml's encoder (plain keys first, then tables).

use crate::value::{Map, MapKind, Value};

fn key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        crate::funcs::strings::go_quote(k, false)
    }
}

fn scalar(v: &Value) -> Result<Option<String>, String> {
    Ok(Some(match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) | Value::Int64(i) => i.to_string(),
        Value::Float64(f) => {
            if f.is_nan() {
                "nan".into()
            } else if f.is_infinite() {
                if *f > 0.0 {
                    "inf".into()
                } else {
                    "-inf".into()
                }
            } else {
                let s = crate::fmt::format_float(*f, 'f', -1);
                if s.contains('.') { s } else { format!("{s}.0") }
            }
        }
        Value::String(s) => crate::funcs::strings::go_quote(s, false),
        Value::Time(t) => crate::funcs::dates::rfc3339_nano(t),
        Value::List(l) => {
            let mut parts = Vec::new();
            for x in l.items() {
                match scalar(x)? {
                    Some(s) => parts.push(s),
                    None => return Ok(None),
                }
            }
            format!("[{}]", parts.join(", "))
        }
        Value::Invalid | Value::Nil => return Ok(None),
        Value::Map(_) | Value::Object(_) | Value::Bytes(_) => return Ok(None),
    }))
}

fn table(out: &mut String, path: &[String], m: &Map) -> Result<(), String> {
    let entries = m.entries();
    let indent = "  ".repeat(path.len());
    for (k, v) in &entries {
        if matches!(v, Value::Map(_)) || v.is_nil() {
            continue;
        }
        if let Value::List(l) = v
            && l.items().iter().any(|x| matches!(x, Value::Map(_)))
        {
            continue;
        }
        if let Some(s) = scalar(v)? {
            out.push_str(&format!("{indent}{} = {s}\n", key(k)));
        }
    }
    for (k, v) in &entries {
        let mut p = path.to_vec();
        p.push(key(k));
        match v {
            Value::Map(sub) => {
                out.push_str(&format!(
                    "\n{}[{}]\n",
                    "  ".repeat(p.len() - 1),
                    p.join(".")
                ));
                table(out, &p, sub)?;
            }
            Value::List(l) if l.items().iter().any(|x| matches!(x, Value::Map(_))) => {
                for x in l.items() {
                    if let Value::Map(sub) = x {
                        out.push_str(&format!(
                            "\n{}[[{}]]\n",
                            "  ".repeat(p.len() - 1),
                            p.join(".")
                        ));
                        table(out, &p, sub)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

pub(crate) fn to_toml(v: &Value) -> Result<String, String> {
    match v {
        Value::Map(m) => {
            let mut out = String::new();
            table(&mut out, &[], m)?;
            Ok(out)
        }
        Value::Object(o) => to_toml(&o.to_data()),
        _ => Err("toml: top-level values must be Go maps or structs".into()),
    }
}

pub(crate) fn from_toml(_s: &str) -> Value {
    let m = Map::new(MapKind::Interface);
    m.insert(
        "Error",
        Value::str("fromToml is not supported by gitops-gotemplate"),
    );
    Value::Map(m)
}
