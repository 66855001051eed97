//! `replacements`: copy a field of one resource into fields of others (kustomize's
//! ReplacementTransformer), with delimiters, indices, rejects and field creation.

mod path;

use serde_json::Value;

use path::{find_targets, kind_of, lookup, parse_path, resolve_plain};

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
        crate::kustomize::yaml12::parse_value(text).map_err(|e| site.invalid(e.to_string()))?;
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
