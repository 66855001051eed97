//! Why a Git fetch failed.

use std::path::PathBuf;
use std::time::Duration;

/// An error of the Git source. Every variant names the URL (never with credentials), reference
/// or path it is about; [`Error::is_transient`] tells whether trying again later can help.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL could not be parsed.
    #[error("invalid repository URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL, without credentials.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL is refused because it could run commands or inject options.
    #[error("refusing repository URL {url:?}: {reason}")]
    UnsafeUrl {
        /// The URL, without credentials.
        url: String,
        /// Why it is refused.
        reason: String,
    },
    /// The reference could not be parsed.
    #[error("invalid reference {reference:?}: {reason}")]
    InvalidReference {
        /// The reference as given.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A sub-path that is absolute or leaves the repository.
    #[error("refusing path {path:?}: {reason}")]
    UnsafePath {
        /// The path as given.
        path: PathBuf,
        /// Why it is refused.
        reason: String,
    },
    /// Credentials were configured for a plain `http://` URL, where they would travel in clear
    /// text, without [`allow_insecure_http_credentials`](super::GitSourceOptions::allow_insecure_http_credentials).
    #[error(
        "refusing to send credentials in clear text to {url}: use https, or allow insecure http credentials"
    )]
    InsecureCredentials {
        /// The URL, without credentials.
        url: String,
    },
    /// The repository could not be reached (network, DNS, missing repository, failing server).
    #[error("repository {url} is unreachable: {source}")]
    Unreachable {
        /// The URL, without credentials.
        url: String,
        /// The underlying error.
        #[source]
        source: gix::Error,
    },
    /// The server asked for credentials and none were configured, or it refused them.
    #[error("authentication to {url} was refused{}: {source}", if *.had_credentials { " (credentials were rejected)" } else { " (no credentials configured)" })]
    AuthenticationRefused {
        /// The URL, without credentials.
        url: String,
        /// Whether credentials were offered.
        had_credentials: bool,
        /// The underlying error.
        #[source]
        source: gix::Error,
    },
    /// The branch or tag does not exist on the remote.
    #[error("{kind} {name:?} not found in {url}{}", suggestions_text(.suggestions))]
    RefNotFound {
        /// The URL, without credentials.
        url: String,
        /// `branch` or `tag`.
        kind: &'static str,
        /// The short name that was asked for.
        name: String,
        /// The closest existing branches or tags, closest first.
        suggestions: Vec<String>,
    },
    /// No tag's version is in the semver range.
    #[error("no tag of {url} matches the semver range {range:?}{}", latest_text(.latest))]
    NoMatchingTag {
        /// The URL, without credentials.
        url: String,
        /// The range.
        range: String,
        /// The highest versioned tags there are, highest first.
        latest: Vec<String>,
    },
    /// The commit is not in the repository (or not on the branch).
    #[error("commit {id} not found in {url}{}", .branch.as_ref().map(|b| format!(" (searched branch {b:?})")).unwrap_or_default())]
    CommitNotFound {
        /// The URL, without credentials.
        url: String,
        /// The commit id as given.
        id: String,
        /// The branch searched, if any.
        branch: Option<String>,
    },
    /// The sub-path does not exist in the fetched tree, or is not a directory.
    #[error("path {path:?} is not a directory in {revision}")]
    PathNotFound {
        /// The sub-path.
        path: PathBuf,
        /// The revision that was fetched.
        revision: String,
    },
    /// A symbolic link in the tree points outside the checkout (or is absolute).
    #[error(
        "refusing symlink {path:?} -> {target:?} at {revision}: it points outside the repository"
    )]
    UnsafeSymlink {
        /// The link, relative to the repository root.
        path: PathBuf,
        /// Where it points.
        target: PathBuf,
        /// The revision.
        revision: String,
    },
    /// A tree entry whose name could escape the checkout (`..`, `/`, NUL).
    #[error("refusing tree entry {name:?} in {parent:?} at {revision}")]
    UnsafeTreeEntry {
        /// The directory holding it.
        parent: PathBuf,
        /// The entry's name.
        name: String,
        /// The revision.
        revision: String,
    },
    /// The operation did not finish within the timeout.
    #[error("fetching {url} timed out after {after:?}")]
    Timeout {
        /// The URL, without credentials.
        url: String,
        /// The timeout.
        after: Duration,
    },
    /// The operation was cancelled (its future dropped, or interrupted).
    #[error("fetching {url} was cancelled")]
    Cancelled {
        /// The URL, without credentials.
        url: String,
    },
    /// The fetch failed for another reason (protocol error, corrupt data from the server).
    #[error("fetching {url} failed: {source}")]
    Fetch {
        /// The URL, without credentials.
        url: String,
        /// The underlying error.
        #[source]
        source: gix::Error,
    },
    /// The local cache repository could not be created, opened or read.
    #[error("cache repository {path:?}: {source}")]
    Repository {
        /// The cache repository.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: gix::Error,
    },
    /// A file-system operation failed.
    #[error("cannot {action} {path:?}: {source}")]
    Io {
        /// What was being done, e.g. `write`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// No cache directory was configured and none could be derived from the environment.
    #[error("no cache directory: set one in the options, or XDG_CACHE_HOME or HOME")]
    NoCacheDir,
    /// The blocking worker failed (it panicked).
    #[error("the Git worker thread failed: {0}")]
    Worker(String),
}

impl Error {
    /// Whether trying again later can help: the remote was unreachable, the operation timed out,
    /// or the server reported a temporary failure.
    ///
    /// ```
    /// use std::time::Duration;
    /// use gitops_source::git::Error;
    ///
    /// let timeout = Error::Timeout { url: "https://example.com/r".into(), after: Duration::from_secs(1) };
    /// assert!(timeout.is_transient());
    /// let missing = Error::RefNotFound {
    ///     url: "https://example.com/r".into(), kind: "branch", name: "mian".into(),
    ///     suggestions: vec!["main".into()],
    /// };
    /// assert!(!missing.is_transient());
    /// assert!(missing.to_string().contains("did you mean \"main\""));
    /// ```
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } | Self::Timeout { .. } => true,
            Self::Fetch { source, .. } => source.is_retryable(),
            Self::Io { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::Interrupted
                    | std::io::ErrorKind::TimedOut
                    | std::io::ErrorKind::WouldBlock
            ),
            _ => false,
        }
    }
}

fn suggestions_text(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!("; did you mean {one:?}?"),
        many => format!(
            "; did you mean one of {}?",
            many.iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn latest_text(latest: &[String]) -> String {
    if latest.is_empty() {
        "; the repository has no version tags".into()
    } else {
        format!("; highest version tags: {}", latest.join(", "))
    }
}
