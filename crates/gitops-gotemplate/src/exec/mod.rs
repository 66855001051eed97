//! The executor: walks parse trees over values, with Go's semantics and error messages.

mod builtins;
mod locate;

use crate::EngineInner;
use crate::error::Error;
use crate::funcs::{ArgType, Builtin, Function, Imp};
use crate::parse::Tree;
use crate::parse::node::{Arena, Arg, Branch, Command, Node, Pipe, Span, TemplateCall};
use crate::value::{ElemType, MapKind, Str, Value};
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) use locate::AtKind;

/// Templates by name.
pub(crate) type TreeMap = rustc_hash::FxHashMap<Str, Arc<Tree>>;

const RED_ZONE: usize = 128 * 1024;
const STACK_GROW: usize = 4 * 1024 * 1024;

/// The value of dot, remembering whether it came out of an `interface{}` container
/// (Go reports such receivers as `interface {}` in errors).
#[derive(Clone, Debug)]
pub(crate) struct Dot {
    pub v: Value,
    pub iface: bool,
}

impl Dot {
    fn plain(v: Value) -> Dot {
        Dot { v, iface: false }
    }
}

enum Flow {
    Normal,
    Break,
    Continue,
}

/// State shared by an execution and every `include`/`tpl` it runs.
pub(crate) struct Shared {
    pub included: rustc_hash::FxHashMap<Str, usize>,
    pub tpl_cache: HashMap<String, Arc<TreeMap>>,
    pub nesting: usize,
}

pub(crate) struct Exec<'e> {
    pub engine: &'e EngineInner,
    pub base: &'e TreeMap,
    /// Templates added by `tpl`, searched before `base`, innermost last.
    pub scopes: Vec<Arc<TreeMap>>,
    pub shared: Shared,
    vars: Vec<(Str, Value)>,
    /// Variables of the template executing now start here (each template has its own).
    var_base: usize,
    depth: usize,
    tree: Arc<Tree>,
    name: Str,
    at: Option<(usize, AtKind)>,
    out: String,
    /// Output buffers of finished `include`s, reused by the next ones.
    pool: Vec<String>,
}

static EMPTY_TREE: std::sync::LazyLock<Arc<Tree>> = std::sync::LazyLock::new(|| {
    Arc::new(Tree {
        name: Str::from(""),
        parse_name: Str::from(""),
        text: Arc::from(""),
        root: Span::default(),
        arena: Arc::new(Arena::default()),
    })
});

static DOLLAR: std::sync::LazyLock<Str> = std::sync::LazyLock::new(|| Str::from("$"));

/// Executor results carry a boxed error, so that the `Ok` values moved around on every
/// node stay small.
pub(crate) type XResult<T> = Result<T, Box<Error>>;

/// Result of evaluating a pipeline: `None` is Go's "missing" sentinel for `final`.
type Final = Option<Value>;

impl<'e> Exec<'e> {
    pub(crate) fn new(engine: &'e EngineInner, base: &'e TreeMap) -> Self {
        Exec {
            engine,
            base,
            scopes: Vec::new(),
            shared: Shared {
                included: rustc_hash::FxHashMap::default(),
                tpl_cache: HashMap::new(),
                nesting: 0,
            },
            vars: Vec::with_capacity(16),
            var_base: 0,
            depth: 0,
            tree: EMPTY_TREE.clone(),
            name: EMPTY_TREE.name.clone(),
            at: None,
            out: String::new(),
            pool: Vec::new(),
        }
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<Arc<Tree>> {
        for s in self.scopes.iter().rev() {
            if let Some(t) = s.get(name) {
                return Some(t.clone());
            }
        }
        self.base.get(name).cloned()
    }

    fn set_name(&self) -> String {
        self.engine.root_name.clone()
    }

    /// `ExecuteTemplate`: runs the named template in a fresh state and returns its output.
    pub(crate) fn execute_named(&mut self, name: &str, data: Value) -> XResult<String> {
        let Some(tree) = self.lookup(name) else {
            return Err(Box::new(Error::NoTemplate {
                message: format!(
                    "template: no template {} associated with template {}",
                    crate::funcs::strings::go_quote(name, false),
                    crate::funcs::strings::go_quote(&self.set_name(), false)
                ),
            }));
        };
        self.execute_tree(tree, data)
    }

    pub(crate) fn execute_tree(&mut self, tree: Arc<Tree>, data: Value) -> XResult<String> {
        if self.shared.nesting >= self.engine.options.max_nesting {
            return Err(Box::new(Error::func(format!(
                "exceeded maximum nesting of include/tpl ({})",
                self.engine.options.max_nesting
            ))));
        }
        self.shared.nesting += 1;
        let (saved_base, saved_len) = (self.var_base, self.vars.len());
        self.var_base = saved_len;
        self.vars.push((DOLLAR.clone(), data.clone()));
        let saved_depth = std::mem::replace(&mut self.depth, 0);
        let saved_name = std::mem::replace(&mut self.name, tree.name.clone());
        let saved_tree = std::mem::replace(&mut self.tree, tree.clone());
        let buf = match self.pool.pop() {
            Some(b) => b,
            // a file's output is about as long as its text; a `define`'s is usually short
            None if tree.name == tree.parse_name => String::with_capacity(tree.text.len() + 64),
            None => String::with_capacity(64),
        };
        let saved_out = std::mem::replace(&mut self.out, buf);
        let saved_at = self.at.take();
        let r = stacker::maybe_grow(RED_ZONE, STACK_GROW, || {
            self.walk_list(&tree.arena, &Dot::plain(data), tree.root)
        });
        let out = std::mem::replace(&mut self.out, saved_out);
        self.vars.truncate(saved_len);
        self.var_base = saved_base;
        self.depth = saved_depth;
        self.name = saved_name;
        self.tree = saved_tree;
        self.at = saved_at;
        self.shared.nesting -= 1;
        r.map(|_| out)
    }

    /// Hands an output buffer back for reuse.
    pub(crate) fn recycle(&mut self, mut s: String) {
        if self.pool.len() < 16 && s.capacity() <= 1 << 16 {
            s.clear();
            self.pool.push(s);
        }
    }

    // ---- errors ----

    fn at(&mut self, pos: usize, kind: AtKind) {
        self.at = Some((pos, kind));
    }

    #[cold]
    pub(crate) fn errorf(&self, msg: impl AsRef<str>) -> Box<Error> {
        self.error_with(msg.as_ref().to_string(), None)
    }

    #[cold]
    fn error_with(&self, msg: String, cause: Option<Box<Error>>) -> Box<Error> {
        let message = match self.at {
            None => format!("template: {}: {}", self.name, msg),
            Some((pos, kind)) => {
                let location = self.tree.location(pos);
                let context =
                    locate::find(&self.tree.text, &self.tree.arena, self.tree.root, pos, kind)
                        .unwrap_or_default();
                format!(
                    "template: {}: executing {} at <{}>: {}",
                    location,
                    crate::funcs::strings::go_quote(&self.name, false),
                    context,
                    msg
                )
            }
        };
        Box::new(Error::Exec {
            name: self.name.to_string(),
            message,
            cause,
        })
    }

    // ---- walking ----

    fn walk_list(&mut self, ar: &Arena, dot: &Dot, list: Span) -> XResult<Flow> {
        for n in ar.list(list) {
            match self.walk(ar, dot, n)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, ar: &Arena, dot: &Dot, node: &Node) -> XResult<Flow> {
        match node {
            Node::Text(a, b) => self.out.push_str(&self.tree.text[*a..*b]),
            Node::Action(p) => {
                let pipe = ar.pipe(*p);
                self.at(pipe.pos, AtKind::Action);
                let v = self.eval_pipeline(ar, dot, pipe)?;
                if pipe.decl.len == 0 {
                    self.at(pipe.pos, AtKind::Action);
                    self.print_value(&v);
                }
            }
            Node::If(b) => {
                self.at(b.pos, AtKind::Branch);
                return self.walk_if_with(ar, dot, b, false);
            }
            Node::With(b) => {
                self.at(b.pos, AtKind::Branch);
                return self.walk_if_with(ar, dot, b, true);
            }
            Node::Range(b) => {
                self.at(b.pos, AtKind::Branch);
                return self.walk_range(ar, dot, b);
            }
            Node::Template(t) => {
                self.at(t.pos, AtKind::Template);
                self.walk_template(ar, dot, t)?;
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn print_value(&mut self, v: &Value) {
        match v {
            Value::Invalid => self.out.push_str("<no value>"),
            Value::String(s) => self.out.push_str(s),
            _ => crate::fmt::write_value(&mut self.out, v),
        }
    }

    fn walk_if_with(&mut self, ar: &Arena, dot: &Dot, b: &Branch, with: bool) -> XResult<Flow> {
        let mark = self.vars.len();
        let r = (|| {
            let val = self.eval_pipeline(ar, dot, ar.pipe(b.pipe))?;
            if val.truthy() {
                if with {
                    self.walk_list(ar, &Dot::plain(val), b.list)
                } else {
                    self.walk_list(ar, dot, b.list)
                }
            } else if let Some(e) = b.else_list {
                self.walk_list(ar, dot, e)
            } else {
                Ok(Flow::Normal)
            }
        })();
        self.vars.truncate(mark);
        r
    }

    fn walk_range(&mut self, ar: &Arena, dot: &Dot, r: &Branch) -> XResult<Flow> {
        let mark0 = self.vars.len();
        let res = self.walk_range_inner(ar, dot, r);
        self.vars.truncate(mark0);
        res.map(|_| Flow::Normal)
    }

    fn one_iteration(
        &mut self,
        ar: &Arena,
        r: &Branch,
        mark: usize,
        index: Value,
        elem: Dot,
    ) -> XResult<Flow> {
        let pipe = ar.pipe(r.pipe);
        let decl = ar.decl(pipe);
        if !decl.is_empty() {
            if pipe.is_assign {
                if decl.len() > 1 {
                    self.set_var(&decl[0], index.clone())?;
                } else {
                    self.set_var(&decl[0], elem.v.clone())?;
                }
            } else {
                self.set_top_var(1, elem.v.clone());
            }
        }
        if decl.len() > 1 {
            if pipe.is_assign {
                self.set_var(&decl[1], elem.v.clone())?;
            } else {
                self.set_top_var(2, index);
            }
        }
        let res = self.walk_list(ar, &elem, r.list);
        self.vars.truncate(mark);
        match res? {
            Flow::Break => Ok(Flow::Break),
            _ => Ok(Flow::Normal),
        }
    }

    fn walk_range_inner(&mut self, ar: &Arena, dot: &Dot, r: &Branch) -> XResult<()> {
        let val = self.eval_pipeline(ar, dot, ar.pipe(r.pipe))?;
        let val = if matches!(val, Value::Nil) {
            Value::Invalid
        } else {
            val
        };
        let mark = self.vars.len();
        match &val {
            Value::Int(n) | Value::Int64(n) => {
                if ar.pipe(r.pipe).decl.len > 1 {
                    return Err(self.errorf(format!(
                        "can't use {val} to iterate over more than one variable"
                    )));
                }
                if *n > 0 {
                    let int64 = matches!(val, Value::Int64(_));
                    for i in 0..*n {
                        let e = if int64 {
                            Value::Int64(i)
                        } else {
                            Value::Int(i)
                        };
                        if let Flow::Break =
                            self.one_iteration(ar, r, mark, Value::Invalid, Dot::plain(e))?
                        {
                            break;
                        }
                    }
                    return Ok(());
                }
            }
            Value::List(l) if !l.is_empty() => {
                let iface = l.elem() == ElemType::Interface;
                for (i, e) in l.items().iter().enumerate() {
                    let d = Dot {
                        v: e.clone(),
                        iface,
                    };
                    if let Flow::Break = self.one_iteration(ar, r, mark, Value::Int(i as i64), d)? {
                        break;
                    }
                }
                return Ok(());
            }
            Value::Bytes(b) if !b.is_empty() => {
                for (i, e) in b.iter().enumerate() {
                    let d = Dot::plain(Value::Int(i64::from(*e)));
                    if let Flow::Break = self.one_iteration(ar, r, mark, Value::Int(i as i64), d)? {
                        break;
                    }
                }
                return Ok(());
            }
            Value::Map(m) if !m.is_empty() => {
                let iface = m.kind() != MapKind::String;
                for (k, v) in m.entries() {
                    let d = Dot { v, iface };
                    if let Flow::Break = self.one_iteration(ar, r, mark, Value::String(k), d)? {
                        break;
                    }
                }
                return Ok(());
            }
            Value::List(_) | Value::Map(_) | Value::Bytes(_) | Value::Invalid => {}
            Value::Object(o) if o.kind_name() == "slice" || o.kind_name() == "map" => {
                let data = o.to_data();
                if data.truthy() {
                    return self.range_data(ar, r, mark, data);
                }
            }
            _ => return Err(self.errorf(format!("range can't iterate over {val}"))),
        }
        if let Some(e) = r.else_list {
            self.walk_list(ar, dot, e)?;
        }
        Ok(())
    }

    fn range_data(&mut self, ar: &Arena, r: &Branch, mark: usize, data: Value) -> XResult<()> {
        match data {
            Value::List(l) => {
                for (i, e) in l.items().iter().enumerate() {
                    if let Flow::Break = self.one_iteration(
                        ar,
                        r,
                        mark,
                        Value::Int(i as i64),
                        Dot::plain(e.clone()),
                    )? {
                        break;
                    }
                }
            }
            Value::Map(m) => {
                for (k, v) in m.entries() {
                    if let Flow::Break =
                        self.one_iteration(ar, r, mark, Value::String(k), Dot::plain(v))?
                    {
                        break;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn walk_template(&mut self, ar: &Arena, dot: &Dot, t: &TemplateCall) -> XResult<()> {
        let Some(tree) = self.lookup(&t.name) else {
            return Err(self.errorf(format!(
                "template {} not defined",
                crate::funcs::strings::go_quote(&t.name, false)
            )));
        };
        if self.depth >= self.engine.options.max_exec_depth {
            return Err(self.errorf(format!(
                "exceeded maximum template depth ({})",
                self.engine.options.max_exec_depth
            )));
        }
        let new_dot = match t.pipe {
            Some(p) => self.eval_pipeline(ar, dot, ar.pipe(p))?,
            None => Value::Invalid,
        };
        let (saved_base, saved_len) = (self.var_base, self.vars.len());
        self.var_base = saved_len;
        self.vars.push((DOLLAR.clone(), new_dot.clone()));
        let saved_name = std::mem::replace(&mut self.name, tree.name.clone());
        let saved_tree = std::mem::replace(&mut self.tree, tree.clone());
        let saved_at = self.at;
        self.depth += 1;
        let r = stacker::maybe_grow(RED_ZONE, STACK_GROW, || {
            self.walk_list(&tree.arena, &Dot::plain(new_dot), tree.root)
        });
        self.depth -= 1;
        self.vars.truncate(saved_len);
        self.var_base = saved_base;
        self.name = saved_name;
        self.tree = saved_tree;
        self.at = saved_at;
        r.map(|_| ())
    }

    // ---- variables ----

    fn push_var(&mut self, name: &Str, v: Value) {
        self.vars.push((name.clone(), v));
    }

    fn set_var(&mut self, name: &str, v: Value) -> XResult<()> {
        let base = self.var_base;
        for slot in self.vars[base..].iter_mut().rev() {
            if &*slot.0 == name {
                slot.1 = v;
                return Ok(());
            }
        }
        Err(self.errorf(format!("undefined variable: {name}")))
    }

    fn set_top_var(&mut self, n: usize, v: Value) {
        let len = self.vars.len();
        if let Some(slot) = self.vars.get_mut(len - n) {
            slot.1 = v;
        }
    }

    fn var_value(&self, name: &str) -> XResult<Value> {
        for slot in self.vars[self.var_base..].iter().rev() {
            if &*slot.0 == name {
                return Ok(slot.1.clone());
            }
        }
        Err(self.errorf(format!("undefined variable: {name}")))
    }

    // ---- evaluation ----

    fn eval_pipeline(&mut self, ar: &Arena, dot: &Dot, pipe: &Pipe) -> XResult<Value> {
        self.at(pipe.pos, AtKind::Pipe);
        let mut value: Final = None;
        for cmd in ar.cmds(pipe) {
            let v = self.eval_command(ar, dot, cmd, value)?;
            // Interface values unwrap: a nil interface becomes no value.
            value = Some(if matches!(v, Value::Nil) {
                Value::Invalid
            } else {
                v
            });
        }
        let value = value.unwrap_or(Value::Invalid);
        for d in ar.decl(pipe) {
            if pipe.is_assign {
                self.set_var(d, value.clone())?;
            } else {
                self.push_var(d, value.clone());
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, ar: &Arena, args: &[Arg], fin: &Final) -> XResult<()> {
        if args.len() > 1 || fin.is_some() {
            return Err(self.errorf(format!(
                "can't give argument to non-function {}",
                args[0].to_go_string(ar)
            )));
        }
        Ok(())
    }

    fn eval_command(&mut self, ar: &Arena, dot: &Dot, cmd: &Command, fin: Final) -> XResult<Value> {
        let args = ar.args(cmd);
        let first = &args[0];
        match first {
            Arg::Field { pos, path } => {
                self.at(*pos, AtKind::Arg);
                let d = dot.clone();
                return self.eval_field_chain(ar, dot, d, ar.str(*path), Some(args), fin, *pos);
            }
            Arg::Chain { pos, node, fields } => {
                return self.eval_chain(
                    ar,
                    dot,
                    *pos,
                    ar.arg(*node),
                    ar.str(*fields),
                    Some(args),
                    fin,
                );
            }
            Arg::Identifier { pos, name } => {
                return self.eval_function(ar, dot, *pos, ar.str(*name), Some(cmd), args, fin);
            }
            Arg::Pipe { id, .. } => {
                self.not_a_function(ar, args, &fin)?;
                return self.eval_pipeline(ar, dot, ar.pipe(*id));
            }
            Arg::Variable { pos, path } => {
                return self.eval_variable(ar, dot, *pos, ar.str(*path), Some(args), fin);
            }
            _ => {}
        }
        self.at(first.pos(), AtKind::Arg);
        self.not_a_function(ar, args, &fin)?;
        match first {
            Arg::Bool { val, .. } => Ok(Value::Bool(*val)),
            Arg::Dot { .. } => Ok(dot.v.clone()),
            Arg::Nil { .. } => Err(self.errorf("nil is not a command")),
            Arg::Number { num, pos } => self.ideal_constant(ar.number(*num), *pos),
            Arg::String { quoted, text, .. } => {
                Ok(Value::String(Arg::string_value(ar, *quoted, text)))
            }
            _ => Err(self.errorf(format!("can't evaluate command {}", first.to_go_string(ar)))),
        }
    }

    fn ideal_constant(&mut self, n: &crate::parse::node::Number, pos: usize) -> XResult<Value> {
        self.at(pos, AtKind::Arg);
        let t = &n.text;
        let is_hex = t.len() > 2
            && t.starts_with('0')
            && (t.as_bytes()[1] == b'x' || t.as_bytes()[1] == b'X')
            && !t.contains(['p', 'P']);
        let is_rune = t.starts_with('\'');
        if n.is_complex {
            return Err(self.errorf(format!("complex constant {t} is not supported")));
        }
        if n.is_float && !is_hex && !is_rune && t.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Value::Float64(n.float));
        }
        if n.is_int {
            return Ok(Value::Int(n.int));
        }
        if n.is_uint {
            return Err(self.errorf(format!("{t} overflows int")));
        }
        Ok(Value::Invalid)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_chain(
        &mut self,
        ar: &Arena,
        dot: &Dot,
        pos: usize,
        node: &Arg,
        fields: &str,
        args: Option<&[Arg]>,
        fin: Final,
    ) -> XResult<Value> {
        self.at(pos, AtKind::Arg);
        if matches!(node, Arg::Nil { .. }) {
            let mut s = String::new();
            node.write(ar, &mut s);
            s.push('.');
            s.push_str(fields);
            return Err(self.errorf(format!("indirection through explicit nil in {s}")));
        }
        let pipe = self.eval_arg(ar, dot, &ArgType::Raw, node)?;
        self.eval_field_chain(ar, dot, Dot::plain(pipe), fields, args, fin, pos)
    }

    fn eval_variable(
        &mut self,
        ar: &Arena,
        dot: &Dot,
        pos: usize,
        path: &str,
        args: Option<&[Arg]>,
        fin: Final,
    ) -> XResult<Value> {
        self.at(pos, AtKind::Arg);
        let (name, rest) = match path.split_once('.') {
            Some((n, r)) => (n, Some(r)),
            None => (path, None),
        };
        let value = self.var_value(name)?;
        let Some(rest) = rest else {
            if let Some(a) = args {
                self.not_a_function(ar, a, &fin)?;
            } else if fin.is_some() {
                return Err(self.errorf(format!("can't give argument to non-function {name}")));
            }
            return Ok(value);
        };
        self.eval_field_chain(ar, dot, Dot::plain(value), rest, args, fin, pos)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field_chain(
        &mut self,
        ar: &Arena,
        dot: &Dot,
        mut receiver: Dot,
        idents: &str,
        args: Option<&[Arg]>,
        fin: Final,
        pos: usize,
    ) -> XResult<Value> {
        let (init, last) = match idents.rsplit_once('.') {
            Some((i, l)) => (i, l),
            None => ("", idents),
        };
        for id in init.split('.').filter(|_| !init.is_empty()) {
            receiver = self.eval_field(ar, dot, id, None, None, receiver, pos)?;
        }
        Ok(self.eval_field(ar, dot, last, args, fin, receiver, pos)?.v)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field(
        &mut self,
        ar: &Arena,
        dot: &Dot,
        field: &str,
        args: Option<&[Arg]>,
        fin: Final,
        receiver: Dot,
        pos: usize,
    ) -> XResult<Dot> {
        let has_args = args.is_some_and(|a| a.len() > 1) || fin.is_some();
        match &receiver.v {
            Value::Invalid => {
                if self.engine.options.missing_key_error {
                    return Err(self.errorf(format!(
                        "nil data; no entry for key {}",
                        crate::funcs::strings::go_quote(field, false)
                    )));
                }
                Ok(Dot::plain(Value::Invalid))
            }
            Value::Nil => {
                Err(self.errorf(format!("nil pointer evaluating interface {{}}.{field}")))
            }
            Value::Object(o) => {
                if let Some(sig) = o.method(field) {
                    let f = Function {
                        sig: crate::funcs::Signature {
                            params: sig.params,
                            variadic: sig.variadic,
                        },
                        imp: Imp::Native(Arc::new({
                            let o = o.clone();
                            let name = field.to_string();
                            move |a: &[Value]| o.call(&name, a).map_err(Error::func)
                        })),
                    };
                    let v = self.eval_call(
                        ar,
                        dot,
                        &f,
                        None,
                        pos,
                        AtKind::Arg,
                        field,
                        args.unwrap_or(&[]),
                        fin,
                    )?;
                    return Ok(Dot::plain(v));
                }
                if let Some(v) = o.field(field) {
                    if has_args {
                        return Err(self.errorf(format!(
                            "{field} has arguments but cannot be invoked as function"
                        )));
                    }
                    return Ok(Dot { v, iface: false });
                }
                let typ = if receiver.iface {
                    "interface {}".to_string()
                } else {
                    o.type_name()
                };
                Err(self.errorf(format!("can't evaluate field {field} in type {typ}")))
            }
            Value::Map(m) => {
                if has_args {
                    return Err(self.errorf(format!("{field} is not a method but has arguments")));
                }
                match m.get(field) {
                    Some(v) => Ok(Dot {
                        v,
                        iface: m.kind() != MapKind::String,
                    }),
                    None => {
                        if self.engine.options.missing_key_error {
                            return Err(self.errorf(format!(
                                "map has no entry for key {}",
                                crate::funcs::strings::go_quote(field, false)
                            )));
                        }
                        Ok(match m.kind() {
                            MapKind::String => Dot::plain(Value::str("")),
                            _ => Dot {
                                v: Value::Nil,
                                iface: true,
                            },
                        })
                    }
                }
            }
            Value::Time(t) => {
                // A few time.Time methods charts might use.
                let v = crate::funcs::dates::time_method(t, field);
                match v {
                    Some(v) => Ok(Dot::plain(v)),
                    None => {
                        Err(self.errorf(format!("can't evaluate field {field} in type time.Time")))
                    }
                }
            }
            other => {
                let typ = if receiver.iface {
                    "interface {}".to_string()
                } else {
                    other.type_name()
                };
                Err(self.errorf(format!("can't evaluate field {field} in type {typ}")))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_function(
        &mut self,
        ar: &Arena,
        dot: &Dot,
        pos: usize,
        name: &str,
        cmd: Option<&Command>,
        args: &[Arg],
        fin: Final,
    ) -> XResult<Value> {
        self.at(pos, AtKind::Arg);
        let engine = self.engine;
        let Some(f) = engine.funcs.get(name) else {
            return Err(self.errorf(format!(
                "{} is not a defined function",
                crate::funcs::strings::go_quote(name, false)
            )));
        };
        let (call_pos, call_kind) = match cmd {
            Some(c) => (c.pos, AtKind::Command),
            None => (pos, AtKind::Arg),
        };
        self.eval_call(ar, dot, f, cmd, call_pos, call_kind, name, args, fin)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_call(
        &mut self,
        ar: &Arena,
        dot: &Dot,
        f: &Function,
        _cmd: Option<&Command>,
        node_pos: usize,
        node_kind: AtKind,
        name: &str,
        args: &[Arg],
        fin: Final,
    ) -> XResult<Value> {
        let args = if args.is_empty() { args } else { &args[1..] };
        let sig = &f.sig;
        let mut num_in = args.len();
        if fin.is_some() {
            num_in += 1;
        }
        let num_fixed = if sig.variadic.is_some() {
            if num_in < sig.params.len() {
                return Err(self.errorf(format!(
                    "wrong number of args for {name}: want at least {} got {}",
                    sig.params.len(),
                    args.len()
                )));
            }
            sig.params.len()
        } else {
            if num_in != sig.params.len() {
                return Err(self.errorf(format!(
                    "wrong number of args for {name}: want {} got {num_in}",
                    sig.params.len()
                )));
            }
            args.len()
        };
        if let Imp::Builtin(b @ (Builtin::And | Builtin::Or)) = f.imp {
            let want = b == Builtin::Or;
            let mut v = Value::Invalid;
            for a in args {
                v = self.eval_arg(ar, dot, &ArgType::Raw, a)?;
                if v.truthy() == want {
                    return Ok(v);
                }
            }
            if let Some(fv) = fin {
                v = fv;
            }
            return Ok(v);
        }
        let mut argv: smallvec::SmallVec<[Value; 4]> = smallvec::SmallVec::with_capacity(num_in);
        let mut i = 0;
        while i < num_fixed && i < args.len() {
            argv.push(self.eval_arg(ar, dot, &sig.params[i], &args[i])?);
            i += 1;
        }
        if let Some(vt) = &sig.variadic {
            while i < args.len() {
                argv.push(self.eval_arg(ar, dot, vt, &args[i])?);
                i += 1;
            }
        }
        if let Some(fv) = fin {
            let t = if sig.variadic.is_some() {
                if num_in - 1 < num_fixed {
                    sig.params[num_in - 1].clone()
                } else {
                    sig.variadic.clone().unwrap_or(ArgType::Any)
                }
            } else {
                sig.params[sig.params.len() - 1].clone()
            };
            argv.push(self.validate_type(fv, &t, false)?);
        }
        let result = match &f.imp {
            Imp::Native(fun) => fun(&argv),
            Imp::Builtin(b) => self.call_builtin(ar, *b, &argv, args),
        };
        match result {
            Ok(v) => Ok(v),
            Err(e) => {
                self.at(node_pos, node_kind);
                let msg = e.to_string();
                Err(self.error_with(format!("error calling {name}: {msg}"), Some(Box::new(e))))
            }
        }
    }

    fn validate_type(&self, v: Value, t: &ArgType, iface: bool) -> XResult<Value> {
        let _ = iface;
        match (&v, t) {
            (_, ArgType::Raw) => Ok(v),
            (Value::Invalid, ArgType::Any) => Ok(Value::Nil),
            (Value::Invalid, ArgType::Map) => {
                Ok(Value::Map(crate::value::Map::new(MapKind::Interface)))
            }
            (Value::Invalid, ArgType::List) => Ok(Value::list(vec![])),
            (Value::Invalid, _) => {
                Err(self.errorf(format!("invalid value; expected {}", t.go_name())))
            }
            (_, ArgType::Any) => Ok(v),
            (Value::String(_), ArgType::Text)
            | (Value::Int(_), ArgType::Int)
            | (Value::Int64(_), ArgType::Int64)
            | (Value::Float64(_), ArgType::Float64)
            | (Value::Bool(_), ArgType::Bool)
            | (Value::Time(_), ArgType::Time) => Ok(v),
            (Value::Map(m), ArgType::Map) if m.kind() != MapKind::String => Ok(v),
            (Value::List(l), ArgType::List) if l.elem() == ElemType::Interface => Ok(v),
            (Value::Object(o), ArgType::Named(n)) if o.type_name() == *n => Ok(v),
            (Value::Nil, _) => Err(self.errorf(format!(
                "wrong type for value; expected {}; got interface {{}}",
                t.go_name()
            ))),
            _ => Err(self.errorf(format!(
                "wrong type for value; expected {}; got {}",
                t.go_name(),
                v.type_name()
            ))),
        }
    }

    fn eval_arg(&mut self, ar: &Arena, dot: &Dot, t: &ArgType, n: &Arg) -> XResult<Value> {
        self.at(n.pos(), AtKind::Arg);
        match n {
            Arg::Dot { .. } => return self.validate_type(dot.v.clone(), t, dot.iface),
            Arg::Nil { .. } => {
                return match t {
                    ArgType::Any => Ok(Value::Nil),
                    ArgType::Raw => Ok(Value::Invalid),
                    ArgType::Map => Ok(Value::Map(crate::value::Map::new(MapKind::Interface))),
                    ArgType::List => Ok(Value::list(vec![])),
                    _ => Err(self.errorf(format!("cannot assign nil to {}", t.go_name()))),
                };
            }
            Arg::Field { pos, path } => {
                let v =
                    self.eval_field_chain(ar, dot, dot.clone(), ar.str(*path), None, None, *pos)?;
                return self.validate_type(v, t, true);
            }
            Arg::Variable { pos, path } => {
                let v = self.eval_variable(ar, dot, *pos, ar.str(*path), None, None)?;
                return self.validate_type(v, t, false);
            }
            Arg::Pipe { id, .. } => {
                let p = ar.pipe(*id);
                let v =
                    stacker::maybe_grow(RED_ZONE, STACK_GROW, || self.eval_pipeline(ar, dot, p))?;
                return self.validate_type(v, t, false);
            }
            Arg::Identifier { pos, name } => {
                let v = self.eval_function(ar, dot, *pos, ar.str(*name), None, &[], None)?;
                return self.validate_type(v, t, false);
            }
            Arg::Chain { pos, node, fields } => {
                let v =
                    self.eval_chain(ar, dot, *pos, ar.arg(*node), ar.str(*fields), None, None)?;
                return self.validate_type(v, t, false);
            }
            _ => {}
        }
        let found = || n.to_go_string(ar);
        match t {
            ArgType::Bool => match n {
                Arg::Bool { val, .. } => Ok(Value::Bool(*val)),
                _ => Err(self.errorf(format!("expected bool; found {}", found()))),
            },
            ArgType::Float64 => match n {
                Arg::Number { num, .. } if ar.number(*num).is_float => {
                    Ok(Value::Float64(ar.number(*num).float))
                }
                _ => Err(self.errorf(format!("expected float; found {}", found()))),
            },
            ArgType::Int | ArgType::Int64 => match n {
                Arg::Number { num, .. } if ar.number(*num).is_int => {
                    let n = ar.number(*num).int;
                    Ok(if *t == ArgType::Int {
                        Value::Int(n)
                    } else {
                        Value::Int64(n)
                    })
                }
                _ => Err(self.errorf(format!("expected integer; found {}", found()))),
            },
            ArgType::Uint32 => match n {
                Arg::Number { num, .. } if ar.number(*num).is_uint => {
                    Ok(Value::Int64(ar.number(*num).int))
                }
                _ => Err(self.errorf(format!("expected unsigned integer; found {}", found()))),
            },
            ArgType::Text => match n {
                Arg::String { quoted, text, .. } => {
                    Ok(Value::String(Arg::string_value(ar, *quoted, text)))
                }
                _ => Err(self.errorf(format!("expected string; found {}", found()))),
            },
            ArgType::Any | ArgType::Raw => match n {
                Arg::Bool { val, .. } => Ok(Value::Bool(*val)),
                Arg::Number { num, pos } => self.ideal_constant(ar.number(*num), *pos),
                Arg::String { quoted, text, .. } => {
                    Ok(Value::String(Arg::string_value(ar, *quoted, text)))
                }
                _ => Err(self.errorf(format!(
                    "can't handle assignment of {} to empty interface argument",
                    found()
                ))),
            },
            _ => Err(self.errorf(format!(
                "can't handle {} for arg of type {}",
                found(),
                t.go_name()
            ))),
        }
    }
}

/// Executes `name` from `trees` over `data` with a fresh state.
pub(crate) fn execute(
    engine: &EngineInner,
    trees: &TreeMap,
    name: &str,
    data: Value,
) -> Result<String, Error> {
    let mut ex = Exec::new(engine, trees);
    ex.execute_named(name, data).map_err(|e| *e)
}
