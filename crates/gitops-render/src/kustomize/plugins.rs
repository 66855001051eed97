//! `generators:` and `transformers:`: configurations of kustomize's built-in plugins
//! (`apiVersion: builtin`), inline or in files and directories. Other plugins (exec, KRM
//! functions) are refused, as `kubectl kustomize` refuses them.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::build::{Accumulator, Builder, Target, add_error};
use super::fieldspec::FieldSpec;
use super::generators::{self, Kind};
use super::loader::Site;
use super::resource::Resource;
use super::transformers::{images, labels, namespace, prefix_suffix, replicas};
use super::types::{FieldSpecArgs, GeneratorArgs, Image, Patch, Replica, Selector, strip_nulls};
use super::{KustomizeError, manifests, patch, replacements};

/// The plugin configurations named by one of the fields.
fn configs(
    b: &mut Builder<'_>,
    t: &Target,
    entries: &[String],
    field: &str,
) -> Result<Vec<(Resource, String)>, KustomizeError> {
    let mut out = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let name = format!("{field}[{i}]");
        if let Ok(list) = manifests::parse(entry, &format!("{}: {name}", t.file.display()))
            && !list.is_empty()
        {
            out.extend(list.into_iter().map(|r| (r, name.clone())));
            continue;
        }
        let mut ra = Accumulator::default();
        b.accumulate_resource(t, &mut ra, entry, &name, &mut |_| Ok(()))?;
        out.extend(ra.resmap.take().into_iter().map(|r| (r, name.clone())));
    }
    Ok(out)
}

fn config<T: for<'de> Deserialize<'de>>(
    res: &Resource,
    site: Site<'_>,
) -> Result<T, KustomizeError> {
    let mut value = res.value().clone();
    strip_nulls(&mut value);
    serde_json::from_value(value)
        .map_err(|e| site.invalid(format!("{} configuration: {e}", res.kind())))
}

fn check_builtin(res: &Resource, site: Site<'_>) -> Result<(), KustomizeError> {
    if res.api_version() == "builtin" {
        Ok(())
    } else {
        Err(KustomizeError::Unsupported {
            file: site.file.to_path_buf(),
            field: site.field.to_owned(),
            what: format!(
                "the external plugin {} (apiVersion {})",
                res.kind(),
                res.api_version()
            ),
        })
    }
}

fn field_specs(list: &Option<Vec<FieldSpecArgs>>) -> Vec<FieldSpec> {
    list.iter().flatten().map(FieldSpec::from).collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GeneratorConfig {
    #[serde(default)]
    metadata: Option<MetaArgs>,
    #[serde(flatten)]
    args: GeneratorArgsLoose,
}

#[derive(Deserialize, Default)]
struct MetaArgs {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GeneratorArgsLoose {
    namespace: String,
    name: String,
    behavior: String,
    literals: Vec<String>,
    files: Vec<String>,
    envs: Vec<String>,
    env: String,
    options: Option<super::types::GeneratorOptions>,
    #[serde(rename = "type")]
    type_: String,
}

/// Runs the generator plugins.
pub(crate) fn run_generators(
    b: &mut Builder<'_>,
    t: &Target,
    ra: &mut Accumulator,
) -> Result<(), KustomizeError> {
    for (res, field) in configs(b, t, &t.k.generators, "generators")? {
        let site = t.site(&field);
        check_builtin(&res, site)?;
        let kind = match res.kind() {
            "ConfigMapGenerator" => Kind::ConfigMap,
            "SecretGenerator" => Kind::Secret,
            other => {
                return Err(KustomizeError::Unsupported {
                    file: t.file.clone(),
                    field,
                    what: format!("the builtin generator {other}"),
                });
            }
        };
        let c: GeneratorConfig = config(&res, site)?;
        let meta = c.metadata.unwrap_or_default();
        let a = c.args;
        let mut envs = a.envs;
        if !a.env.is_empty() {
            envs.push(a.env);
        }
        let args = GeneratorArgs {
            name: if a.name.is_empty() { meta.name } else { a.name },
            namespace: if a.namespace.is_empty() {
                meta.namespace
            } else {
                a.namespace
            },
            behavior: a.behavior,
            literals: a.literals,
            files: a.files,
            envs,
            env: String::new(),
            options: a.options.clone(),
            type_: a.type_,
        };
        let generated = generators::generate(b, t, kind, &args, a.options.as_ref(), site)?;
        ra.resmap
            .absorb(generated)
            .map_err(|e| add_error(site, &e))?;
    }
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct LabelsConfig {
    labels: Option<BTreeMap<String, String>>,
    annotations: Option<BTreeMap<String, String>>,
    field_specs: Option<Vec<FieldSpecArgs>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct AffixConfig {
    prefix: String,
    suffix: String,
    field_specs: Option<Vec<FieldSpecArgs>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct NamespaceConfig {
    metadata: Option<MetaArgs>,
    field_specs: Option<Vec<FieldSpecArgs>>,
    unset_only: bool,
    set_role_binding_subjects: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ImageConfig {
    image_tag: Image,
    field_specs: Option<Vec<FieldSpecArgs>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ReplicaConfig {
    replica: Replica,
    field_specs: Option<Vec<FieldSpecArgs>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PatchConfig {
    path: String,
    patch: String,
    target: Option<Selector>,
    options: BTreeMap<String, bool>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct StrategicConfig {
    paths: Vec<String>,
    patches: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Json6902Config {
    target: Option<Selector>,
    path: String,
    json_op: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReplacementConfig {
    replacements: Vec<Value>,
}

/// Runs the transformer plugins, in order.
pub(crate) fn run_transformers(
    b: &mut Builder<'_>,
    t: &Target,
    ra: &mut Accumulator,
) -> Result<(), KustomizeError> {
    for (res, field) in configs(b, t, &t.k.transformers, "transformers")? {
        let site = t.site(&field);
        check_builtin(&res, site)?;
        run_transformer(b, t, ra, &res, site)?;
    }
    Ok(())
}

fn run_transformer(
    b: &mut Builder<'_>,
    t: &Target,
    ra: &mut Accumulator,
    res: &Resource,
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    let resources = ra.resmap.resources_mut();
    match res.kind() {
        "LabelTransformer" => {
            let c: LabelsConfig = config(res, site)?;
            let pairs = c.labels.unwrap_or_default();
            labels::apply(resources, &pairs, &field_specs(&c.field_specs), site)
        }
        "AnnotationsTransformer" => {
            let c: LabelsConfig = config(res, site)?;
            let pairs = c.annotations.unwrap_or_default();
            labels::apply_annotations(resources, &pairs, &field_specs(&c.field_specs), site)
        }
        "PrefixTransformer" | "SuffixTransformer" => {
            let c: AffixConfig = config(res, site)?;
            if c.field_specs.is_none() {
                return Err(site.invalid("fieldSpecs is not expected to be nil"));
            }
            let specs = field_specs(&c.field_specs);
            let affix = if res.kind() == "PrefixTransformer" {
                prefix_suffix::Affix::Prefix(&c.prefix)
            } else {
                prefix_suffix::Affix::Suffix(&c.suffix)
            };
            prefix_suffix::apply(resources, affix, &specs, site)
        }
        "NamespaceTransformer" => {
            let c: NamespaceConfig = config(res, site)?;
            let subjects = match c.set_role_binding_subjects.as_str() {
                "" | "defaultOnly" => namespace::Subjects::DefaultOnly,
                "allServiceAccounts" => namespace::Subjects::AllServiceAccounts,
                "none" => namespace::Subjects::None,
                other => {
                    return Err(site.invalid(format!(
                        "invalid value {other:?} for setRoleBindingSubjects: must be one of \
                         defaultOnly, none or allServiceAccounts"
                    )));
                }
            };
            let config = namespace::Config {
                namespace: c.metadata.map(|m| m.namespace).unwrap_or_default(),
                field_specs: field_specs(&c.field_specs),
                unset_only: c.unset_only,
                subjects,
            };
            namespace::apply(resources, &config, site)
        }
        "ImageTagTransformer" => {
            let c: ImageConfig = config(res, site)?;
            images::apply(resources, &c.image_tag, &field_specs(&c.field_specs), site)
        }
        "ReplicaCountTransformer" => {
            let c: ReplicaConfig = config(res, site)?;
            replicas::apply(resources, &c.replica, &field_specs(&c.field_specs), site)
        }
        "PatchTransformer" => {
            let c: PatchConfig = config(res, site)?;
            let entry = Patch {
                path: c.path,
                patch: c.patch,
                target: c.target,
                options: c.options,
            };
            patch::apply_entry(b, t, resources, &entry, site.field)
        }
        "PatchStrategicMergeTransformer" => {
            let c: StrategicConfig = config(res, site)?;
            let mut entries = c.paths;
            if !c.patches.is_empty() {
                entries.push(c.patches);
            }
            patch::strategic_merge_list(b, t, resources, &entries, site)
        }
        "PatchJson6902Transformer" => {
            let c: Json6902Config = config(res, site)?;
            let entry = Patch {
                path: c.path,
                patch: c.json_op,
                target: c.target,
                options: BTreeMap::new(),
            };
            patch::apply_json6902_entry(b, t, resources, &entry, site.field)
        }
        "ReplacementTransformer" => {
            let c: ReplacementConfig = config(res, site)?;
            let fields = replacements::from_values(c.replacements, site)?;
            let list = replacements::load(b, t, &fields)?;
            replacements::apply(resources, &list, site)
        }
        other => Err(KustomizeError::Unsupported {
            file: t.file.clone(),
            field: site.field.to_owned(),
            what: format!("the builtin transformer {other}"),
        }),
    }
}
