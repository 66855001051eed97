//! The operator's error type.

/// Why a reconcile failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Kubernetes API refused or failed a request.
    #[error("{what}: {message}")]
    Kube {
        /// The request.
        what: String,
        /// What went wrong.
        message: String,
    },
    /// A spec that cannot work (bad reference, bad path).
    #[error("{0}")]
    Invalid(String),
    /// A source could not be fetched.
    #[error("{0}")]
    Source(String),
    /// The finalizer could not run.
    #[error("finalizer: {0}")]
    Finalizer(String),
}

impl Error {
    /// Wraps a kube-rs error with what the request was about.
    pub fn kube(what: impl Into<String>, error: &kube::Error) -> Self {
        let message = match error {
            kube::Error::Api(status) => format!("{} ({})", status.message, status.reason),
            other => other.to_string(),
        };
        Error::Kube {
            what: what.into(),
            message,
        }
    }
}
