//! File access for a build: kustomization roots, kustomize's load restrictor, cycle checks,
//! remote targets and the record of every file read.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use super::remote::{RemoteLoader, is_remote};
use super::{KustomizeError, LoadRestrictor};
use crate::fs::{EntryKind, Root};
use crate::{RenderError, RenderOptions};

/// The file names kustomize recognises, in its order of preference.
pub(crate) const KUSTOMIZATION_FILES: &[&str] =
    &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// A tree files are read from: the artifact, or a remote checkout.
#[derive(Debug)]
struct Tree {
    root: Root,
    /// The artifact's tree: files read from it are inputs of the render.
    artifact: bool,
}

/// A directory inside one of the trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dir {
    tree: usize,
    /// Relative to the tree's root.
    pub rel: PathBuf,
}

/// A file inside one of the trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileRef {
    tree: usize,
    rel: PathBuf,
    /// With every symlink resolved.
    canonical: PathBuf,
}

/// What a path in a kustomization names.
#[derive(Debug)]
pub(crate) enum Entry {
    File(FileRef),
    Dir(Dir),
}

/// Where a path is used: the kustomization file and field, for errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Site<'a> {
    pub file: &'a Path,
    pub field: &'a str,
}

impl Site<'_> {
    /// An [`KustomizeError::Invalid`] at this site.
    pub(crate) fn invalid(&self, message: impl Into<String>) -> KustomizeError {
        KustomizeError::Invalid {
            file: self.file.to_path_buf(),
            field: self.field.to_owned(),
            message: message.into(),
        }
    }
}

/// All file access of one build.
pub(crate) struct Files<'a> {
    trees: Vec<Tree>,
    render: &'a RenderOptions,
    restrictor: LoadRestrictor,
    remote: Option<&'a dyn RemoteLoader>,
    inputs: BTreeSet<PathBuf>,
    external: BTreeSet<String>,
}

impl<'a> Files<'a> {
    /// File access confined to `root` (the artifact).
    pub(crate) fn new(
        root: &Path,
        render: &'a RenderOptions,
        restrictor: LoadRestrictor,
        remote: Option<&'a dyn RemoteLoader>,
    ) -> Result<Self, RenderError> {
        Ok(Files {
            trees: vec![Tree {
                root: Root::new(root, render)?,
                artifact: true,
            }],
            render,
            restrictor,
            remote,
            inputs: BTreeSet::new(),
            external: BTreeSet::new(),
        })
    }

    /// A directory of the artifact, given relative to its root.
    pub(crate) fn artifact_dir(&self, path: &Path) -> Result<Dir, RenderError> {
        let rel = self.trees[0].root.relative(path)?;
        match self.trees[0].root.kind_of(&rel)? {
            EntryKind::Dir => Ok(Dir { tree: 0, rel }),
            EntryKind::File => Err(RenderError::NotADirectory {
                path: self.trees[0].root.display(&rel),
            }),
            EntryKind::Missing => Err(RenderError::Io {
                path: self.trees[0].root.display(&rel),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            }),
        }
    }

    /// Every file read from the artifact so far, relative to its root, and every source read
    /// from outside it (URLs without credentials).
    pub(crate) fn into_inputs(self) -> (Vec<PathBuf>, Vec<String>) {
        (
            self.inputs.into_iter().collect(),
            self.external.into_iter().collect(),
        )
    }

    /// Records a source read from outside the artifact.
    pub(crate) fn record_external(&mut self, url: &str) {
        self.external.insert(without_credentials(url));
    }

    /// The directory `path` (relative to `from`) names, if it exists and is a directory.
    pub(crate) fn find_dir(
        &self,
        from: &Dir,
        path: &str,
        site: Site<'_>,
    ) -> Result<Option<Dir>, KustomizeError> {
        match self.resolve(from, path, site) {
            Ok(Entry::Dir(dir)) => Ok(Some(dir)),
            Ok(Entry::File(_)) | Err(KustomizeError::Missing { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A directory's place on disk, symlinks resolved (inside its tree), after kustomize's
    /// load restrictor: it must be in or below `from` unless the restrictor is off.
    pub(crate) fn disk_dir(
        &self,
        from: &Dir,
        dir: &Dir,
        site: Site<'_>,
    ) -> Result<PathBuf, KustomizeError> {
        let root = &self.trees[dir.tree].root;
        let canonical = root.canonical(&dir.rel)?;
        if self.restrictor == LoadRestrictor::None && self.trees[dir.tree].artifact {
            return Ok(canonical);
        }
        let base = self.trees[from.tree].root.canonical(&from.rel)?;
        if canonical.starts_with(&base) {
            Ok(canonical)
        } else {
            Err(KustomizeError::OutsideRoot {
                file: site.file.to_path_buf(),
                field: site.field.to_owned(),
                path: root.display(&dir.rel),
                root: self.trees[from.tree].root.display(&from.rel),
            })
        }
    }

    /// Records every file below a directory as an input (a chart read as a whole).
    pub(crate) fn record_dir(&mut self, dir: &Dir) -> Result<(), KustomizeError> {
        if self.trees[dir.tree].artifact {
            let files = self.trees[dir.tree].root.walk(&dir.rel)?;
            self.inputs.extend(files);
        }
        Ok(())
    }

    /// How to show a path in a tree to people.
    pub(crate) fn display(&self, tree: usize, rel: &Path) -> PathBuf {
        self.trees[tree].root.display(rel)
    }

    /// How to show a directory.
    pub(crate) fn display_dir(&self, dir: &Dir) -> PathBuf {
        self.display(dir.tree, &dir.rel)
    }

    /// How to show a file.
    pub(crate) fn display_file(&self, file: &FileRef) -> PathBuf {
        self.display(file.tree, &file.rel)
    }

    /// A file's name, for messages and origins.
    pub(crate) fn file_name(&self, file: &FileRef) -> String {
        self.display_file(file).to_string_lossy().into_owned()
    }

    /// The kustomization file of a directory, if it has exactly one.
    pub(crate) fn kustomization_file(&self, dir: &Dir) -> Result<Option<FileRef>, KustomizeError> {
        let root = &self.trees[dir.tree].root;
        let mut found = None;
        for name in KUSTOMIZATION_FILES {
            let rel = dir.rel.join(name);
            let (kind, canonical) = root.probe(&rel)?;
            if kind == EntryKind::File {
                if found.is_some() {
                    return Err(KustomizeError::MultipleKustomizations {
                        dir: self.display_dir(dir),
                    });
                }
                found = Some(FileRef {
                    tree: dir.tree,
                    rel,
                    canonical,
                });
            }
        }
        Ok(found)
    }

    /// Reads a file as text, recording it as an input.
    pub(crate) fn read(&mut self, file: &FileRef) -> Result<String, KustomizeError> {
        let bytes = self.read_bytes(file)?;
        String::from_utf8(bytes).map_err(|_| {
            KustomizeError::from(RenderError::NotUtf8 {
                path: self.display_file(file),
            })
        })
    }

    /// Reads a file's bytes, recording it as an input.
    pub(crate) fn read_bytes(&mut self, file: &FileRef) -> Result<Vec<u8>, KustomizeError> {
        let bytes = self.trees[file.tree]
            .root
            .read_resolved(&file.canonical, &file.rel)?;
        self.record(file);
        Ok(bytes)
    }

    fn record(&mut self, file: &FileRef) {
        if self.trees[file.tree].artifact {
            self.inputs.insert(file.rel.clone());
        }
    }

    /// Resolves a path written in the kustomization of `from` to a file or directory.
    pub(crate) fn resolve(
        &self,
        from: &Dir,
        path: &str,
        site: Site<'_>,
    ) -> Result<Entry, KustomizeError> {
        if path.is_empty() {
            return Err(site.invalid("empty path"));
        }
        if Path::new(path).is_absolute() {
            return Err(site.invalid(format!(
                "{path}: absolute paths are not supported (they leave the source)"
            )));
        }
        let root = &self.trees[from.tree].root;
        let joined = from.rel.join(path);
        let rel = normalize(&joined).ok_or_else(|| KustomizeError::LeavesRoot {
            file: site.file.to_path_buf(),
            field: site.field.to_owned(),
            path: PathBuf::from(path),
        })?;
        let (kind, canonical) = root.probe(&rel)?;
        match kind {
            EntryKind::Missing => Err(KustomizeError::Missing {
                file: site.file.to_path_buf(),
                field: site.field.to_owned(),
                path: root.display(&rel),
            }),
            EntryKind::Dir => Ok(Entry::Dir(Dir {
                tree: from.tree,
                rel,
            })),
            EntryKind::File => Ok(Entry::File(FileRef {
                tree: from.tree,
                rel,
                canonical,
            })),
        }
    }

    /// Resolves a path that must be a file inside the kustomization's directory (unless the
    /// load restrictor is off).
    pub(crate) fn resolve_file(
        &self,
        from: &Dir,
        path: &str,
        site: Site<'_>,
    ) -> Result<FileRef, KustomizeError> {
        match self.resolve(from, path, site)? {
            Entry::File(file) => {
                self.check_restrictor(from, &file, site)?;
                Ok(file)
            }
            Entry::Dir(dir) => Err(site.invalid(format!(
                "{}: is a directory, expected a file",
                self.display_dir(&dir).display()
            ))),
        }
    }

    /// kustomize's `RestrictionRootOnly`: the file, symlinks resolved, must be in or below
    /// the kustomization's directory.
    pub(crate) fn check_restrictor(
        &self,
        from: &Dir,
        file: &FileRef,
        site: Site<'_>,
    ) -> Result<(), KustomizeError> {
        if self.restrictor == LoadRestrictor::None && self.trees[file.tree].artifact {
            return Ok(());
        }
        let root = &self.trees[from.tree].root;
        let dir = root.canonical(&from.rel)?;
        if file.canonical.starts_with(&dir) {
            Ok(())
        } else {
            Err(KustomizeError::OutsideRoot {
                file: site.file.to_path_buf(),
                field: site.field.to_owned(),
                path: root.display(&file.rel),
                root: root.display(&from.rel),
            })
        }
    }

    /// The directory with symlinks resolved, for cycle checks.
    pub(crate) fn canonical_dir(&self, dir: &Dir) -> Result<PathBuf, KustomizeError> {
        Ok(self.trees[dir.tree].root.canonical(&dir.rel)?)
    }

    /// True when `path` names a remote target.
    pub(crate) fn is_remote(path: &str) -> bool {
        is_remote(path)
    }

    /// Materialises a remote target through the injected loader: a directory, or (for a
    /// `resources` entry) a file.
    pub(crate) fn remote(&mut self, url: &str, site: Site<'_>) -> Result<Entry, KustomizeError> {
        let Some(loader) = self.remote else {
            return Err(KustomizeError::RemoteWithoutLoader {
                file: site.file.to_path_buf(),
                field: site.field.to_owned(),
                url: url.to_owned(),
            });
        };
        let target = loader.load(url).map_err(|source| KustomizeError::Remote {
            file: site.file.to_path_buf(),
            field: site.field.to_owned(),
            url: without_credentials(url),
            source,
        })?;
        self.record_external(url);
        let shown = url.split('?').next().unwrap_or(url);
        // Files are named from the repository, which the URL names before the target's path.
        let repository = target
            .path
            .to_str()
            .filter(|p| !p.is_empty())
            .and_then(|p| shown.strip_suffix(p))
            .map_or(shown, |r| r.trim_end_matches('/'));
        let options = RenderOptions {
            display_root: Some(PathBuf::from(repository)),
            ..self.render.clone()
        };
        let mut root = Root::new(&target.root, &options)?;
        let rel = root.relative(&target.path)?;
        let (kind, canonical) = root.probe(&rel)?;
        // A file is shown as its URL when the URL ends with its path.
        if kind == EntryKind::File
            && let Some(parent) = rel
                .to_str()
                .and_then(|r| shown.strip_suffix(r))
                .and_then(|p| p.strip_suffix('/'))
        {
            let options = RenderOptions {
                display_root: Some(PathBuf::from(parent)),
                ..self.render.clone()
            };
            root = Root::new(&target.root, &options)?;
        }
        if !matches!(kind, EntryKind::Dir | EntryKind::File) {
            return Err(site.invalid(format!(
                "remote target {url}: {} is missing from its checkout",
                root.display(&rel).display()
            )));
        }
        self.trees.push(Tree {
            root,
            artifact: false,
        });
        let tree = self.trees.len() - 1;
        Ok(match kind {
            EntryKind::File => Entry::File(FileRef {
                tree,
                rel,
                canonical,
            }),
            _ => Entry::Dir(Dir { tree, rel }),
        })
    }
}

/// Joins lexically, resolving `.` and `..`; `None` when the path leaves the tree.
/// A URL without the user information of its authority (`https://user:token@host/…`).
pub(crate) fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(out)
}
