//! The resource types the server knows: built-ins seeded from k8s-openapi, plus CRDs.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

/// Where a storage-level resource lives: `(group, plural)`; versions share storage.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceKey {
    /// API group ("" for core).
    pub group: String,
    /// Plural resource name.
    pub plural: String,
}

/// Paths of the scale subresource.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalePaths {
    /// JSON path of the desired replicas, e.g. `.spec.replicas`.
    pub spec_replicas: String,
    /// JSON path of the observed replicas.
    pub status_replicas: String,
    /// JSON path of the label selector string, if any.
    pub label_selector: Option<String>,
}

/// A column of `kubectl get` output (a CRD's `additionalPrinterColumns`).
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterColumn {
    /// Header.
    pub name: String,
    /// `string`, `integer`, `number`, `boolean` or `date`.
    pub type_: String,
    /// JSONPath into the object (simple dotted paths and `[?(@.f=="v")]` filters).
    pub json_path: String,
    /// Description.
    pub description: String,
    /// 0 shows by default; higher only with `-o wide`.
    pub priority: i64,
}

/// One served resource in one version.
#[derive(Debug, Clone)]
pub struct ResourceDef {
    /// API group ("" for core).
    pub group: String,
    /// API version (e.g. `v1`).
    pub version: String,
    /// Kind.
    pub kind: String,
    /// Plural name used in URLs.
    pub plural: String,
    /// Singular name.
    pub singular: String,
    /// kubectl short names.
    pub short_names: Vec<String>,
    /// Categories (e.g. `all`).
    pub categories: Vec<String>,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// Whether a `/status` subresource exists (status is then ignored on the main resource).
    pub status: bool,
    /// The `/scale` subresource, if any.
    pub scale: Option<ScalePaths>,
    /// The OpenAPI v3 schema of a CRD version (None for built-ins).
    pub schema: Option<Arc<Value>>,
    /// True for resources defined by a CRD.
    pub custom: bool,
    /// Extra printer columns (CRDs).
    pub printer_columns: Vec<PrinterColumn>,
}

impl ResourceDef {
    /// `apiVersion` string.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The storage key.
    pub fn key(&self) -> ResourceKey {
        ResourceKey {
            group: self.group.clone(),
            plural: self.plural.clone(),
        }
    }

    /// The verbs served.
    pub fn verbs(&self) -> &'static [&'static str] {
        &[
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ]
    }
}

/// All served resources, by `(group, version, plural)`.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    defs: BTreeMap<(String, String, String), Arc<ResourceDef>>,
    /// Group → preferred version (first registered).
    preferred: BTreeMap<String, String>,
}

impl Registry {
    /// The built-in registry.
    pub fn builtin() -> Self {
        let mut r = Self::default();
        for d in crate::builtin::defs() {
            r.insert(d);
        }
        r
    }

    /// Adds or replaces a resource definition.
    pub fn insert(&mut self, d: ResourceDef) {
        self.preferred
            .entry(d.group.clone())
            .or_insert_with(|| d.version.clone());
        self.defs.insert(
            (d.group.clone(), d.version.clone(), d.plural.clone()),
            Arc::new(d),
        );
    }

    /// Removes every version of `(group, plural)`; returns whether any existed.
    pub fn remove_custom(&mut self, group: &str, plural: &str) -> bool {
        let before = self.defs.len();
        self.defs
            .retain(|(g, _, p), d| !(g == group && p == plural && d.custom));
        let removed = before != self.defs.len();
        if !self.defs.keys().any(|(g, _, _)| g == group) {
            self.preferred.remove(group);
        }
        removed
    }

    /// Sets the preferred version of a group.
    pub fn set_preferred(&mut self, group: &str, version: &str) {
        self.preferred
            .insert(group.to_string(), version.to_string());
    }

    /// Looks up a served resource.
    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceDef>> {
        self.defs
            .get(&(group.to_string(), version.to_string(), plural.to_string()))
            .cloned()
    }

    /// Looks up by group and kind (any version, preferring the preferred one).
    pub fn by_kind(&self, group: &str, kind: &str) -> Option<Arc<ResourceDef>> {
        let pref = self.preferred.get(group);
        let mut found = None;
        for ((g, v, _), d) in &self.defs {
            if g == group && d.kind == kind {
                if Some(v) == pref {
                    return Some(d.clone());
                }
                found.get_or_insert_with(|| d.clone());
            }
        }
        found
    }

    /// Any served version of a storage key (preferred first).
    pub fn by_key(&self, key: &ResourceKey) -> Option<Arc<ResourceDef>> {
        let pref = self.preferred.get(&key.group);
        let mut found = None;
        for ((g, v, p), d) in &self.defs {
            if g == &key.group && p == &key.plural {
                if Some(v) == pref {
                    return Some(d.clone());
                }
                found.get_or_insert_with(|| d.clone());
            }
        }
        found
    }

    /// Groups with their versions (preferred first), in a stable order (core excluded).
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (g, v, _) in self.defs.keys() {
            if g.is_empty() {
                continue;
            }
            let vs = out.entry(g.clone()).or_default();
            if !vs.contains(v) {
                vs.push(v.clone());
            }
        }
        out.into_iter()
            .map(|(g, mut vs)| {
                if let Some(p) = self.preferred.get(&g)
                    && let Some(i) = vs.iter().position(|v| v == p)
                {
                    let p = vs.remove(i);
                    vs.insert(0, p);
                }
                (g, vs)
            })
            .collect()
    }

    /// Resources of one group version.
    pub fn resources(&self, group: &str, version: &str) -> Vec<Arc<ResourceDef>> {
        self.defs
            .iter()
            .filter(|((g, v, _), _)| g == group && v == version)
            .map(|(_, d)| d.clone())
            .collect()
    }

    /// Every served resource definition.
    pub fn all(&self) -> impl Iterator<Item = &Arc<ResourceDef>> {
        self.defs.values()
    }

    /// Storage keys of every resource (one per `(group, plural)`).
    pub fn keys(&self) -> Vec<ResourceKey> {
        let mut ks: Vec<ResourceKey> = self.defs.values().map(|d| d.key()).collect();
        ks.sort();
        ks.dedup();
        ks
    }
}
