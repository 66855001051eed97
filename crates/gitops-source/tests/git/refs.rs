//! Tags, tag moves, semver ranges, commits, deleted branches and not-found errors.

use gitops_source::git::{Error, GitRef, Transfer};
use gitops_source::testing::GitRepoFixture;

use crate::{fetch, source};

#[test]
fn follows_lightweight_and_annotated_tags_and_their_moves() {
    let repo = GitRepoFixture::new();
    repo.write("v.yaml", "v: 1\n");
    let one = repo.commit("one");
    repo.tag("light");
    repo.tag_annotated("v1.0.0", "release 1.0.0");
    let cache = tempfile::tempdir().unwrap();

    let light = source(&repo.file_url(), GitRef::tag("light"), cache.path());
    assert_eq!(
        fetch(&light).unwrap().artifact.revision,
        format!("light@sha1:{one}")
    );
    let annotated = source(&repo.file_url(), GitRef::tag("v1.0.0"), cache.path());
    let fetched = fetch(&annotated).unwrap();
    assert_eq!(
        fetched.artifact.revision,
        format!("v1.0.0@sha1:{one}"),
        "peeled to the commit"
    );

    repo.write("v.yaml", "v: 2\n");
    let two = repo.commit("two");
    repo.tag_annotated("v1.0.0", "moved");
    let moved = fetch(&annotated).unwrap_or_else(|e| panic!("{}", crate::chain(&e)));
    assert_eq!(moved.artifact.revision, format!("v1.0.0@sha1:{two}"));
    assert!(matches!(moved.transfer, Transfer::Received { .. }));
    assert_eq!(
        std::fs::read_to_string(moved.artifact.root.join("v.yaml")).unwrap(),
        "v: 2\n"
    );
}

#[test]
fn semver_picks_the_highest_matching_tag() {
    let repo = GitRepoFixture::new();
    let mut ids = std::collections::HashMap::new();
    for tag in [
        "v0.9.0",
        "v1.0.0",
        "1.1.0",
        "v1.2.0",
        "v1.10.1",
        "v1.11.0-rc.1",
        "v2.0.0",
        "latest",
        "v1.3.x",
    ] {
        repo.write("version", tag);
        ids.insert(tag, repo.commit(tag));
        repo.tag_annotated(tag, tag);
    }
    let cache = tempfile::tempdir().unwrap();
    let src = source(
        &repo.file_url(),
        GitRef::semver(">=1.0.0 <2.0.0").unwrap(),
        cache.path(),
    );
    let fetched = fetch(&src).unwrap();
    assert_eq!(
        fetched.artifact.revision,
        format!("v1.10.1@sha1:{}", ids["v1.10.1"])
    );
    assert_eq!(
        std::fs::read_to_string(fetched.artifact.root.join("version")).unwrap(),
        "v1.10.1"
    );
    // A poll with nothing new: no transfer.
    assert_eq!(fetch(&src).unwrap().transfer, Transfer::UpToDate);

    // A new matching release wins on the next poll.
    repo.write("version", "1.12.0");
    let newer = repo.commit("1.12.0");
    repo.tag("1.12.0");
    assert_eq!(
        fetch(&src).unwrap().artifact.revision,
        format!("1.12.0@sha1:{newer}")
    );

    let none = source(
        &repo.file_url(),
        GitRef::semver(">=3").unwrap(),
        cache.path(),
    );
    match fetch(&none).unwrap_err() {
        Error::NoMatchingTag { range, latest, .. } => {
            assert_eq!(range, ">=3");
            assert_eq!(latest[0], "v2.0.0");
            assert_eq!(latest[1], "1.12.0");
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn pins_commits_by_full_and_short_id() {
    let repo = GitRepoFixture::new();
    repo.write("v.yaml", "v: 1\n");
    let one = repo.commit("one");
    repo.write("v.yaml", "v: 2\n");
    let two = repo.commit("two");
    repo.write("v.yaml", "v: 3\n");
    repo.commit("three");

    let cache = tempfile::tempdir().unwrap();
    let full = source(
        &repo.file_url(),
        GitRef::commit(&one).unwrap(),
        cache.path(),
    );
    let fetched = fetch(&full).unwrap();
    assert_eq!(fetched.artifact.revision, format!("sha1:{one}"));
    assert_eq!(
        std::fs::read_to_string(fetched.artifact.root.join("v.yaml")).unwrap(),
        "v: 1\n"
    );

    let cache = tempfile::tempdir().unwrap();
    let short = source(
        &repo.file_url(),
        GitRef::commit(&two[..8])
            .unwrap()
            .on_branch("main")
            .unwrap(),
        cache.path(),
    );
    let fetched = fetch(&short).unwrap();
    assert_eq!(fetched.artifact.revision, format!("main@sha1:{two}"));
    assert_eq!(fetch(&short).unwrap().transfer, Transfer::UpToDate);

    let missing = source(
        &repo.file_url(),
        GitRef::commit("0123456789abcdef0123456789abcdef01234567").unwrap(),
        cache.path(),
    );
    assert!(matches!(
        fetch(&missing).unwrap_err(),
        Error::CommitNotFound { .. }
    ));
}

#[test]
fn a_missing_branch_names_the_closest_ones() {
    let repo = GitRepoFixture::new();
    repo.commit("one");
    repo.branch("maint");
    repo.branch("develop");
    repo.branch("release-1.0");
    let cache = tempfile::tempdir().unwrap();
    let src = source(&repo.file_url(), GitRef::branch("mian"), cache.path());
    let err = fetch(&src).unwrap_err();
    match &err {
        Error::RefNotFound {
            kind,
            name,
            suggestions,
            url,
        } => {
            assert_eq!(*kind, "branch");
            assert_eq!(name, "mian");
            assert_eq!(suggestions[..2], ["main", "maint"]);
            assert!(url.starts_with("file://"));
        }
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains("did you mean"), "{err}");
    assert!(!err.is_transient());

    let tag = source(&repo.file_url(), GitRef::tag("v1"), cache.path());
    assert!(matches!(
        fetch(&tag).unwrap_err(),
        Error::RefNotFound { kind: "tag", .. }
    ));
}

#[test]
fn a_deleted_branch_is_reported() {
    let repo = GitRepoFixture::new();
    repo.commit("one");
    repo.branch("feature");
    repo.commit("two");
    let cache = tempfile::tempdir().unwrap();
    let src = source(&repo.file_url(), GitRef::branch("feature"), cache.path());
    fetch(&src).unwrap();

    repo.checkout("main");
    repo.delete_branch("feature");
    match fetch(&src).unwrap_err() {
        Error::RefNotFound { name, .. } => assert_eq!(name, "feature"),
        other => panic!("unexpected {other}"),
    }
}
