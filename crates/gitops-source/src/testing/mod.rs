//! Test helpers (feature `test-support`): real Git repositories and servers on 127.0.0.1.
//!
//! - [`GitRepoFixture`]: a repository in a temporary directory, driven with the `git` CLI
//!   (fixed author and dates, no user or system configuration).
//! - [`GitDaemon`]: `git daemon` serving a directory on a free port of 127.0.0.1.
//! - [`SmartHttpServer`]: smart HTTP (`git http-backend` as CGI) on 127.0.0.1, optionally
//!   requiring basic or bearer authentication, recording each request's Git command so a test
//!   can assert that a poll transferred nothing.
//! - [`fake_ssh`]: a stand-in for `ssh` that runs the remote command locally, to exercise the
//!   ssh transport without an ssh server.
//!
//! Helpers panic on failure: they are for tests.
//!
//! ```
//! use gitops_source::testing::{GitDaemon, GitRepoFixture};
//!
//! let repo = GitRepoFixture::new();
//! repo.write("a.txt", "a\n");
//! let first = repo.commit("first");
//! assert_eq!(repo.head(), first);
//! let daemon = GitDaemon::start(repo.parent());
//! assert!(daemon.url(repo.name()).starts_with("git://127.0.0.1:"));
//! ```
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod http;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub use http::{AuthRequirement, RecordedRequest, SmartHttpServer};

/// A Git repository (with a work tree) in a temporary directory, on branch `main`.
#[derive(Debug)]
pub struct GitRepoFixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    /// Commit dates advance one second per commit, for stable ids.
    clock: std::cell::Cell<u64>,
}

impl Default for GitRepoFixture {
    fn default() -> Self {
        Self::new()
    }
}

impl GitRepoFixture {
    /// An empty repository named `repo` inside a fresh temporary directory.
    pub fn new() -> Self {
        Self::named("repo")
    }

    /// An empty repository called `name` inside a fresh temporary directory.
    pub fn named(name: &str) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join(name);
        std::fs::create_dir(&path).expect("repository directory");
        let fixture = Self {
            _dir: dir,
            path,
            clock: std::cell::Cell::new(1_700_000_000),
        };
        fixture.git(&["init", "-q", "-b", "main"]);
        // Let `git daemon` and `http-backend` serve it without `--export-all` subtleties, and
        // allow pushes to it for tests that need them.
        fixture.git(&["config", "receive.denyCurrentBranch", "updateInstead"]);
        fixture
    }

    /// The work tree (the repository's `.git` is inside).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory holding the repository: the base path to serve.
    pub fn parent(&self) -> &Path {
        self.path.parent().expect("a parent directory")
    }

    /// The repository's directory name, as it appears in served URLs.
    pub fn name(&self) -> &str {
        self.path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a UTF-8 name")
    }

    /// `file://…` of the repository.
    pub fn file_url(&self) -> String {
        format!("file://{}", self.path.display())
    }

    /// Runs `git args…` in the repository and returns its trimmed standard output.
    pub fn git(&self, args: &[&str]) -> String {
        let t = self.clock.get();
        let date = format!("@{t} +0000");
        let output = git_command()
            .args(args)
            .current_dir(&self.path)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .expect("git runs");
        assert!(
            output.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Writes `content` to `rel` (creating directories).
    pub fn write(&self, rel: &str, content: &str) {
        let path = self.path.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create directories");
        }
        std::fs::write(path, content).expect("write file");
    }

    /// Writes an executable file.
    pub fn write_executable(&self, rel: &str, content: &str) {
        self.write(rel, content);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(self.path.join(rel), std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
    }

    /// Creates the symlink `rel` pointing to `target` (any target: tests of refusals need bad
    /// ones).
    #[cfg(unix)]
    pub fn symlink(&self, rel: &str, target: &str) {
        let path = self.path.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create directories");
        }
        std::os::unix::fs::symlink(target, path).expect("symlink");
    }

    /// Removes a file or directory from the work tree.
    pub fn remove(&self, rel: &str) {
        let path = self.path.join(rel);
        if path.is_dir() {
            std::fs::remove_dir_all(path).expect("remove directory");
        } else {
            std::fs::remove_file(path).expect("remove file");
        }
    }

    /// Stages everything and commits; returns the new commit id.
    pub fn commit(&self, message: &str) -> String {
        self.clock.set(self.clock.get() + 1);
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.head()
    }

    /// The id `HEAD` points to.
    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    /// Creates (or moves, with `-f`) a lightweight tag at `HEAD`.
    pub fn tag(&self, name: &str) {
        self.git(&["tag", "-f", name]);
    }

    /// Creates (or moves) an annotated tag at `HEAD`.
    pub fn tag_annotated(&self, name: &str, message: &str) {
        self.git(&["tag", "-f", "-a", name, "-m", message]);
    }

    /// Creates branch `name` at `HEAD` and switches to it.
    pub fn branch(&self, name: &str) {
        self.git(&["checkout", "-q", "-b", name]);
    }

    /// Switches to an existing branch.
    pub fn checkout(&self, name: &str) {
        self.git(&["checkout", "-q", name]);
    }

    /// Deletes a branch (not the current one).
    pub fn delete_branch(&self, name: &str) {
        self.git(&["branch", "-q", "-D", name]);
    }

    /// Rewrites history: resets the current branch to `rev` (e.g. `HEAD~1`), as a force-push
    /// would leave the remote.
    pub fn reset_hard(&self, rev: &str) {
        self.git(&["reset", "-q", "--hard", rev]);
    }
}

/// `git` with no user, system or environment configuration leaking in, and a fixed identity.
pub fn git_command() -> Command {
    let mut cmd = Command::new("git");
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_CONFIG",
        "GIT_CONFIG_PARAMETERS",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Lovelace")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_TERMINAL_PROMPT", "0");
    cmd
}

/// A free TCP port on 127.0.0.1 (free when asked; servers bind it right after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits until something accepts connections on `port` (at most 10 s).
fn wait_for_port(port: u16) {
    for _ in 0..1000 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("nothing listens on 127.0.0.1:{port}");
}

/// `git daemon --export-all` serving a base directory on 127.0.0.1; stopped when dropped.
#[derive(Debug)]
pub struct GitDaemon {
    child: Child,
    port: u16,
}

impl GitDaemon {
    /// Serves every repository under `base_path`.
    pub fn start(base_path: &Path) -> Self {
        let port = free_port();
        let child = git_command()
            .args([
                "daemon",
                "--export-all",
                "--reuseaddr",
                "--listen=127.0.0.1",
                &format!("--port={port}"),
                &format!("--base-path={}", base_path.display()),
                "--informative-errors",
            ])
            .arg(base_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon starts");
        wait_for_port(port);
        Self { child, port }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `git://127.0.0.1:<port>/<name>`.
    pub fn url(&self, name: &str) -> String {
        format!("git://127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes an executable `ssh` stand-in into `dir` and returns its path. It ignores the host
/// and options ssh would get and runs the remote command (`git-upload-pack '/path'`) locally,
/// so `ssh://` and scp-like URLs can be tested without an ssh server. Each call is appended,
/// one line of arguments, to `<dir>/fake-ssh.log`.
#[cfg(unix)]
pub fn fake_ssh(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("fake-ssh");
    let log = dir.join("fake-ssh.log");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\n\
             while [ $# -gt 0 ]; do\n\
               case \"$1\" in\n\
                 -[oiplFJLRDEcmQSWw]) shift 2 ;;\n\
                 -*) shift ;;\n\
                 *) break ;;\n\
               esac\n\
             done\n\
             shift\n\
             exec sh -c \"$*\"\n",
            log.display()
        ),
    )
    .expect("write fake ssh");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    script
}
