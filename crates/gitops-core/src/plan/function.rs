use std::collections::VecDeque;

use petgraph::Direction;
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::kinds;
use crate::manifest;
use crate::object::{Object, ObjectRef};

use super::annotations::{self, Schedule};
use super::edges::{EdgeReason, Index};
use super::{Error, Options, Plan, Position, Skipped, Stage};

/// Plans the objects into stages.
///
/// Guarantees: every edge of [`super::edges`] is respected (the earlier object is in an
/// earlier stage); every object appears exactly once, in a stage or in [`Plan::skipped`];
/// the same input gives the same plan whatever its order.
///
/// Errors: see [`Error`]; the first problem found, in the objects' reference order.
pub fn plan(objects: &[Object], options: &Options) -> Result<Plan, Error> {
    manifest::check_unique(objects)?;

    let mut sorted: Vec<&Object> = objects.iter().collect();
    sorted.sort_by(|a, b| a.reference().cmp(b.reference()));

    let mut planned: Vec<&Object> = Vec::with_capacity(sorted.len());
    let mut positions: Vec<Position> = Vec::with_capacity(sorted.len());
    let mut skipped = Vec::new();
    for object in sorted {
        let (schedule, helm_hook) = annotations::schedule(object, options)?;
        match schedule {
            Schedule::At(phase) => {
                let wave = annotations::wave(object, options, helm_hook)?;
                planned.push(object);
                positions.push(Position { phase, wave });
            }
            Schedule::Skip(reason) => skipped.push(Skipped {
                object: object.reference().clone(),
                reason,
            }),
        }
    }

    let graph = build_graph(&planned, &positions)?;
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

    let mut keyed: Vec<(Position, u32, usize)> = (0..planned.len())
        .map(|i| (positions[i], level[i], i))
        .collect();
    // `planned` is in reference order, so the index breaks ties by reference.
    keyed.sort_unstable();
    let mut stages: Vec<Stage> = Vec::new();
    let mut current: Option<(Position, u32)> = None;
    for (position, level, i) in keyed {
        if current != Some((position, level)) {
            current = Some((position, level));
            stages.push(Stage {
                position,
                objects: Vec::new(),
            });
        }
        if let Some(stage) = stages.last_mut() {
            stage.objects.push(planned[i].clone());
        }
    }
    Ok(Plan { stages, skipped })
}

/// The graph of same-position edges; edges between positions are checked, not added.
fn build_graph(
    planned: &[&Object],
    positions: &[Position],
) -> Result<DiGraph<(), EdgeReason, u32>, Error> {
    let index = Index::new(planned);
    let mut graph = DiGraph::with_capacity(planned.len(), planned.len());
    for _ in planned {
        graph.add_node(());
    }
    for (me, object) in planned.iter().enumerate() {
        for (before, reason) in index.edges_into(me, object)? {
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

/// One cycle of the graph, chosen deterministically: the shortest through the smallest
/// object (by reference) of the first strongly connected component that has a cycle.
fn find_cycle(graph: &DiGraph<(), EdgeReason, u32>, planned: &[&Object]) -> Vec<ObjectRef> {
    let reference = |n: NodeIndex| planned[n.index()].reference().clone();
    let cyclic = tarjan_scc(graph)
        .into_iter()
        .filter(|scc| scc.len() > 1 || graph.contains_edge(scc[0], scc[0]))
        .filter_map(|scc| scc.iter().copied().min().map(|start| (start, scc)))
        .min_by_key(|(start, _)| *start);
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
        next.sort_unstable();
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
