//! Helm's `toYaml` (sigs.k8s.io/yaml: JSON, then go-yaml v2's emitter) and `toYamlPretty`
//! (go-yaml v3, indent 2), reproduced byte for byte; `fromYaml` via serde-saphyr.

use crate::funcs::encoding::json_float;
use crate::value::{Map, MapKind, Value};
use std::cmp::Ordering;

/// A YAML node after Helm's JSON round trip.
#[derive(Debug, Clone)]
enum Y {
    Null,
    Bool(bool),
    /// An integer as go-yaml decoded it from JSON text.
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Y>),
    Map(Vec<(String, Y)>),
}

/// Converts like `json.Marshal` then `yaml.Unmarshal` (numbers become int when the JSON text is an integer).
fn to_y(v: &Value, pretty: bool) -> Y {
    match v {
        Value::Invalid | Value::Nil => Y::Null,
        Value::Bool(b) => Y::Bool(*b),
        Value::Int(i) | Value::Int64(i) => Y::Int(i128::from(*i)),
        Value::Float64(f) => {
            if pretty {
                return Y::Float(*f);
            }
            match json_float(*f) {
                None => Y::Null,
                Some(t) => {
                    if !t.contains(['.', 'e', 'E']) {
                        match t.parse::<i128>() {
                            Ok(i) if i >= i128::from(i64::MIN) && i <= i128::from(u64::MAX) => {
                                Y::Int(i)
                            }
                            _ => Y::Float(*f),
                        }
                    } else {
                        Y::Float(*f)
                    }
                }
            }
        }
        Value::String(s) => Y::Str(s.to_string()),
        Value::Bytes(b) => {
            use base64::Engine as _;
            Y::Str(base64::engine::general_purpose::STANDARD.encode(b))
        }
        Value::List(l) => Y::Seq(l.items().iter().map(|x| to_y(x, pretty)).collect()),
        Value::Map(m) => {
            let mut e: Vec<(String, Y)> = m
                .entries()
                .iter()
                .map(|(k, x)| (k.to_string(), to_y(x, pretty)))
                .collect();
            e.sort_by(|a, b| key_order(&a.0, &b.0, pretty));
            Y::Map(e)
        }
        Value::Time(t) => Y::Str(crate::funcs::dates::rfc3339_nano(t)),
        Value::Object(o) => to_y(&o.to_data(), pretty),
    }
}

/// go-yaml's `keyList.Less` for string keys: digit runs compare as numbers, non-letters
/// before letters; `v3` adds yaml.v3's "digits" context rule (yaml.v2 without it, as kyaml
/// and so kustomize order keys).
///
/// ```
/// use gitops_gotemplate::helm::key_order;
/// use std::cmp::Ordering;
/// assert_eq!(key_order("a2", "a10", false), Ordering::Less);
/// assert_eq!(key_order("_x", "x", false), Ordering::Less);
/// ```
pub fn key_order(a: &str, b: &str, v3: bool) -> Ordering {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut digits = false;
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            digits = ar[i].is_ascii_digit();
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            let a_first = if v3 && digits { al } else { bl };
            return if a_first {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let (mut an, mut bn) = (0i64, 0i64);
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

fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || u == 0x85
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
        || (0x10000..=0x10FFFF).contains(&u)
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

struct Analysis {
    multiline: bool,
    flow_plain: bool,
    block_plain: bool,
    single: bool,
    block: bool,
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain: false,
            block_plain: true,
            single: true,
            block: false,
        };
    }
    let (mut block_ind, mut flow_ind, mut line_breaks, mut special) = (false, false, false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    if s.starts_with("---") || s.starts_with("...") {
        block_ind = true;
        flow_ind = true;
    }
    let chars: Vec<char> = s.chars().collect();
    let mut preceded_ws = true;
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let followed_ws = next.is_none_or(|n| n == ' ' || n == '\t');
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => {
                    flow_ind = true;
                    block_ind = true;
                }
                '?' | ':' => {
                    flow_ind = true;
                    if followed_ws {
                        block_ind = true;
                    }
                }
                '-' if followed_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        } else {
            match c {
                ',' | '?' | '[' | ']' | '{' | '}' => flow_ind = true,
                ':' => {
                    flow_ind = true;
                    if followed_ws {
                        block_ind = true;
                    }
                }
                '#' if preceded_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
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
            if i + 1 == chars.len() {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == chars.len() {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_ws = c == ' ' || c == '\t' || is_break(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain: true,
        block_plain: true,
        single: true,
        block: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if trailing_space {
        a.block = false;
    }
    if break_space {
        a.flow_plain = false;
        a.block_plain = false;
        a.single = false;
    }
    if space_break || special {
        a.flow_plain = false;
        a.block_plain = false;
        a.single = false;
        a.block = false;
    }
    if line_breaks {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if flow_ind {
        a.flow_plain = false;
    }
    if block_ind {
        a.block_plain = false;
    }
    a
}

/// go-yaml v2's `resolve` for a plain scalar: is it a string?
fn resolves_to_str(s: &str, v3: bool) -> bool {
    if s.is_empty() {
        return false;
    }
    const SPECIAL: &[&str] = &[
        "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true",
        "True", "TRUE", "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF", "<<",
    ];
    if SPECIAL.contains(&s) {
        return false;
    }
    let first = s.as_bytes()[0];
    match first {
        b'.' => {
            s.parse::<f64>().is_err()
                || s.contains(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        }
        b'0'..=b'9' | b'+' | b'-' => {
            if is_timestamp(s) {
                return false;
            }
            let plain = if v3 {
                s.to_string()
            } else {
                s.replace('_', "")
            };
            if crate::funcs::conv::parse_int_base0(&plain).is_some() || parse_uint_base0(&plain) {
                return false;
            }
            if yaml_style_float(&plain) && plain.parse::<f64>().is_ok() {
                return false;
            }
            if let Some(b) = plain
                .strip_prefix("0b")
                .or_else(|| plain.strip_prefix("-0b"))
                && i64::from_str_radix(b, 2).is_ok()
            {
                return false;
            }
            true
        }
        _ => true,
    }
}

fn parse_uint_base0(s: &str) -> bool {
    !s.starts_with(['-', '+'])
        && crate::parse::parse_go_int(s).is_some_and(|(v, _)| v >= 0 && v <= i128::from(u64::MAX))
}

fn yaml_style_float(s: &str) -> bool {
    // ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let start = i;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let d = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == d {
            return false;
        }
    } else {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let d = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == d {
            return false;
        }
    }
    i == b.len()
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits != 4 || b.get(4) != Some(&b'-') {
        return false;
    }
    // 2006-1-2 with optional time part
    let rest = &s[5..];
    let (date, time) = match rest.find(['T', 't', ' ']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let mut parts = date.split('-');
    let (Some(m), Some(d), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let ok_num = |x: &str, max: u32| {
        !x.is_empty()
            && x.len() <= 2
            && x.bytes().all(|c| c.is_ascii_digit())
            && x.parse::<u32>().is_ok_and(|v| v >= 1 && v <= max)
    };
    if !ok_num(m, 12) || !ok_num(d, 31) {
        return false;
    }
    match time {
        None => true,
        Some(t) => {
            let t = t.trim_end_matches('Z');
            let core = t.split(['+', '-']).next().unwrap_or("");
            let core = core.split('.').next().unwrap_or("");
            let hms: Vec<&str> = core.split(':').collect();
            hms.len() == 3
                && hms
                    .iter()
                    .all(|x| !x.is_empty() && x.len() <= 2 && x.bytes().all(|c| c.is_ascii_digit()))
        }
    }
}

fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let b = s.as_bytes();
    if b.is_empty() || !b[0].is_ascii_digit() {
        return false;
    }
    let mut i = 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        let d = i;
        while i < b.len() && b[i].is_ascii_digit() && i - d < 2 {
            i += 1;
        }
        let n = i - d;
        if n == 0 || (n == 2 && b[d] > b'5') {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

#[derive(PartialEq, Clone, Copy)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

fn choose_style(s: &str, simple_key: bool, v3: bool) -> Style {
    let can_plain = resolves_to_str(s, v3) && !is_base60_float(s) && !(v3 && is_old_bool(s));
    let mut style = if s.contains('\n') {
        Style::Literal
    } else if can_plain {
        Style::Plain
    } else {
        Style::Double
    };
    let a = analyze(s);
    if simple_key && a.multiline {
        style = Style::Double;
    }
    if style == Style::Plain && (!a.block_plain || (s.is_empty() && simple_key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block || simple_key) {
        style = Style::Double;
    }
    style
}

fn write_double(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        let u = c as u32;
        if !is_printable(c) || u == 0xFEFF || is_break(c) || c == '"' || c == '\\' {
            out.push('\\');
            match c {
                '\0' => out.push('0'),
                '\x07' => out.push('a'),
                '\x08' => out.push('b'),
                '\t' => out.push('t'),
                '\n' => out.push('n'),
                '\x0b' => out.push('v'),
                '\x0c' => out.push('f'),
                '\r' => out.push('r'),
                '\x1b' => out.push('e'),
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                '\u{85}' => out.push('N'),
                '\u{a0}' => out.push('_'),
                '\u{2028}' => out.push('L'),
                '\u{2029}' => out.push('P'),
                _ => {
                    if u <= 0xFF {
                        out.push_str(&format!("x{u:02X}"));
                    } else if u <= 0xFFFF {
                        out.push_str(&format!("u{u:04X}"));
                    } else {
                        out.push_str(&format!("U{u:08X}"));
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out.push('"');
}

fn write_literal(out: &mut String, s: &str, indent: usize) {
    out.push('|');
    let first = s.chars().next().unwrap_or('x');
    if first == ' ' || is_break(first) {
        out.push('2');
    }
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n == 0 || !is_break(chars[n - 1]) {
        out.push('-');
    } else if n == 1 || is_break(chars[n - 2]) {
        out.push('+');
    }
    // content
    let mut line_start = true;
    out.push('\n');
    let body = match s.chars().last() {
        Some(c) if is_break(c) => &s[..s.len() - c.len_utf8()],
        _ => s,
    };
    let it = body.chars();
    let mut pending_breaks = 0;
    let _ = &mut pending_breaks;
    for c in it {
        if line_start {
            if !is_break(c) {
                out.extend(std::iter::repeat_n(' ', indent));
            }
            line_start = false;
        }
        if is_break(c) {
            out.push('\n');
            line_start = true;
        } else {
            out.push(c);
        }
    }
}

fn write_scalar(out: &mut String, s: &str, indent: usize, simple_key: bool, v3: bool) {
    match choose_style(s, simple_key, v3) {
        Style::Plain => out.push_str(s),
        Style::Single => {
            out.push('\'');
            out.push_str(&s.replace('\'', "''"));
            out.push('\'');
        }
        Style::Double => write_double(out, s),
        Style::Literal => write_literal(out, s, indent),
    }
}

fn scalar_text(y: &Y, v3: bool) -> Option<String> {
    Some(match y {
        Y::Null => "null".into(),
        Y::Bool(b) => b.to_string(),
        Y::Int(i) => i.to_string(),
        Y::Float(f) => {
            let s = crate::fmt::format_float(*f, 'g', -1);
            match s.as_str() {
                "+Inf" => ".inf".into(),
                "-Inf" => "-.inf".into(),
                "NaN" => ".nan".into(),
                _ => {
                    let _ = v3;
                    s
                }
            }
        }
        _ => return None,
    })
}

struct Emitter {
    out: String,
    v3: bool,
}

impl Emitter {
    /// Emits a node that starts on the current line (after `key: ` or `- `) at `indent`.
    fn node(&mut self, y: &Y, indent: usize) {
        match y {
            Y::Str(s) => write_scalar(&mut self.out, s, indent, false, self.v3),
            Y::Seq(v) if v.is_empty() => self.out.push_str("[]"),
            Y::Map(m) if m.is_empty() => self.out.push_str("{}"),
            Y::Seq(v) => self.seq(v, indent, true),
            Y::Map(m) => self.map(m, indent, true),
            other => {
                if let Some(t) = scalar_text(other, self.v3) {
                    self.out.push_str(&t);
                }
            }
        }
    }

    fn newline_indent(&mut self, indent: usize) {
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n(' ', indent));
    }

    /// A block sequence whose first item starts on the current line.
    fn seq(&mut self, v: &[Y], indent: usize, first_inline: bool) {
        for (i, item) in v.iter().enumerate() {
            if i > 0 || !first_inline {
                self.newline_indent(indent);
            }
            self.out.push_str("- ");
            match item {
                Y::Seq(s) if !s.is_empty() => self.seq(s, indent + 2, true),
                Y::Map(m) if !m.is_empty() => self.map(m, indent + 2, true),
                other => self.node(other, indent + 2),
            }
        }
    }

    /// A block mapping whose first key starts on the current line.
    fn map(&mut self, m: &[(String, Y)], indent: usize, first_inline: bool) {
        for (i, (k, v)) in m.iter().enumerate() {
            if i > 0 || !first_inline {
                self.newline_indent(indent);
            }
            let long = k.chars().count() > 128;
            if long {
                self.out.push_str("? ");
                write_scalar(&mut self.out, k, indent + 2, false, self.v3);
                self.newline_indent(indent);
                self.out.push(':');
            } else {
                write_scalar(&mut self.out, k, indent, true, self.v3);
                self.out.push(':');
            }
            match v {
                Y::Seq(s) if !s.is_empty() => {
                    let ind = if self.v3 { indent + 2 } else { indent };
                    self.newline_indent(ind);
                    self.seq(s, ind, true);
                }
                Y::Map(mm) if !mm.is_empty() => {
                    self.newline_indent(indent + 2);
                    self.map(mm, indent + 2, true);
                }
                other => {
                    self.out.push(' ');
                    self.node(other, indent + 2);
                }
            }
        }
    }
}

fn emit(v: &Value, v3: bool) -> String {
    let y = to_y(v, v3);
    let mut e = Emitter {
        out: String::new(),
        v3,
    };
    match &y {
        Y::Seq(s) if !s.is_empty() => e.seq(s, 0, true),
        Y::Map(m) if !m.is_empty() => e.map(m, 0, true),
        Y::Str(s) => write_scalar(&mut e.out, s, 2, false, v3),
        other => e.node(other, 2),
    }
    e.out
}

/// Helm's `toYaml`: go-yaml v2 output of the value's JSON form, without the final newline.
///
/// ```
/// use gitops_gotemplate::{Value, helm::to_yaml};
/// let v = Value::from(serde_json::json!({"b": [1, "yes"], "a": {"c": 1000000}}));
/// assert_eq!(to_yaml(&v), "a:\n  c: 1000000\nb:\n- 1\n- \"yes\"");
/// ```
pub fn to_yaml(v: &Value) -> String {
    emit(v, false)
}

/// Helm's `toYamlPretty` (go-yaml v3 encoder with indent 2), without the final newline.
pub fn to_yaml_pretty(v: &Value) -> String {
    emit(v, true)
}

fn from_saphyr(s: &str) -> Result<Value, String> {
    if s.trim().is_empty() {
        return Ok(Value::Nil);
    }
    let j: serde_json::Value =
        serde_saphyr::from_str(s).map_err(|e| format!("error converting YAML to JSON: {e}"))?;
    Ok(Value::from(j))
}

/// Helm's `fromYaml`: a map, with the error message under `Error` when the text is not a YAML map.
pub fn from_yaml(s: &str) -> Value {
    let m = Map::new(MapKind::Interface);
    match from_saphyr(s) {
        Ok(Value::Map(parsed)) => return Value::Map(parsed),
        Ok(Value::Nil) => {}
        Ok(other) => {
            m.insert(
                "Error",
                Value::from(format!(
                    "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    json_kind(&other)
                )),
            );
        }
        Err(e) => m.insert("Error", Value::from(e)),
    }
    Value::Map(m)
}

/// Helm's `fromYamlArray`.
pub fn from_yaml_array(s: &str) -> Value {
    match from_saphyr(s) {
        Ok(Value::List(l)) => Value::List(l),
        Ok(Value::Nil) => Value::list(vec![]),
        Ok(other) => Value::list(vec![Value::from(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        ))]),
        Err(e) => Value::list(vec![Value::from(e)]),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Map(_) => "object",
        Value::List(_) => "array",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        _ => "number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_quote_like_go_yaml_v2() {
        let y = |s: &str| to_yaml(&Value::str(s));
        assert_eq!(y("abc"), "abc");
        assert_eq!(y("true"), "\"true\"");
        assert_eq!(y("yes"), "\"yes\"");
        assert_eq!(y("1.5"), "\"1.5\"");
        assert_eq!(y(""), "\"\"");
        assert_eq!(y("a: b"), "'a: b'");
        assert_eq!(y("- a"), "'- a'");
        assert_eq!(y("a\nb"), "|-\n  a\n  b");
        assert_eq!(y("2024-01-15"), "\"2024-01-15\"");
        assert_eq!(y("*"), "'*'");
        assert_eq!(y("a\tb"), "\"a\\tb\"");
    }

    #[test]
    fn key_order_is_natural() {
        assert_eq!(key_order("a2", "a10", false), Ordering::Less);
        assert_eq!(key_order("b", "a", false), Ordering::Greater);
    }
}
