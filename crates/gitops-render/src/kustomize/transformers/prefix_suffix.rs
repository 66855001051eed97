//! `namePrefix` and `nameSuffix`: names of every object except Namespaces, CRDs and
//! APIServices, recording the previous name so references can follow.

use serde_json::Value;

use super::failed;
use crate::kustomize::KustomizeError;
use crate::kustomize::fieldspec::{CreateKind, FieldSpec, split_path, walk};
use crate::kustomize::loader::Site;
use crate::kustomize::resource::{Gvk, Resource, scalar_string};

/// A prefix or a suffix.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Affix<'a> {
    Prefix(&'a str),
    Suffix(&'a str),
}

/// Kinds kustomize never renames.
fn skipped(org: &Gvk) -> bool {
    org.kind == "CustomResourceDefinition"
        || org.kind == "Namespace"
        || (org.kind == "APIService" && org.group == "apiregistration.k8s.io")
}

/// Adds the prefix or suffix along every field spec that selects a resource.
pub(crate) fn apply(
    resources: &mut [Resource],
    affix: Affix<'_>,
    specs: &[FieldSpec],
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    let paths: Vec<Vec<String>> = specs.iter().map(|fs| split_path(&fs.path)).collect();
    let text = match affix {
        Affix::Prefix(s) | Affix::Suffix(s) => s,
    };
    for res in resources.iter_mut() {
        let org = res.org_id();
        if skipped(&org.gvk) {
            continue;
        }
        for (fs, path) in specs.iter().zip(&paths) {
            if !org.gvk.is_selected(&fs.gvk) {
                continue;
            }
            if fs.path == "metadata/name" && !text.is_empty() {
                match affix {
                    Affix::Prefix(p) => res.build.prefixes.push(p.to_owned()),
                    Affix::Suffix(s) => res.build.suffixes.push(s.to_owned()),
                }
                res.store_previous_id();
            }
            if !fs.selects(res.api_version(), res.kind()) {
                continue;
            }
            let mut set = |v: &mut Value| {
                let current = scalar_string(v).unwrap_or_default();
                *v = Value::String(match affix {
                    Affix::Prefix(p) => format!("{p}{current}"),
                    Affix::Suffix(s) => format!("{current}{s}"),
                });
                Ok(())
            };
            walk(
                res.value_mut(),
                path,
                fs.create,
                CreateKind::Scalar,
                &mut set,
            )
            .map_err(|m| failed(site, res, m))?;
        }
    }
    Ok(())
}
