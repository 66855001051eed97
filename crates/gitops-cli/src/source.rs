//! Building the source the arguments name.

use std::path::{Path, PathBuf};

use gitops_render::RenderOptions;
use gitops_source::git::SshOptions;
use gitops_source::{AnySource, GitRef, GitSourceOptions, LocalDir};

use crate::args::{RefArgs, SourceArgs};
use crate::exit::Failure;

/// The Git reference of the flags.
pub fn reference(args: &RefArgs) -> Result<GitRef, Failure> {
    GitRef::from_parts(
        args.branch.as_deref(),
        args.tag.as_deref(),
        args.semver.as_deref(),
        args.commit.as_deref(),
    )
    .map_err(Failure::bad_input)
}

/// The Git options of the flags, with another reference.
pub fn git_options(args: &SourceArgs, url: &str, reference: GitRef) -> GitSourceOptions {
    let mut options = GitSourceOptions::new(url)
        .reference(reference)
        .path(args.sub_path.clone().unwrap_or_default())
        .timeout(args.git_timeout)
        .ssh(SshOptions {
            key: args.ssh_key.clone(),
            known_hosts: args.known_hosts.clone(),
            command: None,
        });
    options.cache_dir.clone_from(&args.cache_dir);
    options
}

/// The source the arguments name.
pub fn build(args: &SourceArgs) -> Result<AnySource, Failure> {
    match (&args.git, &args.dir) {
        (Some(url), _) => {
            let options = git_options(args, url, reference(&args.reference)?);
            AnySource::git(options).map_err(|e| Failure::classify(e, true))
        }
        (None, Some(dir)) => {
            let (root, path) = local_root(args, dir)?;
            Ok(AnySource::Dir(LocalDir::new(root).path(path)))
        }
        (None, None) => Err(Failure::bad_input(anyhow::anyhow!(
            "give a PATH or --git URL"
        ))),
    }
}

/// The enclosing Git work tree of a directory, if any.
fn work_tree(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The root a local render may read from, and the directory to render relative to it: `--root`,
/// else the Git work tree the directory is in, else the directory.
fn local_root(args: &SourceArgs, dir: &Path) -> Result<(PathBuf, PathBuf), Failure> {
    let resolve = |p: &Path| {
        std::fs::canonicalize(p)
            .map_err(|e| Failure::bad_input(anyhow::anyhow!("{}: {e}", p.display())))
    };
    let full = resolve(dir)?;
    let root = match &args.root {
        Some(root) => resolve(root)?,
        None => work_tree(&full).unwrap_or_else(|| full.clone()),
    };
    let path = full
        .strip_prefix(&root)
        .map(Path::to_path_buf)
        .map_err(|_| {
            Failure::bad_input(anyhow::anyhow!(
                "{} is not inside --root {}",
                dir.display(),
                root.display()
            ))
        })?;
    Ok((root, path))
}

/// How to render: files are named as the user typed the directory.
pub fn render_options(args: &SourceArgs) -> RenderOptions {
    let (None, Some(dir)) = (&args.git, &args.dir) else {
        return RenderOptions::default();
    };
    // Files are relative to the root; shown from where the user typed the directory.
    let depth = local_root(args, dir).map_or(0, |(_, path)| path.components().count());
    let mut shown = dir.clone();
    for _ in 0..depth {
        if !shown.pop() {
            break;
        }
    }
    RenderOptions::default().display_root(shown)
}

/// A default sync name for a source: the rendered directory's name.
pub fn default_name(args: &SourceArgs) -> String {
    let path = match (&args.git, &args.dir) {
        (Some(url), _) => args
            .sub_path
            .clone()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| url.trim_end_matches(".git").into()),
        (None, Some(dir)) => std::path::absolute(dir).unwrap_or_else(|_| dir.clone()),
        (None, None) => "default".into(),
    };
    path.file_name()
        .map(|n| {
            n.to_string_lossy()
                .to_lowercase()
                .replace(['_', '.', ' '], "-")
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".to_owned())
}
