//! Integration tests of the Git source against real Git: repositories built with the `git` CLI,
//! served over `file://`, `git daemon`, smart HTTP and a stand-in `ssh`, all on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod clone;
mod concurrency;
mod refs;
mod safety;
mod transports;

use std::path::Path;
use std::sync::atomic::AtomicBool;

use gitops_source::git::{Error, Fetched, GitRef, GitSource, GitSourceOptions};

/// A source for `url` following `reference`, caching in `cache`.
pub fn source(url: &str, reference: GitRef, cache: &Path) -> GitSource {
    GitSource::new(
        GitSourceOptions::new(url)
            .reference(reference)
            .cache_dir(cache),
    )
    .unwrap()
}

/// Fetches on the test thread.
pub fn fetch(source: &GitSource) -> Result<Fetched, Error> {
    source.fetch_blocking(&AtomicBool::new(false))
}

/// The number of pack files in a source's cache repository.
pub fn pack_count(source: &GitSource) -> usize {
    let dir = source.cache_dir().join("repo.git/objects/pack");
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "pack"))
                .count()
        })
        .unwrap_or(0)
}

/// Prints an error with all its causes (for failing assertions).
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut s = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        s.push_str(&format!("\n  caused by: {e}"));
        cur = e.source();
    }
    s
}
