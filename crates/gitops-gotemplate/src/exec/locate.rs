//! Finds the node an error is "at" and prints it as Go's `Node.String()` does.
//!
//! The executor only records a position and a node kind while it runs (cheap); the node
//! text is recovered from the tree when an error is reported.

use crate::parse::node::{Arg, Command, ListNode, Node, Pipe};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AtKind {
    Action,
    Branch,
    Template,
    Pipe,
    Command,
    Arg,
}

pub(crate) fn find(list: &ListNode, pos: usize, kind: AtKind) -> Option<String> {
    for n in &list.nodes {
        if let Some(s) = find_node(n, pos, kind) {
            return Some(s);
        }
    }
    None
}

fn find_node(n: &Node, pos: usize, kind: AtKind) -> Option<String> {
    match n {
        Node::Text(_) | Node::Break | Node::Continue => None,
        Node::Action(a) => {
            if kind == AtKind::Action && a.pipe.pos == pos {
                let mut s = String::new();
                n.write(&mut s);
                return Some(s);
            }
            find_pipe(&a.pipe, pos, kind)
        }
        Node::If(b) | Node::Range(b) | Node::With(b) => {
            if kind == AtKind::Branch && b.pos == pos {
                let mut s = String::new();
                n.write(&mut s);
                return Some(s);
            }
            find_pipe(&b.pipe, pos, kind)
                .or_else(|| find(&b.list, pos, kind))
                .or_else(|| b.else_list.as_ref().and_then(|e| find(e, pos, kind)))
        }
        Node::Template(t) => {
            if kind == AtKind::Template && t.pos == pos {
                let mut s = String::new();
                n.write(&mut s);
                return Some(s);
            }
            t.pipe.as_ref().and_then(|p| find_pipe(p, pos, kind))
        }
    }
}

fn find_pipe(p: &Pipe, pos: usize, kind: AtKind) -> Option<String> {
    if kind == AtKind::Pipe && p.pos == pos {
        return Some(p.to_go_string());
    }
    for c in &p.cmds {
        if let Some(s) = find_cmd(c, pos, kind) {
            return Some(s);
        }
    }
    None
}

fn find_cmd(c: &Command, pos: usize, kind: AtKind) -> Option<String> {
    if kind == AtKind::Command && c.pos == pos {
        return Some(c.to_go_string());
    }
    for a in &c.args {
        if let Some(s) = find_arg(a, pos, kind) {
            return Some(s);
        }
    }
    None
}

fn find_arg(a: &Arg, pos: usize, kind: AtKind) -> Option<String> {
    match a {
        Arg::Pipe(p) => find_pipe(p, pos, kind),
        Arg::Chain { node, pos: p, .. } => {
            if kind == AtKind::Arg && *p == pos {
                return Some(a.to_go_string());
            }
            find_arg(node, pos, kind)
        }
        _ => (kind == AtKind::Arg && a.pos() == pos).then(|| a.to_go_string()),
    }
}
