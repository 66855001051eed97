//! Field specifications (a GVK selector plus a slash-separated path such as
//! `spec/template/spec/containers[]/image`) and the walk that finds, or creates, the fields
//! they name.

use serde_json::{Map, Value};

use super::resource::{Gvk, gvk_selected};
use super::types::FieldSpecArgs;

/// Which objects a rule applies to, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldSpec {
    pub gvk: Gvk,
    pub path: String,
    pub create: bool,
}

impl FieldSpec {
    /// A field spec for any object.
    pub(crate) fn any(path: &str, create: bool) -> Self {
        FieldSpec {
            gvk: Gvk::default(),
            path: path.to_owned(),
            create,
        }
    }

    /// A field spec for one kind (and optionally group and version).
    pub(crate) fn new(group: &str, version: &str, kind: &str, path: &str, create: bool) -> Self {
        FieldSpec {
            gvk: Gvk {
                group: group.to_owned(),
                version: version.to_owned(),
                kind: kind.to_owned(),
            },
            path: path.to_owned(),
            create,
        }
    }

    /// True when an object of this type is selected.
    pub(crate) fn selects(&self, api_version: &str, kind: &str) -> bool {
        let (group, version) = super::resource::split_api_version(api_version);
        gvk_selected(group, version, kind, &self.gvk)
    }

    /// kustomize's `effectivelyEquals`.
    fn effectively_equals(&self, other: &FieldSpec) -> bool {
        self.gvk.is_selected(&other.gvk) && self.path == other.path
    }
}

impl From<&FieldSpecArgs> for FieldSpec {
    fn from(a: &FieldSpecArgs) -> Self {
        FieldSpec::new(&a.group, &a.version, &a.kind, &a.path, a.create)
    }
}

/// kustomize's `FsSlice.MergeOne`: adds a field spec unless an equivalent one is present.
pub(crate) fn merge_one(list: &mut Vec<FieldSpec>, spec: FieldSpec) -> Result<(), String> {
    if let Some(existing) = list.iter().find(|x| x.effectively_equals(&spec)) {
        if existing.create != spec.create {
            return Err(format!(
                "conflicting fieldspecs for path {} (create: {} and {})",
                spec.path, existing.create, spec.create
            ));
        }
        return Ok(());
    }
    list.push(spec);
    Ok(())
}

/// kustomize's `FsSlice.MergeAll`.
pub(crate) fn merge_all(
    list: &mut Vec<FieldSpec>,
    incoming: impl IntoIterator<Item = FieldSpec>,
) -> Result<(), String> {
    for spec in incoming {
        merge_one(list, spec)?;
    }
    Ok(())
}

/// Splits a field path at `/`, keeping `\/` as a literal slash (kustomize's `PathSplitter`).
pub(crate) fn split_path(path: &str) -> Vec<String> {
    let mut parts: Vec<&str> = path.split('/').collect();
    if parts.len() > 1 && parts[0].is_empty() {
        parts.remove(0);
    }
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    for part in parts {
        match out.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('/');
                last.push_str(part);
            }
            _ => out.push(part.to_owned()),
        }
    }
    out
}

/// What to create at a missing leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CreateKind {
    /// Never create.
    None,
    /// An empty string (names, namespaces, replicas).
    Scalar,
    /// An empty mapping (labels, annotations).
    Map,
}

/// Walks `obj` along `path`, calling `set` on every node the path reaches.
///
/// Mirrors kustomize's `fieldspec.Filter`: sequences are entered element by element without a
/// path segment of their own, missing fields end the walk silently unless `create` allows
/// creating them (intermediate fields become mappings, the leaf becomes `leaf`), and a `null`
/// on a path that may be created is replaced by the kind to create.
pub(crate) fn walk(
    obj: &mut Value,
    path: &[String],
    create: bool,
    leaf: CreateKind,
    set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    walk_at(obj, path, create, leaf, &mut |v, _| set(v))
}

/// Like [`walk`], also giving `set` the JSON pointer of the node.
pub(crate) fn walk_at(
    obj: &mut Value,
    path: &[String],
    create: bool,
    leaf: CreateKind,
    set: &mut dyn FnMut(&mut Value, &str) -> Result<(), String>,
) -> Result<(), String> {
    let mut at = String::new();
    walk_inner(obj, path, create, leaf, set, &mut at)
}

/// Appends a JSON pointer segment.
pub(crate) fn push_segment(at: &mut String, segment: &str) {
    at.push('/');
    for c in segment.chars() {
        match c {
            '~' => at.push_str("~0"),
            '/' => at.push_str("~1"),
            c => at.push(c),
        }
    }
}

fn walk_inner(
    obj: &mut Value,
    path: &[String],
    create: bool,
    leaf: CreateKind,
    set: &mut dyn FnMut(&mut Value, &str) -> Result<(), String>,
    at: &mut String,
) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        return set(obj, at);
    };
    match obj {
        Value::Null => Ok(()),
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                walk_inner(item, path, create, leaf, set, at)?;
                at.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            let (name, is_seq) = match first.strip_suffix("[]") {
                Some(name) => (name, true),
                None => (first.as_str(), false),
            };
            if name.is_empty() {
                return Err("cannot set or create an empty field name".to_owned());
            }
            let create_as = if !create || leaf == CreateKind::None || is_seq {
                None
            } else if rest.is_empty() {
                Some(leaf)
            } else {
                Some(CreateKind::Map)
            };
            let field = match create_as {
                None => match map.get_mut(name) {
                    Some(field) => {
                        if is_seq && field.is_null() {
                            *field = Value::Array(Vec::new());
                        }
                        field
                    }
                    None => return Ok(()),
                },
                Some(kind) => {
                    let field = map.entry(name.to_owned()).or_insert(Value::Null);
                    if field.is_null() {
                        *field = empty(kind);
                    }
                    field
                }
            };
            let len = at.len();
            push_segment(at, name);
            let result = walk_inner(field, rest, create, leaf, set, at);
            at.truncate(len);
            result
        }
        _ => Err("expected sequence or mapping node".to_owned()),
    }
}

fn empty(kind: CreateKind) -> Value {
    match kind {
        CreateKind::Map => Value::Object(Map::new()),
        CreateKind::Scalar | CreateKind::None => Value::String(String::new()),
    }
}
