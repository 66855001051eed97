//! Health: is an object ready, still progressing, or failed? Pure functions, one per kind.
//!
//! The rules follow kstatus (the library behind `kubectl wait`/kpt) and Argo CD's health
//! checks: an object whose controller has not yet observed its latest generation is in
//! progress; workloads are current once every replica is updated, ready and available; Jobs once
//! complete; and any object with standard `Ready`/`Stalled` conditions is judged by them. Objects
//! without a status (ConfigMaps, Secrets, RBAC, …) are current as soon as they exist.
//!
//! ```
//! use gitops_core::health::{assess, Status};
//! use serde_json::json;
//!
//! let deployment = json!({
//!     "apiVersion": "apps/v1", "kind": "Deployment",
//!     "metadata": {"name": "web", "generation": 2},
//!     "spec": {"replicas": 3},
//!     "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3,
//!                "readyReplicas": 2, "availableReplicas": 2},
//! });
//! let health = assess(&deployment);
//! assert_eq!(health.status, Status::InProgress);
//! assert_eq!(health.message, "2 of 3 replicas available");
//! ```

mod rules;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The health of one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Status {
    /// Ready: the object is what its spec asks for.
    Current,
    /// Still changing towards its spec.
    InProgress,
    /// Will not become ready without intervention.
    Failed,
    /// Cannot be told (absent, or a status this code does not understand).
    Unknown,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Current => "Current",
            Status::InProgress => "InProgress",
            Status::Failed => "Failed",
            Status::Unknown => "Unknown",
        })
    }
}

/// A status and the reason for it, for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// The status.
    pub status: Status,
    /// Why, e.g. `2 of 3 replicas available`; empty when current without remark.
    pub message: String,
}

impl Health {
    /// Current, with no remark.
    pub fn current() -> Self {
        Self::new(Status::Current, "")
    }

    /// A status with a message.
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.status)
        } else {
            write!(f, "{}: {}", self.status, self.message)
        }
    }
}

/// The health of a live object (its manifest as the cluster returns it, with status).
pub fn assess(object: &Value) -> Health {
    rules::assess(object)
}

#[cfg(test)]
mod tests;
