//! A simulated cluster, a cache directory, a Git repository and a webhook receiver: what a
//! CLI end-to-end test drives the real `gitops` binary against.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gitops_testcluster::{Options, TestCluster};
use serde_json::Value;

/// The cluster and the directories one test uses.
pub struct Env {
    pub cluster: TestCluster,
    pub cache: tempfile::TempDir,
}

impl Env {
    /// A fresh simulated cluster (simulated workloads become ready at once).
    pub async fn start() -> Self {
        let cluster = TestCluster::start(Options::default())
            .await
            .expect("testcluster");
        cluster.skip_delays();
        Self {
            cluster,
            cache: tempfile::tempdir().expect("cache dir"),
        }
    }

    /// `gitops` pointed at this cluster, with its own cache.
    pub fn gitops(&self) -> assert_cmd::Command {
        let mut cmd = super::gitops();
        cmd.env("KUBECONFIG", self.cluster.kubeconfig_path())
            .env("XDG_CACHE_HOME", self.cache.path())
            .env("HOME", self.cache.path());
        cmd
    }

    /// The same, as a `std::process::Command` (for background processes).
    pub fn gitops_process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("gitops"));
        cmd.current_dir(super::workspace_root())
            .env("NO_COLOR", "1")
            .env("KUBECONFIG", self.cluster.kubeconfig_path())
            .env("XDG_CACHE_HOME", self.cache.path())
            .env("HOME", self.cache.path());
        cmd
    }

    /// A live object, by kind/namespace/name (as the dump returns it).
    pub fn object(&self, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        self.cluster.dump().into_iter().find(|o| {
            o["kind"] == kind
                && o["metadata"]["name"] == name
                && o["metadata"]["namespace"].as_str().unwrap_or("") == namespace
        })
    }
}

/// Waits (up to 30 s) until `check` holds.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A webhook receiver on 127.0.0.1 keeping every JSON body it gets.
pub struct Receiver {
    pub url: String,
    pub events: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let events: Arc<Mutex<Vec<Value>>> = Arc::default();
        let store = events.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let store = store.clone();
                std::thread::spawn(move || serve(stream, &store));
            }
        });
        Self { url, events }
    }

    /// The `kind` of every event received so far.
    pub fn kinds(&self) -> Vec<String> {
        self.events
            .lock()
            .expect("lock")
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

fn serve(stream: std::net::TcpStream, store: &Mutex<Vec<Value>>) {
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if let Ok(value) = serde_json::from_slice(&body) {
            store.lock().expect("lock").push(value);
        }
        let _ = writer.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
    }
}

/// Copies the bundled example into a Git fixture under `app/` and commits it.
pub fn commit_example(repo: &gitops_source::testing::GitRepoFixture) -> String {
    let root = super::workspace_root().join("examples/shop");
    copy_tree(&root, &repo.path().join("app"));
    repo.commit("the shop")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let path: PathBuf = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}
