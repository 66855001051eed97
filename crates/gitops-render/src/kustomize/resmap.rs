//! [`ResMap`]: the ordered resources of a build, with the identity lookups kustomize makes
//! (indexed, so that adding n resources costs O(n), not O(n²)).

use rustc_hash::FxHashSet as HashSet;

use serde_json::{Map, Value};

use super::resource::{Behavior, IdKey, ResId, Resource, scalar_string};

/// Why a resource could not be added.
#[derive(Debug)]
pub(crate) enum AddError {
    /// Another resource has the same identity.
    Duplicate(ResId),
    /// A generator with behavior merge/replace found nothing to merge into.
    NothingToMerge(ResId),
    /// A generator with behavior create found an existing resource.
    Exists(ResId),
    /// More than one resource could take the merge.
    Ambiguous(ResId, Vec<ResId>),
}

impl std::fmt::Display for AddError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddError::Duplicate(id) => write!(f, "resource {id} is already defined"),
            AddError::NothingToMerge(id) => {
                write!(f, "{id} does not exist; cannot merge or replace")
            }
            AddError::Exists(id) => {
                write!(f, "{id} already exists; behavior must be merge or replace")
            }
            AddError::Ambiguous(id, matches) => {
                let list: Vec<String> = matches.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "found multiple objects [{}] that could accept merge of {id}",
                    list.join(", ")
                )
            }
        }
    }
}

/// The resources of a build, in order.
#[derive(Debug, Default)]
pub(crate) struct ResMap {
    list: Vec<Resource>,
    /// The current identities, while no transformer has touched the list.
    index: Option<HashSet<IdKey>>,
}

impl ResMap {
    /// The resources, to change (invalidates the identity index).
    pub(crate) fn resources_mut(&mut self) -> &mut Vec<Resource> {
        self.index = None;
        &mut self.list
    }

    /// Takes all resources out.
    pub(crate) fn take(&mut self) -> Vec<Resource> {
        self.index = None;
        std::mem::take(&mut self.list)
    }

    fn index(&mut self) -> &mut HashSet<IdKey> {
        let list = &self.list;
        self.index
            .get_or_insert_with(|| list.iter().map(|r| r.cur_id().key()).collect())
    }

    /// kustomize's `Append`: fails when the identity is taken.
    pub(crate) fn append(&mut self, res: Resource) -> Result<(), AddError> {
        let id = res.cur_id();
        if !self.index().insert(id.key()) {
            return Err(AddError::Duplicate(id));
        }
        self.list.push(res);
        Ok(())
    }

    /// Appends every resource, in order.
    pub(crate) fn append_all(
        &mut self,
        resources: impl IntoIterator<Item = Resource>,
    ) -> Result<(), AddError> {
        for res in resources {
            self.append(res)?;
        }
        Ok(())
    }

    /// Indices of the resources any of whose identities (previous or current) equals `id`.
    pub(crate) fn matching_any_id(&self, id: &ResId) -> Vec<usize> {
        self.list
            .iter()
            .enumerate()
            .filter(|(_, r)| r.any_id_equals(id))
            .map(|(i, _)| i)
            .collect()
    }

    /// kustomize's `appendReplaceOrMerge`, for generated resources.
    pub(crate) fn absorb(&mut self, res: Resource) -> Result<(), AddError> {
        let id = res.cur_id();
        let matches = self.matching_any_id(&id);
        let behavior = res.build.behavior.unwrap_or_default();
        match matches.as_slice() {
            [] => match behavior {
                Behavior::Merge | Behavior::Replace => Err(AddError::NothingToMerge(id)),
                Behavior::Create => self.append(res),
            },
            [index] => {
                let old = &self.list[*index];
                let merged = match behavior {
                    Behavior::Replace => merge_meta(res, old, false),
                    Behavior::Merge => merge_meta(res, old, true),
                    Behavior::Create => return Err(AddError::Exists(id)),
                };
                self.index = None;
                self.list[*index] = merged;
                Ok(())
            }
            many => Err(AddError::Ambiguous(
                id,
                many.iter().map(|i| self.list[*i].cur_id()).collect(),
            )),
        }
    }
}

/// kustomize's `CopyMergeMetaDataFieldsFrom` (and, for merges, the data maps): the new
/// resource keeps its content, takes the old one's name, namespace and build state, and
/// merges labels and annotations (new values win).
fn merge_meta(mut new: Resource, old: &Resource, merge_data: bool) -> Resource {
    let labels = merged_strings(&old.meta_map("labels"), &new.meta_map("labels"));
    new.set_meta_map("labels", labels);
    let annotations = merged_strings(&old.meta_map("annotations"), &new.meta_map("annotations"));
    new.set_meta_map("annotations", annotations);
    new.set_name(old.name());
    new.set_namespace(old.namespace());
    let needs_hash = new.build.needs_hash && old.build.needs_hash;
    let ref_var_names = std::mem::take(&mut new.build.ref_var_names);
    new.build = old.build.clone();
    new.build.aliases.clear();
    new.build.needs_hash = needs_hash;
    new.build.ref_var_names = old.build.ref_var_names.clone();
    drop(ref_var_names);
    if merge_data {
        for field in ["data", "binaryData"] {
            let merged = merged_strings(&data_map(old, field), &data_map(&new, field));
            let obj = new.obj_mut();
            if merged.is_empty() {
                obj.remove(field);
            } else {
                obj.insert(field.to_owned(), Value::Object(merged));
            }
        }
    }
    new
}

fn data_map(res: &Resource, field: &str) -> Vec<(String, String)> {
    match res.value()[field].as_object() {
        Some(m) => m
            .iter()
            .filter_map(|(k, v)| scalar_string(v).map(|v| (k.clone(), v)))
            .collect(),
        None => Vec::new(),
    }
}

fn merged_strings(old: &[(String, String)], new: &[(String, String)]) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in old.iter().chain(new) {
        out.insert(k.clone(), Value::String(v.clone()));
    }
    out
}
