//! [`PlainRenderer`]: a directory of YAML and JSON manifests.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use gitops_core::{Artifact, Rendered, Renderer, manifest};

use crate::RenderError;
use crate::fs::{RenderOptions, Root};
use crate::kustomize::{KustomizeOptions, KustomizeRenderer, RemoteLoader};

/// Renders every `*.yaml`, `*.yml` and `*.json` file under a directory, recursively.
///
/// Files are read in path order (byte-wise, per directory), hidden files and directories are
/// skipped, and symbolic links are followed only while they stay inside the artifact's root.
/// A directory that holds a kustomization file (`kustomization.yaml`, `kustomization.yml` or
/// `Kustomization`) is rendered with Kustomize instead, at the place of its first file (as
/// Flux does for such sub-directories).
#[derive(Debug, Clone, Default)]
pub struct PlainRenderer {
    options: RenderOptions,
    kustomize: KustomizeRenderer,
}

const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];
const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

impl PlainRenderer {
    /// A renderer with these options.
    pub fn new(options: RenderOptions) -> Self {
        Self {
            kustomize: KustomizeRenderer::new(options.clone()),
            options,
        }
    }

    /// Sets the options of the Kustomize renderer used for kustomization directories.
    #[must_use]
    pub fn with_kustomize_options(mut self, options: KustomizeOptions) -> Self {
        self.kustomize = self.kustomize.with_kustomize_options(options);
        self
    }

    /// Sets the loader of remote Kustomize resources.
    #[must_use]
    pub fn with_remote_loader(mut self, loader: Arc<dyn RemoteLoader>) -> Self {
        self.kustomize = self.kustomize.with_remote_loader(loader);
        self
    }

    /// Sets how the `helmCharts` of nested kustomizations fetch charts.
    #[must_use]
    pub fn with_helm_fetch(mut self, fetch: crate::helm::FetchOptions) -> Self {
        self.kustomize = self.kustomize.with_helm_fetch(fetch);
        self
    }

    /// Renders synchronously (the [`Renderer`] implementation runs this on a blocking thread).
    pub fn render_blocking(&self, artifact: &Artifact) -> Result<Rendered, RenderError> {
        let root = Root::new(&artifact.root, &self.options)?;
        let dir = root.relative(&artifact.path)?;
        let files = root.walk(&dir)?;
        let kustomizations = kustomization_dirs(&files);
        let mut built = HashSet::new();
        let mut objects = Vec::new();
        let mut inputs = Vec::new();
        let mut external = Vec::new();
        for file in files {
            if let Some(k) = kustomizations.iter().find(|k| file.starts_with(k)) {
                if built.insert(k.clone()) {
                    let rendered = self.kustomize.render_dir(&artifact.root, k)?;
                    objects.extend(rendered.objects);
                    inputs.extend(rendered.inputs);
                    external.extend(rendered.external);
                }
                continue;
            }
            if !has_manifest_extension(&file) {
                continue;
            }
            let text = root.read(&file)?;
            let name = root.display(&file);
            objects.extend(manifest::load_str(&text, &name.to_string_lossy())?);
            inputs.push(file);
        }
        manifest::check_unique(&objects)?;
        inputs.sort();
        inputs.dedup();
        external.sort();
        external.dedup();
        Ok(Rendered {
            objects,
            inputs,
            external,
        })
    }
}

fn has_manifest_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e))
}

/// The outermost directories that hold a kustomization file.
fn kustomization_dirs(files: &[PathBuf]) -> Vec<PathBuf> {
    let dirs: Vec<PathBuf> = files
        .iter()
        .filter(|f| is_kustomization(f))
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    dirs.iter()
        .filter(|d| !dirs.iter().any(|o| o != *d && d.starts_with(o)))
        .cloned()
        .collect()
}

fn is_kustomization(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| KUSTOMIZATION_FILES.contains(&n))
}

#[async_trait]
impl Renderer for PlainRenderer {
    type Error = RenderError;

    async fn render(&self, artifact: &Artifact) -> Result<Rendered, RenderError> {
        let this = self.clone();
        let artifact = artifact.clone();
        tokio::task::spawn_blocking(move || this.render_blocking(&artifact))
            .await
            .map_err(|e| RenderError::Task(e.to_string()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::PathBuf;

    const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";

    fn cm(name: &str) -> String {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: shop}}\n")
    }

    fn render(dir: &Path) -> Result<Rendered, RenderError> {
        PlainRenderer::default().render_blocking(&Artifact::local(dir, "test"))
    }

    #[test]
    fn recursive_sorted_and_filtered() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/sub")).unwrap();
        fs::create_dir_all(root.join(".git")).unwrap();
        fs::write(root.join("b/sub/z.yml"), cm("z")).unwrap();
        fs::write(
            root.join("b/a.json"),
            r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j","namespace":"shop"}}"#,
        )
        .unwrap();
        fs::write(root.join("a.yaml"), NS).unwrap();
        fs::write(root.join(".hidden.yaml"), "garbage: [").unwrap();
        fs::write(root.join(".git/config.yaml"), "garbage: [").unwrap();
        fs::write(root.join("notes.txt"), "not yaml: [").unwrap();
        let rendered = render(root).unwrap();
        let names: Vec<&str> = rendered.objects.iter().map(|o| o.name()).collect();
        assert_eq!(names, ["shop", "j", "z"]);
        let inputs: Vec<String> = rendered
            .inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(inputs, ["a.yaml", "b/a.json", "b/sub/z.yml"]);
        assert_eq!(
            rendered.objects[2].origin().unwrap().file.as_ref(),
            "b/sub/z.yml"
        );
    }

    #[test]
    fn sub_path_and_display_root() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("apps/shop")).unwrap();
        fs::write(dir.path().join("apps/shop/bad.yaml"), "kind: A\n").unwrap();
        let artifact = Artifact {
            path: "apps/shop".into(),
            ..Artifact::local(dir.path(), "x")
        };
        let err = PlainRenderer::new(RenderOptions::default().display_root("repo"))
            .render_blocking(&artifact)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "repo/apps/shop/bad.yaml: document 1: missing field apiVersion"
        );
    }

    #[test]
    fn escaping_paths_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for path in ["../x", "/etc", "a/../../b"] {
            let artifact = Artifact {
                path: path.into(),
                ..Artifact::local(dir.path(), "x")
            };
            let err = render_artifact(&artifact).unwrap_err();
            assert!(
                matches!(err, RenderError::PathEscape { .. }),
                "{path}: {err}"
            );
        }
    }

    fn render_artifact(artifact: &Artifact) -> Result<Rendered, RenderError> {
        PlainRenderer::default().render_blocking(artifact)
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_inside_are_followed_outside_refused() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret.yaml"), cm("secret")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("real")).unwrap();
        fs::write(root.join("real/a.yaml"), cm("a")).unwrap();
        std::os::unix::fs::symlink("real", root.join("linked")).unwrap();
        // A loop back to the root is walked once.
        std::os::unix::fs::symlink("..", root.join("real/up")).unwrap();
        let rendered =
            PlainRenderer::default().render_blocking(&Artifact::local(root.join("real"), "x"));
        assert!(
            rendered.is_err(),
            "link to the parent of the root leaves the root"
        );
        fs::remove_file(root.join("real/up")).unwrap();
        std::os::unix::fs::symlink("../real", root.join("real/self")).unwrap();
        // `linked` and `real` (and `real/self`) are one directory, walked once.
        let rendered = render(root).unwrap();
        assert_eq!(rendered.inputs, [PathBuf::from("linked/a.yaml")]);
        fs::remove_file(root.join("linked")).unwrap();
        let rendered = render(root).unwrap();
        assert_eq!(rendered.inputs, [PathBuf::from("real/a.yaml")]);

        std::os::unix::fs::symlink(outside.path().join("secret.yaml"), root.join("leak.yaml"))
            .unwrap();
        let err = render(root).unwrap_err();
        assert!(matches!(err, RenderError::SymlinkEscape { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("leak.yaml: symbolic link points outside the root")
        );
    }

    #[test]
    fn ignored_paths_are_absent() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("docs/deep")).unwrap();
        fs::create_dir_all(root.join("app")).unwrap();
        fs::write(root.join("app/cm.yaml"), cm("keep")).unwrap();
        fs::write(root.join("app/notes.yaml"), "not: [a manifest").unwrap();
        fs::write(root.join("docs/deep/x.yaml"), "broken: [").unwrap();
        fs::write(root.join("ci.yaml"), "broken: [").unwrap();
        let options = RenderOptions {
            ignore: vec!["docs/".into(), "notes.yaml".into(), "/ci.yaml".into()],
            ..RenderOptions::default()
        };
        let rendered = PlainRenderer::new(options)
            .render_blocking(&Artifact::local(root, "x"))
            .unwrap();
        assert_eq!(rendered.inputs, [PathBuf::from("app/cm.yaml")]);
        let bad = RenderOptions {
            ignore: vec!["a[".into()],
            ..RenderOptions::default()
        };
        let err = PlainRenderer::new(bad)
            .render_blocking(&Artifact::local(root, "x"))
            .unwrap_err();
        assert!(
            err.to_string().starts_with("ignore pattern \"a[\""),
            "{err}"
        );
    }

    #[test]
    fn huge_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("big.yaml"), "a".repeat(2048)).unwrap();
        let err = PlainRenderer::new(RenderOptions::default().max_file_size(1024))
            .render_blocking(&Artifact::local(dir.path(), "x"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "big.yaml: file is 2048 bytes, more than the limit of 1024"
        );
    }

    #[test]
    fn non_utf8_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("bin.yaml"), [0xff, 0xfe, 0x00]).unwrap();
        assert_eq!(
            render(dir.path()).unwrap_err().to_string(),
            "bin.yaml: not UTF-8 text"
        );
    }

    #[test]
    fn duplicates_across_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.yaml"), cm("x")).unwrap();
        fs::write(dir.path().join("b.yaml"), format!("{NS}---\n{}", cm("x"))).unwrap();
        assert_eq!(
            render(dir.path()).unwrap_err().to_string(),
            "b.yaml: document 2: duplicate object ConfigMap/shop/x (also defined in a.yaml: document 1)"
        );
    }

    #[test]
    fn kustomization_directories_are_built_with_kustomize() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("app")).unwrap();
        fs::write(dir.path().join("a.yaml"), NS).unwrap();
        fs::write(
            dir.path().join("app/kustomization.yaml"),
            "resources: [cm.yaml]\nnamePrefix: p-\n",
        )
        .unwrap();
        fs::write(dir.path().join("app/cm.yaml"), cm("c")).unwrap();
        fs::write(dir.path().join("app/unused.yaml"), "not: [valid").unwrap();
        let rendered = render(dir.path()).unwrap();
        let names: Vec<&str> = rendered.objects.iter().map(|o| o.name()).collect();
        assert_eq!(names, ["shop", "p-c"]);
        let inputs: Vec<String> = rendered
            .inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(inputs, ["a.yaml", "app/cm.yaml", "app/kustomization.yaml"]);
    }

    #[test]
    fn missing_directory() {
        let dir = tempfile::tempdir().unwrap();
        let err = render(&dir.path().join("nope")).unwrap_err();
        assert!(matches!(err, RenderError::Io { .. }), "{err}");
        fs::write(dir.path().join("file.yaml"), NS).unwrap();
        let err = render(&dir.path().join("file.yaml")).unwrap_err();
        assert!(matches!(err, RenderError::NotADirectory { .. }), "{err}");
    }

    #[tokio::test]
    async fn async_renderer() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.yaml"), NS).unwrap();
        let rendered = PlainRenderer::default()
            .render(&Artifact::local(dir.path(), "x"))
            .await
            .unwrap();
        assert_eq!(rendered.objects.len(), 1);
    }
}
