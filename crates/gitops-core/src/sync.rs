//! One reconcile, as a straight line: scope → plan → inventory → diff → apply stages → prune →
//! wait → record. Every binary and the operator call this; none re-implements a step.
//!
//! Guarantees:
//! - nothing is written when the plan cannot be built (bad input) or the diff fails;
//! - a sync whose diff is empty and whose revision is already recorded makes no write request;
//! - the inventory is extended with every desired object *before* the first apply, so a sync
//!   killed halfway leaves nothing orphaned: the next run still owns what this one created;
//! - stages run in order and stop at the first failure; pruning then keeps everything;
//! - pruning follows [`crate::prune`]'s guards (inventory members only, empty-render guard,
//!   deletion budget).

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::apply::{Action, Applier, ApplyOptions, DeleteOptions, ObjectResult};
use crate::cluster::{Cluster, ErrorClass};
use crate::consts;
use crate::diff::{Change, ChangeSet, Differ};
use crate::health::{Health, Status};
use crate::inventory::{self, Inventory, InventoryError, SyncCounts, SyncRecord, SyncResult};
use crate::kinds;
use crate::object::{Object, ObjectRef};
use crate::plan::{self, Skipped};
use crate::prune::{self, PruneOptions, PrunePlan};
use crate::source::CommitInfo;

/// How to reconcile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SyncOptions {
    /// The sync's name: the inventory's name.
    pub name: String,
    /// The namespace of the inventory.
    pub namespace: String,
    /// How to plan.
    pub plan: plan::Options,
    /// How to apply.
    pub apply: ApplyOptions,
    /// How to prune.
    pub prune: PruneOptions,
    /// Wait for health after each stage that changed something, and at the end, up to this long
    /// in total; `None` does not wait.
    pub wait: Option<Duration>,
    /// Only compute what would change.
    pub dry_run: bool,
    /// How many past syncs the inventory keeps.
    pub history: usize,
    /// Where the desired state comes from, recorded in the inventory (see
    /// [`Inventory::source`]).
    pub source: Option<String>,
}

impl SyncOptions {
    /// Options for the sync `name` with its inventory in `namespace`.
    pub fn new(name: impl Into<String>, namespace: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            namespace: namespace.into(),
            ..Self::default()
        }
    }
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            name: String::new(),
            namespace: "default".to_owned(),
            plan: plan::Options::default(),
            apply: ApplyOptions::default(),
            prune: PruneOptions::default(),
            wait: None,
            dry_run: false,
            history: inventory::DEFAULT_HISTORY,
            source: None,
        }
    }
}

/// What to reconcile to.
#[derive(Debug, Clone)]
pub struct SyncRequest {
    /// The rendered objects.
    pub objects: Vec<Object>,
    /// The source revision they come from.
    pub revision: String,
    /// The commit, when the source has one.
    pub commit: Option<CommitInfo>,
    /// Now, in seconds since the Unix epoch (for the history).
    pub now: i64,
}

/// A failure of the cluster during the apply phase (before it, the sync returns an error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterFailure {
    /// What the cluster said.
    pub message: String,
    /// Whether a later attempt may succeed.
    pub transient: bool,
}

/// What a reconcile did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    /// The sync's name.
    pub name: String,
    /// The revision applied.
    pub revision: String,
    /// The revision the previous successful sync applied, if any: when it equals `revision`,
    /// whatever this sync changed was drift.
    pub previous_revision: Option<String>,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// The difference found before applying.
    pub changes: ChangeSet,
    /// What happened to each applied or deleted object.
    pub results: Vec<ObjectResult>,
    /// The prune decision.
    pub prune: PrunePlan,
    /// Health at the end, when waiting was asked for.
    pub health: Vec<(ObjectRef, Health)>,
    /// Objects not applied (hooks that do not run during a sync).
    pub skipped: Vec<Skipped>,
    /// What the sync did, in numbers.
    pub counts: SyncCounts,
    /// How it ended.
    pub result: SyncResult,
    /// Why it failed.
    pub message: String,
    /// A failure of the cluster itself, when that is why it failed.
    pub cluster_failure: Option<ClusterFailure>,
}

impl SyncReport {
    /// True when this sync applied the same revision as the previous one: its changes were
    /// drift (edits or deletions made behind Git's back).
    pub fn same_revision(&self) -> bool {
        self.previous_revision.as_deref() == Some(self.revision.as_str())
    }

    /// True when the sync changed something in the cluster (or would, for a dry run).
    pub fn changed(&self) -> bool {
        let c = &self.counts;
        c.created + c.configured + c.deleted > 0
    }

    /// Objects whose health is Failed, or still in progress after the wait.
    pub fn unhealthy(&self) -> impl Iterator<Item = &(ObjectRef, Health)> {
        self.health
            .iter()
            .filter(|(_, h)| matches!(h.status, Status::Failed | Status::InProgress))
    }
}

/// Why a sync could not start.
#[derive(Debug, thiserror::Error)]
pub enum SyncError<E> {
    /// The objects cannot be planned (bad input).
    #[error(transparent)]
    Plan(Box<plan::Error>),
    /// The inventory in the cluster is not ours or is damaged.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    /// The cluster failed before anything was applied.
    #[error(transparent)]
    Cluster(E),
}

impl<E> From<plan::Error> for SyncError<E> {
    fn from(error: plan::Error) -> Self {
        SyncError::Plan(Box::new(error))
    }
}

impl<E: ErrorClass> SyncError<E> {
    /// Whether the input is at fault (retrying the same input will fail the same way).
    pub fn is_bad_input(&self) -> bool {
        match self {
            SyncError::Plan(_) => true,
            SyncError::Inventory(_) => false,
            SyncError::Cluster(e) => e.is_bad_input(),
        }
    }

    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Cluster(e) if e.is_transient())
    }
}

/// What a reconcile is doing, for progress displays.
#[derive(Debug, Clone, Copy)]
pub enum SyncEvent<'a> {
    /// The plan is ready.
    Planned {
        /// Stages in the plan.
        stages: usize,
        /// Objects in the plan.
        objects: usize,
    },
    /// A stage with changes is being applied.
    Applying {
        /// The stage, counting from 1.
        stage: usize,
        /// Stages in the plan.
        stages: usize,
        /// The objects being applied.
        objects: &'a [Object],
    },
    /// Waiting for objects to become healthy.
    Waiting {
        /// How many.
        objects: usize,
    },
    /// Deleting stale objects.
    Pruning {
        /// How many.
        objects: usize,
    },
}

/// Receives [`SyncEvent`]s; `()` ignores them.
pub trait Observer: Send + Sync {
    /// Called as the reconcile progresses.
    fn event(&self, event: SyncEvent<'_>);
}

impl Observer for () {
    fn event(&self, _: SyncEvent<'_>) {}
}

/// Adds the ApplySet membership label to an object.
pub fn label_member(object: &Object, id: &str) -> Object {
    if object.label(consts::APPLYSET_PART_OF) == Some(id) {
        return object.clone();
    }
    object
        .edit(|manifest| {
            let metadata = &mut manifest["metadata"];
            if !metadata["labels"].is_object() {
                metadata["labels"] = serde_json::json!({});
            }
            metadata["labels"][consts::APPLYSET_PART_OF] = serde_json::Value::String(id.to_owned());
        })
        .unwrap_or_else(|_| object.clone())
}

type Result<T, C> = std::result::Result<T, SyncError<<C as Applier>::Error>>;

/// Reconciles the cluster to the requested objects. See the module documentation.
pub async fn reconcile<C>(
    cluster: &C,
    request: SyncRequest,
    options: &SyncOptions,
) -> Result<SyncReport, C>
where
    C: Cluster,
    <C as Applier>::Error: ErrorClass,
{
    reconcile_observed(cluster, request, options, &()).await
}

/// Like [`reconcile`], telling `observer` what it is doing.
pub async fn reconcile_observed<C>(
    cluster: &C,
    request: SyncRequest,
    options: &SyncOptions,
    observer: &dyn Observer,
) -> Result<SyncReport, C>
where
    C: Cluster,
    <C as Applier>::Error: ErrorClass,
{
    let objects = cluster
        .prepare(request.objects)
        .await
        .map_err(SyncError::Cluster)?;
    let id = inventory::applyset_id(&options.name, &options.namespace);
    let (objects, hooks): (Vec<Object>, Vec<Object>) =
        objects.into_iter().partition(|o| !o.has_generated_name());
    let labelled: Vec<Object> = objects.iter().map(|o| label_member(o, &id)).collect();
    let plan = plan::plan(&labelled, &options.plan)?;
    let desired: Vec<Object> = plan.objects().cloned().collect();
    observer.event(SyncEvent::Planned {
        stages: plan.stages().len(),
        objects: desired.len(),
    });

    let loaded = cluster
        .load_inventory(&options.name, &options.namespace)
        .await
        .map_err(SyncError::Cluster)?;
    let existed = loaded.is_some();
    let mut inventory = loaded.unwrap_or_else(|| Inventory::new(&options.name, &options.namespace));

    let changes = Differ::diff(cluster, &desired, &inventory)
        .await
        .map_err(SyncError::Cluster)?;

    let mut skipped: Vec<Skipped> = plan.skipped().to_vec();
    skipped.extend(hooks.iter().map(|h| Skipped {
        object: h.reference().clone(),
        reason: "hooks with a generated name are not run yet".to_owned(),
    }));
    let mut report = SyncReport {
        name: options.name.clone(),
        revision: request.revision.clone(),
        previous_revision: inventory.revision.clone(),
        dry_run: options.dry_run,
        changes,
        results: Vec::new(),
        prune: PrunePlan::default(),
        health: Vec::new(),
        skipped,
        counts: SyncCounts::default(),
        result: SyncResult::Succeeded,
        message: String::new(),
        cluster_failure: None,
    };
    let live: HashMap<ObjectRef, Object> = report
        .changes
        .entries
        .iter()
        .filter_map(|e| e.live.clone().map(|l| (e.object.clone(), l)))
        .collect();

    if options.dry_run {
        report.prune = prune::plan_prune(
            &inventory,
            &desired,
            |r| live.get(r).cloned(),
            false,
            &options.prune,
        );
        report.counts = dry_run_counts(&report.changes, &report.prune);
        return Ok(report);
    }

    // The inventory lives in a namespace this sync creates: create that one first.
    let home = desired
        .iter()
        .find(|o| o.group().is_empty() && o.kind() == "Namespace" && o.name() == options.namespace);
    if let Some(home) = home
        && !existed
        && report
            .changes
            .entries
            .iter()
            .any(|e| &e.object == home.reference() && matches!(e.change, Change::Create))
    {
        let results = cluster
            .apply(std::slice::from_ref(home), &options.apply)
            .await
            .map_err(SyncError::Cluster)?;
        report.results.extend(results);
    }

    // Write ahead: own every desired object before creating any.
    let before = inventory.clone();
    inventory
        .members
        .extend(desired.iter().map(|o| o.reference().clone()));
    if !existed || inventory.members != before.members {
        cluster
            .save_inventory(&inventory)
            .await
            .map_err(SyncError::Cluster)?;
    }

    let deadline = options.wait.map(|d| Instant::now() + d);
    let mut failed = apply_stages(cluster, &plan, &mut report, options, deadline, observer).await;

    report.prune = prune::plan_prune(
        &before,
        &desired,
        |r| live.get(r).cloned(),
        failed,
        &options.prune,
    );
    if !failed && !report.prune.delete.is_empty() {
        observer.event(SyncEvent::Pruning {
            objects: report.prune.delete.len(),
        });
        failed = prune(cluster, &mut report).await;
    }

    if let Some(deadline) = deadline
        && !failed
    {
        observer.event(SyncEvent::Waiting {
            objects: desired.len(),
        });
        match cluster.wait(&desired, remaining(deadline)).await {
            Ok(health) => {
                report.health = health;
                if report.unhealthy().next().is_some() {
                    failed = true;
                    report.message = unhealthy_message(&report.health);
                }
            }
            Err(e) => failed = cluster_failed(&mut report, &e),
        }
    }

    count_results(&mut report);
    // The new members: what is desired, plus stale members that stay (held, kept, failed).
    let deleted: BTreeSet<&ObjectRef> = report
        .results
        .iter()
        .filter(|r| r.outcome == Ok(Action::Deleted))
        .map(|r| &r.object)
        .collect();
    let mut members: BTreeSet<ObjectRef> = desired.iter().map(|o| o.reference().clone()).collect();
    members.extend(report.prune.remaining().cloned());
    if failed {
        // Keep owning everything we may have touched.
        members.extend(
            inventory
                .members
                .iter()
                .filter(|m| !deleted.contains(m))
                .cloned(),
        );
    } else {
        members.extend(
            report
                .prune
                .delete
                .iter()
                .filter(|m| !deleted.contains(m))
                .cloned(),
        );
    }
    inventory.members = members;

    let noop =
        !failed && !report.changed() && before.revision.as_deref() == Some(&request.revision);
    if noop && inventory.members == before.members && existed {
        return Ok(report);
    }
    if failed {
        report.result = SyncResult::Failed;
    } else {
        inventory.revision = Some(request.revision.clone());
        if options.source.is_some() {
            inventory.source.clone_from(&options.source);
        }
        if report.prune.held.is_none() {
            inventory.approved_prune = None;
        }
    }
    inventory.record(
        SyncRecord {
            revision: request.revision,
            time: request.now,
            commit: request.commit,
            counts: report.counts,
            result: report.result,
            message: report.message.clone(),
        },
        options.history,
    );
    if let Err(e) = cluster.save_inventory(&inventory).await {
        cluster_failed(&mut report, &e);
        report.result = SyncResult::Failed;
    }
    Ok(report)
}

fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

fn cluster_failed<E: std::fmt::Display + ErrorClass>(report: &mut SyncReport, e: &E) -> bool {
    report.message = e.to_string();
    report.cluster_failure = Some(ClusterFailure {
        message: e.to_string(),
        transient: e.is_transient(),
    });
    true
}

fn unhealthy_message(health: &[(ObjectRef, Health)]) -> String {
    let bad: Vec<String> = health
        .iter()
        .filter(|(_, h)| matches!(h.status, Status::Failed | Status::InProgress))
        .map(|(r, h)| format!("{r}: {h}"))
        .collect();
    format!("{} object(s) not healthy: {}", bad.len(), bad.join("; "))
}

/// Applies the stages in order; returns whether something failed.
async fn apply_stages<C>(
    cluster: &C,
    plan: &plan::Plan,
    report: &mut SyncReport,
    options: &SyncOptions,
    deadline: Option<Instant>,
    observer: &dyn Observer,
) -> bool
where
    C: Cluster,
    <C as Applier>::Error: ErrorClass,
{
    let change: HashMap<&ObjectRef, &Change> = report
        .changes
        .entries
        .iter()
        .map(|e| (&e.object, &e.change))
        .collect();
    let mut results = Vec::new();
    let mut failure = None;
    let last = plan.stages().len().saturating_sub(1);
    for (i, stage) in plan.stages().iter().enumerate() {
        let done: BTreeSet<&ObjectRef> = report.results.iter().map(|r| &r.object).collect();
        let todo: Vec<Object> = stage
            .objects
            .iter()
            .filter(|o| {
                !done.contains(o.reference())
                    && matches!(
                        change.get(o.reference()),
                        Some(Change::Create | Change::Update { .. }) | None
                    )
            })
            .cloned()
            .collect();
        if todo.is_empty() {
            continue;
        }
        observer.event(SyncEvent::Applying {
            stage: i + 1,
            stages: last + 1,
            objects: &todo,
        });
        match cluster.apply(&todo, &options.apply).await {
            Ok(stage_results) => {
                let bad: Vec<String> = stage_results
                    .iter()
                    .filter_map(|r| {
                        r.outcome
                            .as_ref()
                            .err()
                            .map(|e| format!("{}: {e}", r.object))
                    })
                    .collect();
                results.extend(stage_results);
                if !bad.is_empty() {
                    failure = Some((format!("apply failed: {}", bad.join("; ")), None));
                    break;
                }
            }
            Err(e) => {
                failure = Some((
                    e.to_string(),
                    Some(ClusterFailure {
                        message: e.to_string(),
                        transient: e.is_transient(),
                    }),
                ));
                break;
            }
        }
        if let Some(deadline) = deadline
            && i < last
        {
            observer.event(SyncEvent::Waiting {
                objects: todo.len(),
            });
            match cluster.wait(&todo, remaining(deadline)).await {
                Ok(health) if health.iter().any(|(_, h)| h.status != Status::Current) => {
                    failure = Some((
                        format!(
                            "stage {} did not become healthy: {}",
                            i + 1,
                            unhealthy_message(&health)
                        ),
                        None,
                    ));
                    report.health = health;
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    failure = Some((
                        e.to_string(),
                        Some(ClusterFailure {
                            message: e.to_string(),
                            transient: e.is_transient(),
                        }),
                    ));
                    break;
                }
            }
        }
    }
    report.results.extend(results);
    match failure {
        Some((message, cluster_failure)) => {
            report.message = message;
            report.cluster_failure = cluster_failure;
            true
        }
        None => false,
    }
}

/// Deletes what the prune plan says, one kind tier at a time; returns whether something failed.
async fn prune<C>(cluster: &C, report: &mut SyncReport) -> bool
where
    C: Cluster,
    <C as Applier>::Error: ErrorClass,
{
    let delete = report.prune.delete.clone();
    for group in
        delete.chunk_by(|a, b| kinds::tier(&a.group, &a.kind) == kinds::tier(&b.group, &b.kind))
    {
        match cluster.delete(group, &DeleteOptions::default()).await {
            Ok(results) => {
                let bad: Vec<String> = results
                    .iter()
                    .filter_map(|r| {
                        r.outcome
                            .as_ref()
                            .err()
                            .map(|e| format!("{}: {e}", r.object))
                    })
                    .collect();
                report.results.extend(results);
                if !bad.is_empty() {
                    report.message = format!("prune failed: {}", bad.join("; "));
                    return true;
                }
            }
            Err(e) => return cluster_failed(report, &e),
        }
    }
    false
}

fn count_results(report: &mut SyncReport) {
    let mut counts = SyncCounts::default();
    let applied: BTreeSet<&ObjectRef> = report.results.iter().map(|r| &r.object).collect();
    for result in &report.results {
        match &result.outcome {
            Ok(Action::Created) => counts.created += 1,
            Ok(Action::Configured) => counts.configured += 1,
            Ok(Action::Unchanged) => counts.unchanged += 1,
            Ok(Action::Deleted) => counts.deleted += 1,
            Ok(Action::Skipped) => {}
            Err(_) => counts.failed += 1,
        }
    }
    counts.unchanged += report
        .changes
        .entries
        .iter()
        .filter(|e| matches!(e.change, Change::Unchanged) && !applied.contains(&e.object))
        .count();
    report.counts = counts;
}

fn dry_run_counts(changes: &ChangeSet, prune: &PrunePlan) -> SyncCounts {
    let c = changes.counts();
    SyncCounts {
        created: c.create,
        configured: c.update,
        unchanged: c.unchanged,
        deleted: prune.delete.len(),
        failed: 0,
    }
}

/// How the live cluster differs from Git for the objects a sync owns.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DriftReport {
    /// Owned objects whose live state differs from the desired state.
    pub changed: Vec<crate::diff::ChangeSetEntry>,
    /// Owned objects that were deleted from the cluster.
    pub deleted: Vec<ObjectRef>,
}

impl DriftReport {
    /// True when nothing drifted.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.deleted.is_empty()
    }
}

/// Which objects of the inventory changed or disappeared since they were applied.
///
/// New objects in Git and stale members are not drift: they are the next sync's work.
pub async fn detect_drift<C>(
    cluster: &C,
    objects: Vec<Object>,
    options: &SyncOptions,
) -> Result<DriftReport, C>
where
    C: Cluster,
    <C as Applier>::Error: ErrorClass,
{
    let objects = cluster.prepare(objects).await.map_err(SyncError::Cluster)?;
    let id = inventory::applyset_id(&options.name, &options.namespace);
    let desired: Vec<Object> = objects
        .iter()
        .filter(|o| !o.has_generated_name())
        .map(|o| label_member(o, &id))
        .collect();
    let Some(inventory) = cluster
        .load_inventory(&options.name, &options.namespace)
        .await
        .map_err(SyncError::Cluster)?
    else {
        return Ok(DriftReport::default());
    };
    let changes = Differ::diff(cluster, &desired, &inventory)
        .await
        .map_err(SyncError::Cluster)?;
    let mut report = DriftReport::default();
    for entry in changes.entries {
        if !inventory.members.contains(&entry.object) {
            continue;
        }
        match entry.change {
            Change::Update { .. } => report.changed.push(entry),
            Change::Create => report.deleted.push(entry.object),
            Change::Unchanged | Change::Delete => {}
        }
    }
    Ok(report)
}
