//! The parser: tokens to trees, with Go's grammar, checks and error messages.

pub(crate) mod node;

use crate::error::Error;
use crate::lexer::{Item, Lexer, Tok};
use crate::value::Str;
use node::{Action, Arg, Branch, Command, ListNode, Node, Number, Pipe, TemplateCall};
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
    pub root: ListNode,
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

type PResult<T> = Result<T, Error>;

struct Parser<'a, 'f> {
    lex: Lexer<'a>,
    text: Arc<str>,
    parse_name: Str,
    token: [Option<Item<'a>>; 3],
    peek_count: usize,
    last_line: usize,
    vars: Vec<String>,
    range_depth: usize,
    action_line: usize,
    stack_depth: usize,
    has_func: &'f dyn Fn(&str) -> bool,
    trees: Vec<Tree>,
}

/// Parses `text` as template `name`; returns the top-level tree followed by its definitions.
pub(crate) fn parse(name: &str, text: &str, has_func: &dyn Fn(&str) -> bool) -> PResult<Vec<Tree>> {
    let mut lex = Lexer::new(text);
    lex.break_ok = !has_func("break");
    lex.continue_ok = !has_func("continue");
    let mut p = Parser {
        lex,
        text: Arc::from(text),
        parse_name: Str::from(name),
        token: [None, None, None],
        peek_count: 0,
        last_line: 1,
        vars: vec!["$".into()],
        range_depth: 0,
        action_line: 0,
        stack_depth: 0,
        has_func,
        trees: Vec::new(),
    };
    let root = p.parse_top()?;
    let mut out = vec![Tree {
        name: Str::from(name),
        parse_name: p.parse_name.clone(),
        text: p.text.clone(),
        root,
    }];
    // Go's treeSet for one Parse call: an empty tree may be replaced, two non-empty ones clash.
    let mut set: HashMap<Str, usize> = HashMap::new();
    set.insert(out[0].name.clone(), 0);
    for t in p.trees {
        match set.get(&t.name) {
            Some(&i) if !node::is_empty_tree(&out[i].root) => {
                if !node::is_empty_tree(&t.root) {
                    return Err(Error::Parse {
                        name: name.to_string(),
                        message: format!(
                            "template: {}:{}: template: multiple definition of template {}",
                            name,
                            p.last_line,
                            crate::funcs::strings::go_quote(&t.name, false)
                        ),
                    });
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
    fn errorf(&self, msg: impl AsRef<str>) -> Error {
        Error::Parse {
            name: self.parse_name.to_string(),
            message: format!(
                "template: {}:{}: {}",
                self.parse_name,
                self.last_line,
                msg.as_ref()
            ),
        }
    }

    fn fetch(&mut self) -> Item<'a> {
        let it = self.lex.next_item();
        self.last_line = it.line;
        it
    }

    fn next(&mut self) -> Item<'a> {
        if self.peek_count > 0 {
            self.peek_count -= 1;
            self.token[self.peek_count]
                .clone()
                .unwrap_or_else(|| self.fetch())
        } else {
            let it = self.fetch();
            self.token[0] = Some(it.clone());
            it
        }
    }

    fn backup(&mut self) {
        self.peek_count += 1;
    }

    fn backup2(&mut self, t1: Item<'a>) {
        self.token[1] = Some(t1);
        self.peek_count = 2;
    }

    fn backup3(&mut self, t2: Item<'a>, t1: Item<'a>) {
        self.token[1] = Some(t1);
        self.token[2] = Some(t2);
        self.peek_count = 3;
    }

    fn peek(&mut self) -> Item<'a> {
        if self.peek_count > 0
            && let Some(t) = &self.token[self.peek_count - 1]
        {
            return t.clone();
        }
        self.peek_count = 1;
        let it = self.fetch();
        self.token[0] = Some(it.clone());
        it
    }

    fn next_non_space(&mut self) -> Item<'a> {
        loop {
            let t = self.next();
            if t.typ != Tok::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item<'a> {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn expect(&mut self, expected: Tok, context: &str) -> PResult<Item<'a>> {
        let t = self.next_non_space();
        if t.typ != expected {
            return Err(self.unexpected(&t, context));
        }
        Ok(t)
    }

    fn unexpected(&self, token: &Item, context: &str) -> Error {
        if token.typ == Tok::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.parse_name, self.action_line
                );
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{}{}", token.describe(), extra));
        }
        self.errorf(format!("unexpected {} in {}", token.describe(), context))
    }

    fn parse_top(&mut self) -> PResult<ListNode> {
        let mut root = ListNode::default();
        loop {
            let t = self.peek();
            if t.typ == Tok::Eof {
                break;
            }
            if t.typ == Tok::LeftDelim {
                let delim = self.next();
                let nt = self.next_non_space();
                if nt.typ == Tok::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.backup2(delim);
            }
            let n = self.text_or_action()?;
            match n {
                Parsed::End => return Err(self.errorf("unexpected {{end}}")),
                Parsed::Else => return Err(self.errorf("unexpected {{else}}")),
                Parsed::Node(n) => root.nodes.push(n),
                Parsed::Skip => {}
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let name = self.next_non_space();
        if name.typ != Tok::String && name.typ != Tok::RawString {
            return Err(self.unexpected(&name, context));
        }
        let name = unquote(&name.val).map_err(|e| self.errorf(e))?;
        self.expect(Tok::RightDelim, context)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_range;
        if !matches!(end, Parsed::End) {
            return Err(self.errorf(format!("unexpected {} in {}", end.describe(), context)));
        }
        self.trees.push(Tree {
            name: name.into(),
            parse_name: self.parse_name.clone(),
            text: self.text.clone(),
            root: list,
        });
        Ok(())
    }

    fn item_list(&mut self) -> PResult<(ListNode, Parsed)> {
        let mut list = ListNode::default();
        loop {
            if self.peek_non_space().typ == Tok::Eof {
                break;
            }
            let n = self.text_or_action()?;
            match n {
                Parsed::End | Parsed::Else => return Ok((list, n)),
                Parsed::Node(n) => list.nodes.push(n),
                Parsed::Skip => {}
            }
        }
        Err(self.errorf("unexpected EOF"))
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let t = self.next_non_space();
        match t.typ {
            Tok::Text => Ok(Parsed::Node(Node::Text(Str::from(&*t.val)))),
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
        Ok(Parsed::Node(Node::Action(Action { pipe })))
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

    fn pipeline(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        let t = self.peek_non_space();
        let mut pipe = Pipe {
            pos: t.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        'decls: loop {
            let v = self.peek_non_space();
            if v.typ != Tok::Variable {
                break;
            }
            self.next();
            let after = self.peek();
            let next = self.peek_non_space();
            if next.typ == Tok::Assign || next.typ == Tok::Declare {
                pipe.is_assign = next.typ == Tok::Assign;
                self.next_non_space();
                pipe.decl.push(Str::from(&*v.val));
                self.vars.push(v.val.to_string());
            } else if next.typ == Tok::Char && next.val == "," {
                self.next_non_space();
                pipe.decl.push(Str::from(&*v.val));
                self.vars.push(v.val.to_string());
                if context == "range" && pipe.decl.len() < 2 {
                    match self.peek_non_space().typ {
                        Tok::Variable | Tok::RightDelim | Tok::RightParen => continue 'decls,
                        _ => return Err(self.errorf("range can only initialize variables")),
                    }
                }
                return Err(self.errorf(format!("too many declarations in {context}")));
            } else if after.typ == Tok::Space {
                self.backup3(v, after);
            } else {
                self.backup2(v);
            }
            break;
        }
        loop {
            let t = self.next_non_space();
            if t.typ == end {
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
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
                    pipe.cmds.push(c);
                    if pipe.cmds.len() > MAX_PIPELINE_CMDS {
                        return Err(self.errorf("pipeline too long"));
                    }
                }
                _ => return Err(self.unexpected(&t, context)),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return Err(self.errorf(format!("missing value for {context}")));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
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
                else_list = Some(ListNode {
                    nodes: vec![self.if_control()?],
                });
            } else if context == "with" && self.peek().typ == Tok::With {
                self.next();
                else_list = Some(ListNode {
                    nodes: vec![self.with_control()?],
                });
            } else {
                let (el, next) = self.item_list()?;
                if !matches!(next, Parsed::End) {
                    return Err(self.errorf(format!("expected end; found {}", next.describe())));
                }
                else_list = Some(el);
            }
        }
        let pos = pipe.pos;
        Ok(Branch {
            pipe,
            list,
            else_list,
            pos,
        })
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
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let r = self.item_list();
        self.vars = saved_vars;
        self.range_depth = saved_range;
        let (list, end) = r?;
        if !matches!(end, Parsed::End) {
            return Err(self.errorf(format!("unexpected {} in {}", end.describe(), context)));
        }
        self.trees.push(Tree {
            name: Str::from(name.as_str()),
            parse_name: self.parse_name.clone(),
            text: self.text.clone(),
            root: list,
        });
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
            Tok::String | Tok::RawString => unquote(&token.val).map_err(|e| self.errorf(e)),
            _ => Err(self.unexpected(token, context)),
        }
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Command {
            pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
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
        if cmd.args.is_empty() {
            return Err(self.errorf("empty command"));
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ == Tok::Field {
            let chain_pos = self.peek().pos;
            let mut fields: Vec<Str> = Vec::new();
            while self.peek().typ == Tok::Field {
                let f = self.next();
                fields.push(Str::from(&f.val[1..]));
            }
            return Ok(Some(match node {
                Arg::Field { idents, .. } => {
                    let mut all: Vec<Str> = idents.to_vec();
                    all.extend(fields);
                    Arg::Field {
                        pos: chain_pos,
                        idents: all.into(),
                    }
                }
                Arg::Variable { idents, .. } => {
                    let mut all: Vec<Str> = idents.to_vec();
                    all.extend(fields);
                    Arg::Variable {
                        pos: chain_pos,
                        idents: all.into(),
                    }
                }
                Arg::Bool { .. }
                | Arg::String { .. }
                | Arg::Number { .. }
                | Arg::Nil { .. }
                | Arg::Dot { .. } => {
                    return Err(self.errorf(format!(
                        "unexpected . after term {}",
                        crate::funcs::strings::go_quote(&node.to_go_string(), false)
                    )));
                }
                other => Arg::Chain {
                    pos: chain_pos,
                    node: Box::new(other),
                    fields: fields.into(),
                },
            }));
        }
        Ok(Some(node))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        Ok(Some(match t.typ {
            Tok::Identifier => {
                if !(self.has_func)(&t.val) {
                    return Err(self.errorf(format!(
                        "function {} not defined",
                        crate::funcs::strings::go_quote(&t.val, false)
                    )));
                }
                Arg::Identifier {
                    pos: t.pos,
                    name: Str::from(&*t.val),
                }
            }
            Tok::Dot => Arg::Dot { pos: t.pos },
            Tok::Nil => Arg::Nil { pos: t.pos },
            Tok::Variable => {
                let idents: Vec<Str> = t.val.split('.').map(Str::from).collect();
                if !self.vars.iter().any(|v| *v == *idents[0]) {
                    return Err(self.errorf(format!(
                        "undefined variable {}",
                        crate::funcs::strings::go_quote(&idents[0], false)
                    )));
                }
                Arg::Variable {
                    pos: t.pos,
                    idents: idents.into(),
                }
            }
            Tok::Field => Arg::Field {
                pos: t.pos,
                idents: t.val[1..].split('.').map(Str::from).collect(),
            },
            Tok::Bool => Arg::Bool {
                pos: t.pos,
                val: t.val == "true",
            },
            Tok::CharConstant | Tok::Complex | Tok::Number => {
                let num = new_number(&t.val, t.typ).map_err(|e| self.errorf(e))?;
                Arg::Number {
                    pos: t.pos,
                    num: Arc::new(num),
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
                Arg::Pipe(Box::new(r?))
            }
            Tok::String | Tok::RawString => {
                let s = unquote(&t.val).map_err(|e| self.errorf(e))?;
                Arg::String {
                    pos: t.pos,
                    quoted: Str::from(&*t.val),
                    text: Str::from(s.as_str()),
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
    fn describe(&self) -> String {
        match self {
            Parsed::End => "{{end}}".into(),
            Parsed::Else => "{{else}}".into(),
            Parsed::Node(n) => {
                let mut s = String::new();
                n.write(&mut s);
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
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
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
        let clean: String = text.chars().filter(|&c| c != '_').collect();
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
