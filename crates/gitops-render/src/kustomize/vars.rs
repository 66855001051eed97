//! The deprecated `vars`: `$(NAME)` in the var-reference fields replaced by a field of a
//! resource, after names are final.

use serde_json::Value;

use super::KustomizeError;
use super::fieldspec::{CreateKind, FieldSpec, split_path, walk};
use super::loader::Site;
use super::resource::{Gvk, Resource, effective_namespace, is_cluster_scoped};
use super::types::Var;

fn field_path(v: &Var) -> &str {
    if v.fieldref.field_path.is_empty() {
        "metadata.name"
    } else {
        &v.fieldref.field_path
    }
}

fn objref_gvk(v: &Var) -> Gvk {
    let o = &v.objref;
    let mut gvk = Gvk {
        group: o.group.clone(),
        version: o.version.clone(),
        kind: o.kind.clone(),
    };
    if !o.api_version.is_empty() {
        match o.api_version.split_once('/') {
            Some((g, ver)) => {
                gvk.group = g.to_owned();
                gvk.version = ver.to_owned();
            }
            None => gvk.version = o.api_version.clone(),
        }
    }
    gvk
}

/// kustomize's `MergeVars`: remembers on the var's target resource that the var reads it.
pub(crate) fn mark_target(
    resources: &mut [Resource],
    var: &Var,
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    let gvk = objref_gvk(var);
    let ns = &var.objref.namespace;
    let cluster = is_cluster_scoped(&gvk.api_version(), &gvk.kind);
    let strict_ns = !ns.is_empty() || cluster;
    let want_ns = if cluster {
        super::resource::NOT_NAMESPACEABLE
    } else {
        effective_namespace(ns)
    };
    let mut matched = Vec::new();
    for (i, res) in resources.iter().enumerate() {
        let hit = res
            .prev_ids()
            .iter()
            .chain(std::iter::once(&res.cur_id()))
            .any(|id| {
                id.name == var.objref.name
                    && id.gvk == gvk
                    && (!strict_ns || id.effective_namespace() == want_ns)
            });
        if hit {
            matched.push(i);
        }
    }
    match matched.as_slice() {
        [] => Ok(()),
        [i] => {
            resources[*i].build.ref_var_names.push(var.name.clone());
            Ok(())
        }
        many => Err(site.invalid(format!(
            "found {} resource matches for var {:?} (unable to disambiguate)",
            many.len(),
            var.name
        ))),
    }
}

/// kustomize's `ResolveVars`: replaces `$(NAME)` along the var-reference field specs.
pub(crate) fn resolve(
    resources: &mut [Resource],
    vars: &[Var],
    specs: &[FieldSpec],
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    if vars.is_empty() {
        return Ok(());
    }
    let mut sorted: Vec<&Var> = vars.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut values: Vec<(String, Value)> = Vec::new();
    for var in sorted {
        let source = resources
            .iter()
            .find(|r| r.build.ref_var_names.contains(&var.name))
            .ok_or_else(|| {
                site.invalid(format!(
                    "var {:?} cannot be mapped to a field in the set of known resources",
                    var.name
                ))
            })?;
        let value = field_value(source.value(), field_path(var)).ok_or_else(|| {
            site.invalid(format!(
                "field {} specified in var {:?} not found in corresponding resource",
                field_path(var),
                var.name
            ))
        })?;
        values.push((var.name.clone(), value));
    }
    let paths: Vec<Vec<String>> = specs.iter().map(|fs| split_path(&fs.path)).collect();
    for res in resources.iter_mut() {
        let (api_version, kind) = (res.api_version().to_owned(), res.kind().to_owned());
        for (fs, path) in specs.iter().zip(&paths) {
            if !fs.selects(&api_version, &kind) {
                continue;
            }
            let mut set = |v: &mut Value| replace_in(v, &values);
            walk(res.value_mut(), path, false, CreateKind::None, &mut set)
                .map_err(|m| super::transformers::failed(site, res, m))?;
        }
    }
    Ok(())
}

fn replace_in(v: &mut Value, values: &[(String, Value)]) -> Result<(), String> {
    match v {
        Value::String(s) => {
            *v = expand(s, values);
            Ok(())
        }
        Value::Object(m) => {
            for item in m.values_mut() {
                if let Value::String(s) = item {
                    *item = expand(s, values);
                }
            }
            Ok(())
        }
        Value::Array(items) => {
            for item in items {
                let Value::String(s) = item else {
                    return Err("invalid value type expect a string".to_owned());
                };
                *item = expand(s, values);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `$(NAME)` expansion (`$$` escapes); a string that is exactly `$(NAME)` takes the var's
/// type.
fn expand(input: &str, values: &[(String, Value)]) -> Value {
    let lookup = |name: &str| values.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let bytes = input.as_bytes();
    let mut out = String::new();
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance;
            match rest.as_bytes()[0] {
                b'$' => {
                    out.push('$');
                    advance = 1;
                }
                b'(' => match rest.find(')') {
                    Some(close) => {
                        let name = &rest[1..close];
                        match lookup(name) {
                            Some(value) => {
                                if input.len() == name.len() + 3 {
                                    return value.clone();
                                }
                                out.push_str(&go_format(value));
                            }
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        advance = close + 1;
                    }
                    None => {
                        out.push_str("$(");
                        advance = 1;
                    }
                },
                _ => {
                    out.push('$');
                    let c = rest.chars().next().unwrap_or('$');
                    out.push(c);
                    advance = c.len_utf8();
                }
            }
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    if checkpoint <= input.len() {
        out.push_str(&input[checkpoint..]);
    }
    Value::String(out)
}

fn go_format(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// kustomize's `GetFieldValue`: a dotted path, with `name[0]` indices and `[k=v]` matches.
fn field_value(obj: &Value, path: &str) -> Option<Value> {
    let mut cur = obj;
    for part in path.split('.') {
        if part.is_empty() {
            continue;
        }
        let (name, index) = match part.find('[') {
            Some(i) if part.ends_with(']') => (&part[..i], Some(&part[i + 1..part.len() - 1])),
            _ => (part, None),
        };
        if !name.is_empty() {
            cur = cur.get(name)?;
        }
        if let Some(index) = index {
            let items = cur.as_array()?;
            cur = match index.split_once('=') {
                Some((k, v)) => items
                    .iter()
                    .find(|e| e.get(k).and_then(Value::as_str) == Some(v))?,
                None => items.get(index.parse::<usize>().ok()?)?,
            };
        }
    }
    (!cur.is_null()).then(|| cur.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expansion() {
        let values = vec![("A".to_owned(), json!("x")), ("N".to_owned(), json!(3))];
        assert_eq!(expand("$(A)-$(N)-$(B)", &values), json!("x-3-$(B)"));
        assert_eq!(expand("$(N)", &values), json!(3));
        assert_eq!(expand("$$(A) $x $(", &values), json!("$(A) $x $("));
    }

    #[test]
    fn field_values() {
        let obj = json!({"spec": {"ports": [{"name": "a", "port": 80}]}});
        assert_eq!(field_value(&obj, "spec.ports[0].port"), Some(json!(80)));
        assert_eq!(
            field_value(&obj, "spec.ports[name=a].port"),
            Some(json!(80))
        );
        assert_eq!(field_value(&obj, "spec.nope"), None);
    }
}
