//! Sprig's defaults and flow functions (`default`, `empty`, `coalesce`, `ternary`, `fail`, …).

use super::{ArgType::*, FuncMap, arg_str, ferr, reg, regv};
use crate::value::Value;

/// Sprig's `empty`.
pub(crate) fn empty(v: &Value) -> bool {
    match v {
        Value::Invalid | Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(i) | Value::Int64(i) => *i == 0,
        Value::Float64(f) => *f == 0.0,
        Value::String(s) => s.is_empty(),
        Value::Bytes(b) => b.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Time(_) => false,
        Value::Object(o) => o.len() == Some(0),
    }
}

pub(crate) fn register(m: &mut FuncMap) {
    regv(m, "default", &[Any], Any, |a| {
        if a.len() < 2 || empty(&a[1]) {
            return Ok(a[0].clone());
        }
        Ok(a[1].clone())
    });
    reg(m, "empty", &[Any], |a| Ok(Value::Bool(empty(&a[0]))));
    regv(m, "coalesce", &[], Any, |a| {
        Ok(a.iter().find(|v| !empty(v)).cloned().unwrap_or(Value::Nil))
    });
    regv(m, "all", &[], Any, |a| {
        Ok(Value::Bool(a.iter().all(|v| !empty(v))))
    });
    regv(m, "any", &[], Any, |a| {
        Ok(Value::Bool(a.iter().any(|v| !empty(v))))
    });
    reg(m, "ternary", &[Any, Any, Bool], |a| {
        Ok(if matches!(a[2], Value::Bool(true)) {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    reg(m, "fail", &[Text], |a| Err(ferr(arg_str(&a[0]))));
    reg(m, "getHostByName", &[Text], |_| Ok(Value::str("")));
}
