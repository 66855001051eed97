//! Writes a commit's tree into a directory, straight from the object database.
//!
//! Blobs become files (mode 0755 when executable), trees directories, submodules empty
//! directories. Every entry name is checked (no `.`, `..`, `/` or NUL), and after the tree is
//! written every symlink is resolved, through the links it passes, against the new directory:
//! one that is absolute or ends up outside is refused. The directory appears under its final
//! name only when complete (temp dir + rename), so a reader never sees half a tree.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use gix::objs::tree::EntryKind;

use super::Error;

/// What the caller needs to name errors.
pub(crate) struct Context<'a> {
    pub(crate) revision: &'a str,
    pub(crate) interrupt: &'a AtomicBool,
    pub(crate) url: &'a str,
}

/// Materialises `commit`'s tree as `artifacts/<hex>` unless it is there already; returns it.
pub(crate) fn materialise(
    repo: &gix::Repository,
    commit: gix::ObjectId,
    artifacts: &Path,
    cx: &Context<'_>,
) -> Result<PathBuf, Error> {
    let dest = artifacts.join(commit.to_hex().to_string());
    if dest.is_dir() {
        return Ok(dest);
    }
    let io = |action, path: &Path| {
        let path = path.to_owned();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    };
    std::fs::create_dir_all(artifacts).map_err(io("create", artifacts))?;
    let tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(artifacts)
        .map_err(io("create a temporary directory in", artifacts))?;
    let repo_error = |source| Error::Repository {
        path: repo.path().to_owned(),
        source,
    };
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree_id())
        .map_err(repo_error)?
        .detach();
    let mut links = Vec::new();
    let mut buf = Vec::new();
    write_tree(
        repo,
        tree,
        tmp.path(),
        Path::new(""),
        cx,
        &mut links,
        &mut buf,
    )?;
    for link in &links {
        check_symlink(tmp.path(), link, cx)?;
    }
    let written = tmp.keep();
    match std::fs::rename(&written, &dest) {
        Ok(()) => Ok(dest),
        Err(_) if dest.is_dir() => {
            // Written meanwhile by a process that does not share our lock (should not happen).
            let _ = std::fs::remove_dir_all(&written);
            Ok(dest)
        }
        Err(source) => {
            let _ = std::fs::remove_dir_all(&written);
            Err(Error::Io {
                action: "rename into place",
                path: dest,
                source,
            })
        }
    }
}

fn write_tree(
    repo: &gix::Repository,
    tree: gix::ObjectId,
    root: &Path,
    rel: &Path,
    cx: &Context<'_>,
    links: &mut Vec<PathBuf>,
    buf: &mut Vec<u8>,
) -> Result<(), Error> {
    if cx.interrupt.load(Ordering::Relaxed) {
        return Err(Error::Cancelled {
            url: cx.url.to_owned(),
        });
    }
    let repo_error = |source| Error::Repository {
        path: repo.path().to_owned(),
        source,
    };
    let tree = repo.find_tree(tree).map_err(repo_error)?;
    // Collect first: the tree's buffer is reused by lookups below.
    let entries: Vec<(EntryKind, String, gix::ObjectId)> = tree
        .iter()
        .map(|entry| {
            entry.map(|e| {
                (
                    e.mode().kind(),
                    e.filename().to_string(),
                    e.oid().to_owned(),
                )
            })
        })
        .collect::<Result<_, _>>()
        .map_err(|e| Error::Repository {
            path: repo.path().to_owned(),
            source: gix::Error::from_error(e),
        })?;
    drop(tree);
    for (kind, name, id) in entries {
        check_name(&name, rel, cx)?;
        let rel_path = rel.join(&name);
        let path = root.join(&rel_path);
        let io = |action| {
            let path = path.clone();
            move |source| Error::Io {
                action,
                path,
                source,
            }
        };
        match kind {
            EntryKind::Tree => {
                std::fs::create_dir(&path).map_err(io("create"))?;
                write_tree(repo, id, root, &rel_path, cx, links, buf)?;
            }
            EntryKind::Blob | EntryKind::BlobExecutable => {
                let blob = read_blob(repo, id, buf)?;
                write_file(&path, blob, kind == EntryKind::BlobExecutable).map_err(io("write"))?;
            }
            EntryKind::Link => {
                let target = read_blob(repo, id, buf)?;
                let target = PathBuf::from(String::from_utf8_lossy(target).into_owned());
                make_symlink(&target, &path).map_err(io("create symlink"))?;
                links.push(rel_path);
            }
            EntryKind::Commit => {
                // A submodule: Git leaves an empty directory too.
                std::fs::create_dir(&path).map_err(io("create"))?;
            }
        }
    }
    Ok(())
}

fn read_blob<'b>(
    repo: &gix::Repository,
    id: gix::ObjectId,
    buf: &'b mut Vec<u8>,
) -> Result<&'b [u8], Error> {
    use gix::prelude::Find;
    let data = repo
        .objects
        .try_find(&id, buf)
        .map_err(|e| Error::Repository {
            path: repo.path().to_owned(),
            source: gix::Error::from_error(e),
        })?;
    match data {
        Some(data) => Ok(data.data),
        None => Err(Error::Repository {
            path: repo.path().to_owned(),
            source: gix::Error::from_error(gix::error::not_found(format!(
                "object {id} is missing from the cache repository"
            ))),
        }),
    }
}

fn check_name(name: &str, parent: &Path, cx: &Context<'_>) -> Result<(), Error> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.contains('/')
        || name.contains('\\')
        || name.contains('\0');
    if bad {
        return Err(Error::UnsafeTreeEntry {
            parent: parent.to_owned(),
            name: name.to_owned(),
            revision: cx.revision.to_owned(),
        });
    }
    Ok(())
}

#[cfg(unix)]
fn write_file(path: &Path, data: &[u8], executable: bool) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if executable { 0o755 } else { 0o644 })
        .open(path)?;
    file.write_all(data)
}

#[cfg(not(unix))]
fn write_file(path: &Path, data: &[u8], _executable: bool) -> std::io::Result<()> {
    std::fs::write(path, data)
}

#[cfg(unix)]
fn make_symlink(target: &Path, path: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, path)
}

#[cfg(not(unix))]
fn make_symlink(target: &Path, path: &Path) -> std::io::Result<()> {
    // Without symlinks, Git writes the target as the file's content.
    std::fs::write(path, target.to_string_lossy().as_bytes())
}

/// Resolves the symlink at `rel` (relative to `root`) component by component, following the
/// links it passes (at most 40), and refuses it if it is absolute or leaves `root` at any step.
fn check_symlink(root: &Path, rel: &Path, cx: &Context<'_>) -> Result<(), Error> {
    let refuse = |target: &Path| Error::UnsafeSymlink {
        path: rel.to_owned(),
        target: target.to_owned(),
        revision: cx.revision.to_owned(),
    };
    let Ok(target) = std::fs::read_link(root.join(rel)) else {
        return Ok(()); // written as a plain file on this platform
    };
    let mut stack: Vec<std::ffi::OsString> = rel
        .parent()
        .map(|p| p.iter().map(ToOwned::to_owned).collect())
        .unwrap_or_default();
    let mut hops = 0;
    if resolve(root, &mut stack, &target, &mut hops).is_err() {
        return Err(refuse(&target));
    }
    Ok(())
}

/// Walks `target` from the directory `stack` (components below `root`); `Err` if it leaves
/// `root` or loops.
fn resolve(
    root: &Path,
    stack: &mut Vec<std::ffi::OsString>,
    target: &Path,
    hops: &mut u32,
) -> Result<(), ()> {
    for component in target.components() {
        match component {
            Component::RootDir | Component::Prefix(_) => return Err(()),
            Component::CurDir => {}
            Component::ParentDir => {
                stack.pop().ok_or(())?;
            }
            Component::Normal(name) => {
                let here: PathBuf = root
                    .iter()
                    .chain(stack.iter().map(|s| s.as_ref()))
                    .collect();
                let candidate = here.join(name);
                match std::fs::symlink_metadata(&candidate) {
                    Ok(meta) if meta.file_type().is_symlink() => {
                        *hops += 1;
                        if *hops > 40 {
                            return Err(());
                        }
                        let next = std::fs::read_link(&candidate).map_err(|_| ())?;
                        resolve(root, stack, &next, hops)?;
                    }
                    _ => stack.push(name.to_owned()),
                }
            }
        }
    }
    Ok(())
}
