//! [`Object`], one Kubernetes manifest of any kind, and [`ObjectRef`], its identity.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::consts;

/// The identity of an object: API group, kind, namespace and name.
///
/// The version is not part of the identity (`apps/v1` and `apps/v1beta1` Deployments named `web`
/// are the same object). The namespace is empty for cluster-scoped objects and for namespaced
/// objects whose manifest leaves it to the client. The ordering is stable: by group, kind,
/// namespace, then name.
///
/// The text form is `Kind[.group]/[namespace/]name`, like kubectl's `deployment.apps/web`:
///
/// ```
/// use gitops_core::ObjectRef;
///
/// let web = ObjectRef::new("apps", "Deployment", "shop", "web");
/// assert_eq!(web.to_string(), "Deployment.apps/shop/web");
/// assert_eq!("Deployment.apps/shop/web".parse::<ObjectRef>().unwrap(), web);
///
/// let ns = ObjectRef::new("", "Namespace", "", "shop");
/// assert_eq!(ns.to_string(), "Namespace/shop");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// API group; empty for the core group (`v1`).
    pub group: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Namespace; empty for cluster-scoped objects (or when the manifest names none).
    pub namespace: String,
    /// Name. For hooks that only carry `metadata.generateName`, the generate-name prefix.
    pub name: String,
}

impl ObjectRef {
    /// A reference from its four parts.
    pub fn new(
        group: impl Into<String>,
        kind: impl Into<String>,
        namespace: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            group: group.into(),
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// The namespace, or `None` when it is empty.
    pub fn namespace(&self) -> Option<&str> {
        (!self.namespace.is_empty()).then_some(self.namespace.as_str())
    }

    /// `(group, kind)`: the type of the object without its version.
    pub fn group_kind(&self) -> (&str, &str) {
        (&self.group, &self.kind)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        if !self.namespace.is_empty() {
            write!(f, "/{}", self.namespace)?;
        }
        write!(f, "/{}", self.name)
    }
}

/// The text was not of the form `Kind[.group]/[namespace/]name`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid object reference {text:?}: expected Kind[.group]/[namespace/]name")]
pub struct ParseObjectRefError {
    /// The text that failed to parse.
    pub text: String,
}

impl FromStr for ObjectRef {
    type Err = ParseObjectRefError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseObjectRefError { text: s.to_owned() };
        let mut parts = s.split('/');
        let kind_group = parts.next().ok_or_else(err)?;
        let rest: Vec<&str> = parts.collect();
        let (namespace, name) = match rest.as_slice() {
            [name] => ("", *name),
            [namespace, name] if !namespace.is_empty() => (*namespace, *name),
            _ => return Err(err()),
        };
        let (kind, group) = kind_group.split_once('.').unwrap_or((kind_group, ""));
        if kind.is_empty() || name.is_empty() {
            return Err(err());
        }
        Ok(ObjectRef::new(group, kind, namespace, name))
    }
}

/// Where an object was read from, for error messages.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The file (as the renderer names it, usually relative to the rendered root).
    pub file: Arc<str>,
    /// The document within the file, counting from 1.
    pub document: usize,
    /// The line where the document starts, counting from 1, when known.
    pub line: Option<u32>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: document {}", self.file, self.document)
    }
}

/// What is wrong with a manifest that is not a valid object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    /// The document is not a mapping.
    #[error("not a mapping (found {found})")]
    NotAMapping {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// A required field is absent or empty.
    #[error("missing field {field}")]
    MissingField {
        /// The field, as a dotted path.
        field: &'static str,
    },
    /// A field has the wrong type.
    #[error("field {field} must be {expected}, found {found}")]
    WrongType {
        /// The field, as a dotted path.
        field: &'static str,
        /// The type it must have.
        expected: &'static str,
        /// The JSON type found instead.
        found: &'static str,
    },
    /// A name or namespace that can never be a URL path segment.
    #[error("field {field}: invalid value {value:?}: {reason}")]
    InvalidName {
        /// The field, as a dotted path.
        field: &'static str,
        /// The offending value.
        value: String,
        /// Why it is invalid.
        reason: &'static str,
    },
}

/// The JSON type of a value, for error messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// One Kubernetes manifest of any kind: apiVersion, kind, metadata and the rest as JSON.
///
/// Cloning is cheap (the manifest is shared behind an [`Arc`]), so plans, change sets and
/// caches can hold objects by value even for renders of 100,000 objects. The identity
/// ([`ObjectRef`]) is computed once, when the object is built.
///
/// ```
/// use gitops_core::Object;
/// use serde_json::json;
///
/// let cm = Object::new(json!({
///     "apiVersion": "v1",
///     "kind": "ConfigMap",
///     "metadata": {"name": "settings", "namespace": "shop"},
///     "data": {"color": "blue"},
/// }))?;
/// assert_eq!(cm.reference().to_string(), "ConfigMap/shop/settings");
/// assert_eq!(cm.manifest()["data"]["color"], "blue");
/// # Ok::<(), gitops_core::ObjectError>(())
/// ```
#[derive(Clone)]
pub struct Object(Arc<Inner>);

struct Inner {
    reference: ObjectRef,
    manifest: Value,
    origin: Option<Origin>,
    /// Computed once: planning asks for these for every object.
    hook: bool,
    generated_name: bool,
}

impl Object {
    /// Builds an object from a manifest, checking apiVersion, kind and metadata.name.
    ///
    /// A hook (an object carrying `argocd.argoproj.io/hook` or `helm.sh/hook`) may have
    /// `metadata.generateName` instead of a name; its reference then carries that prefix.
    pub fn new(manifest: Value) -> Result<Self, ObjectError> {
        Self::with_origin(manifest, None)
    }

    /// Like [`Object::new`], remembering where the manifest was read.
    pub fn with_origin(manifest: Value, origin: Option<Origin>) -> Result<Self, ObjectError> {
        let reference = reference_of(&manifest)?;
        let hook = is_hook(&manifest);
        let generated_name = manifest["metadata"]["name"].as_str().is_none();
        Ok(Object(Arc::new(Inner {
            reference,
            manifest,
            origin,
            hook,
            generated_name,
        })))
    }

    /// The identity of the object.
    pub fn reference(&self) -> &ObjectRef {
        &self.0.reference
    }

    /// The whole manifest.
    pub fn manifest(&self) -> &Value {
        &self.0.manifest
    }

    /// Where the object was read, when known.
    pub fn origin(&self) -> Option<&Origin> {
        self.0.origin.as_ref()
    }

    /// `apiVersion`, e.g. `apps/v1`.
    pub fn api_version(&self) -> &str {
        self.0.manifest["apiVersion"].as_str().unwrap_or_default()
    }

    /// The version part of `apiVersion`, e.g. `v1`.
    pub fn version(&self) -> &str {
        let api_version = self.api_version();
        api_version
            .split_once('/')
            .map_or(api_version, |(_, version)| version)
    }

    /// The API group (empty for the core group).
    pub fn group(&self) -> &str {
        &self.0.reference.group
    }

    /// `kind`.
    pub fn kind(&self) -> &str {
        &self.0.reference.kind
    }

    /// `metadata.name` (or `metadata.generateName` for hooks without a name).
    pub fn name(&self) -> &str {
        &self.0.reference.name
    }

    /// `metadata.namespace`, if set and not empty.
    pub fn namespace(&self) -> Option<&str> {
        self.0.reference.namespace()
    }

    /// True when the object has no `metadata.name`, only a `metadata.generateName`.
    pub fn has_generated_name(&self) -> bool {
        self.0.generated_name
    }

    /// `metadata.annotations`, if any.
    pub fn annotations(&self) -> Option<&Map<String, Value>> {
        self.0.manifest["metadata"]["annotations"].as_object()
    }

    /// One annotation's value, if present and a string.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations()?.get(key)?.as_str()
    }

    /// `metadata.labels`, if any.
    pub fn labels(&self) -> Option<&Map<String, Value>> {
        self.0.manifest["metadata"]["labels"].as_object()
    }

    /// One label's value, if present and a string.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels()?.get(key)?.as_str()
    }

    /// True when the object is an Argo CD or Helm hook.
    pub fn is_hook(&self) -> bool {
        self.0.hook
    }

    /// A copy of the manifest, changed by `edit` and checked again.
    ///
    /// The origin is kept.
    pub fn edit(&self, edit: impl FnOnce(&mut Value)) -> Result<Object, ObjectError> {
        let mut manifest = self.0.manifest.clone();
        edit(&mut manifest);
        Object::with_origin(manifest, self.0.origin.clone())
    }

    /// The manifest, without copying when this is the only handle to it.
    pub fn into_manifest(self) -> Value {
        match Arc::try_unwrap(self.0) {
            Ok(inner) => inner.manifest,
            Err(shared) => shared.manifest.clone(),
        }
    }
}

impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Object").field(&self.0.reference).finish()
    }
}

/// Objects are equal when their manifests are; where they were read does not matter.
impl PartialEq for Object {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.manifest == other.0.manifest
    }
}

impl Eq for Object {}

impl PartialOrd for Object {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Objects order by their references.
impl Ord for Object {
    fn cmp(&self, other: &Self) -> Ordering {
        self.reference().cmp(other.reference())
    }
}

impl Serialize for Object {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.manifest.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let manifest = Value::deserialize(deserializer)?;
        Object::new(manifest).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<Value> for Object {
    type Error = ObjectError;

    fn try_from(manifest: Value) -> Result<Self, Self::Error> {
        Object::new(manifest)
    }
}

fn is_hook(manifest: &Value) -> bool {
    let annotations = &manifest["metadata"]["annotations"];
    annotations.get(consts::ARGOCD_HOOK).is_some() || annotations.get(consts::HELM_HOOK).is_some()
}

fn string_field<'a>(
    parent: &'a Map<String, Value>,
    key: &str,
    field: &'static str,
) -> Result<Option<&'a str>, ObjectError> {
    match parent.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ObjectError::WrongType {
            field,
            expected: "a string",
            found: json_type(other),
        }),
    }
}

/// Kubernetes' rule for names used as URL path segments (apimachinery `IsValidPathSegmentName`).
fn check_path_segment(field: &'static str, value: &str) -> Result<(), ObjectError> {
    let reason = if value == "." || value == ".." {
        Some("may not be '.' or '..'")
    } else if value.contains('/') {
        Some("may not contain '/'")
    } else if value.contains('%') {
        Some("may not contain '%'")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ObjectError::InvalidName {
            field,
            value: value.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

fn reference_of(manifest: &Value) -> Result<ObjectRef, ObjectError> {
    let Value::Object(top) = manifest else {
        return Err(ObjectError::NotAMapping {
            found: json_type(manifest),
        });
    };
    let api_version =
        string_field(top, "apiVersion", "apiVersion")?.ok_or(ObjectError::MissingField {
            field: "apiVersion",
        })?;
    let kind =
        string_field(top, "kind", "kind")?.ok_or(ObjectError::MissingField { field: "kind" })?;
    let metadata = match top.get("metadata") {
        Some(Value::Object(metadata)) => metadata,
        None | Some(Value::Null) => return Err(ObjectError::MissingField { field: "metadata" }),
        Some(other) => {
            return Err(ObjectError::WrongType {
                field: "metadata",
                expected: "a mapping",
                found: json_type(other),
            });
        }
    };
    let name = match string_field(metadata, "name", "metadata.name")? {
        Some(name) => name,
        None if is_hook(manifest) => {
            string_field(metadata, "generateName", "metadata.generateName")?.ok_or(
                ObjectError::MissingField {
                    field: "metadata.name",
                },
            )?
        }
        None => {
            return Err(ObjectError::MissingField {
                field: "metadata.name",
            });
        }
    };
    check_path_segment("metadata.name", name)?;
    let namespace = string_field(metadata, "namespace", "metadata.namespace")?.unwrap_or_default();
    if !namespace.is_empty() {
        check_path_segment("metadata.namespace", namespace)?;
    }
    let group = api_version.split_once('/').map_or("", |(group, _)| group);
    Ok(ObjectRef::new(group, kind, namespace, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reference_from_manifest() {
        let obj = Object::new(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"}
        }))
        .unwrap();
        assert_eq!(
            obj.reference(),
            &ObjectRef::new("apps", "Deployment", "shop", "web")
        );
        assert_eq!(obj.version(), "v1");
        assert_eq!(obj.group(), "apps");
        assert!(!obj.has_generated_name());
    }

    #[test]
    fn core_group_is_empty() {
        let obj = Object::new(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        )
        .unwrap();
        assert_eq!(obj.group(), "");
        assert_eq!(obj.version(), "v1");
        assert_eq!(obj.namespace(), None);
    }

    #[test]
    fn missing_and_wrong_fields() {
        let cases = [
            (json!([1]), "not a mapping (found a list)"),
            (
                json!({"kind": "A", "metadata": {"name": "a"}}),
                "missing field apiVersion",
            ),
            (
                json!({"apiVersion": "v1", "metadata": {"name": "a"}}),
                "missing field kind",
            ),
            (
                json!({"apiVersion": "v1", "kind": "A"}),
                "missing field metadata",
            ),
            (
                json!({"apiVersion": "v1", "kind": "A", "metadata": {}}),
                "missing field metadata.name",
            ),
            (
                json!({"apiVersion": "v1", "kind": "A", "metadata": {"name": 3}}),
                "field metadata.name must be a string, found a number",
            ),
            (
                json!({"apiVersion": "v1", "kind": "A", "metadata": []}),
                "field metadata must be a mapping, found a list",
            ),
            (
                json!({"apiVersion": 1, "kind": "A", "metadata": {"name": "a"}}),
                "field apiVersion must be a string, found a number",
            ),
            (
                json!({"apiVersion": "v1", "kind": "A", "metadata": {"name": "../x"}}),
                "field metadata.name: invalid value \"../x\": may not contain '/'",
            ),
            (
                json!({"apiVersion": "v1", "kind": "A", "metadata": {"name": "a", "namespace": ".."}}),
                "field metadata.namespace: invalid value \"..\": may not be '.' or '..'",
            ),
            (
                json!({"apiVersion": "v1", "kind": "A", "metadata": {"generateName": "a-"}}),
                "missing field metadata.name",
            ),
        ];
        for (manifest, message) in cases {
            let err = Object::new(manifest.clone()).unwrap_err();
            assert_eq!(err.to_string(), message, "{manifest}");
        }
    }

    #[test]
    fn hooks_may_use_generate_name() {
        for key in [consts::ARGOCD_HOOK, consts::HELM_HOOK] {
            let obj = Object::new(json!({
                "apiVersion": "batch/v1", "kind": "Job",
                "metadata": {"generateName": "migrate-", "annotations": {key: "PreSync"}}
            }))
            .unwrap();
            assert_eq!(obj.name(), "migrate-");
            assert!(obj.has_generated_name());
            assert!(obj.is_hook());
        }
    }

    #[test]
    fn ref_text_round_trip() {
        for r in [
            ObjectRef::new("apps", "Deployment", "shop", "web"),
            ObjectRef::new("", "Namespace", "", "shop"),
            ObjectRef::new("", "ConfigMap", "shop", "cfg"),
            ObjectRef::new(
                "apiextensions.k8s.io",
                "CustomResourceDefinition",
                "",
                "a.b.io",
            ),
        ] {
            assert_eq!(r.to_string().parse::<ObjectRef>().unwrap(), r);
        }
        for bad in ["", "Deployment", "/a", "Deployment/", "A/b/c/d", "A//b"] {
            assert!(bad.parse::<ObjectRef>().is_err(), "{bad}");
        }
    }

    #[test]
    fn edit_rechecks() {
        let obj = Object::new(json!({"apiVersion": "v1", "kind": "A", "metadata": {"name": "a"}}))
            .unwrap();
        let renamed = obj.edit(|m| m["metadata"]["name"] = json!("b")).unwrap();
        assert_eq!(renamed.name(), "b");
        assert!(obj.edit(|m| m["metadata"]["name"] = json!(null)).is_err());
    }
}
