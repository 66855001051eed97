//! Values kustomize shares between several places of one object.
//!
//! When a label or annotation transformer adds a key that is missing in several places of an
//! object (say `metadata/labels` and `spec/template/metadata/labels`), kustomize inserts one
//! and the same YAML node in all of them. Writing that value in place later (another label
//! transformer, a strategic merge patch, a replacement) changes it everywhere, even in places
//! the later transformer does not select. This module keeps those groups (as JSON pointers)
//! and repeats such writes, so the output matches kustomize's.

use serde_json::Value;

use super::resource::Resource;

/// Records that the places `pointers` now share one value.
pub(crate) fn link(res: &mut Resource, pointers: Vec<String>) {
    if pointers.len() > 1 {
        res.build.aliases.push(pointers);
    }
}

/// After the value at `pointer` was written in place, writes it to the places that share it.
pub(crate) fn propagate(res: &mut Resource, pointer: &str) {
    if res.build.aliases.is_empty() {
        return;
    }
    let Some(value) = res.value().pointer(pointer).cloned() else {
        return;
    };
    let targets: Vec<String> = res
        .build
        .aliases
        .iter()
        .filter(|group| group.iter().any(|p| p == pointer))
        .flatten()
        .filter(|p| *p != pointer)
        .cloned()
        .collect();
    for target in targets {
        if let Some(slot) = res.value_mut().pointer_mut(&target) {
            *slot = value.clone();
        }
    }
}

/// The shared values before a strategic merge patch.
pub(crate) type Snapshot = Vec<Vec<(String, Option<Value>)>>;

/// Takes the values of every group.
pub(crate) fn snapshot(res: &Resource) -> Snapshot {
    res.build
        .aliases
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|p| (p.clone(), res.value().pointer(p).cloned()))
                .collect()
        })
        .collect()
}

/// After a strategic merge patch: a group one of whose places the patch wrote takes the
/// value written last (kustomize walks fields in sorted order); places the patch removed
/// leave the group.
pub(crate) fn after_merge(res: &mut Resource, before: Snapshot) {
    let mut groups = Vec::with_capacity(before.len());
    for group in before {
        let mut kept = Vec::new();
        let mut winner: Option<(String, Value)> = None;
        for (pointer, old) in group {
            let Some(new) = res.value().pointer(&pointer).cloned() else {
                continue;
            };
            if old.as_ref() != Some(&new) {
                let later = winner
                    .as_ref()
                    .is_none_or(|(w, _)| pointer_order(&pointer, w).is_gt());
                if later {
                    winner = Some((pointer.clone(), new));
                }
            }
            kept.push(pointer);
        }
        if let Some((_, value)) = winner {
            for p in &kept {
                if let Some(slot) = res.value_mut().pointer_mut(p) {
                    *slot = value.clone();
                }
            }
        }
        if kept.len() > 1 {
            groups.push(kept);
        }
    }
    res.build.aliases = groups;
}

/// The order in which kustomize's merge visits two places: depth first, fields sorted,
/// elements in order.
fn pointer_order(a: &str, b: &str) -> std::cmp::Ordering {
    let seg = |s: &str| -> Vec<String> {
        s.split('/')
            .skip(1)
            .map(|p| p.replace("~1", "/").replace("~0", "~"))
            .collect()
    };
    let (a, b) = (seg(a), seg(b));
    for (x, y) in a.iter().zip(&b) {
        if x != y {
            return match (x.parse::<usize>(), y.parse::<usize>()) {
                (Ok(i), Ok(j)) => i.cmp(&j),
                _ => x.cmp(y),
            };
        }
    }
    a.len().cmp(&b.len())
}
