use std::collections::VecDeque;

use petgraph::Direction;
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use rustc_hash::FxHashMap;

use crate::kinds;
use crate::object::{Object, ObjectRef};

use super::annotations::{self, Annotations, Schedule};
use super::edges::{EdgeReason, Index};
use super::{Error, Options, Plan, Position, Skipped, Stage};

/// Plans the objects into stages.
///
/// Guarantees: every edge of [`super::edges`] is respected (the earlier object is in an
/// earlier stage); every object appears exactly once, in a stage or in [`Plan::skipped`];
/// the same input gives the same plan whatever its order.
///
/// Errors: see [`Error`]; the first problem found, in input order (a cycle is reported the
/// same way whatever the order).
pub fn plan(objects: &[Object], options: &Options) -> Result<Plan, Error> {
    let mut planned: Vec<&Object> = Vec::with_capacity(objects.len());
    let mut positions: Vec<Position> = Vec::with_capacity(objects.len());
    let mut notes: Vec<Annotations<'_>> = Vec::with_capacity(objects.len());
    let mut skipped = Vec::new();
    for object in objects {
        let annotations = Annotations::of(object);
        let (schedule, helm_hook) = annotations::schedule(object, annotations, options)?;
        match schedule {
            Schedule::At(phase) => {
                let wave = annotations::wave(object, annotations, options, helm_hook)?;
                planned.push(object);
                positions.push(Position { phase, wave });
                notes.push(annotations);
            }
            Schedule::Skip(reason) => skipped.push(Skipped {
                object: object.reference().clone(),
                reason,
            }),
        }
    }
    skipped.sort_by(|a, b| a.object.cmp(&b.object));

    let graph = build_graph(&planned, &positions, &notes)?;
    let order = toposort(&graph, None).map_err(|_| Error::Cycle {
        cycle: find_cycle(&graph, &planned),
    })?;

    // The stage of an object within its wave: no earlier than its kind's tier, and after
    // every object it depends on.
    let mut level: Vec<u32> = planned
        .iter()
        .map(|o| {
            if options.kind_order {
                kinds::tier(o.group(), o.kind()).rank()
            } else {
                0
            }
        })
        .collect();
    for node in order {
        let here = level[node.index()];
        for next in graph.neighbors_directed(node, Direction::Outgoing) {
            let slot = &mut level[next.index()];
            *slot = (*slot).max(here + 1);
        }
    }

    let ranks = type_ranks(&planned);
    let mut keyed: Vec<(Position, u32, SortKey<'_>, usize)> = (0..planned.len())
        .map(|i| {
            (
                positions[i],
                level[i],
                SortKey::new(ranks[i], planned[i].name()),
                i,
            )
        })
        .collect();
    keyed.sort_unstable();
    let mut stages: Vec<Stage> = Vec::new();
    for group in keyed.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        stages.push(Stage {
            position: group[0].0,
            objects: group.iter().map(|k| planned[k.3].clone()).collect(),
        });
    }
    Ok(Plan { stages, skipped })
}

/// For each object, the rank of its `(group, kind, namespace)` among those of the set, so that
/// ordering by `(rank, name)` is ordering by reference.
fn type_ranks(planned: &[&Object]) -> Vec<u32> {
    fn triple<'a>(o: &&'a Object) -> (&'a str, &'a str, &'a str) {
        let r = o.reference();
        (r.group.as_str(), r.kind.as_str(), r.namespace.as_str())
    }
    let mut ids: FxHashMap<(&str, &str, &str), u32> = FxHashMap::default();
    let raw: Vec<u32> = planned
        .iter()
        .map(|o| {
            let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            *ids.entry(triple(o)).or_insert(next)
        })
        .collect();
    let mut unique: Vec<((&str, &str, &str), u32)> = ids.into_iter().collect();
    unique.sort_unstable();
    let mut rank = vec![0u32; unique.len()];
    for (position, (_, id)) in unique.iter().enumerate() {
        rank[*id as usize] = u32::try_from(position).unwrap_or(u32::MAX);
    }
    raw.into_iter().map(|id| rank[id as usize]).collect()
}

/// Orders like `(rank, name)`, comparing an inline prefix of the name first so that sorting
/// rarely follows a pointer (names are unique within a type, so ties on the prefix are rare).
#[derive(Clone, Copy, PartialEq, Eq)]
struct SortKey<'a> {
    rank: u32,
    prefix: u128,
    name: &'a str,
}

impl<'a> SortKey<'a> {
    fn new(rank: u32, name: &'a str) -> Self {
        let mut bytes = [0u8; 16];
        let n = name.len().min(16);
        bytes[..n].copy_from_slice(&name.as_bytes()[..n]);
        SortKey {
            rank,
            prefix: u128::from_be_bytes(bytes),
            name,
        }
    }
}

impl Ord for SortKey<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Kubernetes names hold no NUL byte, so the zero-padded prefix orders like the name.
        (self.rank, self.prefix)
            .cmp(&(other.rank, other.prefix))
            .then_with(|| self.name.cmp(other.name))
    }
}

impl PartialOrd for SortKey<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The graph of same-position edges; edges between positions are checked, not added.
fn build_graph<'a>(
    planned: &[&'a Object],
    positions: &[Position],
    notes: &[Annotations<'a>],
) -> Result<DiGraph<(), EdgeReason, u32>, Error> {
    let index = Index::new(planned)?;
    let mut graph = DiGraph::with_capacity(planned.len(), planned.len());
    for _ in planned {
        graph.add_node(());
    }
    let mut edges = Vec::new();
    for (me, object) in planned.iter().enumerate() {
        index.edges_into(me, object, notes[me], &mut edges)?;
        for &(before, reason) in &edges {
            let (from, to) = (positions[before], positions[me]);
            if from > to {
                return Err(Error::WaveConflict {
                    before: planned[before].reference().clone(),
                    before_at: from,
                    after: object.reference().clone(),
                    after_at: to,
                    reason,
                    origin: object.origin().cloned(),
                });
            }
            if from == to {
                graph.add_edge(NodeIndex::new(before), NodeIndex::new(me), reason);
            }
        }
    }
    Ok(graph)
}

/// One cycle of the graph, chosen whatever the input order: the shortest through the
/// smallest object (by reference) that lies on a cycle.
fn find_cycle(graph: &DiGraph<(), EdgeReason, u32>, planned: &[&Object]) -> Vec<ObjectRef> {
    let reference = |n: NodeIndex| planned[n.index()].reference().clone();
    let by_ref = |a: &NodeIndex, b: &NodeIndex| {
        planned[a.index()]
            .reference()
            .cmp(planned[b.index()].reference())
    };
    let cyclic = tarjan_scc(graph)
        .into_iter()
        .filter(|scc| scc.len() > 1 || graph.contains_edge(scc[0], scc[0]))
        .filter_map(|scc| scc.iter().copied().min_by(by_ref).map(|start| (start, scc)))
        .min_by(|a, b| by_ref(&a.0, &b.0));
    let Some((start, scc)) = cyclic else {
        return Vec::new();
    };
    if graph.contains_edge(start, start) {
        return vec![reference(start), reference(start)];
    }
    // Breadth-first from `start` inside the component, back to `start`.
    let mut parent: Vec<Option<NodeIndex>> = vec![None; graph.node_count()];
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let mut next: Vec<NodeIndex> = graph
            .neighbors_directed(node, Direction::Outgoing)
            .filter(|n| scc.contains(n))
            .collect();
        next.sort_unstable_by(by_ref);
        for n in next {
            if n == start {
                let mut path = vec![node];
                let mut at = node;
                while let Some(p) = parent[at.index()] {
                    path.push(p);
                    at = p;
                }
                path.reverse();
                let mut cycle: Vec<ObjectRef> = path.into_iter().map(reference).collect();
                cycle.push(reference(start));
                return cycle;
            }
            if parent[n.index()].is_none() && n != start {
                parent[n.index()] = Some(node);
                queue.push_back(n);
            }
        }
    }
    Vec::new()
}
