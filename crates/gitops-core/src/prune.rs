//! Prune policy: which inventory members that left the desired set may be deleted, and in which
//! order. A pure function, so every guard is tested without a cluster.
//!
//! Guards, in the order they apply:
//! - pruning switched off, or an apply stage failed: nothing is deleted;
//! - an empty render never deletes anything unless explicitly allowed (a Git outage that yields
//!   no files must not wipe an environment);
//! - only inventory members are candidates, and only while the live object still carries our
//!   ApplySet label (someone who relabelled it took it over);
//! - `gitops.rs/prune: disabled` keeps an object (it leaves the inventory, orphaned);
//! - the deletion budget: more than `max_objects` deletions that are also more than
//!   `max_fraction` of the inventory are held, and reported as a plan with a hash that a person
//!   approves (a flag on the next run, or an annotation on the inventory).
//!
//! Deletion runs in reverse kind order: custom resources before their definitions, namespaces last.
//!
//! ```
//! use gitops_core::inventory::Inventory;
//! use gitops_core::prune::{plan_prune, PruneOptions};
//! use gitops_core::{Object, ObjectRef};
//!
//! let mut inventory = Inventory::new("shop", "gitops-system");
//! let old = ObjectRef::new("", "ConfigMap", "shop", "old");
//! inventory.members.insert(old.clone());
//! let live = Object::new(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
//!     "metadata": {"name": "old", "namespace": "shop",
//!                  "labels": {"applyset.kubernetes.io/part-of": inventory.id.clone()}}}))?;
//! let desired = vec![Object::new(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
//!     "metadata": {"name": "new", "namespace": "shop"}}))?];
//!
//! let plan = plan_prune(&inventory, &desired, |_| Some(live.clone()), false, &PruneOptions::default());
//! assert_eq!(plan.delete, vec![old]);
//! # Ok::<(), gitops_core::ObjectError>(())
//! ```

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::consts;
use crate::inventory::Inventory;
use crate::kinds;
use crate::object::{Object, ObjectRef};

/// How pruning behaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PruneOptions {
    /// Delete members that left the desired set (default: true).
    pub enabled: bool,
    /// Let an empty render delete every member (default: false).
    pub allow_empty: bool,
    /// Deletions above this count may be held (default: 10)...
    pub max_objects: usize,
    /// ...when they are also more than this fraction of the inventory (default: 0.25).
    pub max_fraction: f64,
    /// The hash of a held plan that is approved for this run.
    pub approve: Option<String>,
}

impl Default for PruneOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            allow_empty: false,
            max_objects: 10,
            max_fraction: 0.25,
            approve: None,
        }
    }
}

/// Why a stale member is not deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum KeepReason {
    /// Pruning is switched off for this run.
    PruningDisabled,
    /// An apply stage failed, so nothing is pruned.
    ApplyFailed,
    /// The render was empty and empty renders may not prune.
    EmptyRender,
    /// The object carries `gitops.rs/prune: disabled`.
    Annotation,
    /// The live object no longer carries our ApplySet label.
    NotOwned,
    /// The deletion is over budget and awaits approval.
    Held,
}

impl KeepReason {
    /// Whether the object stays in the inventory (so a later sync can still prune it).
    pub fn stays_in_inventory(self) -> bool {
        !matches!(self, KeepReason::Annotation | KeepReason::NotOwned)
    }
}

impl fmt::Display for KeepReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeepReason::PruningDisabled => "pruning is disabled",
            KeepReason::ApplyFailed => "an apply stage failed",
            KeepReason::EmptyRender => "the render is empty",
            KeepReason::Annotation => "gitops.rs/prune: disabled",
            KeepReason::NotOwned => "no longer labelled as ours",
            KeepReason::Held => "over the deletion budget, awaiting approval",
        })
    }
}

/// A stale member that is kept, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    /// The object.
    pub object: ObjectRef,
    /// Why it is kept.
    pub reason: KeepReason,
}

/// Deletions held by the budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldPrune {
    /// The hash that approves exactly this set of deletions.
    pub hash: String,
    /// The objects that would be deleted.
    pub objects: Vec<ObjectRef>,
    /// The size of the inventory they are part of.
    pub inventory_size: usize,
}

/// What to delete, in order, and what to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrunePlan {
    /// Objects to delete, in deletion order.
    pub delete: Vec<ObjectRef>,
    /// Stale members that are kept.
    pub kept: Vec<Kept>,
    /// Deletions held by the budget, if any.
    pub held: Option<HeldPrune>,
    /// Stale members already gone from the cluster (they just leave the inventory).
    pub gone: Vec<ObjectRef>,
}

impl PrunePlan {
    /// Stale members that stay in the inventory after this plan runs.
    pub fn remaining(&self) -> impl Iterator<Item = &ObjectRef> {
        self.kept
            .iter()
            .filter(|k| k.reason.stays_in_inventory())
            .map(|k| &k.object)
    }
}

/// The hash approving one exact set of deletions (16 hex digits of SHA-256).
pub fn plan_hash(objects: &[ObjectRef]) -> String {
    let mut sorted: Vec<String> = objects.iter().map(ToString::to_string).collect();
    sorted.sort();
    let digest = Sha256::digest(sorted.join("\n").as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Orders objects for deletion: reverse kind order, then by reference.
pub fn deletion_order(objects: &mut [ObjectRef]) {
    objects.sort_by(|a, b| {
        let ta = kinds::tier(&a.group, &a.kind);
        let tb = kinds::tier(&b.group, &b.kind);
        tb.cmp(&ta).then_with(|| a.cmp(b))
    });
}

/// Plans the prune after an apply of `desired`.
///
/// `live` returns the live object of a member (`None` when it is gone); `apply_failed` says
/// whether any apply stage failed.
pub fn plan_prune(
    inventory: &Inventory,
    desired: &[Object],
    live: impl Fn(&ObjectRef) -> Option<Object>,
    apply_failed: bool,
    options: &PruneOptions,
) -> PrunePlan {
    let wanted: BTreeSet<&ObjectRef> = desired.iter().map(Object::reference).collect();
    let stale: Vec<&ObjectRef> = inventory.stale(&wanted);
    let mut plan = PrunePlan::default();
    if stale.is_empty() {
        return plan;
    }
    let blanket = if !options.enabled {
        Some(KeepReason::PruningDisabled)
    } else if apply_failed {
        Some(KeepReason::ApplyFailed)
    } else if desired.is_empty() && !options.allow_empty {
        Some(KeepReason::EmptyRender)
    } else {
        None
    };
    if let Some(reason) = blanket {
        plan.kept = stale
            .into_iter()
            .map(|object| Kept {
                object: object.clone(),
                reason,
            })
            .collect();
        return plan;
    }

    let mut candidates = Vec::new();
    for member in stale {
        let Some(object) = live(member) else {
            plan.gone.push(member.clone());
            continue;
        };
        let reason = if object.label(consts::APPLYSET_PART_OF) != Some(inventory.id.as_str()) {
            Some(KeepReason::NotOwned)
        } else if object.annotation(consts::PRUNE) == Some("disabled") {
            Some(KeepReason::Annotation)
        } else {
            None
        };
        match reason {
            Some(reason) => plan.kept.push(Kept {
                object: member.clone(),
                reason,
            }),
            None => candidates.push(member.clone()),
        }
    }
    deletion_order(&mut candidates);

    let size = inventory.members.len();
    let over_budget = candidates.len() > options.max_objects
        && (candidates.len() as f64) > options.max_fraction * size as f64;
    if over_budget {
        let hash = plan_hash(&candidates);
        let approved = options.approve.as_deref() == Some(hash.as_str())
            || inventory.approved_prune.as_deref() == Some(hash.as_str());
        if !approved {
            plan.kept.extend(candidates.iter().map(|object| Kept {
                object: object.clone(),
                reason: KeepReason::Held,
            }));
            plan.held = Some(HeldPrune {
                hash,
                objects: candidates,
                inventory_size: size,
            });
            return plan;
        }
    }
    plan.delete = candidates;
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn cm(name: &str, id: &str, annotations: serde_json::Value) -> Object {
        Object::new(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "x", "labels": {consts::APPLYSET_PART_OF: id},
                         "annotations": annotations}}))
        .unwrap()
    }

    /// An inventory of `n` ConfigMaps `c0..cn` all live and labelled.
    fn setup(n: usize) -> (Inventory, BTreeMap<ObjectRef, Object>) {
        let mut inventory = Inventory::new("app", "ns");
        let mut live = BTreeMap::new();
        for i in 0..n {
            let o = cm(&format!("c{i}"), &inventory.id, json!({}));
            inventory.members.insert(o.reference().clone());
            live.insert(o.reference().clone(), o);
        }
        (inventory, live)
    }

    fn keep_first(live: &BTreeMap<ObjectRef, Object>, n: usize) -> Vec<Object> {
        live.values().take(n).cloned().collect()
    }

    #[test]
    fn small_prunes_proceed() {
        let (inventory, live) = setup(20);
        let desired = keep_first(&live, 15);
        let plan = plan_prune(
            &inventory,
            &desired,
            |r| live.get(r).cloned(),
            false,
            &PruneOptions::default(),
        );
        assert_eq!(plan.delete.len(), 5);
        assert!(plan.held.is_none());
    }

    #[test]
    fn nothing_outside_the_inventory_is_touched() {
        let (inventory, live) = setup(3);
        let desired = keep_first(&live, 1);
        let plan = plan_prune(
            &inventory,
            &desired,
            |r| live.get(r).cloned(),
            false,
            &PruneOptions::default(),
        );
        for object in &plan.delete {
            assert!(inventory.members.contains(object));
        }
    }

    #[test]
    fn empty_render_prunes_nothing_unless_allowed() {
        let (inventory, live) = setup(3);
        let plan = plan_prune(
            &inventory,
            &[],
            |r| live.get(r).cloned(),
            false,
            &PruneOptions::default(),
        );
        assert!(plan.delete.is_empty());
        assert!(
            plan.kept
                .iter()
                .all(|k| k.reason == KeepReason::EmptyRender)
        );
        assert_eq!(plan.remaining().count(), 3);
        let allow = PruneOptions {
            allow_empty: true,
            ..PruneOptions::default()
        };
        let plan = plan_prune(&inventory, &[], |r| live.get(r).cloned(), false, &allow);
        assert_eq!(plan.delete.len(), 3);
    }

    #[test]
    fn failed_apply_or_disabled_prunes_nothing() {
        let (inventory, live) = setup(3);
        let desired = keep_first(&live, 1);
        let plan = plan_prune(
            &inventory,
            &desired,
            |r| live.get(r).cloned(),
            true,
            &PruneOptions::default(),
        );
        assert!(plan.delete.is_empty());
        assert_eq!(plan.kept[0].reason, KeepReason::ApplyFailed);
        let off = PruneOptions {
            enabled: false,
            ..PruneOptions::default()
        };
        let plan = plan_prune(&inventory, &desired, |r| live.get(r).cloned(), false, &off);
        assert!(plan.delete.is_empty());
        assert_eq!(plan.kept[0].reason, KeepReason::PruningDisabled);
    }

    #[test]
    fn annotation_and_foreign_label_keep() {
        let (inventory, mut live) = setup(3);
        let [a, b, c]: [ObjectRef; 3] =
            live.keys().cloned().collect::<Vec<_>>().try_into().unwrap();
        live.insert(
            b.clone(),
            cm(&b.name, &inventory.id, json!({consts::PRUNE: "disabled"})),
        );
        live.insert(
            c.clone(),
            cm(&c.name, "applyset-someone-else-v1", json!({})),
        );
        let desired = vec![live[&a].clone()];
        let plan = plan_prune(
            &inventory,
            &desired,
            |r| live.get(r).cloned(),
            false,
            &PruneOptions::default(),
        );
        assert!(plan.delete.is_empty());
        let reasons: Vec<KeepReason> = plan.kept.iter().map(|k| k.reason).collect();
        assert_eq!(reasons, vec![KeepReason::Annotation, KeepReason::NotOwned]);
        assert_eq!(
            plan.remaining().count(),
            0,
            "orphaned objects leave the inventory"
        );
    }

    #[test]
    fn already_gone_members_just_leave() {
        let (inventory, live) = setup(2);
        let desired = keep_first(&live, 1);
        let plan = plan_prune(
            &inventory,
            &desired,
            |_| None,
            false,
            &PruneOptions::default(),
        );
        assert_eq!(plan.gone.len(), 1);
        assert!(plan.delete.is_empty());
    }

    #[test]
    fn mass_deletion_is_held_until_approved() {
        let (mut inventory, live) = setup(40);
        let desired = keep_first(&live, 10);
        let plan = plan_prune(
            &inventory,
            &desired,
            |r| live.get(r).cloned(),
            false,
            &PruneOptions::default(),
        );
        let held = plan.held.clone().unwrap();
        assert!(plan.delete.is_empty());
        assert_eq!(held.objects.len(), 30);
        assert_eq!(
            plan.remaining().count(),
            30,
            "held objects stay in the inventory"
        );

        let approve = PruneOptions {
            approve: Some(held.hash.clone()),
            ..PruneOptions::default()
        };
        let plan = plan_prune(
            &inventory,
            &desired,
            |r| live.get(r).cloned(),
            false,
            &approve,
        );
        assert_eq!(plan.delete.len(), 30);

        // The approval names one exact set: a different set is held again.
        let fewer = keep_first(&live, 11);
        let plan = plan_prune(
            &inventory,
            &fewer,
            |r| live.get(r).cloned(),
            false,
            &approve,
        );
        assert!(plan.held.is_some());

        // An approval annotation on the inventory works the same way.
        inventory.approved_prune = Some(held.hash);
        let plan = plan_prune(
            &inventory,
            &desired,
            |r| live.get(r).cloned(),
            false,
            &PruneOptions::default(),
        );
        assert_eq!(plan.delete.len(), 30);
    }

    #[test]
    fn many_deletions_in_a_large_inventory_proceed() {
        // 20 of 200 is over the count but under 25%: everyday churn in a big app.
        let (inventory, live) = setup(200);
        let desired = keep_first(&live, 180);
        let plan = plan_prune(
            &inventory,
            &desired,
            |r| live.get(r).cloned(),
            false,
            &PruneOptions::default(),
        );
        assert_eq!(plan.delete.len(), 20);
    }

    #[test]
    fn namespaces_go_last_custom_resources_before_definitions() {
        let mut refs = vec![
            ObjectRef::new("", "Namespace", "", "shop"),
            ObjectRef::new(
                "apiextensions.k8s.io",
                "CustomResourceDefinition",
                "",
                "w.example.com",
            ),
            ObjectRef::new("example.com", "W", "shop", "w"),
            ObjectRef::new("apps", "Deployment", "shop", "web"),
            ObjectRef::new("", "ConfigMap", "shop", "cfg"),
        ];
        deletion_order(&mut refs);
        let kinds: Vec<&str> = refs.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "W",
                "Deployment",
                "ConfigMap",
                "CustomResourceDefinition",
                "Namespace"
            ]
        );
    }
}
