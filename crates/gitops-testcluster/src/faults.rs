//! Fault injection, changeable at run time: latency, error rates per verb, throttling
//! with `Retry-After`, stale-write conflicts and dropped watch connections.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::status::ApiError;

/// Faults in force; part of [`crate::Options`] and changeable through [`Faults`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct FaultConfig {
    /// Added to every request.
    pub latency: Duration,
    /// Probability (0..=1) of failing a request, by verb (`get`, `list`, `watch`,
    /// `create`, `update`, `patch`, `delete`, `deletecollection`, or `*`).
    pub error_rate: HashMap<String, f64>,
    /// Code of injected errors: 500 (default) or 503.
    pub error_code: u16,
    /// The next N requests get 429 Too Many Requests.
    pub throttle_next: u32,
    /// `Retry-After` seconds sent with 429.
    pub retry_after_secs: u64,
    /// The next N writes (update/patch) fail with a stale-object 409 Conflict.
    pub conflict_next_writes: u32,
}

/// Live fault controls, shared with the server.
#[derive(Debug)]
pub struct Faults {
    cfg: Mutex<FaultConfig>,
    watch_epoch: watch::Sender<u64>,
}

/// What the server should do about one request.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Sleep this long first.
    pub latency: Duration,
    /// Then fail with this, if set.
    pub error: Option<ApiError>,
}

impl Faults {
    /// Controls starting from a configuration.
    pub fn new(cfg: FaultConfig) -> Self {
        Self {
            cfg: Mutex::new(cfg),
            watch_epoch: watch::channel(0).0,
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut FaultConfig) -> R) -> R {
        f(&mut self.cfg.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The current configuration.
    pub fn config(&self) -> FaultConfig {
        self.with(|c| c.clone())
    }

    /// Replaces the configuration.
    pub fn set(&self, cfg: FaultConfig) {
        self.with(|c| *c = cfg);
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.set(FaultConfig::default());
    }

    /// Sets the latency added to every request.
    pub fn set_latency(&self, d: Duration) {
        self.with(|c| c.latency = d);
    }

    /// Sets the failure probability of a verb (`*` for all) and the code (500 or 503).
    pub fn set_error_rate(&self, verb: &str, rate: f64, code: u16) {
        self.with(|c| {
            c.error_rate.insert(verb.to_string(), rate.clamp(0.0, 1.0));
            c.error_code = code;
        });
    }

    /// The next `n` requests get 429 with `Retry-After: retry_after_secs`.
    pub fn throttle_next(&self, n: u32, retry_after_secs: u64) {
        self.with(|c| {
            c.throttle_next = n;
            c.retry_after_secs = retry_after_secs;
        });
    }

    /// The next `n` update/patch requests fail with a stale-object 409.
    pub fn conflict_next_writes(&self, n: u32) {
        self.with(|c| c.conflict_next_writes = n);
    }

    /// Closes every open watch connection now.
    pub fn drop_watches(&self) {
        self.watch_epoch.send_modify(|e| *e += 1);
    }

    /// Receiver that changes when watches must be dropped.
    pub fn watch_epoch(&self) -> watch::Receiver<u64> {
        self.watch_epoch.subscribe()
    }

    /// Decides the fate of a request.
    pub fn judge(&self, verb: &str, is_write: bool) -> Verdict {
        self.with(|c| {
            let mut v = Verdict {
                latency: c.latency,
                error: None,
            };
            if c.throttle_next > 0 {
                c.throttle_next -= 1;
                let mut e = ApiError::new(429, "TooManyRequests", "the server has received too many requests and has asked us to try again later");
                e.retry_after = Some(c.retry_after_secs.max(1));
                v.error = Some(e);
                return v;
            }
            let rate = c
                .error_rate
                .get(verb)
                .or_else(|| c.error_rate.get("*"))
                .copied()
                .unwrap_or(0.0);
            if rate > 0.0 && (crate::util::random_u64() % 1_000_000) as f64 / 1_000_000.0 < rate {
                v.error = Some(if c.error_code == 503 {
                    let mut e = ApiError::new(503, "ServiceUnavailable", "the server is currently unable to handle the request");
                    e.retry_after = Some(1);
                    e
                } else {
                    ApiError::internal("an error on the server (\"injected fault\") has prevented the request from succeeding")
                });
                return v;
            }
            if is_write && c.conflict_next_writes > 0 {
                c.conflict_next_writes -= 1;
                v.error = Some(ApiError::new(409, "Conflict", "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again"));
            }
            v
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_counts_down() {
        let f = Faults::new(FaultConfig::default());
        f.throttle_next(2, 3);
        assert_eq!(f.judge("get", false).error.unwrap().retry_after, Some(3));
        assert_eq!(f.judge("get", false).error.unwrap().code, 429);
        assert!(f.judge("get", false).error.is_none());
    }

    #[test]
    fn error_rate_per_verb() {
        let f = Faults::new(FaultConfig::default());
        f.set_error_rate("list", 1.0, 503);
        assert_eq!(f.judge("list", false).error.unwrap().code, 503);
        assert!(f.judge("get", false).error.is_none());
        f.conflict_next_writes(1);
        assert!(f.judge("get", false).error.is_none());
        assert_eq!(f.judge("patch", true).error.unwrap().code, 409);
        assert!(f.judge("patch", true).error.is_none());
    }
}
