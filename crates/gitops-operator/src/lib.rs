//! `gitops-operator`: the in-cluster GitOps agent of gitops-rs, on kube-runtime.
//!
//! Two controllers share one process: [`source`] fetches each [`crd::GitRepository`] and wakes
//! the Applications that use it; [`app`] reconciles each [`crd::Application`] with the same
//! pipeline as the `gitops` CLI (`gitops_core::sync::reconcile`): dependencies first, input
//! closure, render, server-side apply in stages, guarded prune, health, drift, status, Events
//! and alerts. [`run`] wires them with leader election, metrics and the webhook receiver.
//!
//! ```
//! // The CRDs are generated from the Rust types.
//! let yaml = gitops_operator::crd::crds_yaml();
//! assert!(yaml.contains("name: applications.gitops.rs"));
//! assert!(yaml.contains("name: gitrepositories.gitops.rs"));
//! ```

pub mod alerts;
pub mod app;
pub mod context;
pub mod crd;
pub mod deploy;
pub mod deps;
pub mod error;
pub mod metrics;
mod run;
pub mod server;
pub mod source;
pub mod status;
pub mod webhook;

pub use run::{RunOptions, run};
