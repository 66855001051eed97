//! [`SourceSpec`]: a source described as data (recorded in inventories, read from flags), and
//! [`AnySource`], the source it builds.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use gitops_core::{Artifact, Source};
use serde::{Deserialize, Serialize};

use crate::git::{self, GitRef, GitSource, GitSourceOptions};
use crate::local::{self, LocalDir};

/// Where desired state comes from, without credentials: safe to record and print.
///
/// ```
/// use gitops_source::SourceSpec;
///
/// let spec = SourceSpec::git("https://example.com/shop.git", "branch:main", "deploy");
/// let text = spec.to_json();
/// assert_eq!(text, r#"{"kind":"git","url":"https://example.com/shop.git","ref":"branch:main","path":"deploy"}"#);
/// assert_eq!(SourceSpec::from_json(&text).unwrap(), spec);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SourceSpec {
    /// A Git repository.
    Git {
        /// The URL, without credentials.
        url: String,
        /// The reference, in [`GitRef`]'s text form (`branch:main`, `semver:>=1.0.0`, …).
        #[serde(rename = "ref")]
        reference: String,
        /// The directory to render, relative to the repository.
        path: PathBuf,
    },
    /// A local directory.
    Dir {
        /// The directory (absolute when recorded).
        root: PathBuf,
        /// The directory to render, relative to `root` (empty: `root` itself).
        #[serde(default, skip_serializing_if = "is_empty_path")]
        path: PathBuf,
    },
}

fn is_empty_path(path: &Path) -> bool {
    path.as_os_str().is_empty()
}

impl SourceSpec {
    /// A Git source.
    pub fn git(
        url: impl Into<String>,
        reference: impl Into<String>,
        path: impl Into<PathBuf>,
    ) -> Self {
        SourceSpec::Git {
            url: url.into(),
            reference: reference.into(),
            path: path.into(),
        }
    }

    /// The JSON text recorded in inventories.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a recorded spec.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// A short description for people, e.g. `https://example.com/shop.git (branch:main) deploy`.
    pub fn describe(&self) -> String {
        match self {
            SourceSpec::Git {
                url,
                reference,
                path,
            } => format!("{url} ({reference}) {}", path.display())
                .trim_end()
                .to_owned(),
            SourceSpec::Dir { root, path } if is_empty_path(path) => root.display().to_string(),
            SourceSpec::Dir { root, path } => root.join(path).display().to_string(),
        }
    }
}

/// A source of either kind.
pub enum AnySource {
    /// A Git repository.
    Git(GitSource),
    /// A local directory.
    Dir(LocalDir),
}

/// Why a fetch from [`AnySource`] failed.
#[derive(Debug, thiserror::Error)]
pub enum AnyError {
    /// The Git source failed.
    #[error(transparent)]
    Git(#[from] git::Error),
    /// The directory could not be read.
    #[error(transparent)]
    Dir(#[from] local::Error),
}

impl AnyError {
    /// Whether what was asked for is wrong (a bad URL or reference, a missing path, an unsafe
    /// tree), as opposed to the network or the remote failing.
    pub fn is_bad_input(&self) -> bool {
        match self {
            AnyError::Git(e) => matches!(
                e,
                git::Error::InvalidUrl { .. }
                    | git::Error::UnsafeUrl { .. }
                    | git::Error::InvalidReference { .. }
                    | git::Error::UnsafePath { .. }
                    | git::Error::InsecureCredentials { .. }
                    | git::Error::RefNotFound { .. }
                    | git::Error::NoMatchingTag { .. }
                    | git::Error::CommitNotFound { .. }
                    | git::Error::PathNotFound { .. }
                    | git::Error::UnsafeSymlink { .. }
                    | git::Error::UnsafeTreeEntry { .. }
            ),
            AnyError::Dir(_) => true,
        }
    }

    /// Whether trying again later may help.
    pub fn is_transient(&self) -> bool {
        match self {
            AnyError::Git(e) => e.is_transient(),
            AnyError::Dir(_) => false,
        }
    }
}

impl AnySource {
    /// A Git source; `spec` is what to record (the URL without credentials).
    pub fn git(options: GitSourceOptions) -> Result<Self, git::Error> {
        GitSource::new(options).map(AnySource::Git)
    }

    /// The spec of this source, safe to record.
    pub fn spec(&self) -> SourceSpec {
        match self {
            AnySource::Git(source) => {
                let options = source.options();
                SourceSpec::Git {
                    url: source.url().to_owned(),
                    reference: options.reference.to_string(),
                    path: options.path.clone(),
                }
            }
            AnySource::Dir(dir) => SourceSpec::Dir {
                root: dir.root().to_path_buf(),
                path: dir.sub_path().to_path_buf(),
            },
        }
    }

    /// Builds the source a recorded spec describes (credentials from the environment).
    pub fn from_spec(
        spec: &SourceSpec,
        cache_dir: Option<PathBuf>,
        timeout: Duration,
    ) -> Result<Self, AnyError> {
        match spec {
            SourceSpec::Git {
                url,
                reference,
                path,
            } => {
                let reference: GitRef = reference.parse()?;
                let mut options = GitSourceOptions::new(url.clone())
                    .reference(reference)
                    .path(path.clone());
                options.cache_dir = cache_dir;
                options.timeout = timeout;
                Ok(AnySource::Git(GitSource::new(options)?))
            }
            SourceSpec::Dir { root, path } => Ok(AnySource::Dir(
                LocalDir::new(root.clone()).path(path.clone()),
            )),
        }
    }
}

#[async_trait]
impl Source for AnySource {
    type Error = AnyError;

    async fn fetch(&self) -> Result<Artifact, AnyError> {
        match self {
            AnySource::Git(source) => Ok(source.fetch().await?),
            AnySource::Dir(dir) => Ok(dir.fetch().await?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_specs_keep_the_rendered_path() {
        let source = AnySource::Dir(LocalDir::new("/repo").path("apps/web"));
        let spec = source.spec();
        let json = spec.to_json();
        assert_eq!(json, r#"{"kind":"dir","root":"/repo","path":"apps/web"}"#);
        let back = SourceSpec::from_json(&json).unwrap();
        assert_eq!(back, spec);
        assert_eq!(back.describe(), "/repo/apps/web");
        let AnySource::Dir(dir) =
            AnySource::from_spec(&back, None, Duration::from_secs(1)).unwrap()
        else {
            panic!("a directory");
        };
        assert_eq!(dir.sub_path(), Path::new("apps/web"));
        // Inventories written before the path was recorded still read, as the root.
        let old = SourceSpec::from_json(r#"{"kind":"dir","root":"/repo"}"#).unwrap();
        assert_eq!(old.describe(), "/repo");
        // Extra fields (the CLI's Helm record) are ignored.
        let with_helm =
            SourceSpec::from_json(r#"{"kind":"dir","root":"/repo","helm":{"releaseName":"x"}}"#);
        assert!(with_helm.is_ok());
    }
}
