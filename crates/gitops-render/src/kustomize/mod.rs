//! Native Kustomize rendering, conformant with kustomize v5.5 (`kubectl kustomize`).
//!
//! [`KustomizeRenderer`] builds the kustomization in an artifact's directory: resources,
//! bases and components, generators (with kustomize's content-hash name suffixes), the
//! built-in transformers (namespace, name prefix and suffix, labels, annotations, images,
//! replicas, patches, replacements, vars) and name references, then sorts as kustomize does.
//!
//! One deliberate difference: like every renderer of the engine, it refuses two objects with
//! one identity (group, kind, namespace, name), which kustomize allows when their versions
//! differ; applied to a cluster they would be the same object.
//!
//! ```
//! use gitops_core::Artifact;
//! use gitops_render::RenderOptions;
//! use gitops_render::kustomize::KustomizeRenderer;
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("kustomization.yaml"), "\
//! namePrefix: prod-
//! namespace: shop
//! resources: [app.yaml]
//! configMapGenerator:
//! - name: settings
//!   literals: [color=blue]
//! ")?;
//! std::fs::write(dir.path().join("app.yaml"), "\
//! apiVersion: v1
//! kind: Pod
//! metadata: {name: web}
//! spec:
//!   containers:
//!   - name: web
//!     image: nginx
//!     envFrom: [{configMapRef: {name: settings}}]
//! ")?;
//!
//! let rendered = KustomizeRenderer::new(RenderOptions::default())
//!     .render_blocking(&Artifact::local(dir.path(), "local"))?;
//! let names: Vec<String> = rendered.objects.iter().map(|o| o.reference().to_string()).collect();
//! assert_eq!(names, ["ConfigMap/shop/prod-settings-747dfcb89d", "Pod/shop/prod-web"]);
//! let pod = rendered.objects[1].manifest();
//! assert_eq!(pod["spec"]["containers"][0]["envFrom"][0]["configMapRef"]["name"], "prod-settings-747dfcb89d");
//! assert_eq!(rendered.inputs.len(), 2); // kustomization.yaml and app.yaml
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod aliases;
mod build;
mod config;
mod crds;
mod error;
mod fieldspec;
mod generators;
mod hash;
mod helm_charts;
mod loader;
pub(crate) use loader::without_credentials;
mod manifests;
mod merge_keys;
mod nameref;
mod patch;
mod plugins;
mod remote;
mod replacements;
mod resmap;
mod resource;
mod sort;
mod transformers;
mod types;
mod vars;
pub mod yaml;
mod yaml12;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use gitops_core::manifest::{self, LoadError, LoadErrorKind};
use gitops_core::{Artifact, Object, Rendered, Renderer};
use serde::{Deserialize, Serialize};

pub use error::KustomizeError;
pub use remote::{RemoteLoader, RemoteTarget, RemoteUrl};

use crate::helm::FetchOptions;
use crate::{RenderError, RenderOptions};

/// kustomize's load restrictor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LoadRestrictor {
    /// Files must be in or below the kustomization's directory (kustomize's default).
    #[default]
    RootOnly,
    /// Files may be anywhere in the artifact (`--load-restrictor LoadRestrictionsNone`). Reads
    /// never leave the artifact's root either way.
    None,
}

/// Options of the Kustomize renderer.
///
/// ```
/// use gitops_render::kustomize::{KustomizeOptions, LoadRestrictor};
///
/// // Flux's kustomize-controller builds with the load restrictor off.
/// let flux = KustomizeOptions::default().load_restrictor(LoadRestrictor::None);
/// assert_eq!(flux.load_restrictor, LoadRestrictor::None);
/// assert!(!flux.strict_patch_targets);
/// let parsed: KustomizeOptions = serde_json::from_str(r#"{"strictPatchTargets": true}"#)?;
/// assert_eq!(parsed, KustomizeOptions::default().strict_patch_targets(true));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct KustomizeOptions {
    /// Where files may be read from.
    pub load_restrictor: LoadRestrictor,
    /// Fail when a patch's `target` selects no resource (kustomize silently applies it to
    /// nothing).
    pub strict_patch_targets: bool,
    /// Whether `helmCharts` render, and whether charts may be fetched.
    pub helm_charts: HelmChartsPolicy,
}

/// Whether a kustomization's `helmCharts` render (natively, through [`crate::helm`]: no
/// helm binary runs, which is why kubectl's `--enable-helm` is not needed), and whether
/// charts missing from the source tree may be fetched from their `repo`.
///
/// ```
/// use gitops_render::kustomize::{HelmChartsPolicy, KustomizeOptions};
/// let offline = KustomizeOptions::default().helm_charts(HelmChartsPolicy::LocalOnly);
/// assert_eq!(serde_json::to_string(&offline.helm_charts)?, r#""localOnly""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum HelmChartsPolicy {
    /// Charts in the source tree, and charts fetched from their `repo` (a Helm repository or
    /// an `oci://` registry) when they are not.
    #[default]
    Enabled,
    /// Only charts already in the source tree (under `chartHome`): nothing is fetched.
    LocalOnly,
    /// `helmCharts` is refused, as kubectl refuses it without `--enable-helm`.
    Disabled,
}

impl KustomizeOptions {
    /// Sets [`KustomizeOptions::load_restrictor`].
    #[must_use]
    pub fn load_restrictor(mut self, restrictor: LoadRestrictor) -> Self {
        self.load_restrictor = restrictor;
        self
    }

    /// Sets [`KustomizeOptions::strict_patch_targets`].
    #[must_use]
    pub fn strict_patch_targets(mut self, strict: bool) -> Self {
        self.strict_patch_targets = strict;
        self
    }

    /// Sets [`KustomizeOptions::helm_charts`].
    #[must_use]
    pub fn helm_charts(mut self, policy: HelmChartsPolicy) -> Self {
        self.helm_charts = policy;
        self
    }
}

/// Renders the kustomization in an artifact's directory.
#[derive(Clone, Default)]
pub struct KustomizeRenderer {
    options: RenderOptions,
    kustomize: KustomizeOptions,
    remote: Option<Arc<dyn RemoteLoader>>,
    helm_fetch: FetchOptions,
}

impl std::fmt::Debug for KustomizeRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KustomizeRenderer")
            .field("options", &self.options)
            .field("kustomize", &self.kustomize)
            .field("remote", &self.remote.is_some())
            .field("helm_fetch", &self.helm_fetch)
            .finish()
    }
}

impl KustomizeRenderer {
    /// A renderer with these options and kustomize's defaults.
    pub fn new(options: RenderOptions) -> Self {
        Self {
            options,
            kustomize: KustomizeOptions::default(),
            remote: None,
            helm_fetch: FetchOptions::default(),
        }
    }

    /// Sets how `helmCharts` fetch charts missing from the source tree (cache directory,
    /// credentials, limits).
    #[must_use]
    pub fn with_helm_fetch(mut self, fetch: FetchOptions) -> Self {
        self.helm_fetch = fetch;
        self
    }

    /// Sets the Kustomize options.
    #[must_use]
    pub fn with_kustomize_options(mut self, kustomize: KustomizeOptions) -> Self {
        self.kustomize = kustomize;
        self
    }

    /// Sets the loader of remote resources (Git URLs). Without one, a remote resource fails
    /// with [`KustomizeError::RemoteWithoutLoader`].
    #[must_use]
    pub fn with_remote_loader(mut self, loader: Arc<dyn RemoteLoader>) -> Self {
        self.remote = Some(loader);
        self
    }

    /// Renders synchronously (the [`Renderer`] implementation runs this on a blocking thread).
    pub fn render_blocking(&self, artifact: &Artifact) -> Result<Rendered, RenderError> {
        self.render_dir(&artifact.root, &artifact.path)
    }

    /// Renders the kustomization in `root.join(path)`, reading nothing outside `root`.
    pub(crate) fn render_dir(&self, root: &Path, path: &Path) -> Result<Rendered, RenderError> {
        let remote = self.remote.as_deref();
        let files =
            loader::Files::new(root, &self.options, self.kustomize.load_restrictor, remote)?;
        let dir = files.artifact_dir(path)?;
        let mut builder = build::Builder {
            files,
            options: &self.kustomize,
            helm_fetch: &self.helm_fetch,
        };
        let built = builder.build_root(dir)?;
        let mut objects = Vec::with_capacity(built.resources.len());
        for res in built.resources {
            let origin = res.origin.clone();
            let object =
                Object::with_origin(res.into_value(), Some(origin.clone())).map_err(|e| {
                    LoadError {
                        file: origin.file.clone(),
                        document: origin.document,
                        item: None,
                        kind: LoadErrorKind::Object(e),
                    }
                })?;
            objects.push(object);
        }
        manifest::check_unique(&objects)?;
        let (inputs, external) = builder.files.into_inputs();
        Ok(Rendered {
            objects,
            inputs,
            external,
        })
    }
}

#[async_trait]
impl Renderer for KustomizeRenderer {
    type Error = RenderError;

    async fn render(&self, artifact: &Artifact) -> Result<Rendered, RenderError> {
        let this = self.clone();
        let artifact = artifact.clone();
        tokio::task::spawn_blocking(move || this.render_blocking(&artifact))
            .await
            .map_err(|e| RenderError::Task(e.to_string()))?
    }
}

/// True when a directory holds a kustomization file (`kustomization.yaml`,
/// `kustomization.yml` or `Kustomization`).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// assert!(!gitops_render::kustomize::is_kustomization_dir(dir.path()));
/// std::fs::write(dir.path().join("Kustomization"), "resources: []\n")?;
/// assert!(gitops_render::kustomize::is_kustomization_dir(dir.path()));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn is_kustomization_dir(dir: &Path) -> bool {
    loader::KUSTOMIZATION_FILES
        .iter()
        .any(|name| dir.join(name).is_file())
}
