//! A local directory as a [`Source`], with a content digest as its revision.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use gitops_core::{Artifact, Source};
use sha2::{Digest, Sha256};

/// Why reading a local directory failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file-system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The sub-path is absolute or leaves the directory.
    #[error("{}: refused: the path must be relative and stay inside the directory", path.display())]
    UnsafePath {
        /// The sub-path.
        path: PathBuf,
    },
    /// The sub-path is not a directory.
    #[error("{}: not a directory", path.display())]
    NotADirectory {
        /// The directory that was expected.
        path: PathBuf,
    },
    /// The hashing worker failed.
    #[error("the hashing worker failed: {0}")]
    Worker(String),
}

/// A directory served as it is. Its revision is `sha256:<hex>` over the relative paths, kinds,
/// executable bits and contents of everything in it (symlinks by their target; `.git`
/// skipped), so it changes exactly when the content does.
///
/// ```
/// use gitops_source::local::LocalDir;
///
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("a.yaml"), "a: 1\n").unwrap();
/// let before = LocalDir::new(dir.path()).digest()?;
/// assert_eq!(before, LocalDir::new(dir.path()).digest()?);
/// std::fs::write(dir.path().join("a.yaml"), "a: 2\n").unwrap();
/// assert_ne!(before, LocalDir::new(dir.path()).digest()?);
/// # Ok::<(), gitops_source::local::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LocalDir {
    root: PathBuf,
    path: PathBuf,
}

impl LocalDir {
    /// The directory `root`, rendered at its top.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            path: PathBuf::new(),
        }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory to render, relative to the root.
    pub fn sub_path(&self) -> &Path {
        &self.path
    }

    /// Renders `path` (relative to the root) instead of the root.
    #[must_use]
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = path.into();
        self
    }

    /// The content digest, `sha256:<hex>`, of the directory to render (the root joined with
    /// the path; the rest of the root, which a render may also read, is not hashed).
    pub fn digest(&self) -> Result<String, Error> {
        let mut hasher = Sha256::new();
        let dir = crate::git::check_relative(&self.path)
            .map(|p| self.root.join(p))
            .unwrap_or_else(|_| self.root.clone());
        hash_dir(&dir, Path::new(""), &mut hasher)?;
        let hex: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(format!("sha256:{hex}"))
    }

    /// Reads the directory on the calling thread.
    pub fn fetch_blocking(&self) -> Result<Artifact, Error> {
        let path = crate::git::check_relative(&self.path).map_err(|_| Error::UnsafePath {
            path: self.path.clone(),
        })?;
        let dir = if path.as_os_str().is_empty() {
            self.root.clone()
        } else {
            self.root.join(&path)
        };
        if !dir.is_dir() {
            return Err(Error::NotADirectory { path: dir });
        }
        let mut artifact = Artifact::local(&self.root, self.digest()?);
        artifact.path = path;
        Ok(artifact)
    }
}

fn hash_dir(root: &Path, rel: &Path, hasher: &mut Sha256) -> Result<(), Error> {
    let dir = root.join(rel);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Io { path, source }
    };
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .map_err(io(&dir))?
        .collect::<Result<_, _>>()
        .map_err(io(&dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        if rel.as_os_str().is_empty() && name == ".git" {
            continue;
        }
        let rel_path = rel.join(&name);
        let path = root.join(&rel_path);
        let kind = entry.file_type().map_err(io(&path))?;
        let name_bytes = rel_path.as_os_str().as_encoded_bytes();
        if kind.is_symlink() {
            let target = std::fs::read_link(&path).map_err(io(&path))?;
            hasher.update(b"l\0");
            hasher.update(name_bytes);
            hasher.update(b"\0");
            hasher.update(target.as_os_str().as_encoded_bytes());
            hasher.update(b"\0");
        } else if kind.is_dir() {
            hasher.update(b"d\0");
            hasher.update(name_bytes);
            hasher.update(b"\0");
            hash_dir(root, &rel_path, hasher)?;
        } else {
            let data = std::fs::read(&path).map_err(io(&path))?;
            hasher.update(if is_executable(&entry) {
                b"x\0"
            } else {
                b"f\0"
            });
            hasher.update(name_bytes);
            hasher.update(b"\0");
            hasher.update((data.len() as u64).to_le_bytes());
            hasher.update(&data);
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(entry: &std::fs::DirEntry) -> bool {
    use std::os::unix::fs::PermissionsExt;
    entry
        .metadata()
        .is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_entry: &std::fs::DirEntry) -> bool {
    false
}

#[async_trait]
impl Source for LocalDir {
    type Error = Error;

    async fn fetch(&self) -> Result<Artifact, Error> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.fetch_blocking())
            .await
            .map_err(|e| Error::Worker(e.to_string()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_follows_content_modes_and_links_but_not_dot_git() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("app")).unwrap();
        std::fs::write(root.join("app/a.yaml"), "a: 1\n").unwrap();
        let digest = || LocalDir::new(root).digest().unwrap();
        let first = digest();
        std::fs::create_dir(root.join(".git")).unwrap();
        std::fs::write(root.join(".git/HEAD"), "ref: x\n").unwrap();
        assert_eq!(digest(), first, ".git is not content");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                root.join("app/a.yaml"),
                std::fs::Permissions::from_mode(0o755),
            )
            .unwrap();
            assert_ne!(digest(), first, "the executable bit counts");
            std::os::unix::fs::symlink("a.yaml", root.join("app/b.yaml")).unwrap();
            let with_link = digest();
            std::fs::remove_file(root.join("app/b.yaml")).unwrap();
            std::os::unix::fs::symlink("other", root.join("app/b.yaml")).unwrap();
            assert_ne!(digest(), with_link, "link targets count");
        }
    }

    #[test]
    fn refuses_escaping_and_missing_sub_paths() {
        let dir = tempfile::tempdir().unwrap();
        for path in ["../x", "/etc"] {
            assert!(matches!(
                LocalDir::new(dir.path()).path(path).fetch_blocking(),
                Err(Error::UnsafePath { .. })
            ));
        }
        assert!(matches!(
            LocalDir::new(dir.path()).path("missing").fetch_blocking(),
            Err(Error::NotADirectory { .. })
        ));
    }
}
