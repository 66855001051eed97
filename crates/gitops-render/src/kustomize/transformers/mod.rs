//! The built-in transformers, run in kustomize's order: strategic-merge patches, patches,
//! namespace, name prefix and suffix, labels, annotations, JSON 6902 patches, replicas, images
//! and replacements.

pub(crate) mod images;
pub(crate) mod labels;
pub(crate) mod namespace;
pub(crate) mod prefix_suffix;
pub(crate) mod replicas;

use super::build::{Accumulator, Builder, Target};
use super::fieldspec::{FieldSpec, merge_all, merge_one};
use super::loader::Site;
use super::resource::Resource;
use super::{KustomizeError, patch, replacements};

/// A transformation failed on one resource.
pub(crate) fn failed(site: Site<'_>, res: &Resource, message: impl Into<String>) -> KustomizeError {
    KustomizeError::Transform {
        file: site.file.to_path_buf(),
        field: site.field.to_owned(),
        resource: res.cur_id().to_string(),
        message: message.into(),
    }
}

/// Runs the kustomization's built-in transformers on everything accumulated so far.
pub(crate) fn run_builtin(
    b: &mut Builder<'_>,
    t: &Target,
    ra: &mut Accumulator,
) -> Result<(), KustomizeError> {
    let k = &t.k;
    if !k.patches_strategic_merge.is_empty() {
        patch::strategic_merge_entries(b, t, ra.resmap.resources_mut())?;
    }
    for (i, p) in k.patches.iter().enumerate() {
        let field = format!("patches[{i}]");
        patch::apply_entry(b, t, ra.resmap.resources_mut(), p, &field)?;
    }
    if !k.namespace.is_empty() {
        let config = namespace::Config {
            namespace: k.namespace.clone(),
            field_specs: ra.config.namespace.to_vec(),
            unset_only: false,
            subjects: namespace::Subjects::DefaultOnly,
        };
        namespace::apply(ra.resmap.resources_mut(), &config, t.site("namespace"))?;
    }
    if !k.name_prefix.is_empty() {
        prefix_suffix::apply(
            ra.resmap.resources_mut(),
            prefix_suffix::Affix::Prefix(&k.name_prefix),
            &ra.config.name_prefix,
            t.site("namePrefix"),
        )?;
    }
    if !k.name_suffix.is_empty() {
        prefix_suffix::apply(
            ra.resmap.resources_mut(),
            prefix_suffix::Affix::Suffix(&k.name_suffix),
            &ra.config.name_suffix,
            t.site("nameSuffix"),
        )?;
    }
    for (i, label) in k.labels.iter().enumerate() {
        let field = format!("labels[{i}]");
        let site = t.site(&field);
        let mut specs: Vec<FieldSpec> = label.fields.iter().map(FieldSpec::from).collect();
        let merge = |specs: &mut Vec<FieldSpec>, more: &[FieldSpec]| {
            merge_all(specs, more.iter().cloned()).map_err(|m| site.invalid(m))
        };
        merge(&mut specs, &ra.config.labels)?;
        if label.include_selectors {
            merge(&mut specs, &ra.config.common_labels)?;
        } else {
            if label.include_templates {
                merge(&mut specs, &ra.config.template_labels)?;
            }
            merge_one(&mut specs, FieldSpec::any("metadata/labels", true))
                .map_err(|m| site.invalid(m))?;
        }
        labels::apply(ra.resmap.resources_mut(), &label.pairs, &specs, site)?;
    }
    if !k.common_labels.is_empty() {
        labels::apply(
            ra.resmap.resources_mut(),
            &k.common_labels,
            &ra.config.common_labels,
            t.site("commonLabels"),
        )?;
    }
    if !k.common_annotations.is_empty() {
        labels::apply_annotations(
            ra.resmap.resources_mut(),
            &k.common_annotations,
            &ra.config.common_annotations,
            t.site("commonAnnotations"),
        )?;
    }
    for (i, p) in k.patches_json6902.iter().enumerate() {
        let field = format!("patchesJson6902[{i}]");
        patch::apply_json6902_entry(b, t, ra.resmap.resources_mut(), p, &field)?;
    }
    for (i, replica) in k.replicas.iter().enumerate() {
        let field = format!("replicas[{i}]");
        replicas::apply(
            ra.resmap.resources_mut(),
            replica,
            &ra.config.replicas,
            t.site(&field),
        )?;
    }
    for (i, image) in k.images.iter().enumerate() {
        let field = format!("images[{i}]");
        images::apply(
            ra.resmap.resources_mut(),
            image,
            &ra.config.images,
            t.site(&field),
        )?;
    }
    if !k.replacements.is_empty() {
        let list = replacements::load(b, t, &k.replacements)?;
        replacements::apply(ra.resmap.resources_mut(), &list, t.site("replacements"))?;
    }
    Ok(())
}
