//! Notifications: JSON events (or Slack messages) posted to webhooks, never blocking the loop.
//!
//! Events are queued and delivered by a background task with retries and backoff; a full
//! queue drops the newest event with a warning, and a failed delivery is logged, never fatal.
//! Payloads name objects and counts, never object contents, so no secret value can leak.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use gitops_core::CommitInfo;
use gitops_core::inventory::SyncCounts;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EventKind {
    /// A sync applied changes.
    SyncSucceeded,
    /// A sync failed (bad input, apply failure, cluster error).
    SyncFailed,
    /// Live objects differ from Git.
    DriftDetected,
    /// Drift was reverted.
    DriftHealed,
    /// Objects are failed or not ready after the wait.
    HealthDegraded,
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EventKind::SyncSucceeded => "sync succeeded",
            EventKind::SyncFailed => "sync failed",
            EventKind::DriftDetected => "drift detected",
            EventKind::DriftHealed => "drift healed",
            EventKind::HealthDegraded => "health degraded",
        })
    }
}

/// An object that is failing, for the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failing {
    /// The object, `Kind[.group]/[namespace/]name`.
    pub object: String,
    /// Why.
    pub message: String,
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The sync's name.
    pub name: String,
    /// What happened.
    pub kind: EventKind,
    /// The source revision.
    pub revision: String,
    /// The commit, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitInfo>,
    /// What the sync did.
    pub counts: SyncCounts,
    /// Objects that failed or drifted.
    pub failing: Vec<Failing>,
    /// A one-line summary.
    pub message: String,
    /// When, in seconds since the Unix epoch.
    pub time: i64,
}

impl Event {
    /// The Slack message text.
    pub fn slack_text(&self) -> String {
        let icon = match self.kind {
            EventKind::SyncSucceeded | EventKind::DriftHealed => ":white_check_mark:",
            EventKind::SyncFailed | EventKind::HealthDegraded => ":x:",
            EventKind::DriftDetected => ":warning:",
        };
        let mut text = format!(
            "{icon} *{}* {}: {} at `{}`",
            self.name, self.kind, self.message, self.revision
        );
        for failing in self.failing.iter().take(10) {
            text.push_str(&format!("\n• `{}`: {}", failing.object, failing.message));
        }
        if self.failing.len() > 10 {
            text.push_str(&format!("\n… and {} more", self.failing.len() - 10));
        }
        text
    }
}

/// Where events go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A generic webhook: the event as JSON.
    Webhook(String),
    /// A Slack incoming webhook: `{"text": …}`.
    Slack(String),
}

/// A notification URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid notification URL {url:?}: expected http://, https:// or slack+https://")]
pub struct TargetError {
    /// The URL as given.
    pub url: String,
}

impl FromStr for Target {
    type Err = TargetError;

    /// `slack+https://…` or a `hooks.slack.com` URL is Slack; other http(s) URLs are webhooks.
    fn from_str(url: &str) -> Result<Self, TargetError> {
        if let Some(rest) = url.strip_prefix("slack+") {
            if rest.starts_with("https://") || rest.starts_with("http://") {
                return Ok(Target::Slack(rest.to_owned()));
            }
        } else if url.starts_with("https://hooks.slack.com/") {
            return Ok(Target::Slack(url.to_owned()));
        } else if url.starts_with("https://") || url.starts_with("http://") {
            return Ok(Target::Webhook(url.to_owned()));
        }
        Err(TargetError {
            url: url.to_owned(),
        })
    }
}

impl Target {
    fn url(&self) -> &str {
        match self {
            Target::Webhook(url) | Target::Slack(url) => url,
        }
    }

    /// The URL without any query or credentials, for logs.
    fn shown(&self) -> String {
        let url = self.url();
        let url = url.split(['?', '#']).next().unwrap_or(url);
        match url.split_once("://") {
            Some((scheme, rest)) => {
                let host_path = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
                // Slack hook paths are secrets.
                let host = host_path.split('/').next().unwrap_or(host_path);
                format!("{scheme}://{host}/…")
            }
            None => "…".to_owned(),
        }
    }

    fn body(&self, event: &Event) -> String {
        match self {
            Target::Webhook(_) => serde_json::to_string(event).unwrap_or_default(),
            Target::Slack(_) => serde_json::json!({"text": event.slack_text()}).to_string(),
        }
    }
}

/// Delivery settings.
#[derive(Debug, Clone)]
pub struct NotifyOptions {
    /// Attempts per event and target (default 4).
    pub attempts: u32,
    /// The first pause between attempts, doubling (default 500 ms).
    pub backoff: Duration,
    /// Each request's timeout (default 10 s).
    pub timeout: Duration,
    /// Events waiting to be sent before new ones are dropped (default 100).
    pub queue: usize,
}

impl Default for NotifyOptions {
    fn default() -> Self {
        Self {
            attempts: 4,
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(10),
            queue: 100,
        }
    }
}

/// Sends events to targets in the background.
pub struct Notifier {
    sender: Option<mpsc::Sender<Event>>,
    worker: Option<JoinHandle<()>>,
}

impl Notifier {
    /// A notifier that sends nowhere.
    pub fn none() -> Self {
        Self {
            sender: None,
            worker: None,
        }
    }

    /// A notifier posting to `targets`; spawns its delivery task on the current runtime.
    pub fn new(targets: Vec<Target>, options: NotifyOptions) -> Self {
        if targets.is_empty() {
            return Self::none();
        }
        crate::tls::install_provider();
        let client = reqwest::Client::builder()
            .timeout(options.timeout)
            .build()
            .ok();
        let (sender, mut receiver) = mpsc::channel::<Event>(options.queue.max(1));
        let worker = tokio::spawn(async move {
            let Some(client) = client else {
                tracing::warn!("notifications disabled: no HTTP client");
                return;
            };
            while let Some(event) = receiver.recv().await {
                for target in &targets {
                    deliver(&client, target, &event, &options).await;
                }
            }
        });
        Self {
            sender: Some(sender),
            worker: Some(worker),
        }
    }

    /// Queues an event; never waits.
    pub fn notify(&self, event: Event) {
        if let Some(sender) = &self.sender
            && let Err(e) = sender.try_send(event)
        {
            tracing::warn!(error = %e, "notification dropped: queue full or closed");
        }
    }

    /// Stops accepting events and waits up to `timeout` for queued ones to be delivered.
    pub async fn flush(mut self, timeout: Duration) {
        self.sender.take();
        if let Some(worker) = self.worker.take()
            && tokio::time::timeout(timeout, worker).await.is_err()
        {
            tracing::warn!("notifications still pending at exit were dropped");
        }
    }
}

async fn deliver(
    client: &reqwest::Client,
    target: &Target,
    event: &Event,
    options: &NotifyOptions,
) {
    let body = target.body(event);
    let mut pause = options.backoff;
    for attempt in 1..=options.attempts.max(1) {
        let sent = client
            .post(target.url())
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                tracing::debug!(target = %target.shown(), kind = %event.kind, "notification delivered");
                return;
            }
            Ok(response) => {
                tracing::warn!(target = %target.shown(), status = %response.status(), attempt, "notification refused");
            }
            Err(e) => {
                tracing::warn!(target = %target.shown(), error = %e.without_url(), attempt, "notification failed");
            }
        }
        if attempt < options.attempts {
            tokio::time::sleep(pause).await;
            pause = pause.saturating_mul(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            "https://example.com/hook".parse(),
            Ok(Target::Webhook("https://example.com/hook".into()))
        );
        assert_eq!(
            "slack+https://example.com/x".parse(),
            Ok(Target::Slack("https://example.com/x".into()))
        );
        assert!(matches!(
            "https://hooks.slack.com/services/T/B/X".parse(),
            Ok(Target::Slack(_))
        ));
        assert!("ftp://x".parse::<Target>().is_err());
        assert!("slack+ftp://x".parse::<Target>().is_err());
    }

    #[test]
    fn logs_never_show_secret_paths() {
        let target: Target = "https://user:pw@hooks.slack.com/services/T/B/SECRET?x=1"
            .parse()
            .unwrap();
        let shown = target.shown();
        assert!(
            !shown.contains("SECRET") && !shown.contains("pw"),
            "{shown}"
        );
    }

    #[test]
    fn slack_text_lists_failures() {
        let event = Event {
            name: "shop".into(),
            kind: EventKind::SyncFailed,
            revision: "main@sha1:abc".into(),
            commit: None,
            counts: SyncCounts::default(),
            failing: vec![Failing {
                object: "Deployment.apps/shop/web".into(),
                message: "boom".into(),
            }],
            message: "apply failed".into(),
            time: 0,
        };
        let text = event.slack_text();
        assert!(
            text.starts_with(":x: *shop* sync failed: apply failed at `main@sha1:abc`"),
            "{text}"
        );
        assert!(text.contains("`Deployment.apps/shop/web`: boom"));
    }
}
