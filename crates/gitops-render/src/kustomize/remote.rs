//! Remote kustomization targets (`https://github.com/org/repo//path?ref=v1`): the
//! [`RemoteLoader`] seam the caller injects, and the URL syntax kustomize accepts.

use std::error::Error;
use std::path::PathBuf;

/// Where a remote target was materialised on the local disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteTarget {
    /// The root of the checkout: nothing outside it may be read.
    pub root: PathBuf,
    /// The kustomization's directory (or, for a `resources` entry, the file of manifests),
    /// relative to `root` (empty for the root itself).
    pub path: PathBuf,
}

/// Fetches remote kustomization targets (Git repositories) for the Kustomize renderer.
///
/// The renderer calls [`RemoteLoader::load`] for every remote entry of `resources` or
/// `components`; the loader decides how to fetch and cache. Files of a remote target are read
/// with the same confinement as local ones (nothing outside [`RemoteTarget::root`]).
///
/// A target is usually a directory holding a kustomization (a Git repository's). For a
/// `resources` entry it may also be a file of manifests, as kustomize fetches a URL such as
/// `https://github.com/org/repo/releases/download/v1/install.yaml` over HTTP: the loader
/// downloads it and points [`RemoteTarget::path`] at the file.
///
/// ```
/// use std::path::PathBuf;
/// use gitops_render::kustomize::{RemoteLoader, RemoteTarget, RemoteUrl};
///
/// /// Serves every URL from a directory of pre-fetched repositories, named after their path.
/// struct Prefetched(PathBuf);
///
/// impl RemoteLoader for Prefetched {
///     fn load(&self, url: &str) -> Result<RemoteTarget, Box<dyn std::error::Error + Send + Sync>> {
///         let parsed = RemoteUrl::parse(url).ok_or("not a remote URL")?;
///         Ok(RemoteTarget { root: self.0.join(&parsed.repo_path), path: parsed.path.into() })
///     }
/// }
///
/// let loader = Prefetched("/var/cache/repos".into());
/// let target = loader.load("https://github.com/org/repo//deploy/prod?ref=v1").unwrap();
/// assert_eq!(target.root, PathBuf::from("/var/cache/repos/org/repo"));
/// assert_eq!(target.path, PathBuf::from("deploy/prod"));
/// ```
pub trait RemoteLoader: Send + Sync {
    /// Materialises the repository a URL names and says where its kustomization is.
    fn load(&self, url: &str) -> Result<RemoteTarget, Box<dyn Error + Send + Sync>>;
}

/// A remote URL split the way kustomize splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteUrl {
    /// Scheme, user and host, e.g. `https://github.com/` or `git@gitlab.com:`.
    pub host: String,
    /// The repository's path on the host, e.g. `org/repo` (a trailing `.git` is kept).
    pub repo_path: String,
    /// The path of the kustomization inside the repository (may be empty).
    pub path: String,
    /// The `ref` query parameter (branch, tag or commit), if any.
    pub reference: Option<String>,
}

impl RemoteUrl {
    /// Parses a URL kustomize would treat as a remote Git target; `None` for local paths.
    ///
    /// ```
    /// use gitops_render::kustomize::RemoteUrl;
    ///
    /// let url = RemoteUrl::parse("github.com/org/repo/deploy?ref=v1.2.0").unwrap();
    /// assert_eq!(url.host, "https://github.com/");
    /// assert_eq!(url.repo_path, "org/repo");
    /// assert_eq!(url.path, "deploy");
    /// assert_eq!(url.reference.as_deref(), Some("v1.2.0"));
    /// assert!(RemoteUrl::parse("../base").is_none());
    /// ```
    pub fn parse(url: &str) -> Option<RemoteUrl> {
        if url.starts_with('/') {
            return None;
        }
        let (rest, query) = url.split_once('?').unwrap_or((url, ""));
        let rest = strip_prefix_ci(rest, "git::").unwrap_or(rest);
        let (scheme, rest) = ["ssh://", "https://", "http://", "file://"]
            .iter()
            .find_map(|s| strip_prefix_ci(rest, s).map(|r| (*s, r)))
            .unwrap_or(("", rest));
        let (user, rest) = split_user(rest);
        let github = rest.to_ascii_lowercase().starts_with("github.com/")
            || rest.to_ascii_lowercase().starts_with("github.com:");
        let scp = scheme.is_empty() && (!user.is_empty() || github);
        if scheme.is_empty() && !scp {
            return None;
        }
        let (host, path) = if scheme == "file://" {
            (scheme.to_owned(), format!("{user}{rest}"))
        } else {
            let sep = rest
                .find(|c| c == '/' || (scp && c == ':'))
                .map_or(rest.len(), |i| i + 1);
            let (host, path) = rest.split_at(sep);
            if host.is_empty() {
                return None;
            }
            let host = if github {
                if scheme == "ssh://" || !user.is_empty() {
                    format!("{user}github.com:")
                } else {
                    "https://github.com/".to_owned()
                }
            } else {
                format!("{scheme}{user}{host}")
            };
            (host, path.to_owned())
        };
        let (repo_path, kust_path) = split_repo_path(&path);
        let reference = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "ref" || *k == "version")
            .map(|(_, v)| v.to_owned())
            .filter(|v| !v.is_empty());
        Some(RemoteUrl {
            host,
            repo_path,
            path: kust_path,
            reference,
        })
    }
}

/// True when kustomize would treat `path` as a remote target rather than a local path.
pub(crate) fn is_remote(path: &str) -> bool {
    RemoteUrl::parse(path).is_some()
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// kustomize accepts a user name `[a-zA-Z][a-zA-Z0-9-]*@`.
fn split_user(s: &str) -> (&str, &str) {
    let Some(at) = s.find('@') else {
        return ("", s);
    };
    let name = &s[..at];
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if valid { s.split_at(at + 1) } else { ("", s) }
}

/// Splits `org/repo//path`, `org/repo.git/path` or `org/repo/path` (two segments).
fn split_repo_path(path: &str) -> (String, String) {
    if let Some((repo, rest)) = path.split_once("//") {
        return (repo.to_owned(), rest.trim_start_matches('/').to_owned());
    }
    if let Some(i) = path.find(".git/") {
        return (
            path[..i + 4].to_owned(),
            path[i + 5..].trim_start_matches('/').to_owned(),
        );
    }
    let mut parts = path.splitn(3, '/');
    let org = parts.next().unwrap_or_default();
    let repo = parts.next().unwrap_or_default();
    let rest = parts.next().unwrap_or_default();
    if repo.is_empty() {
        (org.to_owned(), String::new())
    } else {
        (format!("{org}/{repo}"), rest.to_owned())
    }
}
