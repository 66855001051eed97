//! Benchmark of the Git source against the git CLI, on a generated repository.
//!
//! ```text
//! cargo run --release -p gitops-source --features test-support --example git_bench [-- ROUNDS]
//! ```
//!
//! Generates (once, cached under `$TMPDIR/gitops-git-bench`) a repository of 20,000 commits and
//! 5,000 files with `git fast-import`, then measures, over `file://`, `git daemon` and smart
//! HTTP on 127.0.0.1:
//!
//! 1. cold shallow clone of the tip: ours (fetch + write the tree) vs `git clone --depth 1`;
//! 2. no-change poll: ours vs `git ls-remote`;
//! 3. fetch after one new commit: ours (fetch + write the new tree) vs `git fetch` and vs
//!    `git fetch` + `git reset --hard` (which also updates the work tree).
//!
//! It prints the median of each and the ratio ours / git.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark program: fail loudly

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use gitops_source::git::{GitRef, GitSource, GitSourceOptions, Transfer};
use gitops_source::testing::{AuthRequirement, GitDaemon, SmartHttpServer, git_command};

const COMMITS: usize = 20_000;
const FILES: usize = 5_000;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let base = std::env::temp_dir().join("gitops-git-bench");
    let repo = generate(&base);
    let daemon = GitDaemon::start(&base);
    let http = SmartHttpServer::start(&base, AuthRequirement::None);
    let transports = [
        ("file", format!("file://{}", repo.display())),
        ("git daemon", daemon.url("big.git")),
        ("smart http", http.url("big.git")),
    ];
    println!("repository: {COMMITS} commits, {FILES} files; {rounds} rounds; median ours / git\n");
    println!(
        "{:<11} {:<34} {:>10} {:>10} {:>7}",
        "transport", "measure", "ours", "git", "ratio"
    );
    for (name, url) in &transports {
        bench_transport(name, url, &repo, rounds);
    }
}

fn bench_transport(name: &str, url: &str, repo: &Path, rounds: usize) {
    let work = tempfile::tempdir().unwrap();

    // 1. Cold shallow clone of the tip.
    let mut ours = Vec::new();
    let mut git = Vec::new();
    let mut warm = None;
    for i in 0..rounds {
        let cache = work.path().join(format!("cache-{i}"));
        let source = source(url, &cache);
        let t = Instant::now();
        let fetched = source.fetch_blocking(&AtomicBool::new(false)).unwrap();
        ours.push(t.elapsed());
        assert!(matches!(fetched.transfer, Transfer::Received { .. }));
        let dir = work.path().join(format!("clone-{i}"));
        let t = Instant::now();
        run(git_command()
            .args(["clone", "-q", "--depth", "1", "--branch", "main", url])
            .arg(&dir));
        git.push(t.elapsed());
        if i + 1 < rounds {
            std::fs::remove_dir_all(&cache).unwrap();
        } else {
            warm = Some((source, dir));
        }
        if i + 1 < rounds {
            std::fs::remove_dir_all(work.path().join(format!("clone-{i}"))).unwrap();
        }
    }
    report(name, "cold shallow clone (depth 1)", &ours, &git);
    let (source, clone) = warm.unwrap();

    // 2. No-change poll.
    let polls = rounds * 3;
    let mut ours = Vec::new();
    let mut git = Vec::new();
    for _ in 0..polls {
        let t = Instant::now();
        let fetched = source.fetch_blocking(&AtomicBool::new(false)).unwrap();
        ours.push(t.elapsed());
        assert_eq!(fetched.transfer, Transfer::UpToDate);
        let t = Instant::now();
        run(git_command().args(["ls-remote", url, "refs/heads/main"]));
        git.push(t.elapsed());
    }
    report(name, "no-change poll vs ls-remote", &ours, &git);

    // 3. Fetch after one new commit.
    let mut ours = Vec::new();
    let mut git_fetch = Vec::new();
    let mut git_fetch_reset = Vec::new();
    for i in 0..rounds {
        add_commit(repo, i);
        let t = Instant::now();
        let fetched = source.fetch_blocking(&AtomicBool::new(false)).unwrap();
        ours.push(t.elapsed());
        assert!(matches!(fetched.transfer, Transfer::Received { .. }));
        if std::env::var_os("GIT_BENCH_VERBOSE").is_some() {
            eprintln!("{name}: {:?} in {:?}", fetched.transfer, ours[i]);
        }
        let t = Instant::now();
        run(git_command()
            .args(["fetch", "-q", "origin", "main"])
            .current_dir(&clone));
        git_fetch.push(t.elapsed());
        let t = Instant::now();
        run(git_command()
            .args(["reset", "-q", "--hard", "FETCH_HEAD"])
            .current_dir(&clone));
        git_fetch_reset.push(git_fetch[i] + t.elapsed());
    }
    report(name, "fetch after 1 commit vs git fetch", &ours, &git_fetch);
    report(
        name,
        "  ... vs git fetch + reset --hard",
        &ours,
        &git_fetch_reset,
    );
}

fn source(url: &str, cache: &Path) -> GitSource {
    GitSource::new(
        GitSourceOptions::new(url)
            .reference(GitRef::branch("main"))
            .cache_dir(cache)
            .timeout(Duration::from_secs(600)),
    )
    .unwrap()
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn report(transport: &str, measure: &str, ours: &[Duration], git: &[Duration]) {
    let (o, g) = (median(ours), median(git));
    println!(
        "{transport:<11} {measure:<34} {:>8.1}ms {:>8.1}ms {:>7.2}",
        o.as_secs_f64() * 1e3,
        g.as_secs_f64() * 1e3,
        o.as_secs_f64() / g.as_secs_f64()
    );
}

fn run(cmd: &mut Command) {
    let out = cmd.stdout(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The bare repository `base/big.git`, generated once with `git fast-import`.
fn generate(base: &Path) -> PathBuf {
    let repo = base.join("big.git");
    let marker = base.join(format!("big-{COMMITS}-{FILES}.done"));
    if marker.exists() {
        // Drop commits added by earlier runs, so every run starts from the same tip.
        let tip = std::fs::read_to_string(&marker).unwrap();
        run(git_command()
            .args(["update-ref", "refs/heads/main", tip.trim()])
            .current_dir(&repo));
        return repo;
    }
    let _ = std::fs::remove_dir_all(base);
    std::fs::create_dir_all(&repo).unwrap();
    run(git_command()
        .args(["init", "-q", "--bare", "-b", "main"])
        .current_dir(&repo));
    let t = Instant::now();
    let mut child = git_command()
        .args(["fast-import", "--quiet"])
        .current_dir(&repo)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut w = std::io::BufWriter::new(child.stdin.take().unwrap());
        let mut time = 1_600_000_000u64;
        for c in 0..COMMITS {
            time += 60;
            let msg = format!("commit {c}");
            write!(
                w,
                "commit refs/heads/main\nmark :{}\ncommitter Bench <bench@example.com> {time} +0000\ndata {}\n{msg}\n",
                c + 1,
                msg.len()
            )
            .unwrap();
            if c > 0 {
                writeln!(w, "from :{c}").unwrap();
            }
            let files: Vec<usize> = if c == 0 {
                (0..FILES).collect()
            } else {
                // Each later commit changes three files.
                (0..3).map(|k| (c * 7919 + k * 104_729) % FILES).collect()
            };
            for f in files {
                let content = file_content(f, c);
                writeln!(
                    w,
                    "M 100644 inline {}\ndata {}\n{content}",
                    file_path(f),
                    content.len()
                )
                .unwrap();
            }
        }
        writeln!(w, "done").unwrap();
    }
    assert!(child.wait().unwrap().success());
    run(git_command()
        .args(["gc", "-q", "--aggressive"])
        .current_dir(&repo));
    let tip = git_command()
        .args(["rev-parse", "refs/heads/main"])
        .current_dir(&repo)
        .output()
        .unwrap();
    std::fs::write(&marker, &tip.stdout).unwrap();
    eprintln!("generated {} in {:?}", repo.display(), t.elapsed());
    repo
}

fn file_path(f: usize) -> String {
    format!("apps/team-{:02}/service-{f:04}/manifest.yaml", f % 50)
}

fn file_content(f: usize, c: usize) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: service-{f:04}\n  namespace: team-{:02}\ndata:\n  revision: \"{c}\"\n",
        f % 50
    )
}

/// Adds one commit changing one file on top of `main`.
fn add_commit(repo: &Path, i: usize) {
    let mut child = git_command()
        .args(["fast-import", "--quiet"])
        .current_dir(repo)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut w = child.stdin.take().unwrap();
        let content = file_content(i % FILES, 1_000_000 + i);
        write!(
            w,
            "commit refs/heads/main\ncommitter Bench <bench@example.com> {} +0000\ndata 3\nnew\nfrom refs/heads/main^0\nM 100644 inline {}\ndata {}\n{content}\ndone\n",
            1_700_000_000 + i,
            file_path(i % FILES),
            content.len()
        )
        .unwrap();
    }
    assert!(child.wait().unwrap().success());
}
