//! The transformer configuration: which fields each built-in transformer touches, per kind.
//!
//! The defaults are kustomize v5.5's built-in field specs (`api/konfig/builtinpluginconsts`),
//! written here as tables; `configurations:` files and `crds:` add to them.

use std::sync::Arc;

mod defaults;

use defaults::{
    common_annotation_specs, common_label_specs, metadata_label_specs, name_reference_specs,
    namespace_specs, var_reference_specs,
};

use super::fieldspec::{FieldSpec, merge_all, merge_one};
use super::resource::Gvk;
use super::sort::{DEFAULT_FIRST, DEFAULT_LAST};

/// A kind that other objects refer to by name, and the fields that hold those names.
#[derive(Debug, Clone)]
pub(crate) struct NameBackRef {
    pub gvk: Gvk,
    pub referrers: Vec<FieldSpec>,
}

/// A shared list: configurations are cloned and merged once per kustomization, and are
/// mostly the defaults, so sharing makes both O(1).
pub(crate) type Specs = Arc<Vec<FieldSpec>>;

/// Field specs per transformer.
#[derive(Debug, Clone, Default)]
pub(crate) struct TransformerConfig {
    pub name_prefix: Specs,
    pub name_suffix: Specs,
    pub namespace: Specs,
    pub common_labels: Specs,
    pub labels: Specs,
    pub template_labels: Specs,
    pub common_annotations: Specs,
    pub name_reference: Arc<Vec<NameBackRef>>,
    pub var_reference: Specs,
    pub images: Specs,
    pub replicas: Specs,
}

/// A kind's rank in kustomize's legacy kind order, used to sort field specs.
fn type_order(kind: &str) -> i64 {
    let first_len = i64::try_from(DEFAULT_FIRST.len()).unwrap_or(i64::MAX);
    if let Some(i) = DEFAULT_FIRST.iter().position(|k| *k == kind) {
        return i64::try_from(i).unwrap_or(0) - first_len;
    }
    if let Some(i) = DEFAULT_LAST.iter().position(|k| *k == kind) {
        return 1 + i64::try_from(i).unwrap_or(0);
    }
    0
}

/// The parts of kustomize's `stableSortString` (`group_version_kind`, empty parts as `~G`,
/// `~V`, `~K`).
fn stable_parts(gvk: &Gvk) -> [&str; 3] {
    fn or<'a>(v: &'a str, d: &'static str) -> &'a str {
        if v.is_empty() { d } else { v }
    }
    [
        or(&gvk.group, "~G"),
        or(&gvk.version, "~V"),
        or(&gvk.kind, "~K"),
    ]
}

/// Compares two `stableSortString`s without building them.
fn stable_cmp(a: &Gvk, b: &Gvk) -> std::cmp::Ordering {
    let bytes = |parts: [&str; 3]| {
        let [g, v, k] = parts;
        g.bytes()
            .chain(std::iter::once(b'_'))
            .chain(v.bytes())
            .chain(std::iter::once(b'_'))
            .chain(k.bytes())
            .collect::<Vec<u8>>()
    };
    let (pa, pb) = (stable_parts(a), stable_parts(b));
    if pa == pb {
        return std::cmp::Ordering::Equal;
    }
    bytes(pa).cmp(&bytes(pb))
}

/// kustomize's `Gvk.IsLessThan`.
pub(crate) fn gvk_less(a: &Gvk, b: &Gvk) -> std::cmp::Ordering {
    type_order(&a.kind)
        .cmp(&type_order(&b.kind))
        .then_with(|| stable_cmp(a, b))
}

fn sort(list: &mut [FieldSpec]) {
    list.sort_by(|a, b| gvk_less(&a.gvk, &b.gvk));
}

impl TransformerConfig {
    /// kustomize's `TransformerConfig.Merge`: adds `other`'s specs, then sorts every list.
    pub(crate) fn merge(&mut self, other: &TransformerConfig) -> Result<(), String> {
        let pairs: [(&mut Specs, &Specs); 10] = [
            (&mut self.name_prefix, &other.name_prefix),
            (&mut self.name_suffix, &other.name_suffix),
            (&mut self.namespace, &other.namespace),
            (&mut self.common_annotations, &other.common_annotations),
            (&mut self.common_labels, &other.common_labels),
            (&mut self.labels, &other.labels),
            (&mut self.template_labels, &other.template_labels),
            (&mut self.var_reference, &other.var_reference),
            (&mut self.images, &other.images),
            (&mut self.replicas, &other.replicas),
        ];
        for (mine, theirs) in pairs {
            if Arc::ptr_eq(mine, theirs) || theirs.is_empty() {
                // Merging a list with itself, or with nothing, changes nothing (the common
                // case: every kustomization starts from the defaults).
                continue;
            }
            if mine.is_empty() {
                // Lists being merged are already free of duplicates and sorted.
                *mine = theirs.clone();
                continue;
            }
            let list = Arc::make_mut(mine);
            merge_all(list, theirs.iter().cloned())?;
            sort(list);
        }
        if Arc::ptr_eq(&self.name_reference, &other.name_reference)
            || other.name_reference.is_empty()
        {
            return Ok(());
        }
        if self.name_reference.is_empty() {
            self.name_reference = other.name_reference.clone();
            return Ok(());
        }
        let name_reference = Arc::make_mut(&mut self.name_reference);
        for backref in other.name_reference.iter() {
            match name_reference.iter_mut().find(|b| b.gvk == backref.gvk) {
                Some(existing) => {
                    for spec in &backref.referrers {
                        merge_one(&mut existing.referrers, spec.clone())?;
                    }
                }
                None => name_reference.push(backref.clone()),
            }
        }
        name_reference.sort_by(|a, b| gvk_less(&a.gvk, &b.gvk));
        Ok(())
    }

    /// kustomize's built-in configuration (computed once).
    pub(crate) fn builtin() -> Self {
        static BUILTIN: std::sync::OnceLock<TransformerConfig> = std::sync::OnceLock::new();
        BUILTIN.get_or_init(Self::make_builtin).clone()
    }

    fn make_builtin() -> Self {
        let raw = TransformerConfig {
            name_prefix: Arc::new(vec![FieldSpec::any("metadata/name", false)]),
            name_suffix: Arc::new(vec![FieldSpec::any("metadata/name", false)]),
            namespace: Arc::new(namespace_specs()),
            common_labels: Arc::new(common_label_specs()),
            labels: Arc::default(),
            template_labels: Arc::new(metadata_label_specs()),
            common_annotations: Arc::new(common_annotation_specs()),
            name_reference: Arc::new(name_reference_specs()),
            var_reference: Arc::new(var_reference_specs()),
            images: Arc::new(
                [
                    "spec/containers[]/image",
                    "spec/initContainers[]/image",
                    "spec/template/spec/containers[]/image",
                    "spec/template/spec/initContainers[]/image",
                ]
                .iter()
                .map(|p| FieldSpec::any(p, true))
                .collect(),
            ),
            replicas: Arc::new(
                [
                    "Deployment",
                    "ReplicationController",
                    "ReplicaSet",
                    "StatefulSet",
                ]
                .iter()
                .map(|k| FieldSpec::new("", "", k, "spec/replicas", true))
                .collect(),
            ),
        };
        // kustomize starts every build from an empty configuration merged with the defaults,
        // which removes duplicate field specs and sorts them.
        let normalize = |list: &Specs| -> Specs {
            let mut out = Vec::new();
            // The defaults never conflict; a conflict would be a bug in the tables above.
            let _ = merge_all(&mut out, list.iter().cloned());
            sort(&mut out);
            Arc::new(out)
        };
        let mut name_reference = (*raw.name_reference).clone();
        name_reference.sort_by(|a, b| gvk_less(&a.gvk, &b.gvk));
        TransformerConfig {
            name_prefix: normalize(&raw.name_prefix),
            name_suffix: normalize(&raw.name_suffix),
            namespace: normalize(&raw.namespace),
            common_labels: normalize(&raw.common_labels),
            labels: normalize(&raw.labels),
            template_labels: normalize(&raw.template_labels),
            common_annotations: normalize(&raw.common_annotations),
            name_reference: Arc::new(name_reference),
            var_reference: normalize(&raw.var_reference),
            images: normalize(&raw.images),
            replicas: normalize(&raw.replicas),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_every_table() {
        let c = TransformerConfig::builtin();
        assert_eq!(c.name_prefix.len(), 1);
        assert!(c.common_labels.len() > 20);
        let secret = c
            .name_reference
            .iter()
            .find(|b| b.gvk.kind == "Secret")
            .unwrap();
        assert!(
            secret
                .referrers
                .iter()
                .any(|s| s.path == "spec/tls/secretName")
        );
        // Sorted by kustomize's kind order.
        assert_eq!(c.name_reference[0].gvk.kind, "StorageClass");
    }
}
