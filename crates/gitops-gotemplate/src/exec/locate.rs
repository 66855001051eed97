//! Finds the node an error is "at" and prints it as Go's `Node.String()` does.
//!
//! The executor only records a position and a node kind while it runs (cheap); the node
//! text is recovered from the tree when an error is reported.

use crate::parse::node::{Arena, Arg, Command, Node, Pipe, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AtKind {
    Action,
    Branch,
    Template,
    Pipe,
    Command,
    Arg,
}

pub(crate) fn find(src: &str, ar: &Arena, list: Span, pos: usize, kind: AtKind) -> Option<String> {
    for n in ar.list(list) {
        if let Some(s) = find_node(src, ar, n, pos, kind) {
            return Some(s);
        }
    }
    None
}

fn find_node(src: &str, ar: &Arena, n: &Node, pos: usize, kind: AtKind) -> Option<String> {
    match n {
        Node::Text(..) | Node::Break | Node::Continue => None,
        Node::Action(p) => {
            let pipe = ar.pipe(*p);
            if kind == AtKind::Action && pipe.pos == pos {
                let mut s = String::new();
                n.write(ar, src, &mut s);
                return Some(s);
            }
            find_pipe(ar, pipe, pos, kind)
        }
        Node::If(b) | Node::Range(b) | Node::With(b) => {
            if kind == AtKind::Branch && b.pos == pos {
                let mut s = String::new();
                n.write(ar, src, &mut s);
                return Some(s);
            }
            find_pipe(ar, ar.pipe(b.pipe), pos, kind)
                .or_else(|| find(src, ar, b.list, pos, kind))
                .or_else(|| b.else_list.and_then(|e| find(src, ar, e, pos, kind)))
        }
        Node::Template(t) => {
            if kind == AtKind::Template && t.pos == pos {
                let mut s = String::new();
                n.write(ar, src, &mut s);
                return Some(s);
            }
            t.pipe.and_then(|p| find_pipe(ar, ar.pipe(p), pos, kind))
        }
    }
}

fn find_pipe(ar: &Arena, p: &Pipe, pos: usize, kind: AtKind) -> Option<String> {
    if kind == AtKind::Pipe && p.pos == pos {
        return Some(p.to_go_string(ar));
    }
    for c in ar.cmds(p) {
        if let Some(s) = find_cmd(ar, c, pos, kind) {
            return Some(s);
        }
    }
    None
}

fn find_cmd(ar: &Arena, c: &Command, pos: usize, kind: AtKind) -> Option<String> {
    if kind == AtKind::Command && c.pos == pos {
        return Some(c.to_go_string(ar));
    }
    for a in ar.args(c) {
        if let Some(s) = find_arg(ar, a, pos, kind) {
            return Some(s);
        }
    }
    None
}

fn find_arg(ar: &Arena, a: &Arg, pos: usize, kind: AtKind) -> Option<String> {
    match a {
        Arg::Pipe { id, .. } => find_pipe(ar, ar.pipe(*id), pos, kind),
        Arg::Chain { node, pos: p, .. } => {
            if kind == AtKind::Arg && *p == pos {
                return Some(a.to_go_string(ar));
            }
            find_arg(ar, ar.arg(*node), pos, kind)
        }
        _ => (kind == AtKind::Arg && a.pos() == pos).then(|| a.to_go_string(ar)),
    }
}
