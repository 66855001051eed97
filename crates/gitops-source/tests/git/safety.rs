//! Refusals: unsafe URLs, sub-paths and symlinks.

use gitops_source::git::{Error, GitRef, GitSource, GitSourceOptions};
use gitops_source::testing::GitRepoFixture;

use crate::{fetch, source};

fn assert_symlink_refused(link: &str, target: &str, extra: impl Fn(&GitRepoFixture)) {
    let repo = GitRepoFixture::new();
    repo.write("apps/a.yaml", "a: 1\n");
    extra(&repo);
    repo.symlink(link, target);
    repo.commit("links");
    let cache = tempfile::tempdir().unwrap();
    let src = source(&repo.file_url(), GitRef::branch("main"), cache.path());
    match fetch(&src).unwrap_err() {
        Error::UnsafeSymlink {
            path, target: t, ..
        } => {
            assert_eq!(path, std::path::Path::new(link));
            assert_eq!(t, std::path::Path::new(target));
        }
        other => panic!("{link} -> {target}: unexpected {other}"),
    }
    // Nothing half-written is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(src.cache_dir().join("artifacts"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn refuses_symlinks_leaving_the_checkout() {
    assert_symlink_refused("apps/passwd", "/etc/passwd", |_| {});
    assert_symlink_refused("apps/up", "../../outside", |_| {});
    assert_symlink_refused("escape", "..", |_| {});
    // Each link alone stays inside, but `t` passes through `s` (the root) and then leaves.
    assert_symlink_refused("sub/t", "s/..", |repo| repo.symlink("sub/s", ".."));
    // A loop.
    assert_symlink_refused("loop", "loop2", |repo| repo.symlink("loop2", "loop"));
}

#[test]
fn accepts_symlinks_inside_the_checkout() {
    let repo = GitRepoFixture::new();
    repo.write("base/a.yaml", "a: 1\n");
    repo.symlink("overlays/prod/base", "../../base");
    repo.symlink("dangling", "does/not/exist");
    repo.commit("links");
    let cache = tempfile::tempdir().unwrap();
    let src = source(&repo.file_url(), GitRef::branch("main"), cache.path());
    let artifact = fetch(&src).unwrap().artifact;
    assert!(artifact.root.join("overlays/prod/base/a.yaml").is_file());
}

#[test]
fn refuses_sub_paths_leaving_the_repository() {
    for path in ["../etc", "apps/../../etc", "/etc"] {
        let err =
            GitSource::new(GitSourceOptions::new("https://example.com/r").path(path)).unwrap_err();
        assert!(matches!(err, Error::UnsafePath { .. }), "{path}: {err}");
        assert!(err.to_string().contains(path), "{err}");
    }
}

#[test]
fn refuses_command_running_and_option_like_urls() {
    for url in [
        "ext::sh -c touch% /tmp/pwned",
        "--upload-pack=touch /tmp/pwned",
        "-u evil",
        "fd::0",
        "transport::whatever",
        "ssh://-oProxyCommand=touch%20pwned/x",
        "git@-oProxyCommand=x:repo",
    ] {
        let err = GitSource::new(GitSourceOptions::new(url)).unwrap_err();
        assert!(matches!(err, Error::UnsafeUrl { .. }), "{url}: {err}");
    }
}
