//! Manifest files as kustomize reads them: multi-document YAML or JSON, `*List` kinds inlined,
//! empty documents skipped, `kind` and `metadata.name` required.

use std::sync::Arc;

use gitops_core::manifest::{LoadError, LoadErrorKind};
use gitops_core::{ObjectError, Origin};
use serde_json::Value;

use super::resource::Resource;
use super::types::json_type;
use super::yaml12::Parsed;

/// Parses a manifest file's text; `file` names it in origins and errors.
pub(crate) fn parse(text: &str, file: &str) -> Result<Vec<Resource>, LoadError> {
    let origin: Arc<str> = Arc::from(file);
    let docs = super::yaml12::parse_documents(text).map_err(|e| LoadError {
        file: origin.clone(),
        document: e.document,
        item: None,
        kind: LoadErrorKind::Syntax {
            line: e.line,
            column: e.column,
            message: e.message,
        },
    })?;
    let mut docs = docs;
    if let Some(last) = docs.last_mut() {
        fix_block_scalar_at_eof(text, &mut last.doc.value);
    }
    let mut out = Vec::with_capacity(docs.len());
    for Parsed { doc, empty_values } in docs {
        let error = |item, kind| LoadError {
            file: origin.clone(),
            document: doc.index,
            item,
            kind,
        };
        let at = Origin {
            file: origin.clone(),
            document: doc.index,
            line: Some(doc.line),
        };
        push(doc.value, &at, None, empty_values, &mut out).map_err(|(item, e)| error(item, e))?;
    }
    Ok(out)
}

type ItemError = (Option<usize>, LoadErrorKind);

/// YAML keeps a block scalar's final line break only when the text has one; the parser adds
/// it even at the end of a file without a newline. The last line of such a file ends the
/// last document's one string value that ends with it: drop the extra break there.
fn fix_block_scalar_at_eof(text: &str, value: &mut Value) {
    if text.ends_with('\n') {
        return;
    }
    let last = text.rsplit('\n').next().unwrap_or_default().trim();
    if last.is_empty() || last.starts_with('#') {
        return;
    }
    let suffix = format!("{last}\n");
    let mut hits = 0;
    count_suffix(value, &suffix, &mut hits);
    if hits == 1 {
        strip_suffix_newline(value, &suffix);
    }
}

fn count_suffix(v: &Value, suffix: &str, hits: &mut usize) {
    match v {
        Value::String(s) if s.ends_with(suffix) => *hits += 1,
        Value::Array(items) => items.iter().for_each(|i| count_suffix(i, suffix, hits)),
        Value::Object(m) => m.values().for_each(|i| count_suffix(i, suffix, hits)),
        _ => {}
    }
}

fn strip_suffix_newline(v: &mut Value, suffix: &str) {
    match v {
        Value::String(s) if s.ends_with(suffix) => {
            s.pop();
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| strip_suffix_newline(i, suffix)),
        Value::Object(m) => m.values_mut().for_each(|i| strip_suffix_newline(i, suffix)),
        _ => {}
    }
}

fn push(
    value: Value,
    origin: &Origin,
    item: Option<usize>,
    empty_values: Vec<String>,
    out: &mut Vec<Resource>,
) -> Result<(), ItemError> {
    let Value::Object(mut map) = value else {
        if value.is_null() {
            return Ok(());
        }
        return Err((
            item,
            LoadErrorKind::Object(ObjectError::NotAMapping {
                found: json_type(&value),
            }),
        ));
    };
    if map.is_empty() {
        return Ok(());
    }
    let kind = match map.get("kind") {
        Some(Value::String(kind)) if !kind.is_empty() => kind.clone(),
        _ => {
            return Err((
                item,
                LoadErrorKind::Object(ObjectError::MissingField { field: "kind" }),
            ));
        }
    };
    if kind.ends_with("List") && map.contains_key("items") {
        return match map.remove("items") {
            Some(Value::Array(items)) => {
                for (i, inner) in items.into_iter().enumerate() {
                    // kustomize rebuilds a list's items from maps: their empty values are
                    // nulls like any other.
                    push(inner, origin, Some(item.unwrap_or(i)), Vec::new(), out)?;
                }
                Ok(())
            }
            Some(Value::Null) | None => Ok(()),
            Some(_) => Err((item, LoadErrorKind::ItemsNotAList)),
        };
    }
    if !kind.ends_with("List") {
        match map.get("metadata").and_then(|m| m.get("name")) {
            Some(Value::String(name)) if !name.is_empty() => {}
            _ => {
                return Err((
                    item,
                    LoadErrorKind::Object(ObjectError::MissingField {
                        field: "metadata.name",
                    }),
                ));
            }
        }
    }
    let mut res = Resource::new(map, origin.clone());
    res.build.empty_values = empty_values;
    out.push(res);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_inlined_and_empty_documents_skipped() {
        let text = "---\n---\napiVersion: v1\nkind: ConfigMapList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n---\n{}\n";
        let out = parse(text, "f.yaml").unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].name(), "a");
    }

    #[test]
    fn block_scalar_at_end_of_file_without_newline() {
        let out = parse(
            "kind: ConfigMap\nmetadata: {name: a}\ndata:\n  a: |\n    x\n    y",
            "f.yaml",
        )
        .unwrap();
        assert_eq!(out[0].value()["data"]["a"], "x\ny");
        let out = parse(
            "kind: ConfigMap\nmetadata: {name: a}\ndata:\n  a: |\n    x\n",
            "f.yaml",
        )
        .unwrap();
        assert_eq!(out[0].value()["data"]["a"], "x\n");
    }

    #[test]
    fn name_and_kind_are_required() {
        let e = parse("apiVersion: v1\nkind: A\nmetadata: {}\n", "f.yaml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.yaml: document 1: missing field metadata.name"
        );
        let e = parse("apiVersion: v1\nmetadata: {name: a}\n", "f.yaml").unwrap_err();
        assert_eq!(e.to_string(), "f.yaml: document 1: missing field kind");
    }
}
