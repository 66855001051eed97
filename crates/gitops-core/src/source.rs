//! [`Source`]: where desired state comes from (a Git repository, a local directory, a chart).

use std::path::PathBuf;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// The commit an artifact was built from, for audit logs and history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitInfo {
    /// The full commit id, in hex.
    pub id: String,
    /// The author's name.
    pub author: String,
    /// The author's e-mail address.
    pub email: String,
    /// The commit time, in seconds since the Unix epoch.
    pub time: i64,
    /// The commit message.
    pub message: String,
}

/// A directory tree of desired state, at a known revision.
///
/// Renderers read `root.join(path)` and never anything outside `root`: Kustomize overlays may
/// refer to `../base` within the repository, so `root` is the whole checkout and `path` the
/// directory to render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// The root of the tree; nothing outside it may be read.
    pub root: PathBuf,
    /// The directory to render, relative to `root` (empty for the root itself).
    pub path: PathBuf,
    /// The revision, e.g. `main@sha1:1a2b…` for Git, or a content digest for a directory.
    pub revision: String,
    /// The commit, for sources that have one.
    pub commit: Option<CommitInfo>,
}

impl Artifact {
    /// An artifact for a local directory with no revision history.
    pub fn local(root: impl Into<PathBuf>, revision: impl Into<String>) -> Self {
        Self {
            root: root.into(),
            path: PathBuf::new(),
            revision: revision.into(),
            commit: None,
        }
    }

    /// The directory to render: `root` joined with `path`.
    pub fn dir(&self) -> PathBuf {
        self.root.join(&self.path)
    }
}

/// Fetches desired state.
///
/// Implementations decide how cheaply they can tell that nothing changed (a Git source asks the
/// remote for its refs before transferring objects); callers compare [`Artifact::revision`].
///
/// ```
/// use async_trait::async_trait;
/// use gitops_core::{Artifact, Source};
///
/// /// A source that always serves one directory.
/// struct Fixed(std::path::PathBuf);
///
/// #[async_trait]
/// impl Source for Fixed {
///     type Error = std::convert::Infallible;
///     async fn fetch(&self) -> Result<Artifact, Self::Error> {
///         Ok(Artifact::local(self.0.clone(), "fixed"))
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let artifact = Fixed("examples/shop".into()).fetch().await.unwrap();
/// assert_eq!(artifact.revision, "fixed");
/// # });
/// ```
#[async_trait]
pub trait Source: Send + Sync {
    /// Why a fetch failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Fetches the current artifact.
    async fn fetch(&self) -> Result<Artifact, Self::Error>;
}
