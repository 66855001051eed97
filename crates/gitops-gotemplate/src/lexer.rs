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

/// A token: its type, byte range in the input and line.
///
/// An `Error` token has an empty range; the message is in [`Lexer::err`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Item {
    pub typ: Tok,
    pub pos: usize,
    pub end: usize,
    pub line: usize,
}

impl Item {
    /// The token's text.
    #[inline]
    pub(crate) fn val<'a>(&self, input: &'a str) -> &'a str {
        &input[self.pos..self.end]
    }

    /// Go's `item.String()` as used in "unexpected %s" messages (`err` is the lexer's
    /// error message, shown for `Error` tokens).
    pub(crate) fn describe(&self, input: &str, err: &str) -> String {
        let val = self.val(input);
        match self.typ {
            Tok::Eof => "EOF".into(),
            Tok::Error => err.to_string(),
            t if t.is_keyword() => format!("<{val}>"),
            _ => {
                if val.chars().count() > 10 {
                    let s: String = val.chars().take(10).collect();
                    format!("{}...", crate::funcs::strings::go_quote(&s, false))
                } else {
                    crate::funcs::strings::go_quote(val, false)
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
    /// Whether to take the fast paths (off only to test them against the general one).
    fast: bool,
}

/// ASCII identifier bytes: `_`, letters, digits.
static IDENT: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b == b'_' || b.is_ascii_alphanumeric();
        i += 1;
    }
    t
};

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
    if b.len() < 32 {
        return b.iter().filter(|&&c| c == b'\n').count();
    }
    memchr::memchr_iter(b'\n', b).count()
}

/// Bytes that end an identifier or field name without error (Go's `atTerminator`).
static TERMINATOR: [bool; 256] = {
    let mut t = [false; 256];
    let s = b" \t\r\n.,|:)(}";
    let mut i = 0;
    while i < s.len() {
        t[s[i] as usize] = true;
        i += 1;
    }
    t
};

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
            fast: true,
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
    fn emit(&mut self, t: Tok) -> Item {
        let it = Item {
            typ: t,
            pos: self.start,
            end: self.pos,
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

    fn errorf(&mut self, msg: String) -> Item {
        self.state = State::Done;
        self.err = msg;
        Item {
            typ: Tok::Error,
            pos: self.start,
            end: self.start,
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

    /// Lexes the whole input into `out`, ending with the `Eof` token the lexer then
    /// returns forever (after an `Error` token when the input does not lex).
    pub(crate) fn lex_all(&mut self, out: &mut Vec<Item>) {
        out.reserve(self.input.len() / 4);
        loop {
            let it = match self.state {
                State::Done => {
                    out.push(Item {
                        typ: Tok::Eof,
                        pos: self.pos,
                        end: self.pos,
                        line: self.line,
                    });
                    return;
                }
                State::Text => self.lex_text(),
                State::LeftDelim => self.lex_left_delim(),
                State::Comment => self.lex_comment(),
                State::RightDelim => Some(self.lex_right_delim()),
                State::InsideAction => match self.fast.then(|| self.fast_token()).flatten() {
                    Some(it) => Some(it),
                    None => self.lex_inside_action(),
                },
            };
            if let Some(it) = it {
                out.push(it);
                if it.typ == Tok::Eof {
                    return;
                }
            }
        }
    }

    #[inline]
    fn lex_text(&mut self) -> Option<Item> {
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

    fn lex_left_delim(&mut self) -> Option<Item> {
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

    fn lex_comment(&mut self) -> Option<Item> {
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

    fn lex_right_delim(&mut self) -> Item {
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

    /// The commonest tokens inside an action (fields, identifiers and keywords, runs of
    /// space) lexed straight from the bytes; `None` leaves everything else, including every
    /// error, to [`Lexer::lex_inside_action`]. The results are the ones it would give.
    #[inline]
    fn fast_token(&mut self) -> Option<Item> {
        let bytes = self.bytes;
        let pos = self.pos;
        let b = *bytes.get(pos)?;
        let scan = |mut p: usize| {
            while p < bytes.len() && IDENT[bytes[p] as usize] {
                p += 1;
            }
            p
        };
        let ends_ok = |p: usize| bytes.get(p).is_none_or(|&c| TERMINATOR[c as usize]);
        match b {
            b'.' => {
                let c = *bytes.get(pos + 1)?;
                if !(c == b'_' || c.is_ascii_alphabetic()) {
                    return None;
                }
                let p = scan(pos + 2);
                if !ends_ok(p) {
                    return None;
                }
                self.pos = p;
                self.width = 1;
                Some(self.emit(Tok::Field))
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                let p = scan(pos + 1);
                if !ends_ok(p) {
                    return None;
                }
                let word = &self.input[pos..p];
                let typ = match word {
                    "block" => Tok::Block,
                    "break" if self.break_ok => Tok::Break,
                    "continue" if self.continue_ok => Tok::Continue,
                    "define" => Tok::Define,
                    "else" => Tok::Else,
                    "end" => Tok::End,
                    "if" => Tok::If,
                    "range" => Tok::Range,
                    "nil" => Tok::Nil,
                    "template" => Tok::Template,
                    "with" => Tok::With,
                    "true" | "false" => Tok::Bool,
                    _ => Tok::Identifier,
                };
                self.pos = p;
                self.width = 1;
                Some(self.emit(typ))
            }
            b' ' | b'\t' | b'\r' | b'\n' => {
                if bytes.get(pos + 1) == Some(&b'-') && bytes[pos + 2..].starts_with(b"}}") {
                    return None; // the space of a trim marker
                }
                let mut p = pos;
                let mut nl = 0;
                while p < bytes.len() && is_space_byte(bytes[p]) {
                    nl += usize::from(bytes[p] == b'\n');
                    p += 1;
                }
                if bytes.get(p) == Some(&b'-') && bytes[p + 1..].starts_with(b"}}") {
                    // leave the last space to the trim marker (at least two were read)
                    p -= 1;
                    nl -= usize::from(bytes[p] == b'\n');
                }
                self.line += nl;
                self.pos = p;
                self.width = 1;
                Some(self.emit(Tok::Space))
            }
            _ => None,
        }
    }

    #[inline]
    fn lex_inside_action(&mut self) -> Option<Item> {
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

    #[inline]
    fn lex_space(&mut self) -> Option<Item> {
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
        loop {
            let bytes = self.bytes;
            let mut p = self.pos;
            while p < bytes.len() && IDENT[bytes[p] as usize] {
                p += 1;
            }
            if p > self.pos {
                self.pos = p;
                self.width = 1;
            }
            let Some(&b) = bytes.get(p) else {
                return;
            };
            if b < 0x80 {
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

    fn bad_char(&mut self) -> Item {
        let r = self.peek().unwrap_or('\u{FFFD}');
        self.errorf(format!("bad character {}", go_unicode(r)))
    }

    fn lex_identifier(&mut self) -> Item {
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

    fn lex_variable(&mut self) -> Item {
        if self.at_terminator() {
            return self.emit(Tok::Variable);
        }
        self.lex_field_or_variable(Tok::Variable)
    }

    #[inline]
    fn lex_field_or_variable(&mut self, typ: Tok) -> Item {
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

    fn lex_char(&mut self) -> Item {
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

    fn lex_number(&mut self) -> Item {
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

    fn lex_quote(&mut self) -> Item {
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

    fn lex_raw_quote(&mut self) -> Item {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(input: &str, fast: bool) -> (Vec<(Tok, usize, usize, usize)>, String) {
        let mut l = Lexer::new(input);
        l.fast = fast;
        let mut out = Vec::new();
        l.lex_all(&mut out);
        (
            out.iter().map(|i| (i.typ, i.pos, i.end, i.line)).collect(),
            l.err,
        )
    }

    #[test]
    fn fast_paths_lex_like_the_general_path() {
        let pieces = [
            "{{", "}}", "{{-", "-}}", " ", "  ", "\n", "\t", "-", ".", ".Values", ".a", "x", "_y",
            "if", "end", "else", "range", "true", "nil", "break", "$", "$v", "\"s\"", "'c'", "1",
            "2.5", "(", ")", "|", ":=", "=", ",", "é", "ü", "}", "{", "/*", "*/", "`r`", "#",
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..20_000 {
            let n = rng.usize(1..14);
            let text: String = (0..n).map(|_| pieces[rng.usize(..pieces.len())]).collect();
            assert_eq!(lex(&text, true), lex(&text, false), "input {text:?}");
        }
    }
}
