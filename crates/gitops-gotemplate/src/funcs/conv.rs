//! Type conversions and checks (`int`, `float64`, `atoi`, `typeOf`, `kindIs`, …), after `spf13/cast`.

use super::{ArgType::*, FuncMap, arg_str, reg};
use crate::value::{Value, deep_equal};

fn trim_zero_decimal(s: &str) -> &str {
    let b = s.as_bytes();
    let mut found_zero = false;
    for i in (1..=b.len()).rev() {
        match b[i - 1] {
            b'.' => {
                if found_zero {
                    return &s[..i - 1];
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// `strconv.ParseInt(s, 0, 64)`.
pub(crate) fn parse_int_base0(s: &str) -> Option<i64> {
    let (v, _) = crate::parse::parse_go_int(s)?;
    i64::try_from(v).ok()
}

/// `cast.ToInt64`.
pub(crate) fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Float64(f) => *f as i64,
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => parse_int_base0(trim_zero_decimal(s)).unwrap_or(0),
        _ => 0,
    }
}

/// `cast.ToFloat64`.
pub(crate) fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Float64(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => parse_go_float(s).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// `strconv.ParseFloat(s, 64)` for decimal input.
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.replace('_', "");
    let lower = t.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    match body {
        "inf" | "infinity" => {
            return Some(if lower.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    if body.starts_with("0x") {
        return parse_int_base0(&t).map(|i| i as f64);
    }
    t.parse::<f64>().ok().filter(|_| {
        !body.is_empty()
            && body
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-'))
    })
}

pub(crate) fn register(m: &mut FuncMap) {
    reg(m, "atoi", &[Text], |a| {
        let s = arg_str(&a[0]);
        let ok = !s.is_empty()
            && s.trim_start_matches(['+', '-'])
                .chars()
                .all(|c| c.is_ascii_digit())
            && s.len() > usize::from(s.starts_with(['+', '-']));
        Ok(Value::Int(if ok {
            s.parse::<i64>().unwrap_or(0)
        } else {
            0
        }))
    });
    reg(m, "int64", &[Any], |a| Ok(Value::Int64(to_int64(&a[0]))));
    reg(m, "int", &[Any], |a| Ok(Value::Int(to_int64(&a[0]))));
    reg(m, "float64", &[Any], |a| {
        Ok(Value::Float64(to_float64(&a[0])))
    });
    reg(m, "toDecimal", &[Any], |a| {
        let s = a[0].to_string();
        let neg = s.starts_with('-');
        let body = s.trim_start_matches(['+', '-']);
        let v = i64::from_str_radix(body, 8)
            .ok()
            .filter(|_| !body.is_empty() && !body.starts_with('+'));
        Ok(Value::Int64(v.map_or(0, |v| if neg { -v } else { v })))
    });
    reg(m, "typeOf", &[Any], |a| Ok(Value::from(a[0].type_name())));
    reg(m, "typeIs", &[Text, Any], |a| {
        Ok(Value::Bool(arg_str(&a[0]) == a[1].type_name()))
    });
    reg(m, "typeIsLike", &[Text, Any], |a| {
        let t = a[1].type_name();
        let target = arg_str(&a[0]);
        Ok(Value::Bool(target == t || format!("*{target}") == t))
    });
    reg(m, "kindOf", &[Any], |a| Ok(Value::str(a[0].kind_name())));
    reg(m, "kindIs", &[Text, Any], |a| {
        Ok(Value::Bool(arg_str(&a[0]) == a[1].kind_name()))
    });
    reg(m, "deepEqual", &[Any, Any], |a| {
        Ok(Value::Bool(deep_equal(&a[0], &a[1])))
    });
}
