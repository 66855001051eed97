//! Unknown-field handling for built-in kinds, like the API server's typed decoding:
//! an object is round-tripped through its k8s-openapi type; fields that do not survive
//! are unknown. They are dropped, or rejected with `fieldValidation=Strict`.
//!
//! Objects the typed decoder cannot read (e.g. a number where k8s-openapi wants a
//! string, which the real server may accept) are left as they are.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use k8s_openapi::api::{
    admissionregistration::v1 as admission, apps::v1 as apps, autoscaling::v2 as autoscaling,
    batch::v1 as batch, coordination::v1 as coordination, core::v1 as core, events::v1 as events,
    networking::v1 as networking, policy::v1 as policy, rbac::v1 as rbac,
    scheduling::v1 as scheduling, storage::v1 as storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiext;

fn rt<K: DeserializeOwned + Serialize>(v: &Value) -> Result<Value, String> {
    let typed: K = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(typed).map_err(|e| e.to_string())
}

/// The object after typed decoding and encoding, or the decoding error; None when the
/// kind is not built in.
fn roundtrip(group: &str, kind: &str, v: &Value) -> Option<Result<Value, String>> {
    Some(match (group, kind) {
        ("", "Namespace") => rt::<core::Namespace>(v),
        ("", "ConfigMap") => rt::<core::ConfigMap>(v),
        ("", "Secret") => rt::<core::Secret>(v),
        ("", "Service") => rt::<core::Service>(v),
        ("", "ServiceAccount") => rt::<core::ServiceAccount>(v),
        ("", "Pod") => rt::<core::Pod>(v),
        ("", "PersistentVolumeClaim") => rt::<core::PersistentVolumeClaim>(v),
        ("", "PersistentVolume") => rt::<core::PersistentVolume>(v),
        ("", "Endpoints") => rt::<core::Endpoints>(v),
        ("", "Event") => rt::<core::Event>(v),
        ("", "LimitRange") => rt::<core::LimitRange>(v),
        ("", "ResourceQuota") => rt::<core::ResourceQuota>(v),
        ("", "Node") => rt::<core::Node>(v),
        ("apps", "Deployment") => rt::<apps::Deployment>(v),
        ("apps", "StatefulSet") => rt::<apps::StatefulSet>(v),
        ("apps", "DaemonSet") => rt::<apps::DaemonSet>(v),
        ("apps", "ReplicaSet") => rt::<apps::ReplicaSet>(v),
        ("apps", "ControllerRevision") => rt::<apps::ControllerRevision>(v),
        ("batch", "Job") => rt::<batch::Job>(v),
        ("batch", "CronJob") => rt::<batch::CronJob>(v),
        ("networking.k8s.io", "Ingress") => rt::<networking::Ingress>(v),
        ("networking.k8s.io", "IngressClass") => rt::<networking::IngressClass>(v),
        ("networking.k8s.io", "NetworkPolicy") => rt::<networking::NetworkPolicy>(v),
        ("rbac.authorization.k8s.io", "Role") => rt::<rbac::Role>(v),
        ("rbac.authorization.k8s.io", "RoleBinding") => rt::<rbac::RoleBinding>(v),
        ("rbac.authorization.k8s.io", "ClusterRole") => rt::<rbac::ClusterRole>(v),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => rt::<rbac::ClusterRoleBinding>(v),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            rt::<apiext::CustomResourceDefinition>(v)
        }
        ("policy", "PodDisruptionBudget") => rt::<policy::PodDisruptionBudget>(v),
        ("autoscaling", "HorizontalPodAutoscaler") => rt::<autoscaling::HorizontalPodAutoscaler>(v),
        ("coordination.k8s.io", "Lease") => rt::<coordination::Lease>(v),
        ("storage.k8s.io", "StorageClass") => rt::<storage::StorageClass>(v),
        ("scheduling.k8s.io", "PriorityClass") => rt::<scheduling::PriorityClass>(v),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration") => {
            rt::<admission::MutatingWebhookConfiguration>(v)
        }
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration") => {
            rt::<admission::ValidatingWebhookConfiguration>(v)
        }
        ("events.k8s.io", "Event") => rt::<events::Event>(v),
        _ => return None,
    })
}

fn collect(orig: &Value, kept: Option<&Value>, path: &str, out: &mut Vec<String>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match orig {
        Value::Object(m) => {
            for (k, v) in m {
                if v.is_null() {
                    continue;
                }
                match kept.and_then(|r| r.get(k)) {
                    None => out.push(join(k)),
                    Some(r) => collect(v, Some(r), &join(k), out),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect(v, kept.and_then(|r| r.get(i)), &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Unknown field paths of a built-in object (`spec.replicaz`), or None when the kind is
/// not built in or the object cannot be decoded.
pub fn unknown_fields(group: &str, kind: &str, v: &Value) -> Option<Vec<String>> {
    let kept = roundtrip(group, kind, v)?.ok()?;
    let mut out = vec![];
    collect(v, Some(&kept), "", &mut out);
    Some(out)
}

/// Maps whose values are resource quantities in built-in kinds.
const QUANTITY_MAPS: [&str; 12] = [
    "limits",
    "requests",
    "hard",
    "used",
    "capacity",
    "allocatable",
    "max",
    "min",
    "default",
    "defaultRequest",
    "maxLimitRequestRatio",
    "overhead",
];

fn quantity_string(n: &serde_json::Number) -> String {
    match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => i.to_string(),
        (None, Some(f)) if (f * 1000.0).fract() == 0.0 && f.fract() != 0.0 => {
            format!("{}m", (f * 1000.0) as i64)
        }
        _ => n.to_string(),
    }
}

/// Turns numbers in quantity positions into strings (`cpu: 1` → `"1"`, `0.5` → `"500m"`),
/// as the API server's Quantity decoding does, so typed clients can read them back.
pub fn normalize_quantities(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if QUANTITY_MAPS.contains(&k.as_str())
                    && let Some(q) = child.as_object_mut()
                {
                    for val in q.values_mut() {
                        if let Value::Number(n) = val {
                            *val = Value::String(quantity_string(n));
                        }
                    }
                } else if k == "sizeLimit"
                    && let Value::Number(n) = child
                {
                    *child = Value::String(quantity_string(n));
                } else {
                    normalize_quantities(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_quantities),
        _ => {}
    }
}

/// The first required field the object lacks (`spec.selector`). k8s-openapi decodes a
/// missing required field as its default and always encodes it, so it shows up as a
/// field the round trip added.
pub fn missing_required(group: &str, kind: &str, v: &Value) -> Option<String> {
    let kept = roundtrip(group, kind, v)?.ok()?;
    let mut added = vec![];
    collect(&kept, Some(v), "", &mut added);
    added.into_iter().next()
}

/// Removes the given paths (as returned by [`unknown_fields`]).
pub fn remove_fields(v: &mut Value, paths: &[String]) {
    for p in paths {
        let mut parts: Vec<(String, Option<usize>)> = vec![];
        for seg in p.split('.') {
            match seg.split_once('[') {
                Some((name, rest)) => {
                    parts.push((name.to_string(), None));
                    for idx in rest.trim_end_matches(']').split("][") {
                        parts.push((String::new(), idx.parse().ok()));
                    }
                }
                None => parts.push((seg.to_string(), None)),
            }
        }
        remove_at(v, &parts);
    }
}

fn remove_at(v: &mut Value, parts: &[(String, Option<usize>)]) {
    match parts {
        [] => {}
        [(last, None)] => {
            if let Some(m) = v.as_object_mut() {
                m.remove(last);
            }
        }
        [(name, idx), rest @ ..] => {
            let next = match idx {
                Some(i) => v.get_mut(*i),
                None => v.get_mut(name.as_str()),
            };
            if let Some(n) = next {
                remove_at(n, rest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_and_removes_unknown_fields() {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "bogusMeta": 1},
            "spec": {"replicaz": 3, "selector": {"matchLabels": {"a": "b"}},
                "template": {"spec": {"containers": [{"name": "c", "image": "i", "imagePullPolicyy": "Always"}]}}}});
        let u = unknown_fields("apps", "Deployment", &d).unwrap();
        assert_eq!(
            u,
            [
                "metadata.bogusMeta",
                "spec.replicaz",
                "spec.template.spec.containers[0].imagePullPolicyy"
            ]
        );
        remove_fields(&mut d, &u);
        assert_eq!(
            unknown_fields("apps", "Deployment", &d).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0],
            json!({"name": "c", "image": "i"})
        );
    }

    #[test]
    fn quantities_become_strings() {
        let mut p = json!({"spec": {"containers": [{"resources": {"limits": {"cpu": 1, "memory": "1Gi"}, "requests": {"cpu": 0.25}}}],
            "volumes": [{"emptyDir": {"sizeLimit": 5}}]}});
        normalize_quantities(&mut p);
        assert_eq!(
            p["spec"]["containers"][0]["resources"],
            json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "250m"}})
        );
        assert_eq!(p["spec"]["volumes"][0]["emptyDir"]["sizeLimit"], "5");
        let mut typed = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": 2}}}]}});
        normalize_quantities(&mut typed);
        assert_eq!(
            typed["spec"]["containers"][0]["resources"]["limits"]["cpu"],
            "2"
        );
        assert_eq!(unknown_fields("", "Pod", &typed), Some(vec![]));
    }

    #[test]
    fn required_fields() {
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}});
        assert_eq!(
            missing_required("apps", "Deployment", &d).as_deref(),
            Some("spec.selector")
        );
        let no_name = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"image": "x"}]}});
        assert_eq!(
            missing_required("", "Pod", &no_name).as_deref(),
            Some("spec.containers[0].name")
        );
        let ok = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
        assert_eq!(missing_required("", "ConfigMap", &ok), None);
        // Other decoding problems are not reported as missing fields.
        assert_eq!(
            missing_required(
                "",
                "ConfigMap",
                &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}, "data": 5})
            ),
            None
        );
    }

    #[test]
    fn undecodable_or_custom_objects_are_left_alone() {
        assert!(unknown_fields("example.com", "Widget", &json!({})).is_none());
        assert!(unknown_fields("", "ConfigMap", &json!({"data": 5})).is_none());
    }
}
