//! The backends' error type.

use gitops_core::ObjectRef;
use gitops_core::cluster::ErrorClass;
use gitops_core::inventory::InventoryError;

/// Why a backend call failed as a whole. Each variant says what it was about.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// No usable kubeconfig or in-cluster configuration.
    #[error("cannot configure the Kubernetes client: {message}")]
    Config {
        /// What went wrong.
        message: String,
    },
    /// A kind that the cluster does not serve and no CRD in the set defines.
    #[error(
        "{object}: unknown kind {kind} in {api_version}: the cluster serves no such API and no CustomResourceDefinition in the set defines it"
    )]
    UnknownKind {
        /// The object of that kind.
        object: ObjectRef,
        /// Its apiVersion.
        api_version: String,
        /// Its kind.
        kind: String,
    },
    /// The API server refused a request.
    #[error("{what}: {message}")]
    Api {
        /// The request, e.g. `list Deployment.apps`.
        what: String,
        /// The HTTP status code.
        code: u16,
        /// The Kubernetes reason (`NotFound`, `Forbidden`, `TooManyRequests`, ...).
        reason: String,
        /// The server's message.
        message: String,
    },
    /// The API server could not be reached, or answered with something unreadable.
    #[error("{what}: {message}")]
    Connection {
        /// The request.
        what: String,
        /// What failed.
        message: String,
    },
    /// The inventory in the cluster is not ours or is damaged.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
}

impl Error {
    /// Wraps a kube-rs error with what the request was about.
    pub(crate) fn kube(what: impl Into<String>, error: &kube::Error) -> Self {
        let what = what.into();
        match error {
            kube::Error::Api(status) => Error::Api {
                what,
                code: status.code,
                reason: status.reason.clone(),
                message: status.message.clone(),
            },
            other => Error::Connection {
                what,
                message: other.to_string(),
            },
        }
    }

    /// The HTTP status code, for errors the API server returned.
    pub fn code(&self) -> Option<u16> {
        match self {
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl ErrorClass for Error {
    fn is_transient(&self) -> bool {
        match self {
            Error::Api { code, .. } => crate::retry::transient_code(*code),
            Error::Connection { .. } => true,
            Error::Config { .. } | Error::UnknownKind { .. } | Error::Inventory(_) => false,
        }
    }

    fn is_bad_input(&self) -> bool {
        matches!(self, Error::UnknownKind { .. })
            || matches!(
                self,
                Error::Api {
                    code: 400 | 422,
                    ..
                }
            )
    }
}
