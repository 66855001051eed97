//! The per-URL cache directory: its lock, its bare repository and its artifacts.
//!
//! ```text
//! <cache>/<name>-<hash>/
//!   .lock            held (flock) by the one fetch working on this entry
//!   repo.git/        bare repository: refs of what was followed, packs, `shallow`
//!   artifacts/<hex>  one materialised tree per commit, written through a temp dir + rename
//! ```

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::Error;

/// An exclusive lock on a cache entry, released when dropped (or when the process dies).
#[derive(Debug)]
pub(crate) struct CacheLock {
    _file: File,
}

/// Why a lock could not be taken.
pub(crate) enum LockError {
    /// The deadline passed while another fetch held the lock.
    Timeout,
    /// The interrupt flag was raised.
    Interrupted,
    /// The lock file could not be opened or locked.
    Io(Error),
}

/// Takes the lock of `dir`, waiting for another holder until `deadline`.
pub(crate) fn lock(
    dir: &Path,
    deadline: Instant,
    interrupt: &AtomicBool,
) -> Result<CacheLock, LockError> {
    let path = dir.join(".lock");
    let io = |action, source| {
        LockError::Io(Error::Io {
            action,
            path: path.clone(),
            source,
        })
    };
    std::fs::create_dir_all(dir).map_err(|e| io("create", e))?;
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io("open", e))?;
    let mut pause = Duration::from_millis(2);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(CacheLock { _file: file }),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(io("lock", e)),
        }
        if interrupt.load(Ordering::Relaxed) {
            return Err(LockError::Interrupted);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(LockError::Timeout);
        }
        tracing::trace!(lock = ?path, "waiting for another fetch of this repository");
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// The settings every cache repository is opened with: no system, global or environment
/// configuration (reproducible, and nothing like `GIT_SSH_COMMAND` sneaks in), and an identity
/// for ref updates.
fn open_options() -> gix::open::Options {
    gix::open::Options::isolated().config_overrides([
        "committer.name=gitops",
        "committer.email=gitops@localhost",
        "user.name=gitops",
        "user.email=gitops@localhost",
        "protocol.version=2",
        "core.logAllRefUpdates=false",
    ])
}

/// Opens the bare repository at `path`, creating it (or re-creating it when it is unreadable).
pub(crate) fn open_or_init(path: &Path) -> Result<gix::Repository, Error> {
    let repo_error = |source| Error::Repository {
        path: path.to_owned(),
        source,
    };
    if path.join("HEAD").is_file() {
        match gix::open_opts(path, open_options()) {
            Ok(repo) => return Ok(repo),
            Err(error) => {
                tracing::warn!(repo = ?path, %error, "cache repository unreadable; re-creating it");
                std::fs::remove_dir_all(path).map_err(|source| Error::Io {
                    action: "remove",
                    path: path.to_owned(),
                    source,
                })?;
            }
        }
    } else if path.exists() {
        // A half-created repository from an interrupted first fetch.
        std::fs::remove_dir_all(path).map_err(|source| Error::Io {
            action: "remove",
            path: path.to_owned(),
            source,
        })?;
    }
    gix::init_bare(path).map_err(repo_error)?;
    gix::open_opts(path, open_options()).map_err(repo_error)
}

/// Removes all but the `keep` most recently written artifacts; `current` always stays.
pub(crate) fn prune_artifacts(dir: &Path, current: &Path, keep: usize) {
    if keep == 0 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut artifacts: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path() != current)
        .filter_map(|e| {
            let modified = e.metadata().ok()?.modified().ok()?;
            Some((modified, e.path()))
        })
        .collect();
    artifacts.sort();
    let excess = (artifacts.len() + 1).saturating_sub(keep);
    for (_, path) in artifacts.into_iter().take(excess) {
        tracing::debug!(artifact = ?path, "pruning old artifact");
        if let Err(error) = std::fs::remove_dir_all(&path) {
            tracing::warn!(artifact = ?path, %error, "cannot prune old artifact");
        }
    }
}
