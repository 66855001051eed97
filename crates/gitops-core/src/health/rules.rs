//! The rules, one function per kind, chosen from one table.

use serde_json::Value;

use super::{Health, Status};

type Rule = fn(&Value) -> Health;

/// `(group, kind, rule)`; kinds not listed use [`generic`].
const RULES: &[(&str, &str, Rule)] = &[
    ("apps", "Deployment", deployment),
    ("apps", "StatefulSet", stateful_set),
    ("apps", "DaemonSet", daemon_set),
    ("apps", "ReplicaSet", replica_set),
    ("batch", "Job", job),
    ("", "Pod", pod),
    ("", "PersistentVolumeClaim", pvc),
    ("", "Service", service),
    ("", "Namespace", namespace),
    ("apiextensions.k8s.io", "CustomResourceDefinition", crd),
];

pub(super) fn assess(object: &Value) -> Health {
    if object["metadata"]["deletionTimestamp"].is_string() {
        return Health::new(Status::InProgress, "being deleted");
    }
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let group = api_version.split_once('/').map_or("", |(g, _)| g);
    let kind = object["kind"].as_str().unwrap_or_default();
    if let Some(pending) = generation_pending(object) {
        return pending;
    }
    let rule = RULES
        .iter()
        .find(|(g, k, _)| *k == kind && (*g == group || group == "extensions"))
        .map_or(generic as Rule, |(_, _, rule)| *rule);
    rule(object)
}

fn int(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
}

/// The controller has not yet seen the latest spec.
fn generation_pending(object: &Value) -> Option<Health> {
    let generation = int(&object["metadata"]["generation"])?;
    let observed = int(&object["status"]["observedGeneration"])?;
    (observed < generation).then(|| {
        Health::new(
            Status::InProgress,
            format!("generation {generation} not yet observed (observed {observed})"),
        )
    })
}

/// A condition of `status.conditions` by type.
fn condition<'a>(object: &'a Value, kind: &str) -> Option<&'a Value> {
    object["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

fn is_true(condition: Option<&Value>) -> Option<bool> {
    condition
        .and_then(|c| c["status"].as_str())
        .map(|s| s == "True")
}

fn reason_message(condition: &Value) -> String {
    let reason = condition["reason"].as_str().unwrap_or_default();
    let message = condition["message"].as_str().unwrap_or_default();
    match (reason.is_empty(), message.is_empty()) {
        (false, false) => format!("{reason}: {message}"),
        (false, true) => reason.to_owned(),
        _ => message.to_owned(),
    }
}

/// `desired` replicas from `spec.replicas` (default 1).
fn spec_replicas(object: &Value) -> i64 {
    int(&object["spec"]["replicas"]).unwrap_or(1)
}

fn status_int(object: &Value, field: &str) -> i64 {
    int(&object["status"][field]).unwrap_or(0)
}

fn has_status(object: &Value) -> bool {
    object["status"].as_object().is_some_and(|s| !s.is_empty())
}

/// In progress at the first count below `want` (`{have} of {want} {unit} {what}`), else current.
fn counts(want: i64, unit: &str, checks: &[(i64, &str)]) -> Health {
    checks
        .iter()
        .find(|(have, _)| *have < want)
        .map_or_else(Health::current, |(have, what)| {
            Health::new(
                Status::InProgress,
                format!("{have} of {want} {unit} {what}"),
            )
        })
}

fn deployment(object: &Value) -> Health {
    if let Some(progressing) = condition(object, "Progressing")
        && progressing["reason"] == "ProgressDeadlineExceeded"
    {
        return Health::new(Status::Failed, reason_message(progressing));
    }
    if object["spec"]["paused"] == true {
        return Health::new(Status::InProgress, "rollout paused");
    }
    if !has_status(object) {
        return Health::new(Status::InProgress, "no status yet");
    }
    let want = spec_replicas(object);
    let updated = status_int(object, "updatedReplicas");
    let total = status_int(object, "replicas");
    let available = status_int(object, "availableReplicas");
    let ready = status_int(object, "readyReplicas");
    if updated < want {
        return counts(want, "replicas", &[(updated, "updated")]);
    }
    if total > updated {
        return Health::new(
            Status::InProgress,
            format!("{} old replicas pending termination", total - updated),
        );
    }
    counts(
        want,
        "replicas",
        &[(available, "available"), (ready, "ready")],
    )
}

fn stateful_set(object: &Value) -> Health {
    if !has_status(object) {
        return Health::new(Status::InProgress, "no status yet");
    }
    let want = spec_replicas(object);
    let ready = status_int(object, "readyReplicas");
    if ready < want {
        return Health::new(
            Status::InProgress,
            format!("{ready} of {want} replicas ready"),
        );
    }
    let rolling = object["spec"]["updateStrategy"]["type"]
        .as_str()
        .is_none_or(|t| t == "RollingUpdate");
    if rolling {
        let partition =
            int(&object["spec"]["updateStrategy"]["rollingUpdate"]["partition"]).unwrap_or(0);
        let updated = status_int(object, "updatedReplicas");
        if updated < want - partition {
            return Health::new(
                Status::InProgress,
                format!("{updated} of {} replicas updated", want - partition),
            );
        }
        let current = object["status"]["currentRevision"].as_str();
        let update = object["status"]["updateRevision"].as_str();
        if partition == 0 && current.is_some() && update.is_some() && current != update {
            return Health::new(Status::InProgress, "rolling update in progress");
        }
    }
    Health::current()
}

fn daemon_set(object: &Value) -> Health {
    if !has_status(object) {
        return Health::new(Status::InProgress, "no status yet");
    }
    let want = status_int(object, "desiredNumberScheduled");
    let updated = status_int(object, "updatedNumberScheduled");
    let available = status_int(object, "numberAvailable");
    let ready = status_int(object, "numberReady");
    counts(
        want,
        "pods",
        &[
            (updated, "updated"),
            (available, "available"),
            (ready, "ready"),
        ],
    )
}

fn replica_set(object: &Value) -> Health {
    if let Some(failure) = condition(object, "ReplicaFailure")
        && is_true(Some(failure)) == Some(true)
    {
        return Health::new(Status::Failed, reason_message(failure));
    }
    let want = spec_replicas(object);
    let available = status_int(object, "availableReplicas");
    let ready = status_int(object, "readyReplicas");
    counts(
        want,
        "replicas",
        &[(available, "available"), (ready, "ready")],
    )
}

fn job(object: &Value) -> Health {
    if let Some(failed) = condition(object, "Failed")
        && is_true(Some(failed)) == Some(true)
    {
        return Health::new(Status::Failed, reason_message(failed));
    }
    if is_true(condition(object, "Complete")) == Some(true) {
        return Health::current();
    }
    if object["spec"]["suspend"] == true {
        return Health::new(Status::InProgress, "suspended");
    }
    let succeeded = status_int(object, "succeeded");
    let completions = int(&object["spec"]["completions"]).unwrap_or(1);
    Health::new(
        Status::InProgress,
        format!("{succeeded} of {completions} completions"),
    )
}

/// Waiting reasons of containers that will not resolve by themselves.
const BROKEN_WAITING: &[&str] = &[
    "ImagePullBackOff",
    "ErrImagePull",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "InvalidImageName",
];

fn pod(object: &Value) -> Health {
    let statuses = object["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            object["status"]["initContainerStatuses"]
                .as_array()
                .into_iter()
                .flatten(),
        );
    for status in statuses {
        let waiting = &status["state"]["waiting"];
        if let Some(reason) = waiting["reason"].as_str()
            && BROKEN_WAITING.contains(&reason)
        {
            let name = status["name"].as_str().unwrap_or_default();
            return Health::new(Status::Failed, format!("container {name}: {reason}"));
        }
    }
    match object["status"]["phase"].as_str() {
        Some("Succeeded") => Health::current(),
        Some("Failed") => Health::new(
            Status::Failed,
            object["status"]["reason"].as_str().unwrap_or("pod failed"),
        ),
        Some("Running") if is_true(condition(object, "Ready")) == Some(true) => Health::current(),
        Some(phase) => Health::new(Status::InProgress, format!("phase {phase}")),
        None => Health::new(Status::InProgress, "no status yet"),
    }
}

fn pvc(object: &Value) -> Health {
    match object["status"]["phase"].as_str() {
        Some("Bound") => Health::current(),
        Some("Lost") => Health::new(Status::Failed, "claim lost its volume"),
        Some(phase) => Health::new(Status::InProgress, format!("phase {phase}")),
        None => Health::new(Status::InProgress, "not bound yet"),
    }
}

fn service(object: &Value) -> Health {
    if object["spec"]["type"] != "LoadBalancer" {
        return Health::current();
    }
    let has_ingress = object["status"]["loadBalancer"]["ingress"]
        .as_array()
        .is_some_and(|i| !i.is_empty());
    if has_ingress {
        Health::current()
    } else {
        Health::new(Status::InProgress, "waiting for a load balancer address")
    }
}

fn namespace(object: &Value) -> Health {
    match object["status"]["phase"].as_str() {
        Some("Terminating") => Health::new(Status::InProgress, "terminating"),
        _ => Health::current(),
    }
}

fn crd(object: &Value) -> Health {
    if let Some(names) = condition(object, "NamesAccepted")
        && is_true(Some(names)) == Some(false)
    {
        return Health::new(Status::Failed, reason_message(names));
    }
    if is_true(condition(object, "Established")) == Some(true) {
        Health::current()
    } else {
        Health::new(Status::InProgress, "not established yet")
    }
}

/// Any other kind: standard conditions, else current.
fn generic(object: &Value) -> Health {
    if let Some(stalled) = condition(object, "Stalled")
        && is_true(Some(stalled)) == Some(true)
    {
        return Health::new(Status::Failed, reason_message(stalled));
    }
    if let Some(reconciling) = condition(object, "Reconciling")
        && is_true(Some(reconciling)) == Some(true)
    {
        return Health::new(Status::InProgress, reason_message(reconciling));
    }
    match condition(object, "Ready") {
        Some(ready) if is_true(Some(ready)) == Some(true) => Health::current(),
        Some(ready) if ready["status"] == "False" => {
            Health::new(Status::InProgress, reason_message(ready))
        }
        Some(ready) => Health::new(Status::Unknown, reason_message(ready)),
        None => Health::current(),
    }
}
