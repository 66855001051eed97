//! [`Resource`]: one object during a build, with the bookkeeping kustomize keeps beside it
//! (previous names, prefixes and suffixes, generator behaviour), and its identities.

use std::fmt;

use gitops_core::Origin;
use serde_json::{Map, Value};

/// Group, version and kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl Gvk {
    /// From an `apiVersion` (`group/version` or `version`) and a kind.
    pub(crate) fn new(api_version: &str, kind: &str) -> Self {
        let (group, version) = split_api_version(api_version);
        Gvk {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
        }
    }

    /// kustomize's `Gvk.IsSelected`: every non-empty part of `selector` must be equal.
    pub(crate) fn is_selected(&self, selector: &Gvk) -> bool {
        gvk_selected(&self.group, &self.version, &self.kind, selector)
    }

    /// `group/version`, or `version` for the core group.
    pub(crate) fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// [`Gvk::is_selected`] on borrowed parts.
pub(crate) fn gvk_selected(group: &str, version: &str, kind: &str, selector: &Gvk) -> bool {
    (selector.group.is_empty() || selector.group == group)
        && (selector.version.is_empty() || selector.version == version)
        && (selector.kind.is_empty() || selector.kind == kind)
}

/// Splits `group/version`; the core group is empty.
pub(crate) fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// Kinds the Kubernetes API (as kustomize v5.5 knows it, v1.21) serves cluster-scoped, by
/// `apiVersion` and kind. Anything else, including custom resources, counts as namespaced.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
    ),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"),
    ("apiregistration.k8s.io/v1", "APIService"),
    ("apiregistration.k8s.io/v1beta1", "APIService"),
    ("certificates.k8s.io/v1", "CertificateSigningRequest"),
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
    ),
    ("networking.k8s.io/v1", "IngressClass"),
    ("networking.k8s.io/v1beta1", "IngressClass"),
    ("node.k8s.io/v1", "RuntimeClass"),
    ("node.k8s.io/v1beta1", "RuntimeClass"),
    ("policy/v1beta1", "PodSecurityPolicy"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"),
    ("storage.k8s.io/v1", "CSIDriver"),
    ("storage.k8s.io/v1", "CSINode"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("storage.k8s.io/v1", "VolumeAttachment"),
    ("storage.k8s.io/v1beta1", "CSIDriver"),
    ("storage.k8s.io/v1beta1", "CSINode"),
    ("storage.k8s.io/v1beta1", "StorageClass"),
    ("storage.k8s.io/v1beta1", "VolumeAttachment"),
    ("v1", "ComponentStatus"),
    ("v1", "Namespace"),
    ("v1", "Node"),
    ("v1", "NodeProxyOptions"),
    ("v1", "PersistentVolume"),
];

/// True when kustomize knows the type to be cluster-scoped.
pub(crate) fn is_cluster_scoped(api_version: &str, kind: &str) -> bool {
    CLUSTER_SCOPED
        .iter()
        .any(|(v, k)| *k == kind && *v == api_version)
}

/// The namespace kustomize compares cluster-scoped objects with.
pub(crate) const NOT_NAMESPACEABLE: &str = "_non_namespaceable_";

/// An identity: GVK, name and namespace (kustomize's `ResId`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ResId {
    pub gvk: Gvk,
    pub name: String,
    pub namespace: String,
    /// Known to be cluster-scoped (never true for previous ids, as in kustomize).
    pub cluster_scoped: bool,
}

impl ResId {
    /// kustomize's `EffectiveNamespace`.
    pub(crate) fn effective_namespace(&self) -> &str {
        if self.cluster_scoped {
            NOT_NAMESPACEABLE
        } else {
            effective_namespace(&self.namespace)
        }
    }

    /// A key that is equal exactly when [`ResId::equals`] is.
    pub(crate) fn key(&self) -> IdKey {
        IdKey {
            gvk: self.gvk.clone(),
            name: self.name.clone(),
            namespace: self.effective_namespace().to_owned(),
        }
    }
}

/// `""` and `"default"` are the same namespace.
pub(crate) fn effective_namespace(namespace: &str) -> &str {
    if namespace.is_empty() {
        "default"
    } else {
        namespace
    }
}

impl fmt::Display for ResId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.gvk.kind)?;
        if !self.gvk.group.is_empty() {
            write!(f, ".{}", self.gvk.group)?;
        }
        if !self.namespace.is_empty() {
            write!(f, "/{}", self.namespace)?;
        }
        write!(f, "/{}", self.name)
    }
}

/// A hashable form of an identity for [`ResId::equals`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct IdKey {
    gvk: Gvk,
    name: String,
    namespace: String,
}

/// A previous identity (after a rename, a namespace change or a hash suffix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrevId {
    pub kind: String,
    pub name: String,
    /// The effective namespace at the time.
    pub namespace: String,
}

/// How a generated ConfigMap or Secret combines with one of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Behavior {
    #[default]
    Create,
    Merge,
    Replace,
}

/// What kustomize records in build annotations while it works on a resource.
#[derive(Debug, Clone, Default)]
pub(crate) struct Build {
    pub prev: Vec<PrevId>,
    pub prefixes: Vec<String>,
    pub suffixes: Vec<String>,
    /// Set for generated resources.
    pub behavior: Option<Behavior>,
    pub needs_hash: bool,
    /// For patches: may change their target's name or kind.
    pub allow_name_change: bool,
    pub allow_kind_change: bool,
    /// Vars that were looked up on this resource.
    pub ref_var_names: Vec<String>,
    /// JSON pointers of the nulls the file wrote as nothing (`key:`), which a strategic merge
    /// patch drops (see [`super::yaml12`]).
    pub empty_values: Vec<String>,
    /// Places that share one value (see [`super::aliases`]).
    pub aliases: Vec<Vec<String>>,
}

/// One object during a build.
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    obj: Value,
    pub build: Build,
    /// Where it came from (or the kustomization that generated it).
    pub origin: Origin,
}

impl Resource {
    /// A resource from a mapping.
    pub(crate) fn new(obj: Map<String, Value>, origin: Origin) -> Self {
        Resource {
            obj: Value::Object(obj),
            build: Build::default(),
            origin,
        }
    }

    /// The whole object.
    pub(crate) fn value(&self) -> &Value {
        &self.obj
    }

    /// The whole object, to change.
    pub(crate) fn value_mut(&mut self) -> &mut Value {
        &mut self.obj
    }

    /// Takes the object out.
    pub(crate) fn into_value(self) -> Value {
        self.obj
    }

    /// Replaces the object.
    pub(crate) fn set_value(&mut self, obj: Value) {
        self.obj = obj;
    }

    fn str_at(&self, a: &str, b: Option<&str>) -> &str {
        let v = &self.obj[a];
        let v = match b {
            Some(b) => &v[b],
            None => v,
        };
        v.as_str().unwrap_or_default()
    }

    pub(crate) fn api_version(&self) -> &str {
        self.str_at("apiVersion", None)
    }

    pub(crate) fn kind(&self) -> &str {
        self.str_at("kind", None)
    }

    pub(crate) fn name(&self) -> &str {
        self.str_at("metadata", Some("name"))
    }

    pub(crate) fn namespace(&self) -> &str {
        self.str_at("metadata", Some("namespace"))
    }

    pub(crate) fn gvk(&self) -> Gvk {
        Gvk::new(self.api_version(), self.kind())
    }

    /// The group and version, borrowed.
    pub(crate) fn group_version(&self) -> (&str, &str) {
        split_api_version(self.api_version())
    }

    pub(crate) fn is_cluster_scoped(&self) -> bool {
        is_cluster_scoped(self.api_version(), self.kind())
    }

    /// The current identity.
    pub(crate) fn cur_id(&self) -> ResId {
        ResId {
            gvk: self.gvk(),
            name: self.name().to_owned(),
            namespace: self.namespace().to_owned(),
            cluster_scoped: self.is_cluster_scoped(),
        }
    }

    /// The current effective namespace, without allocating.
    pub(crate) fn cur_effective_namespace(&self) -> &str {
        if self.is_cluster_scoped() {
            NOT_NAMESPACEABLE
        } else {
            effective_namespace(self.namespace())
        }
    }

    /// The previous identities, oldest first (with the current GVK's group and version).
    pub(crate) fn prev_ids(&self) -> Vec<ResId> {
        let (group, version) = self.group_version();
        self.build
            .prev
            .iter()
            .map(|p| ResId {
                gvk: Gvk {
                    group: group.to_owned(),
                    version: version.to_owned(),
                    kind: p.kind.clone(),
                },
                name: p.name.clone(),
                namespace: p.namespace.clone(),
                cluster_scoped: false,
            })
            .collect()
    }

    /// kustomize's "any id equals" test (current or previous identity), without allocating.
    pub(crate) fn any_id_equals(&self, id: &ResId) -> bool {
        let (group, version) = self.group_version();
        if group != id.gvk.group || version != id.gvk.version {
            return false;
        }
        let want_ns = id.effective_namespace();
        if self.name() == id.name
            && self.kind() == id.gvk.kind
            && self.cur_effective_namespace() == want_ns
        {
            return true;
        }
        self.build.prev.iter().any(|p| {
            p.name == id.name
                && p.kind == id.gvk.kind
                && effective_namespace(&p.namespace) == want_ns
        })
    }

    /// The original identity: the oldest previous one, or the current one.
    pub(crate) fn org_id(&self) -> ResId {
        match self.build.prev.first() {
            Some(p) => {
                let (group, version) = self.group_version();
                ResId {
                    gvk: Gvk {
                        group: group.to_owned(),
                        version: version.to_owned(),
                        kind: p.kind.clone(),
                    },
                    name: p.name.clone(),
                    namespace: p.namespace.clone(),
                    cluster_scoped: false,
                }
            }
            None => self.cur_id(),
        }
    }

    /// The original name.
    pub(crate) fn org_name(&self) -> &str {
        match self.build.prev.first() {
            Some(p) => &p.name,
            None => self.name(),
        }
    }

    /// The original effective namespace.
    pub(crate) fn org_effective_namespace(&self) -> &str {
        match self.build.prev.first() {
            Some(p) => effective_namespace(&p.namespace),
            None => self.cur_effective_namespace(),
        }
    }

    /// kustomize's `StorePreviousId`.
    pub(crate) fn store_previous_id(&mut self) {
        let namespace = self.cur_effective_namespace().to_owned();
        let prev = PrevId {
            kind: self.kind().to_owned(),
            name: self.name().to_owned(),
            namespace,
        };
        self.build.prev.push(prev);
    }

    fn metadata_mut(&mut self) -> &mut Map<String, Value> {
        let obj = self.obj_mut();
        let meta = obj
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if !meta.is_object() {
            *meta = Value::Object(Map::new());
        }
        match meta {
            Value::Object(m) => m,
            _ => unreachable_map(),
        }
    }

    /// The object as a mapping.
    pub(crate) fn obj_mut(&mut self) -> &mut Map<String, Value> {
        if !self.obj.is_object() {
            self.obj = Value::Object(Map::new());
        }
        match &mut self.obj {
            Value::Object(m) => m,
            _ => unreachable_map(),
        }
    }

    pub(crate) fn set_name(&mut self, name: &str) {
        self.metadata_mut()
            .insert("name".into(), Value::String(name.to_owned()));
    }

    /// Sets `metadata.namespace`; an empty namespace removes the field.
    pub(crate) fn set_namespace(&mut self, namespace: &str) {
        let meta = self.metadata_mut();
        if namespace.is_empty() {
            meta.remove("namespace");
        } else {
            meta.insert("namespace".into(), Value::String(namespace.to_owned()));
        }
    }

    pub(crate) fn set_kind(&mut self, kind: &str) {
        self.obj_mut()
            .insert("kind".into(), Value::String(kind.to_owned()));
    }

    /// A string map under `metadata` (`labels`, `annotations`), non-string values skipped.
    pub(crate) fn meta_map(&self, field: &str) -> Vec<(String, String)> {
        match self.obj["metadata"][field].as_object() {
            Some(m) => m
                .iter()
                .filter_map(|(k, v)| scalar_string(v).map(|v| (k.clone(), v)))
                .collect(),
            None => Vec::new(),
        }
    }

    /// Sets a string map under `metadata`; an empty map removes the field.
    pub(crate) fn set_meta_map(&mut self, field: &str, map: Map<String, Value>) {
        let meta = self.metadata_mut();
        if map.is_empty() {
            meta.remove(field);
        } else {
            meta.insert(field.to_owned(), Value::Object(map));
        }
    }

    /// True when the object is `null` or an empty mapping (deleted by a patch).
    pub(crate) fn is_empty(&self) -> bool {
        match &self.obj {
            Value::Null => true,
            Value::Object(m) => m.is_empty(),
            _ => false,
        }
    }
}

/// A scalar as the string kustomize sees in its YAML node.
pub(crate) fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cold]
fn unreachable_map() -> ! {
    // The callers just made the value a mapping.
    unreachable!("value was just made a mapping")
}
