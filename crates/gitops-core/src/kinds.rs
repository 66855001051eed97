//! Facts about kinds, as immutable tables: the default apply order and which built-in kinds are
//! cluster-scoped.
//!
//! The apply order follows Helm's install order and kapp's default change rules, grouped into
//! tiers so that objects of one tier can be applied together:
//!
//! | tier | kinds |
//! |---|---|
//! | 0 namespaces | Namespace |
//! | 1 definitions | CustomResourceDefinition |
//! | 2 configuration | PriorityClass, StorageClass, PersistentVolume, IngressClass, RuntimeClass, ResourceQuota, LimitRange, NetworkPolicy, PodSecurityPolicy, PodDisruptionBudget, ServiceAccount, Secret, ConfigMap, PersistentVolumeClaim, ClusterRole, ClusterRoleBinding, Role, RoleBinding, Service, Endpoints, EndpointSlice |
//! | 3 workloads | Pod, ReplicationController, ReplicaSet, Deployment, StatefulSet, DaemonSet, Job, CronJob |
//! | 4 everything else | HorizontalPodAutoscaler, Ingress, APIService, webhook configurations, custom resources, unknown kinds |
//!
//! Webhook configurations come last on purpose: registered before the workload that serves them,
//! they would block the admission of every later object.
//!
//! ```
//! use gitops_core::kinds::{tier, Tier};
//!
//! assert_eq!(tier("", "Namespace"), Tier::Namespaces);
//! assert!(tier("", "ConfigMap") < tier("apps", "Deployment"));
//! assert_eq!(tier("example.com", "Widget"), Tier::Other);
//! ```

use serde::{Deserialize, Serialize};

/// A group of kinds applied before the next group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Tier {
    /// Namespaces.
    Namespaces = 0,
    /// CustomResourceDefinitions.
    Definitions = 1,
    /// Cluster configuration, identities, RBAC, configuration data, storage, Services.
    Configuration = 2,
    /// Workloads.
    Workloads = 3,
    /// Everything else, including custom resources and unknown kinds.
    Other = 4,
}

impl Tier {
    /// The tier's position, 0 first.
    pub fn rank(self) -> u32 {
        self as u32
    }
}

/// `(group, kind, tier)`, the kinds with a tier before [`Tier::Other`].
const ORDER: &[(&str, &str, Tier)] = &[
    ("", "Namespace", Tier::Namespaces),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        Tier::Definitions,
    ),
    ("scheduling.k8s.io", "PriorityClass", Tier::Configuration),
    ("storage.k8s.io", "StorageClass", Tier::Configuration),
    ("", "PersistentVolume", Tier::Configuration),
    ("networking.k8s.io", "IngressClass", Tier::Configuration),
    ("node.k8s.io", "RuntimeClass", Tier::Configuration),
    ("", "ResourceQuota", Tier::Configuration),
    ("", "LimitRange", Tier::Configuration),
    ("networking.k8s.io", "NetworkPolicy", Tier::Configuration),
    ("policy", "PodSecurityPolicy", Tier::Configuration),
    ("policy", "PodDisruptionBudget", Tier::Configuration),
    ("", "ServiceAccount", Tier::Configuration),
    ("", "Secret", Tier::Configuration),
    ("", "ConfigMap", Tier::Configuration),
    ("", "PersistentVolumeClaim", Tier::Configuration),
    (
        "rbac.authorization.k8s.io",
        "ClusterRole",
        Tier::Configuration,
    ),
    (
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        Tier::Configuration,
    ),
    ("rbac.authorization.k8s.io", "Role", Tier::Configuration),
    (
        "rbac.authorization.k8s.io",
        "RoleBinding",
        Tier::Configuration,
    ),
    ("", "Service", Tier::Configuration),
    ("", "Endpoints", Tier::Configuration),
    ("discovery.k8s.io", "EndpointSlice", Tier::Configuration),
    ("", "Pod", Tier::Workloads),
    ("", "ReplicationController", Tier::Workloads),
    ("apps", "ReplicaSet", Tier::Workloads),
    ("apps", "Deployment", Tier::Workloads),
    ("apps", "StatefulSet", Tier::Workloads),
    ("apps", "DaemonSet", Tier::Workloads),
    ("batch", "Job", Tier::Workloads),
    ("batch", "CronJob", Tier::Workloads),
];

/// The tier of a kind; unknown kinds and custom resources are [`Tier::Other`].
///
/// Old API groups of the same kinds (`extensions` Deployments, `v1beta1` CRDs) share the tier.
pub fn tier(group: &str, kind: &str) -> Tier {
    ORDER
        .iter()
        .find(|(g, k, _)| *k == kind && (*g == group || group == "extensions"))
        .map_or(Tier::Other, |(_, _, tier)| *tier)
}

/// Built-in kinds that are cluster-scoped, `(group, kind)`.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("networking.k8s.io", "IngressClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("policy", "PodSecurityPolicy"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
];

/// Whether a built-in kind is known to be cluster-scoped.
///
/// Returns `None` for kinds this table does not know (custom resources): ask the cluster's
/// discovery, or the CRD's `spec.scope`.
pub fn is_cluster_scoped(group: &str, kind: &str) -> Option<bool> {
    if CLUSTER_SCOPED
        .iter()
        .any(|(g, k)| *g == group && *k == kind)
    {
        return Some(true);
    }
    ORDER
        .iter()
        .any(|(g, k, _)| *g == group && *k == kind)
        .then_some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_table_is_sorted_by_tier() {
        assert!(ORDER.windows(2).all(|w| w[0].2 <= w[1].2));
    }

    #[test]
    fn tiers() {
        assert_eq!(
            tier("apiextensions.k8s.io", "CustomResourceDefinition"),
            Tier::Definitions
        );
        assert_eq!(tier("", "Secret"), Tier::Configuration);
        assert_eq!(tier("extensions", "Deployment"), Tier::Workloads);
        assert_eq!(
            tier(
                "admissionregistration.k8s.io",
                "ValidatingWebhookConfiguration"
            ),
            Tier::Other
        );
        // Same kind name in another group is not the built-in kind.
        assert_eq!(tier("example.com", "Deployment"), Tier::Other);
    }

    #[test]
    fn scopes() {
        assert_eq!(is_cluster_scoped("", "Namespace"), Some(true));
        assert_eq!(is_cluster_scoped("apps", "Deployment"), Some(false));
        assert_eq!(is_cluster_scoped("example.com", "Widget"), None);
    }
}
