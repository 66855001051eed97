//! The install manifests under `deploy/`, embedded for `gitops bootstrap`.

/// The operator's namespace, identity, RBAC, Deployment and Service.
pub const OPERATOR_YAML: &str = include_str!("../../../deploy/operator.yaml");

/// The CRDs as committed under `deploy/crds.yaml` (a test checks they equal the generated ones).
pub const CRDS_YAML: &str = include_str!("../../../deploy/crds.yaml");

/// Everything to install, CRDs first.
pub fn install_yaml() -> String {
    format!("{CRDS_YAML}---\n{OPERATOR_YAML}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_crds_match_the_rust_types() {
        assert_eq!(
            super::CRDS_YAML,
            crate::crd::crds_yaml(),
            "deploy/crds.yaml is stale: run `cargo run -p gitops-operator -- crds > deploy/crds.yaml`"
        );
    }
}
