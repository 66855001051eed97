//! Base64/base32 and Go's `encoding/json` output format.

use super::{ArgType::*, FuncMap, arg_str, ferr, reg};
use crate::error::Error;
use crate::value::Value;
use base64::Engine as _;

/// Go's JSON float format.
pub(crate) fn json_float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let mut s = crate::fmt::format_float(f, 'e', -1);
        // e-07 -> e-7
        if let Some(i) = s.find("e-0") {
            s.remove(i + 2);
        } else if let Some(i) = s.find("e+0") {
            s.remove(i + 2);
        }
        Some(s)
    } else {
        Some(crate::fmt::format_float(f, 'f', -1))
    }
}

/// Go's JSON string escaping.
pub(crate) fn json_string(out: &mut String, s: &str, escape_html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '<' | '>' | '&' if escape_html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json.Marshal` (indent = None) or `json.MarshalIndent(v, "", indent)`.
pub(crate) fn to_json(v: &Value, escape_html: bool, indent: Option<&str>) -> Result<String, Error> {
    let mut out = String::new();
    write_json(&mut out, v, escape_html, indent, 0)?;
    Ok(out)
}

fn newline(out: &mut String, indent: Option<&str>, level: usize) {
    if let Some(ind) = indent {
        out.push('\n');
        for _ in 0..level {
            out.push_str(ind);
        }
    }
}

fn write_json(
    out: &mut String,
    v: &Value,
    html: bool,
    indent: Option<&str>,
    level: usize,
) -> Result<(), Error> {
    match v {
        Value::Invalid | Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float64(f) => match json_float(*f) {
            Some(s) => out.push_str(&s),
            None => {
                return Err(ferr(format!(
                    "json: unsupported value: {}",
                    crate::fmt::format_float(*f, 'g', -1)
                )));
            }
        },
        Value::String(s) => json_string(out, s, html),
        Value::Bytes(b) => json_string(
            out,
            &base64::engine::general_purpose::STANDARD.encode(b),
            html,
        ),
        Value::List(l) => {
            if l.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, x) in l.items().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, level + 1);
                write_json(out, x, html, indent, level + 1)?;
            }
            newline(out, indent, level);
            out.push(']');
        }
        Value::Map(m) => {
            let e = m.entries();
            if e.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, x)) in e.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, level + 1);
                json_string(out, k, html);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(out, x, html, indent, level + 1)?;
            }
            newline(out, indent, level);
            out.push('}');
        }
        Value::Time(t) => json_string(out, &super::dates::rfc3339_nano(t), html),
        Value::Object(o) => write_json(out, &o.to_data(), html, indent, level)?,
    }
    Ok(())
}

/// Parses JSON into template values (numbers become `float64`, like Go's `json.Unmarshal`).
pub(crate) fn from_json(s: &str) -> Result<Value, String> {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(v) => Ok(Value::from(v)),
        Err(e) => Err(go_json_error(s, &e)),
    }
}

fn go_json_error(s: &str, e: &serde_json::Error) -> String {
    if s.trim().is_empty() || e.is_eof() {
        return "unexpected end of JSON input".into();
    }
    let line = e.line();
    let col = e.column();
    let off: usize = s
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>()
        + col.saturating_sub(1);
    let c = s[off.min(s.len())..].chars().next().unwrap_or(' ');
    format!(
        "invalid character {} looking for beginning of value",
        super::strings::go_quote_rune(c)
    )
}

pub(crate) fn b64dec(s: &str) -> String {
    match base64::engine::general_purpose::STANDARD.decode(s) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => match e {
            base64::DecodeError::InvalidByte(i, _)
            | base64::DecodeError::InvalidLastSymbol(i, _) => {
                format!("illegal base64 data at input byte {i}")
            }
            base64::DecodeError::InvalidLength(n) => {
                format!("illegal base64 data at input byte {}", n / 4 * 4)
            }
            base64::DecodeError::InvalidPadding => format!(
                "illegal base64 data at input byte {}",
                s.len().saturating_sub(1)
            ),
        },
    }
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn b32enc(b: &[u8]) -> String {
    let mut out = String::new();
    for chunk in b.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from(buf[0]) << 32
            | u64::from(buf[1]) << 24
            | u64::from(buf[2]) << 16
            | u64::from(buf[3]) << 8
            | u64::from(buf[4]);
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(B32[((n >> (35 - 5 * i)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b32dec(s: &str) -> String {
    let mut bits: u64 = 0;
    let mut nbits = 0;
    let mut out = Vec::new();
    let trimmed = s.trim_end_matches('=');
    if !s.len().is_multiple_of(8) {
        return format!("illegal base32 data at input byte {}", s.len() / 8 * 8);
    }
    for (i, c) in trimmed.bytes().enumerate() {
        let Some(v) = B32.iter().position(|&x| x == c) else {
            return format!("illegal base32 data at input byte {i}");
        };
        bits = bits << 5 | v as u64;
        nbits += 5;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn register(m: &mut FuncMap) {
    reg(m, "b64enc", &[Text], |a| {
        Ok(Value::from(
            base64::engine::general_purpose::STANDARD.encode(arg_str(&a[0])),
        ))
    });
    reg(m, "b64dec", &[Text], |a| {
        Ok(Value::from(b64dec(arg_str(&a[0]))))
    });
    reg(m, "b32enc", &[Text], |a| {
        Ok(Value::from(b32enc(arg_str(&a[0]).as_bytes())))
    });
    reg(m, "b32dec", &[Text], |a| {
        Ok(Value::from(b32dec(arg_str(&a[0]))))
    });
    reg(m, "toJson", &[Any], |a| {
        Ok(Value::from(to_json(&a[0], true, None).unwrap_or_default()))
    });
    reg(m, "mustToJson", &[Any], |a| {
        Ok(Value::from(to_json(&a[0], true, None)?))
    });
    reg(m, "toPrettyJson", &[Any], |a| {
        Ok(Value::from(
            to_json(&a[0], true, Some("  ")).unwrap_or_default(),
        ))
    });
    reg(m, "mustToPrettyJson", &[Any], |a| {
        Ok(Value::from(to_json(&a[0], true, Some("  "))?))
    });
    reg(m, "toRawJson", &[Any], |a| {
        Ok(Value::from(to_json(&a[0], false, None)?))
    });
    reg(m, "mustToRawJson", &[Any], |a| {
        Ok(Value::from(to_json(&a[0], false, None)?))
    });
    reg(m, "fromJson", &[Text], |a| {
        Ok(from_json(arg_str(&a[0])).unwrap_or(Value::Nil))
    });
    reg(m, "mustFromJson", &[Text], |a| {
        from_json(arg_str(&a[0])).map_err(ferr)
    });
}
