//! The apply plan: objects in stages that respect every "must be applied before" edge.
//!
//! [`plan()`] builds a graph (petgraph) whose nodes are objects and whose edges come from
//! [`edges`]: an object's Namespace and the CustomResourceDefinition of its kind come first, and
//! so do the objects named by `gitops.rs/depends-on` (or kpt's `config.kubernetes.io/depends-on`).
//! Waves (`gitops.rs/wave`, else Argo CD's `argocd.argoproj.io/sync-wave`) are strict phases,
//! and hooks (Argo CD's `argocd.argoproj.io/hook`, Helm's `helm.sh/hook`) go to the pre-sync
//! phase, before every wave, or the post-sync phase, after the last one. Within a wave, the
//! [kind order](crate::kinds) places each object no earlier than its kind's tier.
//!
//! The result is a list of [`Stage`]s: all objects of a stage can be applied in parallel once the
//! stages before it are done; deletion runs the stages in reverse. The output is deterministic.
//!
//! Contradictions are errors, never silent reorders: a dependency in a later wave, a dependency
//! missing from the set, a cycle (printed), an unparsable annotation, two objects with one
//! identity.
//!
//! Explicit dependencies win over the kind order: a ConfigMap that depends on a Job is applied
//! after the Job, although ConfigMaps usually precede workloads.
//!
//! ```
//! use gitops_core::{manifest, plan};
//!
//! let objects = manifest::load_str(r#"
//! apiVersion: apps/v1
//! kind: Deployment
//! metadata: {name: web, namespace: shop}
//! ---
//! apiVersion: v1
//! kind: ConfigMap
//! metadata: {name: settings, namespace: shop}
//! ---
//! apiVersion: v1
//! kind: Namespace
//! metadata: {name: shop}
//! "#, "app.yaml")?;
//! let plan = plan::plan(&objects, &plan::Options::default())?;
//! let stages: Vec<Vec<String>> = plan
//!     .stages()
//!     .iter()
//!     .map(|s| s.objects.iter().map(|o| o.reference().to_string()).collect())
//!     .collect();
//! assert_eq!(stages, [
//!     vec!["Namespace/shop"],
//!     vec!["ConfigMap/shop/settings"],
//!     vec!["Deployment.apps/shop/web"],
//! ]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod annotations;
pub mod edges;
mod function;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::manifest::DuplicateError;
use crate::object::{Object, ObjectRef, Origin};

pub use annotations::{DependsOnRef, ParseDependsOnError};
pub use edges::EdgeReason;
pub use function::plan;

/// How to read objects into a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Options {
    /// Honour Argo CD's sync waves and hooks (default: true).
    pub argocd: bool,
    /// Honour Helm's hook annotations (default: true).
    pub helm_hooks: bool,
    /// Order kinds by their [tier](crate::kinds::Tier) within a wave (default: true).
    pub kind_order: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            argocd: true,
            helm_hooks: true,
            kind_order: true,
        }
    }
}

impl Options {
    /// Sets whether Argo CD's annotations are honoured.
    #[must_use]
    pub fn argocd(mut self, on: bool) -> Self {
        self.argocd = on;
        self
    }

    /// Sets whether Helm's hook annotations are honoured.
    #[must_use]
    pub fn helm_hooks(mut self, on: bool) -> Self {
        self.helm_hooks = on;
        self
    }

    /// Sets whether kinds are ordered by tier within a wave.
    #[must_use]
    pub fn kind_order(mut self, on: bool) -> Self {
        self.kind_order = on;
        self
    }
}

/// The phase of a sync an object belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Phase {
    /// Pre-sync hooks (`PreSync`, `pre-install`/`pre-upgrade`), before every wave.
    PreSync,
    /// The objects of the sync, in waves.
    Sync,
    /// Post-sync hooks (`PostSync`, `post-install`/`post-upgrade`), after the last wave.
    PostSync,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::PreSync => "PreSync",
            Phase::Sync => "Sync",
            Phase::PostSync => "PostSync",
        })
    }
}

/// Where an object sits in the strict order of phases and waves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    /// The phase.
    pub phase: Phase,
    /// The wave within the phase (the hook weight for Helm hooks).
    pub wave: i64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.phase {
            Phase::Sync => write!(f, "wave {}", self.wave),
            phase => write!(f, "{phase} wave {}", self.wave),
        }
    }
}

/// Objects that can be applied together, once every earlier stage is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// The phase and wave of every object of the stage.
    pub position: Position,
    /// The objects, ordered by reference.
    pub objects: Vec<Object>,
}

/// An object the plan leaves out, and why (a hook that does not run during a sync).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The object.
    pub object: ObjectRef,
    /// Why it is not applied.
    pub reason: String,
}

/// The stages of a sync, in apply order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    stages: Vec<Stage>,
    skipped: Vec<Skipped>,
}

impl Plan {
    /// The stages, in apply order.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The stages in deletion order (the reverse of apply order).
    pub fn deletion_stages(&self) -> impl Iterator<Item = &Stage> {
        self.stages.iter().rev()
    }

    /// Objects left out of the stages, with the reason.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// Every planned object, in apply order.
    pub fn objects(&self) -> impl Iterator<Item = &Object> {
        self.stages.iter().flat_map(|s| s.objects.iter())
    }

    /// The number of planned objects.
    pub fn len(&self) -> usize {
        self.stages.iter().map(|s| s.objects.len()).sum()
    }

    /// True when no object is planned.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// The references of each stage, in apply order.
    pub fn references(&self) -> Vec<Vec<ObjectRef>> {
        self.stages
            .iter()
            .map(|s| s.objects.iter().map(|o| o.reference().clone()).collect())
            .collect()
    }
}

/// Why a set of objects cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An annotation of the plan has a value we cannot read.
    #[error(
        "{}{object}: annotation {annotation}: invalid value {value:?}: {reason}",
        at(origin)
    )]
    InvalidAnnotation {
        /// The annotated object.
        object: ObjectRef,
        /// Where it was read.
        origin: Option<Origin>,
        /// The annotation key.
        annotation: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `depends-on` names an object that is not in the set.
    #[error(
        "{}{object}: depends on {dependency}, which is not in the set of objects",
        at(origin)
    )]
    MissingDependency {
        /// The dependent object.
        object: ObjectRef,
        /// Where it was read.
        origin: Option<Origin>,
        /// The missing dependency.
        dependency: ObjectRef,
    },
    /// An edge that goes against the phases and waves.
    #[error(
        "{}{after} ({after_at}) must be applied after {before} ({before_at}) {reason}, but its {} is earlier",
        at(origin),
        if before_at.phase == after_at.phase { "wave" } else { "phase" }
    )]
    WaveConflict {
        /// The object that must come first.
        before: ObjectRef,
        /// Its phase and wave.
        before_at: Position,
        /// The object that must come after it.
        after: ObjectRef,
        /// Its phase and wave, earlier than `before_at`.
        after_at: Position,
        /// Why the edge exists.
        reason: EdgeReason,
        /// Where `after` was read.
        origin: Option<Origin>,
    },
    /// The dependencies form a cycle; the first object is repeated at the end.
    #[error("dependency cycle: {}", cycle_text(cycle))]
    Cycle {
        /// The objects of the cycle, each one needed by the next; first and last are equal.
        cycle: Vec<ObjectRef>,
    },
    /// Two objects with one identity.
    #[error(transparent)]
    Duplicate(#[from] DuplicateError),
}

fn at(origin: &Option<Origin>) -> String {
    origin
        .as_ref()
        .map(|o| format!("{o}: "))
        .unwrap_or_default()
}

fn cycle_text(cycle: &[ObjectRef]) -> String {
    cycle
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" -> ")
}

#[cfg(test)]
mod tests;
