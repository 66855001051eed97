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

/// A token: its type, byte offset, text (a slice of the input) and line.
///
/// An `Error` token has an empty `val`; the message is in [`Lexer::err`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Item<'a> {
    pub typ: Tok,
    pub pos: usize,
    pub val: &'a str,
    pub line: usize,
}

impl Item<'_> {
    /// Go's `item.String()` as used in "unexpected %s" messages (`err` is the lexer's
    /// error message, shown for `Error` tokens).
    pub(crate) fn describe(&self, err: &str) -> String {
        match self.typ {
            Tok::Eof => "EOF".into(),
            Tok::Error => err.to_string(),
            t if t.is_keyword() => format!("<{}>", self.val),
            _ => {
                if self.val.chars().count() > 10 {
                    let s: String = self.val.chars().take(10).collect();
                    format!("{}...", crate::funcs::strings::go_quote(&s, false))
                } else {
                    crate::funcs::strings::go_quote(self.val, false)
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

/// Go's lexer, over bytes: ASCII is handled without decoding, other characters are
/// decoded only where Go's rules need them (identifiers, error messages).
pub(crate) struct Lexer<'a> {
    input: &'a str,
    bytes: &'a [u8],
    pos: usize,
    start: usize,
    width: usize,
    paren_depth: i32,
    line: usize,
    start_line: usize,
    pub break_ok: bool,
    pub continue_ok: bool,
    state: State,
    /// The message of the `Error` token (the lexer stops at its first error).
    pub err: String,
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";

#[inline]
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

#[inline]
fn is_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

#[inline]
fn is_alnum(c: char) -> bool {
    if c.is_ascii() {
        return c == '_' || c.is_ascii_alphanumeric();
    }
    c.is_alphabetic() || is_decimal_digit(c)
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

#[inline]
fn has_left_trim(b: &[u8]) -> bool {
    b.len() >= 2 && b[0] == b'-' && is_space_byte(b[1])
}

#[inline]
fn has_right_trim(b: &[u8]) -> bool {
    b.len() >= 2 && is_space_byte(b[0]) && b[1] == b'-'
}

#[inline]
fn count_newlines(b: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', b).count()
}

/// Position of the first `{{` in `b`.
#[inline]
fn find_left_delim(b: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'{', &b[from..]) {
        let at = from + i;
        if b.get(at + 1) == Some(&b'{') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(input: &'a str) -> Self {
        Lexer {
            input,
            bytes: input.as_bytes(),
            pos: 0,
            start: 0,
            width: 0,
            paren_depth: 0,
            line: 1,
            start_line: 1,
            break_ok: true,
            continue_ok: true,
            state: State::Text,
            err: String::new(),
        }
    }

    #[inline]
    fn next(&mut self) -> Option<char> {
        let b = *self.bytes.get(self.pos)?;
        if b < 0x80 {
            self.width = 1;
            self.pos += 1;
            if b == b'\n' {
                self.line += 1;
            }
            return Some(b as char);
        }
        let c = self.input[self.pos..].chars().next()?;
        self.width = c.len_utf8();
        self.pos += self.width;
        Some(c)
    }

    #[inline]
    fn peek(&self) -> Option<char> {
        let b = *self.bytes.get(self.pos)?;
        if b < 0x80 {
            return Some(b as char);
        }
        self.input[self.pos..].chars().next()
    }

    #[inline]
    fn backup(&mut self) {
        self.pos -= self.width;
        if self.width == 1 && self.bytes[self.pos] == b'\n' {
            self.line -= 1;
        }
    }

    #[inline]
    fn emit(&mut self, t: Tok) -> Item<'a> {
        let input: &'a str = self.input;
        let it = Item {
            typ: t,
            pos: self.start,
            val: &input[self.start..self.pos],
            line: self.start_line,
        };
        self.start = self.pos;
        self.start_line = self.line;
        it
    }

    #[inline]
    fn ignore(&mut self) {
        self.line += count_newlines(&self.bytes[self.start..self.pos]);
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn errorf(&mut self, msg: String) -> Item<'a> {
        self.state = State::Done;
        self.err = msg;
        Item {
            typ: Tok::Error,
            pos: self.start,
            val: "",
            line: self.start_line,
        }
    }

    #[inline]
    fn accept(&mut self, valid: &[u8]) -> bool {
        match self.bytes.get(self.pos) {
            Some(&b) if valid.contains(&b) => {
                self.next();
                true
            }
            _ => false,
        }
    }

    #[inline]
    fn accept_run(&mut self, valid: &[u8]) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if !valid.contains(&b) {
                return;
            }
            self.next();
        }
    }

    pub(crate) fn next_item(&mut self) -> Item<'a> {
        loop {
            match self.state {
                State::Done => {
                    return Item {
                        typ: Tok::Eof,
                        pos: self.pos,
                        val: "",
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
        if let Some(x) = find_left_delim(&self.bytes[self.pos..]) {
            self.pos += x;
            let mut trim = 0;
            if has_left_trim(&self.bytes[self.pos + LEFT.len()..]) {
                let t = &self.bytes[self.start..self.pos];
                trim = t.iter().rev().take_while(|&&b| is_space_byte(b)).count();
            }
            self.pos -= trim;
            let mut out = None;
            if self.pos > self.start {
                self.line += count_newlines(&self.bytes[self.start..self.pos]);
                out = Some(self.emit(Tok::Text));
            }
            self.pos += trim;
            self.ignore();
            self.state = State::LeftDelim;
            return out;
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.line += count_newlines(&self.bytes[self.start..self.pos]);
            return Some(self.emit(Tok::Text));
        }
        self.state = State::Done;
        Some(self.emit(Tok::Eof))
    }

    #[inline]
    fn at_right_delim(&self) -> (bool, bool) {
        let rest = &self.bytes[self.pos..];
        if has_right_trim(rest) && rest[2..].starts_with(RIGHT.as_bytes()) {
            return (true, true);
        }
        if rest.starts_with(RIGHT.as_bytes()) {
            return (true, false);
        }
        (false, false)
    }

    fn skip_space_bytes(&mut self) {
        let n = self.bytes[self.pos..]
            .iter()
            .take_while(|&&b| is_space_byte(b))
            .count();
        self.pos += n;
    }

    fn lex_left_delim(&mut self) -> Option<Item<'a>> {
        self.pos += LEFT.len();
        let trim = has_left_trim(&self.bytes[self.pos..]);
        let after = if trim { 2 } else { 0 };
        if self.bytes[self.pos + after..].starts_with(b"/*") {
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
        let Some(i) = memchr::memmem::find(&self.bytes[self.pos..], b"*/") else {
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
            self.skip_space_bytes();
        }
        self.ignore();
        self.state = State::Text;
        None
    }

    fn lex_right_delim(&mut self) -> Item<'a> {
        let trim = has_right_trim(&self.bytes[self.pos..]);
        if trim {
            self.pos += 2;
            self.ignore();
        }
        self.pos += RIGHT.len();
        let it = self.emit(Tok::RightDelim);
        if trim {
            self.skip_space_bytes();
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
                if let Some(&b) = self.bytes.get(self.pos)
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
        while let Some(&b) = self.bytes.get(self.pos) {
            if !is_space_byte(b) {
                break;
            }
            self.next();
            n += 1;
        }
        if has_right_trim(&self.bytes[self.pos - 1..])
            && self.bytes[self.pos - 1 + 2..].starts_with(RIGHT.as_bytes())
        {
            self.backup();
            if n == 1 {
                self.state = State::RightDelim;
                return None;
            }
        }
        Some(self.emit(Tok::Space))
    }

    #[inline]
    fn at_terminator(&self) -> bool {
        match self.bytes.get(self.pos) {
            None => true,
            Some(&b) if is_space_byte(b) => true,
            Some(b'.' | b',' | b'|' | b':' | b')' | b'(' | b'}') => true,
            Some(_) => false,
        }
    }

    /// Consumes identifier characters (ASCII fast, Unicode letters and digits decoded).
    #[inline]
    fn scan_alnum(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b < 0x80 {
                if b == b'_' || b.is_ascii_alphanumeric() {
                    self.pos += 1;
                    self.width = 1;
                    continue;
                }
                return;
            }
            match self.peek() {
                Some(c) if is_alnum(c) => {
                    self.next();
                }
                _ => return,
            }
        }
    }

    fn bad_char(&mut self) -> Item<'a> {
        let r = self.peek().unwrap_or('\u{FFFD}');
        self.errorf(format!("bad character {}", go_unicode(r)))
    }

    fn lex_identifier(&mut self) -> Item<'a> {
        self.scan_alnum();
        let input: &'a str = self.input;
        let word = &input[self.start..self.pos];
        if !self.at_terminator() {
            return self.bad_char();
        }
        let kw = match word {
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
        match kw {
            Some(Tok::Break) if !self.break_ok => self.emit(Tok::Identifier),
            Some(Tok::Continue) if !self.continue_ok => self.emit(Tok::Identifier),
            Some(k) => self.emit(k),
            None if word == "true" || word == "false" => self.emit(Tok::Bool),
            None => self.emit(Tok::Identifier),
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
        self.scan_alnum();
        if !self.at_terminator() {
            return self.bad_char();
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
        self.accept(b"+-");
        let mut digits: &[u8] = b"0123456789_";
        if self.accept(b"0") {
            if self.accept(b"xX") {
                digits = b"0123456789abcdefABCDEF_";
            } else if self.accept(b"oO") {
                digits = b"01234567_";
            } else if self.accept(b"bB") {
                digits = b"01_";
            }
        }
        self.accept_run(digits);
        if self.accept(b".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept(b"eE") {
            self.accept(b"+-");
            self.accept_run(b"0123456789_");
        }
        if digits.len() == 23 && self.accept(b"pP") {
            self.accept(b"+-");
            self.accept_run(b"0123456789_");
        }
        self.accept(b"i");
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
            // skip ordinary bytes quickly
            let rest = &self.bytes[self.pos..];
            let n = rest
                .iter()
                .take_while(|&&b| b != b'\\' && b != b'\n' && b != b'"')
                .count();
            self.pos += n;
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
        match memchr::memchr(b'`', &self.bytes[self.pos..]) {
            None => {
                self.line += count_newlines(&self.bytes[self.pos..]);
                self.pos = self.bytes.len();
                self.errorf("unterminated raw quoted string".into())
            }
            Some(i) => {
                self.line += count_newlines(&self.bytes[self.pos..self.pos + i]);
                self.pos += i + 1;
                self.emit(Tok::RawString)
            }
        }
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
