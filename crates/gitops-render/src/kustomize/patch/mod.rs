//! Patches: `patches` (strategic merge or JSON 6902, detected as kustomize does, with optional
//! targets), the deprecated `patchesStrategicMerge` and `patchesJson6902`, and the matching
//! transformer plugins.

pub(crate) mod json6902;
pub(crate) mod selector;
pub(crate) mod smp;

use super::build::{Builder, Target};
use super::loader::Site;
use super::resource::{ResId, Resource};
use super::transformers::failed;
use super::types::{Patch, Selector};
use super::{KustomizeError, manifests};

/// A parsed patch.
pub(crate) enum Parsed {
    /// Strategic merge patches (as resources).
    Strategic(Vec<Resource>),
    /// A JSON 6902 patch.
    Json(Vec<json6902::Operation>),
}

/// Parses patch text the way kustomize's PatchTransformer does: as resources (strategic
/// merge) or as a list of operations (JSON 6902), never both.
pub(crate) fn parse(text: &str, name: &str, site: Site<'_>) -> Result<Parsed, KustomizeError> {
    let strategic = manifests::parse(text, name);
    let json = if text.is_empty() {
        Err("empty json patch operations".to_owned())
    } else {
        json6902::decode(text)
    };
    match (strategic, json) {
        (Ok(list), Err(_)) if !list.is_empty() => Ok(Parsed::Strategic(list)),
        (Ok(_), Err(_)) => Ok(Parsed::Json(Vec::new())),
        (Err(_), Ok(ops)) => Ok(Parsed::Json(ops)),
        (Ok(list), Ok(ops)) if list.is_empty() => Ok(Parsed::Json(ops)),
        (Ok(_), Ok(_)) => Err(site.invalid(format!(
            "{name}: illegally qualifies as both a strategic merge and a JSON patch"
        ))),
        (Err(sm), Err(json)) => Err(site.invalid(format!(
            "{name}: unable to parse as a strategic merge patch ({sm}) or a JSON patch ({json})"
        ))),
    }
}

/// The patch text of an entry (`patch` or `path`) and a name for messages.
fn entry_text(
    b: &mut Builder<'_>,
    t: &Target,
    p: &Patch,
    site: Site<'_>,
) -> Result<(String, String), KustomizeError> {
    let inline = p.patch.trim();
    match (inline.is_empty(), p.path.is_empty()) {
        (true, true) => Err(site.invalid("must specify one of patch and path")),
        (false, false) => Err(site.invalid("patch and path can't be set at the same time")),
        (false, true) => Ok((
            inline.to_owned(),
            format!("{}: {}", t.file.display(), site.field),
        )),
        (true, false) => {
            let file = b.files.resolve_file(&t.dir, &p.path, site)?;
            let name = b.files.file_name(&file);
            Ok((b.files.read(&file)?, name))
        }
    }
}

/// One entry of `patches`.
pub(crate) fn apply_entry(
    b: &mut Builder<'_>,
    t: &Target,
    resources: &mut Vec<Resource>,
    p: &Patch,
    field: &str,
) -> Result<(), KustomizeError> {
    let site = t.site(field);
    let (text, name) = entry_text(b, t, p, site)?;
    let parsed = parse(&text, &name, site)?;
    let allow_name = p.options.get("allowNameChange").copied().unwrap_or(false);
    let allow_kind = p.options.get("allowKindChange").copied().unwrap_or(false);
    apply_parsed(
        resources,
        parsed,
        p.target.as_ref(),
        (allow_name, allow_kind),
        b.options.strict_patch_targets,
        site,
    )
}

/// Applies a parsed patch (also used by the PatchTransformer plugin).
pub(crate) fn apply_parsed(
    resources: &mut Vec<Resource>,
    parsed: Parsed,
    target: Option<&Selector>,
    (allow_name, allow_kind): (bool, bool),
    strict: bool,
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    match parsed {
        Parsed::Strategic(mut patches) => {
            for patch in &mut patches {
                patch.build.allow_name_change = allow_name;
                patch.build.allow_kind_change = allow_kind;
            }
            match target {
                Some(target) => {
                    if patches.len() > 1 {
                        return Err(site.invalid(
                            "multiple strategic merge patches in one patches entry cannot have a target",
                        ));
                    }
                    let selected = select(resources, target, strict, site)?;
                    for patch in &patches {
                        apply_strategic_to(resources, &selected, patch, true, site)?;
                    }
                    Ok(())
                }
                None => {
                    for patch in &patches {
                        let index = by_id(resources, &patch.cur_id(), site)?;
                        apply_strategic_to(resources, &[index], patch, false, site)?;
                    }
                    Ok(())
                }
            }
        }
        Parsed::Json(ops) => {
            let Some(target) = target else {
                return Err(site.invalid("a JSON patch must have a target"));
            };
            let selected = select(resources, target, strict, site)?;
            for i in selected {
                let res = &mut resources[i];
                res.store_previous_id();
                let mut value = res.value().clone();
                json6902::apply(&mut value, &ops).map_err(|m| failed(site, res, m))?;
                res.set_value(value);
                // kustomize rebuilds the object from JSON: nothing is shared any more, and
                // empty values are nulls like any other.
                res.build.aliases.clear();
                res.build.empty_values.clear();
            }
            Ok(())
        }
    }
}

/// Indices of the resources a target selects.
pub(crate) fn select(
    resources: &[Resource],
    target: &Selector,
    strict: bool,
    site: Site<'_>,
) -> Result<Vec<usize>, KustomizeError> {
    let compiled = selector::Compiled::new(target).map_err(|m| site.invalid(m))?;
    let selected: Vec<usize> = resources
        .iter()
        .enumerate()
        .filter(|(_, r)| compiled.matches(r))
        .map(|(i, _)| i)
        .collect();
    if strict && selected.is_empty() {
        return Err(KustomizeError::NoMatch {
            file: site.file.to_path_buf(),
            field: site.field.to_owned(),
            target: target.to_string(),
        });
    }
    Ok(selected)
}

/// kustomize's `GetById`: the one resource any of whose identities equals `id`.
fn by_id(resources: &[Resource], id: &ResId, site: Site<'_>) -> Result<usize, KustomizeError> {
    let matches: Vec<usize> = resources
        .iter()
        .enumerate()
        .filter(|(_, r)| r.any_id_equals(id))
        .map(|(i, _)| i)
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(KustomizeError::NoMatch {
            file: site.file.to_path_buf(),
            field: site.field.to_owned(),
            target: format!("strategic merge patch {id}"),
        }),
        many => Err(KustomizeError::Ambiguous {
            file: site.file.to_path_buf(),
            field: site.field.to_owned(),
            target: format!("strategic merge patch {id}"),
            matches: many
                .iter()
                .map(|i| resources[*i].cur_id().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Applies a strategic merge patch to the selected resources; resources the patch deletes
/// are removed.
fn apply_strategic_to(
    resources: &mut Vec<Resource>,
    selected: &[usize],
    patch: &Resource,
    retarget: bool,
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    for &i in selected {
        let res = &mut resources[i];
        let mut patch_value = patch.value().clone();
        if retarget {
            // kustomize points a targeted patch at its target's group and version.
            if let Some(m) = patch_value.as_object_mut() {
                m.insert(
                    "apiVersion".into(),
                    serde_json::Value::String(res.api_version().to_owned()),
                );
            }
        }
        let (name, namespace, kind) = (
            res.name().to_owned(),
            res.namespace().to_owned(),
            res.kind().to_owned(),
        );
        let (allow_name, allow_kind) =
            (patch.build.allow_name_change, patch.build.allow_kind_change);
        if allow_name || allow_kind {
            res.store_previous_id();
        }
        let shared = super::aliases::snapshot(res);
        let mut target = std::mem::take(res.value_mut());
        let empties = std::mem::take(&mut res.build.empty_values);
        smp::mark_empty(&mut target, &empties);
        match smp::merge(patch_value, target).map_err(|m| failed(site, res, m))? {
            None => res.set_value(serde_json::Value::Null),
            Some(mut merged) => {
                if !empties.is_empty() {
                    res.build.empty_values = smp::unmark_empty(&mut merged);
                }
                res.set_value(merged);
                super::aliases::after_merge(res, shared);
                if res.is_empty() {
                    continue;
                }
                if !allow_kind {
                    res.set_kind(&kind);
                }
                if !allow_name {
                    res.set_name(&name);
                }
                res.set_namespace(&namespace);
            }
        }
    }
    resources.retain(|r| !r.is_empty());
    Ok(())
}

/// `patchesStrategicMerge`: each entry is inline patch text or a file.
pub(crate) fn strategic_merge_entries(
    b: &mut Builder<'_>,
    t: &Target,
    resources: &mut Vec<Resource>,
) -> Result<(), KustomizeError> {
    let site = t.site("patchesStrategicMerge");
    strategic_merge_list(b, t, resources, &t.k.patches_strategic_merge, site)
}

/// Strategic merge patches given as inline texts or file paths, each applied to the one
/// resource it names.
pub(crate) fn strategic_merge_list(
    b: &mut Builder<'_>,
    t: &Target,
    resources: &mut Vec<Resource>,
    entries: &[String],
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    let mut patches: Vec<(Resource, String)> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let field = format!("{}[{i}]", site.field);
        let entry_site = t.site(&field);
        let inline_name = format!("{}: {field}", t.file.display());
        let loaded = match manifests::parse(entry, &inline_name) {
            Ok(list) if !list.is_empty() => list,
            _ => {
                let file = b.files.resolve_file(&t.dir, entry, entry_site)?;
                let name = b.files.file_name(&file);
                let text = b.files.read(&file)?;
                manifests::parse(&text, &name).map_err(|source| KustomizeError::Manifest {
                    file: t.file.clone(),
                    field: field.clone(),
                    source,
                })?
            }
        };
        patches.extend(loaded.into_iter().map(|p| (p, field.clone())));
    }
    if patches.is_empty() {
        return Err(site.invalid("patch appears to be empty"));
    }
    for (patch, field) in &patches {
        let site = t.site(field);
        let index = by_id(resources, &patch.cur_id(), site)?;
        apply_strategic_to(resources, &[index], patch, false, site)?;
    }
    Ok(())
}

/// One entry of `patchesJson6902`: a target (with a name) and a file or inline operations.
pub(crate) fn apply_json6902_entry(
    b: &mut Builder<'_>,
    t: &Target,
    resources: &mut [Resource],
    p: &Patch,
    field: &str,
) -> Result<(), KustomizeError> {
    let site = t.site(field);
    let Some(target) = &p.target else {
        return Err(site.invalid("must specify a target"));
    };
    if target.name.is_empty() {
        return Err(site.invalid("must specify the target name"));
    }
    let text = match (p.path.is_empty(), p.patch.is_empty()) {
        (true, true) => return Err(site.invalid("empty file path and empty patch")),
        (false, false) => return Err(site.invalid("must specify a file path or patch, not both")),
        (true, false) => p.patch.clone(),
        (false, true) => {
            let file = b.files.resolve_file(&t.dir, &p.path, site)?;
            b.files.read(&file)?
        }
    };
    let ops = json6902::decode(&text).map_err(|m| site.invalid(format!("decoding patch: {m}")))?;
    if ops.is_empty() {
        return Err(site.invalid("patch appears to be empty"));
    }
    let selected = select(resources, target, b.options.strict_patch_targets, site)?;
    for i in selected {
        let res = &mut resources[i];
        let mut value = res.value().clone();
        json6902::apply(&mut value, &ops).map_err(|m| failed(site, res, m))?;
        res.set_value(value);
        res.build.aliases.clear();
        res.build.empty_values.clear();
    }
    Ok(())
}
