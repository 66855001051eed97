//! Renderers of gitops-rs: they turn an [`Artifact`](gitops_core::Artifact) into objects.
//!
//! [`DirRenderer`] renders a directory with [`kustomize`] when it holds a kustomization file
//! and as plain manifests ([`PlainRenderer`]) otherwise (Helm follows).
//!
//! ```
//! use gitops_core::Artifact;
//! use gitops_render::{PlainRenderer, RenderOptions};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")?;
//! std::fs::write(dir.path().join("README.md"), "not a manifest")?;
//!
//! let rendered = PlainRenderer::new(RenderOptions::default())
//!     .render_blocking(&Artifact::local(dir.path(), "local"))?;
//! assert_eq!(rendered.objects.len(), 1);
//! assert_eq!(rendered.inputs, [std::path::PathBuf::from("ns.yaml")]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod dir;
mod error;
mod fs;
pub mod helm;
pub mod kustomize;
mod plain;

pub use dir::DirRenderer;
pub use error::RenderError;
pub use fs::RenderOptions;
pub use plain::PlainRenderer;
