//! The reconcile loop of gitops-rs, shared by the `gitops` CLI and the operator: one
//! [`Pipeline`] (source → renderer → cluster), passes over it ([`run`]), and notifications
//! ([`Notifier`]).
//!
//! ```
//! use gitops_agent::{LoopOptions, Notifier, Outcome, Pipeline, run};
//! use gitops_apply::MemoryCluster;
//! use gitops_core::sync::SyncOptions;
//! use gitops_render::RenderOptions;
//! use gitops_source::{AnySource, LocalDir};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::write(dir.path().join("ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n").unwrap();
//! let pipeline = Pipeline::new(
//!     AnySource::Dir(LocalDir::new(dir.path())),
//!     RenderOptions::default(),
//!     MemoryCluster::new(),
//!     SyncOptions::new("shop", "default"),
//! );
//! let (_stop, shutdown) = tokio::sync::watch::channel(false);
//! let options = LoopOptions { once: true, ..LoopOptions::default() };
//! match run(&pipeline, &options, &Notifier::none(), shutdown, |_| {}).await {
//!     Outcome::Synced(report) => assert_eq!(report.counts.created, 1),
//!     other => panic!("{other:?}"),
//! }
//! # });
//! ```

mod lookup;
pub mod notify;
mod pipeline;
mod remote;
mod run;
mod tls;

pub use lookup::helm_lookup;
pub use notify::{Event, EventKind, Notifier, NotifyOptions, Target};
pub use pipeline::{CycleError, Pipeline, events, failure_event, now};
pub use remote::GitRemoteLoader;
pub use run::{LoopOptions, Outcome, run};
pub use tls::install_provider;
