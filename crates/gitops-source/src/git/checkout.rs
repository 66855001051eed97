//! Writes a commit's tree into a directory, straight from the object database.
//!
//! Blobs become files (mode 0755 when executable), trees directories, submodules empty
//! directories. Every entry name is checked (no `.`, `..`, `/` or NUL), and after the tree is
//! written every symlink is resolved, through the links it passes, against the new directory:
//! one that is absolute or ends up outside is refused. The directory appears under its final
//! name only when complete (temp dir + rename), so a reader never sees half a tree.
//!
//! A new revision starts from an existing artifact (recycled, or hard-linked) and only the
//! difference between the two trees is written, as `git checkout` does.

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
///
/// The new directory starts from an existing artifact when there is one, and only the
/// difference between the two trees is written: the least recently used artifact is recycled
/// (renamed and updated) when `keep` artifacts exist already, otherwise the most recent one is
/// copied with hard links. Files are never modified in place (a changed file is unlinked and
/// written anew), so a hard-linked artifact never changes under a reader.
pub(crate) fn materialise(
    repo: &gix::Repository,
    commit: gix::ObjectId,
    artifacts: &Path,
    keep: usize,
    cx: &Context<'_>,
) -> Result<PathBuf, Error> {
    let hex = commit.to_hex().to_string();
    let dest = artifacts.join(&hex);
    if dest.is_dir() {
        touch(&dest);
        return Ok(dest);
    }
    std::fs::create_dir_all(artifacts).map_err(io("create", artifacts))?;
    let tree = tree_of(repo, commit)?;
    let tmp = artifacts.join(format!(".tmp-{hex}"));
    remove_any(&tmp).map_err(io("remove", &tmp))?;
    let result = build(repo, tree, artifacts, &tmp, keep, cx).and_then(|()| {
        let mut links = Vec::new();
        collect_links(repo, tree, Path::new(""), &mut links)?;
        for link in &links {
            check_symlink(&tmp, link, cx)?;
        }
        std::fs::rename(&tmp, &dest).map_err(io("rename into place", &dest))
    });
    if let Err(error) = result {
        let _ = remove_any(&tmp);
        return Err(error);
    }
    touch(&dest);
    Ok(dest)
}

/// Fills `tmp` with `tree`, starting from an existing artifact when possible.
fn build(
    repo: &gix::Repository,
    tree: gix::ObjectId,
    artifacts: &Path,
    tmp: &Path,
    keep: usize,
    cx: &Context<'_>,
) -> Result<(), Error> {
    let mut buf = Vec::new();
    let existing = list_artifacts(repo, artifacts);
    let base = if keep > 0 && existing.len() >= keep {
        // Recycle the least recently used artifact: it would be pruned anyway.
        existing
            .first()
            .and_then(|(path, base_tree)| std::fs::rename(path, tmp).ok().map(|()| *base_tree))
    } else {
        existing.last().and_then(|(path, base_tree)| {
            match copy_with_hard_links(path, tmp) {
                Ok(()) => Some(*base_tree),
                Err(error) => {
                    tracing::debug!(artifact = ?path, %error, "cannot hard-link artifact; writing in full");
                    let _ = remove_any(tmp);
                    None
                }
            }
        })
    };
    match base {
        Some(base_tree) => {
            tracing::debug!(?base_tree, ?tree, "updating an existing artifact");
            apply_diff(repo, base_tree, tree, tmp, Path::new(""), cx, &mut buf)
        }
        None => {
            std::fs::create_dir(tmp).map_err(io("create", tmp))?;
            write_tree(repo, tree, tmp, Path::new(""), cx, &mut buf)
        }
    }
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error + use<> {
    let path = path.to_owned();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}

fn tree_of(repo: &gix::Repository, commit: gix::ObjectId) -> Result<gix::ObjectId, Error> {
    repo.find_commit(commit)
        .and_then(|c| c.tree_id())
        .map(gix::Id::detach)
        .map_err(|source| Error::Repository {
            path: repo.path().to_owned(),
            source,
        })
}

/// The artifacts (and their trees) in `dir`, least recently used first. Leftover temporary
/// directories are removed (the caller holds the cache lock).
fn list_artifacts(repo: &gix::Repository, dir: &Path) -> Vec<(PathBuf, gix::ObjectId)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".tmp-") {
            let _ = remove_any(&path);
            continue;
        }
        let Ok(id) = gix::ObjectId::from_hex(name.as_bytes()) else {
            continue;
        };
        let Ok(tree) = tree_of(repo, id) else {
            continue;
        };
        let Ok(modified) = entry.metadata().and_then(|m| m.modified()) else {
            continue;
        };
        found.push((modified, path, tree));
    }
    found.sort();
    found
        .into_iter()
        .map(|(_, path, tree)| (path, tree))
        .collect()
}

/// Marks an artifact as just used (for least-recently-used recycling and pruning).
fn touch(dir: &Path) {
    let now = std::time::SystemTime::now();
    if let Err(error) = std::fs::File::open(dir).and_then(|f| f.set_modified(now)) {
        tracing::debug!(artifact = ?dir, %error, "cannot update the artifact's modification time");
    }
}

fn remove_any(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn copy_with_hard_links(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_with_hard_links(&src, &dst)?;
        } else if kind.is_symlink() {
            make_symlink(&std::fs::read_link(&src)?, &dst)?;
        } else {
            std::fs::hard_link(&src, &dst)?;
        }
    }
    Ok(())
}

type Entries = Vec<(EntryKind, String, gix::ObjectId)>;

fn entries(repo: &gix::Repository, tree: gix::ObjectId) -> Result<Entries, Error> {
    let repo_error = |source| Error::Repository {
        path: repo.path().to_owned(),
        source,
    };
    let tree = repo.find_tree(tree).map_err(repo_error)?;
    tree.iter()
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
        .map_err(|e| repo_error(gix::Error::from_error(e)))
}

/// Turns the directory `root/rel`, which holds tree `old`, into tree `new`.
fn apply_diff(
    repo: &gix::Repository,
    old: gix::ObjectId,
    new: gix::ObjectId,
    root: &Path,
    rel: &Path,
    cx: &Context<'_>,
    buf: &mut Vec<u8>,
) -> Result<(), Error> {
    if old == new {
        return Ok(());
    }
    if cx.interrupt.load(Ordering::Relaxed) {
        return Err(Error::Cancelled {
            url: cx.url.to_owned(),
        });
    }
    let old_entries: std::collections::HashMap<String, (EntryKind, gix::ObjectId)> =
        entries(repo, old)?
            .into_iter()
            .map(|(kind, name, id)| (name, (kind, id)))
            .collect();
    let new_entries = entries(repo, new)?;
    let new_names: std::collections::HashSet<&str> = new_entries
        .iter()
        .map(|(_, name, _)| name.as_str())
        .collect();
    for name in old_entries.keys() {
        if !new_names.contains(name.as_str()) {
            let path = root.join(rel).join(name);
            remove_any(&path).map_err(io("remove", &path))?;
        }
    }
    for (kind, name, id) in new_entries {
        check_name(&name, rel, cx)?;
        match old_entries.get(&name) {
            Some((old_kind, old_id)) if *old_kind == kind && *old_id == id => {}
            Some((EntryKind::Tree, old_id)) if kind == EntryKind::Tree => {
                apply_diff(repo, *old_id, id, root, &rel.join(&name), cx, buf)?;
            }
            existing => {
                if existing.is_some() {
                    let path = root.join(rel).join(&name);
                    remove_any(&path).map_err(io("remove", &path))?;
                }
                write_entry(repo, kind, &name, id, root, rel, cx, buf)?;
            }
        }
    }
    Ok(())
}

/// Collects the paths of all symlinks in `tree`, from the object database.
fn collect_links(
    repo: &gix::Repository,
    tree: gix::ObjectId,
    rel: &Path,
    links: &mut Vec<PathBuf>,
) -> Result<(), Error> {
    for (kind, name, id) in entries(repo, tree)? {
        match kind {
            EntryKind::Tree => collect_links(repo, id, &rel.join(&name), links)?,
            EntryKind::Link => links.push(rel.join(&name)),
            _ => {}
        }
    }
    Ok(())
}

fn write_tree(
    repo: &gix::Repository,
    tree: gix::ObjectId,
    root: &Path,
    rel: &Path,
    cx: &Context<'_>,
    buf: &mut Vec<u8>,
) -> Result<(), Error> {
    if cx.interrupt.load(Ordering::Relaxed) {
        return Err(Error::Cancelled {
            url: cx.url.to_owned(),
        });
    }
    for (kind, name, id) in entries(repo, tree)? {
        check_name(&name, rel, cx)?;
        write_entry(repo, kind, &name, id, root, rel, cx, buf)?;
    }
    Ok(())
}

/// Writes one tree entry (recursively for trees) at `root/rel/name`, which must not exist.
#[allow(clippy::too_many_arguments)]
fn write_entry(
    repo: &gix::Repository,
    kind: EntryKind,
    name: &str,
    id: gix::ObjectId,
    root: &Path,
    rel: &Path,
    cx: &Context<'_>,
    buf: &mut Vec<u8>,
) -> Result<(), Error> {
    let rel_path = rel.join(name);
    let path = root.join(&rel_path);
    match kind {
        EntryKind::Tree => {
            std::fs::create_dir(&path).map_err(io("create", &path))?;
            write_tree(repo, id, root, &rel_path, cx, buf)?;
        }
        EntryKind::Blob | EntryKind::BlobExecutable => {
            let blob = read_blob(repo, id, buf)?;
            write_file(&path, blob, kind == EntryKind::BlobExecutable)
                .map_err(io("write", &path))?;
        }
        EntryKind::Link => {
            let target = read_blob(repo, id, buf)?;
            let target = PathBuf::from(String::from_utf8_lossy(target).into_owned());
            make_symlink(&target, &path).map_err(io("create symlink", &path))?;
        }
        EntryKind::Commit => {
            // A submodule: Git leaves an empty directory too.
            std::fs::create_dir(&path).map_err(io("create", &path))?;
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
