//! Alerts: an Application's events go to the Providers of the Alerts that select them, through
//! the CLI's notifier (non-blocking, retried).

use std::collections::HashMap;
use std::sync::Mutex;

use gitops_agent::{Event, Notifier, NotifyOptions, Target};
use kube::api::{Api, ListParams};

use crate::crd::{Alert, Provider};
use crate::source::secret_data;

/// Sends events to providers, one notifier per address.
#[derive(Default)]
pub struct Dispatcher {
    notifiers: Mutex<HashMap<String, Notifier>>,
}

fn wanted(alert: &Alert, app: &str, kind: &str) -> bool {
    let sources = alert
        .spec
        .event_sources
        .iter()
        .any(|s| s.kind == "Application" && (s.name == "*" || s.name == app));
    let events = alert.spec.events.is_empty() || alert.spec.events.iter().any(|e| e == kind);
    sources && events
}

impl Dispatcher {
    /// Sends each event to the providers of the Alerts in `namespace` that select it.
    /// Failures are logged: alerts never fail a reconcile.
    pub async fn dispatch(&self, client: &kube::Client, namespace: &str, events: &[Event]) {
        if events.is_empty() {
            return;
        }
        let alerts: Api<Alert> = Api::namespaced(client.clone(), namespace);
        let alerts = match alerts.list(&ListParams::default()).await {
            Ok(list) => list.items,
            Err(e) => {
                tracing::warn!(namespace, error = %e, "cannot list Alerts");
                return;
            }
        };
        for event in events {
            let kind = serde_json::to_value(event.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            for alert in alerts.iter().filter(|a| wanted(a, &event.name, &kind)) {
                match address(client, namespace, &alert.spec.provider_ref.name).await {
                    Ok(target) => self.send(target, event.clone()),
                    Err(e) => {
                        tracing::warn!(namespace, provider = %alert.spec.provider_ref.name, error = %e, "alert not sent")
                    }
                }
            }
        }
    }

    fn send(&self, target: Target, event: Event) {
        let key = format!("{target:?}");
        let mut notifiers = self
            .notifiers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        notifiers
            .entry(key)
            .or_insert_with(|| Notifier::new(vec![target], NotifyOptions::default()))
            .notify(event);
    }
}

/// The target of a Provider.
async fn address(client: &kube::Client, namespace: &str, name: &str) -> Result<Target, String> {
    let providers: Api<Provider> = Api::namespaced(client.clone(), namespace);
    let provider = providers.get(name).await.map_err(|e| e.to_string())?;
    let address = match (&provider.spec.address, &provider.spec.secret_ref) {
        (Some(address), _) => address.clone(),
        (None, Some(secret)) => secret_data(client, namespace, &secret.name)
            .await
            .map_err(|e| e.to_string())?
            .remove("address")
            .ok_or("the provider's Secret has no `address`")?,
        (None, None) => return Err("the provider has no address".to_owned()),
    };
    match provider.spec.type_.as_str() {
        "slack" => Ok(Target::Slack(address)),
        "generic" => address
            .parse()
            .map_err(|e: gitops_agent::notify::TargetError| e.to_string()),
        other => Err(format!(
            "unknown provider type {other:?} (generic or slack)"
        )),
    }
}
