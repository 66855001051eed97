//! The scanner: template text to tokens, with Go's trim markers, positions and errors.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    Error,
    Bool,
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // keywords
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl Tok {
    pub(crate) fn is_keyword(self) -> bool {
        matches!(
            self,
            Tok::Block
                | Tok::Break
                | Tok::Continue
                | Tok::Dot
                | Tok::Define
                | Tok::Else
                | Tok::End
                | Tok::If
                | Tok::Nil
                | Tok::Range
                | Tok::Template
                | Tok::With
        )
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Item<'a> {
    pub typ: Tok,
    pub pos: usize,
    pub val: std::borrow::Cow<'a, str>,
    pub line: usize,
}

impl Item<'_> {
    /// Go's `item.String()` as used in "unexpected %s" messages.
    pub(crate) fn describe(&self) -> String {
        match self.typ {
            Tok::Eof => "EOF".into(),
            Tok::Error => self.val.to_string(),
            t if t.is_keyword() => format!("<{}>", self.val),
            _ => {
                if self.val.chars().count() > 10 {
                    let s: String = self.val.chars().take(10).collect();
                    format!("{}...", crate::funcs::strings::go_quote(&s, false))
                } else {
                    crate::funcs::strings::go_quote(&self.val, false)
                }
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    InsideAction,
    Done,
}

pub(crate) struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    width: usize,
    paren_depth: i32,
    line: usize,
    start_line: usize,
    pub break_ok: bool,
    pub continue_ok: bool,
    state: State,
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || is_go_digit(c)
}

fn is_go_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && is_decimal_digit(c))
}

fn is_decimal_digit(c: char) -> bool {
    // Common Nd ranges beyond ASCII.
    let u = c as u32;
    [
        0x0660..=0x0669,
        0x06F0..=0x06F9,
        0x0966..=0x096F,
        0x09E6..=0x09EF,
        0xFF10..=0xFF19,
        0x0E50..=0x0E59,
    ]
    .iter()
    .any(|r| r.contains(&u))
}

fn has_left_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(input: &'a str) -> Self {
        Lexer {
            input,
            pos: 0,
            start: 0,
            width: 0,
            paren_depth: 0,
            line: 1,
            start_line: 1,
            break_ok: true,
            continue_ok: true,
            state: State::Text,
        }
    }

    fn next(&mut self) -> Option<char> {
        let c = self.input[self.pos..].chars().next()?;
        self.width = c.len_utf8();
        self.pos += self.width;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn peek(&mut self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn backup(&mut self) {
        self.pos -= self.width;
        if self.width == 1 && self.input.as_bytes()[self.pos] == b'\n' {
            self.line -= 1;
        }
    }

    fn emit(&mut self, t: Tok) -> Item<'a> {
        let input: &'a str = self.input;
        let it = Item {
            typ: t,
            pos: self.start,
            val: std::borrow::Cow::Borrowed(&input[self.start..self.pos]),
            line: self.start_line,
        };
        self.start = self.pos;
        self.start_line = self.line;
        it
    }

    fn ignore(&mut self) {
        self.line += self.input[self.start..self.pos].matches('\n').count();
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn errorf(&mut self, msg: String) -> Item<'a> {
        self.state = State::Done;
        Item {
            typ: Tok::Error,
            pos: self.start,
            val: std::borrow::Cow::Owned(msg),
            line: self.start_line,
        }
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.next() {
            Some(c) if valid.contains(c) => true,
            Some(_) => {
                self.backup();
                false
            }
            None => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while let Some(c) = self.next() {
            if !valid.contains(c) {
                self.backup();
                return;
            }
        }
    }

    pub(crate) fn next_item(&mut self) -> Item<'a> {
        loop {
            match self.state {
                State::Done => {
                    return Item {
                        typ: Tok::Eof,
                        pos: self.pos,
                        val: std::borrow::Cow::Borrowed(""),
                        line: self.line,
                    };
                }
                State::Text => {
                    if let Some(it) = self.lex_text() {
                        return it;
                    }
                }
                State::LeftDelim => {
                    if let Some(it) = self.lex_left_delim() {
                        return it;
                    }
                }
                State::Comment => {
                    if let Some(it) = self.lex_comment() {
                        return it;
                    }
                }
                State::RightDelim => return self.lex_right_delim(),
                State::InsideAction => {
                    if let Some(it) = self.lex_inside_action() {
                        return it;
                    }
                }
            }
        }
    }

    fn lex_text(&mut self) -> Option<Item<'a>> {
        self.width = 0;
        if let Some(x) = self.input[self.pos..].find(LEFT) {
            self.pos += x;
            let mut trim = 0;
            if has_left_trim(&self.input[self.pos + LEFT.len()..]) {
                let t = &self.input[self.start..self.pos];
                trim = t.len() - t.trim_end_matches(is_space).len();
            }
            self.pos -= trim;
            let mut out = None;
            if self.pos > self.start {
                self.line += self.input[self.start..self.pos].matches('\n').count();
                out = Some(self.emit(Tok::Text));
            }
            self.pos += trim;
            self.ignore();
            self.state = State::LeftDelim;
            return out;
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.line += self.input[self.start..self.pos].matches('\n').count();
            return Some(self.emit(Tok::Text));
        }
        self.state = State::Done;
        Some(self.emit(Tok::Eof))
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = &self.input[self.pos..];
        if has_right_trim(rest) && rest[2..].starts_with(RIGHT) {
            return (true, true);
        }
        if rest.starts_with(RIGHT) {
            return (true, false);
        }
        (false, false)
    }

    fn lex_left_delim(&mut self) -> Option<Item<'a>> {
        self.pos += LEFT.len();
        let trim = has_left_trim(&self.input[self.pos..]);
        let after = if trim { 2 } else { 0 };
        if self.input[self.pos + after..].starts_with("/*") {
            self.pos += after;
            self.ignore();
            self.state = State::Comment;
            return None;
        }
        let it = self.emit(Tok::LeftDelim);
        self.pos += after;
        self.ignore();
        self.paren_depth = 0;
        self.state = State::InsideAction;
        Some(it)
    }

    fn lex_comment(&mut self) -> Option<Item<'a>> {
        self.pos += 2;
        let Some(i) = self.input[self.pos..].find("*/") else {
            return Some(self.errorf("unclosed comment".into()));
        };
        self.pos += i + 2;
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return Some(self.errorf("comment ends before closing delimiter".into()));
        }
        if trim {
            self.pos += 2;
        }
        self.pos += RIGHT.len();
        if trim {
            let r = &self.input[self.pos..];
            self.pos += r.len() - r.trim_start_matches(is_space).len();
        }
        self.ignore();
        self.state = State::Text;
        None
    }

    fn lex_right_delim(&mut self) -> Item<'a> {
        let trim = has_right_trim(&self.input[self.pos..]);
        if trim {
            self.pos += 2;
            self.ignore();
        }
        self.pos += RIGHT.len();
        let it = self.emit(Tok::RightDelim);
        if trim {
            let r = &self.input[self.pos..];
            self.pos += r.len() - r.trim_start_matches(is_space).len();
            self.ignore();
        }
        self.state = State::Text;
        it
    }

    fn lex_inside_action(&mut self) -> Option<Item<'a>> {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                self.state = State::RightDelim;
                return None;
            }
            return Some(self.errorf("unclosed left paren".into()));
        }
        let Some(r) = self.next() else {
            return Some(self.errorf("unclosed action".into()));
        };
        match r {
            c if is_space(c) => {
                self.backup();
                self.lex_space()
            }
            '=' => Some(self.emit(Tok::Assign)),
            ':' => {
                if self.next() != Some('=') {
                    return Some(self.errorf("expected :=".into()));
                }
                Some(self.emit(Tok::Declare))
            }
            '|' => Some(self.emit(Tok::Pipe)),
            '"' => Some(self.lex_quote()),
            '`' => Some(self.lex_raw_quote()),
            '$' => Some(self.lex_variable()),
            '\'' => Some(self.lex_char()),
            '.' => {
                if let Some(&b) = self.input.as_bytes().get(self.pos)
                    && !b.is_ascii_digit()
                {
                    return Some(self.lex_field_or_variable(Tok::Field));
                }
                self.backup();
                Some(self.lex_number())
            }
            '+' | '-' | '0'..='9' => {
                self.backup();
                Some(self.lex_number())
            }
            c if is_alnum(c) => {
                self.backup();
                Some(self.lex_identifier())
            }
            '(' => {
                let it = self.emit(Tok::LeftParen);
                self.paren_depth += 1;
                Some(it)
            }
            ')' => {
                let it = self.emit(Tok::RightParen);
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return Some(
                        self.errorf(format!("unexpected right paren {}", go_unicode(')'))),
                    );
                }
                Some(it)
            }
            c if c.is_ascii() && !c.is_ascii_control() => Some(self.emit(Tok::Char)),
            c => Some(self.errorf(format!(
                "unrecognized character in action: {}",
                go_unicode(c)
            ))),
        }
    }

    fn lex_space(&mut self) -> Option<Item<'a>> {
        let mut n = 0;
        while let Some(c) = self.peek() {
            if !is_space(c) {
                break;
            }
            self.next();
            n += 1;
        }
        if has_right_trim(&self.input[self.pos - 1..])
            && self.input[self.pos - 1 + 2..].starts_with(RIGHT)
        {
            self.backup();
            if n == 1 {
                self.state = State::RightDelim;
                return None;
            }
        }
        Some(self.emit(Tok::Space))
    }

    fn at_terminator(&mut self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            Some(c) => RIGHT.starts_with(c),
        }
    }

    fn lex_identifier(&mut self) -> Item<'a> {
        loop {
            match self.next() {
                Some(c) if is_alnum(c) => {}
                other => {
                    if other.is_some() {
                        self.backup();
                    }
                    let word = self.input[self.start..self.pos].to_string();
                    if !self.at_terminator() {
                        let r = self.peek().unwrap_or('\u{FFFD}');
                        return self.errorf(format!("bad character {}", go_unicode(r)));
                    }
                    let kw = match word.as_str() {
                        "block" => Some(Tok::Block),
                        "break" => Some(Tok::Break),
                        "continue" => Some(Tok::Continue),
                        "define" => Some(Tok::Define),
                        "else" => Some(Tok::Else),
                        "end" => Some(Tok::End),
                        "if" => Some(Tok::If),
                        "range" => Some(Tok::Range),
                        "nil" => Some(Tok::Nil),
                        "template" => Some(Tok::Template),
                        "with" => Some(Tok::With),
                        _ => None,
                    };
                    return match kw {
                        Some(Tok::Break) if !self.break_ok => self.emit(Tok::Identifier),
                        Some(Tok::Continue) if !self.continue_ok => self.emit(Tok::Identifier),
                        Some(k) => self.emit(k),
                        None if word == "true" || word == "false" => self.emit(Tok::Bool),
                        None => self.emit(Tok::Identifier),
                    };
                }
            }
        }
    }

    fn lex_variable(&mut self) -> Item<'a> {
        if self.at_terminator() {
            return self.emit(Tok::Variable);
        }
        self.lex_field_or_variable(Tok::Variable)
    }

    fn lex_field_or_variable(&mut self, typ: Tok) -> Item<'a> {
        if self.at_terminator() {
            return if typ == Tok::Variable {
                self.emit(Tok::Variable)
            } else {
                self.emit(Tok::Dot)
            };
        }
        loop {
            match self.next() {
                Some(c) if is_alnum(c) => {}
                Some(_) => {
                    self.backup();
                    break;
                }
                None => break,
            }
        }
        if !self.at_terminator() {
            let r = self.peek().unwrap_or('\u{FFFD}');
            return self.errorf(format!("bad character {}", go_unicode(r)));
        }
        self.emit(typ)
    }

    fn lex_char(&mut self) -> Item<'a> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some('\n') | None => {
                        return self.errorf("unterminated character constant".into());
                    }
                    _ => {}
                },
                Some('\n') | None => return self.errorf("unterminated character constant".into()),
                Some('\'') => break,
                _ => {}
            }
        }
        self.emit(Tok::CharConstant)
    }

    fn lex_number(&mut self) -> Item<'a> {
        if !self.scan_number() {
            let s = self.input[self.start..self.pos].to_string();
            return self.errorf(format!(
                "bad number syntax: {}",
                crate::funcs::strings::go_quote(&s, false)
            ));
        }
        if let Some(sign) = self.peek()
            && (sign == '+' || sign == '-')
        {
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let s = self.input[self.start..self.pos].to_string();
                return self.errorf(format!(
                    "bad number syntax: {}",
                    crate::funcs::strings::go_quote(&s, false)
                ));
            }
            return self.emit(Tok::Complex);
        }
        self.emit(Tok::Number)
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if let Some(c) = self.peek()
            && is_alnum(c)
        {
            self.next();
            return false;
        }
        true
    }

    fn lex_quote(&mut self) -> Item<'a> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some('\n') | None => return self.errorf("unterminated quoted string".into()),
                    _ => {}
                },
                Some('\n') | None => return self.errorf("unterminated quoted string".into()),
                Some('"') => break,
                _ => {}
            }
        }
        self.emit(Tok::String)
    }

    fn lex_raw_quote(&mut self) -> Item<'a> {
        loop {
            match self.next() {
                None => return self.errorf("unterminated raw quoted string".into()),
                Some('`') => break,
                _ => {}
            }
        }
        self.emit(Tok::RawString)
    }
}

/// Go's `%#U`: `U+0029 ')'`.
pub(crate) fn go_unicode(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} '{}'", c as u32, c)
    }
}
