//! Template functions: Go's builtins, Sprig's library, and the machinery to call them
//! with Go's argument type checks.

pub(crate) mod conv;
pub(crate) mod crypto;
pub(crate) mod dates;
pub(crate) mod defaults;
pub(crate) mod dicts;
pub(crate) mod encoding;
pub(crate) mod keys;
pub(crate) mod lists;
pub(crate) mod math;
pub(crate) mod regex;
pub(crate) mod semver;
pub(crate) mod strings;
pub(crate) mod url;

use crate::error::Error;
use crate::value::Value;
use std::sync::Arc;

/// The Go type of a function parameter, which decides how arguments are checked and converted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgType {
    /// `interface{}`: anything (a missing value becomes `nil`).
    Any,
    /// `reflect.Value`: the raw value, including "no value" (Go's builtins take these).
    Raw,
    /// `string`.
    Text,
    /// `int`.
    Int,
    /// `int64`.
    Int64,
    /// `uint32`.
    Uint32,
    /// `float64`.
    Float64,
    /// `bool`.
    Bool,
    /// `map[string]interface {}`.
    Map,
    /// `[]interface {}`.
    List,
    /// `time.Time`.
    Time,
    /// A struct type by its Go name (e.g. `sprig.certificate`).
    Named(&'static str),
}

impl ArgType {
    /// The Go spelling of the type, as error messages print it.
    pub fn go_name(&self) -> &str {
        match self {
            ArgType::Any => "interface {}",
            ArgType::Raw => "reflect.Value",
            ArgType::Text => "string",
            ArgType::Int => "int",
            ArgType::Int64 => "int64",
            ArgType::Uint32 => "uint32",
            ArgType::Float64 => "float64",
            ArgType::Bool => "bool",
            ArgType::Map => "map[string]interface {}",
            ArgType::List => "[]interface {}",
            ArgType::Time => "time.Time",
            ArgType::Named(n) => n,
        }
    }
}

/// A function signature: fixed parameters and an optional variadic tail.
#[derive(Clone, Debug)]
pub struct Signature {
    /// Fixed parameters.
    pub params: Vec<ArgType>,
    /// Variadic element type.
    pub variadic: Option<ArgType>,
}

/// Go's built-in functions, which the executor implements itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Builtin {
    And,
    Or,
    Not,
    Len,
    Index,
    Slice,
    Call,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Print,
    Printf,
    Println,
    Html,
    Js,
    Urlquery,
    Include,
    Tpl,
    Required,
    Fail,
}

/// A function implementation taking checked arguments.
pub type NativeFn = Arc<dyn Fn(&[Value]) -> Result<Value, Error> + Send + Sync>;

#[derive(Clone)]
pub(crate) enum Imp {
    Builtin(Builtin),
    Native(NativeFn),
}

/// A template function: its signature and implementation.
#[derive(Clone)]
pub struct Function {
    pub(crate) sig: Signature,
    pub(crate) imp: Imp,
}

impl Function {
    /// A function from a closure over already type-checked arguments.
    ///
    /// ```
    /// use gitops_gotemplate::funcs::{ArgType, Function};
    /// use gitops_gotemplate::Value;
    /// let f = Function::new(vec![ArgType::Text], None, |a| Ok(Value::from(a[0].as_str().unwrap_or("").len() as i64 > 2)));
    /// # let _ = f;
    /// ```
    pub fn new(
        params: Vec<ArgType>,
        variadic: Option<ArgType>,
        f: impl Fn(&[Value]) -> Result<Value, Error> + Send + Sync + 'static,
    ) -> Function {
        Function {
            sig: Signature { params, variadic },
            imp: Imp::Native(Arc::new(f)),
        }
    }
    pub(crate) fn builtin(b: Builtin, params: Vec<ArgType>, variadic: Option<ArgType>) -> Function {
        Function {
            sig: Signature { params, variadic },
            imp: Imp::Builtin(b),
        }
    }
}

/// Named template functions.
pub type FuncMap = rustc_hash::FxHashMap<String, Function>;

pub(crate) fn ferr(msg: impl Into<String>) -> Error {
    Error::func(msg)
}

/// Registers a function with fixed parameters.
pub(crate) fn reg(
    m: &mut FuncMap,
    name: &str,
    params: &[ArgType],
    f: impl Fn(&[Value]) -> Result<Value, Error> + Send + Sync + 'static,
) {
    m.insert(name.to_string(), Function::new(params.to_vec(), None, f));
}

/// Registers a variadic function.
pub(crate) fn regv(
    m: &mut FuncMap,
    name: &str,
    params: &[ArgType],
    variadic: ArgType,
    f: impl Fn(&[Value]) -> Result<Value, Error> + Send + Sync + 'static,
) {
    m.insert(
        name.to_string(),
        Function::new(params.to_vec(), Some(variadic), f),
    );
}

/// Go's builtin functions.
pub(crate) fn builtins() -> FuncMap {
    use ArgType::*;
    use Builtin as B;
    let mut m = FuncMap::default();
    let mut b = |name: &str, bi: Builtin, p: Vec<ArgType>, v: Option<ArgType>| {
        m.insert(name.to_string(), Function::builtin(bi, p, v));
    };
    b("and", B::And, vec![Raw], Some(Raw));
    b("or", B::Or, vec![Raw], Some(Raw));
    b("not", B::Not, vec![Raw], None);
    b("len", B::Len, vec![Raw], None);
    b("index", B::Index, vec![Raw], Some(Raw));
    b("slice", B::Slice, vec![Raw], Some(Raw));
    b("call", B::Call, vec![Raw], Some(Raw));
    b("eq", B::Eq, vec![Raw], Some(Raw));
    b("ne", B::Ne, vec![Raw, Raw], None);
    b("lt", B::Lt, vec![Raw, Raw], None);
    b("le", B::Le, vec![Raw, Raw], None);
    b("gt", B::Gt, vec![Raw, Raw], None);
    b("ge", B::Ge, vec![Raw, Raw], None);
    b("print", B::Print, vec![], Some(Any));
    b("printf", B::Printf, vec![Text], Some(Any));
    b("println", B::Println, vec![], Some(Any));
    b("html", B::Html, vec![], Some(Any));
    b("js", B::Js, vec![], Some(Any));
    b("urlquery", B::Urlquery, vec![], Some(Any));
    m
}

/// Sprig's text function map, without `env` and `expandenv` (as Helm does).
pub(crate) fn sprig() -> FuncMap {
    let mut m = FuncMap::default();
    strings::register(&mut m);
    math::register(&mut m);
    lists::register(&mut m);
    dicts::register(&mut m);
    conv::register(&mut m);
    defaults::register(&mut m);
    encoding::register(&mut m);
    crypto::register(&mut m);
    dates::register(&mut m);
    regex::register(&mut m);
    semver::register(&mut m);
    url::register(&mut m);
    m
}

thread_local! {
    static BUILD: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// A string value built in a reused per-thread buffer: one allocation (the value) instead
/// of a growing `String` plus the value.
pub(crate) fn build_str(f: impl FnOnce(&mut String)) -> Value {
    BUILD.with(|b| match b.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            f(&mut buf);
            let v = Value::str(&buf);
            if buf.capacity() > 1 << 16 {
                *buf = String::new();
            }
            v
        }
        Err(_) => {
            let mut s = String::new();
            f(&mut s);
            Value::from(s)
        }
    })
}

/// `s` as a value, sharing `orig`'s storage when `s` is all of it (`s` must be a slice of
/// `orig`'s text, as trims and truncations are).
pub(crate) fn same_or_str(orig: &Value, s: &str) -> Value {
    match orig {
        Value::String(o) if o.len() == s.len() => orig.clone(),
        _ => Value::str(s),
    }
}

/// Helpers shared by the function modules.
pub(crate) fn arg_str(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

pub(crate) fn arg_int(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Float64(f) => *f as i64,
        _ => 0,
    }
}
