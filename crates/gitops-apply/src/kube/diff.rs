//! Diff: desired objects against the cluster, one labelled LIST per kind.
//!
//! An object is unchanged when its live state holds every desired field and our field manager
//! owns no field the desired object dropped; otherwise a server-side dry-run apply tells exactly
//! what the server would store (defaults, other managers' fields), and the change is the
//! difference between that and the live object. Secret values never reach a [`FieldChange`].

use std::collections::{BTreeMap, BTreeSet};

use gitops_core::consts;
use gitops_core::diff::{
    Change, ChangeSet, ChangeSetEntry, FieldChange, apply_ignores, field_changes, is_subset,
    normalize, redact_secrets,
};
use gitops_core::inventory::Inventory;
use gitops_core::{Object, ObjectRef};
use kube::api::{Patch, PatchParams};
use serde_json::Value;

use super::live::{LiveMap, get_one, list_kind};
use super::managed::owned_fields_declared;
use super::scope::defined_kinds;
use super::{KubeCluster, Resolved};
use crate::error::Error;
use crate::retry::retry;

/// The kinds to list: those of the desired objects (by version) and of the stale members.
async fn resolve_kinds(
    cluster: &KubeCluster,
    desired: &[Object],
    stale: &[&ObjectRef],
) -> Result<BTreeMap<(String, String), Option<Resolved>>, Error> {
    let defined = defined_kinds(desired);
    let mut kinds: BTreeMap<(String, String), Option<Resolved>> = BTreeMap::new();
    for object in desired {
        let key = (object.group().to_owned(), object.kind().to_owned());
        if kinds.contains_key(&key) {
            continue;
        }
        let resolved = cluster
            .resolver
            .resolve(object.api_version(), object.kind())
            .await?;
        if resolved.is_none() && !defined.contains_key(&key) {
            return Err(Error::UnknownKind {
                object: object.reference().clone(),
                api_version: object.api_version().to_owned(),
                kind: object.kind().to_owned(),
            });
        }
        // `None`: its CRD is in the set but not applied yet, so no object of it exists.
        kinds.insert(key, resolved);
    }
    for member in stale {
        let key = (member.group.clone(), member.kind.clone());
        if let std::collections::btree_map::Entry::Vacant(slot) = kinds.entry(key) {
            slot.insert(
                cluster
                    .resolver
                    .resolve_group_kind(&member.group, &member.kind)
                    .await?,
            );
        }
    }
    Ok(kinds)
}

pub(super) async fn diff(
    cluster: &KubeCluster,
    desired: &[Object],
    inventory: &Inventory,
) -> Result<ChangeSet, Error> {
    let wanted: BTreeSet<&ObjectRef> = desired.iter().map(Object::reference).collect();
    let stale: Vec<&ObjectRef> = inventory.stale(&wanted);
    let kinds = resolve_kinds(cluster, desired, &stale).await?;
    let namespaces: BTreeSet<String> = desired
        .iter()
        .filter_map(|o| o.namespace())
        .chain(stale.iter().filter_map(|r| r.namespace()))
        .map(str::to_owned)
        .collect();
    let selector = format!("{}={}", consts::APPLYSET_PART_OF, inventory.id);

    let work = kinds
        .values()
        .flatten()
        .map(|resolved| list_kind(cluster, resolved, &selector, &namespaces))
        .collect();
    let listed: Vec<Vec<Object>> = super::bounded(work, cluster.options.concurrency).await?;
    let live: LiveMap = listed
        .into_iter()
        .flatten()
        .map(|o| (o.reference().clone(), o))
        .collect();

    let key = |r: &ObjectRef| (r.group.clone(), r.kind.clone());
    let (live, listed) = list_misses(cluster, desired, &kinds, live).await?;
    let work = desired
        .iter()
        .map(|object| {
            let resolved = kinds.get(&key(object.reference())).cloned().flatten();
            compare_one(cluster, object, resolved, &live, &listed)
        })
        .collect();
    let mut entries: Vec<ChangeSetEntry> =
        super::bounded(work, cluster.options.concurrency).await?;
    for member in stale {
        let resolved = kinds.get(&key(member)).cloned().flatten();
        let found = match (live.get(member), &resolved) {
            (Some(object), _) => Some(object.clone()),
            // Not labelled (any more): read it, so that prune sees whose it is.
            (None, Some(resolved)) => get_one(cluster, resolved, member).await?,
            (None, None) => None,
        };
        cluster.remember(member.clone(), found.as_ref().and_then(resource_version));
        entries.push(ChangeSetEntry {
            object: member.clone(),
            change: Change::Delete,
            live: found,
            desired: None,
        });
    }
    Ok(ChangeSet { entries })
}

fn resource_version(object: &Object) -> Option<String> {
    object.manifest()["metadata"]["resourceVersion"]
        .as_str()
        .map(str::to_owned)
}

/// Desired objects missing from the labelled lists are absent, or someone else's. Where many
/// of one kind share a namespace (a first sync), one unlabelled LIST of that namespace answers
/// for all of them instead of a GET each. Returns the live objects found and the scopes
/// `(group, kind, namespace)` listed completely.
async fn list_misses(
    cluster: &KubeCluster,
    desired: &[Object],
    kinds: &BTreeMap<(String, String), Option<Resolved>>,
    mut live: LiveMap,
) -> Result<(LiveMap, BTreeSet<Scope>), Error> {
    let worth_a_list = cluster.options.list_missing_at.max(1);
    let mut misses: BTreeMap<Scope, usize> = BTreeMap::new();
    for object in desired.iter().filter(|o| !live.contains_key(o.reference())) {
        let r = object.reference();
        *misses
            .entry((r.group.clone(), r.kind.clone(), r.namespace.clone()))
            .or_default() += 1;
    }
    let scopes: Vec<(Scope, Resolved)> = misses
        .into_iter()
        .filter(|(_, n)| *n >= worth_a_list)
        .filter_map(|(scope, _)| {
            let resolved = kinds
                .get(&(scope.0.clone(), scope.1.clone()))
                .cloned()
                .flatten()?;
            Some((scope, resolved))
        })
        .collect();
    let work = scopes
        .iter()
        .map(|(scope, resolved)| {
            let namespace = (!scope.2.is_empty()).then_some(scope.2.as_str());
            super::live::list_all_in(cluster, resolved, namespace)
        })
        .collect();
    let found: Vec<Vec<Object>> = super::bounded(work, cluster.options.concurrency).await?;
    for object in found.into_iter().flatten() {
        live.entry(object.reference().clone()).or_insert(object);
    }
    Ok((live, scopes.into_iter().map(|(scope, _)| scope).collect()))
}

/// `(group, kind, namespace)`.
type Scope = (String, String, String);

async fn compare_one(
    cluster: &KubeCluster,
    object: &Object,
    resolved: Option<Resolved>,
    live: &LiveMap,
    listed: &BTreeSet<Scope>,
) -> Result<ChangeSetEntry, Error> {
    let reference = object.reference().clone();
    let scope = (
        reference.group.clone(),
        reference.kind.clone(),
        reference.namespace.clone(),
    );
    let found = match (live.get(&reference), &resolved) {
        (Some(found), _) => Some(found.clone()),
        (None, _) if listed.contains(&scope) => None,
        // Not carrying our label: absent, or someone else's object we are about to adopt.
        (None, Some(resolved)) => get_one(cluster, resolved, &reference).await?,
        (None, None) => None,
    };
    cluster.remember(reference.clone(), found.as_ref().and_then(resource_version));
    let change = match (&found, &resolved) {
        (None, _) | (_, None) => Change::Create,
        (Some(current), Some(resolved)) => change_of(cluster, object, current, resolved).await?,
    };
    Ok(ChangeSetEntry {
        object: reference,
        change,
        live: found,
        desired: Some(object.clone()),
    })
}

fn comparable(value: &Value, object: &ObjectRef, cluster: &KubeCluster) -> Value {
    let mut value = normalize(value);
    apply_ignores(&mut value, object, &cluster.options.ignore);
    value
}

/// Field changes, with Secret values masked on both sides.
fn changes(live: &Value, after: &Value) -> Vec<FieldChange> {
    match redact_secrets(Some(live), Some(after)) {
        (Some(l), Some(a)) => field_changes(&l, &a),
        _ => Vec::new(),
    }
}

async fn change_of(
    cluster: &KubeCluster,
    object: &Object,
    live: &Object,
    resolved: &Resolved,
) -> Result<Change, Error> {
    let reference = object.reference();
    let desired_n = comparable(object.manifest(), reference, cluster);
    let live_n = comparable(live.manifest(), reference, cluster);
    let manager = &cluster.options.field_manager;
    if !cluster.options.always_dry_run
        && is_subset(&desired_n, &live_n)
        && owned_fields_declared(live.manifest(), manager, object.manifest())
    {
        return Ok(Change::Unchanged);
    }
    let api = cluster.api(resolved, reference.namespace());
    let params = PatchParams::apply(manager).force().dry_run();
    let patch = Patch::Apply(object.manifest());
    let dry = retry(&cluster.options.retry, || {
        api.patch(&reference.name, &params, &patch)
    })
    .await;
    let after = match dry {
        Ok(result) => serde_json::to_value(result)
            .map(|v| comparable(&v, reference, cluster))
            .ok(),
        Err(e) if crate::retry::is_transient(&e) => {
            return Err(Error::kube(format!("dry-run apply {reference}"), &e));
        }
        // The server refuses the object (invalid, immutable field): the apply will say so.
        Err(_) => None,
    };
    let after = match after {
        Some(mut after) => {
            // The dry-run echoes no apiVersion/kind differences; compare what the server keeps.
            after["apiVersion"] = live_n["apiVersion"].clone();
            after["kind"] = live_n["kind"].clone();
            after
        }
        None => merged(&live_n, &desired_n),
    };
    let fields = changes(&live_n, &after);
    Ok(if fields.is_empty() {
        Change::Unchanged
    } else {
        Change::Update { fields }
    })
}

/// Desired fields laid over live ones, for a change the server would not dry-run.
fn merged(live: &Value, desired: &Value) -> Value {
    match (live, desired) {
        (Value::Object(l), Value::Object(d)) => {
            let mut out = l.clone();
            for (k, v) in d {
                let next = l.get(k).map_or_else(|| v.clone(), |lv| merged(lv, v));
                out.insert(k.clone(), next);
            }
            Value::Object(out)
        }
        _ => desired.clone(),
    }
}
