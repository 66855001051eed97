//! Push webhooks: GitHub (HMAC-SHA256 signature), GitLab (token header) and generic hooks
//! (bearer token), each checked against the GitRepository's `webhookSecretRef` token.

use hmac::{KeyInit, Mac};
use sha2::Sha256;

/// Who sent a hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// GitHub (`X-Hub-Signature-256`).
    GitHub,
    /// GitLab (`X-Gitlab-Token`).
    GitLab,
    /// Anything else (`Authorization: Bearer`).
    Generic,
}

/// Why a hook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No signature or token.
    #[error("no signature or token")]
    Missing,
    /// A signature or token that does not match.
    #[error("signature or token does not match")]
    Mismatch,
}

fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a hook; `header` reads a request header by lower-case name.
pub fn verify<'a>(
    header: impl Fn(&str) -> Option<&'a str>,
    body: &[u8],
    token: &str,
) -> Result<Sender, Refusal> {
    if let Some(signature) = header("x-hub-signature-256") {
        let given = signature.strip_prefix("sha256=").ok_or(Refusal::Mismatch)?;
        let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(token.as_bytes())
            .map_err(|_| Refusal::Mismatch)?;
        mac.update(body);
        let expected = hex(&mac.finalize().into_bytes());
        return if equal(expected.as_bytes(), given.to_ascii_lowercase().as_bytes()) {
            Ok(Sender::GitHub)
        } else {
            Err(Refusal::Mismatch)
        };
    }
    if let Some(given) = header("x-gitlab-token") {
        return if equal(given.as_bytes(), token.as_bytes()) {
            Ok(Sender::GitLab)
        } else {
            Err(Refusal::Mismatch)
        };
    }
    if let Some(given) = header("authorization").and_then(|a| a.strip_prefix("Bearer ")) {
        return if equal(given.as_bytes(), token.as_bytes()) {
            Ok(Sender::Generic)
        } else {
            Err(Refusal::Mismatch)
        };
    }
    Err(Refusal::Missing)
}

/// Whether the hook announces new commits (GitHub pings and other events do not).
pub fn is_push<'a>(sender: Sender, header: impl Fn(&str) -> Option<&'a str>) -> bool {
    match sender {
        Sender::GitHub => header("x-github-event").is_none_or(|e| e == "push"),
        Sender::GitLab => {
            header("x-gitlab-event").is_none_or(|e| e == "Push Hook" || e == "Tag Push Hook")
        }
        Sender::Generic => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }

    #[test]
    fn github_signatures() {
        // HMAC-SHA256("secret", "{}") as GitHub computes it.
        let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(b"secret").unwrap();
        mac.update(b"{}");
        let signature = format!("sha256={}", hex(&mac.finalize().into_bytes()));
        assert_eq!(
            verify(
                headers(&[("x-hub-signature-256", &signature)]),
                b"{}",
                "secret"
            ),
            Ok(Sender::GitHub)
        );
        assert_eq!(
            verify(
                headers(&[("x-hub-signature-256", &signature)]),
                b"{ }",
                "secret"
            ),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            verify(
                headers(&[("x-hub-signature-256", &signature)]),
                b"{}",
                "other"
            ),
            Err(Refusal::Mismatch)
        );
        assert!(!is_push(
            Sender::GitHub,
            headers(&[("x-github-event", "ping")])
        ));
    }

    #[test]
    fn tokens() {
        assert_eq!(
            verify(headers(&[("x-gitlab-token", "t")]), b"", "t"),
            Ok(Sender::GitLab)
        );
        assert_eq!(
            verify(headers(&[("authorization", "Bearer t")]), b"", "t"),
            Ok(Sender::Generic)
        );
        assert_eq!(
            verify(headers(&[("authorization", "Bearer x")]), b"", "t"),
            Err(Refusal::Mismatch)
        );
        assert_eq!(verify(headers(&[]), b"", "t"), Err(Refusal::Missing));
    }
}
