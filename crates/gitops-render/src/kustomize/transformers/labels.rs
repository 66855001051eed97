//! Labels and annotations: `labels`, `commonLabels`, `commonAnnotations` and the
//! LabelTransformer / AnnotationsTransformer plugins, set along their field specs.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::failed;
use crate::kustomize::KustomizeError;
use crate::kustomize::aliases;
use crate::kustomize::fieldspec::{CreateKind, FieldSpec, push_segment, split_path, walk_at};
use crate::kustomize::loader::Site;
use crate::kustomize::resource::Resource;

/// Sets every label along the field specs that select each resource.
pub(crate) fn apply(
    resources: &mut [Resource],
    pairs: &BTreeMap<String, String>,
    specs: &[FieldSpec],
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    set_entries(resources, pairs, specs, site)
}

/// Sets every annotation along the field specs.
pub(crate) fn apply_annotations(
    resources: &mut [Resource],
    pairs: &BTreeMap<String, String>,
    specs: &[FieldSpec],
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    set_entries(resources, pairs, specs, site)
}

fn set_entries(
    resources: &mut [Resource],
    pairs: &BTreeMap<String, String>,
    specs: &[FieldSpec],
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    if pairs.is_empty() {
        return Ok(());
    }
    let paths: Vec<Vec<String>> = specs.iter().map(|fs| split_path(&fs.path)).collect();
    for res in resources.iter_mut() {
        let api_version = res.api_version().to_owned();
        let kind = res.kind().to_owned();
        for (key, value) in pairs {
            let (mut created, mut overwritten) = (Vec::new(), Vec::new());
            for (fs, path) in specs.iter().zip(&paths) {
                if !fs.selects(&api_version, &kind) {
                    continue;
                }
                let mut set = |node: &mut Value, at: &str| {
                    let existed = set_entry(node, key, value)?;
                    let mut pointer = at.to_owned();
                    push_segment(&mut pointer, key);
                    if existed {
                        overwritten.push(pointer);
                    } else {
                        created.push(pointer);
                    }
                    Ok(())
                };
                walk_at(res.value_mut(), path, fs.create, CreateKind::Map, &mut set)
                    .map_err(|m| failed(site, res, m))?;
            }
            for pointer in &overwritten {
                aliases::propagate(res, pointer);
            }
            aliases::link(res, created);
        }
    }
    Ok(())
}

/// kustomize's `FieldSetter` with a name: sets a key of a mapping (a `null` becomes one).
/// Says whether the key was there before.
fn set_entry(node: &mut Value, key: &str, value: &str) -> Result<bool, String> {
    if node.is_null() {
        *node = Value::Object(Map::new());
    }
    match node {
        Value::Object(map) => Ok(map
            .insert(key.to_owned(), Value::String(value.to_owned()))
            .is_some()),
        _ => Err(format!(
            "wrong node kind: expected a mapping to set {key:?} in"
        )),
    }
}

/// `buildMetadata: [managedByLabel]`: kustomize labels every object with its version, which
/// the kustomize built into kubectl (the reference) reports as `(devel)`.
pub(crate) fn add_managed_by(
    resources: &mut [Resource],
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    let pairs = BTreeMap::from([(
        "app.kubernetes.io/managed-by".to_owned(),
        "kustomize-(devel)".to_owned(),
    )]);
    set_entries(
        resources,
        &pairs,
        &[FieldSpec::any("metadata/labels", true)],
        site,
    )
}
