//! Writing objects the way `kubectl kustomize` prints them.

use gitops_core::Object;

/// Writes objects as one YAML stream separated by `---`, in kustomize's style.
pub fn to_string(objects: &[Object]) -> String {
    gitops_core::yaml::to_string_multi(objects).unwrap_or_default()
}
