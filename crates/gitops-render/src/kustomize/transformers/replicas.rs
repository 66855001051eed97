//! `replicas`: the replica count of the workloads with a given (current or previous) name.

use serde_json::{Number, Value};

use super::failed;
use crate::kustomize::KustomizeError;
use crate::kustomize::fieldspec::{CreateKind, FieldSpec, split_path, walk};
use crate::kustomize::loader::Site;
use crate::kustomize::resource::Resource;
use crate::kustomize::types::Replica;

/// Applies one `replicas` entry; an entry that matches no resource is an error.
pub(crate) fn apply(
    resources: &mut [Resource],
    replica: &Replica,
    specs: &[FieldSpec],
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    let mut found = false;
    for fs in specs {
        let path = split_path(&fs.path);
        for res in resources.iter_mut() {
            let matches = res
                .prev_ids()
                .iter()
                .chain(std::iter::once(&res.cur_id()))
                .any(|id| id.name == replica.name && id.gvk.is_selected(&fs.gvk));
            if !matches {
                continue;
            }
            found = true;
            if !fs.selects(res.api_version(), res.kind()) {
                continue;
            }
            let mut set = |v: &mut Value| {
                *v = Value::Number(Number::from(replica.count));
                Ok(())
            };
            walk(
                res.value_mut(),
                &path,
                fs.create,
                CreateKind::Scalar,
                &mut set,
            )
            .map_err(|m| failed(site, res, m))?;
        }
    }
    if found {
        Ok(())
    } else {
        let kinds: Vec<&str> = specs.iter().map(|fs| fs.gvk.kind.as_str()).collect();
        Err(KustomizeError::NoMatch {
            file: site.file.to_path_buf(),
            field: site.field.to_owned(),
            target: format!(
                "replicas entry {:?} (kinds {})",
                replica.name,
                kinds.join(", ")
            ),
        })
    }
}
