//! [`KustomizeError`]: why a Kustomize build failed, naming the kustomization file and field.

use std::path::PathBuf;

use gitops_core::manifest::LoadError;
use gitops_core::yaml::YamlError;

use crate::RenderError;

/// Why a Kustomize build failed.
///
/// Every variant names the kustomization file (as shown to people, see
/// [`crate::RenderOptions::display_root`]) and, where there is one, the field of that file
/// (`resources`, `patches[2].path`, …) that led to the failure.
///
/// ```
/// use gitops_core::Artifact;
/// use gitops_render::kustomize::{KustomizeError, KustomizeRenderer};
/// use gitops_render::{RenderError, RenderOptions};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("kustomization.yaml"), "resources: [missing.yaml]\n")?;
/// let err = KustomizeRenderer::new(RenderOptions::default().display_root("app"))
///     .render_blocking(&Artifact::local(dir.path(), "local"))
///     .unwrap_err();
/// assert!(matches!(err, RenderError::Kustomize(KustomizeError::Missing { .. })));
/// assert_eq!(
///     err.to_string(),
///     "app/kustomization.yaml: resources[0]: app/missing.yaml: no such file or directory"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
pub enum KustomizeError {
    /// A directory named as a kustomization root holds no kustomization file.
    #[error(
        "{}: no kustomization file (kustomization.yaml, kustomization.yml or Kustomization)",
        dir.display()
    )]
    NoKustomization {
        /// The directory.
        dir: PathBuf,
    },
    /// A directory holds more than one kustomization file.
    #[error("{}: more than one kustomization file", dir.display())]
    MultipleKustomizations {
        /// The directory.
        dir: PathBuf,
    },
    /// A kustomization file is not valid YAML.
    #[error("{}: {source}", file.display())]
    Syntax {
        /// The file.
        file: PathBuf,
        /// What the parser said.
        source: YamlError,
    },
    /// A kustomization file has a field kustomize does not know.
    #[error("{}: unknown field {field:?}", file.display())]
    UnknownField {
        /// The kustomization file.
        file: PathBuf,
        /// The field, as a dotted path.
        field: String,
    },
    /// A field of a kustomization file has an invalid value.
    #[error("{}: {field}: {message}", file.display())]
    Invalid {
        /// The kustomization (or transformer configuration) file.
        file: PathBuf,
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A field names a file or directory that does not exist.
    #[error("{}: {field}: {}: no such file or directory", file.display(), path.display())]
    Missing {
        /// The kustomization file.
        file: PathBuf,
        /// The field.
        field: String,
        /// The missing path, as shown to people.
        path: PathBuf,
    },
    /// A field names a file outside the kustomization's directory (the load restrictor).
    #[error(
        "{}: {field}: {} is not in or below {} (kustomize's load restrictor; \
         allow it with LoadRestrictor::None)",
        file.display(), path.display(), root.display()
    )]
    OutsideRoot {
        /// The kustomization file.
        file: PathBuf,
        /// The field.
        field: String,
        /// The path, as shown to people.
        path: PathBuf,
        /// The kustomization's directory.
        root: PathBuf,
    },
    /// A field names a path outside the artifact's root (reads never leave it).
    #[error("{}: {field}: {} leaves the root of the source", file.display(), path.display())]
    LeavesRoot {
        /// The kustomization file.
        file: PathBuf,
        /// The field.
        field: String,
        /// The path as written.
        path: PathBuf,
    },
    /// Kustomizations refer to each other in a cycle (or to a directory that contains them).
    #[error(
        "{}: {field}: cycle: {} is, or contains, {}, which is already being built",
        file.display(), path.display(), visited.display()
    )]
    Cycle {
        /// The kustomization file.
        file: PathBuf,
        /// The field.
        field: String,
        /// The directory referred to.
        path: PathBuf,
        /// The kustomization directory (already being built) that it contains.
        visited: PathBuf,
    },
    /// A feature of kustomize this renderer does not implement (yet).
    #[error("{}: {field}: {what} is not supported yet", file.display())]
    Unsupported {
        /// The kustomization file.
        file: PathBuf,
        /// The field.
        field: String,
        /// What is not supported, e.g. "helmCharts".
        what: String,
    },
    /// A remote resource (Git URL) but no [`crate::kustomize::RemoteLoader`] was configured.
    #[error(
        "{}: {field}: remote resource {url} needs a remote loader, and none is configured",
        file.display()
    )]
    RemoteWithoutLoader {
        /// The kustomization file.
        file: PathBuf,
        /// The field.
        field: String,
        /// The URL.
        url: String,
    },
    /// The remote loader failed.
    #[error("{}: {field}: loading {url}: {source}", file.display())]
    Remote {
        /// The kustomization file.
        file: PathBuf,
        /// The field.
        field: String,
        /// The URL.
        url: String,
        /// The loader's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A chart of `helmCharts` could not be fetched, loaded or rendered.
    #[error("{}: {field}: chart {chart}: {source}", file.display())]
    Helm {
        /// The kustomization file.
        file: PathBuf,
        /// The field, e.g. `helmCharts[0]`.
        field: String,
        /// The chart's name.
        chart: String,
        /// What went wrong.
        source: crate::helm::HelmError,
    },
    /// A resource file does not hold valid manifests.
    #[error("{}: {field}: {source}", file.display())]
    Manifest {
        /// The kustomization file.
        file: PathBuf,
        /// The field.
        field: String,
        /// What is wrong with the manifest file.
        source: LoadError,
    },
    /// A patch (or replacement, replicas entry, …) applies to no resource.
    #[error("{}: {field}: no resource matches {target}", file.display())]
    NoMatch {
        /// The kustomization file.
        file: PathBuf,
        /// The field.
        field: String,
        /// The target, as text.
        target: String,
    },
    /// A patch's target is ambiguous.
    #[error("{}: {field}: {target} matches more than one resource: {matches}", file.display())]
    Ambiguous {
        /// The kustomization file.
        file: PathBuf,
        /// The field.
        field: String,
        /// The target, as text.
        target: String,
        /// The resources it matches.
        matches: String,
    },
    /// Two resources have the same identity.
    #[error("{}: {field}: resource {id} is already defined", file.display())]
    Duplicate {
        /// The kustomization file.
        file: PathBuf,
        /// The field that added the second one.
        field: String,
        /// The resource.
        id: String,
    },
    /// A transformation failed on a resource.
    #[error("{}: {field}: {resource}: {message}", file.display())]
    Transform {
        /// The kustomization file.
        file: PathBuf,
        /// The field.
        field: String,
        /// The resource being transformed.
        resource: String,
        /// What went wrong.
        message: String,
    },
    /// Reading a file failed (I/O, size limit, symlink escape, …).
    #[error(transparent)]
    Read(Box<RenderError>),
}

impl From<RenderError> for KustomizeError {
    fn from(e: RenderError) -> Self {
        KustomizeError::Read(Box::new(e))
    }
}
