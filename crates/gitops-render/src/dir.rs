//! [`DirRenderer`]: Kustomize when the directory holds a kustomization, Helm when it holds a
//! chart, plain manifests otherwise.

use std::sync::Arc;

use async_trait::async_trait;
use gitops_core::{Artifact, Rendered, Renderer};

use crate::fs::Root;
use crate::helm::{Chart, RenderSettings};
use crate::kustomize::{KustomizeOptions, KustomizeRenderer, RemoteLoader, is_kustomization_dir};
use crate::{PlainRenderer, RenderError, RenderOptions};

/// Renders an artifact's directory with Kustomize when it holds a `kustomization.yaml`,
/// `kustomization.yml` or `Kustomization`; as a Helm chart (like `helm template`) when it
/// holds a `Chart.yaml`; and as plain manifests otherwise.
///
/// Charts render with [`DirRenderer::with_helm`]'s settings; without them, with Helm's
/// defaults and the chart's name as the release name.
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
///
/// let chart = tempfile::tempdir()?;
/// std::fs::write(chart.path().join("Chart.yaml"), "apiVersion: v2\nname: web\nversion: 1.0.0\n")?;
/// std::fs::create_dir(chart.path().join("templates"))?;
/// std::fs::write(chart.path().join("templates/cm.yaml"),
///     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Values.tier }}\n")?;
/// let mut settings = gitops_render::helm::RenderSettings::default();
/// settings.release_name = "shop".into();
/// settings.values.values.push("tier=front".into());
/// let helm = DirRenderer::new(RenderOptions::default()).with_helm(settings);
/// let rendered = helm.render_blocking(&Artifact::local(chart.path(), "local"))?;
/// assert_eq!(rendered.objects[0].name(), "shop-front");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct DirRenderer {
    plain: PlainRenderer,
    kustomize: KustomizeRenderer,
    options: RenderOptions,
    helm: Option<RenderSettings>,
}

impl DirRenderer {
    /// A renderer with these options.
    pub fn new(options: RenderOptions) -> Self {
        Self {
            plain: PlainRenderer::new(options.clone()),
            kustomize: KustomizeRenderer::new(options.clone()),
            options,
            helm: None,
        }
    }

    /// Sets how charts render (`helm template`'s release name, namespace, values and flags;
    /// an empty release name stands for the chart's name); the fetch options also serve
    /// Kustomize's `helmCharts`.
    #[must_use]
    pub fn with_helm(mut self, settings: RenderSettings) -> Self {
        self.kustomize = self.kustomize.with_helm_fetch(settings.fetch.clone());
        self.plain = self.plain.with_helm_fetch(settings.fetch.clone());
        self.helm = Some(settings);
        self
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
        let dir = artifact.dir();
        if is_kustomization_dir(&dir) {
            self.kustomize.render_blocking(artifact)
        } else if dir.join("Chart.yaml").is_file() {
            self.render_chart(artifact)
        } else {
            self.plain.render_blocking(artifact)
        }
    }

    /// Renders the chart at the artifact's directory.
    fn render_chart(&self, artifact: &Artifact) -> Result<Rendered, RenderError> {
        let root = Root::new(&artifact.root, &self.options)?;
        let rel = root.relative(&artifact.path)?;
        // Every file of the chart, confined to the root (the chart loader confines links to
        // the chart itself); `.helmignore` is hidden from the walk but shapes the output.
        let mut inputs = root.walk(&rel)?;
        let ignore = rel.join(".helmignore");
        if artifact.root.join(&ignore).is_file() {
            inputs.push(ignore);
            inputs.sort();
        }
        let shown = root.display(&rel);
        let failed = |source| RenderError::Helm {
            path: shown.clone(),
            source,
        };
        let chart = Chart::load_dir(&artifact.root.join(&rel)).map_err(failed)?;
        let settings = match &self.helm {
            Some(settings) if !settings.release_name.is_empty() => {
                std::borrow::Cow::Borrowed(settings)
            }
            other => std::borrow::Cow::Owned(RenderSettings {
                release_name: chart.name().to_owned(),
                ..other.clone().unwrap_or_default()
            }),
        };
        let objects = chart.render_objects(&settings).map_err(failed)?;
        Ok(Rendered {
            objects,
            inputs,
            external: Vec::new(),
        })
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
