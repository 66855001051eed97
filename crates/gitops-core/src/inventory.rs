//! The inventory: what a sync applied, recorded in the cluster as a KEP-3659 ApplySet.
//!
//! The parent is a ConfigMap named after the sync. It carries the ApplySet label and annotations
//! that `kubectl` understands (`applyset.kubernetes.io/id`, `…/tooling`,
//! `…/contains-group-kinds`, `…/additional-namespaces`), and in its data the exact member list,
//! the source revision and a bounded history of past syncs for audit and rollback. Every member
//! carries the label `applyset.kubernetes.io/part-of: <id>`.
//!
//! ```
//! use gitops_core::inventory::Inventory;
//! use gitops_core::ObjectRef;
//!
//! let mut inventory = Inventory::new("shop", "gitops-system");
//! assert!(inventory.id.starts_with("applyset-") && inventory.id.ends_with("-v1"));
//! inventory.members.insert(ObjectRef::new("apps", "Deployment", "shop", "web"));
//! let parent = inventory.to_parent();
//! let back = Inventory::from_parent(&parent)?;
//! assert_eq!(back, inventory);
//! # Ok::<(), gitops_core::inventory::InventoryError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::consts::{
    APPLYSET_GROUP_KINDS, APPLYSET_ID, APPLYSET_NAMESPACES, APPLYSET_PART_OF, APPLYSET_TOOLING,
    APPROVE_PRUNE as APPROVED_PRUNE, REVISION, SOURCE, SUSPENDED,
};
use crate::object::ObjectRef;
use crate::source::CommitInfo;

/// Our tooling value for `applyset.kubernetes.io/tooling`.
pub const TOOLING: &str = concat!("gitops/v", env!("CARGO_PKG_VERSION"));

/// How many past syncs an inventory keeps by default.
pub const DEFAULT_HISTORY: usize = 10;

const DATA_MEMBERS: &str = "members";
const DATA_HISTORY: &str = "history";

/// Counts of what one sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCounts {
    /// Objects created.
    pub created: usize,
    /// Objects changed.
    pub configured: usize,
    /// Objects already as desired.
    pub unchanged: usize,
    /// Objects deleted (pruned).
    pub deleted: usize,
    /// Objects that failed.
    pub failed: usize,
}

/// The outcome of one past sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncResult {
    /// Everything was applied (and pruned, and healthy when waited for).
    Succeeded,
    /// Something failed; see the message.
    Failed,
}

/// One past sync, for audit logs, `gitops history` and rollback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncRecord {
    /// The source revision applied.
    pub revision: String,
    /// When the sync ended, seconds since the Unix epoch.
    pub time: i64,
    /// The commit, when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitInfo>,
    /// What it did.
    pub counts: SyncCounts,
    /// How it ended.
    pub result: SyncResult,
    /// Why it failed, or a remark.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// What one named sync owns in a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    /// The sync's name; also the parent ConfigMap's name.
    pub name: String,
    /// The parent's namespace.
    pub namespace: String,
    /// The ApplySet id, derived from name and namespace.
    pub id: String,
    /// The objects the last sync applied.
    pub members: BTreeSet<ObjectRef>,
    /// The revision the last successful sync applied.
    pub revision: Option<String>,
    /// Past syncs, oldest first, at most [`DEFAULT_HISTORY`] unless the caller keeps more.
    pub history: Vec<SyncRecord>,
    /// True while continuous syncing is paused (e.g. after a rollback).
    pub suspended: bool,
    /// The hash of a held prune plan that a person approved.
    pub approved_prune: Option<String>,
    /// Where the desired state comes from, as the syncing tool describes it (for status,
    /// drift and rollback commands that run later); never holds credentials.
    pub source: Option<String>,
}

/// A parent object that is not a valid inventory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("inventory {name}: {reason}")]
pub struct InventoryError {
    /// The parent's name.
    pub name: String,
    /// What is wrong.
    pub reason: String,
}

/// The KEP-3659 id of an ApplySet whose parent is the ConfigMap `name` in `namespace`.
pub fn applyset_id(name: &str, namespace: &str) -> String {
    applyset_id_for(name, namespace, "ConfigMap", "")
}

/// The KEP-3659 id of an ApplySet with any parent, as kubectl computes it:
/// `applyset-<base64url(sha256("<name>.<namespace>.<kind>.<group>"))>-v1`.
pub fn applyset_id_for(name: &str, namespace: &str, kind: &str, group: &str) -> String {
    let digest = Sha256::digest(format!("{name}.{namespace}.{kind}.{group}").as_bytes());
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    format!("applyset-{encoded}-v1")
}

fn group_kind(r: &ObjectRef) -> String {
    if r.group.is_empty() {
        r.kind.clone()
    } else {
        format!("{}.{}", r.kind, r.group)
    }
}

impl Inventory {
    /// An empty inventory for the sync `name`, its parent living in `namespace`.
    pub fn new(name: impl Into<String>, namespace: impl Into<String>) -> Self {
        let (name, namespace) = (name.into(), namespace.into());
        Self {
            id: applyset_id(&name, &namespace),
            name,
            namespace,
            members: BTreeSet::new(),
            revision: None,
            history: Vec::new(),
            suspended: false,
            approved_prune: None,
            source: None,
        }
    }

    /// The members that are not in `desired`: candidates for pruning.
    pub fn stale<'a>(&'a self, desired: &BTreeSet<&ObjectRef>) -> Vec<&'a ObjectRef> {
        self.members
            .iter()
            .filter(|m| !desired.contains(m))
            .collect()
    }

    /// Appends a record, keeping at most `keep` (the oldest go first).
    pub fn record(&mut self, record: SyncRecord, keep: usize) {
        self.history.push(record);
        let excess = self.history.len().saturating_sub(keep.max(1));
        self.history.drain(..excess);
    }

    /// The label every member carries.
    pub fn member_label(&self) -> (&'static str, &str) {
        (APPLYSET_PART_OF, &self.id)
    }

    /// The parent ConfigMap, ready for server-side apply.
    pub fn to_parent(&self) -> Value {
        let mut group_kinds: Vec<String> = self.members.iter().map(group_kind).collect();
        group_kinds.sort();
        group_kinds.dedup();
        let namespaces: BTreeSet<&str> = self
            .members
            .iter()
            .filter_map(|m| m.namespace())
            .filter(|ns| *ns != self.namespace)
            .collect();
        let members: Vec<String> = self.members.iter().map(ToString::to_string).collect();
        let mut annotations = json!({
            APPLYSET_TOOLING: TOOLING,
            APPLYSET_GROUP_KINDS: group_kinds.join(","),
            APPLYSET_NAMESPACES: namespaces.into_iter().collect::<Vec<_>>().join(","),
        });
        if let Some(revision) = &self.revision {
            annotations[REVISION] = json!(revision);
        }
        if self.suspended {
            annotations[SUSPENDED] = json!("true");
        }
        if let Some(hash) = &self.approved_prune {
            annotations[APPROVED_PRUNE] = json!(hash);
        }
        if let Some(source) = &self.source {
            annotations[SOURCE] = json!(source);
        }
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": {APPLYSET_ID: self.id},
                "annotations": annotations,
            },
            "data": {
                DATA_MEMBERS: members.join("\n"),
                DATA_HISTORY: serde_json::to_string(&self.history).unwrap_or_else(|_| "[]".to_owned()),
            },
        })
    }

    /// Reads an inventory back from its parent ConfigMap (as the cluster returns it).
    pub fn from_parent(parent: &Value) -> Result<Self, InventoryError> {
        let metadata = &parent["metadata"];
        let name = metadata["name"].as_str().unwrap_or_default().to_owned();
        let err = |reason: String| InventoryError {
            name: name.clone(),
            reason,
        };
        let namespace = metadata["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut inventory = Inventory::new(name.clone(), namespace);
        let id = metadata["labels"][APPLYSET_ID].as_str();
        if id != Some(inventory.id.as_str()) {
            return Err(err(format!(
                "label {APPLYSET_ID} is {id:?}, expected {:?}",
                inventory.id
            )));
        }
        let annotations = &metadata["annotations"];
        let tooling = annotations[APPLYSET_TOOLING].as_str().unwrap_or_default();
        if !tooling.starts_with("gitops/") {
            return Err(err(format!(
                "managed by {tooling:?}, not by gitops; refusing to take it over"
            )));
        }
        let data = &parent["data"];
        for line in data[DATA_MEMBERS].as_str().unwrap_or_default().lines() {
            if line.trim().is_empty() {
                continue;
            }
            let member = line
                .parse::<ObjectRef>()
                .map_err(|e| err(format!("member list: {e}")))?;
            inventory.members.insert(member);
        }
        if let Some(history) = data[DATA_HISTORY].as_str().filter(|h| !h.is_empty()) {
            inventory.history =
                serde_json::from_str(history).map_err(|e| err(format!("history: {e}")))?;
        }
        inventory.revision = annotations[REVISION].as_str().map(str::to_owned);
        inventory.suspended = annotations[SUSPENDED] == "true";
        inventory.approved_prune = annotations[APPROVED_PRUNE].as_str().map(str::to_owned);
        inventory.source = annotations[SOURCE].as_str().map(str::to_owned);
        Ok(inventory)
    }

    /// The members grouped by `(group, kind)`, for listing them one kind at a time.
    pub fn members_by_kind(&self) -> BTreeMap<(&str, &str), Vec<&ObjectRef>> {
        let mut out: BTreeMap<(&str, &str), Vec<&ObjectRef>> = BTreeMap::new();
        for member in &self.members {
            out.entry((&member.group, &member.kind))
                .or_default()
                .push(member);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_matches_kubectl_format() {
        let id = applyset_id("shop", "default");
        assert!(id.starts_with("applyset-"));
        assert!(id.ends_with("-v1"));
        // 32 bytes of SHA-256 are 43 base64url characters without padding.
        assert_eq!(id.len(), "applyset-".len() + 43 + "-v1".len());
        assert!(!id.contains('=') && !id.contains('+') && !id.contains('/'));
        assert_ne!(applyset_id("shop", "other"), id);
    }

    #[test]
    fn round_trip_with_history() {
        let mut inventory = Inventory::new("shop", "gitops-system");
        inventory
            .members
            .insert(ObjectRef::new("", "Namespace", "", "shop"));
        inventory
            .members
            .insert(ObjectRef::new("apps", "Deployment", "shop", "web"));
        inventory.revision = Some("main@sha1:abc".into());
        inventory.suspended = true;
        inventory.approved_prune = Some("1234".into());
        inventory.source = Some(r#"{"git":"https://example.com/r.git","path":"apps"}"#.into());
        for i in 0..15 {
            inventory.record(
                SyncRecord {
                    revision: format!("r{i}"),
                    time: i,
                    commit: None,
                    counts: SyncCounts::default(),
                    result: SyncResult::Succeeded,
                    message: String::new(),
                },
                DEFAULT_HISTORY,
            );
        }
        assert_eq!(inventory.history.len(), 10);
        assert_eq!(inventory.history[0].revision, "r5");
        let parent = inventory.to_parent();
        assert_eq!(
            parent["metadata"]["annotations"][APPLYSET_GROUP_KINDS],
            "Deployment.apps,Namespace"
        );
        assert_eq!(
            parent["metadata"]["annotations"][APPLYSET_NAMESPACES],
            "shop"
        );
        assert_eq!(Inventory::from_parent(&parent).unwrap(), inventory);
    }

    #[test]
    fn foreign_parents_are_refused() {
        let mut parent = Inventory::new("shop", "x").to_parent();
        parent["metadata"]["annotations"][APPLYSET_TOOLING] = json!("kubectl/v1.32");
        let err = Inventory::from_parent(&parent).unwrap_err();
        assert!(
            err.to_string().contains("refusing to take it over"),
            "{err}"
        );
        let mut parent = Inventory::new("shop", "x").to_parent();
        parent["metadata"]["labels"][APPLYSET_ID] = json!("applyset-other-v1");
        assert!(Inventory::from_parent(&parent).is_err());
    }

    #[test]
    fn stale_members() {
        let mut inventory = Inventory::new("a", "b");
        let keep = ObjectRef::new("", "ConfigMap", "x", "keep");
        let gone = ObjectRef::new("", "ConfigMap", "x", "gone");
        inventory.members.extend([keep.clone(), gone.clone()]);
        let desired = BTreeSet::from([&keep]);
        assert_eq!(inventory.stale(&desired), vec![&gone]);
    }
}
