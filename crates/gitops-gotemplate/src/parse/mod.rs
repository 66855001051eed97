//! The parser: tokens to trees, with Go's grammar, checks and error messages.

pub(crate) mod node;

use crate::error::Error;
use crate::lexer::{Item, Lexer, Tok};
use crate::value::Str;
use node::{Arena, Arg, Branch, Command, Node, Number, Pipe, Span, TemplateCall, TextRange};
use std::collections::HashMap;
use std::sync::Arc;

const MAX_STACK_DEPTH: usize = 10000;
const MAX_PIPELINE_CMDS: usize = 100_000;

/// One parsed template (a file or a `define`).
#[derive(Debug)]
pub(crate) struct Tree {
    pub name: Str,
    /// Name of the top-level template being parsed (for error locations).
    pub parse_name: Str,
    pub text: Arc<str>,
    pub root: Span,
    /// The nodes of the parse this tree came from (shared with its `define`s).
    pub arena: Arc<Arena>,
}

impl Tree {
    /// Go's `ErrorContext` location: `name:line:col` (col is the 0-based byte offset in the line).
    pub(crate) fn location(&self, pos: usize) -> String {
        let pos = pos.min(self.text.len());
        let text = &self.text[..pos];
        let (line, col) = match text.rfind('\n') {
            None => (1, pos),
            Some(i) => (1 + text.matches('\n').count(), pos - (i + 1)),
        };
        format!("{}:{}:{}", self.parse_name, line, col)
    }
}

/// Parser results carry a boxed error: the `Ok` values are moved around on every token and
/// stay small this way.
type PResult<T> = Result<T, Box<Error>>;

struct Parser<'a, 'f> {
    /// The input and its tokens (lexed up front), the read position and the furthest
    /// token read so far (Go's `token[0]`, whose line parse errors report).
    input: &'a str,
    toks: Vec<Item>,
    i: usize,
    hw: usize,
    lex_err: String,
    text: Arc<str>,
    parse_name: Str,
    vars: Vec<&'a str>,
    /// Variables of the template being parsed start here (a `define` starts afresh).
    var_base: usize,
    range_depth: usize,
    action_line: usize,
    stack_depth: usize,
    has_func: &'f dyn Fn(&str) -> bool,
    /// `define`d and `block` templates: name and root list.
    trees: Vec<(Str, Span)>,
    ar: Arena,
    /// Scratch stacks: a list, pipeline or command collects its items here, then moves
    /// them to the arena as one contiguous run.
    s_nodes: Vec<Node>,
    s_cmds: Vec<Command>,
    s_args: Vec<Arg>,
}

/// Growable buffers reused by every parse on a thread: the arena is built in them and
/// copied out at its exact size, so a parse allocates a few exact-size vectors only.
#[derive(Default)]
struct Scratch {
    toks: Vec<Item>,
    ar: Arena,
    nodes: Vec<Node>,
    cmds: Vec<Command>,
    args: Vec<Arg>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// Moves the items into a vector of exactly their number, leaving `v` empty with its
/// capacity for the next parse.
#[allow(clippy::drain_collect)]
fn exact<T>(v: &mut Vec<T>) -> Vec<T> {
    v.drain(..).collect()
}

/// Parses `text` as template `name`; returns the top-level tree followed by its definitions.
pub(crate) fn parse(
    name: &str,
    text: &str,
    has_func: &dyn Fn(&str) -> bool,
) -> Result<Vec<Tree>, Error> {
    let mut sc = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
    let r = parse_with(name, text, has_func, &mut sc);
    sc.ar.nodes.clear();
    sc.ar.pipes.clear();
    sc.ar.cmds.clear();
    sc.ar.args.clear();
    sc.ar.decls.clear();
    sc.ar.numbers.clear();
    sc.nodes.clear();
    sc.cmds.clear();
    sc.args.clear();
    sc.toks.clear();
    SCRATCH.with(|s| *s.borrow_mut() = sc);
    r.map_err(|e| *e)
}

fn parse_with(
    name: &str,
    text: &str,
    has_func: &dyn Fn(&str) -> bool,
    sc: &mut Scratch,
) -> PResult<Vec<Tree>> {
    let mut lex = Lexer::new(text);
    lex.break_ok = !has_func("break");
    lex.continue_ok = !has_func("continue");
    let mut toks = std::mem::take(&mut sc.toks);
    lex.lex_all(&mut toks);
    let mut p = Parser {
        input: text,
        toks,
        i: 0,
        hw: 0,
        lex_err: std::mem::take(&mut lex.err),
        text: Arc::from(text),
        parse_name: Str::from(name),
        vars: {
            let mut v = Vec::with_capacity(16);
            v.push("$");
            v
        },
        var_base: 0,
        range_depth: 0,
        action_line: 0,
        stack_depth: 0,
        has_func,
        trees: Vec::new(),
        ar: std::mem::take(&mut sc.ar),
        s_nodes: std::mem::take(&mut sc.nodes),
        s_cmds: std::mem::take(&mut sc.cmds),
        s_args: std::mem::take(&mut sc.args),
    };
    let r = p.parse_top();
    // hand the buffers back for the next parse
    let arena = Arc::new(Arena {
        text: p.text.clone(),
        nodes: exact(&mut p.ar.nodes),
        pipes: exact(&mut p.ar.pipes),
        cmds: exact(&mut p.ar.cmds),
        args: exact(&mut p.ar.args),
        decls: exact(&mut p.ar.decls),
        numbers: exact(&mut p.ar.numbers),
    });
    sc.ar = std::mem::take(&mut p.ar);
    sc.nodes = std::mem::take(&mut p.s_nodes);
    sc.cmds = std::mem::take(&mut p.s_cmds);
    sc.args = std::mem::take(&mut p.s_args);
    sc.toks = std::mem::take(&mut p.toks);
    let root = r?;
    let mk = |name: Str, root: Span| Tree {
        name,
        parse_name: p.parse_name.clone(),
        text: p.text.clone(),
        root,
        arena: arena.clone(),
    };
    let mut out = vec![mk(Str::from(name), root)];
    // Go's treeSet for one Parse call: an empty tree may be replaced, two non-empty ones clash.
    let mut set: HashMap<Str, usize> = HashMap::new();
    set.insert(out[0].name.clone(), 0);
    for (tname, troot) in std::mem::take(&mut p.trees) {
        let t = mk(tname, troot);
        match set.get(&t.name) {
            Some(&i) if !node::is_empty_tree(&arena, &out[i].text, out[i].root) => {
                if !node::is_empty_tree(&arena, &t.text, t.root) {
                    return Err(Box::new(Error::Parse {
                        name: name.to_string(),
                        message: format!(
                            "template: {}:{}: template: multiple definition of template {}",
                            name,
                            p.toks[p.hw].line,
                            crate::funcs::strings::go_quote(&t.name, false)
                        ),
                    }));
                }
            }
            Some(&i) => out[i] = t,
            None => {
                set.insert(t.name.clone(), out.len());
                out.push(t);
            }
        }
    }
    Ok(out)
}

fn unquote(s: &str) -> Result<String, String> {
    crate::funcs::strings::go_unquote(s)
}

impl<'a> Parser<'a, '_> {
    fn flush_nodes(&mut self, mark: usize) -> Span {
        let start = self.ar.nodes.len() as u32;
        self.ar.nodes.extend(self.s_nodes.drain(mark..));
        Span {
            start,
            len: self.ar.nodes.len() as u32 - start,
        }
    }

    fn flush_cmds(&mut self, mark: usize) -> Span {
        let start = self.ar.cmds.len() as u32;
        self.ar.cmds.extend(self.s_cmds.drain(mark..));
        Span {
            start,
            len: self.ar.cmds.len() as u32 - start,
        }
    }

    fn flush_args(&mut self, mark: usize) -> Span {
        let start = self.ar.args.len() as u32;
        self.ar.args.extend(self.s_args.drain(mark..));
        Span {
            start,
            len: self.ar.args.len() as u32 - start,
        }
    }

    fn push_pipe(&mut self, p: Pipe) -> u32 {
        self.ar.pipes.push(p);
        self.ar.pipes.len() as u32 - 1
    }

    #[cold]
    fn errorf(&self, msg: impl AsRef<str>) -> Box<Error> {
        Box::new(Error::Parse {
            name: self.parse_name.to_string(),
            message: format!(
                "template: {}:{}: {}",
                self.parse_name,
                self.toks[self.hw].line,
                msg.as_ref()
            ),
        })
    }

    #[inline]
    fn at(&mut self, k: usize) -> Item {
        let k = k.min(self.toks.len() - 1);
        if k > self.hw {
            self.hw = k;
        }
        self.toks[k]
    }

    #[inline]
    fn next(&mut self) -> Item {
        let t = self.at(self.i);
        self.i += 1;
        t
    }

    #[inline]
    fn backup(&mut self) {
        self.i -= 1;
    }

    #[inline]
    fn peek(&mut self) -> Item {
        self.at(self.i)
    }

    /// The text of a token.
    #[inline]
    fn v(&self, t: &Item) -> &'a str {
        t.val(self.input)
    }

    #[inline]
    fn next_non_space(&mut self) -> Item {
        loop {
            let t = self.next();
            if t.typ != Tok::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn expect(&mut self, expected: Tok, context: &str) -> PResult<Item> {
        let t = self.next_non_space();
        if t.typ != expected {
            return Err(self.unexpected(&t, context));
        }
        Ok(t)
    }

    #[cold]
    fn unexpected(&self, token: &Item, context: &str) -> Box<Error> {
        if token.typ == Tok::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.parse_name, self.action_line
                );
                if self.lex_err.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!(
                "{}{}",
                token.describe(self.input, &self.lex_err),
                extra
            ));
        }
        self.errorf(format!(
            "unexpected {} in {}",
            token.describe(self.input, &self.lex_err),
            context
        ))
    }

    fn parse_top(&mut self) -> PResult<Span> {
        let mark = self.s_nodes.len();
        loop {
            let t = self.peek();
            if t.typ == Tok::Eof {
                break;
            }
            if t.typ == Tok::LeftDelim {
                let di = self.i;
                self.next();
                let nt = self.next_non_space();
                if nt.typ == Tok::Define {
                    self.parse_definition()?;
                    continue;
                }
                // Go's backup2(delim): read the delimiter again
                self.i = di;
            }
            let n = self.text_or_action()?;
            match n {
                Parsed::End => return Err(self.errorf("unexpected {{end}}")),
                Parsed::Else => return Err(self.errorf("unexpected {{else}}")),
                Parsed::Node(n) => self.s_nodes.push(n),
                Parsed::Skip => {}
            }
        }
        Ok(self.flush_nodes(mark))
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let name = self.next_non_space();
        if name.typ != Tok::String && name.typ != Tok::RawString {
            return Err(self.unexpected(&name, context));
        }
        let name = unquote(self.v(&name)).map_err(|e| self.errorf(e))?;
        self.expect(Tok::RightDelim, context)?;
        let (saved_base, saved_len) = (self.var_base, self.vars.len());
        self.var_base = saved_len;
        self.vars.push("$");
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars.truncate(saved_len);
        self.var_base = saved_base;
        self.range_depth = saved_range;
        if !matches!(end, Parsed::End) {
            return Err(self.errorf(format!(
                "unexpected {} in {}",
                end.describe(&self.ar, &self.text),
                context
            )));
        }
        self.trees.push((name.into(), list));
        Ok(())
    }

    fn item_list(&mut self) -> PResult<(Span, Parsed)> {
        let mark = self.s_nodes.len();
        loop {
            if self.peek_non_space().typ == Tok::Eof {
                break;
            }
            let n = self.text_or_action()?;
            match n {
                Parsed::End | Parsed::Else => return Ok((self.flush_nodes(mark), n)),
                Parsed::Node(n) => self.s_nodes.push(n),
                Parsed::Skip => {}
            }
        }
        Err(self.errorf("unexpected EOF"))
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let t = self.next_non_space();
        match t.typ {
            Tok::Text => Ok(Parsed::Node(Node::Text(t.pos, t.end))),
            Tok::LeftDelim => {
                self.action_line = t.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            _ => Err(self.unexpected(&t, "input")),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let t = self.next_non_space();
        match t.typ {
            Tok::Block => return self.block_control(),
            Tok::Break => return self.break_control(true),
            Tok::Continue => return self.break_control(false),
            Tok::Else => return self.else_control(),
            Tok::End => {
                let e = self.expect(Tok::RightDelim, "end")?;
                let _ = e;
                return Ok(Parsed::End);
            }
            Tok::If => return Ok(Parsed::Node(self.if_control()?)),
            Tok::Range => return Ok(Parsed::Node(self.range_control()?)),
            Tok::Template => return self.template_control(),
            Tok::With => return Ok(Parsed::Node(self.with_control()?)),
            _ => {}
        }
        self.backup();
        let pipe = self.pipeline("command", Tok::RightDelim)?;
        Ok(Parsed::Node(Node::Action(pipe)))
    }

    fn break_control(&mut self, is_break: bool) -> PResult<Parsed> {
        let name = if is_break {
            "{{break}}"
        } else {
            "{{continue}}"
        };
        let t = self.next_non_space();
        if t.typ != Tok::RightDelim {
            return Err(self.unexpected(&t, name));
        }
        if self.range_depth == 0 {
            return Err(self.errorf(format!("{name} outside {{{{range}}}}")));
        }
        Ok(Parsed::Node(if is_break {
            Node::Break
        } else {
            Node::Continue
        }))
    }

    fn pipeline(&mut self, context: &str, end: Tok) -> PResult<u32> {
        let t = self.peek_non_space();
        let decl_start = self.ar.decls.len() as u32;
        let mut pipe = Pipe {
            pos: t.pos,
            is_assign: false,
            decl: Span {
                start: decl_start,
                len: 0,
            },
            cmds: Span::default(),
        };
        'decls: loop {
            let v = self.peek_non_space();
            if v.typ != Tok::Variable {
                break;
            }
            let vi = self.i;
            let vval = self.v(&v);
            self.next();
            let after = self.peek();
            let next = self.peek_non_space();
            if next.typ == Tok::Assign || next.typ == Tok::Declare {
                pipe.is_assign = next.typ == Tok::Assign;
                self.next_non_space();
                let d = Str::from(vval);
                self.ar.decls.push(d);
                pipe.decl.len += 1;
                self.vars.push(vval);
            } else if next.typ == Tok::Char && self.v(&next) == "," {
                self.next_non_space();
                let d = Str::from(vval);
                self.ar.decls.push(d);
                pipe.decl.len += 1;
                self.vars.push(vval);
                if context == "range" && pipe.decl.len < 2 {
                    match self.peek_non_space().typ {
                        Tok::Variable | Tok::RightDelim | Tok::RightParen => continue 'decls,
                        _ => return Err(self.errorf("range can only initialize variables")),
                    }
                }
                return Err(self.errorf(format!("too many declarations in {context}")));
            } else {
                // Go's backup3(v, after) / backup2(v): read the variable again
                let _ = after;
                self.i = vi;
            }
            break;
        }
        let mark = self.s_cmds.len();
        loop {
            let t = self.next_non_space();
            if t.typ == end {
                self.check_pipeline(mark, context)?;
                pipe.cmds = self.flush_cmds(mark);
                return Ok(self.push_pipe(pipe));
            }
            match t.typ {
                Tok::Bool
                | Tok::CharConstant
                | Tok::Complex
                | Tok::Dot
                | Tok::Field
                | Tok::Identifier
                | Tok::Number
                | Tok::Nil
                | Tok::RawString
                | Tok::String
                | Tok::Variable
                | Tok::LeftParen => {
                    self.backup();
                    let c = self.command()?;
                    self.s_cmds.push(c);
                    if self.s_cmds.len() - mark > MAX_PIPELINE_CMDS {
                        return Err(self.errorf("pipeline too long"));
                    }
                }
                _ => return Err(self.unexpected(&t, context)),
            }
        }
    }

    fn check_pipeline(&self, mark: usize, context: &str) -> PResult<()> {
        let cmds = &self.s_cmds[mark..];
        if cmds.is_empty() {
            return Err(self.errorf(format!("missing value for {context}")));
        }
        for (i, c) in cmds.iter().enumerate().skip(1) {
            if matches!(
                self.ar.args(c).first(),
                Some(
                    Arg::Bool { .. }
                        | Arg::Dot { .. }
                        | Arg::Nil { .. }
                        | Arg::Number { .. }
                        | Arg::String { .. }
                )
            ) {
                return Err(self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    fn parse_control(&mut self, context: &str) -> PResult<Branch> {
        let mark = self.vars.len();
        let r = self.parse_control_inner(context);
        self.vars.truncate(mark);
        r
    }

    fn parse_control_inner(&mut self, context: &str) -> PResult<Branch> {
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let r = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, next) = r?;
        let mut else_list = None;
        if let Parsed::Else = next {
            if context == "if" && self.peek().typ == Tok::If {
                self.next();
                let n = self.if_control()?;
                else_list = Some(self.single(n));
            } else if context == "with" && self.peek().typ == Tok::With {
                self.next();
                let n = self.with_control()?;
                else_list = Some(self.single(n));
            } else {
                let (el, next) = self.item_list()?;
                if !matches!(next, Parsed::End) {
                    return Err(self.errorf(format!(
                        "expected end; found {}",
                        next.describe(&self.ar, &self.text)
                    )));
                }
                else_list = Some(el);
            }
        }
        let pos = self.ar.pipe(pipe).pos;
        Ok(Branch {
            pipe,
            list,
            else_list,
            pos,
        })
    }

    fn single(&mut self, n: Node) -> Span {
        self.ar.nodes.push(n);
        Span {
            start: self.ar.nodes.len() as u32 - 1,
            len: 1,
        }
    }

    fn if_control(&mut self) -> PResult<Node> {
        Ok(Node::If(self.parse_control("if")?))
    }

    fn range_control(&mut self) -> PResult<Node> {
        Ok(Node::Range(self.parse_control("range")?))
    }

    fn with_control(&mut self) -> PResult<Node> {
        Ok(Node::With(self.parse_control("with")?))
    }

    fn else_control(&mut self) -> PResult<Parsed> {
        let p = self.peek_non_space();
        if p.typ == Tok::If || p.typ == Tok::With {
            return Ok(Parsed::Else);
        }
        let t = self.expect(Tok::RightDelim, "else")?;
        {
            let _ = t;
            Ok(Parsed::Else)
        }
    }

    fn block_control(&mut self) -> PResult<Parsed> {
        let context = "block clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, context)?;
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        let (saved_base, saved_len) = (self.var_base, self.vars.len());
        self.var_base = saved_len;
        self.vars.push("$");
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let r = self.item_list();
        self.vars.truncate(saved_len);
        self.var_base = saved_base;
        self.range_depth = saved_range;
        let (list, end) = r?;
        if !matches!(end, Parsed::End) {
            return Err(self.errorf(format!(
                "unexpected {} in {}",
                end.describe(&self.ar, &self.text),
                context
            )));
        }
        self.trees.push((Str::from(name.as_str()), list));
        Ok(Parsed::Node(Node::Template(TemplateCall {
            pos: token.pos,
            name: name.into(),
            pipe: Some(pipe),
        })))
    }

    fn template_control(&mut self) -> PResult<Parsed> {
        let context = "template clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, context)?;
        let mut pipe = None;
        if self.next_non_space().typ != Tok::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(context, Tok::RightDelim)?);
        }
        Ok(Parsed::Node(Node::Template(TemplateCall {
            pos: token.pos,
            name: name.into(),
            pipe,
        })))
    }

    fn parse_template_name(&self, token: &Item, context: &str) -> PResult<String> {
        match token.typ {
            Tok::String | Tok::RawString => unquote(self.v(token)).map_err(|e| self.errorf(e)),
            _ => Err(self.unexpected(token, context)),
        }
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mark = self.s_args.len();
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                self.s_args.push(op);
            }
            let t = self.next();
            match t.typ {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                _ => return Err(self.unexpected(&t, "operand")),
            }
            break;
        }
        if self.s_args.len() == mark {
            return Err(self.errorf("empty command"));
        }
        let args = self.flush_args(mark);
        Ok(Command { pos, args })
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ == Tok::Field {
            let chain_pos = self.peek().pos;
            let mut end = chain_pos;
            while self.peek().typ == Tok::Field {
                let f = self.next();
                end = f.end;
            }
            // the field tokens are adjacent: `.a.b.c` is one slice of the input
            let chained = TextRange::new(chain_pos + 1, end);
            return Ok(Some(match node {
                Arg::Field { path, .. } => Arg::Field {
                    pos: chain_pos,
                    path: TextRange::new(path.start as usize, end),
                },
                Arg::Variable { path, .. } => Arg::Variable {
                    pos: chain_pos,
                    path: TextRange::new(path.start as usize, end),
                },
                Arg::Bool { .. }
                | Arg::String { .. }
                | Arg::Number { .. }
                | Arg::Nil { .. }
                | Arg::Dot { .. } => {
                    return Err(self.errorf(format!(
                        "unexpected . after term {}",
                        crate::funcs::strings::go_quote(&node.to_go_string(&self.ar), false)
                    )));
                }
                other => {
                    self.ar.args.push(other);
                    Arg::Chain {
                        pos: chain_pos,
                        node: self.ar.args.len() as u32 - 1,
                        fields: chained,
                    }
                }
            }));
        }
        Ok(Some(node))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        Ok(Some(match t.typ {
            Tok::Identifier => {
                if !(self.has_func)(self.v(&t)) {
                    return Err(self.errorf(format!(
                        "function {} not defined",
                        crate::funcs::strings::go_quote(self.v(&t), false)
                    )));
                }
                Arg::Identifier {
                    pos: t.pos,
                    name: TextRange::new(t.pos, t.end),
                }
            }
            Tok::Dot => Arg::Dot { pos: t.pos },
            Tok::Nil => Arg::Nil { pos: t.pos },
            Tok::Variable => {
                let val = self.v(&t);
                let first = val.split('.').next().unwrap_or(val);
                if !self.vars[self.var_base..].contains(&first) {
                    return Err(self.errorf(format!(
                        "undefined variable {}",
                        crate::funcs::strings::go_quote(first, false)
                    )));
                }
                Arg::Variable {
                    pos: t.pos,
                    path: TextRange::new(t.pos, t.end),
                }
            }
            Tok::Field => Arg::Field {
                pos: t.pos,
                path: TextRange::new(t.pos + 1, t.end),
            },
            Tok::Bool => Arg::Bool {
                pos: t.pos,
                val: self.v(&t) == "true",
            },
            Tok::CharConstant | Tok::Complex | Tok::Number => {
                let num = new_number(self.v(&t), t.typ).map_err(|e| self.errorf(e))?;
                self.ar.numbers.push(num);
                Arg::Number {
                    pos: t.pos,
                    num: self.ar.numbers.len() as u32 - 1,
                }
            }
            Tok::LeftParen => {
                if self.stack_depth >= MAX_STACK_DEPTH {
                    return Err(self.errorf("max expression depth exceeded"));
                }
                self.stack_depth += 1;
                let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    self.pipeline("parenthesized pipeline", Tok::RightParen)
                });
                self.stack_depth -= 1;
                let id = r?;
                Arg::Pipe {
                    pos: self.ar.pipe(id).pos,
                    id,
                }
            }
            Tok::String | Tok::RawString => {
                let val = self.v(&t);
                let text = std::sync::OnceLock::new();
                if t.typ != Tok::String || val.contains('\\') {
                    let s = unquote(val).map_err(|e| self.errorf(e))?;
                    let _ = text.set(Str::from(s.as_str()));
                }
                Arg::String {
                    pos: t.pos,
                    quoted: TextRange::new(t.pos, t.end),
                    text,
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

enum Parsed {
    Node(Node),
    End,
    Else,
    #[allow(dead_code)]
    Skip,
}

impl Parsed {
    fn describe(&self, ar: &Arena, src: &str) -> String {
        match self {
            Parsed::End => "{{end}}".into(),
            Parsed::Else => "{{else}}".into(),
            Parsed::Node(n) => {
                let mut s = String::new();
                n.write(ar, src, &mut s);
                s
            }
            Parsed::Skip => String::new(),
        }
    }
}

pub(crate) fn parse_go_int(text: &str) -> Option<(i128, bool)> {
    // strconv.ParseInt(text, 0, 64) semantics (and ParseUint for the unsigned flag).
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits, prefixed) =
        if let Some(r) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, r, true)
        } else if let Some(r) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, r, true)
        } else if let Some(r) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, r, true)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..], true)
        } else {
            (10, body, false)
        };
    // underscores only allowed with a base prefix, between digits
    if digits.contains('_') {
        if !prefixed && radix == 10 {
            return None;
        }
        if digits.starts_with('_')
            && radix == 8
            && !body.starts_with("0o")
            && !body.starts_with("0O")
        {
            // "0_1" is valid octal; fine
        }
        if digits.ends_with('_') || digits.contains("__") {
            return None;
        }
    }
    let clean: std::borrow::Cow<str> = if digits.contains('_') {
        digits
            .chars()
            .filter(|&c| c != '_')
            .collect::<String>()
            .into()
    } else {
        digits.into()
    };
    if clean.is_empty() {
        return None;
    }
    let v = i128::from_str_radix(&clean, radix).ok()?;
    let v = if neg { -v } else { v };
    Some((v, neg))
}

fn new_number(text: &str, typ: Tok) -> Result<Number, String> {
    let mut n = Number {
        is_int: false,
        is_uint: false,
        is_float: false,
        is_complex: false,
        int: 0,
        float: 0.0,
        text: Str::from(text),
    };
    if typ == Tok::CharConstant {
        let inner = &text[1..];
        let (c, tail) = crate::funcs::strings::go_unquote_char(inner, '\'')?;
        if tail != "'" {
            return Err(format!("malformed character constant: {text}"));
        }
        n.int = i64::from(c as u32);
        n.is_int = true;
        n.is_uint = true;
        n.float = f64::from(c as u32);
        n.is_float = true;
        return Ok(n);
    }
    if typ == Tok::Complex || text.ends_with('i') {
        n.is_complex = true;
        return Ok(n);
    }
    if let Some((v, _)) = parse_go_int(text) {
        if v >= 0 && v <= i128::from(u64::MAX) {
            n.is_uint = true;
        }
        if v >= i128::from(i64::MIN) && v <= i128::from(i64::MAX) {
            n.is_int = true;
            n.int = v as i64;
        }
        if n.is_int || n.is_uint {
            n.is_float = true;
            n.float = v as f64;
        }
    }
    if !n.is_int && !n.is_uint {
        let clean: std::borrow::Cow<str> = if text.contains('_') {
            text.chars()
                .filter(|&c| c != '_')
                .collect::<String>()
                .into()
        } else {
            text.into()
        };
        if let Ok(f) = clean.parse::<f64>()
            && !clean.contains("inf")
            && !clean.contains("nan")
            && !clean.contains("Inf")
        {
            if !text.contains(['.', 'e', 'E', 'p', 'P']) {
                return Err(format!(
                    "integer overflow: {}",
                    crate::funcs::strings::go_quote(text, false)
                ));
            }
            n.is_float = true;
            n.float = f;
            if f.fract() == 0.0
                && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f)
            {
                n.is_int = true;
                n.int = f as i64;
            }
            if f.fract() == 0.0 && (0.0..1.844_674_407_370_955_2e19).contains(&f) {
                n.is_uint = true;
            }
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!(
            "illegal number syntax: {}",
            crate::funcs::strings::go_quote(text, false)
        ));
    }
    Ok(n)
}
