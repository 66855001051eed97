//! yaml.v2's order of mapping keys: digits compared as numbers, non-letters before letters.

use std::cmp::Ordering;

/// yaml.v2's key order.
fn key_less(a: &str, b: &str) -> Ordering {
    gitops_gotemplate::helm::key_order(a, b, false)
}

/// Sorts keys with [`key_less`] (an insertion sort: it never panics on an inconsistent order).
pub(super) fn sort_keys(keys: &mut [&String]) {
    for i in 1..keys.len() {
        let mut j = i;
        while j > 0 && key_less(keys[j], keys[j - 1]) == Ordering::Less {
            keys.swap(j, j - 1);
            j -= 1;
        }
    }
}
