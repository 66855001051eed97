//! The renderers' error type.

use std::io;
use std::path::PathBuf;

use gitops_core::manifest::{DuplicateError, LoadError};

/// Why a render failed. Every variant names the file or directory it is about.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A file or directory could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The path to render is not a directory.
    #[error("{}: not a directory", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// The path to render leaves the artifact's root (`..` or an absolute path).
    #[error("{}: path leaves the root of the source", path.display())]
    PathEscape {
        /// The path as given.
        path: PathBuf,
    },
    /// A symbolic link points outside the root.
    #[error("{}: symbolic link points outside the root ({})", link.display(), target.display())]
    SymlinkEscape {
        /// The link.
        link: PathBuf,
        /// Where it points.
        target: PathBuf,
    },
    /// A manifest file is larger than the limit.
    #[error("{}: file is {size} bytes, more than the limit of {limit}", path.display())]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit ([`crate::RenderOptions::max_file_size`]).
        limit: u64,
    },
    /// A manifest file is not UTF-8 text.
    #[error("{}: not UTF-8 text", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },
    /// A directory needs a renderer that does not exist yet.
    #[error("{}: {what} is not supported yet", path.display())]
    Unsupported {
        /// The file that asks for it.
        path: PathBuf,
        /// What it asks for.
        what: &'static str,
    },
    /// An ignore pattern that is not a valid glob.
    #[error("ignore pattern {pattern:?}: {reason}")]
    InvalidIgnore {
        /// The pattern.
        pattern: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A manifest is invalid.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Two manifests define the same object.
    #[error(transparent)]
    Duplicate(#[from] DuplicateError),
    /// A Kustomize build failed.
    #[error(transparent)]
    Kustomize(#[from] crate::kustomize::KustomizeError),
    /// A Helm chart did not load or render.
    #[error("{}: {source}", path.display())]
    Helm {
        /// The chart's directory.
        path: PathBuf,
        /// What Helm's rules refused.
        source: crate::helm::HelmError,
    },
    /// The blocking render task panicked or was cancelled.
    #[error("render task failed: {0}")]
    Task(String),
}
