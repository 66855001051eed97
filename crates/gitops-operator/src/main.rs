//! `gitops-operator`: the in-cluster GitOps agent.
//!
//! The controller itself arrives with its own issue; until then the binary says so and exits
//! with status 2 instead of pretending to reconcile anything.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!("error: gitops-operator has no controller yet; use `gitops plan` / `gitops render`");
    ExitCode::from(2)
}
