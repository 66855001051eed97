//! The Git source: follows a branch, tag, semver range or commit of a repository with gix.
//!
//! A [`GitSource`] keeps one bare repository per URL in a cache directory
//! (`$XDG_CACHE_HOME/gitops/<name>-<hash of the URL>/repo.git`). Each fetch:
//!
//! 1. takes the cache entry's file lock (two fetches of one URL never interleave);
//! 2. asks the remote for the one reference it follows (a handshake and `ls-refs`, filtered
//!    server side); if the commit it points to is already in the cache, nothing is transferred;
//! 3. otherwise fetches that reference only: shallow (depth 1 by default) and incremental, as
//!    the cache's refs are offered to the server as `have`s;
//! 4. writes the commit's tree into `artifacts/<commit>` (from the object database, through a
//!    temporary directory and a rename, once per commit), checking every symlink;
//! 5. returns an [`Artifact`] with the revision `<ref>@sha1:<hex>` and the commit's metadata.
//!
//! gix is blocking: [`Source::fetch`] runs it on tokio's blocking pool, and the timeout bounds
//! the whole operation (see [`GitSourceOptions::timeout`]).
//!
//! ```
//! use gitops_core::Source;
//! use gitops_source::git::{GitRef, GitSource, GitSourceOptions};
//! use gitops_source::testing::GitRepoFixture;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let repo = GitRepoFixture::new();
//! repo.write("apps/web/deploy.yaml", "kind: Deployment\n");
//! let id = repo.commit("first");
//!
//! let cache = tempfile::tempdir().unwrap();
//! let source = GitSource::new(
//!     GitSourceOptions::new(repo.file_url())
//!         .reference(GitRef::branch("main"))
//!         .path("apps/web")
//!         .cache_dir(cache.path()),
//! )?;
//! let artifact = source.fetch().await?;
//! assert_eq!(artifact.revision, format!("main@sha1:{id}"));
//! assert!(artifact.dir().join("deploy.yaml").is_file());
//! assert_eq!(artifact.commit.unwrap().message.trim(), "first");
//! # Ok::<(), gitops_source::git::Error>(())
//! # }).unwrap();
//! ```

mod cache;
mod checkout;
mod error;
mod fetch;
mod reference;
mod transport;
mod url;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use gitops_core::{Artifact, Source};
use serde::{Deserialize, Serialize};

pub use error::Error;

#[cfg(feature = "test-support")]
pub(crate) use transport::base64;

/// Checks that `path` is relative and stays inside its root; returns it without `.` parts.
pub(crate) fn check_relative(path: &Path) -> Result<PathBuf, Error> {
    url::check_sub_path(path)
}
pub use reference::{GitRef, SemverRange};

/// Credentials for `http(s)://` remotes, sent with every request (as `git` does once a server
/// asked for them; this saves the `401` round trip on each poll). Their `Debug` output hides the
/// secret, and they are never logged. Over plain `http://` they are refused unless
/// [`GitSourceOptions::allow_insecure_http_credentials`] is set.
///
/// ```
/// use gitops_source::git::GitAuth;
///
/// let auth = GitAuth::Basic { username: "bob".into(), password: "s3cret".into() };
/// assert!(!format!("{auth:?}").contains("s3cret"));
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GitAuth {
    /// HTTP basic authentication.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// A personal access token, sent as basic authentication with the user `x-access-token`
    /// (what GitHub, GitLab and Gitea accept).
    Token(String),
    /// A token sent as `Authorization: Bearer …`.
    Bearer(String),
}

impl GitAuth {
    /// Credentials from the environment: `GITOPS_GIT_TOKEN` (a token), `GITOPS_GIT_BEARER_TOKEN`,
    /// or `GITOPS_GIT_USERNAME` with `GITOPS_GIT_PASSWORD`; `None` when none are set.
    ///
    /// ```
    /// use gitops_source::git::GitAuth;
    /// // With none of the variables set:
    /// # if std::env::var_os("GITOPS_GIT_TOKEN").is_none() && std::env::var_os("GITOPS_GIT_PASSWORD").is_none()
    /// #   && std::env::var_os("GITOPS_GIT_BEARER_TOKEN").is_none() {
    /// assert_eq!(GitAuth::from_env(), None);
    /// # }
    /// ```
    pub fn from_env() -> Option<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(token) = var("GITOPS_GIT_TOKEN") {
            return Some(Self::Token(token));
        }
        if let Some(token) = var("GITOPS_GIT_BEARER_TOKEN") {
            return Some(Self::Bearer(token));
        }
        let password = var("GITOPS_GIT_PASSWORD")?;
        Some(Self::Basic {
            username: var("GITOPS_GIT_USERNAME").unwrap_or_else(|| "git".into()),
            password,
        })
    }
}

impl std::fmt::Debug for GitAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Self::Token(_) => f.write_str("Token(<redacted>)"),
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

/// How `ssh://` and scp-like (`git@host:org/repo`) remotes are reached: through the system
/// `ssh`, in batch mode (never prompting), with strict host-key checking.
///
/// ```
/// use gitops_source::git::SshOptions;
///
/// let ssh = SshOptions {
///     key: Some("/etc/gitops/id_ed25519".into()),
///     known_hosts: Some("/etc/gitops/known_hosts".into()),
///     ..SshOptions::default()
/// };
/// assert!(ssh.command_line().contains("-i /etc/gitops/id_ed25519"));
/// assert!(ssh.command_line().contains("UserKnownHostsFile=/etc/gitops/known_hosts"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SshOptions {
    /// The private key (`ssh -i`); the ssh defaults and agent otherwise.
    pub key: Option<PathBuf>,
    /// The known-hosts file (`-o UserKnownHostsFile=`); `~/.ssh/known_hosts` otherwise.
    pub known_hosts: Option<PathBuf>,
    /// The program to run instead of `ssh`, like `GIT_SSH_COMMAND` (it receives ssh's arguments).
    pub command: Option<String>,
}

impl SshOptions {
    /// The command line that runs ssh, as `GIT_SSH_COMMAND` would hold it.
    pub fn command_line(&self) -> String {
        let mut cmd = self.command.clone().unwrap_or_else(|| "ssh".into());
        if self.command.is_none() {
            cmd.push_str(" -o BatchMode=yes -o StrictHostKeyChecking=yes");
        }
        if let Some(key) = &self.key {
            cmd.push_str(" -i ");
            cmd.push_str(&shell_quote(&key.to_string_lossy()));
            cmd.push_str(" -o IdentitiesOnly=yes");
        }
        if let Some(known_hosts) = &self.known_hosts {
            cmd.push_str(" -o ");
            cmd.push_str(&shell_quote(&format!(
                "UserKnownHostsFile={}",
                known_hosts.to_string_lossy()
            )));
        }
        cmd
    }
}

fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-=+:@,".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Everything a [`GitSource`] needs: data, with `Default`s and `#[must_use]` setters, and serde
/// so the operator can read it from a resource.
///
/// ```
/// use std::time::Duration;
/// use gitops_source::git::{GitRef, GitSourceOptions};
///
/// let options = GitSourceOptions::new("https://example.com/org/fleet.git")
///     .reference(GitRef::semver(">=1.0.0, <2.0.0")?)
///     .path("clusters/prod")
///     .timeout(Duration::from_secs(30))
///     .depth(1);
/// assert_eq!(options.timeout, Duration::from_secs(30));
/// # Ok::<(), gitops_source::git::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GitSourceOptions {
    /// The repository: `https://…`, `http://…`, `ssh://…`, `git@host:path`, `git://…`,
    /// `file://…` or a local path. Credentials in the URL are used and never printed.
    pub url: String,
    /// What to follow; the remote's default branch by default.
    #[serde(default, rename = "ref")]
    pub reference: GitRef,
    /// The directory to render, relative to the repository root.
    #[serde(default)]
    pub path: PathBuf,
    /// Credentials for http(s); taken from the URL, or [`GitAuth::from_env`] (https only, unless
    /// insecure http credentials are allowed) when `None`.
    #[serde(default, skip_serializing)]
    pub auth: Option<GitAuth>,
    /// ssh settings.
    #[serde(default)]
    pub ssh: SshOptions,
    /// The longest a fetch may take, waiting for the cache lock included (60 s by default).
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    /// Where repositories are cached; `$XDG_CACHE_HOME/gitops` (or `~/.cache/gitops`) if `None`.
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
    /// How many commits of history to fetch (1 by default); 0 fetches all history.
    #[serde(default = "default_depth")]
    pub depth: u32,
    /// How many materialised revisions to keep per repository (3 by default; 0 keeps all). The
    /// least recently used one beyond this is recycled: renamed and updated into the next
    /// revision, which costs only the files that changed. Unchanged files of a new revision are
    /// hard links to the previous one's; artifacts must be treated as read-only.
    #[serde(default = "default_keep")]
    pub keep_artifacts: usize,
    /// Allows sending credentials over plain `http://` (off by default: they would travel in
    /// clear text). Without it, credentials for an `http://` URL are an error.
    #[serde(default)]
    pub allow_insecure_http_credentials: bool,
}

fn default_timeout() -> Duration {
    Duration::from_secs(60)
}
fn default_depth() -> u32 {
    1
}
fn default_keep() -> usize {
    3
}

impl GitSourceOptions {
    /// Options for `url` with every other field at its default.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            reference: GitRef::default(),
            path: PathBuf::new(),
            auth: None,
            ssh: SshOptions::default(),
            timeout: default_timeout(),
            cache_dir: None,
            depth: default_depth(),
            keep_artifacts: default_keep(),
            allow_insecure_http_credentials: false,
        }
    }

    /// Sets the reference to follow.
    #[must_use]
    pub fn reference(mut self, reference: GitRef) -> Self {
        self.reference = reference;
        self
    }

    /// Sets the sub-path to render.
    #[must_use]
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = path.into();
        self
    }

    /// Sets the credentials.
    #[must_use]
    pub fn auth(mut self, auth: GitAuth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Sets the ssh settings.
    #[must_use]
    pub fn ssh(mut self, ssh: SshOptions) -> Self {
        self.ssh = ssh;
        self
    }

    /// Sets the timeout.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the cache directory.
    #[must_use]
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Sets the fetch depth (0 for all history).
    #[must_use]
    pub fn depth(mut self, depth: u32) -> Self {
        self.depth = depth;
        self
    }

    /// Allows credentials over plain `http://`.
    #[must_use]
    pub fn allow_insecure_http_credentials(mut self, allow: bool) -> Self {
        self.allow_insecure_http_credentials = allow;
        self
    }

    /// Sets how many materialised revisions to keep (0 keeps all).
    #[must_use]
    pub fn keep_artifacts(mut self, keep: usize) -> Self {
        self.keep_artifacts = keep;
        self
    }
}

/// The default cache directory: `$XDG_CACHE_HOME/gitops`, else `$HOME/.cache/gitops`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let nonempty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = nonempty("XDG_CACHE_HOME") {
        return Some(PathBuf::from(dir).join("gitops"));
    }
    nonempty("HOME").map(|home| PathBuf::from(home).join(".cache").join("gitops"))
}

/// Whether objects were transferred by a fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// The commit was already in the cache: only the remote's ref was looked up.
    UpToDate,
    /// A pack was received.
    Received {
        /// How many objects it held.
        objects: u64,
    },
}

/// The result of [`GitSource::fetch_detailed`]: the artifact and what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The artifact, as [`Source::fetch`] returns it.
    pub artifact: Artifact,
    /// The commit id, in hex.
    pub commit_id: String,
    /// Whether objects were transferred.
    pub transfer: Transfer,
}

/// A Git repository as a [`Source`]. Cheap to clone; clones share nothing mutable but the cache
/// directory, which is locked per URL.
///
/// See the [module documentation](self) for an example.
#[derive(Debug, Clone)]
pub struct GitSource {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    options: GitSourceOptions,
    url: url::RepoUrl,
    auth: Option<GitAuth>,
    sub_path: PathBuf,
    /// `<cache>/<name>-<hash>`.
    dir: PathBuf,
}

impl GitSource {
    /// Validates the options (URL, sub-path, cache directory); nothing is fetched yet.
    ///
    /// ```
    /// use gitops_source::git::{Error, GitSource, GitSourceOptions};
    ///
    /// let refused = GitSource::new(GitSourceOptions::new("ext::sh -c 'touch /tmp/x'"));
    /// assert!(matches!(refused, Err(Error::UnsafeUrl { .. })));
    /// let refused = GitSource::new(GitSourceOptions::new("https://example.com/r").path("../x"));
    /// assert!(matches!(refused, Err(Error::UnsafePath { .. })));
    /// ```
    pub fn new(options: GitSourceOptions) -> Result<Self, Error> {
        let (url, url_auth) = url::parse(&options.url)?;
        let sub_path = url::check_sub_path(&options.path)?;
        let cache = match &options.cache_dir {
            Some(dir) => dir.clone(),
            None => default_cache_dir().ok_or(Error::NoCacheDir)?,
        };
        let dir = cache.join(url::cache_dir_name(&url.key));
        let plain_http = url.url.scheme == gix::url::Scheme::Http;
        let explicit = options.auth.clone().or(url_auth);
        if explicit.is_some() && plain_http && !options.allow_insecure_http_credentials {
            return Err(Error::InsecureCredentials {
                url: url.display.clone(),
            });
        }
        let auth = explicit.or_else(|| match url.url.scheme {
            gix::url::Scheme::Https => GitAuth::from_env(),
            gix::url::Scheme::Http if options.allow_insecure_http_credentials => {
                GitAuth::from_env()
            }
            _ => None,
        });
        // Keep no secret in the options we hand out or print.
        let mut options = options;
        options.url = url.display.clone();
        options.auth = None;
        Ok(Self {
            inner: Arc::new(Inner {
                options,
                url,
                auth,
                sub_path,
                dir,
            }),
        })
    }

    /// The URL, without credentials.
    pub fn url(&self) -> &str {
        &self.inner.url.display
    }

    /// The options it was built from, without credentials (the URL as [`url`](Self::url)).
    pub fn options(&self) -> &GitSourceOptions {
        &self.inner.options
    }

    /// This repository's cache directory (`<cache>/<name>-<hash>`).
    pub fn cache_dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Fetches on tokio's blocking pool, bounded by the timeout; tells whether objects moved.
    ///
    /// # Guarantees
    /// - The future completes within the timeout ([`Error::Timeout`] otherwise), and so does
    ///   waiting for another fetch of the same URL (the cache lock).
    /// - Two fetches of one URL, in one process or several, never interleave their writes.
    /// - The returned artifact directory is complete and never changes while it is kept.
    ///
    /// # Caveats
    /// - On timeout (or when the future is dropped) the blocking worker is told to stop; it
    ///   notices between steps and during pack transfer, and a network read in progress ends
    ///   when the transport's own timeout (set to the same deadline for `git://` and
    ///   `http(s)://`, `ConnectTimeout` for ssh) fires. Until then it holds the cache lock.
    /// - Artifacts share unchanged files through hard links and the least recently used one
    ///   beyond [`GitSourceOptions::keep_artifacts`] is recycled: treat them as read-only, and
    ///   do not hold on to more revisions than that at once.
    pub async fn fetch_detailed(&self) -> Result<Fetched, Error> {
        let interrupt = Arc::new(AtomicBool::new(false));
        let _guard = InterruptOnDrop(interrupt.clone());
        let timeout = self.inner.options.timeout;
        let deadline = Instant::now() + timeout;
        let this = self.clone();
        let flag = interrupt.clone();
        let worker = tokio::task::spawn_blocking(move || this.run(&flag, deadline));
        match tokio::time::timeout(timeout, worker).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(Error::Worker(join.to_string())),
            Err(_) => {
                interrupt.store(true, Ordering::Relaxed);
                Err(Error::Timeout {
                    url: self.url().to_owned(),
                    after: timeout,
                })
            }
        }
    }

    /// Fetches on the calling thread (for programs without a tokio runtime). The timeout bounds
    /// the lock wait and network reads; `interrupt` stops the fetch at its next check.
    ///
    /// ```
    /// use std::sync::atomic::AtomicBool;
    /// use gitops_source::git::{GitRef, GitSource, GitSourceOptions, Transfer};
    /// use gitops_source::testing::GitRepoFixture;
    ///
    /// let repo = GitRepoFixture::new();
    /// repo.write("a.yaml", "a: 1\n");
    /// repo.commit("one");
    /// repo.tag("v1.0.0");
    /// let cache = tempfile::tempdir().unwrap();
    /// let source = GitSource::new(
    ///     GitSourceOptions::new(repo.file_url())
    ///         .reference(GitRef::semver("^1")?)
    ///         .cache_dir(cache.path()),
    /// )?;
    /// let first = source.fetch_blocking(&AtomicBool::new(false))?;
    /// assert!(first.artifact.revision.starts_with("v1.0.0@sha1:"));
    /// let again = source.fetch_blocking(&AtomicBool::new(false))?;
    /// assert_eq!(again.transfer, Transfer::UpToDate);
    /// # Ok::<(), gitops_source::git::Error>(())
    /// ```
    pub fn fetch_blocking(&self, interrupt: &AtomicBool) -> Result<Fetched, Error> {
        self.run(interrupt, Instant::now() + self.inner.options.timeout)
    }

    fn run(&self, interrupt: &AtomicBool, deadline: Instant) -> Result<Fetched, Error> {
        let started = Instant::now();
        let result = fetch::run(&fetch::Job {
            source: &self.inner,
            interrupt,
            deadline,
        });
        match &result {
            Ok(fetched) => tracing::debug!(
                url = %self.url(),
                revision = %fetched.artifact.revision,
                transfer = ?fetched.transfer,
                elapsed = ?started.elapsed(),
                "fetched"
            ),
            Err(error) => tracing::debug!(url = %self.url(), %error, "fetch failed"),
        }
        result
    }
}

struct InterruptOnDrop(Arc<AtomicBool>);

impl Drop for InterruptOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[async_trait]
impl Source for GitSource {
    type Error = Error;

    async fn fetch(&self) -> Result<Artifact, Error> {
        Ok(self.fetch_detailed().await?.artifact)
    }
}
