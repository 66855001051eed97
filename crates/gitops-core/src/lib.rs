//! The core of gitops-rs: the object model, the four pipeline traits and the apply plan.
//!
//! Desired state flows through four seams, each a trait defined here and implemented in another
//! crate: a [`Source`] fetches an [`Artifact`] (a directory tree at a revision), a [`Renderer`]
//! turns it into [`Object`]s, [`plan::plan`] orders them into stages, a [`Differ`] compares
//! them with the cluster and an [`Applier`] makes the cluster match, stage by stage. The
//! results of every step use one vocabulary ([`ChangeSet`], [`ObjectResult`], [`Action`]).
//!
//! This crate performs no I/O and depends on no Kubernetes client, Git library or HTTP stack.
//!
//! Plan a small application and look at its stages:
//!
//! ```
//! use gitops_core::{manifest, plan};
//!
//! let objects = manifest::load_str(r#"
//! apiVersion: apps/v1
//! kind: Deployment
//! metadata:
//!   name: web
//!   namespace: shop
//!   annotations:
//!     gitops.rs/depends-on: /namespaces/shop/Service/db
//! ---
//! apiVersion: v1
//! kind: Service
//! metadata: {name: db, namespace: shop}
//! ---
//! apiVersion: v1
//! kind: Namespace
//! metadata: {name: shop}
//! ---
//! apiVersion: batch/v1
//! kind: Job
//! metadata:
//!   generateName: migrate-
//!   namespace: shop
//!   annotations: {argocd.argoproj.io/hook: PostSync}
//! "#, "shop.yaml")?;
//!
//! let plan = plan::plan(&objects, &plan::Options::default())?;
//! let stages: Vec<Vec<String>> = plan
//!     .references()
//!     .into_iter()
//!     .map(|stage| stage.iter().map(ToString::to_string).collect())
//!     .collect();
//! assert_eq!(stages, [
//!     vec!["Namespace/shop"],
//!     vec!["Service/shop/db"],
//!     vec!["Deployment.apps/shop/web"],
//!     vec!["Job.batch/shop/migrate-"], // the post-sync hook, after the last wave
//! ]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod apply;
pub mod cluster;
pub mod consts;
pub mod diff;
pub mod health;
pub mod inventory;
pub mod kinds;
pub mod manifest;
mod object;
pub mod plan;
pub mod prune;
pub mod render;
pub mod source;
pub mod sync;
pub mod yaml;

pub use apply::{Action, Applier, ObjectResult};
pub use diff::{ChangeSet, Differ};
pub use object::{Object, ObjectError, ObjectRef, Origin, ParseObjectRefError};
pub use plan::Plan;
pub use render::{Rendered, Renderer};
pub use source::{Artifact, CommitInfo, Source};
