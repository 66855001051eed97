//! The namespace transformer: `metadata.namespace` of namespaced objects, the fields of the
//! namespace field specs (Namespace names, APIService and CRD webhook services), and the
//! subjects of RoleBindings and ClusterRoleBindings.

use std::collections::HashSet;

use serde_json::Value;

use super::failed;
use crate::kustomize::KustomizeError;
use crate::kustomize::fieldspec::{CreateKind, FieldSpec, split_path, walk};
use crate::kustomize::loader::Site;
use crate::kustomize::resource::Resource;

/// Which RoleBinding subjects get the namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subjects {
    /// Subjects named `default`.
    DefaultOnly,
    /// Every ServiceAccount subject.
    AllServiceAccounts,
    /// None.
    None,
}

/// The transformer's configuration.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub namespace: String,
    pub field_specs: Vec<FieldSpec>,
    pub unset_only: bool,
    pub subjects: Subjects,
}

/// Sets the namespace on every resource.
pub(crate) fn apply(
    resources: &mut [Resource],
    config: &Config,
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    if config.namespace.is_empty() {
        return Ok(());
    }
    let specs: Vec<(FieldSpec, Vec<String>)> = config
        .field_specs
        .iter()
        .filter(|fs| fs.path != "metadata/namespace")
        .map(|fs| (fs.clone(), split_path(&fs.path)))
        .collect();
    let meta_namespace = split_path("metadata/namespace");
    for res in resources.iter_mut() {
        if res.is_empty() {
            continue;
        }
        res.store_previous_id();
        let api_version = res.api_version().to_owned();
        let kind = res.kind().to_owned();
        let mut set = |v: &mut Value| {
            if config.unset_only && v.as_str().is_some_and(|s| !s.is_empty()) {
                return Ok(());
            }
            *v = Value::String(config.namespace.clone());
            Ok(())
        };
        if !res.is_cluster_scoped() {
            walk(
                res.value_mut(),
                &meta_namespace,
                true,
                CreateKind::Scalar,
                &mut set,
            )
            .map_err(|m| failed(site, res, m))?;
        }
        let binding = kind == "RoleBinding" || kind == "ClusterRoleBinding";
        if binding {
            set_subjects(res.value_mut(), config.subjects, &mut set);
        }
        for (fs, path) in &specs {
            if api_version != "v1" && fs.path == "metadata/name" {
                continue;
            }
            if binding
                && (fs.gvk.kind == "RoleBinding" || fs.gvk.kind == "ClusterRoleBinding")
                && fs.path == "subjects/namespace"
            {
                continue;
            }
            if !fs.selects(&api_version, &kind) {
                continue;
            }
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
    let mut seen = HashSet::new();
    for res in resources.iter() {
        if !seen.insert(res.cur_id().key()) {
            return Err(failed(
                site,
                res,
                "namespace transformation produces an ID conflict",
            ));
        }
    }
    Ok(())
}

fn set_subjects(
    obj: &mut Value,
    mode: Subjects,
    set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) {
    let Some(Value::Array(subjects)) = obj.get_mut("subjects") else {
        return;
    };
    for subject in subjects {
        let Value::Object(map) = subject else {
            continue;
        };
        let wanted = match mode {
            Subjects::None => false,
            Subjects::DefaultOnly => map.get("name").and_then(Value::as_str) == Some("default"),
            Subjects::AllServiceAccounts => {
                map.get("kind").and_then(Value::as_str) == Some("ServiceAccount")
            }
        };
        if wanted {
            let field = map
                .entry("namespace")
                .or_insert_with(|| Value::String(String::new()));
            let _ = set(field);
        }
    }
}
