//! [`DirRenderer`]: Kustomize when the directory holds a kustomization, plain manifests
//! otherwise.

use std::sync::Arc;

use async_trait::async_trait;
use gitops_core::{Artifact, Rendered, Renderer};

use crate::kustomize::{KustomizeOptions, KustomizeRenderer, RemoteLoader, is_kustomization_dir};
use crate::{PlainRenderer, RenderError, RenderOptions};

/// Renders an artifact's directory with Kustomize when it holds a `kustomization.yaml`,
/// `kustomization.yml` or `Kustomization`, and as plain manifests otherwise.
///
/// ```
/// use gitops_core::Artifact;
/// use gitops_render::{DirRenderer, RenderOptions};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")?;
/// let renderer = DirRenderer::new(RenderOptions::default());
/// let plain = renderer.render_blocking(&Artifact::local(dir.path(), "local"))?;
/// assert_eq!(plain.objects[0].name(), "shop");
///
/// std::fs::write(dir.path().join("kustomization.yaml"), "resources: [ns.yaml]\nnamePrefix: x-\n")?;
/// let kustomized = renderer.render_blocking(&Artifact::local(dir.path(), "local"))?;
/// assert_eq!(kustomized.objects[0].name(), "shop"); // kustomize never renames Namespaces
/// assert_eq!(kustomized.inputs.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct DirRenderer {
    plain: PlainRenderer,
    kustomize: KustomizeRenderer,
}

impl DirRenderer {
    /// A renderer with these options.
    pub fn new(options: RenderOptions) -> Self {
        Self {
            plain: PlainRenderer::new(options.clone()),
            kustomize: KustomizeRenderer::new(options),
        }
    }

    /// Sets the Kustomize options.
    #[must_use]
    pub fn with_kustomize_options(mut self, options: KustomizeOptions) -> Self {
        self.kustomize = self.kustomize.with_kustomize_options(options.clone());
        self.plain = self.plain.with_kustomize_options(options);
        self
    }

    /// Sets the loader of remote Kustomize resources.
    #[must_use]
    pub fn with_remote_loader(mut self, loader: Arc<dyn RemoteLoader>) -> Self {
        self.kustomize = self.kustomize.with_remote_loader(loader.clone());
        self.plain = self.plain.with_remote_loader(loader);
        self
    }

    /// Renders synchronously (the [`Renderer`] implementation runs this on a blocking thread).
    pub fn render_blocking(&self, artifact: &Artifact) -> Result<Rendered, RenderError> {
        if is_kustomization_dir(&artifact.dir()) {
            self.kustomize.render_blocking(artifact)
        } else {
            self.plain.render_blocking(artifact)
        }
    }
}

#[async_trait]
impl Renderer for DirRenderer {
    type Error = RenderError;

    async fn render(&self, artifact: &Artifact) -> Result<Rendered, RenderError> {
        let this = self.clone();
        let artifact = artifact.clone();
        tokio::task::spawn_blocking(move || this.render_blocking(&artifact))
            .await
            .map_err(|e| RenderError::Task(e.to_string()))?
    }
}
