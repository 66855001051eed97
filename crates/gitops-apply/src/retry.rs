//! Retries of requests that may succeed later.

use std::future::Future;
use std::time::Duration;

use crate::options::RetryPolicy;

/// HTTP codes worth retrying: throttling and server-side failures.
pub(crate) fn transient_code(code: u16) -> bool {
    matches!(code, 429 | 500 | 502 | 503 | 504)
}

/// A server-side apply conflict with another field manager (not worth retrying).
pub(crate) fn is_field_conflict(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) if status.code == 409 => status
            .details
            .as_ref()
            .is_some_and(|d| d.causes.iter().any(|c| c.reason == "FieldManagerConflict")),
        _ => false,
    }
}

/// Whether a kube-rs error may go away by itself.
pub(crate) fn is_transient(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) => {
            transient_code(status.code) || (status.code == 409 && !is_field_conflict(error))
        }
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_) => true,
        _ => false,
    }
}

/// The pause the server asked for, if any (`Retry-After`, in `Status.details`).
fn server_delay(error: &kube::Error) -> Option<Duration> {
    match error {
        kube::Error::Api(status) => status
            .details
            .as_ref()
            .map(|d| d.retry_after_seconds)
            .filter(|s| *s > 0)
            .map(|s| Duration::from_secs(u64::from(s))),
        _ => None,
    }
}

/// Runs `request` until it succeeds, fails for good, or the attempts run out.
pub(crate) async fn retry<T, F, Fut>(policy: &RetryPolicy, mut request: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let mut attempt = 1;
    loop {
        match request().await {
            Ok(value) => return Ok(value),
            Err(error) if attempt < policy.attempts && is_transient(&error) => {
                let delay = server_delay(&error)
                    .map_or_else(|| policy.delay(attempt), |d| d.min(policy.max_delay));
                tracing::debug!(attempt, ?delay, %error, "retrying");
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::Status;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn api(code: u16) -> kube::Error {
        let mut status = Status::failure("x", "Reason");
        status.code = code;
        kube::Error::Api(Box::new(status))
    }

    #[tokio::test]
    async fn retries_transient_then_succeeds() {
        let calls = AtomicU32::new(0);
        let policy = RetryPolicy {
            initial_delay: Duration::from_millis(1),
            ..RetryPolicy::default()
        };
        let result = retry(&policy, || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(api(503)),
                1 => Err(api(429)),
                _ => Ok(7),
            }
        })
        .await;
        assert_eq!(result.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn permanent_errors_are_not_retried() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retry(&RetryPolicy::default(), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(api(422))
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn attempts_are_bounded() {
        let calls = AtomicU32::new(0);
        let policy = RetryPolicy {
            attempts: 3,
            initial_delay: Duration::from_millis(1),
            ..RetryPolicy::default()
        };
        let result: Result<(), _> = retry(&policy, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(api(500))
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }
}
