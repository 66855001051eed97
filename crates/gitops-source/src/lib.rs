//! Sources of gitops-rs: where desired state comes from.
//!
//! - [`git::GitSource`] follows a branch, tag, semver range or commit of a Git repository
//!   (pure-Rust gix; `file://`, `git://`, `ssh://` and smart `http(s)://`), with a per-URL cache,
//!   shallow incremental fetches and no object transfer when nothing changed.
//! - [`local::LocalDir`] serves a directory as it is, with a content digest as its revision.
//!
//! Both implement [`gitops_core::Source`].
//!
//! ```
//! use gitops_core::Source;
//! use gitops_source::local::LocalDir;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::create_dir(dir.path().join("app")).unwrap();
//! std::fs::write(dir.path().join("app/cm.yaml"), "kind: ConfigMap\n").unwrap();
//! let artifact = LocalDir::new(dir.path()).path("app").fetch().await?;
//! assert!(artifact.revision.starts_with("sha256:"));
//! assert!(artifact.dir().join("cm.yaml").is_file());
//! # Ok::<(), gitops_source::local::Error>(())
//! # }).unwrap();
//! ```
//!
//! # Features
//!
//! - `test-support`: [`testing`], helpers that build Git repositories with the `git` CLI and
//!   serve them over `git daemon` and smart HTTP on 127.0.0.1, for tests of this and other
//!   crates.

mod any;
pub mod git;
pub mod local;
#[cfg(feature = "test-support")]
pub mod testing;

pub use any::{AnyError, AnySource, SourceSpec};
pub use git::{GitRef, GitSource, GitSourceOptions};
pub use local::LocalDir;
