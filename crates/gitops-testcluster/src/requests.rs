//! The request log and counters by verb and resource.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

/// One served request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path without query.
    pub path: String,
    /// Kubernetes verb (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
    /// `deletecollection`) or `discovery`/`openapi`/`other` for non-resource URLs.
    pub verb: String,
    /// API group.
    pub group: String,
    /// Plural resource ("" for non-resource URLs).
    pub resource: String,
    /// Subresource ("" when none).
    pub subresource: String,
    /// Namespace ("" when none).
    pub namespace: String,
    /// Object name ("" when none).
    pub name: String,
    /// Response code.
    pub code: u16,
    /// Authenticated (or impersonated) user.
    pub user: String,
    /// User-Agent.
    pub user_agent: String,
}

/// Request log with a bounded number of kept records and unbounded counters.
#[derive(Debug, Default)]
pub struct RequestLog {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    records: Vec<RequestRecord>,
    counters: BTreeMap<(String, String), u64>,
}

const KEEP: usize = 100_000;

impl RequestLog {
    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Records a request.
    pub fn push(&self, r: RequestRecord) {
        self.with(|i| {
            let res = if r.subresource.is_empty() {
                r.resource.clone()
            } else {
                format!("{}/{}", r.resource, r.subresource)
            };
            *i.counters.entry((r.verb.clone(), res)).or_default() += 1;
            if i.records.len() < KEEP {
                i.records.push(r);
            }
        });
    }

    /// The kept records, oldest first.
    pub fn records(&self) -> Vec<RequestRecord> {
        self.with(|i| i.records.clone())
    }

    /// Counts by `(verb, resource[/subresource])`.
    pub fn counters(&self) -> BTreeMap<(String, String), u64> {
        self.with(|i| i.counters.clone())
    }

    /// Count of one verb on one resource (`"*"` for any resource).
    pub fn count(&self, verb: &str, resource: &str) -> u64 {
        self.with(|i| {
            i.counters
                .iter()
                .filter(|((v, r), _)| v == verb && (resource == "*" || r == resource))
                .map(|(_, n)| n)
                .sum()
        })
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.with(|i| *i = Inner::default());
    }
}
