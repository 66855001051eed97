//! Safe reading of an artifact's files: nothing outside the root, no huge files.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::RenderError;

/// Options shared by the renderers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RenderOptions {
    /// The largest file a render reads, in bytes (default 64 MiB).
    pub max_file_size: u64,
    /// How files are named in errors: joined to this path instead of the artifact's root
    /// (the CLI passes the directory the user typed).
    pub display_root: Option<PathBuf>,
    /// Paths to leave out, gitignore-like globs relative to the artifact's root: `*.md`
    /// anywhere, `docs/**` and `/ci.yaml` from the root, `tmp/` a directory. Ignored files are
    /// never walked nor read, as if absent (Flux's `ignore`).
    pub ignore: Vec<String>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            max_file_size: 64 * 1024 * 1024,
            display_root: None,
            ignore: Vec::new(),
        }
    }
}

/// Compiles gitignore-like patterns.
fn ignore_set(patterns: &[String]) -> Result<Option<globset::GlobSet>, RenderError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = globset::GlobSetBuilder::new();
    for pattern in patterns {
        let trimmed = pattern.trim();
        let dir = trimmed.ends_with('/');
        let body = trimmed.trim_end_matches('/');
        let glob = match body.strip_prefix('/') {
            Some(anchored) => anchored.to_owned(),
            None if body.contains('/') => body.to_owned(),
            None => format!("**/{body}"),
        };
        let glob = if dir { format!("{glob}/**") } else { glob };
        for candidate in [glob.clone(), format!("{glob}/**")] {
            let compiled = globset::GlobBuilder::new(&candidate)
                .literal_separator(true)
                .build()
                .map_err(|e| RenderError::InvalidIgnore {
                    pattern: pattern.clone(),
                    reason: e.kind().to_string(),
                })?;
            builder.add(compiled);
        }
    }
    builder
        .build()
        .map(Some)
        .map_err(|e| RenderError::InvalidIgnore {
            pattern: patterns.join(", "),
            reason: e.to_string(),
        })
}

impl RenderOptions {
    /// Sets [`RenderOptions::display_root`].
    #[must_use]
    pub fn display_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.display_root = Some(root.into());
        self
    }

    /// Sets [`RenderOptions::max_file_size`].
    #[must_use]
    pub fn max_file_size(mut self, bytes: u64) -> Self {
        self.max_file_size = bytes;
        self
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RenderError + '_ {
    move |source| RenderError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// Nothing.
    Missing,
    /// A file (or anything that is not a directory).
    File,
    /// A directory.
    Dir,
}

/// A root that reads are confined to.
#[derive(Debug)]
pub(crate) struct Root {
    /// The root as given.
    dir: PathBuf,
    /// The root with every symlink resolved.
    canonical: PathBuf,
    display: Option<PathBuf>,
    max_file_size: u64,
    /// Directories already resolved (relative path to canonical path).
    dirs: RefCell<HashMap<PathBuf, PathBuf>>,
    /// Paths treated as absent.
    ignore: Option<globset::GlobSet>,
}

impl Root {
    pub(crate) fn new(dir: &Path, options: &RenderOptions) -> Result<Self, RenderError> {
        let canonical = fs::canonicalize(dir).map_err(io(dir))?;
        if !canonical.is_dir() {
            return Err(RenderError::NotADirectory {
                path: options
                    .display_root
                    .clone()
                    .unwrap_or_else(|| dir.to_path_buf()),
            });
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            canonical,
            display: options.display_root.clone(),
            max_file_size: options.max_file_size,
            dirs: RefCell::new(HashMap::new()),
            ignore: ignore_set(&options.ignore)?,
        })
    }

    /// Whether a path (relative to the root) is ignored.
    pub(crate) fn ignored(&self, rel: &Path) -> bool {
        self.ignore.as_ref().is_some_and(|set| set.is_match(rel))
    }

    /// A path relative to the root, checked to stay inside it lexically.
    pub(crate) fn relative(&self, path: &Path) -> Result<PathBuf, RenderError> {
        let mut out = PathBuf::new();
        for component in path.components() {
            match component {
                Component::Normal(part) => out.push(part),
                Component::CurDir => {}
                Component::ParentDir if out.pop() => {}
                _ => {
                    return Err(RenderError::PathEscape {
                        path: path.to_path_buf(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// How to name a path (relative to the root) for people.
    pub(crate) fn display(&self, rel: &Path) -> PathBuf {
        let shown = match &self.display {
            Some(display) => display.join(rel),
            None => rel.to_path_buf(),
        };
        if shown.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            shown
        }
    }

    /// Resolves symlinks of `rel` and checks that the result stays inside the root.
    fn confine(&self, rel: &Path) -> Result<PathBuf, RenderError> {
        let full = self.dir.join(rel);
        let target = fs::canonicalize(&full).map_err(io(&self.display(rel)))?;
        if target.starts_with(&self.canonical) {
            Ok(target)
        } else {
            Err(RenderError::SymlinkEscape {
                link: self.display(rel),
                target,
            })
        }
    }

    /// Every file under `rel` (a directory), recursively, in a deterministic order, skipping
    /// hidden entries. Symlinks are followed only when they stay inside the root.
    pub(crate) fn walk(&self, rel: &Path) -> Result<Vec<PathBuf>, RenderError> {
        if !self.confine(rel)?.is_dir() {
            return Err(RenderError::NotADirectory {
                path: self.display(rel),
            });
        }
        let mut files = Vec::new();
        self.walk_into(rel, &mut HashSet::new(), &mut files)?;
        Ok(files)
    }

    /// Walks one directory; `seen` holds every directory walked so far (resolved), so a
    /// directory reached twice through links is walked once and link loops end.
    fn walk_into(
        &self,
        rel: &Path,
        seen: &mut HashSet<PathBuf>,
        files: &mut Vec<PathBuf>,
    ) -> Result<(), RenderError> {
        if !seen.insert(self.confine(rel)?) {
            return Ok(());
        }
        let dir = self.dir.join(rel);
        let shown = self.display(rel);
        // The entry's type comes with the directory listing: no `lstat` per entry.
        let mut entries = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io(&shown))? {
            let entry = entry.map_err(io(&shown))?;
            let kind = entry.file_type().map_err(io(&shown))?;
            entries.push((entry.file_name(), kind));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, kind) in entries {
            if name.as_encoded_bytes().starts_with(b".") {
                continue;
            }
            let child = rel.join(&name);
            if self.ignored(&child) {
                continue;
            }
            let is_dir = if kind.is_symlink() {
                self.confine(&child)?.is_dir()
            } else {
                kind.is_dir()
            };
            if is_dir {
                self.walk_into(&child, seen, files)?;
            } else {
                files.push(child);
            }
        }
        Ok(())
    }

    /// Reads a file (relative to the root) as UTF-8 text, within the size limit.
    pub(crate) fn read(&self, rel: &Path) -> Result<String, RenderError> {
        let bytes = self.read_bytes(rel)?;
        String::from_utf8(bytes).map_err(|_| RenderError::NotUtf8 {
            path: self.display(rel),
        })
    }

    /// Reads a file (relative to the root), within the size limit.
    pub(crate) fn read_bytes(&self, rel: &Path) -> Result<Vec<u8>, RenderError> {
        if self.ignored(rel) {
            return Err(io(&self.display(rel))(std::io::ErrorKind::NotFound.into()));
        }
        let path = self.confine(rel)?;
        self.read_resolved(&path, rel)
    }

    /// Reads a file already resolved by [`Root::probe`], within the size limit.
    pub(crate) fn read_resolved(
        &self,
        canonical: &Path,
        rel: &Path,
    ) -> Result<Vec<u8>, RenderError> {
        let shown = || self.display(rel);
        let size = fs::metadata(canonical).map_err(io(&shown()))?.len();
        if size > self.max_file_size {
            return Err(RenderError::FileTooLarge {
                path: shown(),
                size,
                limit: self.max_file_size,
            });
        }
        fs::read(canonical).map_err(io(&shown()))
    }

    /// What is at `rel` (relative to the root): nothing, a file or a directory. Symlinks are
    /// followed, and must stay inside the root.
    pub(crate) fn kind_of(&self, rel: &Path) -> Result<EntryKind, RenderError> {
        Ok(self.probe(rel)?.0)
    }

    /// What is at `rel`, and where it is with every symlink resolved (confined to the root).
    ///
    /// Directories are resolved once and remembered, so probing many files of one directory
    /// costs one `lstat` each.
    pub(crate) fn probe(&self, rel: &Path) -> Result<(EntryKind, PathBuf), RenderError> {
        if self.ignored(rel) {
            return Ok((EntryKind::Missing, PathBuf::new()));
        }
        let full = self.dir.join(rel);
        let Ok(meta) = fs::symlink_metadata(&full) else {
            return Ok((EntryKind::Missing, PathBuf::new()));
        };
        let symlink = meta.file_type().is_symlink();
        let canonical = match (symlink, rel.parent(), rel.file_name()) {
            (false, _, _) if meta.is_dir() => self.canonical_dir(rel)?,
            (false, Some(parent), Some(name)) => self.canonical_dir(parent)?.join(name),
            _ => self.confine(rel)?,
        };
        let is_dir = if symlink {
            fs::metadata(&canonical)
                .map_err(io(&self.display(rel)))?
                .is_dir()
        } else {
            meta.is_dir()
        };
        let kind = if is_dir {
            EntryKind::Dir
        } else {
            EntryKind::File
        };
        Ok((kind, canonical))
    }

    fn canonical_dir(&self, rel: &Path) -> Result<PathBuf, RenderError> {
        if let Some(known) = self.dirs.borrow().get(rel) {
            return Ok(known.clone());
        }
        let canonical = self.confine(rel)?;
        self.dirs
            .borrow_mut()
            .insert(rel.to_path_buf(), canonical.clone());
        Ok(canonical)
    }

    /// The path with every symlink resolved (it must exist and stay inside the root).
    pub(crate) fn canonical(&self, rel: &Path) -> Result<PathBuf, RenderError> {
        self.canonical_dir(rel)
    }
}
