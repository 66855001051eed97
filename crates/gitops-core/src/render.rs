//! [`Renderer`]: turns an artifact into objects (plain YAML, Kustomize, Helm).

use std::path::PathBuf;

use async_trait::async_trait;

use crate::object::Object;
use crate::source::Artifact;

/// What a render produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The objects, in the renderer's deterministic order.
    pub objects: Vec<Object>,
    /// Every file the render read, relative to [`Artifact::root`], sorted. A new revision that
    /// changes none of them cannot change the output.
    pub inputs: Vec<PathBuf>,
    /// What the render read from outside the artifact (remote Kustomize bases, charts from
    /// Helm repositories or OCI registries), as URLs, sorted. When not empty, the output can
    /// change although no input file did.
    pub external: Vec<String>,
}

/// Renders an artifact into objects.
///
/// ```
/// use async_trait::async_trait;
/// use gitops_core::{manifest, Artifact, Rendered, Renderer};
///
/// /// Renders a fixed text, whatever the artifact.
/// struct Inline(&'static str);
///
/// #[async_trait]
/// impl Renderer for Inline {
///     type Error = manifest::LoadError;
///     async fn render(&self, _artifact: &Artifact) -> Result<Rendered, Self::Error> {
///         let objects = manifest::load_str(self.0, "inline.yaml")?;
///         Ok(Rendered { objects, ..Rendered::default() })
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let renderer = Inline("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
/// let rendered = renderer.render(&Artifact::local(".", "local")).await.unwrap();
/// assert_eq!(rendered.objects[0].name(), "shop");
/// # });
/// ```
#[async_trait]
pub trait Renderer: Send + Sync {
    /// Why a render failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Renders the artifact's directory ([`Artifact::dir`]), reading nothing outside its root.
    async fn render(&self, artifact: &Artifact) -> Result<Rendered, Self::Error>;
}
