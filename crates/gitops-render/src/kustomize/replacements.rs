//! `replacements`: copy a field of one resource into fields of others (kustomize's
//! ReplacementTransformer), with delimiters, indices, rejects and field creation.

use regex::Regex;
use serde_json::{Map, Value};

use super::KustomizeError;
use super::build::{Builder, Target};
use super::loader::Site;
use super::resource::{Gvk, ResId, Resource, effective_namespace, scalar_string};
use super::types::{FieldOptions, ReplacementField, Selector, SourceSelector, TargetSelector};

/// A replacement: a source and its targets.
#[derive(Debug, Clone)]
pub(crate) struct Replacement {
    source: SourceSelector,
    targets: Vec<TargetSelector>,
}

/// Loads the replacements of a kustomization (inline, or `path` entries naming files that hold
/// one replacement or a list).
pub(crate) fn load(
    b: &mut Builder<'_>,
    t: &Target,
    fields: &[ReplacementField],
) -> Result<Vec<Replacement>, KustomizeError> {
    let mut out = Vec::new();
    for (i, r) in fields.iter().enumerate() {
        let field = format!("replacements[{i}]");
        let site = t.site(&field);
        if r.path.is_empty() {
            out.push(inline(r, site)?);
            continue;
        }
        if r.source.is_some() || !r.targets.is_empty() {
            return Err(site.invalid("cannot specify both path and inline replacement"));
        }
        let file = b.files.resolve_file(&t.dir, &r.path, site)?;
        let text = b.files.read(&file)?;
        out.extend(parse_file(&text, site)?);
    }
    Ok(out)
}

fn inline(r: &ReplacementField, site: Site<'_>) -> Result<Replacement, KustomizeError> {
    let Some(source) = r.source.clone() else {
        return Err(site.invalid("replacements must specify a source and at least one target"));
    };
    Ok(Replacement {
        source,
        targets: r.targets.clone(),
    })
}

/// A replacements file: one replacement or a list of them.
pub(crate) fn parse_file(text: &str, site: Site<'_>) -> Result<Vec<Replacement>, KustomizeError> {
    let mut value =
        gitops_core::yaml::parse_value(text).map_err(|e| site.invalid(e.to_string()))?;
    super::types::strip_nulls(&mut value);
    let list = match value {
        Value::Array(items) => items,
        v @ Value::Object(_) => vec![v],
        _ => return Err(site.invalid("unsupported replacement type in replacement file")),
    };
    list.into_iter()
        .map(|item| {
            let field: ReplacementField = serde_json::from_value(item)
                .map_err(|e| site.invalid(format!("invalid replacement: {e}")))?;
            inline(&field, site)
        })
        .collect()
}

/// Parses replacements given inline in a ReplacementTransformer plugin configuration.
pub(crate) fn from_values(
    items: Vec<Value>,
    site: Site<'_>,
) -> Result<Vec<ReplacementField>, KustomizeError> {
    items
        .into_iter()
        .map(|mut item| {
            super::types::strip_nulls(&mut item);
            serde_json::from_value(item)
                .map_err(|e| site.invalid(format!("invalid replacement: {e}")))
        })
        .collect()
}

/// Applies the replacements in order.
pub(crate) fn apply(
    resources: &mut [Resource],
    list: &[Replacement],
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    for r in list {
        if r.targets.is_empty() {
            return Err(site.invalid("replacements must specify a source and at least one target"));
        }
        let value = source_value(resources, &r.source).map_err(|m| site.invalid(m))?;
        for target in &r.targets {
            apply_target(resources, &value, target, site)?;
        }
    }
    Ok(())
}

/// The identities kustomize's replacement filter considers: current, then previous (never
/// treated as cluster-scoped).
fn ids(res: &Resource) -> Vec<ResId> {
    let mut cur = res.cur_id();
    cur.cluster_scoped = false;
    let mut out = vec![cur];
    out.extend(res.prev_ids());
    out
}

/// kustomize's `ResId.IsSelectedBy`.
fn selected_by(id: &ResId, group: &str, version: &str, kind: &str, name: &str, ns: &str) -> bool {
    (name.is_empty() || name == id.name)
        && (ns.is_empty() || effective_namespace(ns) == id.effective_namespace())
        && id.gvk.is_selected(&Gvk {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
        })
}

fn selector_selects(s: &Selector, id: &ResId) -> bool {
    selected_by(id, &s.group, &s.version, &s.kind, &s.name, &s.namespace)
}

fn describe(s: &SourceSelector) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("group", &s.group),
        ("version", &s.version),
        ("kind", &s.kind),
        ("name", &s.name),
        ("namespace", &s.namespace),
    ] {
        if !v.is_empty() {
            parts.push(format!("{k}={v}"));
        }
    }
    format!("source {{{}}}", parts.join(", "))
}

fn source_value(resources: &[Resource], source: &SourceSelector) -> Result<Value, String> {
    let mut found: Option<&Resource> = None;
    for res in resources {
        let hit = ids(res).iter().any(|id| {
            selected_by(
                id,
                &source.group,
                &source.version,
                &source.kind,
                &source.name,
                &source.namespace,
            )
        });
        if hit {
            if found.is_some() {
                return Err(format!("multiple matches for {}", describe(source)));
            }
            found = Some(res);
        }
    }
    let Some(res) = found else {
        return Err(format!("nothing selected by {}", describe(source)));
    };
    let field_path = if source.field_path.is_empty() {
        "metadata.name"
    } else {
        &source.field_path
    };
    let path = parse_path(field_path)?;
    let value = lookup(res.value(), &path)
        .filter(|v| !nil_or_empty(v))
        .ok_or_else(|| {
            format!(
                "fieldPath `{field_path}` is missing for replacement {}",
                describe(source)
            )
        })?;
    refine(source.options.as_ref(), value.clone())
}

fn nil_or_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The source's `delimiter`/`index` options.
fn refine(options: Option<&FieldOptions>, value: Value) -> Result<Value, String> {
    let Some(o) = options.filter(|o| !o.delimiter.is_empty()) else {
        return Ok(value);
    };
    let Some(text) = scalar_string(&value) else {
        return Err("delimiter option can only be used with scalar nodes".to_owned());
    };
    let parts: Vec<&str> = text.split(o.delimiter.as_str()).collect();
    let part = usize::try_from(o.index)
        .ok()
        .and_then(|i| parts.get(i))
        .ok_or_else(|| {
            format!(
                "options.index {} is out of bounds for value {text}",
                o.index
            )
        })?;
    Ok(Value::String((*part).to_owned()))
}

fn labels_match(res: &Resource, s: &Selector) -> Result<bool, String> {
    let probe = Selector {
        label_selector: s.label_selector.clone(),
        annotation_selector: s.annotation_selector.clone(),
        ..Selector::default()
    };
    let compiled = super::patch::selector::Compiled::new(&probe)?;
    Ok(compiled.matches(res))
}

fn apply_target(
    resources: &mut [Resource],
    value: &Value,
    target: &TargetSelector,
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    let Some(select) = &target.select else {
        return Err(site.invalid("target must specify resources to select"));
    };
    let field_paths: Vec<String> = if target.field_paths.is_empty() {
        vec!["metadata.name".to_owned()]
    } else {
        target.field_paths.clone()
    };
    let paths = field_paths
        .iter()
        .map(|p| parse_path(p).map(|parsed| (p, parsed)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| site.invalid(m))?;
    for res in resources.iter_mut() {
        let by_labels = labels_match(res, select).map_err(|m| site.invalid(m))?;
        if !by_labels {
            continue;
        }
        let mut rejected = false;
        for reject in &target.reject {
            if reject.annotation_selector.is_empty() && reject.label_selector.is_empty() {
                continue;
            }
            if labels_match(res, reject).map_err(|m| site.invalid(m))? {
                rejected = true;
            }
        }
        if rejected {
            continue;
        }
        let res_ids = ids(res);
        let hit = res_ids.iter().any(|id| selector_selects(select, id));
        let reject_by_id = target.reject.iter().any(|r| {
            let empty = r.group.is_empty()
                && r.version.is_empty()
                && r.kind.is_empty()
                && r.name.is_empty()
                && r.namespace.is_empty();
            !empty && res_ids.iter().any(|id| selector_selects(r, id))
        });
        if !hit || reject_by_id {
            continue;
        }
        let create = target.options.as_ref().is_some_and(|o| o.create);
        for (text, path) in &paths {
            let obj = res.value_mut();
            let mut matches = Vec::new();
            find_targets(obj, path, create.then(|| kind_of(value)), &mut matches)
                .map_err(|m| super::transformers::failed(site, res, m))?;
            if matches.is_empty() {
                let message = if create {
                    format!("unable to find or create field {text:?} in replacement target")
                } else {
                    format!("unable to find field {text:?} in replacement target")
                };
                return Err(super::transformers::failed(site, res, message));
            }
            for pointer in matches {
                let Some(field) = res.value_mut().pointer_mut(&pointer) else {
                    continue;
                };
                set_value(target.options.as_ref(), field, value).map_err(|m| {
                    KustomizeError::Invalid {
                        file: site.file.to_path_buf(),
                        field: site.field.to_owned(),
                        message: m,
                    }
                })?;
                super::aliases::propagate(res, &pointer);
            }
        }
    }
    Ok(())
}

/// One step of a replacement field path.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Field(String),
    Index(usize),
    Last,
    Wildcard,
    /// `[key=value]` (an empty key matches primitive elements).
    Match(String, String),
}

/// kustomize's `SmarterPathSplitter` on `.`, then the kinds of steps.
fn parse_path(path: &str) -> Result<Vec<Part>, String> {
    let raw = split_dots(path);
    let mut out = Vec::new();
    for elem in raw {
        let elem = elem.trim().to_owned();
        if elem.is_empty() {
            continue;
        }
        if elem.starts_with('[') && elem.ends_with(']') {
            let inner = &elem[1..elem.len() - 1];
            match inner.split_once('=') {
                Some((k, v)) => out.push(Part::Match(k.to_owned(), v.to_owned())),
                None => {
                    return Err(format!(
                        "list path element {elem} must contain fieldName=fieldValue for element to match"
                    ));
                }
            }
        } else if elem == "*" {
            out.push(Part::Wildcard);
        } else if elem == "-" {
            out.push(Part::Last);
        } else if let Ok(i) = elem.parse::<i64>() {
            let i =
                usize::try_from(i).map_err(|_| format!("array index {i} cannot be negative"))?;
            out.push(Part::Index(i));
        } else {
            out.push(Part::Field(elem));
        }
    }
    Ok(out)
}

/// Splits at `.`, keeping `\.` as a dot and bracketed `[a=b.c]` parts whole.
fn split_dots(path: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for piece in path.split('.') {
        match parts.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(piece);
            }
            _ => parts.push(piece.to_owned()),
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let elem = &parts[i];
        if elem.starts_with('[') && !elem.ends_with(']') {
            let mut joined = vec![elem.clone()];
            while i + 1 < parts.len() {
                i += 1;
                joined.push(parts[i].clone());
                if parts[i].ends_with(']') {
                    break;
                }
            }
            let s = joined.join(".");
            if s.contains('=') {
                out.push(s);
            } else {
                out.push(s.trim_matches(|c| c == '[' || c == ']').to_owned());
            }
        } else {
            out.push(elem.clone());
        }
        i += 1;
    }
    out
}

/// kustomize's `Lookup` on a source.
fn lookup<'a>(v: &'a Value, path: &[Part]) -> Option<&'a Value> {
    let Some((first, rest)) = path.split_first() else {
        return Some(v);
    };
    let next = match (first, v) {
        (Part::Field(f), Value::Object(m)) => m.get(f)?,
        (Part::Index(i), Value::Array(a)) => a.get(*i)?,
        (Part::Last, Value::Array(a)) => a.last()?,
        (Part::Match(k, want), Value::Array(a)) => a.iter().find(|e| {
            if k.is_empty() {
                scalar_string(e).as_deref() == Some(want.as_str())
            } else {
                e.get(k).and_then(scalar_string).as_deref() == Some(want.as_str())
            }
        })?,
        _ => return None,
    };
    if next.is_null() && !rest.is_empty() {
        return None;
    }
    lookup(next, rest)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum NodeKind {
    Scalar,
    Map,
    Seq,
}

fn kind_of(v: &Value) -> NodeKind {
    match v {
        Value::Object(_) => NodeKind::Map,
        Value::Array(_) => NodeKind::Seq,
        _ => NodeKind::Scalar,
    }
}

fn empty_of(kind: NodeKind) -> Value {
    match kind {
        NodeKind::Map => Value::Object(Map::new()),
        NodeKind::Seq => Value::Array(Vec::new()),
        NodeKind::Scalar => Value::Null,
    }
}

fn part_kind(next: Option<&Part>, last: NodeKind) -> NodeKind {
    match next {
        Some(Part::Match(..) | Part::Index(_)) => NodeKind::Seq,
        None => last,
        Some(_) => NodeKind::Map,
    }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// kustomize's `PathMatcher`: every node the path names (JSON pointers), created on the way
/// when `create` is set.
fn find_targets(
    v: &mut Value,
    path: &[Part],
    create: Option<NodeKind>,
    out: &mut Vec<String>,
) -> Result<(), String> {
    walk_targets(v, path, create, String::new(), out)
}

fn walk_targets(
    v: &mut Value,
    path: &[Part],
    create: Option<NodeKind>,
    at: String,
    out: &mut Vec<String>,
) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        out.push(at);
        return Ok(());
    };
    match first {
        Part::Field(name) => {
            if v.is_null() && create.is_some() {
                *v = Value::Object(Map::new());
            }
            let Value::Object(m) = v else {
                if v.is_null() {
                    return Ok(());
                }
                return Err(format!(
                    "wrong node kind: expected a mapping to look up {name:?}"
                ));
            };
            if !m.contains_key(name) {
                let Some(kind) = create else { return Ok(()) };
                m.insert(name.clone(), empty_of(part_kind(rest.first(), kind)));
            }
            let Some(next) = m.get_mut(name) else {
                return Ok(());
            };
            walk_targets(next, rest, create, format!("{at}/{}", escape(name)), out)
        }
        Part::Index(i) => {
            let Value::Array(items) = v else {
                return Err("wrong node kind: expected a list".to_owned());
            };
            if items.len() == *i
                && let Some(kind) = create
            {
                items.push(empty_of(part_kind(rest.first(), kind)));
            }
            if items.len() < i + 1 {
                return Err(format!(
                    "index {i} specified but only {} elements found",
                    items.len()
                ));
            }
            walk_targets(&mut items[*i], rest, create, format!("{at}/{i}"), out)
        }
        Part::Last => Err("'-' is not supported in replacement target paths".to_owned()),
        Part::Wildcard => {
            let Value::Array(items) = v else {
                return Err("wrong node kind: expected a list for '*'".to_owned());
            };
            for (i, item) in items.iter_mut().enumerate() {
                walk_targets(item, rest, create, format!("{at}/{i}"), out)?;
            }
            Ok(())
        }
        Part::Match(key, pattern) => {
            let Value::Array(items) = v else {
                return Err("wrong node kind: expected a list".to_owned());
            };
            let re =
                Regex::new(pattern).map_err(|e| format!("invalid pattern {pattern:?}: {e}"))?;
            let before = out.len();
            for (i, item) in items.iter_mut().enumerate() {
                let text = if key.is_empty() {
                    scalar_string(item)
                } else {
                    item.get(key.as_str()).and_then(scalar_string)
                };
                if text.is_some_and(|t| re.is_match(t.trim())) {
                    if key.is_empty() {
                        out.push(format!("{at}/{i}"));
                    } else {
                        walk_targets(item, rest, create, format!("{at}/{i}"), out)?;
                    }
                }
            }
            if out.len() > before || create.is_none() {
                return Ok(());
            }
            let elem = if key.is_empty() {
                resolve_plain(pattern)
            } else {
                let mut m = Map::new();
                m.insert(key.clone(), resolve_plain(pattern));
                Value::Object(m)
            };
            items.push(elem);
            walk_targets(v, path, create, at, out)
        }
    }
}

/// How YAML reads a plain scalar (for values written into untyped, new fields).
fn resolve_plain(text: &str) -> Value {
    match text {
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Value::Number(i.into());
    }
    if text.chars().any(|c| c.is_ascii_digit())
        && !text.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = serde_json::Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text.to_owned())
}

/// kustomize's `setFieldValue`: a scalar target keeps its type and takes the value's text; a
/// mapping or list target is replaced.
fn set_value(
    options: Option<&FieldOptions>,
    target: &mut Value,
    value: &Value,
) -> Result<(), String> {
    let mut value = value.clone();
    if let Some(o) = options.filter(|o| !o.delimiter.is_empty()) {
        if target.is_object() || target.is_array() {
            return Err("delimiter option can only be used with scalar nodes".to_owned());
        }
        let current = scalar_string(target).unwrap_or_default();
        let mut parts: Vec<String> = current
            .split(o.delimiter.as_str())
            .map(str::to_owned)
            .collect();
        let v = scalar_string(&value).unwrap_or_default();
        match usize::try_from(o.index) {
            Err(_) => parts.insert(0, v),
            Ok(i) if i >= parts.len() => parts.push(v),
            Ok(i) => parts[i] = v,
        }
        value = Value::String(parts.join(o.delimiter.as_str()));
    }
    match target {
        Value::Object(_) | Value::Array(_) => *target = value,
        Value::String(_) => {
            if let Some(text) = scalar_string(&value) {
                *target = Value::String(text);
            } else {
                *target = value;
            }
        }
        Value::Number(_) => {
            if let Some(text) = scalar_string(&value) {
                *target = match resolve_plain(&text) {
                    n @ Value::Number(_) => n,
                    _ => Value::String(text),
                };
            } else {
                *target = value;
            }
        }
        Value::Bool(_) => {
            if let Some(text) = scalar_string(&value) {
                *target = match text.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => Value::String(text),
                };
            } else {
                *target = value;
            }
        }
        Value::Null => {
            *target = match scalar_string(&value) {
                Some(text) => resolve_plain(&text),
                None => value,
            };
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("spec.http.0.route.[name=a.b].x").unwrap(),
            vec![
                Part::Field("spec".into()),
                Part::Field("http".into()),
                Part::Index(0),
                Part::Field("route".into()),
                Part::Match("name".into(), "a.b".into()),
                Part::Field("x".into())
            ]
        );
        assert_eq!(
            parse_path("metadata.annotations.[config.kubernetes.io/x]").unwrap(),
            vec![
                Part::Field("metadata".into()),
                Part::Field("annotations".into()),
                Part::Field("config.kubernetes.io/x".into())
            ]
        );
    }
}
