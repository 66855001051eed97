//! Go's `fmt`: `%v` printing, `Sprint`, `Sprintln`, `Sprintf` and `strconv.FormatFloat`.

use crate::value::Value;

/// `strconv.FormatFloat(f, fmt, prec, 64)` for `fmt` in `e E f g G` (prec -1 = shortest).
pub fn format_float(f: f64, verb: char, prec: i32) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let neg = f.is_sign_negative();
    let a = f.abs();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    match verb {
        'f' | 'F' => {
            if prec < 0 {
                let (digits, dp) = shortest_digits(a);
                fmt_f(&mut out, &digits, dp, (digits.len() as i32 - dp).max(0));
            } else {
                out.push_str(&format!("{:.*}", prec as usize, a));
            }
        }
        'e' | 'E' => {
            let (digits, dp) = if prec < 0 {
                shortest_digits(a)
            } else {
                digits_prec(a, prec + 1)
            };
            let p = if prec < 0 {
                digits.len() as i32 - 1
            } else {
                prec
            };
            fmt_e(&mut out, &digits, dp, p, verb);
        }
        _ => {
            // 'g' / 'G'
            let upper = verb == 'G';
            let shortest = prec < 0;
            let (digits, dp) = if shortest {
                shortest_digits(a)
            } else {
                let p = if prec == 0 { 1 } else { prec };
                let (mut d, dp) = digits_prec(a, p);
                while d.len() > 1 && d.ends_with('0') {
                    d.pop();
                }
                (d, dp)
            };
            let nd = digits.len() as i32;
            let mut eprec = if shortest {
                6
            } else if prec == 0 {
                1
            } else {
                prec
            };
            if !shortest && eprec > nd && nd >= dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = dp - 1;
            if a == 0.0 {
                out.push('0');
                return out;
            }
            if exp < -4 || exp >= eprec {
                fmt_e(&mut out, &digits, dp, nd - 1, if upper { 'E' } else { 'e' });
            } else {
                fmt_f(&mut out, &digits, dp, (nd - dp).max(0));
            }
        }
    }
    out
}

/// Shortest round-trip decimal digits of `a >= 0` and the decimal point position.
fn shortest_digits(a: f64) -> (String, i32) {
    if a == 0.0 {
        return ("0".into(), 1);
    }
    let s = format!("{a:e}");
    split_e(&s)
}

/// `n` significant digits of `a`, correctly rounded.
fn digits_prec(a: f64, n: i32) -> (String, i32) {
    if a == 0.0 {
        return ("0".repeat(n.max(1) as usize), 1);
    }
    let s = format!("{:.*e}", (n - 1).max(0) as usize, a);
    split_e(&s)
}

fn split_e(s: &str) -> (String, i32) {
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    (digits, exp + 1)
}

fn fmt_e(out: &mut String, digits: &str, dp: i32, prec: i32, verb: char) {
    let b = digits.as_bytes();
    out.push(*b.first().unwrap_or(&b'0') as char);
    if prec > 0 {
        out.push('.');
        for i in 1..=prec as usize {
            out.push(*b.get(i).unwrap_or(&b'0') as char);
        }
    }
    out.push(if verb == 'E' { 'E' } else { 'e' });
    let exp = if digits == "0" || digits.bytes().all(|c| c == b'0') {
        0
    } else {
        dp - 1
    };
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.abs();
    if e < 10 {
        out.push('0');
    }
    out.push_str(&e.to_string());
}

fn fmt_f(out: &mut String, digits: &str, dp: i32, prec: i32) {
    let b = digits.as_bytes();
    if dp > 0 {
        for i in 0..dp as usize {
            out.push(*b.get(i).unwrap_or(&b'0') as char);
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec {
            let j = dp + i;
            let c = if j < 0 {
                b'0'
            } else {
                *b.get(j as usize).unwrap_or(&b'0')
            };
            out.push(c as char);
        }
    }
}

/// Appends Go's `%v` of a value.
pub fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Invalid | Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => {
            use std::fmt::Write as _;
            let _ = write!(out, "{i}");
        }
        Value::Float64(f) => write_float_v(out, *f),
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) => {
            out.push('[');
            for (i, x) in b.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(&x.to_string());
            }
            out.push(']');
        }
        Value::List(l) => {
            out.push('[');
            for (i, x) in l.items().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, x);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, x)) in m.entries().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_value(out, x);
            }
            out.push(']');
        }
        Value::Time(t) => out.push_str(&crate::funcs::dates::go_time_string(t)),
        Value::Object(o) => o.format(out),
    }
}

/// `fmt.Sprint`: spaces between operands when neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !matches!(a, Value::String(_)) && !matches!(args[i - 1], Value::String(_)) {
            out.push(' ');
        }
        write_value(&mut out, a);
    }
    out
}

/// `fmt.Sprintln`: spaces between all operands and a trailing newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_value(&mut out, a);
    }
    out.push('\n');
    out
}

#[derive(Default, Clone, Copy)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): integers below 1e6 print as
/// integers without the general formatter.
pub(crate) fn write_float_v(out: &mut String, f: f64) {
    if f.fract() == 0.0 && f.abs() < 1e6 && !(f == 0.0 && f.is_sign_negative()) {
        use std::fmt::Write as _;
        let _ = write!(out, "{}", f as i64);
    } else {
        out.push_str(&format_float(f, 'g', -1));
    }
}

/// `fmt.Sprintf`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::with_capacity(format.len() + 16);
    let mut argi = 0usize;
    let mut reordered = false;
    let chars: smallvec::SmallVec<[char; 64]> = format.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let mut fl = Flags::default();
        while i < chars.len() {
            match chars[i] {
                '+' => fl.plus = true,
                '-' => fl.minus = true,
                '#' => fl.sharp = true,
                ' ' => fl.space = true,
                '0' => fl.zero = true,
                _ => break,
            }
            i += 1;
        }
        // width
        if i < chars.len() && chars[i] == '*' {
            i += 1;
            if let Some(Value::Int(n)) = args.get(argi) {
                if *n < 0 {
                    fl.minus = true;
                }
                fl.width = Some(n.unsigned_abs() as usize);
            } else {
                out.push_str("%!(BADWIDTH)");
            }
            argi += 1;
        } else {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i > start {
                fl.width = chars[start..i].iter().collect::<String>().parse().ok();
            }
        }
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            if i < chars.len() && chars[i] == '*' {
                i += 1;
                if let Some(Value::Int(n)) = args.get(argi) {
                    fl.prec = if *n < 0 { None } else { Some(*n as usize) };
                } else {
                    out.push_str("%!(BADPREC)");
                }
                argi += 1;
            } else {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                fl.prec = Some(
                    chars[start..i]
                        .iter()
                        .collect::<String>()
                        .parse()
                        .unwrap_or(0),
                );
            }
        }
        if i < chars.len() && chars[i] == '[' {
            // explicit argument index
            if let Some(end) = chars[i..].iter().position(|&c| c == ']') {
                let n: String = chars[i + 1..i + end].iter().collect();
                if let Ok(n) = n.parse::<usize>()
                    && n >= 1
                {
                    argi = n - 1;
                    reordered = true;
                }
                i += end + 1;
            }
        }
        if i >= chars.len() {
            out.push_str("%!(NOVERB)");
            break;
        }
        let verb = chars[i];
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(argi) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        argi += 1;
        fmt_arg(&mut out, arg, verb, fl);
    }
    if !reordered && argi < args.len() {
        out.push_str("%!(EXTRA ");
        for (k, a) in args[argi..].iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            if a.is_nil() {
                out.push_str("<nil>");
            } else {
                out.push_str(&a.type_name());
                out.push('=');
                write_value(&mut out, a);
            }
        }
        out.push(')');
    }
    out
}

fn pad(out: &mut String, s: &str, fl: Flags) {
    let w = fl.width.unwrap_or(0);
    if w == 0 {
        out.push_str(s);
        return;
    }
    let n = s.chars().count();
    if n >= w {
        out.push_str(s);
        return;
    }
    let padn = w - n;
    if fl.minus {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', padn));
    } else if fl.zero {
        // zero padding goes after the sign
        let (sign, rest) = if s.starts_with(['-', '+', ' ']) {
            s.split_at(1)
        } else {
            ("", s)
        };
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', padn));
        out.push_str(rest);
    } else {
        out.extend(std::iter::repeat_n(' ', padn));
        out.push_str(s);
    }
}

fn bad_verb(out: &mut String, arg: &Value, verb: char) {
    out.push_str("%!");
    out.push(verb);
    out.push('(');
    if arg.is_nil() {
        out.push_str("<nil>");
    } else {
        out.push_str(&arg.type_name());
        out.push('=');
        write_value(out, arg);
    }
    out.push(')');
}

fn quote_go(s: &str, ascii_only: bool) -> String {
    crate::funcs::strings::go_quote(s, ascii_only)
}

fn fmt_int(out: &mut String, n: i64, verb: char, fl: Flags) {
    let neg = n < 0;
    let u = n.unsigned_abs();
    let mut digits = match verb {
        'd' | 'v' => u.to_string(),
        'x' => format!("{u:x}"),
        'X' => format!("{u:X}"),
        'o' | 'O' => format!("{u:o}"),
        'b' => format!("{u:b}"),
        'c' => {
            pad(
                out,
                &char::from_u32(n as u32).unwrap_or('\u{FFFD}').to_string(),
                fl,
            );
            return;
        }
        'q' => {
            let c = char::from_u32(n as u32).unwrap_or('\u{FFFD}');
            pad(out, &crate::funcs::strings::go_quote_rune(c), fl);
            return;
        }
        'U' => {
            let s = format!("U+{u:04X}");
            pad(out, &s, fl);
            return;
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            bad_verb(out, &Value::Int(n), verb);
            return;
        }
        _ => {
            bad_verb(out, &Value::Int(n), verb);
            return;
        }
    };
    if let Some(p) = fl.prec {
        if digits.len() < p {
            digits = "0".repeat(p - digits.len()) + &digits;
        }
        if p == 0 && u == 0 {
            digits.clear();
        }
    }
    let mut s = String::new();
    if neg {
        s.push('-');
    } else if fl.plus {
        s.push('+');
    } else if fl.space {
        s.push(' ');
    }
    if fl.sharp {
        match verb {
            'x' => s.push_str("0x"),
            'X' => s.push_str("0X"),
            'o' => s.push('0'),
            'b' => s.push_str("0b"),
            _ => {}
        }
    }
    if verb == 'O' {
        s.push_str("0o");
    }
    s.push_str(&digits);
    let fl2 = Flags {
        zero: fl.zero && fl.prec.is_none(),
        ..fl
    };
    pad(out, &s, fl2);
}

fn fmt_float(out: &mut String, f: f64, verb: char, fl: Flags) {
    let prec = fl.prec.map(|p| p as i32);
    let mut s = match verb {
        'v' | 'g' | 'G' => {
            let v = if verb == 'v' { 'g' } else { verb };
            format_float(f, v, prec.unwrap_or(-1))
        }
        'e' | 'E' | 'f' | 'F' => format_float(f, verb, prec.unwrap_or(6)),
        'x' | 'X' | 'b' => {
            bad_verb(out, &Value::Float64(f), verb);
            return;
        }
        _ => {
            bad_verb(out, &Value::Float64(f), verb);
            return;
        }
    };
    if fl.plus && !s.starts_with('-') && !s.starts_with('+') {
        s.insert(0, '+');
    } else if fl.space && !s.starts_with('-') {
        s.insert(0, ' ');
    } else if s.starts_with('+') && !fl.plus {
        s.remove(0);
    }
    if f.is_infinite() || f.is_nan() {
        let fl2 = Flags { zero: false, ..fl };
        pad(out, &s, fl2);
        return;
    }
    pad(out, &s, fl);
}

fn fmt_str(out: &mut String, s: &str, verb: char, fl: Flags) {
    match verb {
        'v' | 's' => {
            let t = match fl.prec {
                Some(p) => s.char_indices().nth(p).map_or(s, |(i, _)| &s[..i]),
                None => s,
            };
            pad(out, t, fl);
        }
        'q' => {
            let t: String = match fl.prec {
                Some(p) => s.chars().take(p).collect(),
                None => s.to_string(),
            };
            if fl.sharp && !t.contains('`') && t.chars().all(|c| c == '\t' || !c.is_control()) {
                pad(out, &format!("`{t}`"), fl);
            } else {
                pad(out, &quote_go(&t, fl.plus), fl);
            }
        }
        'x' | 'X' => {
            let mut h = String::new();
            for (i, b) in s.bytes().enumerate() {
                if fl.space && i > 0 {
                    h.push(' ');
                }
                if fl.sharp && (fl.space || i == 0) {
                    h.push_str(if verb == 'x' { "0x" } else { "0X" });
                }
                if verb == 'x' {
                    h.push_str(&format!("{b:02x}"));
                } else {
                    h.push_str(&format!("{b:02X}"));
                }
            }
            pad(out, &h, fl);
        }
        _ => bad_verb(out, &Value::str(s), verb),
    }
}

fn fmt_arg(out: &mut String, arg: &Value, verb: char, fl: Flags) {
    if verb == 'T' {
        pad(out, &arg.type_name(), fl);
        return;
    }
    match arg {
        Value::Invalid | Value::Nil => match verb {
            'v' => pad(out, "<nil>", fl),
            _ => bad_verb(out, arg, verb),
        },
        Value::Bool(b) => match verb {
            'v' | 't' => pad(out, if *b { "true" } else { "false" }, fl),
            _ => bad_verb(out, arg, verb),
        },
        Value::Int(n) | Value::Int64(n) => fmt_int(out, *n, verb, fl),
        Value::Float64(f) => fmt_float(out, *f, verb, fl),
        Value::String(s) => fmt_str(out, s, verb, fl),
        Value::Bytes(b) => match verb {
            's' | 'q' | 'x' | 'X' => fmt_str(out, &String::from_utf8_lossy(b), verb, fl),
            _ => {
                out.push('[');
                for (i, x) in b.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    fmt_int(out, i64::from(*x), verb, fl);
                }
                out.push(']');
            }
        },
        Value::List(l) => {
            out.push('[');
            for (i, x) in l.items().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                fmt_arg(out, x, verb, fl);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, x)) in m.entries().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                fmt_str(out, k, verb, fl);
                out.push(':');
                fmt_arg(out, x, verb, fl);
            }
            out.push(']');
        }
        Value::Time(_) | Value::Object(_) => match verb {
            'v' | 's' => {
                let mut s = String::new();
                write_value(&mut s, arg);
                pad(out, &s, fl);
            }
            'q' => {
                let mut s = String::new();
                write_value(&mut s, arg);
                pad(out, &quote_go(&s, fl.plus), fl);
            }
            _ => bad_verb(out, arg, verb),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_go() {
        assert_eq!(format_float(3.0, 'g', -1), "3");
        assert_eq!(format_float(1e6, 'g', -1), "1e+06");
        assert_eq!(format_float(123456.0, 'g', -1), "123456");
        assert_eq!(format_float(1234567.0, 'g', -1), "1.234567e+06");
        assert_eq!(format_float(0.0001, 'g', -1), "0.0001");
        assert_eq!(format_float(0.00001, 'g', -1), "1e-05");
        assert_eq!(format_float(1.5, 'f', 2), "1.50");
        assert_eq!(format_float(1.5, 'e', 3), "1.500e+00");
        assert_eq!(format_float(-0.5, 'g', -1), "-0.5");
        assert_eq!(format_float(1e100, 'g', -1), "1e+100");
        assert_eq!(format_float(123.456, 'g', 2), "1.2e+02");
        assert_eq!(format_float(0.0, 'g', -1), "0");
    }

    #[test]
    fn sprintf_like_go() {
        assert_eq!(sprintf("%d-%s", &[Value::Int(3), Value::str("a")]), "3-a");
        assert_eq!(
            sprintf(
                "%5.2f|%-4d|%04d",
                &[Value::Float64(2.5), Value::Int(7), Value::Int(-7)]
            ),
            " 2.50|7   |-007"
        );
        assert_eq!(sprintf("%q", &[Value::str("a\"b")]), "\"a\\\"b\"");
        assert_eq!(sprintf("%d", &[Value::str("x")]), "%!d(string=x)");
        assert_eq!(sprintf("%d %d", &[Value::Int(1)]), "1 %!d(MISSING)");
        assert_eq!(
            sprintf("%d", &[Value::Int(1), Value::str("x")]),
            "1%!(EXTRA string=x)"
        );
        assert_eq!(sprintf("%x", &[Value::str("hi")]), "6869");
        assert_eq!(sprintf("%v", &[Value::Float64(1e6)]), "1e+06");
    }
}
