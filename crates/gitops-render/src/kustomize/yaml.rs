//! Writing objects exactly as `kubectl kustomize` prints them.
//!
//! kustomize prints every object through Go's `gopkg.in/yaml.v2` (by way of JSON), so the
//! style is that library's: keys sorted in its "natural" order (digits compared as numbers,
//! non-letters before letters), block style with sequences not indented under their key,
//! `{}` and `[]` for empty collections, strings quoted only when YAML 1.1 would read them as
//! something else (`"yes"`, `"0755"`, `"12:30:00"`) or when a plain scalar cannot hold them
//! (`'#x'`, `'a: b'`), multi-line strings as literal blocks (`|`, `|-`, `|+`), and long
//! lines folded at 80 columns. Documents are separated by `---`.
//!
//! ```
//! use gitops_core::Object;
//! use serde_json::json;
//!
//! let cm = Object::new(json!({
//!     "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"},
//!     "data": {"on": "yes", "script": "echo hi\n", "x": "#1", "empty": {}},
//! }))?;
//! assert_eq!(
//!     gitops_render::kustomize::yaml::to_string(&[cm]),
//!     "apiVersion: v1\ndata:\n  empty: {}\n  \"on\": \"yes\"\n  script: |\n    echo hi\n  x: '#1'\nkind: ConfigMap\nmetadata:\n  name: a\n"
//! );
//! # Ok::<(), gitops_core::ObjectError>(())
//! ```

use std::cmp::Ordering;

use gitops_core::Object;
use serde_json::{Map, Number, Value};

/// Writes objects as one YAML stream separated by `---`, in kustomize's style.
pub fn to_string(objects: &[Object]) -> String {
    let mut out = String::new();
    for (i, object) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&value_to_string(object.manifest()));
    }
    out
}

/// Writes one value as a YAML document in kustomize's style.
pub fn value_to_string(value: &Value) -> String {
    let mut w = Writer {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
    };
    match value {
        Value::Object(map) if !map.is_empty() => w.block_mapping(map, 0),
        Value::Array(items) if !items.is_empty() => w.block_sequence(items, 0),
        other => {
            w.node(other, 0, false);
        }
    }
    if w.column > 0 {
        w.out.push('\n');
    }
    w.out
}

/// The width at which yaml.v2 folds long scalars.
const BEST_WIDTH: usize = 80;
/// Keys longer than this are written as complex keys (`? key`).
const MAX_SIMPLE_KEY: usize = 128;

struct Writer {
    out: String,
    /// Characters written on the current line.
    column: usize,
    /// The last thing written was whitespace (or nothing).
    whitespace: bool,
    /// Only indentation has been written on the current line.
    indention: bool,
}

impl Writer {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_indent(&mut self, indent: usize) {
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn indicator(
        &mut self,
        s: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in s.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn block_mapping(&mut self, map: &Map<String, Value>, indent: usize) {
        let mut keys: Vec<&String> = map.keys().collect();
        sort_keys(&mut keys);
        for key in keys {
            let value = &map[key];
            self.write_indent(indent);
            let analysis = analyze(key);
            if key.chars().count() <= MAX_SIMPLE_KEY && !analysis.multiline {
                self.string(key, indent, true);
                self.indicator(":", false, false, false);
            } else {
                self.indicator("?", true, false, true);
                self.string(key, indent, false);
                self.write_indent(indent);
                self.indicator(":", true, false, true);
            }
            self.node(value, indent, true);
        }
    }

    fn block_sequence(&mut self, items: &[Value], indent: usize) {
        for item in items {
            self.write_indent(indent);
            self.indicator("-", true, false, true);
            self.node(item, indent, false);
        }
    }

    /// A node under a mapping key (`in_mapping`) or a sequence item, whose parent collection
    /// is at `indent`.
    fn node(&mut self, value: &Value, indent: usize, in_mapping: bool) {
        match value {
            Value::Object(map) if map.is_empty() => {
                self.indicator("{", true, true, false);
                self.indicator("}", false, false, false);
            }
            Value::Object(map) => self.block_mapping(map, indent + 2),
            Value::Array(items) if items.is_empty() => {
                self.indicator("[", true, true, false);
                self.indicator("]", false, false, false);
            }
            Value::Array(items) => {
                // yaml.v2 does not indent a sequence under a mapping key.
                let seq_indent = if in_mapping && !self.indention {
                    indent
                } else {
                    indent + 2
                };
                self.block_sequence(items, seq_indent);
            }
            Value::Null => self.plain("null", indent + 2, true),
            Value::Bool(b) => self.plain(if *b { "true" } else { "false" }, indent + 2, true),
            Value::Number(n) => self.plain(&number(n), indent + 2, true),
            Value::String(s) => self.string(s, indent + 2, false),
        }
    }

    /// A string scalar; `indent` is the scalar's own indentation (for folded lines).
    fn string(&mut self, s: &str, indent: usize, simple_key: bool) {
        let a = analyze(s);
        let style = if s.contains('\n') {
            if a.block_allowed && !simple_key && !a.special {
                Style::Literal
            } else {
                Style::Double
            }
        } else if !resolves_to_string(s) {
            Style::Double
        } else if !a.block_plain_allowed {
            if a.single_quoted_allowed {
                Style::Single
            } else {
                Style::Double
            }
        } else {
            Style::Plain
        };
        let style = if simple_key && a.multiline {
            Style::Double
        } else {
            style
        };
        match style {
            Style::Plain => self.plain(s, indent, !simple_key),
            Style::Single => self.single_quoted(s, indent, !simple_key),
            Style::Double => self.double_quoted(s, indent, !simple_key),
            Style::Literal => self.literal(s, indent),
        }
    }

    fn plain(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_space {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn single_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.indicator("'", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < chars.len()
                    && !next_space
                {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn double_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.indicator("\"", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !is_printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{07}' => self.put('a'),
                    '\u{08}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{0B}' => self.put('v'),
                    '\u{0C}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1B}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{A0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    other => {
                        let v = other as u32;
                        let (letter, width) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(letter);
                        for k in (0..width).rev() {
                            let digit = (v >> (k * 4)) & 0xF;
                            let ch =
                                char::from_digit(digit, 16).map_or('0', |d| d.to_ascii_uppercase());
                            self.put(ch);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < chars.len()
                {
                    self.write_indent(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn literal(&mut self, s: &str, indent: usize) {
        self.indicator("|", true, false, false);
        let first = s.chars().next();
        if first.is_some_and(|c| c == ' ' || is_break(c)) {
            self.indicator("2", false, false, false);
        }
        let mut rev = s.chars().rev();
        let last = rev.next();
        let chomp = match last {
            None => Some('-'),
            Some(c) if !is_break(c) => Some('-'),
            Some(_) => match rev.next() {
                None => Some('+'),
                Some(c) if is_break(c) => Some('+'),
                Some(_) => None,
            },
        };
        if let Some(c) = chomp {
            self.indicator(&c.to_string(), false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in s.chars() {
            if is_break(c) {
                self.out.push(c);
                self.column = 0;
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// libyaml's scalar analysis: which styles can hold the text.
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
    special: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blankz(c: Option<char>) -> bool {
    match c {
        None | Some(' ' | '\t' | '\0') => true,
        Some(c) => is_break(c),
    }
}

/// libyaml's `is_printable` (on characters; the emitter writes Unicode).
fn is_printable(c: char) -> bool {
    let v = c as u32;
    c == '\n'
        || (0x20..=0x7E).contains(&v)
        || (0xA0..=0xD7FF).contains(&v)
        || ((0xE000..=0xFFFD).contains(&v) && v != 0xFEFF)
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
            special: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = false;
    let mut line_breaks = false;
    let mut special = false;
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    if s.starts_with("---") || s.starts_with("...") {
        block_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let n = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = i + 1 >= n || matches!(chars[i + 1], ' ' | '\t');
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == n {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(Some(c));
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
        special,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// True when yaml.v2 would read the text, unquoted, as a string (so it may stay plain).
fn resolves_to_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no",
        "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "", "~", "null", "Null",
        "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF", "<<",
    ];
    if SPECIAL.contains(&s) {
        return false;
    }
    let Some(first) = s.bytes().next() else {
        return false;
    };
    match first {
        b'.' => s.parse::<f64>().is_err() || !go_float_syntax(s),
        b'+' | b'-' | b'0'..=b'9' => {
            if is_timestamp(s) || is_base60_float(s) {
                return false;
            }
            let plain: String = s.chars().filter(|c| *c != '_').collect();
            !(go_parse_int(&plain) || is_yaml_float(&plain) || is_binary(&plain))
        }
        _ => true,
    }
}

/// Go's `strconv.ParseFloat` accepts the text (for a leading `.`).
fn go_float_syntax(s: &str) -> bool {
    s[1..]
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'e' | b'E' | b'+' | b'-'))
        && s.len() > 1
}

/// `strconv.ParseInt(s, 0, 64)` or `ParseUint` succeeds.
fn go_parse_int(s: &str) -> bool {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) =
        if let Some(d) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, d)
        } else if let Some(d) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, d)
        } else if let Some(d) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, d)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() {
        return false;
    }
    match u64::from_str_radix(digits, radix) {
        Ok(v) => !neg || v <= 1 << 63,
        Err(_) => false,
    }
}

fn is_binary(s: &str) -> bool {
    let body = s.strip_prefix("-0b").or_else(|| s.strip_prefix("0b"));
    body.is_some_and(|b| !b.is_empty() && b.bytes().all(|c| c == b'0' || c == b'1'))
}

/// yaml.v2's float syntax `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// yaml.v2's timestamps (the same formats as yaml.v3's).
fn is_timestamp(s: &str) -> bool {
    super::yaml12::timestamp(s).is_some()
}

/// yaml.v2's base-60 floats (`1:20`, `12:30:00`), which it quotes.
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    if !(first == b'+' || first == b'-' || first.is_ascii_digit()) || !s.contains(':') {
        return false;
    }
    let s = s.trim_start_matches(['+', '-']);
    let (main, frac) = match s.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (s, None),
    };
    if frac.is_some_and(|f| !f.bytes().all(|c| c.is_ascii_digit() || c == b'_')) {
        return false;
    }
    let mut parts = main.split(':');
    let head = parts.next().unwrap_or_default();
    if head.is_empty()
        || !head.as_bytes()[0].is_ascii_digit()
        || !head.bytes().all(|c| c.is_ascii_digit() || c == b'_')
    {
        return false;
    }
    let mut any = false;
    for p in parts {
        any = true;
        let ok = match p.as_bytes() {
            [d] => d.is_ascii_digit(),
            [a, d] => (b'0'..=b'5').contains(a) && d.is_ascii_digit(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    any
}

/// A number as kustomize prints it (through Go's JSON and yaml.v2).
fn number(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < 1e21 && f.abs() < 9.2e18 {
        // Go's JSON writes it without a fraction; yaml.v2 reads it back as an integer.
        #[allow(clippy::cast_possible_truncation)]
        return (f as i64).to_string();
    }
    go_format_g(f)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`.
fn go_format_g(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if neg { "-" } else { "" };
    // Go uses the exponent form below 1e-4 and, for the shortest representation, from 1e6.
    if !(-4..6).contains(&exp) {
        let mut m = digits[..1].to_owned();
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{esign}{:02}", exp.abs());
    }
    format!("{sign}{}", fixed(&digits, exp))
}

fn fixed(digits: &str, exp: i32) -> String {
    let dp = exp + 1;
    if dp <= 0 {
        let zeros = usize::try_from(-dp).unwrap_or(0);
        return format!("0.{}{}", "0".repeat(zeros), digits);
    }
    let dp = usize::try_from(dp).unwrap_or(0);
    if dp >= digits.len() {
        format!("{}{}", digits, "0".repeat(dp - digits.len()))
    } else {
        format!("{}.{}", &digits[..dp], &digits[dp..])
    }
}

/// yaml.v2's key order.
fn key_less(a: &str, b: &str) -> Ordering {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            return if bl {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && ar[j - 1].is_ascii_digit() {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

/// Sorts keys with [`key_less`] (an insertion sort: it never panics on an inconsistent order).
fn sort_keys(keys: &mut [&String]) {
    for i in 1..keys.len() {
        let mut j = i;
        while j > 0 && key_less(keys[j], keys[j - 1]) == Ordering::Less {
            keys.swap(j, j - 1);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The output of `kubectl kustomize` (kustomize v5.5.0) for these values.
    #[test]
    fn matches_kubectl() {
        let value = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "x"},
            "data": {
                "a": "yes", "b": 493, "c": "on", "d": 1000, "e": 9, "f": 31, "g": null,
                "h": "long string with spaces that goes on and on and on beyond eighty characters in width for sure yes",
                "i": "multi\nline\n", "j": "trailing\nno newline", "k": 1, "l": "12:30:00",
                "m": "2001-12-14T00:00:00Z", "n": "true", "o": "", "p": "  leading", "q": "a: b",
                "r": "- x", "s": "#x", "t": "012", "u": "1.5", "v": null, "w": "null", "x": "é ü",
                "y": "tab\there", "z": "Y"
            },
            "spec": {
                "items": [1, 2.5, -3, 1e20, 15, 12, 0.5],
                "nested": {"b": 1, "a": 2, "_x": 3, "A": 4, "a10": 5, "a9": 6, "~z": 7, "1": 8, "10": 9, "9": 10}
            }
        });
        let expected = r#"apiVersion: v1
data:
  a: "yes"
  b: 493
  c: "on"
  d: 1000
  e: 9
  f: 31
  g: null
  h: long string with spaces that goes on and on and on beyond eighty characters in
    width for sure yes
  i: |
    multi
    line
  j: |-
    trailing
    no newline
  k: 1
  l: "12:30:00"
  m: "2001-12-14T00:00:00Z"
  "n": "true"
  o: ""
  p: '  leading'
  q: 'a: b'
  r: '- x'
  s: '#x'
  t: "012"
  u: "1.5"
  v: null
  w: "null"
  x: é ü
  "y": "tab\there"
  z: "Y"
kind: ConfigMap
metadata:
  name: x
spec:
  items:
  - 1
  - 2.5
  - -3
  - 1e+20
  - 15
  - 12
  - 0.5
  nested:
    _x: 3
    ~z: 7
    "1": 8
    "9": 10
    "10": 9
    A: 4
    a: 2
    a9: 6
    a10: 5
    b: 1
"#;
        assert_eq!(value_to_string(&value), expected);
    }

    #[test]
    fn nested_sequences_and_empty_collections() {
        let value = json!({"a": [[1, 2], {"b": [], "c": {}}, [{"d": 1, "e": 2}]]});
        assert_eq!(
            value_to_string(&value),
            "a:\n- - 1\n  - 2\n- b: []\n  c: {}\n- - d: 1\n    e: 2\n"
        );
    }

    #[test]
    fn floats_as_go_prints_them() {
        assert_eq!(go_format_g(1234567.5), "1.2345675e+06");
        assert_eq!(go_format_g(123456.5), "123456.5");
        assert_eq!(go_format_g(0.0001), "0.0001");
        assert_eq!(go_format_g(0.00001), "1e-05");
        assert_eq!(go_format_g(-2.5), "-2.5");
    }
}
