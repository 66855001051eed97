//! Options of the cluster backends.

use std::time::Duration;

use gitops_core::diff::IgnoreRule;
use serde::{Deserialize, Serialize};

/// How often and how patiently to retry requests that may succeed later (429, 5xx, timeouts,
/// dropped connections, optimistic-lock conflicts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RetryPolicy {
    /// Attempts in all, the first included (default 6).
    pub attempts: u32,
    /// The first pause (default 100 ms); each next one doubles, up to `max_delay`.
    #[serde(with = "millis")]
    pub initial_delay: Duration,
    /// The longest pause (default 5 s).
    #[serde(with = "millis")]
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 6,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The pause before attempt `n` (counting from 1 for the first retry).
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.initial_delay
            .saturating_mul(factor)
            .min(self.max_delay)
    }
}

/// Options of a cluster backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BackendOptions {
    /// The server-side apply field manager whose fields diffs consider ours (default `gitops`;
    /// keep it equal to the field manager of the apply options).
    pub field_manager: String,
    /// Requests in flight at once within one stage (default 16).
    pub concurrency: usize,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// Delete and re-create every object whose update is refused for an immutable field (objects
    /// annotated `gitops.rs/replace: "true"` always are).
    pub replace_immutable: bool,
    /// Fields left out of diffs.
    pub ignore: Vec<IgnoreRule>,
    /// Always compare against a server-side dry-run, even when the live object visibly matches
    /// (exact but one request per object; the default shortcut is exact for objects whose live
    /// state contains every desired field and no field we stopped declaring).
    pub always_dry_run: bool,
    /// The namespace for namespaced objects that name none (default: the kubeconfig's).
    pub default_namespace: Option<String>,
    /// When at least this many desired objects of one kind and namespace are missing from the
    /// labelled lists (a first sync), list that namespace once instead of reading each (default
    /// 4). A controller with many applications per namespace sets it high: such lists return
    /// every object of the namespace, which costs memory and bandwidth.
    pub list_missing_at: usize,
    /// How long to wait for a CustomResourceDefinition applied in this run to be served.
    #[serde(with = "millis")]
    pub crd_ready_timeout: Duration,
}

impl Default for BackendOptions {
    fn default() -> Self {
        Self {
            field_manager: gitops_core::consts::FIELD_MANAGER.to_owned(),
            concurrency: 16,
            retry: RetryPolicy::default(),
            replace_immutable: false,
            ignore: Vec::new(),
            always_dry_run: false,
            default_namespace: None,
            list_missing_at: 4,
            crd_ready_timeout: Duration::from_secs(60),
        }
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let delays: Vec<u128> = (1..=8).map(|n| policy.delay(n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    }
}
