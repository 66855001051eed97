//! URL functions: `urlParse`, `urlJoin` and Go's `url.QueryEscape`.

use super::{ArgType::*, FuncMap, arg_str, ferr, reg};
use crate::value::{Map, MapKind, Value};

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn path_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'/'
            | b'$'
            | b'&'
            | b'+'
            | b','
            | b':'
            | b';'
            | b'='
            | b'@'
            | b'!'
            | b'\''
            | b'('
            | b')'
            | b'*' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse(v: &str) -> Map {
    let m = Map::new(MapKind::Interface);
    let (rest, fragment) = match v.split_once('#') {
        Some((a, f)) => (a, unescape(f)),
        None => (v, String::new()),
    };
    let mut scheme = String::new();
    let mut rest = rest.to_string();
    if let Some(i) = rest.find(':') {
        let cand = &rest[..i];
        if !cand.is_empty()
            && cand.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && cand
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            scheme = cand.to_ascii_lowercase();
            rest = rest[i + 1..].to_string();
        }
    }
    let (rest, query) = match rest.split_once('?') {
        Some((a, q)) => (a.to_string(), q.to_string()),
        None => (rest, String::new()),
    };
    let (mut host, mut userinfo, mut path, mut opaque) =
        (String::new(), String::new(), String::new(), String::new());
    if let Some(r) = rest.strip_prefix("//") {
        let (auth, p) = match r.find('/') {
            Some(i) => (&r[..i], &r[i..]),
            None => (r, ""),
        };
        match auth.rsplit_once('@') {
            Some((u, h)) => {
                userinfo = u.to_string();
                host = h.to_string();
            }
            None => host = auth.to_string(),
        }
        path = unescape(p);
    } else if !scheme.is_empty() && !rest.starts_with('/') {
        opaque = rest;
    } else {
        path = unescape(&rest);
    }
    let hostname = if host.starts_with('[') {
        host.trim_start_matches('[')
            .split(']')
            .next()
            .unwrap_or("")
            .to_string()
    } else {
        host.rsplit_once(':')
            .map_or(host.clone(), |(h, _)| h.to_string())
    };
    m.insert("scheme", Value::from(scheme));
    m.insert("host", Value::from(host));
    m.insert("hostname", Value::from(hostname));
    m.insert("path", Value::from(path));
    m.insert("query", Value::from(query));
    m.insert("opaque", Value::from(opaque));
    m.insert("fragment", Value::from(fragment));
    m.insert("userinfo", Value::from(userinfo));
    m
}

fn get(d: &Map, key: &str) -> Result<String, crate::Error> {
    match d.get(key) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.to_string()),
        Some(other) => Err(ferr(format!(
            "unable to parse {key} key, must be of type string, but {} found",
            other.kind_name()
        ))),
    }
}

pub(crate) fn register(m: &mut FuncMap) {
    reg(m, "urlParse", &[Text], |a| {
        Ok(Value::Map(parse(arg_str(&a[0]))))
    });
    reg(m, "urlJoin", &[Map], |a| {
        let d = match &a[0] {
            Value::Map(m) => m.clone(),
            _ => Map::new(MapKind::Interface),
        };
        let (scheme, host, path, query, opaque, fragment, user) = (
            get(&d, "scheme")?,
            get(&d, "host")?,
            get(&d, "path")?,
            get(&d, "query")?,
            get(&d, "opaque")?,
            get(&d, "fragment")?,
            get(&d, "userinfo")?,
        );
        let mut out = String::new();
        if !scheme.is_empty() {
            out.push_str(&scheme);
            out.push(':');
        }
        if !opaque.is_empty() {
            out.push_str(&opaque);
        } else {
            if !scheme.is_empty() || !host.is_empty() || !user.is_empty() {
                if !host.is_empty() || !path.is_empty() || !user.is_empty() {
                    out.push_str("//");
                }
                if !user.is_empty() {
                    out.push_str(&user);
                    out.push('@');
                }
                out.push_str(&host);
            }
            if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
                out.push('/');
            }
            out.push_str(&path_escape(&path));
        }
        if !query.is_empty() {
            out.push('?');
            out.push_str(&query);
        }
        if !fragment.is_empty() {
            out.push('#');
            out.push_str(&path_escape(&fragment));
        }
        Ok(Value::from(out))
    });
}
