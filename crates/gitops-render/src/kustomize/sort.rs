//! Output order: kustomize's legacy kind order (the default) or the order of accumulation
//! (`sortOptions: {order: fifo}`).

use std::cmp::Ordering;

use super::KustomizeError;
use super::loader::Site;
use super::resource::Resource;
use super::types::SortOptions;

/// kustomize's legacy kind order: these kinds first, in this order …
pub(crate) const DEFAULT_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];
/// … and these last.
pub(crate) const DEFAULT_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Sorts the resources as `kustomize build` does.
pub(crate) fn apply(
    resources: &mut Vec<Resource>,
    options: Option<&SortOptions>,
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    let (first, last): (Vec<String>, Vec<String>) = match options {
        None => (owned(DEFAULT_FIRST), owned(DEFAULT_LAST)),
        Some(o) => match o.order.as_str() {
            "fifo" => {
                if o.legacy_sort_options.is_some() {
                    return Err(site.invalid(
                        "sortOptions.legacySortOptions is set but the order is fifo, not legacy",
                    ));
                }
                return Ok(());
            }
            "legacy" => match &o.legacy_sort_options {
                Some(l) => (l.order_first.clone(), l.order_last.clone()),
                None => (owned(DEFAULT_FIRST), owned(DEFAULT_LAST)),
            },
            other => {
                return Err(site.invalid(format!(
                    "sortOptions.order must be one of fifo, legacy, not {other:?}"
                )));
            }
        },
    };
    let rank = |kind: &str| -> i64 {
        if let Some(i) = first.iter().position(|k| k == kind) {
            return to_i64(i) - to_i64(first.len());
        }
        if let Some(i) = last.iter().position(|k| k == kind) {
            return 1 + to_i64(i);
        }
        0
    };
    let mut keyed: Vec<(Key, Resource)> = std::mem::take(resources)
        .into_iter()
        .map(|r| (Key::of(&r, &rank), r))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    resources.extend(keyed.into_iter().map(|(_, r)| r));
    Ok(())
}

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// kustomize's legacy sort key.
struct Key {
    rank: i64,
    kind: String,
    group_empty: bool,
    gvk: String,
    id: String,
}

impl Key {
    fn of(res: &Resource, rank: &dyn Fn(&str) -> i64) -> Self {
        let (group, version) = res.group_version();
        let kind = res.kind();
        let or = |s: &str, d: &str| {
            if s.is_empty() {
                d.to_owned()
            } else {
                s.to_owned()
            }
        };
        let gvk = format!(
            "{}_{}_{}",
            or(group, "~G"),
            or(version, "~V"),
            or(kind, "~K")
        );
        let gvk_id = format!(
            "{}.{}.{}",
            or(kind, "[noKind]"),
            or(version, "[noVer]"),
            or(group, "[noGrp]")
        );
        let id = format!(
            "{}|{}|{}",
            gvk_id,
            or(res.namespace(), "~X"),
            or(res.name(), "~N")
        );
        Key {
            rank: rank(kind),
            kind: kind.to_owned(),
            group_empty: group.is_empty(),
            gvk,
            id,
        }
    }

    fn cmp(&self, other: &Key) -> Ordering {
        if self.gvk != other.gvk {
            if self.rank != other.rank {
                return self.rank.cmp(&other.rank);
            }
            if self.kind == "Namespace"
                && other.kind == "Namespace"
                && (self.group_empty || other.group_empty)
            {
                return other.gvk.cmp(&self.gvk);
            }
            return self.gvk.cmp(&other.gvk);
        }
        self.id.cmp(&other.id)
    }
}
