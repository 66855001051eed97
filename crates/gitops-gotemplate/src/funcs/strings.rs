//! Sprig's string functions and Go's `strconv` quoting.

use super::{ArgType::*, FuncMap, arg_int, arg_str, build_str, ferr, reg, regv, same_or_str};
use crate::value::{ElemType, List, Map, MapKind, Value};

/// Go's `unicode.IsPrint`, approximately (graphic characters and ASCII space).
pub(crate) fn is_go_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    !matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E
        | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xD800..=0xDFFF
        | 0xF0000..=0x10FFFF | 0xFFFE | 0xFFFF)
}

fn push_escaped(out: &mut String, c: char, quote: char, ascii_only: bool) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if (!ascii_only || c.is_ascii()) && is_go_print(c) {
        out.push(c);
        return;
    }
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// `strconv.Quote` (or `QuoteToASCII`).
pub fn go_quote(s: &str, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    go_quote_into(&mut out, s, ascii_only);
    out
}

/// `strconv.Quote` appended to `out`.
pub(crate) fn go_quote_into(out: &mut String, s: &str, ascii_only: bool) {
    out.push('"');
    let mut rest = s;
    while !rest.is_empty() {
        // runs of printable ASCII other than the quote and backslash need no escaping
        let plain = rest
            .bytes()
            .take_while(|&b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
            .count();
        out.push_str(&rest[..plain]);
        rest = &rest[plain..];
        let mut it = rest.chars();
        if let Some(c) = it.next() {
            push_escaped(out, c, '"', ascii_only);
            rest = it.as_str();
        }
    }
    out.push('"');
}

/// `strconv.QuoteRune`.
pub(crate) fn go_quote_rune(c: char) -> String {
    let mut out = String::from("'");
    push_escaped(&mut out, c, '\'', false);
    out.push('\'');
    out
}

/// `strconv.UnquoteChar`: decodes one (possibly escaped) character; returns it and the tail.
pub(crate) fn go_unquote_char(s: &str, quote: char) -> Result<(char, &str), String> {
    let mut it = s.chars();
    let c = it.next().ok_or("invalid syntax")?;
    if c == quote && (quote == '\'' || quote == '"') {
        return Err("invalid syntax".into());
    }
    if c != '\\' {
        return Ok((c, it.as_str()));
    }
    let e = it.next().ok_or("invalid syntax")?;
    let rest = it.as_str();
    let hex = |n: usize, rest: &str| -> Result<(char, usize), String> {
        let h = rest.get(..n).ok_or("invalid syntax")?;
        let v = u32::from_str_radix(h, 16).map_err(|_| "invalid syntax".to_string())?;
        Ok((char::from_u32(v).ok_or("invalid syntax")?, n))
    };
    let (ch, used) = match e {
        'a' => ('\x07', 0),
        'b' => ('\x08', 0),
        'f' => ('\x0c', 0),
        'n' => ('\n', 0),
        'r' => ('\r', 0),
        't' => ('\t', 0),
        'v' => ('\x0b', 0),
        'x' => hex(2, rest)?,
        'u' => hex(4, rest)?,
        'U' => hex(8, rest)?,
        '0'..='7' => {
            let o = rest.get(..2).ok_or("invalid syntax")?;
            let v = u32::from_str_radix(&format!("{e}{o}"), 8)
                .map_err(|_| "invalid syntax".to_string())?;
            if v > 255 {
                return Err("invalid syntax".into());
            }
            (char::from_u32(v).ok_or("invalid syntax")?, 2)
        }
        '\\' => ('\\', 0),
        '\'' | '"' => {
            if e != quote {
                return Err("invalid syntax".into());
            }
            (e, 0)
        }
        _ => return Err("invalid syntax".into()),
    };
    Ok((ch, &rest[used..]))
}

/// `strconv.Unquote` for `"…"` and `` `…` `` strings.
pub(crate) fn go_unquote(s: &str) -> Result<String, String> {
    if s.len() >= 2 && s.starts_with('`') && s.ends_with('`') {
        return Ok(s[1..s.len() - 1].replace('\r', ""));
    }
    if s.len() < 2 || !s.starts_with('"') || !s.ends_with('"') {
        return Err("invalid syntax".into());
    }
    let mut body = &s[1..s.len() - 1];
    if !body.contains(['\\', '"', '\n']) {
        return Ok(body.to_string());
    }
    let mut out = String::with_capacity(body.len());
    while !body.is_empty() {
        let (c, rest) = go_unquote_char(body, '"')?;
        out.push(c);
        body = rest;
    }
    Ok(out)
}

/// Sprig's `strval`: strings as is, `[]byte` as string, others via `%v`.
pub(crate) fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        other => other.to_string(),
    }
}

/// Sprig's `strslice`.
pub(crate) fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l
            .items()
            .iter()
            .filter(|x| !x.is_nil())
            .map(strval)
            .collect(),
        Value::Bytes(b) => b.iter().map(|x| x.to_string()).collect(),
        Value::Invalid | Value::Nil => vec![],
        other => vec![strval(other)],
    }
}

fn is_sep(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    c.is_whitespace()
}

pub(crate) fn title(s: &str) -> String {
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_sep(prev) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

fn wrap_custom(s: &str, wrap_len: i64, nl: &str, wrap_long: bool) -> String {
    if s.is_empty() {
        return String::new();
    }
    let nl = if nl.is_empty() { "\n" } else { nl };
    let w = wrap_len.max(1) as usize;
    let b = s.as_bytes();
    let n = b.len();
    let mut offset = 0usize;
    let mut out = String::new();
    let sub = |a: usize, z: usize| String::from_utf8_lossy(&b[a.min(n)..z.min(n)]).into_owned();
    while n - offset > w {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = (w + offset + 1).min(n);
        let space = b[offset..end].iter().rposition(|&c| c == b' ');
        if let Some(sp) = space {
            let at = sp + offset;
            out.push_str(&sub(offset, at));
            out.push_str(nl);
            offset = at + 1;
        } else if wrap_long {
            let end = w + offset;
            out.push_str(&sub(offset, end));
            out.push_str(nl);
            offset += w;
        } else {
            let end = w + offset;
            match b[end..].iter().position(|&c| c == b' ') {
                None => {
                    out.push_str(&sub(offset, n));
                    offset = n;
                }
                Some(i) => {
                    let at = i + end;
                    out.push_str(&sub(offset, at));
                    out.push_str(nl);
                    offset = at + 1;
                }
            }
        }
    }
    out.push_str(&sub(offset, n));
    out
}

fn abbreviate_full(s: &str, mut offset: i64, max_width: i64) -> String {
    let n = s.len() as i64;
    if max_width < 4 || (offset > 0 && max_width < 7) || n <= max_width {
        return s.to_string();
    }
    if offset > n {
        offset = n;
    }
    if n - offset < max_width - 3 {
        offset = n - (max_width - 3);
    }
    let b = s.as_bytes();
    let sub = |a: i64, z: i64| {
        String::from_utf8_lossy(&b[a.max(0) as usize..z.clamp(0, n) as usize]).into_owned()
    };
    if offset <= 4 {
        return sub(0, max_width - 3) + "...";
    }
    if offset + max_width - 3 < n {
        return "...".to_string() + &abbreviate_full(&sub(offset, n), 0, max_width - 3);
    }
    "...".to_string() + &sub(n - (max_width - 3), n)
}

fn split_words(s: &str) -> Vec<String> {
    // xstrings-style word boundaries: separators, lower→upper, UPPER→Upper-lower.
    let chars: Vec<char> = s.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' || c == ' ' || c == '.' || c.is_whitespace() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

fn to_snake(s: &str, sep: char) -> String {
    split_words(s)
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join(&sep.to_string())
}

fn to_pascal(s: &str) -> String {
    let mut out = String::new();
    let mut upper_next = true;
    for c in s.chars() {
        if c == '_' || c == '-' || c == ' ' || c == '.' {
            upper_next = true;
            continue;
        }
        if upper_next {
            out.extend(c.to_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn swapcase(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let v: Vec<char> = if c.is_uppercase() {
                c.to_lowercase().collect()
            } else if c.is_lowercase() {
                c.to_uppercase().collect()
            } else {
                vec![c]
            };
            v
        })
        .collect()
}

fn split_map(parts: Vec<&str>) -> Value {
    let m = Map::new(MapKind::String);
    for (i, p) in parts.into_iter().enumerate() {
        m.insert(format!("_{i}"), Value::str(p));
    }
    Value::Map(m)
}

fn go_splitn<'a>(s: &'a str, sep: &str, n: i64) -> Vec<&'a str> {
    if n == 0 {
        return vec![];
    }
    if sep.is_empty() {
        let mut v: Vec<&str> = Vec::new();
        let mut idx: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
        idx.push(s.len());
        for w in idx.windows(2) {
            if n > 0 && v.len() as i64 == n - 1 {
                v.push(&s[w[0]..]);
                return v;
            }
            v.push(&s[w[0]..w[1]]);
        }
        return v;
    }
    if n < 0 {
        s.split(sep).collect()
    } else {
        s.splitn(n as usize, sep).collect()
    }
}

fn rand_string(count: i64, set: &[u8]) -> String {
    (0..count.max(0))
        .map(|_| set[fastrand::usize(..set.len())] as char)
        .collect()
}

pub(crate) fn register(m: &mut FuncMap) {
    reg(m, "hello", &[], |_| Ok(Value::str("Hello!")));
    reg(m, "abbrev", &[Int, Text], |a| {
        let w = arg_int(&a[0]);
        let s = arg_str(&a[1]);
        Ok(Value::from(if w < 4 {
            s.to_string()
        } else {
            abbreviate_full(s, 0, w)
        }))
    });
    reg(m, "abbrevboth", &[Int, Int, Text], |a| {
        let (l, r) = (arg_int(&a[0]), arg_int(&a[1]));
        let s = arg_str(&a[2]);
        Ok(Value::from(if r < 4 || l > 0 && r < 7 {
            s.to_string()
        } else {
            abbreviate_full(s, l, r)
        }))
    });
    reg(m, "trunc", &[Int, Text], |a| {
        let c = arg_int(&a[0]);
        let s = arg_str(&a[1]);
        let n = s.len() as i64;
        let b = s.as_bytes();
        let r = if c < 0 && n + c > 0 {
            String::from_utf8_lossy(&b[(n + c) as usize..]).into_owned()
        } else if c >= 0 && n > c {
            String::from_utf8_lossy(&b[..c as usize]).into_owned()
        } else {
            return Ok(same_or_str(&a[1], s));
        };
        Ok(Value::from(r))
    });
    reg(m, "trim", &[Text], |a| {
        Ok(same_or_str(&a[0], arg_str(&a[0]).trim()))
    });
    reg(m, "upper", &[Text], |a| {
        Ok(Value::from(arg_str(&a[0]).to_uppercase()))
    });
    reg(m, "lower", &[Text], |a| {
        Ok(Value::from(arg_str(&a[0]).to_lowercase()))
    });
    reg(m, "title", &[Text], |a| {
        Ok(Value::from(title(arg_str(&a[0]))))
    });
    reg(m, "untitle", &[Text], |a| {
        let s = arg_str(&a[0]);
        let mut c = s.chars();
        Ok(Value::from(match c.next() {
            Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
            None => String::new(),
        }))
    });
    reg(m, "substr", &[Int, Int, Text], |a| {
        let (start, end) = (arg_int(&a[0]), arg_int(&a[1]));
        let s = arg_str(&a[2]);
        let b = s.as_bytes();
        let n = b.len() as i64;
        let slice = |x: i64, y: i64| -> Result<Value, crate::Error> {
            if x < 0 || y < x || y > n {
                return Err(ferr(format!(
                    "runtime error: slice bounds out of range [{x}:{y}]"
                )));
            }
            Ok(Value::from(
                String::from_utf8_lossy(&b[x as usize..y as usize]).into_owned(),
            ))
        };
        if start < 0 {
            return slice(0, end);
        }
        if end < 0 || end > n {
            return slice(start, n);
        }
        slice(start, end)
    });
    reg(m, "repeat", &[Int, Text], |a| {
        let c = arg_int(&a[0]);
        if c < 0 {
            return Err(ferr("strings: negative Repeat count"));
        }
        Ok(Value::from(arg_str(&a[1]).repeat(c as usize)))
    });
    let trim_all = |a: &[Value]| {
        let cut = arg_str(&a[0]);
        Ok(same_or_str(
            &a[1],
            arg_str(&a[1]).trim_matches(|c| cut.contains(c)),
        ))
    };
    reg(m, "trimall", &[Text, Text], trim_all);
    reg(m, "trimAll", &[Text, Text], trim_all);
    reg(m, "trimSuffix", &[Text, Text], |a| {
        let s = arg_str(&a[1]);
        Ok(same_or_str(
            &a[1],
            s.strip_suffix(arg_str(&a[0])).unwrap_or(s),
        ))
    });
    reg(m, "trimPrefix", &[Text, Text], |a| {
        let s = arg_str(&a[1]);
        Ok(same_or_str(
            &a[1],
            s.strip_prefix(arg_str(&a[0])).unwrap_or(s),
        ))
    });
    reg(m, "nospace", &[Text], |a| {
        Ok(Value::from(
            arg_str(&a[0])
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>(),
        ))
    });
    reg(m, "initials", &[Text], |a| {
        Ok(Value::from(
            arg_str(&a[0])
                .split_whitespace()
                .filter_map(|w| w.chars().next())
                .collect::<String>(),
        ))
    });
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    reg(m, "randAlphaNum", &[Int], |a| {
        Ok(Value::from(rand_string(arg_int(&a[0]), ALNUM)))
    });
    reg(m, "randAlpha", &[Int], |a| {
        Ok(Value::from(rand_string(arg_int(&a[0]), &ALNUM[..52])))
    });
    reg(m, "randNumeric", &[Int], |a| {
        Ok(Value::from(rand_string(arg_int(&a[0]), &ALNUM[52..])))
    });
    reg(m, "randAscii", &[Int], |a| {
        let set: Vec<u8> = (32u8..127).collect();
        Ok(Value::from(rand_string(arg_int(&a[0]), &set)))
    });
    reg(m, "swapcase", &[Text], |a| {
        Ok(Value::from(swapcase(arg_str(&a[0]))))
    });
    reg(m, "shuffle", &[Text], |a| {
        let mut c: Vec<char> = arg_str(&a[0]).chars().collect();
        fastrand::shuffle(&mut c);
        Ok(Value::from(c.into_iter().collect::<String>()))
    });
    reg(m, "snakecase", &[Text], |a| {
        Ok(Value::from(to_snake(arg_str(&a[0]), '_')))
    });
    reg(m, "kebabcase", &[Text], |a| {
        Ok(Value::from(to_snake(arg_str(&a[0]), '-')))
    });
    reg(m, "camelcase", &[Text], |a| {
        Ok(Value::from(to_pascal(arg_str(&a[0]))))
    });
    reg(m, "wrap", &[Int, Text], |a| {
        Ok(Value::from(wrap_custom(
            arg_str(&a[1]),
            arg_int(&a[0]),
            "",
            false,
        )))
    });
    reg(m, "wrapWith", &[Int, Text, Text], |a| {
        Ok(Value::from(wrap_custom(
            arg_str(&a[2]),
            arg_int(&a[0]),
            arg_str(&a[1]),
            true,
        )))
    });
    reg(m, "contains", &[Text, Text], |a| {
        Ok(Value::Bool(arg_str(&a[1]).contains(arg_str(&a[0]))))
    });
    reg(m, "hasPrefix", &[Text, Text], |a| {
        Ok(Value::Bool(arg_str(&a[1]).starts_with(arg_str(&a[0]))))
    });
    reg(m, "hasSuffix", &[Text, Text], |a| {
        Ok(Value::Bool(arg_str(&a[1]).ends_with(arg_str(&a[0]))))
    });
    regv(m, "quote", &[], Any, |a| {
        Ok(build_str(|out| {
            for (i, x) in a.iter().filter(|x| !x.is_nil()).enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                match x {
                    Value::String(s) => go_quote_into(out, s, false),
                    other => go_quote_into(out, &strval(other), false),
                }
            }
        }))
    });
    regv(m, "squote", &[], Any, |a| {
        let v: Vec<std::string::String> = a
            .iter()
            .filter(|x| !x.is_nil())
            .map(|x| format!("'{x}'"))
            .collect();
        Ok(Value::from(v.join(" ")))
    });
    regv(m, "cat", &[], Any, |a| {
        let v: Vec<std::string::String> = a
            .iter()
            .filter(|x| !x.is_nil())
            .map(|x| x.to_string())
            .collect();
        Ok(Value::from(v.join(" ")))
    });
    reg(m, "indent", &[Int, Text], |a| {
        Ok(indent(arg_int(&a[0]), arg_str(&a[1]), false))
    });
    reg(m, "nindent", &[Int, Text], |a| {
        Ok(indent(arg_int(&a[0]), arg_str(&a[1]), true))
    });
    reg(m, "replace", &[Text, Text, Text], |a| {
        let (old, new, src) = (arg_str(&a[0]), arg_str(&a[1]), arg_str(&a[2]));
        if old.is_empty() {
            // Go inserts `new` around every rune.
            let mut out = std::string::String::from(new);
            for c in src.chars() {
                out.push(c);
                out.push_str(new);
            }
            return Ok(Value::from(out));
        }
        Ok(Value::from(src.replace(old, new)))
    });
    reg(m, "plural", &[Text, Text, Int], |a| {
        Ok(if arg_int(&a[2]) == 1 {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    reg(m, "toString", &[Any], |a| Ok(Value::from(strval(&a[0]))));
    reg(m, "split", &[Text, Text], |a| {
        Ok(split_map(go_splitn(arg_str(&a[1]), arg_str(&a[0]), -1)))
    });
    reg(m, "splitn", &[Text, Int, Text], |a| {
        Ok(split_map(go_splitn(
            arg_str(&a[2]),
            arg_str(&a[0]),
            arg_int(&a[1]),
        )))
    });
    reg(m, "splitList", &[Text, Text], |a| {
        let parts: Vec<std::string::String> = go_splitn(arg_str(&a[1]), arg_str(&a[0]), -1)
            .into_iter()
            .map(str::to_string)
            .collect();
        Ok(Value::string_list(parts))
    });
    reg(m, "toStrings", &[Any], |a| {
        Ok(Value::string_list(strslice(&a[0])))
    });
    reg(m, "join", &[Text, Any], |a| {
        Ok(Value::from(strslice(&a[1]).join(arg_str(&a[0]))))
    });
    reg(m, "sortAlpha", &[Any], |a| {
        let mut v = match &a[0] {
            Value::List(_) | Value::Bytes(_) => strslice(&a[0]),
            other => vec![strval(other)],
        };
        v.sort();
        Ok(Value::List(List::new(
            ElemType::String,
            v.into_iter().map(Value::from).collect(),
        )))
    });
    // paths
    reg(m, "base", &[Text], |a| {
        Ok(Value::from(path_base(arg_str(&a[0]))))
    });
    reg(m, "osBase", &[Text], |a| {
        Ok(Value::from(path_base(arg_str(&a[0]))))
    });
    reg(m, "dir", &[Text], |a| {
        Ok(Value::from(path_dir(arg_str(&a[0]))))
    });
    reg(m, "osDir", &[Text], |a| {
        Ok(Value::from(path_dir(arg_str(&a[0]))))
    });
    reg(m, "clean", &[Text], |a| {
        Ok(Value::from(path_clean(arg_str(&a[0]))))
    });
    reg(m, "osClean", &[Text], |a| {
        Ok(Value::from(path_clean(arg_str(&a[0]))))
    });
    reg(m, "ext", &[Text], |a| {
        Ok(Value::from(path_ext(arg_str(&a[0]))))
    });
    reg(m, "osExt", &[Text], |a| {
        Ok(Value::from(path_ext(arg_str(&a[0]))))
    });
    reg(m, "isAbs", &[Text], |a| {
        Ok(Value::Bool(arg_str(&a[0]).starts_with('/')))
    });
    reg(m, "osIsAbs", &[Text], |a| {
        Ok(Value::Bool(arg_str(&a[0]).starts_with('/')))
    });
}

/// Go's `path.Clean` for `/`-separated paths: the shortest equivalent path, `.` when empty.
///
/// ```
/// assert_eq!(gitops_gotemplate::path::clean("./a//b/../c/"), "a/c");
/// assert_eq!(gitops_gotemplate::path::clean("/../a"), "/a");
/// ```
pub fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let j = parts.join("/");
    if rooted {
        format!("/{j}")
    } else if j.is_empty() {
        ".".into()
    } else {
        j
    }
}

/// Go's `path.Base`.
pub(crate) fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

/// Go's `path.Dir`.
pub(crate) fn path_dir(p: &str) -> String {
    let i = p.rfind('/').map_or(0, |i| i + 1);
    path_clean(&p[..i])
}

/// Go's `path.Ext`.
pub(crate) fn path_ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return p[i..].to_string();
        }
    }
    String::new()
}

/// Sprig's `indent`/`nindent`: `pad + strings.Replace(s, "\n", "\n"+pad, -1)`.
fn indent(n: i64, s: &str, leading_newline: bool) -> Value {
    let n = n.max(0) as usize;
    build_str(|out| {
        out.reserve(s.len() + n * (2 + s.bytes().filter(|&b| b == b'\n').count()));
        if leading_newline {
            out.push('\n');
        }
        for (i, line) in s.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.extend(std::iter::repeat_n(' ', n));
            out.push_str(line);
        }
    })
}
