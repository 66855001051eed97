//! kstatus-compliant conditions: `Ready`, `Reconciling`, `Stalled`.

use kube::api::{Api, Patch, PatchParams};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::context::Context;
use crate::crd::Condition;
use crate::error::Error;

/// Writes an object's status by server-side apply, unless it is what the object already has
/// (a steady state writes nothing).
pub async fn write<K, S>(
    ctx: &Context,
    object: &K,
    current: Option<&S>,
    status: S,
) -> Result<(), Error>
where
    K: Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug,
    S: Serialize + PartialEq,
{
    if current == Some(&status) {
        return Ok(());
    }
    let namespace = object.namespace().unwrap_or_default();
    let name = object.name_any();
    let kind = K::kind(&());
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    let patch =
        serde_json::json!({"apiVersion": K::api_version(&()), "kind": kind, "status": status});
    api.patch_status(
        &name,
        &PatchParams::apply(&ctx.settings.field_manager).force(),
        &Patch::Apply(&patch),
    )
    .await
    .map_err(|e| Error::kube(format!("update status of {kind} {namespace}/{name}"), &e))?;
    Ok(())
}

/// Now, RFC 3339 in UTC.
pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Seconds since the epoch as RFC 3339.
pub fn rfc3339(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// What an object's conditions say, in kstatus terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Done and healthy: Ready=True.
    Ready,
    /// Working on it: Reconciling=True, Ready=Unknown.
    Reconciling,
    /// Failed, will retry: Ready=False.
    Failed,
    /// Cannot progress without a change of spec: Stalled=True, Ready=False.
    Stalled,
}

/// The conditions for a state, keeping transition times of conditions that did not change.
pub fn conditions(
    previous: &[Condition],
    state: State,
    reason: &str,
    message: &str,
    generation: i64,
) -> Vec<Condition> {
    let (ready, reconciling, stalled) = match state {
        State::Ready => ("True", None, None),
        State::Reconciling => ("Unknown", Some("True"), None),
        State::Failed => ("False", None, None),
        State::Stalled => ("False", None, Some("True")),
    };
    let mut out = vec![condition(
        previous, "Ready", ready, reason, message, generation,
    )];
    if let Some(status) = reconciling {
        out.push(condition(
            previous,
            "Reconciling",
            status,
            reason,
            message,
            generation,
        ));
    }
    if let Some(status) = stalled {
        out.push(condition(
            previous, "Stalled", status, reason, message, generation,
        ));
    }
    out
}

fn condition(
    previous: &[Condition],
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    generation: i64,
) -> Condition {
    let last_transition_time = previous
        .iter()
        .find(|c| c.type_ == type_ && c.status == status)
        .map_or_else(now, |c| c.last_transition_time.clone());
    Condition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: reason.to_owned(),
        message: message.to_owned(),
        last_transition_time,
        observed_generation: generation,
    }
}

/// Whether the conditions say Ready=True.
pub fn is_ready(conditions: &[Condition]) -> bool {
    conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states() {
        let ready = conditions(&[], State::Ready, "ReconciliationSucceeded", "ok", 3);
        assert!(is_ready(&ready));
        assert_eq!(ready.len(), 1);
        let stalled = conditions(&ready, State::Stalled, "DependencyCycle", "a -> b -> a", 3);
        assert!(!is_ready(&stalled));
        assert!(
            stalled
                .iter()
                .any(|c| c.type_ == "Stalled" && c.status == "True")
        );
        // An unchanged condition keeps its transition time.
        let again = conditions(&ready, State::Ready, "ReconciliationSucceeded", "ok", 4);
        assert_eq!(again[0].last_transition_time, ready[0].last_transition_time);
    }

    #[test]
    fn times() {
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
