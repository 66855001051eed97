//! `git daemon`, smart HTTP (with and without authentication), ssh, unreachable remotes and
//! timeouts.

use std::time::Duration;

use gitops_core::Source;
use gitops_source::git::{
    Error, GitAuth, GitRef, GitSource, GitSourceOptions, SshOptions, Transfer,
};
use gitops_source::testing::{AuthRequirement, GitDaemon, GitRepoFixture, SmartHttpServer};

use crate::{fetch, pack_count, source};

fn repo_with_commit() -> (GitRepoFixture, String) {
    let repo = GitRepoFixture::new();
    repo.write("deploy/app.yaml", "kind: Deployment\n");
    let id = repo.commit("one");
    (repo, id)
}

#[test]
fn git_daemon_clone_poll_and_fetch() {
    let (repo, id) = repo_with_commit();
    let daemon = GitDaemon::start(repo.parent());
    let cache = tempfile::tempdir().unwrap();
    let src = source(
        &daemon.url(repo.name()),
        GitRef::branch("main"),
        cache.path(),
    );
    assert_eq!(
        fetch(&src).unwrap().artifact.revision,
        format!("main@sha1:{id}")
    );
    let packs = pack_count(&src);
    assert_eq!(fetch(&src).unwrap().transfer, Transfer::UpToDate);
    assert_eq!(pack_count(&src), packs);
    repo.write("deploy/app.yaml", "kind: StatefulSet\n");
    let two = repo.commit("two");
    let fetched = fetch(&src).unwrap();
    assert_eq!(fetched.commit_id, two);
    assert!(matches!(fetched.transfer, Transfer::Received { .. }));
}

#[test]
fn smart_http_poll_without_change_sends_no_fetch_command() {
    let (repo, id) = repo_with_commit();
    let server = SmartHttpServer::start(repo.parent(), AuthRequirement::None);
    let cache = tempfile::tempdir().unwrap();
    let src = source(
        &server.url(repo.name()),
        GitRef::branch("main"),
        cache.path(),
    );
    assert_eq!(
        fetch(&src).unwrap().artifact.revision,
        format!("main@sha1:{id}")
    );
    assert_eq!(server.count_command("fetch"), 1);

    server.clear_requests();
    assert_eq!(fetch(&src).unwrap().transfer, Transfer::UpToDate);
    assert_eq!(
        server.count_command("ls-refs"),
        1,
        "{:?}",
        server.requests()
    );
    assert_eq!(server.count_command("fetch"), 0, "{:?}", server.requests());

    repo.write("deploy/app.yaml", "kind: StatefulSet\n");
    repo.commit("two");
    server.clear_requests();
    assert!(matches!(
        fetch(&src).unwrap().transfer,
        Transfer::Received { .. }
    ));
    assert_eq!(server.count_command("fetch"), 1);
}

fn basic_server(repo: &GitRepoFixture) -> SmartHttpServer {
    SmartHttpServer::start(
        repo.parent(),
        AuthRequirement::Basic {
            username: "bob".into(),
            password: "s3cret".into(),
        },
    )
}

fn with_auth(url: &str, auth: Option<GitAuth>, cache: &std::path::Path) -> GitSource {
    let mut options = GitSourceOptions::new(url)
        .reference(GitRef::branch("main"))
        .allow_insecure_http_credentials(true)
        .cache_dir(cache);
    options.auth = auth;
    GitSource::new(options).unwrap()
}

#[test]
fn http_basic_auth_required_accepted_and_refused() {
    let (repo, id) = repo_with_commit();
    let server = basic_server(&repo);
    let url = server.url(repo.name());
    let cache = tempfile::tempdir().unwrap();

    let none = with_auth(&url, None, cache.path());
    match fetch(&none).unwrap_err() {
        Error::AuthenticationRefused {
            had_credentials, ..
        } => assert!(!had_credentials),
        other => panic!("unexpected {other:?}"),
    }

    let wrong = with_auth(
        &url,
        Some(GitAuth::Basic {
            username: "bob".into(),
            password: "wrong-password".into(),
        }),
        cache.path(),
    );
    let err = fetch(&wrong).unwrap_err();
    assert!(
        matches!(
            err,
            Error::AuthenticationRefused {
                had_credentials: true,
                ..
            }
        ),
        "{err:?}"
    );
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("wrong-password"), "{shown}");
    assert!(!err.is_transient());

    let right = with_auth(
        &url,
        Some(GitAuth::Basic {
            username: "bob".into(),
            password: "s3cret".into(),
        }),
        cache.path(),
    );
    assert_eq!(
        fetch(&right)
            .unwrap_or_else(|e| panic!("{}", crate::chain(&e)))
            .commit_id,
        id
    );
    assert_eq!(fetch(&right).unwrap().transfer, Transfer::UpToDate);
}

#[test]
fn credentials_over_plain_http_need_an_explicit_opt_in() {
    for options in [
        GitSourceOptions::new("http://127.0.0.1:1/repo").auth(GitAuth::Token("t".into())),
        GitSourceOptions::new("http://bob:s3cret@127.0.0.1:1/repo"),
    ] {
        let err = GitSource::new(options).unwrap_err();
        assert!(matches!(err, Error::InsecureCredentials { .. }), "{err}");
        assert!(!err.to_string().contains("s3cret"));
    }
    GitSource::new(
        GitSourceOptions::new("https://127.0.0.1:1/repo").auth(GitAuth::Token("t".into())),
    )
    .unwrap();
}

#[test]
fn http_credentials_in_the_url_are_used_and_never_shown() {
    let (repo, id) = repo_with_commit();
    let server = basic_server(&repo);
    let cache = tempfile::tempdir().unwrap();
    let url = format!(
        "http://bob:s3cret@127.0.0.1:{}/{}",
        server.port(),
        repo.name()
    );
    let src = with_auth(&url, None, cache.path());
    assert!(!src.url().contains("s3cret"));
    assert!(!format!("{src:?}").contains("s3cret"));
    assert_eq!(fetch(&src).unwrap().commit_id, id);

    let bad = format!(
        "http://bob:hunter2@127.0.0.1:{}/{}",
        server.port(),
        repo.name()
    );
    let err = fetch(&with_auth(&bad, None, cache.path())).unwrap_err();
    assert!(matches!(err, Error::AuthenticationRefused { .. }), "{err}");
    assert!(!format!("{err} {err:?}").contains("hunter2"));
}

#[test]
fn http_tokens_as_basic_and_bearer() {
    let (repo, id) = repo_with_commit();
    let basic = SmartHttpServer::start(
        repo.parent(),
        AuthRequirement::Basic {
            username: "x-access-token".into(),
            password: "tok".into(),
        },
    );
    let cache = tempfile::tempdir().unwrap();
    let src = with_auth(
        &basic.url(repo.name()),
        Some(GitAuth::Token("tok".into())),
        cache.path(),
    );
    assert_eq!(fetch(&src).unwrap().commit_id, id);

    let bearer = SmartHttpServer::start(repo.parent(), AuthRequirement::Bearer("tok".into()));
    let cache = tempfile::tempdir().unwrap();
    let src = with_auth(
        &bearer.url(repo.name()),
        Some(GitAuth::Bearer("tok".into())),
        cache.path(),
    );
    assert_eq!(fetch(&src).unwrap().commit_id, id);
    assert!(
        bearer
            .requests()
            .iter()
            .all(|r| r.authorized && r.status == 200)
    );
    let wrong = with_auth(
        &bearer.url(repo.name()),
        Some(GitAuth::Bearer("nope".into())),
        tempfile::tempdir().unwrap().path(),
    );
    assert!(matches!(
        fetch(&wrong).unwrap_err(),
        Error::AuthenticationRefused { .. }
    ));
}

#[test]
fn unreachable_remotes_are_transient_and_name_the_url_without_credentials() {
    let port = gitops_source::testing::free_port();
    let cache = tempfile::tempdir().unwrap();
    for url in [
        format!("http://bob:s3cret@127.0.0.1:{port}/repo"),
        format!("https://127.0.0.1:{port}/repo"),
        format!("git://127.0.0.1:{port}/repo"),
    ] {
        let src = with_auth(&url, None, cache.path());
        let err = fetch(&src).unwrap_err();
        assert!(matches!(err, Error::Unreachable { .. }), "{url}: {err}");
        assert!(err.is_transient());
        let shown = err.to_string();
        assert!(shown.contains(&format!("127.0.0.1:{port}/repo")), "{shown}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
    let missing = source(
        "/nonexistent/repository/path",
        GitRef::branch("main"),
        cache.path(),
    );
    assert!(matches!(
        fetch(&missing).unwrap_err(),
        Error::Unreachable { .. }
    ));

    let (repo, _) = repo_with_commit();
    let server = SmartHttpServer::start(repo.parent(), AuthRequirement::None);
    let src = source(
        &server.url("no-such-repo"),
        GitRef::branch("main"),
        cache.path(),
    );
    assert!(matches!(
        fetch(&src).unwrap_err(),
        Error::Unreachable { .. }
    ));
}

#[cfg(unix)]
#[test]
fn ssh_and_scp_like_urls_go_through_the_configured_ssh() {
    let (repo, id) = repo_with_commit();
    let tools = tempfile::tempdir().unwrap();
    let fake = gitops_source::testing::fake_ssh(tools.path());
    let cache = tempfile::tempdir().unwrap();
    let ssh = SshOptions {
        key: Some("/keys/id_ed25519".into()),
        known_hosts: Some("/keys/known hosts".into()),
        command: Some(fake.display().to_string()),
    };
    for url in [
        format!("git@localhost:{}", repo.path().display()),
        format!("ssh://git@localhost:2222{}", repo.path().display()),
    ] {
        let src = GitSource::new(
            GitSourceOptions::new(&url)
                .reference(GitRef::branch("main"))
                .ssh(ssh.clone())
                .cache_dir(cache.path()),
        )
        .unwrap();
        assert_eq!(
            fetch(&src)
                .unwrap_or_else(|e| panic!(
                    "{e:?} {:?}",
                    std::fs::read_to_string(tools.path().join("fake-ssh.log"))
                ))
                .commit_id,
            id,
            "{url}"
        );
    }
    let log = std::fs::read_to_string(tools.path().join("fake-ssh.log")).unwrap();
    assert!(log.contains("-i /keys/id_ed25519"), "{log}");
    assert!(
        log.contains("UserKnownHostsFile=/keys/known hosts"),
        "{log}"
    );
    assert!(log.contains("git@localhost"), "{log}");
    assert!(log.contains("2222"), "{log}");
}

/// A server that accepts connections and never answers.
fn black_hole() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeout_bounds_a_silent_server() {
    let (_listener, port) = black_hole();
    let cache = tempfile::tempdir().unwrap();
    for url in [
        format!("git://127.0.0.1:{port}/repo"),
        format!("http://127.0.0.1:{port}/repo"),
    ] {
        let src = GitSource::new(
            GitSourceOptions::new(&url)
                .reference(GitRef::branch("main"))
                .timeout(Duration::from_millis(300))
                .cache_dir(cache.path()),
        )
        .unwrap();
        let err = src.fetch().await.unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{url}: {err}");
        assert!(err.is_transient());
        // The blocking path too: the transport's own timeouts end the read.
        let err = fetch(&src).unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{url}: {err}");
    }
}
