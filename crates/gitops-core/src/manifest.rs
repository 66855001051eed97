//! Manifest loading: a multi-document YAML or JSON text becomes [`Object`]s.
//!
//! `kind: List` (and any `*List` with an `items` list) is flattened, empty documents are
//! skipped, and every error names the file, the document (counting from 1) and, where the
//! parser knows it, the line. A document without apiVersion, kind or metadata.name is an error,
//! not a silent skip (hooks may use `metadata.generateName`). Two documents with the same
//! identity are reported by [`check_unique`], naming both places.
//!
//! ```
//! use gitops_core::manifest;
//!
//! let text = "\
//! apiVersion: v1
//! kind: Namespace
//! metadata: {name: shop}
//! ---
//! apiVersion: v1
//! kind: List
//! items:
//! - {apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: shop}}
//! ";
//! let objects = manifest::load_str(text, "app.yaml")?;
//! let names: Vec<String> = objects.iter().map(|o| o.reference().to_string()).collect();
//! assert_eq!(names, ["Namespace/shop", "ConfigMap/shop/a"]);
//! assert_eq!(objects[1].origin().unwrap().to_string(), "app.yaml: document 2");
//!
//! let err = manifest::load_str("kind: Namespace\nmetadata: {name: x}\n", "bad.yaml").unwrap_err();
//! assert_eq!(err.to_string(), "bad.yaml: document 1: missing field apiVersion");
//! # Ok::<(), gitops_core::manifest::LoadError>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::object::{Object, ObjectError, ObjectRef, Origin};
use crate::yaml::{self, YamlError};

/// A file that does not hold valid manifests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: document {document}: {}{kind}", item_prefix(*.item))]
pub struct LoadError {
    /// The file, as the caller named it.
    pub file: Arc<str>,
    /// The document within the file, counting from 1.
    pub document: usize,
    /// For a `List`, the index of the offending item.
    pub item: Option<usize>,
    /// What is wrong.
    pub kind: LoadErrorKind,
}

fn item_prefix(item: Option<usize>) -> String {
    item.map(|i| format!("items[{i}]: ")).unwrap_or_default()
}

/// What is wrong with a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadErrorKind {
    /// Not valid YAML or JSON.
    #[error("{}{message}", line_prefix(*.line, *.column))]
    Syntax {
        /// The line in the file, when known.
        line: Option<u32>,
        /// The column, when known.
        column: Option<u32>,
        /// What the parser said.
        message: String,
    },
    /// Valid YAML, but not a Kubernetes object.
    #[error(transparent)]
    Object(#[from] ObjectError),
    /// A `List` whose `items` is not a list.
    #[error("field items must be a list")]
    ItemsNotAList,
}

fn line_prefix(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!("line {line} column {column}: "),
        (Some(line), None) => format!("line {line}: "),
        _ => String::new(),
    }
}

impl LoadError {
    /// The line in the file where the problem is, when known.
    pub fn line(&self) -> Option<u32> {
        match &self.kind {
            LoadErrorKind::Syntax { line, .. } => *line,
            _ => None,
        }
    }
}

/// Loads every object of a YAML or JSON text; `file` names it in origins and errors.
pub fn load_str(text: &str, file: &str) -> Result<Vec<Object>, LoadError> {
    let file: Arc<str> = Arc::from(file);
    let documents = yaml::parse_documents(text).map_err(|e| syntax_error(&file, e))?;
    let mut objects = Vec::with_capacity(documents.len());
    for doc in documents {
        let origin = Origin {
            file: file.clone(),
            document: doc.index,
            line: Some(doc.line),
        };
        push_document(doc.value, origin, &mut objects)?;
    }
    Ok(objects)
}

fn syntax_error(file: &Arc<str>, e: YamlError) -> LoadError {
    LoadError {
        file: file.clone(),
        document: e.document,
        item: None,
        kind: LoadErrorKind::Syntax {
            line: e.line,
            column: e.column,
            message: e.message,
        },
    }
}

fn is_list(value: &Value) -> bool {
    value["kind"]
        .as_str()
        .is_some_and(|kind| kind.ends_with("List"))
        && value.get("items").is_some()
        && value["metadata"]["name"].is_null()
}

fn push_document(value: Value, origin: Origin, out: &mut Vec<Object>) -> Result<(), LoadError> {
    let error = |item, kind| LoadError {
        file: origin.file.clone(),
        document: origin.document,
        item,
        kind,
    };
    if !is_list(&value) {
        let object = Object::with_origin(value, Some(origin.clone()))
            .map_err(|e| error(None, LoadErrorKind::Object(e)))?;
        out.push(object);
        return Ok(());
    }
    let Value::Object(mut list) = value else {
        return Ok(());
    };
    match list.remove("items") {
        Some(Value::Array(items)) => {
            for (i, item) in items.into_iter().enumerate() {
                if item.is_null() {
                    continue;
                }
                let object = Object::with_origin(item, Some(origin.clone()))
                    .map_err(|e| error(Some(i), LoadErrorKind::Object(e)))?;
                out.push(object);
            }
            Ok(())
        }
        Some(Value::Null) | None => Ok(()),
        Some(_) => Err(error(None, LoadErrorKind::ItemsNotAList)),
    }
}

/// Two objects with one identity in a single render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DuplicateError {
    /// The identity both share.
    pub object: ObjectRef,
    /// Where the first was read.
    pub first: Option<Origin>,
    /// Where the second was read.
    pub second: Option<Origin>,
}

impl fmt::Display for DuplicateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = |o: &Option<Origin>| {
            o.as_ref()
                .map_or("(unknown)".to_owned(), ToString::to_string)
        };
        write!(
            f,
            "{}: duplicate object {} (also defined in {})",
            place(&self.second),
            self.object,
            place(&self.first)
        )
    }
}

/// Checks that no two objects share an identity.
///
/// Hooks with a generated name are exempt: every run creates a fresh object for them.
pub fn check_unique(objects: &[Object]) -> Result<(), DuplicateError> {
    let mut seen: HashMap<&ObjectRef, &Object> = HashMap::with_capacity(objects.len());
    for object in objects {
        if object.has_generated_name() {
            continue;
        }
        if let Some(first) = seen.insert(object.reference(), object) {
            return Err(DuplicateError {
                object: object.reference().clone(),
                first: first.origin().cloned(),
                second: object.origin().cloned(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(text: &str) -> String {
        load_str(text, "f.yaml").unwrap_err().to_string()
    }

    #[test]
    fn errors_name_file_document_and_field() {
        assert_eq!(
            err(
                "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\napiVersion: v1\nkind: B\nmetadata: {}\n"
            ),
            "f.yaml: document 2: missing field metadata.name"
        );
        assert_eq!(
            err("- a\n- b\n"),
            "f.yaml: document 1: not a mapping (found a list)"
        );
        assert_eq!(
            err("just text\n"),
            "f.yaml: document 1: not a mapping (found a string)"
        );
        assert_eq!(
            err("apiVersion: v1\nkind: A\nmetadata:\n  name: [x]\n"),
            "f.yaml: document 1: field metadata.name must be a string, found a list"
        );
    }

    #[test]
    fn syntax_errors_carry_lines() {
        let e = load_str("a: 1\n---\nb: [1, 2\nc: 3\n", "x.yaml").unwrap_err();
        assert_eq!(e.document, 2);
        assert_eq!(e.line(), Some(4));
        assert!(
            e.to_string()
                .starts_with("x.yaml: document 2: line 4 column "),
            "{e}"
        );
    }

    #[test]
    fn lists_are_flattened() {
        let objects = load_str(
            "apiVersion: v1\nkind: ConfigMapList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n",
            "l.yaml",
        )
        .unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[1].name(), "b");
    }

    #[test]
    fn list_item_errors_name_the_item() {
        assert_eq!(
            err(
                "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: A, metadata: {name: a}}\n- {kind: A}\n"
            ),
            "f.yaml: document 1: items[1]: missing field apiVersion"
        );
        assert_eq!(
            err("apiVersion: v1\nkind: List\nitems: {a: 1}\n"),
            "f.yaml: document 1: field items must be a list"
        );
    }

    #[test]
    fn a_kind_ending_in_list_with_a_name_is_an_object() {
        let objects = load_str(
            "apiVersion: x.io/v1\nkind: AllowList\nmetadata: {name: a}\nitems: [1, 2]\n",
            "f.yaml",
        )
        .unwrap();
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].kind(), "AllowList");
    }

    #[test]
    fn empty_documents_are_skipped() {
        let objects = load_str(
            "---\n---\n# nothing\n---\napiVersion: v1\nkind: A\nmetadata: {name: a}\n",
            "f.yaml",
        )
        .unwrap();
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].origin().unwrap().document, 3);
        assert!(load_str("", "f.yaml").unwrap().is_empty());
    }

    #[test]
    fn duplicates_name_both_places() {
        let objects = load_str(
            "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\napiVersion: v1\nkind: B\nmetadata: {name: a}\n---\napiVersion: v1\nkind: A\nmetadata: {name: a}\n",
            "d.yaml",
        )
        .unwrap();
        assert_eq!(
            check_unique(&objects).unwrap_err().to_string(),
            "d.yaml: document 3: duplicate object A/a (also defined in d.yaml: document 1)"
        );
    }

    #[test]
    fn hooks_with_generated_names_may_repeat() {
        let hook = json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"generateName": "m-", "annotations": {"argocd.argoproj.io/hook": "PreSync"}}});
        let objects = vec![
            Object::new(hook.clone()).unwrap(),
            Object::new(hook).unwrap(),
        ];
        assert!(check_unique(&objects).is_ok());
    }

    #[test]
    fn json_documents() {
        let objects = load_str(
            r#"{"apiVersion": "v1", "kind": "A", "metadata": {"name": "a"}, "n": 2.0}"#,
            "f.json",
        )
        .unwrap();
        assert_eq!(objects[0].manifest()["n"], json!(2));
    }
}
