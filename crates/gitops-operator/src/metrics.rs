//! Prometheus metrics: reconcile durations and results, drifted and managed objects, source
//! fetch durations.

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of per-kind metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// `Application` or `GitRepository`.
    pub kind: String,
}

/// Labels of reconcile results.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// The kind.
    pub kind: String,
    /// `success`, `failure`, `skipped`.
    pub result: String,
}

/// Labels of per-object gauges.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ObjectLabels {
    /// The namespace.
    pub namespace: String,
    /// The name.
    pub name: String,
}

fn histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

/// The operator's metrics.
pub struct Metrics {
    registry: Mutex<Registry>,
    durations: Family<KindLabels, Histogram>,
    results: Family<ResultLabels, Counter>,
    drifted: Family<ObjectLabels, Gauge>,
    managed: Family<ObjectLabels, Gauge>,
    fetches: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        let durations =
            Family::<KindLabels, Histogram>::new_with_constructor(histogram as fn() -> Histogram);
        let results = Family::<ResultLabels, Counter>::default();
        let drifted = Family::<ObjectLabels, Gauge>::default();
        let managed = Family::<ObjectLabels, Gauge>::default();
        let fetches = histogram();
        let mut registry = Registry::with_prefix("gitops");
        registry.register(
            "reconcile_duration_seconds",
            "Time spent in one reconcile",
            durations.clone(),
        );
        registry.register(
            "reconciles",
            "Reconciles by kind and result",
            results.clone(),
        );
        registry.register(
            "drifted_objects",
            "Objects of an Application that differ from Git",
            drifted.clone(),
        );
        registry.register(
            "managed_objects",
            "Objects an Application owns",
            managed.clone(),
        );
        registry.register(
            "source_fetch_duration_seconds",
            "Time spent fetching a GitRepository",
            fetches.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            durations,
            results,
            drifted,
            managed,
            fetches,
        }
    }
}

impl Metrics {
    /// Records one reconcile.
    pub fn reconciled(&self, kind: &str, result: &str, took: Duration) {
        self.durations
            .get_or_create(&KindLabels {
                kind: kind.to_owned(),
            })
            .observe(took.as_secs_f64());
        self.results
            .get_or_create(&ResultLabels {
                kind: kind.to_owned(),
                result: result.to_owned(),
            })
            .inc();
    }

    /// Records one fetch.
    pub fn fetched(&self, took: Duration) {
        self.fetches.observe(took.as_secs_f64());
    }

    /// Sets an Application's object counts.
    pub fn objects(&self, namespace: &str, name: &str, managed: usize, drifted: usize) {
        let labels = ObjectLabels {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        };
        self.managed
            .get_or_create(&labels)
            .set(i64::try_from(managed).unwrap_or(i64::MAX));
        self.drifted
            .get_or_create(&labels)
            .set(i64::try_from(drifted).unwrap_or(i64::MAX));
    }

    /// Forgets a deleted Application.
    pub fn forget(&self, namespace: &str, name: &str) {
        let labels = ObjectLabels {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        };
        self.managed.remove(&labels);
        self.drifted.remove(&labels);
    }

    /// The Prometheus text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = self
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
            out.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_format() {
        let metrics = Metrics::default();
        metrics.reconciled("Application", "success", Duration::from_millis(20));
        metrics.objects("shop", "web", 20, 1);
        let text = metrics.encode();
        assert!(
            text.contains("gitops_reconciles_total{kind=\"Application\",result=\"success\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("gitops_managed_objects{namespace=\"shop\",name=\"web\"} 20"),
            "{text}"
        );
        assert!(
            text.contains("gitops_reconcile_duration_seconds_bucket"),
            "{text}"
        );
    }
}
