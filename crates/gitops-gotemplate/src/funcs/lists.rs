//! Sprig's list functions.

use super::conv::to_int64;
use super::{ArgType::*, FuncMap, arg_int, ferr, reg, regv};
use crate::error::Error;
use crate::value::{ElemType, List, Value, deep_equal};

/// `reflect.TypeOf(v).Kind()` as Sprig's errors print it; nil panics in Go.
fn kind_or_panic(v: &Value) -> Result<&'static str, Error> {
    match v {
        Value::Invalid | Value::Nil => Err(ferr(
            "runtime error: invalid memory address or nil pointer dereference",
        )),
        other => Ok(other.kind_name()),
    }
}

/// The items of a slice value (borrowed from a list), or Sprig's error `Cannot <what> on
/// type <kind>`.
fn items<'a>(v: &'a Value, what: &str) -> Result<std::borrow::Cow<'a, [Value]>, Error> {
    match v {
        Value::List(l) => Ok(std::borrow::Cow::Borrowed(l.items())),
        Value::Bytes(b) => Ok(b.iter().map(|x| Value::Int(i64::from(*x))).collect()),
        Value::Object(o) if o.kind_name() == "slice" => Ok(std::borrow::Cow::Owned(
            items(&o.to_data(), what)?.into_owned(),
        )),
        other => Err(ferr(format!(
            "Cannot {what} type {}",
            kind_or_panic(other)?
        ))),
    }
}

fn list(v: Vec<Value>) -> Value {
    Value::List(List::new(ElemType::Interface, v))
}

fn must(
    name: &str,
    f: impl Fn(&[Value]) -> Result<Value, Error> + Send + Sync + Clone + 'static,
    m: &mut FuncMap,
    params: &[super::ArgType],
    variadic: Option<super::ArgType>,
) {
    let cap = |s: &str| -> String {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    };
    match variadic {
        Some(v) => {
            regv(m, name, params, v.clone(), f.clone());
            regv(m, &format!("must{}", cap(name)), params, v, f);
        }
        None => {
            reg(m, name, params, f.clone());
            reg(m, &format!("must{}", cap(name)), params, f);
        }
    }
}

pub(crate) fn register(m: &mut FuncMap) {
    regv(m, "list", &[], Any, |a| Ok(list(a.to_vec())));
    regv(m, "tuple", &[], Any, |a| Ok(list(a.to_vec())));
    let push = |a: &[Value]| {
        let mut v = items(&a[0], "push on")?.into_owned();
        v.push(a[1].clone());
        Ok(list(v))
    };
    must("append", push, m, &[Any, Any], None);
    must("push", push, m, &[Any, Any], None);
    must(
        "prepend",
        |a: &[Value]| {
            let mut v = items(&a[0], "prepend on")?.into_owned();
            v.insert(0, a[1].clone());
            Ok(list(v))
        },
        m,
        &[Any, Any],
        None,
    );
    must(
        "chunk",
        |a: &[Value]| {
            let size = arg_int(&a[0]);
            let v = items(&a[1], "chunk")?;
            if size <= 0 {
                return Err(ferr("runtime error: integer divide by zero"));
            }
            let out: Vec<Value> = v.chunks(size as usize).map(|c| list(c.to_vec())).collect();
            Ok(Value::List(List::new(ElemType::ListInterface, out)))
        },
        m,
        &[Int, Any],
        None,
    );
    must(
        "first",
        |a: &[Value]| {
            Ok(items(&a[0], "find first on")?
                .first()
                .cloned()
                .unwrap_or(Value::Nil))
        },
        m,
        &[Any],
        None,
    );
    must(
        "last",
        |a: &[Value]| {
            Ok(items(&a[0], "find last on")?
                .last()
                .cloned()
                .unwrap_or(Value::Nil))
        },
        m,
        &[Any],
        None,
    );
    must(
        "rest",
        |a: &[Value]| {
            let v = items(&a[0], "find rest on")?;
            Ok(if v.is_empty() {
                Value::Nil
            } else {
                list(v[1..].to_vec())
            })
        },
        m,
        &[Any],
        None,
    );
    must(
        "initial",
        |a: &[Value]| {
            let v = items(&a[0], "find initial on")?;
            Ok(if v.is_empty() {
                Value::Nil
            } else {
                list(v[..v.len() - 1].to_vec())
            })
        },
        m,
        &[Any],
        None,
    );
    must(
        "reverse",
        |a: &[Value]| {
            let mut v = items(&a[0], "find reverse on")?.into_owned();
            v.reverse();
            Ok(list(v))
        },
        m,
        &[Any],
        None,
    );
    must(
        "compact",
        |a: &[Value]| {
            Ok(list(
                items(&a[0], "compact on")?
                    .iter()
                    .filter(|x| !super::defaults::empty(x))
                    .cloned()
                    .collect(),
            ))
        },
        m,
        &[Any],
        None,
    );
    must(
        "uniq",
        |a: &[Value]| {
            let mut out: Vec<Value> = Vec::new();
            for x in items(&a[0], "find uniq on")?.iter() {
                if !out.iter().any(|y| deep_equal(x, y)) {
                    out.push(x.clone());
                }
            }
            Ok(list(out))
        },
        m,
        &[Any],
        None,
    );
    must(
        "without",
        |a: &[Value]| {
            let omit = &a[1..];
            Ok(list(
                items(&a[0], "find without on")?
                    .iter()
                    .filter(|x| !omit.iter().any(|o| deep_equal(x, o)))
                    .cloned()
                    .collect(),
            ))
        },
        m,
        &[Any],
        Some(Any),
    );
    must(
        "has",
        |a: &[Value]| {
            if a[1].is_nil() {
                return Ok(Value::Bool(false));
            }
            Ok(Value::Bool(
                items(&a[1], "find has on")?
                    .iter()
                    .any(|x| deep_equal(&a[0], x)),
            ))
        },
        m,
        &[Any, Any],
        None,
    );
    must(
        "slice",
        |a: &[Value]| {
            let v = match &a[0] {
                Value::List(l) => l.clone(),
                other => {
                    return Err(ferr(format!(
                        "list should be type of slice or array but {}",
                        kind_or_panic(other)?
                    )));
                }
            };
            if v.is_empty() {
                return Ok(Value::Nil);
            }
            let start = a.get(1).map_or(0, to_int64);
            let end = if a.len() < 3 {
                v.len() as i64
            } else {
                to_int64(&a[2])
            };
            if start < 0 || end < start || end as usize > v.len() {
                return Err(ferr("reflect: slice index out of range"));
            }
            Ok(Value::List(List::new(
                v.elem(),
                v.items()[start as usize..end as usize].to_vec(),
            )))
        },
        m,
        &[Any],
        Some(Any),
    );
    regv(m, "concat", &[], Any, |a| {
        let mut out = Vec::new();
        for l in a {
            match l {
                Value::List(l) => out.extend(l.items().iter().cloned()),
                other => {
                    return Err(ferr(format!(
                        "Cannot concat type {} as list",
                        kind_or_panic(other)?
                    )));
                }
            }
        }
        Ok(if a.is_empty() { Value::Nil } else { list(out) })
    });
}
