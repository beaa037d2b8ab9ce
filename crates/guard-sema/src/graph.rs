//! Cycle finding for the module graph and the def graph (petgraph).
//!
//! Invariant: one cycle is reported per strongly connected component that has one, starting at
//! the component's smallest node, so output is deterministic whatever the hash order.

use guard_diagnostics::Span;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

/// A directed graph whose nodes are `usize` ids (module or def indices) and whose edges carry
/// the span of the reference (`use` or def name) that creates them.
#[derive(Debug, Default)]
pub(crate) struct RefGraph {
    graph: DiGraph<usize, Span>,
    nodes: Vec<Option<NodeIndex>>,
}

/// One edge of a cycle: `from` refers to `to` at `span`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CycleEdge {
    pub from: usize,
    pub to: usize,
    pub span: Span,
}

impl RefGraph {
    fn node(&mut self, id: usize) -> NodeIndex {
        if self.nodes.len() <= id {
            self.nodes.resize(id + 1, None);
        }
        match self.nodes.get(id).copied().flatten() {
            Some(n) => n,
            None => {
                let n = self.graph.add_node(id);
                if let Some(slot) = self.nodes.get_mut(id) {
                    *slot = Some(n);
                }
                n
            }
        }
    }

    pub(crate) fn add_edge(&mut self, from: usize, to: usize, span: Span) {
        let (a, b) = (self.node(from), self.node(to));
        self.graph.add_edge(a, b, span);
    }

    /// One cycle per cyclic component, each as its edges in order (the last edge returns to
    /// the first edge's `from`), sorted by starting node.
    pub(crate) fn cycles(&self) -> Vec<Vec<CycleEdge>> {
        let mut out = Vec::new();
        for component in tarjan_scc(&self.graph) {
            let cyclic = component.len() > 1
                || component
                    .first()
                    .is_some_and(|&n| self.graph.find_edge(n, n).is_some());
            if !cyclic {
                continue;
            }
            let Some(&start) = component.iter().min_by_key(|&&n| self.graph[n]) else {
                continue;
            };
            if let Some(cycle) = self.cycle_through(start, &component) {
                out.push(cycle);
            }
        }
        out.sort_by_key(|c| c.first().map(|e| e.from));
        out
    }

    /// The shortest cycle from `start` back to itself inside `component` (breadth-first, edges
    /// taken in insertion order, so the result is deterministic).
    fn cycle_through(&self, start: NodeIndex, component: &[NodeIndex]) -> Option<Vec<CycleEdge>> {
        let mut parent: Vec<Option<(NodeIndex, Span)>> = vec![None; self.graph.node_count()];
        let mut queue = std::collections::VecDeque::from([start]);
        let mut seen = vec![false; self.graph.node_count()];
        while let Some(node) = queue.pop_front() {
            let mut edges: Vec<_> = self.graph.edges(node).collect();
            edges.sort_by_key(|e| e.id());
            for edge in edges {
                let next = edge.target();
                if !component.contains(&next) {
                    continue;
                }
                if next == start {
                    let mut path = vec![CycleEdge {
                        from: self.graph[node],
                        to: self.graph[start],
                        span: *edge.weight(),
                    }];
                    let mut at = node;
                    while at != start {
                        let (prev, span) = parent.get(at.index()).copied().flatten()?;
                        path.push(CycleEdge {
                            from: self.graph[prev],
                            to: self.graph[at],
                            span,
                        });
                        at = prev;
                    }
                    path.reverse();
                    return Some(path);
                }
                if seen.get(next.index()).copied().unwrap_or(true) {
                    continue;
                }
                if let Some(s) = seen.get_mut(next.index()) {
                    *s = true;
                }
                if let Some(p) = parent.get_mut(next.index()) {
                    *p = Some((node, *edge.weight()));
                }
                queue.push_back(next);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(n: u32) -> Span {
        Span::new(n, n + 1)
    }

    #[test]
    fn finds_one_cycle_per_component_from_the_smallest_node() {
        let mut g = RefGraph::default();
        g.add_edge(2, 1, sp(21));
        g.add_edge(1, 2, sp(12));
        g.add_edge(3, 3, sp(33));
        g.add_edge(4, 1, sp(41));
        let cycles = g.cycles();
        assert_eq!(cycles.len(), 2);
        let ids: Vec<Vec<(usize, usize)>> = cycles
            .iter()
            .map(|c| c.iter().map(|e| (e.from, e.to)).collect())
            .collect();
        assert_eq!(ids, vec![vec![(1, 2), (2, 1)], vec![(3, 3)]]);
        assert_eq!(cycles[0][0].span, sp(12));
    }

    #[test]
    fn acyclic_graph_has_no_cycles() {
        let mut g = RefGraph::default();
        g.add_edge(0, 1, sp(0));
        g.add_edge(1, 2, sp(1));
        g.add_edge(0, 2, sp(2));
        assert!(g.cycles().is_empty());
    }
}
