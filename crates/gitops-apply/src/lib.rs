//! Cluster backends of gitops-rs: make a cluster equal to rendered objects.
//!
//! [`KubeCluster`] talks to any Kubernetes API server through kube-rs: server-side apply in plan
//! order with bounded concurrency and retries, diffs against a server-side dry-run, prune from
//! a KEP-3659 ApplySet inventory, and health waits that follow watch events.
//! [`MemoryCluster`] implements the same traits in process, for unit tests and simulations.
//!
//! Both implement [`gitops_core::cluster::Cluster`], so
//! [`gitops_core::sync::reconcile`] drives either:
//!
//! ```
//! use gitops_apply::MemoryCluster;
//! use gitops_core::sync::{reconcile, SyncOptions, SyncRequest};
//! use gitops_core::manifest;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let cluster = MemoryCluster::new();
//! let objects = manifest::load_str(
//!     "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n\
//!      apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\ndata: {a: b}\n",
//!     "app.yaml",
//! ).unwrap();
//! let request = SyncRequest { objects, revision: "v1".into(), commit: None, now: 0 };
//! let options = SyncOptions::new("shop", "default");
//! let first = reconcile(&cluster, request.clone(), &options).await.unwrap();
//! assert_eq!(first.counts.created, 2);
//! let again = reconcile(&cluster, request, &options).await.unwrap();
//! assert_eq!(again.counts.unchanged, 2);
//! // Two objects, and the inventory written before (so nothing can be orphaned) and after.
//! assert_eq!(cluster.writes(), 4, "the second sync wrote nothing");
//! # });
//! ```

mod error;
pub mod kube;
mod memory;
mod options;
mod retry;

pub use crate::kube::{KubeCluster, Resolver};
pub use error::Error;
pub use memory::MemoryCluster;
pub use options::{BackendOptions, RetryPolicy};
