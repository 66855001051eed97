//! Parse-tree nodes and their Go `String()` forms (used in error messages).

use crate::value::Str;
use std::sync::Arc;

/// A list of nodes.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListNode {
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(Str),
    Action(Action),
    If(Branch),
    Range(Branch),
    With(Branch),
    Template(TemplateCall),
    Break,
    Continue,
}

#[derive(Debug, Clone)]
pub(crate) struct Action {
    pub pipe: Pipe,
}

#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub pipe: Pipe,
    pub list: ListNode,
    pub else_list: Option<ListNode>,
    /// Position of the keyword's pipeline (for errors).
    pub pos: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct TemplateCall {
    pub pos: usize,
    pub name: Str,
    pub pipe: Option<Pipe>,
}

#[derive(Debug, Clone)]
pub(crate) struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    pub decl: Vec<Str>,
    pub cmds: Vec<Command>,
}

#[derive(Debug, Clone)]
pub(crate) struct Command {
    pub pos: usize,
    pub args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub(crate) struct Number {
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub is_complex: bool,
    pub int: i64,
    pub float: f64,
    pub text: Str,
}

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Field {
        pos: usize,
        idents: Arc<[Str]>,
    },
    Variable {
        pos: usize,
        idents: Arc<[Str]>,
    },
    Identifier {
        pos: usize,
        name: Str,
    },
    Dot {
        pos: usize,
    },
    Nil {
        pos: usize,
    },
    Bool {
        pos: usize,
        val: bool,
    },
    Number {
        pos: usize,
        num: Arc<Number>,
    },
    String {
        pos: usize,
        quoted: Str,
        text: Str,
    },
    Pipe(Box<Pipe>),
    Chain {
        pos: usize,
        node: Box<Arg>,
        fields: Arc<[Str]>,
    },
}

impl Arg {
    pub(crate) fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Identifier { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Bool { pos, .. }
            | Arg::Number { pos, .. }
            | Arg::String { pos, .. }
            | Arg::Chain { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }

    pub(crate) fn write(&self, out: &mut String) {
        match self {
            Arg::Field { idents, .. } => {
                for i in idents.iter() {
                    out.push('.');
                    out.push_str(i);
                }
            }
            Arg::Variable { idents, .. } => {
                for (k, i) in idents.iter().enumerate() {
                    if k > 0 {
                        out.push('.');
                    }
                    out.push_str(i);
                }
            }
            Arg::Identifier { name, .. } => out.push_str(name),
            Arg::Dot { .. } => out.push('.'),
            Arg::Nil { .. } => out.push_str("nil"),
            Arg::Bool { val, .. } => out.push_str(if *val { "true" } else { "false" }),
            Arg::Number { num, .. } => out.push_str(&num.text),
            Arg::String { quoted, .. } => out.push_str(quoted),
            Arg::Pipe(p) => p.write(out),
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(p) = node.as_ref() {
                    out.push('(');
                    p.write(out);
                    out.push(')');
                } else {
                    node.write(out);
                }
                for f in fields.iter() {
                    out.push('.');
                    out.push_str(f);
                }
            }
        }
    }

    pub(crate) fn to_go_string(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }
}

impl Command {
    pub(crate) fn write(&self, out: &mut String) {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            if let Arg::Pipe(p) = a {
                out.push('(');
                p.write(out);
                out.push(')');
            } else {
                a.write(out);
            }
        }
    }
    pub(crate) fn to_go_string(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }
}

impl Pipe {
    pub(crate) fn write(&self, out: &mut String) {
        if !self.decl.is_empty() {
            for (i, d) in self.decl.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(d);
            }
            out.push_str(" := ");
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                out.push_str(" | ");
            }
            c.write(out);
        }
    }
    pub(crate) fn to_go_string(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }
}

impl ListNode {
    pub(crate) fn write(&self, out: &mut String) {
        for n in &self.nodes {
            n.write(out);
        }
    }
}

impl Node {
    pub(crate) fn write(&self, out: &mut String) {
        match self {
            Node::Text(t) => out.push_str(t),
            Node::Action(a) => {
                out.push_str("{{");
                a.pipe.write(out);
                out.push_str("}}");
            }
            Node::If(b) | Node::Range(b) | Node::With(b) => {
                let name = match self {
                    Node::If(_) => "if",
                    Node::Range(_) => "range",
                    _ => "with",
                };
                out.push_str("{{");
                out.push_str(name);
                out.push(' ');
                b.pipe.write(out);
                out.push_str("}}");
                b.list.write(out);
                if let Some(e) = &b.else_list {
                    out.push_str("{{else}}");
                    e.write(out);
                }
                out.push_str("{{end}}");
            }
            Node::Template(t) => {
                out.push_str("{{template ");
                out.push_str(&crate::funcs::strings::go_quote(&t.name, false));
                if let Some(p) = &t.pipe {
                    out.push(' ');
                    p.write(out);
                }
                out.push_str("}}");
            }
            Node::Break => out.push_str("{{break}}"),
            Node::Continue => out.push_str("{{continue}}"),
        }
    }
}

/// Whether a tree is empty of everything but space (Go's `parse.IsEmptyTree`).
pub(crate) fn is_empty_tree(list: &ListNode) -> bool {
    list.nodes.iter().all(|n| match n {
        Node::Text(t) => t.trim().is_empty(),
        _ => false,
    })
}
