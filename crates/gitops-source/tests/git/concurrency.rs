//! Concurrent fetches of one URL share the cache without corrupting it.

use std::sync::Arc;

use gitops_core::Source;
use gitops_source::git::GitRef;
use gitops_source::testing::GitRepoFixture;

use crate::{fetch, source};

#[test]
fn concurrent_fetches_of_one_url_agree() {
    let repo = GitRepoFixture::new();
    for i in 0..50 {
        repo.write(&format!("f/{i}.yaml"), &format!("i: {i}\n"));
    }
    let id = repo.commit("one");
    repo.tag("v1.0.0");
    let cache = tempfile::tempdir().unwrap();
    let url = repo.file_url();
    let barrier = Arc::new(std::sync::Barrier::new(6));
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let url = url.clone();
            let cache = cache.path().to_owned();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                // Separate sources (as separate processes would have), one cache.
                let reference = if i % 2 == 0 {
                    GitRef::branch("main")
                } else {
                    GitRef::semver("^1").unwrap()
                };
                let src = source(&url, reference, &cache);
                barrier.wait();
                fetch(&src).unwrap()
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    for fetched in &results {
        assert_eq!(fetched.commit_id, id);
        assert_eq!(
            std::fs::read_dir(fetched.artifact.root.join("f"))
                .unwrap()
                .count(),
            50
        );
    }
    let roots: std::collections::HashSet<_> =
        results.iter().map(|f| f.artifact.root.clone()).collect();
    assert_eq!(roots.len(), 1, "one artifact directory per commit");
    let artifacts: Vec<_> = std::fs::read_dir(results[0].artifact.root.parent().unwrap())
        .unwrap()
        .collect();
    assert_eq!(artifacts.len(), 1, "no temporary directories left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_async_fetches_with_new_commits() {
    let repo = GitRepoFixture::new();
    repo.write("a.yaml", "a: 0\n");
    repo.commit("zero");
    let cache = tempfile::tempdir().unwrap();
    let src = source(&repo.file_url(), GitRef::branch("main"), cache.path());
    for round in 1..4 {
        repo.write("a.yaml", &format!("a: {round}\n"));
        let id = repo.commit(&format!("round {round}"));
        let other = src.clone();
        let (a, b, c) = tokio::join!(src.fetch(), src.fetch(), other.fetch());
        for artifact in [a.unwrap(), b.unwrap(), c.unwrap()] {
            assert_eq!(artifact.revision, format!("main@sha1:{id}"));
            assert_eq!(
                std::fs::read_to_string(artifact.root.join("a.yaml")).unwrap(),
                format!("a: {round}\n")
            );
        }
    }
}
