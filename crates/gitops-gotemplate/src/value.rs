//! The data model templates run over: Go's dynamic values as Helm sees them.
//!
//! Numbers read from YAML or JSON are `float64` in Helm, so [`Value::from`] a
//! `serde_json::Value` turns every number into [`Value::Float64`]. Maps are shared
//! and mutable, like Go maps: `set` on a map is seen through every reference to it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A shared immutable string.
pub type Str = Arc<str>;

/// A dynamic template value, modelled on the Go values Helm's templates see.
///
/// ```
/// use gitops_gotemplate::Value;
/// let v = Value::from(serde_json::json!({"n": 3, "s": "x"}));
/// assert_eq!(v.get("n").map(|n| n.type_name()), Some("float64".into()));
/// ```
#[derive(Clone, Default)]
pub enum Value {
    /// Go's zero `reflect.Value`: no value at all (prints `<no value>`).
    #[default]
    Invalid,
    /// A nil `interface{}` (YAML `null`, a missing map key).
    Nil,
    /// `bool`.
    Bool(bool),
    /// Go `int` (template integer literals, `len`, `atoi`, …).
    Int(i64),
    /// Go `int64` (Sprig arithmetic).
    Int64(i64),
    /// `float64` (every number from values files).
    Float64(f64),
    /// `string`.
    String(Str),
    /// `[]byte`.
    Bytes(Arc<[u8]>),
    /// A slice.
    List(List),
    /// A map with string keys.
    Map(Map),
    /// `time.Time` (boxed: times are rare, and values stay three words long).
    Time(Box<GoTime>),
    /// A Go struct or pointer with fields and methods (`.Capabilities`, `.Files`, …).
    Object(Arc<dyn Object>),
}

/// The element type of a [`List`], which decides its Go type name and assignability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElemType {
    /// `[]interface {}`.
    Interface,
    /// `[]string`.
    String,
    /// `[]int`.
    Int,
    /// `[][]interface {}`.
    ListInterface,
    /// Helm's `common.VersionSet` (a named `[]string`).
    VersionSet,
}

/// A Go slice: shared, immutable.
#[derive(Clone)]
pub struct List {
    elem: ElemType,
    items: Arc<Vec<Value>>,
}

/// The Go type of a [`Map`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapKind {
    /// `map[string]interface {}`.
    Interface,
    /// `map[string]string`.
    String,
    /// Helm's `common.Values` (a named `map[string]interface {}`).
    Values,
}

/// A Go map with string keys: shared and mutable, iterated in sorted key order.
///
/// Stored as a vector sorted by key: chart values are small maps, for which one
/// contiguous allocation and a binary search beat a tree.
#[derive(Clone)]
pub struct Map {
    kind: MapKind,
    inner: Arc<RwLock<Entries>>,
}

type Entries = Vec<(Str, Value)>;

#[inline]
fn find(e: &Entries, key: &str) -> Result<usize, usize> {
    e.binary_search_by(|(k, _)| k.as_ref().cmp(key))
}

/// Looks a key up: small maps by a scan that rejects most keys on their length.
#[inline]
fn lookup(e: &Entries, key: &str) -> Option<usize> {
    if e.len() <= 8 {
        return e
            .iter()
            .position(|(k, _)| k.len() == key.len() && k.as_bytes() == key.as_bytes());
    }
    find(e, key).ok()
}

/// A point in time with a fixed UTC offset, like Go's `time.Time`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoTime {
    /// Seconds since the Unix epoch.
    pub unix: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
    /// Offset from UTC in seconds.
    pub offset: i32,
    /// Zone abbreviation (`UTC`, `CET`, …).
    pub zone: Str,
}

/// A method of an [`Object`]: its parameter types.
#[derive(Clone, Debug)]
pub struct MethodSig {
    /// Parameter types.
    pub params: Vec<crate::funcs::ArgType>,
    /// Type of the trailing variadic parameter, if any.
    pub variadic: Option<crate::funcs::ArgType>,
}

/// A Go struct or pointer value with fields and methods.
///
/// ```
/// use gitops_gotemplate::value::Object;
/// #[derive(Debug)]
/// struct Point;
/// impl Object for Point {
///     fn type_name(&self) -> String { "main.Point".into() }
///     fn field(&self, name: &str) -> Option<gitops_gotemplate::Value> {
///         (name == "X").then(|| gitops_gotemplate::Value::Int(1))
///     }
/// }
/// assert!(Point.field("X").is_some());
/// ```
pub trait Object: Send + Sync + fmt::Debug {
    /// Go type name as `%T` prints it.
    fn type_name(&self) -> String;
    /// `reflect.Kind` name (`struct`, `ptr`, `map`, `slice`).
    fn kind_name(&self) -> &'static str {
        "struct"
    }
    /// An exported field.
    fn field(&self, name: &str) -> Option<Value>;
    /// A method's signature, if the object has that method.
    fn method(&self, _name: &str) -> Option<MethodSig> {
        None
    }
    /// Calls a method with arguments already checked against [`Object::method`].
    fn call(&self, name: &str, _args: &[Value]) -> Result<Value, String> {
        Err(format!("no method {name}"))
    }
    /// `%v` formatting.
    fn format(&self, out: &mut String) {
        out.push_str("{}");
    }
    /// Whether `len` is zero (for objects that have a length).
    fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
    /// Length for `len`, if it has one.
    fn len(&self) -> Option<usize> {
        None
    }
    /// The object as `Any`, for functions that need the concrete type.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
    /// The value as plain data (for `toJson`, `toYaml`, `deepEqual`).
    fn to_data(&self) -> Value {
        Value::Nil
    }
}

impl List {
    /// A new list.
    pub fn new(elem: ElemType, items: Vec<Value>) -> Self {
        List {
            elem,
            items: Arc::new(items),
        }
    }
    /// Element type.
    pub fn elem(&self) -> ElemType {
        self.elem
    }
    /// The items.
    pub fn items(&self) -> &[Value] {
        &self.items
    }
    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl Map {
    /// A new empty map of `kind`.
    pub fn new(kind: MapKind) -> Self {
        Map {
            kind,
            inner: Arc::new(RwLock::new(Vec::new())),
        }
    }
    /// A map from entries.
    pub fn from_entries(kind: MapKind, entries: BTreeMap<Str, Value>) -> Self {
        Map {
            kind,
            inner: Arc::new(RwLock::new(entries.into_iter().collect())),
        }
    }

    /// A map from entries sorted by key, without duplicates (checked in debug builds).
    pub(crate) fn from_sorted(kind: MapKind, entries: Vec<(Str, Value)>) -> Self {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        Map {
            kind,
            inner: Arc::new(RwLock::new(entries)),
        }
    }
    /// The Go type of the map.
    pub fn kind(&self) -> MapKind {
        self.kind
    }
    /// The same map seen as another Go type (shares storage).
    pub fn with_kind(&self, kind: MapKind) -> Map {
        Map {
            kind,
            inner: self.inner.clone(),
        }
    }
    fn read(&self) -> RwLockReadGuard<'_, Entries> {
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    fn write(&self) -> RwLockWriteGuard<'_, Entries> {
        self.inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    /// Looks a key up.
    pub fn get(&self, key: &str) -> Option<Value> {
        let e = self.read();
        lookup(&e, key).map(|i| e[i].1.clone())
    }
    /// Whether the key is present.
    pub fn contains_key(&self, key: &str) -> bool {
        lookup(&self.read(), key).is_some()
    }
    /// Sets a key (visible through every clone of this map).
    pub fn insert(&self, key: impl Into<Str>, value: Value) {
        let key = key.into();
        let mut e = self.write();
        match find(&e, &key) {
            Ok(i) => e[i].1 = value,
            Err(i) => e.insert(i, (key, value)),
        }
    }
    /// Removes a key.
    pub fn remove(&self, key: &str) -> Option<Value> {
        let mut e = self.write();
        find(&e, key).ok().map(|i| e.remove(i).1)
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.read().len()
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }
    /// A snapshot of the entries in sorted key order.
    pub fn entries(&self) -> Vec<(Str, Value)> {
        self.read().clone()
    }
    /// The keys in sorted order.
    pub fn keys(&self) -> Vec<Str> {
        self.read().iter().map(|(k, _)| k.clone()).collect()
    }
    /// Whether both refer to the same storage.
    pub fn ptr_eq(&self, other: &Map) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::String(Arc::from(s))
    }
    /// A `[]interface {}`.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(List::new(ElemType::Interface, items))
    }
    /// A `[]string`.
    pub fn string_list(items: Vec<String>) -> Value {
        Value::List(List::new(
            ElemType::String,
            items.into_iter().map(|s| Value::String(s.into())).collect(),
        ))
    }
    /// A `map[string]interface {}` from entries.
    pub fn map(entries: BTreeMap<Str, Value>) -> Value {
        Value::Map(Map::from_entries(MapKind::Interface, entries))
    }
    /// An empty `map[string]interface {}`.
    pub fn empty_map() -> Value {
        Value::Map(Map::new(MapKind::Interface))
    }

    /// Looks a key up in a map value.
    pub fn get(&self, key: &str) -> Option<Value> {
        match self {
            Value::Map(m) => m.get(key),
            _ => None,
        }
    }

    /// A copy whose maps are new (Go's deep copy): strings and other immutable parts are
    /// shared, so a chart's values can be converted once and copied cheaply per render.
    ///
    /// ```
    /// use gitops_gotemplate::Value;
    /// let v = Value::from(serde_json::json!({"a": {"b": "x"}}));
    /// let c = v.deep_copy();
    /// if let Some(Value::Map(a)) = c.get("a") { a.insert("b", Value::from("y")) }
    /// assert_eq!(v.get("a").and_then(|a| a.get("b")).map(|b| b.to_string()), Some("x".into()));
    /// ```
    pub fn deep_copy(&self) -> Value {
        match self {
            Value::Map(m) => {
                let e = m.read();
                let entries = e.iter().map(|(k, x)| (k.clone(), x.deep_copy())).collect();
                Value::Map(Map::from_sorted(m.kind, entries))
            }
            Value::List(l)
                if l.items()
                    .iter()
                    .any(|x| matches!(x, Value::Map(_) | Value::List(_))) =>
            {
                Value::List(List::new(
                    l.elem(),
                    l.items().iter().map(Value::deep_copy).collect(),
                ))
            }
            other => other.clone(),
        }
    }

    /// Whether this is `Invalid` or `Nil`.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Invalid | Value::Nil)
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Go type name as `%T` prints it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Invalid | Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Int64(_) => "int64".into(),
            Value::Float64(_) => "float64".into(),
            Value::String(_) => "string".into(),
            Value::Bytes(_) => "[]uint8".into(),
            Value::List(l) => match l.elem {
                ElemType::Interface => "[]interface {}".into(),
                ElemType::String => "[]string".into(),
                ElemType::Int => "[]int".into(),
                ElemType::ListInterface => "[][]interface {}".into(),
                ElemType::VersionSet => "common.VersionSet".into(),
            },
            Value::Map(m) => match m.kind {
                MapKind::Interface => "map[string]interface {}".into(),
                MapKind::String => "map[string]string".into(),
                MapKind::Values => "common.Values".into(),
            },
            Value::Time(_) => "time.Time".into(),
            Value::Object(o) => o.type_name(),
        }
    }

    /// `reflect.Kind` name.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Invalid | Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float64(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) | Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Time(_) => "struct",
            Value::Object(o) => o.kind_name(),
        }
    }

    /// Go's truth (`if`): false for zero values, nil and empty collections.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Invalid | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float64(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Time(_) => true,
            Value::Object(o) => o.len().is_none_or(|n| n > 0),
        }
    }

    /// Converts to `serde_json::Value` (objects by their data form, bytes as base64 like Go).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Invalid | Value::Nil => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) | Value::Int64(i) => J::from(*i),
            Value::Float64(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::String(s) => J::String(s.to_string()),
            Value::Bytes(b) => {
                use base64::Engine as _;
                J::String(base64::engine::general_purpose::STANDARD.encode(b))
            }
            Value::List(l) => J::Array(l.items().iter().map(Value::to_json).collect()),
            Value::Map(m) => J::Object(
                m.entries()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
            Value::Time(t) => J::String(crate::funcs::dates::rfc3339_nano(t)),
            Value::Object(o) => o.to_data().to_json(),
        }
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        Value::from(&v)
    }
}

impl From<&serde_json::Value> for Value {
    fn from(v: &serde_json::Value) -> Self {
        from_json(v, &mut KeyCache::default())
    }
}

/// Shares the keys of a converted document: values files repeat `enabled`, `name`,
/// `annotations`… many times, and one shared string per key saves an allocation each.
#[derive(Default)]
pub(crate) struct KeyCache(rustc_hash::FxHashMap<Box<str>, Str>);

impl KeyCache {
    pub(crate) fn key(&mut self, k: &str) -> Str {
        if let Some(s) = self.0.get(k) {
            return s.clone();
        }
        let s = Str::from(k);
        self.0.insert(k.into(), s.clone());
        s
    }
}

fn from_json(v: &serde_json::Value, keys: &mut KeyCache) -> Value {
    use serde_json::Value as J;
    match v {
        J::Null => Value::Nil,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => Value::Float64(n.as_f64().unwrap_or(0.0)),
        J::String(s) => Value::str(s),
        J::Array(a) => Value::list(a.iter().map(|x| from_json(x, keys)).collect()),
        J::Object(o) => {
            let mut entries: Vec<(Str, Value)> = Vec::with_capacity(o.len());
            for (k, v) in o {
                entries.push((keys.key(k), from_json(v, keys)));
            }
            // serde_json keeps objects sorted unless `preserve_order` is on somewhere
            if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                entries.dedup_by(|a, b| a.0 == b.0);
            }
            Value::Map(Map::from_sorted(MapKind::Interface, entries))
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s.into())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        crate::fmt::write_value(&mut s, self);
        write!(f, "{}({})", self.type_name(), s)
    }
}

impl fmt::Display for Value {
    /// Go's `%v`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        crate::fmt::write_value(&mut s, self);
        f.write_str(&s)
    }
}

/// Deep equality as Go's `reflect.DeepEqual` sees it (types must match).
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Invalid | Value::Nil, Value::Invalid | Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float64(x), Value::Float64(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.elem == y.elem
                && x.len() == y.len()
                && x.items()
                    .iter()
                    .zip(y.items())
                    .all(|(a, b)| deep_equal(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.kind != y.kind {
                return false;
            }
            if x.ptr_eq(y) {
                return true;
            }
            let (ex, ey) = (x.entries(), y.entries());
            ex.len() == ey.len()
                && ex
                    .iter()
                    .zip(&ey)
                    .all(|((ka, va), (kb, vb))| ka == kb && deep_equal(va, vb))
        }
        (Value::Time(x), Value::Time(y)) => x == y,
        (Value::Object(x), Value::Object(y)) => Arc::ptr_eq(x, y),
        _ => false,
    }
}
