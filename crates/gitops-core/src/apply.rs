//! [`Applier`] and the per-object result vocabulary of applies and deletions.

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::consts;
use crate::object::{Object, ObjectRef};

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Created.
    Created,
    /// Existed and was changed.
    Configured,
    /// Existed and already matched.
    Unchanged,
    /// Deleted.
    Deleted,
    /// Left alone on purpose (pruning disabled, not ours, held by a guard).
    Skipped,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Created => "created",
            Action::Configured => "configured",
            Action::Unchanged => "unchanged",
            Action::Deleted => "deleted",
            Action::Skipped => "skipped",
        })
    }
}

/// Why one object could not be applied or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    /// What went wrong, as the cluster or backend said it (never secret values).
    pub message: String,
    /// Whether trying again later may succeed (throttling, a timeout, a conflict).
    pub transient: bool,
}

/// The result for one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectResult {
    /// The object.
    pub object: ObjectRef,
    /// What happened, or why it failed.
    pub outcome: Result<Action, Failure>,
}

impl ObjectResult {
    /// A success.
    pub fn done(object: ObjectRef, action: Action) -> Self {
        Self {
            object,
            outcome: Ok(action),
        }
    }

    /// A failure.
    pub fn failed(object: ObjectRef, message: impl Into<String>, transient: bool) -> Self {
        Self {
            object,
            outcome: Err(Failure {
                message: message.into(),
                transient,
            }),
        }
    }
}

/// How to apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApplyOptions {
    /// The server-side apply field manager (default `gitops`).
    pub field_manager: String,
    /// Take ownership of fields another manager owns instead of failing with a conflict
    /// (default: true, as Flux does: Git is the source of truth, and healing drift means
    /// taking back the fields someone changed by hand).
    pub force: bool,
    /// Ask the server what would happen without storing anything.
    pub dry_run: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            field_manager: consts::FIELD_MANAGER.to_owned(),
            force: true,
            dry_run: false,
        }
    }
}

/// How deleted objects go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Propagation {
    /// Dependents are deleted in the background (the API server's default).
    #[default]
    Background,
    /// The object goes once its dependents are gone.
    Foreground,
    /// Dependents are left behind.
    Orphan,
}

/// How to delete.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DeleteOptions {
    /// How dependents go.
    pub propagation: Propagation,
    /// Ask the server what would happen without deleting anything.
    pub dry_run: bool,
}

/// Applies objects to a cluster (or any target) and reads them back.
///
/// A call fails as a whole (`Err`) only when the target cannot be used at all; problems with
/// single objects are [`ObjectResult`]s, so callers always learn what was done.
///
/// ```
/// use async_trait::async_trait;
/// use gitops_core::apply::{Action, Applier, ApplyOptions, DeleteOptions, ObjectResult};
/// use gitops_core::{Object, ObjectRef};
/// use std::collections::BTreeMap;
/// use std::sync::Mutex;
///
/// /// Keeps objects in a map.
/// #[derive(Default)]
/// struct InMemory(Mutex<BTreeMap<ObjectRef, Object>>);
///
/// #[async_trait]
/// impl Applier for InMemory {
///     type Error = std::convert::Infallible;
///     async fn apply(&self, objects: &[Object], _: &ApplyOptions) -> Result<Vec<ObjectResult>, Self::Error> {
///         let mut store = self.0.lock().unwrap();
///         Ok(objects.iter().map(|o| {
///             let action = match store.insert(o.reference().clone(), o.clone()) {
///                 None => Action::Created,
///                 Some(old) if old == *o => Action::Unchanged,
///                 Some(_) => Action::Configured,
///             };
///             ObjectResult::done(o.reference().clone(), action)
///         }).collect())
///     }
///     async fn delete(&self, refs: &[ObjectRef], _: &DeleteOptions) -> Result<Vec<ObjectResult>, Self::Error> {
///         let mut store = self.0.lock().unwrap();
///         Ok(refs.iter().map(|r| {
///             let action = if store.remove(r).is_some() { Action::Deleted } else { Action::Skipped };
///             ObjectResult::done(r.clone(), action)
///         }).collect())
///     }
///     async fn get(&self, refs: &[ObjectRef]) -> Result<Vec<Option<Object>>, Self::Error> {
///         let store = self.0.lock().unwrap();
///         Ok(refs.iter().map(|r| store.get(r).cloned()).collect())
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let ns = Object::new(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})).unwrap();
/// let target = InMemory::default();
/// let first = target.apply(&[ns.clone()], &ApplyOptions::default()).await.unwrap();
/// let again = target.apply(&[ns.clone()], &ApplyOptions::default()).await.unwrap();
/// assert_eq!(first[0].outcome, Ok(Action::Created));
/// assert_eq!(again[0].outcome, Ok(Action::Unchanged));
/// # });
/// ```
#[async_trait]
pub trait Applier: Send + Sync {
    /// Why a call failed as a whole.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Applies one stage of objects (they may be applied concurrently).
    async fn apply(
        &self,
        objects: &[Object],
        options: &ApplyOptions,
    ) -> Result<Vec<ObjectResult>, Self::Error>;

    /// Deletes objects (they may be deleted concurrently).
    async fn delete(
        &self,
        objects: &[ObjectRef],
        options: &DeleteOptions,
    ) -> Result<Vec<ObjectResult>, Self::Error>;

    /// Reads the live objects; `None` for those that do not exist.
    async fn get(&self, objects: &[ObjectRef]) -> Result<Vec<Option<Object>>, Self::Error>;
}
