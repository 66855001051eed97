//! Helpers shared by the end-to-end tests: run the real binaries from the workspace root.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

pub mod env;

use std::path::{Path, PathBuf};
use std::process::Output;

/// The workspace root (tests run commands from here so paths in output are stable).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The `gitops` binary built for this test run.
pub fn gitops() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("gitops").expect("gitops binary");
    cmd.current_dir(workspace_root())
        .env("NO_COLOR", "1")
        .env_remove("GITOPS_LOG")
        .env_remove("RUST_BACKTRACE");
    cmd
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
