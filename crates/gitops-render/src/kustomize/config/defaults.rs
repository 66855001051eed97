//! kustomize v5.5's built-in field specs (`api/konfig/builtinpluginconsts`), as tables: where
//! each transformer writes, and which fields refer to which kinds by name.

use super::NameBackRef;
use crate::kustomize::fieldspec::FieldSpec;
use crate::kustomize::resource::Gvk;

fn spec(group: &str, version: &str, kind: &str, path: &str, create: bool) -> FieldSpec {
    FieldSpec::new(group, version, kind, path, create)
}

pub(super) fn namespace_specs() -> Vec<FieldSpec> {
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
pub(super) fn metadata_label_specs() -> Vec<FieldSpec> {
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

pub(super) fn common_label_specs() -> Vec<FieldSpec> {
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

pub(super) fn common_annotation_specs() -> Vec<FieldSpec> {
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

pub(super) fn var_reference_specs() -> Vec<FieldSpec> {
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

pub(super) fn name_reference_specs() -> Vec<NameBackRef> {
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
