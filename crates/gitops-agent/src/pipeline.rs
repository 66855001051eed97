//! One pass from a source to the cluster: fetch, render, then sync or look for drift.

use std::time::{SystemTime, UNIX_EPOCH};

use gitops_core::apply::Applier;
use gitops_core::cluster::{Cluster, ErrorClass};
use gitops_core::health::Status;
use gitops_core::inventory::SyncResult;
use gitops_core::sync::{
    self, DriftReport, Observer, SyncError, SyncOptions, SyncReport, SyncRequest,
};
use gitops_core::{Artifact, Rendered, Renderer, Source};
use gitops_render::helm::RenderSettings;
use gitops_render::{DirRenderer, RenderError, RenderOptions};
use gitops_source::{AnyError, AnySource};

use crate::notify::{Event, EventKind, Failing};

/// Why a pass failed.
#[derive(Debug, thiserror::Error)]
pub enum CycleError<E> {
    /// The source could not be fetched.
    #[error("fetching {source_name}: {error}")]
    Fetch {
        /// The source, as people know it.
        source_name: String,
        /// What went wrong.
        error: AnyError,
    },
    /// The desired state does not render (bad input).
    #[error(transparent)]
    Render(RenderError),
    /// The sync could not run.
    #[error(transparent)]
    Sync(SyncError<E>),
}

impl<E: ErrorClass> CycleError<E> {
    /// Whether the input is at fault.
    pub fn is_bad_input(&self) -> bool {
        match self {
            CycleError::Fetch { error, .. } => error.is_bad_input(),
            CycleError::Render(_) => true,
            CycleError::Sync(e) => e.is_bad_input(),
        }
    }

    /// Whether trying again later may help.
    pub fn is_transient(&self) -> bool {
        match self {
            CycleError::Fetch { error, .. } => error.is_transient(),
            CycleError::Render(_) => false,
            CycleError::Sync(e) => e.is_transient(),
        }
    }
}

/// A source, a renderer and a cluster, with the sync's options.
pub struct Pipeline<C> {
    /// Where desired state comes from.
    pub source: AnySource,
    /// How it renders.
    pub render: RenderOptions,
    /// How Helm charts render (release name, values, flags); `None`: Helm's defaults with the
    /// chart's name as the release name.
    pub helm: Option<RenderSettings>,
    /// Where it goes.
    pub cluster: C,
    /// How it is synced.
    pub options: SyncOptions,
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl<C> Pipeline<C>
where
    C: Cluster,
    <C as Applier>::Error: ErrorClass,
{
    /// A pipeline; the options record the source in the inventory.
    pub fn new(
        source: AnySource,
        render: RenderOptions,
        cluster: C,
        mut options: SyncOptions,
    ) -> Self {
        options.source = Some(source.spec().to_json());
        Self {
            source,
            render,
            helm: None,
            cluster,
            options,
        }
    }

    /// Sets how Helm charts render.
    #[must_use]
    pub fn with_helm(mut self, settings: RenderSettings) -> Self {
        self.helm = Some(settings);
        self
    }

    /// Fetches the source.
    pub async fn fetch(&self) -> Result<Artifact, CycleError<<C as Applier>::Error>> {
        self.source
            .fetch()
            .await
            .map_err(|error| CycleError::Fetch {
                source_name: self.source.spec().describe(),
                error,
            })
    }

    /// Renders an artifact.
    pub async fn render(
        &self,
        artifact: &Artifact,
    ) -> Result<Rendered, CycleError<<C as Applier>::Error>> {
        let mut renderer =
            DirRenderer::new(self.render.clone()).with_remote_loader(std::sync::Arc::new(
                crate::GitRemoteLoader::new(None, std::time::Duration::from_secs(60)),
            ));
        if let Some(settings) = &self.helm {
            renderer = renderer.with_helm(settings.clone());
        }
        renderer.render(artifact).await.map_err(CycleError::Render)
    }

    /// Syncs rendered objects.
    pub async fn sync(
        &self,
        artifact: &Artifact,
        rendered: Rendered,
        observer: &dyn Observer,
    ) -> Result<SyncReport, CycleError<<C as Applier>::Error>> {
        let request = SyncRequest {
            objects: rendered.objects,
            revision: artifact.revision.clone(),
            commit: artifact.commit.clone(),
            now: now(),
        };
        sync::reconcile_observed(&self.cluster, request, &self.options, observer)
            .await
            .map_err(CycleError::Sync)
    }

    /// How the cluster differs from the rendered objects, for the objects the sync owns.
    pub async fn drift(
        &self,
        rendered: Rendered,
    ) -> Result<DriftReport, CycleError<<C as Applier>::Error>> {
        sync::detect_drift(&self.cluster, rendered.objects, &self.options)
            .await
            .map_err(CycleError::Sync)
    }
}

/// The notifications a sync report calls for.
pub fn events(report: &SyncReport, artifact: &Artifact) -> Vec<Event> {
    let event = |kind: EventKind, failing: Vec<Failing>, message: String| Event {
        name: report.name.clone(),
        kind,
        revision: report.revision.clone(),
        commit: artifact.commit.clone(),
        counts: report.counts,
        failing,
        message,
        time: now(),
    };
    let counts = report.counts;
    let summary = format!(
        "{} created, {} configured, {} pruned",
        counts.created, counts.configured, counts.deleted
    );
    let mut out = Vec::new();
    if report.result == SyncResult::Failed {
        let mut failing: Vec<Failing> = report
            .results
            .iter()
            .filter_map(|r| {
                r.outcome.as_ref().err().map(|e| Failing {
                    object: r.object.to_string(),
                    message: e.message.clone(),
                })
            })
            .collect();
        failing.extend(report.unhealthy().map(|(r, h)| Failing {
            object: r.to_string(),
            message: h.to_string(),
        }));
        let unhealthy = report
            .health
            .iter()
            .any(|(_, h)| matches!(h.status, Status::Failed | Status::InProgress));
        let kind = if unhealthy {
            EventKind::HealthDegraded
        } else {
            EventKind::SyncFailed
        };
        out.push(event(kind, failing, report.message.clone()));
        return out;
    }
    if report.changed() {
        if report.same_revision() {
            let drifted: Vec<Failing> = report
                .changes
                .entries
                .iter()
                .filter(|e| !matches!(e.change, gitops_core::diff::Change::Unchanged))
                .map(|e| Failing {
                    object: e.object.to_string(),
                    message: "differed from Git".to_owned(),
                })
                .collect();
            out.push(event(
                EventKind::DriftDetected,
                drifted.clone(),
                format!("{} object(s) drifted", drifted.len()),
            ));
            out.push(event(EventKind::DriftHealed, drifted, summary));
        } else {
            out.push(event(EventKind::SyncSucceeded, Vec::new(), summary));
        }
    }
    out
}

/// A failure notification for a pass that did not reach the cluster.
pub fn failure_event<E: std::fmt::Display>(name: &str, revision: &str, error: &E) -> Event {
    Event {
        name: name.to_owned(),
        kind: EventKind::SyncFailed,
        revision: revision.to_owned(),
        commit: None,
        counts: Default::default(),
        failing: Vec::new(),
        message: error.to_string(),
        time: now(),
    }
}
