//! Clone, incremental fetch, history rewrites, change detection and the artifact's content.

use gitops_core::Source;
use gitops_source::git::{GitRef, Transfer};
use gitops_source::testing::GitRepoFixture;

use crate::{fetch, pack_count, source};

#[test]
fn clones_a_branch_and_materialises_its_tree() {
    let repo = GitRepoFixture::new();
    repo.write("apps/web/deploy.yaml", "kind: Deployment\n");
    repo.write_executable("scripts/run.sh", "#!/bin/sh\necho hi\n");
    repo.symlink("apps/current", "web");
    let id = repo.commit("add web\n\nwith a body");
    let cache = tempfile::tempdir().unwrap();
    let src = source(&repo.file_url(), GitRef::branch("main"), cache.path());

    let fetched = fetch(&src).unwrap();
    let artifact = &fetched.artifact;
    assert_eq!(artifact.revision, format!("main@sha1:{id}"));
    assert_eq!(fetched.commit_id, id);
    assert!(matches!(fetched.transfer, Transfer::Received { objects } if objects > 0));
    assert!(artifact.root.starts_with(cache.path()));
    assert!(artifact.root.ends_with(format!("artifacts/{id}")));
    assert_eq!(
        std::fs::read_to_string(artifact.root.join("apps/web/deploy.yaml")).unwrap(),
        "kind: Deployment\n"
    );
    assert_eq!(
        std::fs::read_link(artifact.root.join("apps/current")).unwrap(),
        std::path::Path::new("web")
    );
    assert!(artifact.root.join("apps/current/deploy.yaml").is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| {
            std::fs::metadata(artifact.root.join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("scripts/run.sh"), 0o755);
        assert_eq!(mode("apps/web/deploy.yaml"), 0o644);
    }
    let commit = artifact.commit.as_ref().unwrap();
    assert_eq!(commit.id, id);
    assert_eq!(commit.author, "Ada Lovelace");
    assert_eq!(commit.email, "ada@example.com");
    assert_eq!(commit.time, 1_700_000_001);
    assert_eq!(commit.message, "add web\n\nwith a body\n");
    // The first fetch is shallow (depth 1).
    assert!(src.cache_dir().join("repo.git/shallow").is_file());
}

#[test]
fn an_unchanged_remote_transfers_nothing_and_reuses_the_artifact() {
    let repo = GitRepoFixture::new();
    repo.write("a.yaml", "a: 1\n");
    repo.commit("one");
    let cache = tempfile::tempdir().unwrap();
    let src = source(&repo.file_url(), GitRef::branch("main"), cache.path());
    let first = fetch(&src).unwrap();
    let packs = pack_count(&src);
    let marker = first.artifact.root.join(".reused");
    std::fs::write(&marker, "").unwrap();

    let second = fetch(&src).unwrap();
    assert_eq!(second.transfer, Transfer::UpToDate);
    assert_eq!(second.artifact, first.artifact);
    assert_eq!(pack_count(&src), packs, "no pack was written");
    assert!(
        marker.exists(),
        "the artifact directory was reused, not rewritten"
    );
}

#[test]
fn a_new_commit_is_fetched_incrementally() {
    let repo = GitRepoFixture::new();
    for i in 0..20 {
        repo.write(&format!("files/{i}.yaml"), &format!("i: {i}\n"));
    }
    repo.commit("many files");
    let cache = tempfile::tempdir().unwrap();
    let src = source(&repo.file_url(), GitRef::branch("main"), cache.path());
    let Transfer::Received { objects: first } = fetch(&src).unwrap().transfer else {
        panic!("the first fetch transfers objects")
    };

    repo.write("files/3.yaml", "i: 33\n");
    let id = repo.commit("change one file");
    let fetched = fetch(&src).unwrap();
    assert_eq!(fetched.artifact.revision, format!("main@sha1:{id}"));
    let Transfer::Received { objects } = fetched.transfer else {
        panic!("the new commit is transferred")
    };
    // The commit, the root tree, `files/` and one blob (and perhaps a tree or two of the
    // shallow boundary): not the 20 unchanged blobs.
    assert!(objects < first, "incremental: {objects} < {first}");
    assert!(objects <= 6, "only the changed objects: {objects}");
    assert_eq!(
        std::fs::read_to_string(fetched.artifact.root.join("files/3.yaml")).unwrap(),
        "i: 33\n"
    );
}

#[test]
fn force_pushed_history_is_followed() {
    let repo = GitRepoFixture::new();
    repo.write("a.yaml", "v: 1\n");
    repo.commit("one");
    repo.write("a.yaml", "v: 2\n");
    let two = repo.commit("two");
    let cache = tempfile::tempdir().unwrap();
    let src = source(&repo.file_url(), GitRef::branch("main"), cache.path());
    assert_eq!(fetch(&src).unwrap().commit_id, two);

    repo.reset_hard("HEAD~1");
    repo.write("a.yaml", "v: rewritten\n");
    let rewritten = repo.commit("rewritten");
    let fetched = fetch(&src).unwrap();
    assert_eq!(fetched.commit_id, rewritten);
    assert_eq!(
        std::fs::read_to_string(fetched.artifact.root.join("a.yaml")).unwrap(),
        "v: rewritten\n"
    );

    // Back to a commit the cache has: no transfer.
    repo.reset_hard(&two);
    let back = fetch(&src).unwrap();
    assert_eq!(back.commit_id, two);
    assert_eq!(back.transfer, Transfer::UpToDate);
}

#[test]
fn the_sub_path_is_checked_against_the_tree() {
    let repo = GitRepoFixture::new();
    repo.write("clusters/prod/kustomization.yaml", "resources: []\n");
    repo.commit("one");
    let cache = tempfile::tempdir().unwrap();
    let ok = gitops_source::git::GitSource::new(
        gitops_source::git::GitSourceOptions::new(repo.file_url())
            .path("clusters/prod")
            .cache_dir(cache.path()),
    )
    .unwrap();
    let artifact = fetch(&ok).unwrap().artifact;
    assert_eq!(artifact.path, std::path::Path::new("clusters/prod"));
    assert!(artifact.dir().join("kustomization.yaml").is_file());

    let missing = gitops_source::git::GitSource::new(
        gitops_source::git::GitSourceOptions::new(repo.file_url())
            .path("clusters/staging")
            .cache_dir(cache.path()),
    )
    .unwrap();
    let err = fetch(&missing).unwrap_err();
    assert!(
        matches!(err, gitops_source::git::Error::PathNotFound { .. }),
        "{err}"
    );
}

#[test]
fn the_default_branch_is_the_remote_head() {
    let repo = GitRepoFixture::new();
    repo.commit("one");
    repo.branch("trunk");
    let id = repo.commit("two");
    let cache = tempfile::tempdir().unwrap();
    let src = source(&repo.file_url(), GitRef::DefaultBranch, cache.path());
    let fetched = fetch(&src).unwrap();
    assert_eq!(fetched.artifact.revision, format!("trunk@sha1:{id}"));
}

#[test]
fn old_artifacts_are_pruned() {
    let repo = GitRepoFixture::new();
    let cache = tempfile::tempdir().unwrap();
    let src = gitops_source::git::GitSource::new(
        gitops_source::git::GitSourceOptions::new(repo.file_url())
            .reference(GitRef::branch("main"))
            .cache_dir(cache.path())
            .keep_artifacts(2),
    )
    .unwrap();
    let mut last = None;
    for i in 0..4 {
        repo.write("a.yaml", &format!("v: {i}\n"));
        repo.commit(&format!("c{i}"));
        last = Some(fetch(&src).unwrap().artifact.root);
    }
    let artifacts = std::fs::read_dir(src.cache_dir().join("artifacts"))
        .unwrap()
        .count();
    assert_eq!(artifacts, 2);
    assert!(last.unwrap().is_dir());
}

#[tokio::test]
async fn works_through_the_source_trait() {
    let repo = GitRepoFixture::new();
    repo.write("a.yaml", "a: 1\n");
    let id = repo.commit("one");
    let cache = tempfile::tempdir().unwrap();
    let src = source(&repo.file_url(), GitRef::branch("main"), cache.path());
    let artifact = src.fetch().await.unwrap();
    assert_eq!(artifact.revision, format!("main@sha1:{id}"));
}

/// Everything under `dir` (but `.git`): relative path → (kind, content or link target, mode).
fn snapshot(dir: &std::path::Path) -> std::collections::BTreeMap<String, (char, String, u32)> {
    fn walk(
        root: &std::path::Path,
        dir: &std::path::Path,
        out: &mut std::collections::BTreeMap<String, (char, String, u32)>,
    ) {
        use std::os::unix::fs::PermissionsExt;
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            if rel == ".git" {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap().display().to_string();
                out.insert(rel, ('l', target, 0));
            } else if meta.is_dir() {
                out.insert(rel, ('d', String::new(), 0));
                walk(root, &path, out);
            } else {
                let exec = meta.permissions().mode() & 0o111;
                out.insert(rel, ('f', std::fs::read_to_string(&path).unwrap(), exec));
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn successive_revisions_are_exact_whether_recycled_or_hard_linked() {
    for keep in [1, 3, 0] {
        let repo = GitRepoFixture::new();
        let cache = tempfile::tempdir().unwrap();
        let src = gitops_source::git::GitSource::new(
            gitops_source::git::GitSourceOptions::new(repo.file_url())
                .reference(GitRef::branch("main"))
                .cache_dir(cache.path())
                .keep_artifacts(keep),
        )
        .unwrap();
        type Step = Box<dyn Fn(&GitRepoFixture)>;
        let steps: Vec<Step> = vec![
            Box::new(|r| {
                r.write("a/one.yaml", "1\n");
                r.write("a/b/two.yaml", "2\n");
                r.write("gone/x", "x\n");
                r.write("script", "#!/bin/sh\n");
            }),
            Box::new(|r| {
                r.write("a/one.yaml", "1 changed\n");
                r.remove("gone");
                r.write_executable("script", "#!/bin/sh\n");
                r.symlink("link", "a/b");
            }),
            Box::new(|r| {
                r.remove("a/b");
                r.write("a/b", "now a file\n");
                r.remove("link");
                r.write("link/inside", "now a directory\n");
            }),
            Box::new(|r| {
                r.remove("a");
                r.symlink("a", "link");
            }),
            Box::new(|r| r.write("z.yaml", "z\n")),
        ];
        let mut previous: Vec<(std::path::PathBuf, _)> = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            step(&repo);
            repo.commit(&format!("step {i}"));
            let root = fetch(&src).unwrap().artifact.root;
            let expected = snapshot(repo.path());
            assert_eq!(snapshot(&root), expected, "keep {keep}, step {i}");
            // Artifacts that are still there were not changed by the later ones.
            for (old_root, old) in &previous {
                if old_root.exists() {
                    assert_eq!(&snapshot(old_root), old, "keep {keep}: {old_root:?}");
                }
            }
            previous.push((root, expected));
        }
    }
}
