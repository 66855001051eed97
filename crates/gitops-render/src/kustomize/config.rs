//! The transformer configuration: which fields each built-in transformer touches, per kind.
//!
//! The defaults are kustomize v5.5's built-in field specs (`api/konfig/builtinpluginconsts`),
//! written here as tables; `configurations:` files and `crds:` add to them.

use std::sync::Arc;

use super::fieldspec::{FieldSpec, merge_all, merge_one};
use super::resource::Gvk;

/// A kind that other objects refer to by name, and the fields that hold those names.
#[derive(Debug, Clone)]
pub(crate) struct NameBackRef {
    pub gvk: Gvk,
    pub referrers: Vec<FieldSpec>,
}

/// A shared list: configurations are cloned and merged once per kustomization, and are
/// mostly the defaults, so sharing makes both O(1).
pub(crate) type Specs = Arc<Vec<FieldSpec>>;

/// Field specs per transformer.
#[derive(Debug, Clone, Default)]
pub(crate) struct TransformerConfig {
    pub name_prefix: Specs,
    pub name_suffix: Specs,
    pub namespace: Specs,
    pub common_labels: Specs,
    pub labels: Specs,
    pub template_labels: Specs,
    pub common_annotations: Specs,
    pub name_reference: Arc<Vec<NameBackRef>>,
    pub var_reference: Specs,
    pub images: Specs,
    pub replicas: Specs,
}

/// kustomize's legacy kind order, used to sort field specs.
const ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];
const ORDER_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

fn type_order(kind: &str) -> i64 {
    let first_len = i64::try_from(ORDER_FIRST.len()).unwrap_or(i64::MAX);
    if let Some(i) = ORDER_FIRST.iter().position(|k| *k == kind) {
        return i64::try_from(i).unwrap_or(0) - first_len;
    }
    if let Some(i) = ORDER_LAST.iter().position(|k| *k == kind) {
        return 1 + i64::try_from(i).unwrap_or(0);
    }
    0
}

/// The parts of kustomize's `stableSortString` (`group_version_kind`, empty parts as `~G`,
/// `~V`, `~K`).
fn stable_parts(gvk: &Gvk) -> [&str; 3] {
    fn or<'a>(v: &'a str, d: &'static str) -> &'a str {
        if v.is_empty() { d } else { v }
    }
    [
        or(&gvk.group, "~G"),
        or(&gvk.version, "~V"),
        or(&gvk.kind, "~K"),
    ]
}

/// Compares two `stableSortString`s without building them.
fn stable_cmp(a: &Gvk, b: &Gvk) -> std::cmp::Ordering {
    let bytes = |parts: [&str; 3]| {
        let [g, v, k] = parts;
        g.bytes()
            .chain(std::iter::once(b'_'))
            .chain(v.bytes())
            .chain(std::iter::once(b'_'))
            .chain(k.bytes())
            .collect::<Vec<u8>>()
    };
    let (pa, pb) = (stable_parts(a), stable_parts(b));
    if pa == pb {
        return std::cmp::Ordering::Equal;
    }
    bytes(pa).cmp(&bytes(pb))
}

/// kustomize's `Gvk.IsLessThan`.
pub(crate) fn gvk_less(a: &Gvk, b: &Gvk) -> std::cmp::Ordering {
    type_order(&a.kind)
        .cmp(&type_order(&b.kind))
        .then_with(|| stable_cmp(a, b))
}

fn sort(list: &mut [FieldSpec]) {
    list.sort_by(|a, b| gvk_less(&a.gvk, &b.gvk));
}

impl TransformerConfig {
    /// kustomize's `TransformerConfig.Merge`: adds `other`'s specs, then sorts every list.
    pub(crate) fn merge(&mut self, other: &TransformerConfig) -> Result<(), String> {
        let pairs: [(&mut Specs, &Specs); 10] = [
            (&mut self.name_prefix, &other.name_prefix),
            (&mut self.name_suffix, &other.name_suffix),
            (&mut self.namespace, &other.namespace),
            (&mut self.common_annotations, &other.common_annotations),
            (&mut self.common_labels, &other.common_labels),
            (&mut self.labels, &other.labels),
            (&mut self.template_labels, &other.template_labels),
            (&mut self.var_reference, &other.var_reference),
            (&mut self.images, &other.images),
            (&mut self.replicas, &other.replicas),
        ];
        for (mine, theirs) in pairs {
            if Arc::ptr_eq(mine, theirs) || theirs.is_empty() {
                // Merging a list with itself, or with nothing, changes nothing (the common
                // case: every kustomization starts from the defaults).
                continue;
            }
            if mine.is_empty() {
                // Lists being merged are already free of duplicates and sorted.
                *mine = theirs.clone();
                continue;
            }
            let list = Arc::make_mut(mine);
            merge_all(list, theirs.iter().cloned())?;
            sort(list);
        }
        if Arc::ptr_eq(&self.name_reference, &other.name_reference)
            || other.name_reference.is_empty()
        {
            return Ok(());
        }
        if self.name_reference.is_empty() {
            self.name_reference = other.name_reference.clone();
            return Ok(());
        }
        let name_reference = Arc::make_mut(&mut self.name_reference);
        for backref in other.name_reference.iter() {
            match name_reference.iter_mut().find(|b| b.gvk == backref.gvk) {
                Some(existing) => {
                    for spec in &backref.referrers {
                        merge_one(&mut existing.referrers, spec.clone())?;
                    }
                }
                None => name_reference.push(backref.clone()),
            }
        }
        name_reference.sort_by(|a, b| gvk_less(&a.gvk, &b.gvk));
        Ok(())
    }

    /// kustomize's built-in configuration (computed once).
    pub(crate) fn builtin() -> Self {
        static BUILTIN: std::sync::OnceLock<TransformerConfig> = std::sync::OnceLock::new();
        BUILTIN.get_or_init(Self::make_builtin).clone()
    }

    fn make_builtin() -> Self {
        let raw = TransformerConfig {
            name_prefix: Arc::new(vec![FieldSpec::any("metadata/name", false)]),
            name_suffix: Arc::new(vec![FieldSpec::any("metadata/name", false)]),
            namespace: Arc::new(namespace_specs()),
            common_labels: Arc::new(common_label_specs()),
            labels: Arc::default(),
            template_labels: Arc::new(metadata_label_specs()),
            common_annotations: Arc::new(common_annotation_specs()),
            name_reference: Arc::new(name_reference_specs()),
            var_reference: Arc::new(var_reference_specs()),
            images: Arc::new(
                [
                    "spec/containers[]/image",
                    "spec/initContainers[]/image",
                    "spec/template/spec/containers[]/image",
                    "spec/template/spec/initContainers[]/image",
                ]
                .iter()
                .map(|p| FieldSpec::any(p, true))
                .collect(),
            ),
            replicas: Arc::new(
                [
                    "Deployment",
                    "ReplicationController",
                    "ReplicaSet",
                    "StatefulSet",
                ]
                .iter()
                .map(|k| FieldSpec::new("", "", k, "spec/replicas", true))
                .collect(),
            ),
        };
        // kustomize starts every build from an empty configuration merged with the defaults,
        // which removes duplicate field specs and sorts them.
        let normalize = |list: &Specs| -> Specs {
            let mut out = Vec::new();
            // The defaults never conflict; a conflict would be a bug in the tables above.
            let _ = merge_all(&mut out, list.iter().cloned());
            sort(&mut out);
            Arc::new(out)
        };
        let mut name_reference = (*raw.name_reference).clone();
        name_reference.sort_by(|a, b| gvk_less(&a.gvk, &b.gvk));
        TransformerConfig {
            name_prefix: normalize(&raw.name_prefix),
            name_suffix: normalize(&raw.name_suffix),
            namespace: normalize(&raw.namespace),
            common_labels: normalize(&raw.common_labels),
            labels: normalize(&raw.labels),
            template_labels: normalize(&raw.template_labels),
            common_annotations: normalize(&raw.common_annotations),
            name_reference: Arc::new(name_reference),
            var_reference: normalize(&raw.var_reference),
            images: normalize(&raw.images),
            replicas: normalize(&raw.replicas),
        }
    }
}

fn spec(group: &str, version: &str, kind: &str, path: &str, create: bool) -> FieldSpec {
    FieldSpec::new(group, version, kind, path, create)
}

fn namespace_specs() -> Vec<FieldSpec> {
    vec![
        spec("", "", "Namespace", "metadata/name", true),
        spec(
            "apiregistration.k8s.io",
            "",
            "APIService",
            "spec/service/namespace",
            true,
        ),
        spec(
            "apiextensions.k8s.io",
            "",
            "CustomResourceDefinition",
            "spec/conversion/webhook/clientConfig/service/namespace",
            false,
        ),
    ]
}

/// Labels on objects and on the pod (and job) templates of workloads.
fn metadata_label_specs() -> Vec<FieldSpec> {
    vec![
        FieldSpec::any("metadata/labels", true),
        spec(
            "",
            "v1",
            "ReplicationController",
            "spec/template/metadata/labels",
            true,
        ),
        spec("", "", "Deployment", "spec/template/metadata/labels", true),
        spec("", "", "ReplicaSet", "spec/template/metadata/labels", true),
        spec("", "", "DaemonSet", "spec/template/metadata/labels", true),
        spec(
            "apps",
            "",
            "StatefulSet",
            "spec/template/metadata/labels",
            true,
        ),
        spec(
            "apps",
            "",
            "StatefulSet",
            "spec/volumeClaimTemplates[]/metadata/labels",
            true,
        ),
        spec("batch", "", "Job", "spec/template/metadata/labels", true),
        spec(
            "batch",
            "",
            "CronJob",
            "spec/jobTemplate/metadata/labels",
            true,
        ),
        spec(
            "batch",
            "",
            "CronJob",
            "spec/jobTemplate/spec/template/metadata/labels",
            true,
        ),
    ]
}

fn common_label_specs() -> Vec<FieldSpec> {
    const AFFINITY: &[&str] = &[
        "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
    ];
    let mut out = vec![
        spec("", "v1", "Service", "spec/selector", true),
        spec("", "v1", "ReplicationController", "spec/selector", true),
        spec("", "", "Deployment", "spec/selector/matchLabels", true),
    ];
    out.extend(
        AFFINITY
            .iter()
            .map(|p| spec("apps", "", "Deployment", p, false)),
    );
    out.push(spec(
        "",
        "",
        "ReplicaSet",
        "spec/selector/matchLabels",
        true,
    ));
    out.push(spec("", "", "DaemonSet", "spec/selector/matchLabels", true));
    out.push(spec(
        "apps",
        "",
        "StatefulSet",
        "spec/selector/matchLabels",
        true,
    ));
    out.extend(
        AFFINITY
            .iter()
            .map(|p| spec("apps", "", "StatefulSet", p, false)),
    );
    out.extend([
        spec("batch", "", "Job", "spec/selector/matchLabels", false),
        spec(
            "batch",
            "",
            "CronJob",
            "spec/jobTemplate/spec/selector/matchLabels",
            false,
        ),
        spec(
            "policy",
            "",
            "PodDisruptionBudget",
            "spec/selector/matchLabels",
            false,
        ),
        spec(
            "networking.k8s.io",
            "",
            "NetworkPolicy",
            "spec/podSelector/matchLabels",
            false,
        ),
        spec(
            "networking.k8s.io",
            "",
            "NetworkPolicy",
            "spec/ingress/from/podSelector/matchLabels",
            false,
        ),
        spec(
            "networking.k8s.io",
            "",
            "NetworkPolicy",
            "spec/egress/to/podSelector/matchLabels",
            false,
        ),
    ]);
    out.extend(metadata_label_specs());
    out
}

fn common_annotation_specs() -> Vec<FieldSpec> {
    vec![
        FieldSpec::any("metadata/annotations", true),
        spec(
            "",
            "v1",
            "ReplicationController",
            "spec/template/metadata/annotations",
            true,
        ),
        spec(
            "",
            "",
            "Deployment",
            "spec/template/metadata/annotations",
            true,
        ),
        spec(
            "",
            "",
            "ReplicaSet",
            "spec/template/metadata/annotations",
            true,
        ),
        spec(
            "",
            "",
            "DaemonSet",
            "spec/template/metadata/annotations",
            true,
        ),
        spec(
            "",
            "",
            "StatefulSet",
            "spec/template/metadata/annotations",
            true,
        ),
        spec(
            "batch",
            "",
            "Job",
            "spec/template/metadata/annotations",
            true,
        ),
        spec(
            "batch",
            "",
            "CronJob",
            "spec/jobTemplate/metadata/annotations",
            true,
        ),
        spec(
            "batch",
            "",
            "CronJob",
            "spec/jobTemplate/spec/template/metadata/annotations",
            true,
        ),
    ]
}

/// Where each workload kind keeps its pod spec, for the name and var reference tables.
const POD_TEMPLATE: &str = "template/spec";
const WORKLOAD_TEMPLATE: &str = "spec/template/spec";
const CRONJOB_TEMPLATE: &str = "spec/jobTemplate/spec/template/spec";

const CONTAINER_FIELDS: &[&str] = &[
    "containers/args",
    "containers/command",
    "containers/env/value",
    "containers/volumeMounts/mountPath",
    "initContainers/args",
    "initContainers/command",
    "initContainers/env/value",
    "initContainers/volumeMounts/mountPath",
];

fn pod_var_fields(out: &mut Vec<FieldSpec>, kind: &str, prefix: &str, nfs: &str) {
    for field in CONTAINER_FIELDS {
        out.push(spec("", "", kind, &format!("{prefix}/{field}"), false));
    }
    out.push(spec("", "", kind, nfs, false));
}

fn var_reference_specs() -> Vec<FieldSpec> {
    let mut out = Vec::new();
    pod_var_fields(
        &mut out,
        "CronJob",
        CRONJOB_TEMPLATE,
        "spec/jobTemplate/spec/template/volumes/nfs/server",
    );
    for kind in ["DaemonSet", "Deployment"] {
        pod_var_fields(
            &mut out,
            kind,
            WORKLOAD_TEMPLATE,
            "spec/template/spec/volumes/nfs/server",
        );
    }
    out.push(spec(
        "",
        "",
        "Deployment",
        "spec/template/metadata/annotations",
        false,
    ));
    for path in ["spec/rules/host", "spec/tls/hosts", "spec/tls/secretName"] {
        out.push(spec("", "", "Ingress", path, false));
    }
    pod_var_fields(
        &mut out,
        "Job",
        WORKLOAD_TEMPLATE,
        "spec/template/spec/volumes/nfs/server",
    );
    pod_var_fields(&mut out, "Pod", "spec", "spec/volumes/nfs/server");
    pod_var_fields(
        &mut out,
        "ReplicaSet",
        WORKLOAD_TEMPLATE,
        "spec/template/spec/volumes/nfs/server",
    );
    out.push(spec("", "", "Service", "spec/ports/port", false));
    out.push(spec("", "", "Service", "spec/ports/targetPort", false));
    pod_var_fields(
        &mut out,
        "StatefulSet",
        WORKLOAD_TEMPLATE,
        "spec/volumeClaimTemplates/spec/nfs/server",
    );
    out.push(spec("", "", "PersistentVolume", "spec/nfs/server", false));
    out.push(FieldSpec::any("metadata/labels", false));
    out.push(FieldSpec::any("metadata/annotations", false));
    out
}

/// `(kind, version, pod spec prefix)` of the workloads whose pods refer to ConfigMaps and
/// Secrets.
const CONFIG_REFERRERS: &[(&str, &str, &str)] = &[
    ("Pod", "v1", "spec"),
    ("PodTemplate", "", POD_TEMPLATE),
    ("Deployment", "", WORKLOAD_TEMPLATE),
    ("ReplicaSet", "", WORKLOAD_TEMPLATE),
    ("DaemonSet", "", WORKLOAD_TEMPLATE),
    ("StatefulSet", "", WORKLOAD_TEMPLATE),
    ("Job", "", WORKLOAD_TEMPLATE),
    ("CronJob", "", CRONJOB_TEMPLATE),
];

/// `(kind, group, pod spec prefix)` of the workloads whose pods name service accounts, claims
/// and priority classes.
const POD_REFERRERS: &[(&str, &str, &str)] = &[
    ("Pod", "", "spec"),
    ("StatefulSet", "", WORKLOAD_TEMPLATE),
    ("Deployment", "", WORKLOAD_TEMPLATE),
    ("ReplicationController", "", WORKLOAD_TEMPLATE),
    ("CronJob", "", CRONJOB_TEMPLATE),
    ("Job", "", WORKLOAD_TEMPLATE),
    ("DaemonSet", "", WORKLOAD_TEMPLATE),
];

fn backref(group: &str, version: &str, kind: &str, referrers: Vec<FieldSpec>) -> NameBackRef {
    NameBackRef {
        gvk: Gvk {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
        },
        referrers,
    }
}

fn pod_refs(fields: &[&str], with: &[(&str, &str, &str)]) -> Vec<FieldSpec> {
    let mut out = Vec::new();
    for (kind, version, prefix) in with {
        for field in fields {
            out.push(spec("", version, kind, &format!("{prefix}/{field}"), false));
        }
    }
    out
}

fn name_reference_specs() -> Vec<NameBackRef> {
    let hpa = || {
        vec![spec(
            "",
            "",
            "HorizontalPodAutoscaler",
            "spec/scaleTargetRef/name",
            false,
        )]
    };
    let mut config_map = pod_refs(
        &[
            "volumes/configMap/name",
            "containers/env/valueFrom/configMapKeyRef/name",
            "initContainers/env/valueFrom/configMapKeyRef/name",
            "containers/envFrom/configMapRef/name",
            "initContainers/envFrom/configMapRef/name",
            "volumes/projected/sources/configMap/name",
        ],
        CONFIG_REFERRERS,
    );
    config_map.extend([
        spec("", "", "Node", "spec/configSource/configMap", false),
        spec("", "", "Role", "rules/resourceNames", false),
        spec("", "", "ClusterRole", "rules/resourceNames", false),
        spec(
            "",
            "",
            "Ingress",
            "metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap",
            false,
        ),
    ]);
    let mut secret = pod_refs(
        &[
            "volumes/secret/secretName",
            "containers/env/valueFrom/secretKeyRef/name",
            "initContainers/env/valueFrom/secretKeyRef/name",
            "containers/envFrom/secretRef/name",
            "initContainers/envFrom/secretRef/name",
            "imagePullSecrets/name",
            "volumes/projected/sources/secret/name",
        ],
        CONFIG_REFERRERS,
    );
    secret.extend([
        spec("", "", "Ingress", "spec/tls/secretName", false),
        spec(
            "",
            "",
            "Ingress",
            "metadata/annotations/ingress.kubernetes.io\\/auth-secret",
            false,
        ),
        spec(
            "",
            "",
            "Ingress",
            "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret",
            false,
        ),
        spec(
            "",
            "",
            "Ingress",
            "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret",
            false,
        ),
        spec("", "", "ServiceAccount", "imagePullSecrets/name", false),
        spec("", "", "StorageClass", "parameters/secretName", false),
        spec("", "", "StorageClass", "parameters/adminSecretName", false),
        spec("", "", "StorageClass", "parameters/userSecretName", false),
        spec("", "", "StorageClass", "parameters/secretRef", false),
        spec("", "", "Role", "rules/resourceNames", false),
        spec("", "", "ClusterRole", "rules/resourceNames", false),
        spec(
            "serving.knative.dev",
            "v1",
            "Service",
            "spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
            false,
        ),
        spec(
            "",
            "",
            "PersistentVolume",
            "spec/azureFile/secretName",
            false,
        ),
    ]);
    let service = vec![
        spec("apps", "", "StatefulSet", "spec/serviceName", false),
        spec(
            "",
            "",
            "Ingress",
            "spec/rules/http/paths/backend/serviceName",
            false,
        ),
        spec("", "", "Ingress", "spec/backend/serviceName", false),
        spec(
            "",
            "",
            "Ingress",
            "spec/rules/http/paths/backend/service/name",
            false,
        ),
        spec("", "", "Ingress", "spec/defaultBackend/service/name", false),
        spec(
            "apiregistration.k8s.io",
            "",
            "APIService",
            "spec/service/name",
            false,
        ),
        spec(
            "admissionregistration.k8s.io",
            "",
            "ValidatingWebhookConfiguration",
            "webhooks/clientConfig/service",
            false,
        ),
        spec(
            "admissionregistration.k8s.io",
            "",
            "MutatingWebhookConfiguration",
            "webhooks/clientConfig/service",
            false,
        ),
    ];
    let rbac = "rbac.authorization.k8s.io";
    let pod_only = |fields: &[&str]| {
        let mut out = Vec::new();
        for (kind, group, prefix) in POD_REFERRERS {
            for field in fields {
                out.push(spec(group, "", kind, &format!("{prefix}/{field}"), false));
            }
        }
        out
    };
    let mut service_account = vec![
        spec(rbac, "", "RoleBinding", "subjects", false),
        spec(rbac, "", "ClusterRoleBinding", "subjects", false),
    ];
    service_account.extend(pod_only(&["serviceAccountName"]));
    vec![
        backref("", "", "Deployment", hpa()),
        backref("", "", "ReplicationController", hpa()),
        backref("", "", "ReplicaSet", hpa()),
        backref("", "", "StatefulSet", hpa()),
        backref("", "v1", "ConfigMap", config_map),
        backref("", "v1", "Secret", secret),
        backref("", "v1", "Service", service),
        backref(
            rbac,
            "",
            "Role",
            vec![spec(rbac, "", "RoleBinding", "roleRef/name", false)],
        ),
        backref(
            rbac,
            "",
            "ClusterRole",
            vec![
                spec(rbac, "", "RoleBinding", "roleRef/name", false),
                spec(rbac, "", "ClusterRoleBinding", "roleRef/name", false),
            ],
        ),
        backref("", "v1", "ServiceAccount", service_account),
        backref(
            "",
            "v1",
            "PersistentVolumeClaim",
            pod_only(&["volumes/persistentVolumeClaim/claimName"]),
        ),
        backref(
            "",
            "v1",
            "PersistentVolume",
            vec![
                spec("", "", "PersistentVolumeClaim", "spec/volumeName", false),
                spec("", "", "ClusterRole", "rules/resourceNames", false),
            ],
        ),
        backref(
            "storage.k8s.io",
            "v1",
            "StorageClass",
            vec![
                spec("", "", "PersistentVolume", "spec/storageClassName", false),
                spec(
                    "",
                    "",
                    "PersistentVolumeClaim",
                    "spec/storageClassName",
                    false,
                ),
                spec(
                    "",
                    "",
                    "StatefulSet",
                    "spec/volumeClaimTemplates/spec/storageClassName",
                    false,
                ),
            ],
        ),
        backref(
            "scheduling.k8s.io",
            "v1",
            "PriorityClass",
            pod_only(&["priorityClassName"]),
        ),
        // kustomize writes the group with its version here, so it never matches: kept as is.
        backref(
            "networking.k8s.io/v1",
            "v1",
            "IngressClass",
            vec![spec("", "", "Ingress", "spec/ingressClassName", false)],
        ),
        backref(
            "admissionregistration.k8s.io",
            "",
            "ValidatingAdmissionPolicy",
            vec![spec(
                "admissionregistration.k8s.io",
                "",
                "ValidatingAdmissionPolicyBinding",
                "spec/policyName",
                false,
            )],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_every_table() {
        let c = TransformerConfig::builtin();
        assert_eq!(c.name_prefix.len(), 1);
        assert!(c.common_labels.len() > 20);
        let secret = c
            .name_reference
            .iter()
            .find(|b| b.gvk.kind == "Secret")
            .unwrap();
        assert!(
            secret
                .referrers
                .iter()
                .any(|s| s.path == "spec/tls/secretName")
        );
        // Sorted by kustomize's kind order.
        assert_eq!(c.name_reference[0].gvk.kind, "StorageClass");
    }
}
