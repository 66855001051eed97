//! Parse-tree nodes and their Go `String()` forms (used in error messages).
//!
//! The nodes of one parse (a file and its `define`s) live in one [`Arena`]: lists of
//! nodes, pipelines, commands and arguments are contiguous runs of its vectors, referred to
//! by [`Span`]s and indexes. Parsing a file therefore allocates a handful of vectors instead
//! of one box per node, and dropping it frees them at once.

use crate::value::Str;
use std::sync::Arc;

/// A run of `len` items starting at `start` in one of the arena's vectors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: u32,
    pub len: u32,
}

impl Span {
    #[inline]
    pub(crate) fn range(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// A byte range of the parsed text (identifiers and field paths are slices of the source,
/// so they cost no allocation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub(crate) fn new(start: usize, end: usize) -> Self {
        TextRange {
            start: start as u32,
            end: end as u32,
        }
    }
}

/// The nodes of one parse.
#[derive(Debug, Default)]
pub(crate) struct Arena {
    /// The parsed text.
    pub text: Arc<str>,
    pub nodes: Vec<Node>,
    pub pipes: Vec<Pipe>,
    pub cmds: Vec<Command>,
    pub args: Vec<Arg>,
    pub decls: Vec<Str>,
    pub numbers: Vec<Number>,
}

impl Arena {
    #[inline]
    pub(crate) fn str(&self, r: TextRange) -> &str {
        &self.text[r.start as usize..r.end as usize]
    }
    #[inline]
    pub(crate) fn list(&self, s: Span) -> &[Node] {
        &self.nodes[s.range()]
    }
    #[inline]
    pub(crate) fn pipe(&self, id: u32) -> &Pipe {
        &self.pipes[id as usize]
    }
    #[inline]
    pub(crate) fn cmds(&self, p: &Pipe) -> &[Command] {
        &self.cmds[p.cmds.range()]
    }
    #[inline]
    pub(crate) fn args(&self, c: &Command) -> &[Arg] {
        &self.args[c.args.range()]
    }
    #[inline]
    pub(crate) fn decl(&self, p: &Pipe) -> &[Str] {
        &self.decls[p.decl.range()]
    }
    #[inline]
    pub(crate) fn arg(&self, id: u32) -> &Arg {
        &self.args[id as usize]
    }
    #[inline]
    pub(crate) fn number(&self, id: u32) -> &Number {
        &self.numbers[id as usize]
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A byte range of the tree's text.
    Text(usize, usize),
    /// `{{ pipeline }}`: the pipeline's index.
    Action(u32),
    If(Branch),
    Range(Branch),
    With(Branch),
    Template(TemplateCall),
    Break,
    Continue,
}

#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub pipe: u32,
    pub list: Span,
    pub else_list: Option<Span>,
    /// Position of the keyword's pipeline (for errors).
    pub pos: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct TemplateCall {
    pub pos: usize,
    pub name: Str,
    pub pipe: Option<u32>,
}

#[derive(Debug, Clone)]
pub(crate) struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    pub decl: Span,
    pub cmds: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct Command {
    pub pos: usize,
    pub args: Span,
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
    /// `.a.b.c`: the path without its leading dot (`a.b.c`).
    Field {
        pos: usize,
        path: TextRange,
    },
    /// `$x.a.b`: the whole text.
    Variable {
        pos: usize,
        path: TextRange,
    },
    Identifier {
        pos: usize,
        name: TextRange,
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
        num: u32,
    },
    /// A string constant. Its value is made on first use (most constants of a chart sit
    /// in branches a render never takes); an escaped one is unquoted when parsed.
    String {
        pos: usize,
        quoted: TextRange,
        text: std::sync::OnceLock<Str>,
    },
    /// A parenthesized pipeline (its index).
    Pipe {
        pos: usize,
        id: u32,
    },
    Chain {
        pos: usize,
        /// Index of the chained node in the arena's arguments.
        node: u32,
        /// The chained fields without the leading dot (`a.b`).
        fields: TextRange,
    },
}

impl Arg {
    /// The value of a string constant.
    pub(crate) fn string_value(
        ar: &Arena,
        quoted: TextRange,
        text: &std::sync::OnceLock<Str>,
    ) -> Str {
        text.get_or_init(|| {
            let q = ar.str(quoted);
            Str::from(&q[1..q.len() - 1])
        })
        .clone()
    }

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
            | Arg::Chain { pos, .. }
            | Arg::Pipe { pos, .. } => *pos,
        }
    }

    pub(crate) fn write(&self, ar: &Arena, out: &mut String) {
        match self {
            Arg::Field { path, .. } => {
                out.push('.');
                out.push_str(ar.str(*path));
            }
            Arg::Variable { path, .. } => out.push_str(ar.str(*path)),
            Arg::Identifier { name, .. } => out.push_str(ar.str(*name)),
            Arg::Dot { .. } => out.push('.'),
            Arg::Nil { .. } => out.push_str("nil"),
            Arg::Bool { val, .. } => out.push_str(if *val { "true" } else { "false" }),
            Arg::Number { num, .. } => out.push_str(&ar.number(*num).text),
            Arg::String { quoted, .. } => out.push_str(ar.str(*quoted)),
            Arg::Pipe { id, .. } => ar.pipe(*id).write(ar, out),
            Arg::Chain { node, fields, .. } => {
                let node = ar.arg(*node);
                if let Arg::Pipe { id, .. } = node {
                    out.push('(');
                    ar.pipe(*id).write(ar, out);
                    out.push(')');
                } else {
                    node.write(ar, out);
                }
                out.push('.');
                out.push_str(ar.str(*fields));
            }
        }
    }

    pub(crate) fn to_go_string(&self, ar: &Arena) -> String {
        let mut s = String::new();
        self.write(ar, &mut s);
        s
    }
}

impl Command {
    pub(crate) fn write(&self, ar: &Arena, out: &mut String) {
        for (i, a) in ar.args(self).iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            if let Arg::Pipe { id, .. } = a {
                out.push('(');
                ar.pipe(*id).write(ar, out);
                out.push(')');
            } else {
                a.write(ar, out);
            }
        }
    }
    pub(crate) fn to_go_string(&self, ar: &Arena) -> String {
        let mut s = String::new();
        self.write(ar, &mut s);
        s
    }
}

impl Pipe {
    pub(crate) fn write(&self, ar: &Arena, out: &mut String) {
        let decl = ar.decl(self);
        if !decl.is_empty() {
            for (i, d) in decl.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(d);
            }
            out.push_str(" := ");
        }
        for (i, c) in ar.cmds(self).iter().enumerate() {
            if i > 0 {
                out.push_str(" | ");
            }
            c.write(ar, out);
        }
    }
    pub(crate) fn to_go_string(&self, ar: &Arena) -> String {
        let mut s = String::new();
        self.write(ar, &mut s);
        s
    }
}

/// Writes a list of nodes; `src` is the text of the tree they belong to.
pub(crate) fn write_list(ar: &Arena, src: &str, list: Span, out: &mut String) {
    for n in ar.list(list) {
        n.write(ar, src, out);
    }
}

impl Node {
    /// Go's `String()`; `src` is the text of the tree the node belongs to.
    pub(crate) fn write(&self, ar: &Arena, src: &str, out: &mut String) {
        match self {
            Node::Text(a, b) => out.push_str(&src[*a..*b]),
            Node::Action(p) => {
                out.push_str("{{");
                ar.pipe(*p).write(ar, out);
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
                ar.pipe(b.pipe).write(ar, out);
                out.push_str("}}");
                write_list(ar, src, b.list, out);
                if let Some(e) = b.else_list {
                    out.push_str("{{else}}");
                    write_list(ar, src, e, out);
                }
                out.push_str("{{end}}");
            }
            Node::Template(t) => {
                out.push_str("{{template ");
                out.push_str(&crate::funcs::strings::go_quote(&t.name, false));
                if let Some(p) = t.pipe {
                    out.push(' ');
                    ar.pipe(p).write(ar, out);
                }
                out.push_str("}}");
            }
            Node::Break => out.push_str("{{break}}"),
            Node::Continue => out.push_str("{{continue}}"),
        }
    }
}

/// Whether a tree is empty of everything but space (Go's `parse.IsEmptyTree`).
pub(crate) fn is_empty_tree(ar: &Arena, src: &str, list: Span) -> bool {
    ar.list(list).iter().all(|n| match n {
        Node::Text(a, b) => src[*a..*b].trim().is_empty(),
        _ => false,
    })
}
