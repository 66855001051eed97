//! The agent loop (Flux-style continuous reconcile): poll the source, sync on a new revision
//! and every interval, heal or report drift, keep going after failures with backoff, stop
//! cleanly between passes.

use std::time::Duration;

use gitops_core::Artifact;
use gitops_core::apply::Applier;
use gitops_core::cluster::{Cluster, ErrorClass};
use gitops_core::sync::{DriftReport, SyncReport};
use tokio::sync::watch;

use crate::notify::{Event, EventKind, Failing, Notifier};
use crate::pipeline::{Pipeline, events, failure_event, now};

/// How the loop behaves.
#[derive(Debug, Clone)]
pub struct LoopOptions {
    /// Time between passes (default 1 minute).
    pub interval: Duration,
    /// Revert drift on unchanged revisions (default true); off, drift is only reported.
    pub self_heal: bool,
    /// Argo CD's manual policy: report drift and new revisions, change nothing.
    pub manual: bool,
    /// Run one pass and return.
    pub once: bool,
    /// The first pause after a failure (default 5 s), doubling up to the interval.
    pub retry: Duration,
}

impl Default for LoopOptions {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(60),
            self_heal: true,
            manual: false,
            once: false,
            retry: Duration::from_secs(5),
        }
    }
}

/// What one pass did.
#[derive(Debug)]
pub enum Outcome {
    /// The cluster was synced (possibly with no change).
    Synced(Box<SyncReport>),
    /// Nothing was changed on purpose (manual mode or self-heal off); this is what differs.
    Reported {
        /// The revision fetched.
        revision: String,
        /// Whether it differs from the one last applied.
        new_revision: bool,
        /// Drift of the owned objects.
        drift: DriftReport,
    },
    /// The inventory says syncing is suspended.
    Suspended,
    /// The pass failed.
    Failed {
        /// Why.
        message: String,
        /// Whether the input is at fault.
        bad_input: bool,
        /// Whether the cluster (not the input) failed.
        cluster: bool,
    },
}

impl Outcome {
    /// True for a failed pass or a failed sync.
    pub fn failed(&self) -> bool {
        match self {
            Outcome::Failed { .. } => true,
            Outcome::Synced(report) => report.result == gitops_core::inventory::SyncResult::Failed,
            _ => false,
        }
    }
}

/// Sends each event once until the state changes (a failure that persists over many passes
/// is announced once).
struct Dedup {
    last: Vec<(EventKind, String, String)>,
}

impl Dedup {
    fn send(&mut self, notifier: &Notifier, events: Vec<Event>) {
        let keys: Vec<(EventKind, String, String)> = events
            .iter()
            .map(|e| (e.kind, e.revision.clone(), e.message.clone()))
            .collect();
        if keys.is_empty() || keys == self.last {
            if keys.is_empty() {
                self.last.clear();
            }
            return;
        }
        self.last = keys;
        for event in events {
            notifier.notify(event);
        }
    }
}

/// Runs passes until `shutdown` turns true (checked between passes, so a pass in progress
/// always finishes and is reported), or after one pass with [`LoopOptions::once`]. Calls
/// `observe` after every pass; returns the last outcome.
pub async fn run<C>(
    pipeline: &Pipeline<C>,
    options: &LoopOptions,
    notifier: &Notifier,
    mut shutdown: watch::Receiver<bool>,
    mut observe: impl FnMut(&Outcome),
) -> Outcome
where
    C: Cluster,
    <C as Applier>::Error: ErrorClass,
{
    let mut last_good: Option<Artifact> = None;
    let mut dedup = Dedup { last: Vec::new() };
    let mut failures: u32 = 0;
    loop {
        let outcome = pass(pipeline, options, notifier, &mut last_good, &mut dedup).await;
        observe(&outcome);
        if options.once || *shutdown.borrow() {
            return outcome;
        }
        let delay = if outcome.failed() {
            failures = failures.saturating_add(1);
            options
                .retry
                .saturating_mul(2u32.saturating_pow(failures - 1))
                .min(options.interval)
        } else {
            failures = 0;
            options.interval
        };
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = shutdown.changed() => return outcome,
        }
    }
}

async fn pass<C>(
    pipeline: &Pipeline<C>,
    options: &LoopOptions,
    notifier: &Notifier,
    last_good: &mut Option<Artifact>,
    dedup: &mut Dedup,
) -> Outcome
where
    C: Cluster,
    <C as Applier>::Error: ErrorClass,
{
    let name = &pipeline.options.name;
    let artifact = match pipeline.fetch().await {
        Ok(artifact) => {
            *last_good = Some(artifact.clone());
            artifact
        }
        Err(e) => match last_good {
            // The remote is away: keep reconciling the last good revision (drift still heals).
            Some(artifact) => {
                tracing::warn!(error = %e, revision = %artifact.revision, "fetch failed; using the last good revision");
                artifact.clone()
            }
            None => {
                dedup.send(notifier, vec![failure_event(name, "", &e)]);
                return Outcome::Failed {
                    message: e.to_string(),
                    bad_input: e.is_bad_input(),
                    cluster: false,
                };
            }
        },
    };
    let inventory = match pipeline
        .cluster
        .load_inventory(&pipeline.options.name, &pipeline.options.namespace)
        .await
    {
        Ok(inventory) => inventory,
        Err(e) => {
            return Outcome::Failed {
                message: e.to_string(),
                bad_input: false,
                cluster: true,
            };
        }
    };
    if inventory.as_ref().is_some_and(|i| i.suspended) {
        return Outcome::Suspended;
    }
    let rendered = match pipeline.render(&artifact).await {
        Ok(rendered) => rendered,
        Err(e) => {
            dedup.send(notifier, vec![failure_event(name, &artifact.revision, &e)]);
            return Outcome::Failed {
                message: e.to_string(),
                bad_input: true,
                cluster: false,
            };
        }
    };
    let applied = inventory.as_ref().and_then(|i| i.revision.clone());
    let new_revision = applied.as_deref() != Some(artifact.revision.as_str());
    if options.manual || (!options.self_heal && !new_revision) {
        return match pipeline.drift(rendered).await {
            Ok(drift) => {
                let mut events = Vec::new();
                if !drift.is_empty() {
                    let failing: Vec<Failing> = drift
                        .changed
                        .iter()
                        .map(|e| Failing {
                            object: e.object.to_string(),
                            message: "differs from Git".to_owned(),
                        })
                        .chain(drift.deleted.iter().map(|r| Failing {
                            object: r.to_string(),
                            message: "deleted from the cluster".to_owned(),
                        }))
                        .collect();
                    events.push(Event {
                        name: name.clone(),
                        kind: EventKind::DriftDetected,
                        revision: artifact.revision.clone(),
                        commit: artifact.commit.clone(),
                        counts: Default::default(),
                        message: format!("{} object(s) drifted", failing.len()),
                        failing,
                        time: now(),
                    });
                }
                dedup.send(notifier, events);
                Outcome::Reported {
                    revision: artifact.revision.clone(),
                    new_revision,
                    drift,
                }
            }
            Err(e) => Outcome::Failed {
                message: e.to_string(),
                bad_input: e.is_bad_input(),
                cluster: !e.is_bad_input(),
            },
        };
    }
    match pipeline.sync(&artifact, rendered, &()).await {
        Ok(report) => {
            dedup.send(notifier, events(&report, &artifact));
            Outcome::Synced(Box::new(report))
        }
        Err(e) => {
            dedup.send(notifier, vec![failure_event(name, &artifact.revision, &e)]);
            Outcome::Failed {
                message: e.to_string(),
                bad_input: e.is_bad_input(),
                cluster: !e.is_bad_input(),
            }
        }
    }
}
