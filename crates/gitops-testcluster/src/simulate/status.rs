//! Simulated status of workloads and other kinds: pure functions of the object.

use serde_json::{Value, json};

use super::SIMULATE_ANNOTATION;
use crate::util::{get_path, get_str, now_rfc3339};

pub(super) fn annotation(v: &Value) -> &str {
    v.pointer("/metadata/annotations")
        .and_then(|a| a.get(SIMULATE_ANNOTATION))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

pub(super) fn short_hash(v: &Value) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in v.to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:x}", h % 0xff_ffff_ffff)
}

pub(super) fn cond(t: &str, status: &str, reason: &str, message: &str) -> Value {
    json!({"type": t, "status": status, "reason": reason, "message": message})
}

/// Keeps timestamps of conditions that did not change, sets them on new ones.
pub(super) fn stamp_conditions(old: Option<&Value>, conds: Vec<Value>, update_time: bool) -> Value {
    let now = now_rfc3339();
    let old: Vec<Value> = old.and_then(Value::as_array).cloned().unwrap_or_default();
    Value::Array(
        conds
            .into_iter()
            .map(|mut c| {
                let same = old.iter().find(|o| {
                    o.get("type") == c.get("type")
                        && o.get("status") == c.get("status")
                        && o.get("reason") == c.get("reason")
                });
                for f in ["lastTransitionTime", "lastUpdateTime", "lastProbeTime"] {
                    if f != "lastTransitionTime" && !(update_time && f == "lastUpdateTime") {
                        continue;
                    }
                    let t = same
                        .and_then(|o| o.get(f))
                        .cloned()
                        .unwrap_or_else(|| json!(now));
                    c[f] = t;
                }
                c
            })
            .collect(),
    )
}

pub(super) fn replicas(v: &Value) -> i64 {
    get_path(v, &["spec", "replicas"])
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

pub(super) fn generation(v: &Value) -> i64 {
    get_path(v, &["metadata", "generation"])
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

pub(super) fn deployment_status(v: &Value) -> Value {
    let n = replicas(v);
    let name = get_str(v, &["metadata", "name"]).unwrap_or_default();
    let rs = format!(
        "{name}-{}",
        short_hash(v.pointer("/spec/template").unwrap_or(&Value::Null))
    );
    let old = v.pointer("/status/conditions");
    let mode = annotation(v);
    let (conds, ready) = match mode {
        "rollout-stuck" | "image-pull-error" => (
            vec![
                cond(
                    "Available",
                    "False",
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.",
                ),
                if mode == "rollout-stuck" {
                    cond(
                        "Progressing",
                        "False",
                        "ProgressDeadlineExceeded",
                        &format!("ReplicaSet \"{rs}\" has timed out progressing."),
                    )
                } else {
                    cond(
                        "Progressing",
                        "True",
                        "ReplicaSetUpdated",
                        &format!("ReplicaSet \"{rs}\" is progressing."),
                    )
                },
            ],
            0,
        ),
        _ => (
            vec![
                cond(
                    "Available",
                    "True",
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.",
                ),
                cond(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    &format!("ReplicaSet \"{rs}\" has successfully progressed."),
                ),
            ],
            n,
        ),
    };
    let mut s = json!({
        "observedGeneration": generation(v),
        "replicas": n,
        "updatedReplicas": n,
        "conditions": stamp_conditions(old, conds, true),
    });
    if ready > 0 {
        s["readyReplicas"] = json!(ready);
        s["availableReplicas"] = json!(ready);
    }
    if n - ready > 0 {
        s["unavailableReplicas"] = json!(n - ready);
    }
    if n == 0
        && let Some(m) = s.as_object_mut()
    {
        {
            m.remove("replicas");
            m.remove("updatedReplicas");
        }
    }
    s
}

pub(super) fn statefulset_status(v: &Value) -> Value {
    let n = replicas(v);
    let failing = !annotation(v).is_empty();
    let ready = if failing { 0 } else { n };
    let rev = format!(
        "{}-{}",
        get_str(v, &["metadata", "name"]).unwrap_or_default(),
        short_hash(v.pointer("/spec/template").unwrap_or(&Value::Null))
    );
    let mut s = json!({
        "observedGeneration": generation(v),
        "replicas": n,
        "currentReplicas": n,
        "updatedReplicas": n,
        "currentRevision": rev,
        "updateRevision": rev,
        "collisionCount": 0,
        "availableReplicas": ready,
    });
    if ready > 0 {
        s["readyReplicas"] = json!(ready);
    }
    s
}

pub(super) fn daemonset_status(v: &Value) -> Value {
    let ready = i64::from(annotation(v).is_empty());
    json!({
        "observedGeneration": generation(v),
        "currentNumberScheduled": 1,
        "desiredNumberScheduled": 1,
        "numberMisscheduled": 0,
        "numberReady": ready,
        "numberAvailable": ready,
        "updatedNumberScheduled": 1,
    })
}

pub(super) fn replicaset_status(v: &Value) -> Value {
    let n = replicas(v);
    let ready = if annotation(v).is_empty() { n } else { 0 };
    let mut s =
        json!({"observedGeneration": generation(v), "replicas": n, "fullyLabeledReplicas": n});
    if ready > 0 {
        s["readyReplicas"] = json!(ready);
        s["availableReplicas"] = json!(ready);
    }
    s
}

pub(super) fn job_status(v: &Value) -> Option<Value> {
    if get_path(v, &["spec", "suspend"]).and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let old = v.get("status");
    let start = old
        .and_then(|s| s.get("startTime"))
        .cloned()
        .unwrap_or_else(|| json!(now_rfc3339()));
    let conds = v.pointer("/status/conditions");
    if annotation(v) == "job-fails" {
        let failed = get_path(v, &["spec", "backoffLimit"])
            .and_then(Value::as_i64)
            .unwrap_or(6)
            + 1;
        return Some(json!({
            "startTime": start,
            "failed": failed,
            "ready": 0,
            "terminating": 0,
            "uncountedTerminatedPods": {},
            "conditions": stamp_conditions(conds, vec![
                cond("FailureTarget", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
                cond("Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
            ], false),
        }));
    }
    let completions = get_path(v, &["spec", "completions"])
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let done = old
        .and_then(|s| s.get("completionTime"))
        .cloned()
        .unwrap_or_else(|| json!(now_rfc3339()));
    Some(json!({
        "startTime": start,
        "completionTime": done,
        "succeeded": completions,
        "ready": 0,
        "terminating": 0,
        "uncountedTerminatedPods": {},
        "conditions": stamp_conditions(conds, vec![
            cond("SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
            cond("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
        ], false),
    }))
}

pub(super) fn pod_status(v: &Value) -> Value {
    let failing = annotation(v) == "image-pull-error";
    let completes = v
        .pointer("/metadata/ownerReferences/0/kind")
        .and_then(Value::as_str)
        == Some("Job");
    let containers: Vec<Value> = v
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| (get_str(c, &["name"]).unwrap_or_default(), get_str(c, &["image"]).unwrap_or_default()))
        .map(|(n, i)| {
            if failing {
                json!({"name": n, "image": i, "ready": false, "started": false, "restartCount": 0, "imageID": "",
                    "state": {"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{i}\"")}}})
            } else if completes {
                json!({"name": n, "image": i, "ready": false, "started": false, "restartCount": 0, "imageID": i,
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}})
            } else {
                json!({"name": n, "image": i, "ready": true, "started": true, "restartCount": 0, "imageID": i,
                    "state": {"running": {"startedAt": "1970-01-01T00:00:00Z"}}})
            }
        })
        .collect();
    let ready = !failing && !completes;
    let phase = match (failing, completes) {
        (true, _) => "Pending",
        (false, true) => "Succeeded",
        (false, false) => "Running",
    };
    let status = |b: bool| if b { "True" } else { "False" };
    let old = v.pointer("/status/conditions");
    json!({
        "phase": phase,
        "podIP": "10.244.0.10",
        "hostIP": "10.0.0.1",
        "qosClass": "BestEffort",
        "conditions": stamp_conditions(old, vec![
            json!({"type": "PodScheduled", "status": "True"}),
            json!({"type": "Initialized", "status": "True"}),
            json!({"type": "ContainersReady", "status": status(ready)}),
            json!({"type": "Ready", "status": status(ready)}),
        ], false),
        "containerStatuses": containers,
    })
}
