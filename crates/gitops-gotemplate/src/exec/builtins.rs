//! Go's builtin functions (and Helm's executor-bound ones: include, tpl, required, fail).

use super::Exec;
use crate::error::Error;
use crate::funcs::{Builtin, ferr};
use crate::parse::node::{Arena, Arg};
use crate::value::{List, Str, Value};
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum BasicKind {
    Invalid,
    Bool,
    Int,
    Float,
    String,
}

fn basic_kind(v: &Value) -> BasicKind {
    match v {
        Value::Bool(_) => BasicKind::Bool,
        Value::Int(_) | Value::Int64(_) => BasicKind::Int,
        Value::Float64(_) => BasicKind::Float,
        Value::String(_) => BasicKind::String,
        _ => BasicKind::Invalid,
    }
}

/// `indirectInterface`: a nil interface is no value.
fn ind(v: &Value) -> Value {
    if matches!(v, Value::Nil) {
        Value::Invalid
    } else {
        v.clone()
    }
}

fn is_nil(v: &Value) -> bool {
    matches!(v, Value::Invalid | Value::Nil)
}

fn reflect_kind(v: &Value) -> &'static str {
    match v {
        Value::Invalid => "invalid",
        Value::Nil => "interface",
        Value::Bytes(_) | Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Time(_) => "struct",
        Value::Object(o) => o.kind_name(),
        _ => "basic",
    }
}

pub(crate) fn eq(a1: &Value, rest: &[Value]) -> Result<bool, Error> {
    let a1 = ind(a1);
    if rest.is_empty() {
        return Err(ferr("missing argument for comparison"));
    }
    let k1 = basic_kind(&a1);
    for a in rest {
        let a = ind(a);
        let k2 = basic_kind(&a);
        let truth = if k1 != k2 {
            if !matches!(a1, Value::Invalid) && !matches!(a, Value::Invalid) {
                return Err(ferr(format!(
                    "incompatible types for comparison: {} and {}",
                    a1.type_name(),
                    a.type_name()
                )));
            }
            false
        } else {
            match (&a1, &a) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x == y,
                (Value::Float64(x), Value::Float64(y)) => x == y,
                (Value::String(x), Value::String(y)) => x == y,
                _ => {
                    let (r1, r2) = (reflect_kind(&a1), reflect_kind(&a));
                    if r1 != r2 && r1 != "invalid" && r2 != "invalid" {
                        return Err(ferr(format!(
                            "non-comparable types {}: {}, {}: {}",
                            a1,
                            a1.type_name(),
                            a.type_name(),
                            a
                        )));
                    }
                    if is_nil(&a1) || is_nil(&a) {
                        is_nil(&a1) == is_nil(&a)
                    } else {
                        match &a {
                            Value::List(_) | Value::Map(_) | Value::Bytes(_) => {
                                return Err(ferr(format!(
                                    "non-comparable type {}: {}",
                                    crate::fmt::sprintf("%s", std::slice::from_ref(&a)),
                                    a.type_name()
                                )));
                            }
                            _ => crate::value::deep_equal(&a1, &a),
                        }
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

pub(crate) fn lt(a1: &Value, a2: &Value) -> Result<bool, Error> {
    let (a1, a2) = (ind(a1), ind(a2));
    let k1 = basic_kind(&a1);
    if k1 == BasicKind::Invalid {
        return Err(ferr("invalid type for comparison"));
    }
    let k2 = basic_kind(&a2);
    if k2 == BasicKind::Invalid {
        return Err(ferr("invalid type for comparison"));
    }
    if k1 != k2 {
        return Err(ferr(format!(
            "incompatible types for comparison: {} and {}",
            a1.type_name(),
            a2.type_name()
        )));
    }
    Ok(match (&a1, &a2) {
        (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x < y,
        (Value::Float64(x), Value::Float64(y)) => x < y,
        (Value::String(x), Value::String(y)) => x < y,
        _ => return Err(ferr("invalid type for comparison")),
    })
}

fn index_arg(index: &Value, cap: usize) -> Result<usize, Error> {
    let x = match index {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Invalid | Value::Nil => return Err(ferr("cannot index slice/array with nil")),
        other => {
            return Err(ferr(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            )));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(ferr(format!("index out of range: {x}")));
    }
    Ok(x as usize)
}

fn index(item: &Value, indexes: &[Value]) -> Result<Value, Error> {
    let mut item = ind(item);
    if matches!(item, Value::Invalid) {
        return Err(ferr("index of untyped nil"));
    }
    for idx in indexes {
        let idx = ind(idx);
        if matches!(item, Value::Nil | Value::Invalid) {
            return Err(ferr("index of nil pointer"));
        }
        item = match &item {
            Value::List(l) => {
                let x = index_arg(&idx, l.len())?;
                match l.items().get(x) {
                    Some(v) => v.clone(),
                    None => return Err(ferr("reflect: slice index out of range")),
                }
            }
            Value::String(s) => {
                let x = index_arg(&idx, s.len())?;
                match s.as_bytes().get(x) {
                    Some(b) => Value::Int(i64::from(*b)),
                    None => return Err(ferr("reflect: string index out of range")),
                }
            }
            Value::Bytes(b) => {
                let x = index_arg(&idx, b.len())?;
                match b.get(x) {
                    Some(b) => Value::Int(i64::from(*b)),
                    None => return Err(ferr("reflect: slice index out of range")),
                }
            }
            Value::Map(m) => {
                let key = match &idx {
                    Value::String(k) => k.clone(),
                    Value::Invalid => return Err(ferr("value is nil; should be of type string")),
                    other => {
                        return Err(ferr(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        )));
                    }
                };
                match m.get(&key) {
                    Some(v) => v,
                    None => {
                        if m.kind() == crate::value::MapKind::String {
                            Value::str("")
                        } else {
                            Value::Nil
                        }
                    }
                }
            }
            Value::Object(o) if o.kind_name() == "map" || o.kind_name() == "slice" => {
                index(&o.to_data(), &[idx])?
            }
            other => {
                return Err(ferr(format!(
                    "can't index item of type {}",
                    other.type_name()
                )));
            }
        };
    }
    Ok(item)
}

fn slice(item: &Value, indexes: &[Value]) -> Result<Value, Error> {
    let item = ind(item);
    if matches!(item, Value::Invalid) {
        return Err(ferr("slice of untyped nil"));
    }
    if indexes.len() > 3 {
        return Err(ferr(format!("too many slice indexes: {}", indexes.len())));
    }
    let (len, cap) = match &item {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err(ferr("cannot 3-index slice a string"));
            }
            (s.len(), s.len())
        }
        Value::List(l) => (l.len(), l.len()),
        Value::Bytes(b) => (b.len(), b.len()),
        other => {
            return Err(ferr(format!(
                "can't slice item of type {}",
                other.type_name()
            )));
        }
    };
    let mut idx = [0usize, len, 0];
    for (i, x) in indexes.iter().enumerate() {
        idx[i] = index_arg(&ind(x), cap)?;
    }
    if idx[0] > idx[1] {
        return Err(ferr(format!(
            "invalid slice index: {} > {}",
            idx[0], idx[1]
        )));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(ferr(format!(
            "invalid slice index: {} > {}",
            idx[1], idx[2]
        )));
    }
    Ok(match &item {
        Value::String(s) => {
            Value::from(String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]]).into_owned())
        }
        Value::List(l) => Value::List(List::new(l.elem(), l.items()[idx[0]..idx[1]].to_vec())),
        Value::Bytes(b) => Value::Bytes(Arc::from(&b[idx[0]..idx[1]])),
        _ => Value::Invalid,
    })
}

fn length(item: &Value) -> Result<Value, Error> {
    let n = match item {
        Value::Invalid => return Err(ferr("reflect: call of reflect.Value.Type on zero Value")),
        Value::Nil => return Err(ferr("len of nil pointer")),
        Value::String(s) => s.len(),
        Value::Bytes(b) => b.len(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.len(),
        Value::Object(o) => match o.len() {
            Some(n) => n,
            None => return Err(ferr(format!("len of type {}", o.type_name()))),
        },
        other => return Err(ferr(format!("len of type {}", other.type_name()))),
    };
    Ok(Value::Int(n as i64))
}

/// `evalArgs`: one string argument as is, else `fmt.Sprint`.
fn eval_args(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.to_string();
    }
    let printable: Vec<Value> = args
        .iter()
        .map(|a| {
            if a.is_nil() {
                Value::str("<no value>")
            } else {
                a.clone()
            }
        })
        .collect();
    crate::fmt::sprint(&printable)
}

pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02X}", c as u32)),
            c if c.is_ascii() => out.push(c),
            c => {
                if crate::funcs::strings::is_go_print(c) {
                    out.push(c);
                } else {
                    out.push_str(&format!("\\u{:04X}", c as u32));
                }
            }
        }
    }
    out
}

impl Exec<'_> {
    pub(super) fn call_builtin(
        &mut self,
        ar: &Arena,
        b: Builtin,
        argv: &[Value],
        nodes: &[Arg],
    ) -> Result<Value, Error> {
        match b {
            Builtin::And | Builtin::Or => Ok(Value::Invalid),
            Builtin::Not => Ok(Value::Bool(!argv[0].truthy())),
            Builtin::Len => length(&argv[0]),
            Builtin::Index => index(&argv[0], &argv[1..]),
            Builtin::Slice => slice(&argv[0], &argv[1..]),
            Builtin::Call => {
                let f = ind(&argv[0]);
                if matches!(f, Value::Invalid) {
                    return Err(ferr("call of nil"));
                }
                let name = nodes
                    .first()
                    .map(|a| a.to_go_string(ar))
                    .unwrap_or_default();
                Err(ferr(format!(
                    "non-function {} of type {}",
                    name,
                    f.type_name()
                )))
            }
            Builtin::Eq => Ok(Value::Bool(eq(&argv[0], &argv[1..])?)),
            Builtin::Ne => Ok(Value::Bool(!eq(&argv[0], &argv[1..])?)),
            Builtin::Lt => Ok(Value::Bool(lt(&argv[0], &argv[1])?)),
            Builtin::Le => Ok(Value::Bool(
                lt(&argv[0], &argv[1])? || eq(&argv[0], &argv[1..])?,
            )),
            Builtin::Gt => Ok(Value::Bool(
                !(lt(&argv[0], &argv[1])? || eq(&argv[0], &argv[1..])?),
            )),
            Builtin::Ge => Ok(Value::Bool(!lt(&argv[0], &argv[1])?)),
            Builtin::Print => Ok(Value::from(crate::fmt::sprint(argv))),
            Builtin::Println => Ok(Value::from(crate::fmt::sprintln(argv))),
            Builtin::Printf => Ok(Value::from(crate::fmt::sprintf(
                argv[0].as_str().unwrap_or(""),
                &argv[1..],
            ))),
            Builtin::Html => Ok(Value::from(html_escape(&eval_args(argv)))),
            Builtin::Js => Ok(Value::from(js_escape(&eval_args(argv)))),
            Builtin::Urlquery => Ok(Value::from(crate::funcs::url::query_escape(&eval_args(
                argv,
            )))),
            Builtin::Include => self.helm_include(argv),
            Builtin::Tpl => self.helm_tpl(argv),
            Builtin::Required => crate::helm::required(self.engine, argv),
            Builtin::Fail => crate::helm::fail(self.engine, argv),
        }
    }

    fn helm_include(&mut self, argv: &[Value]) -> Result<Value, Error> {
        let name: Str = match &argv[0] {
            Value::String(s) => s.clone(),
            _ => Str::from(""),
        };
        let count = self.shared.included.entry(name.clone()).or_insert(0);
        if *count > crate::helm::RECURSION_MAX {
            return Err(Error::func(format!(
                "rendering template has a nested reference name: {name}: unable to execute template"
            )));
        }
        *count += 1;
        let r = self.execute_named(&name, argv[1].clone());
        if let Some(c) = self.shared.included.get_mut(&name) {
            *c -= 1;
        }
        match r {
            Ok(s) => {
                let v = Value::str(&s);
                self.recycle(s);
                Ok(v)
            }
            Err(e) => Err(Error::Func {
                message: e.to_string(),
                cause: Some(e),
            }),
        }
    }

    fn helm_tpl(&mut self, argv: &[Value]) -> Result<Value, Error> {
        let text = argv[0].as_str().unwrap_or("").to_string();
        let root = self.engine.root_name.clone();
        let scope = match self.shared.tpl_cache.get(&text) {
            Some(s) => s.clone(),
            None => {
                let funcs = &self.engine.funcs;
                let has = |n: &str| funcs.contains_key(n);
                let trees = match crate::parse::parse(&root, &text, &has) {
                    Ok(t) => t,
                    Err(e) => {
                        return Err(Error::Func {
                            message: format!(
                                "cannot parse template {}: {}",
                                crate::funcs::strings::go_quote(&text, false),
                                e
                            ),
                            cause: Some(Box::new(e)),
                        });
                    }
                };
                let mut map = super::TreeMap::default();
                for t in trees {
                    let empty = crate::parse::node::is_empty_tree(&t.arena, &t.text, t.root);
                    let exists = map.contains_key(&t.name) || self.lookup(&t.name).is_some();
                    if empty && exists && &*t.name != root.as_str() {
                        continue;
                    }
                    map.insert(t.name.clone(), Arc::new(t));
                }
                let s = Arc::new(map);
                self.shared.tpl_cache.insert(text.clone(), s.clone());
                s
            }
        };
        let Some(tree) = scope.get(root.as_str()).cloned() else {
            return Ok(Value::str(""));
        };
        self.scopes.push(scope);
        let r = self.execute_tree(tree, argv[1].clone());
        self.scopes.pop();
        match r {
            Ok(s) => Ok(Value::from(s.replace("<no value>", ""))),
            Err(e) => Err(Error::Func {
                message: format!(
                    "error during tpl function execution for {}: {}",
                    crate::funcs::strings::go_quote(&text, false),
                    e
                ),
                cause: Some(e),
            }),
        }
    }
}
