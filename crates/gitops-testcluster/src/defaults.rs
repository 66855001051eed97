//! Server-side defaults, name validation and immutable fields of built-in kinds.

use serde_json::{Value, json};

use crate::util::{default_path, get_path, get_str};

/// Validates a name: DNS-1123 label for namespaces and services, DNS-1123 subdomain otherwise.
pub fn validate_name(kind: &str, name: &str) -> Result<(), String> {
    let label = matches!(kind, "Namespace" | "Service");
    let max = if label { 63 } else { 253 };
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (c == '.' && !label));
    let edges = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if name.is_empty() {
        return Err("name or generateName is required".into());
    }
    if name.len() > max || !ok_chars || !edges {
        let what = if label {
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
        } else {
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
        };
        return Err(format!("Invalid value: \"{name}\": {what}"));
    }
    Ok(())
}

fn default_pod_spec(spec: &mut Value) {
    if let Some(vols) = spec.get_mut("volumes").and_then(Value::as_array_mut) {
        for v in vols {
            for src in ["configMap", "secret", "projected", "downwardAPI"] {
                if let Some(x) = v.get_mut(src).filter(|x| x.is_object()) {
                    default_path(x, &["defaultMode"], json!(420));
                }
            }
        }
    }
    default_path(spec, &["restartPolicy"], json!("Always"));
    default_path(spec, &["terminationGracePeriodSeconds"], json!(30));
    default_path(spec, &["dnsPolicy"], json!("ClusterFirst"));
    default_path(spec, &["securityContext"], json!({}));
    default_path(spec, &["schedulerName"], json!("default-scheduler"));
    for list in ["containers", "initContainers"] {
        if let Some(cs) = spec.get_mut(list).and_then(Value::as_array_mut) {
            for c in cs {
                let image = get_str(c, &["image"]).unwrap_or_default().to_string();
                let tag = image.rsplit('/').next().unwrap_or_default();
                let latest = !tag.contains(':') || tag.ends_with(":latest");
                default_path(
                    c,
                    &["terminationMessagePath"],
                    json!("/dev/termination-log"),
                );
                default_path(c, &["terminationMessagePolicy"], json!("File"));
                default_path(
                    c,
                    &["imagePullPolicy"],
                    json!(if latest && !image.contains('@') {
                        "Always"
                    } else {
                        "IfNotPresent"
                    }),
                );
                default_path(c, &["resources"], json!({}));
                if let Some(ps) = c.get_mut("ports").and_then(Value::as_array_mut) {
                    for p in ps {
                        default_path(p, &["protocol"], json!("TCP"));
                    }
                }
                for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                    if let Some(p) = c.get_mut(probe).filter(|p| p.is_object()) {
                        default_path(p, &["timeoutSeconds"], json!(1));
                        default_path(p, &["periodSeconds"], json!(10));
                        default_path(p, &["successThreshold"], json!(1));
                        default_path(p, &["failureThreshold"], json!(3));
                        if let Some(h) = p.get_mut("httpGet").filter(|h| h.is_object()) {
                            default_path(h, &["scheme"], json!("HTTP"));
                            default_path(h, &["path"], json!("/"));
                        }
                    }
                }
                if let Some(env) = c.get_mut("env").and_then(Value::as_array_mut) {
                    for e in env {
                        if let Some(f) = e
                            .pointer_mut("/valueFrom/fieldRef")
                            .filter(|f| f.is_object())
                        {
                            default_path(f, &["apiVersion"], json!("v1"));
                        }
                    }
                }
            }
        }
    }
}

fn default_template(obj: &mut Value, path: &[&str]) {
    if let Some(spec) = path.iter().try_fold(&mut *obj, |cur, k| cur.get_mut(*k)) {
        default_pod_spec(spec);
    }
}

/// Allocates the next address of the simulated service network.
pub fn cluster_ip(n: u64) -> String {
    format!("10.96.{}.{}", (n / 250) % 250, n % 250 + 2)
}

/// Fills in server defaults for a new or updated object. `seq` seeds allocated addresses.
pub fn apply_defaults(group: &str, kind: &str, obj: &mut Value, seq: u64) {
    match (group, kind) {
        ("apps", "Deployment") => {
            default_path(obj, &["spec", "replicas"], json!(1));
            default_path(obj, &["spec", "revisionHistoryLimit"], json!(10));
            default_path(obj, &["spec", "progressDeadlineSeconds"], json!(600));
            default_path(
                obj,
                &["spec", "strategy"],
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
            );
            default_template(obj, &["spec", "template", "spec"]);
        }
        ("apps", "StatefulSet") => {
            default_path(obj, &["spec", "replicas"], json!(1));
            default_path(obj, &["spec", "revisionHistoryLimit"], json!(10));
            default_path(obj, &["spec", "podManagementPolicy"], json!("OrderedReady"));
            default_path(
                obj,
                &["spec", "updateStrategy"],
                json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
            );
            default_path(
                obj,
                &["spec", "persistentVolumeClaimRetentionPolicy"],
                json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
            );
            default_template(obj, &["spec", "template", "spec"]);
        }
        ("apps", "DaemonSet") => {
            default_path(obj, &["spec", "revisionHistoryLimit"], json!(10));
            default_path(
                obj,
                &["spec", "updateStrategy"],
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}),
            );
            default_template(obj, &["spec", "template", "spec"]);
        }
        ("apps", "ReplicaSet") => {
            default_path(obj, &["spec", "replicas"], json!(1));
            default_template(obj, &["spec", "template", "spec"]);
        }
        ("batch", "Job") => default_job(obj),
        ("batch", "CronJob") => {
            default_path(obj, &["spec", "concurrencyPolicy"], json!("Allow"));
            default_path(obj, &["spec", "suspend"], json!(false));
            default_path(obj, &["spec", "successfulJobsHistoryLimit"], json!(3));
            default_path(obj, &["spec", "failedJobsHistoryLimit"], json!(1));
            default_template(obj, &["spec", "jobTemplate", "spec", "template", "spec"]);
        }
        ("", "Pod") => {
            if let Some(spec) = obj.get_mut("spec") {
                default_pod_spec(spec);
            }
            default_path(obj, &["status", "phase"], json!("Pending"));
        }
        ("", "Service") => default_service(obj, seq),
        ("", "Namespace") => {
            let name = get_str(obj, &["metadata", "name"])
                .unwrap_or_default()
                .to_string();
            default_path(obj, &["spec", "finalizers"], json!(["kubernetes"]));
            default_path(obj, &["status", "phase"], json!("Active"));
            default_path(
                obj,
                &["metadata", "labels", "kubernetes.io/metadata.name"],
                json!(name),
            );
        }
        ("", "PersistentVolumeClaim") => {
            default_path(obj, &["spec", "volumeMode"], json!("Filesystem"));
            default_path(obj, &["status", "phase"], json!("Pending"));
        }
        ("", "Secret") => {
            default_path(obj, &["type"], json!("Opaque"));
            // stringData is write-only: merge it into data, base64-encoded.
            if let Some(Value::Object(sd)) =
                obj.as_object_mut().and_then(|m| m.remove("stringData"))
            {
                use base64::Engine;
                for (k, v) in sd {
                    let enc = base64::engine::general_purpose::STANDARD
                        .encode(v.as_str().unwrap_or_default());
                    crate::util::set_path(obj, &["data", &k], json!(enc));
                }
            }
        }
        ("", "ServiceAccount") | ("", "ConfigMap") => {}
        _ => {}
    }
}

fn default_job(obj: &mut Value) {
    default_path(obj, &["spec", "parallelism"], json!(1));
    default_path(obj, &["spec", "completions"], json!(1));
    default_path(obj, &["spec", "backoffLimit"], json!(6));
    default_path(obj, &["spec", "completionMode"], json!("NonIndexed"));
    default_path(obj, &["spec", "suspend"], json!(false));
    default_path(
        obj,
        &["spec", "podReplacementPolicy"],
        json!("TerminatingOrFailed"),
    );
    let manual = get_path(obj, &["spec", "manualSelector"]).and_then(Value::as_bool) == Some(true);
    if !manual && get_path(obj, &["spec", "selector"]).is_none() {
        let uid = get_str(obj, &["metadata", "uid"])
            .unwrap_or_default()
            .to_string();
        let name = get_str(obj, &["metadata", "name"])
            .unwrap_or_default()
            .to_string();
        default_path(
            obj,
            &["spec", "selector"],
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
        );
        for (k, v) in [
            ("batch.kubernetes.io/controller-uid", &uid),
            ("batch.kubernetes.io/job-name", &name),
            ("controller-uid", &uid),
            ("job-name", &name),
        ] {
            default_path(
                obj,
                &["spec", "template", "metadata", "labels", k],
                json!(v),
            );
        }
    }
    default_template(obj, &["spec", "template", "spec"]);
}

fn default_service(obj: &mut Value, seq: u64) {
    default_path(obj, &["spec", "type"], json!("ClusterIP"));
    let ty = get_str(obj, &["spec", "type"])
        .unwrap_or("ClusterIP")
        .to_string();
    default_path(obj, &["spec", "sessionAffinity"], json!("None"));
    if ty != "ExternalName" {
        default_path(obj, &["spec", "clusterIP"], json!(cluster_ip(seq)));
        let ip = get_path(obj, &["spec", "clusterIP"])
            .cloned()
            .unwrap_or(json!(""));
        default_path(obj, &["spec", "clusterIPs"], json!([ip]));
        default_path(obj, &["spec", "ipFamilies"], json!(["IPv4"]));
        default_path(obj, &["spec", "ipFamilyPolicy"], json!("SingleStack"));
        default_path(obj, &["spec", "internalTrafficPolicy"], json!("Cluster"));
    }
    if ty == "LoadBalancer" || ty == "NodePort" {
        default_path(obj, &["spec", "externalTrafficPolicy"], json!("Cluster"));
    }
    if ty == "LoadBalancer" {
        default_path(obj, &["spec", "allocateLoadBalancerNodePorts"], json!(true));
    }
    let nodeport = ty == "LoadBalancer" || ty == "NodePort";
    if let Some(ps) = obj.pointer_mut("/spec/ports").and_then(Value::as_array_mut) {
        for (i, p) in ps.iter_mut().enumerate() {
            default_path(p, &["protocol"], json!("TCP"));
            let port = p.get("port").cloned().unwrap_or(json!(80));
            default_path(p, &["targetPort"], port);
            if nodeport {
                default_path(p, &["nodePort"], json!(30000 + (seq * 3 + i as u64) % 2767));
            }
        }
    }
    default_path(obj, &["status", "loadBalancer"], json!({}));
}

/// Immutable-field violations of an update `(field, message)`.
pub fn immutable_violations(
    group: &str,
    kind: &str,
    old: &Value,
    new: &Value,
) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut same = |path: &[&str], field: &str, msg: &str| {
        let (a, b) = (get_path(old, path), get_path(new, path));
        if a != b {
            out.push((field.to_string(), msg.to_string()));
        }
    };
    const IMM: &str = "Invalid value: field is immutable";
    match (group, kind) {
        ("", "Service") => {
            let old_ip = get_str(old, &["spec", "clusterIP"]).unwrap_or_default();
            if !old_ip.is_empty() && get_path(new, &["spec", "clusterIP"]).is_some() {
                same(
                    &["spec", "clusterIP"],
                    "spec.clusterIP",
                    "Invalid value: field is immutable",
                );
            }
        }
        ("batch", "Job") => {
            same(&["spec", "selector"], "spec.selector", IMM);
            same(&["spec", "template"], "spec.template", IMM);
            same(&["spec", "completions"], "spec.completions", IMM);
        }
        ("apps", "Deployment") | ("apps", "ReplicaSet") | ("apps", "DaemonSet") => {
            same(&["spec", "selector"], "spec.selector", IMM);
        }
        ("apps", "StatefulSet") => {
            same(&["spec", "selector"], "spec.selector", IMM);
            same(&["spec", "serviceName"], "spec.serviceName", IMM);
            same(
                &["spec", "volumeClaimTemplates"],
                "spec.volumeClaimTemplates",
                IMM,
            );
            same(
                &["spec", "podManagementPolicy"],
                "spec.podManagementPolicy",
                IMM,
            );
        }
        ("", "ConfigMap") | ("", "Secret") => {
            if get_path(old, &["immutable"]).and_then(Value::as_bool) == Some(true) {
                same(
                    &["data"],
                    "data",
                    "Forbidden: field is immutable when `immutable` is set",
                );
                same(
                    &["binaryData"],
                    "binaryData",
                    "Forbidden: field is immutable when `immutable` is set",
                );
                same(
                    &["immutable"],
                    "immutable",
                    "Forbidden: field is immutable when `immutable` is set",
                );
            }
            if kind == "Secret" {
                same(&["type"], "type", IMM);
            }
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            same(
                &["roleRef"],
                "roleRef",
                "Invalid value: cannot change roleRef",
            );
        }
        ("", "PersistentVolumeClaim") => {
            let strip = |v: &Value| {
                let mut s = v.get("spec").cloned().unwrap_or(json!({}));
                if let Some(m) = s.as_object_mut() {
                    m.remove("resources");
                    m.remove("volumeName");
                    m.remove("volumeAttributesClassName");
                }
                s
            };
            if strip(old) != strip(new) {
                out.push(("spec".into(), "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims".into()));
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_name("ConfigMap", "a.b-c").is_ok());
        assert!(validate_name("Namespace", "a.b").is_err());
        assert!(validate_name("ConfigMap", "Upper").is_err());
        assert!(validate_name("ConfigMap", "-a").is_err());
        assert!(validate_name("ConfigMap", "").is_err());
        assert!(validate_name("Service", &"a".repeat(64)).is_err());
    }

    #[test]
    fn deployment_defaults() {
        let mut d = json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "nginx", "ports": [{"containerPort": 80}]}]}}}});
        apply_defaults("apps", "Deployment", &mut d, 0);
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(d["spec"]["strategy"]["type"], "RollingUpdate");
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["imagePullPolicy"], "Always");
        assert_eq!(c["ports"][0]["protocol"], "TCP");
    }

    #[test]
    fn probe_and_volume_defaults() {
        let mut p = json!({"spec": {"containers": [{"name": "a", "image": "x:1",
            "readinessProbe": {"httpGet": {"port": 8080}},
            "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}],
            "volumes": [{"name": "c", "configMap": {"name": "cfg"}}]}});
        apply_defaults("", "Pod", &mut p, 0);
        let probe = &p["spec"]["containers"][0]["readinessProbe"];
        assert_eq!(
            (
                probe["timeoutSeconds"].clone(),
                probe["httpGet"]["scheme"].clone()
            ),
            (json!(1), json!("HTTP"))
        );
        assert_eq!(
            p["spec"]["containers"][0]["env"][0]["valueFrom"]["fieldRef"]["apiVersion"],
            "v1"
        );
        assert_eq!(p["spec"]["volumes"][0]["configMap"]["defaultMode"], 420);
    }

    #[test]
    fn service_defaults_and_immutable_cluster_ip() {
        let mut s = json!({"spec": {"ports": [{"port": 80}]}});
        apply_defaults("", "Service", &mut s, 5);
        assert_eq!(s["spec"]["type"], "ClusterIP");
        assert_eq!(s["spec"]["ports"][0]["targetPort"], 80);
        let mut changed = s.clone();
        changed["spec"]["clusterIP"] = json!("10.0.0.1");
        assert_eq!(immutable_violations("", "Service", &s, &changed).len(), 1);
        assert!(immutable_violations("", "Service", &s, &s).is_empty());
    }

    #[test]
    fn immutable_configmap() {
        let old = json!({"immutable": true, "data": {"a": "1"}});
        let new = json!({"immutable": true, "data": {"a": "2"}});
        assert_eq!(immutable_violations("", "ConfigMap", &old, &new).len(), 1);
    }
}
