//! Remote Kustomize targets (`https://github.com/org/repo//deploy?ref=v1`) fetched with the Git
//! source, so a render needs no `git` or `kustomize` binary and shares the Git cache.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use gitops_render::kustomize::{RemoteLoader, RemoteTarget, RemoteUrl};
use gitops_source::git::Error as GitError;
use gitops_source::{GitRef, GitSource, GitSourceOptions};

/// Loads remote Kustomize targets through [`GitSource`] (same safety checks, same cache).
#[derive(Debug, Clone)]
pub struct GitRemoteLoader {
    cache_dir: Option<PathBuf>,
    timeout: Duration,
}

impl GitRemoteLoader {
    /// A loader caching under `cache_dir` (default: the Git source's default cache).
    pub fn new(cache_dir: Option<PathBuf>, timeout: Duration) -> Self {
        Self { cache_dir, timeout }
    }

    fn fetch(&self, url: &str, reference: GitRef, path: &str) -> Result<RemoteTarget, GitError> {
        let mut options = GitSourceOptions::new(url)
            .reference(reference)
            .path(path)
            .timeout(self.timeout);
        options.cache_dir.clone_from(&self.cache_dir);
        let fetched = GitSource::new(options)?.fetch_blocking(&AtomicBool::new(false))?;
        Ok(RemoteTarget {
            root: fetched.artifact.root,
            path: fetched.artifact.path,
        })
    }
}

impl RemoteLoader for GitRemoteLoader {
    fn load(&self, url: &str) -> Result<RemoteTarget, Box<dyn std::error::Error + Send + Sync>> {
        let remote =
            RemoteUrl::parse(url).ok_or_else(|| format!("{url}: not a remote Git target"))?;
        let repository = format!("{}{}", remote.host, remote.repo_path);
        // kustomize's `ref` names a branch, a tag or a commit without saying which.
        let Some(name) = remote.reference else {
            return Ok(self.fetch(&repository, GitRef::DefaultBranch, &remote.path)?);
        };
        let hex = (7..=40).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_hexdigit());
        if hex && let Ok(reference) = GitRef::commit(&name) {
            return Ok(self.fetch(&repository, reference, &remote.path)?);
        }
        match self.fetch(&repository, GitRef::tag(&name), &remote.path) {
            Err(GitError::RefNotFound { .. }) => {
                Ok(self.fetch(&repository, GitRef::branch(&name), &remote.path)?)
            }
            other => Ok(other?),
        }
    }
}
