//! `semver` and `semverCompare`, after Masterminds/semver v3.

use super::{ArgType::*, FuncMap, arg_str, ferr, reg};
use crate::error::Error;
use crate::value::{MethodSig, Object, Value};
use std::cmp::Ordering;
use std::sync::Arc;

/// A parsed semantic version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    meta: String,
    original: String,
}

fn parse_num(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn valid_ident(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

impl Version {
    /// Parses leniently (`v` prefix, missing minor/patch), like `semver.NewVersion`.
    pub fn parse(s: &str) -> Result<Version, String> {
        let err = || "Invalid Semantic Version".to_string();
        let body = s.strip_prefix('v').unwrap_or(s);
        let (rest, meta) = match body.split_once('+') {
            Some((a, b)) => {
                if !valid_ident(b) {
                    return Err(err());
                }
                (a, b.to_string())
            }
            None => (body, String::new()),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((a, b)) => {
                if !valid_ident(b) {
                    return Err(err());
                }
                (a, b.to_string())
            }
            None => (rest, String::new()),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return Err(err());
        }
        let major = parse_num(parts[0]).ok_or_else(err)?;
        let minor = parts
            .get(1)
            .map_or(Some(0), |p| parse_num(p))
            .ok_or_else(err)?;
        let patch = parts
            .get(2)
            .map_or(Some(0), |p| parse_num(p))
            .ok_or_else(err)?;
        Ok(Version {
            major,
            minor,
            patch,
            pre,
            meta,
            original: s.to_string(),
        })
    }

    fn cmp_pre(a: &str, b: &str) -> Ordering {
        match (a.is_empty(), b.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            _ => {}
        }
        let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
        for (x, y) in pa.iter().zip(&pb) {
            let o = match (parse_num(x), parse_num(y)) {
                (Some(i), Some(j)) => i.cmp(&j),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                _ => x.cmp(y),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        pa.len().cmp(&pb.len())
    }

    fn compare(&self, o: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(o.major, o.minor, o.patch))
            .then_with(|| Version::cmp_pre(&self.pre, &o.pre))
    }

    /// Semver precedence (build metadata ignored), as Masterminds' `Compare`.
    pub fn precedence(&self, other: &Version) -> Ordering {
        self.compare(other)
    }

    /// Whether this is a pre-release (`1.0.0-rc.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    fn to_go_string(&self) -> String {
        let mut s = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.pre.is_empty() {
            s.push('-');
            s.push_str(&self.pre);
        }
        if !self.meta.is_empty() {
            s.push('+');
            s.push_str(&self.meta);
        }
        s
    }
}

impl Object for Version {
    fn type_name(&self) -> String {
        "*semver.Version".into()
    }
    fn kind_name(&self) -> &'static str {
        "ptr"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn method(&self, name: &str) -> Option<MethodSig> {
        matches!(
            name,
            "Major" | "Minor" | "Patch" | "Prerelease" | "Metadata" | "Original" | "String"
        )
        .then(|| MethodSig {
            params: vec![],
            variadic: None,
        })
    }
    fn call(&self, name: &str, _args: &[Value]) -> Result<Value, String> {
        Ok(match name {
            "Major" => Value::Int64(self.major as i64),
            "Minor" => Value::Int64(self.minor as i64),
            "Patch" => Value::Int64(self.patch as i64),
            "Prerelease" => Value::str(&self.pre),
            "Metadata" => Value::str(&self.meta),
            "Original" => Value::str(&self.original),
            _ => Value::from(self.to_go_string()),
        })
    }
    fn format(&self, out: &mut String) {
        out.push_str(&self.to_go_string());
    }
    fn to_data(&self) -> Value {
        Value::from(self.to_go_string())
    }
}

#[derive(Debug)]
struct Constraint {
    op: String,
    v: Version,
    /// Number of components given (1–3); wildcards count as missing.
    given: usize,
}

fn parse_constraint_part(s: &str) -> Result<Constraint, String> {
    let s = s.trim();
    let ops = [">=", "=>", "<=", "=<", "!=", "~>", ">", "<", "=", "~", "^"];
    let mut op = "";
    let mut rest = s;
    for o in ops {
        if let Some(r) = s.strip_prefix(o) {
            op = o;
            rest = r.trim_start();
            break;
        }
    }
    let op = match op {
        "=>" => ">=",
        "=<" => "<=",
        "~>" => "~",
        o => o,
    };
    let body = rest.strip_prefix('v').unwrap_or(rest);
    let (core, tail) = match body.find(['-', '+']) {
        Some(i) => (&body[..i], &body[i..]),
        None => (body, ""),
    };
    let mut nums = Vec::new();
    for p in core.split('.') {
        if matches!(p, "x" | "X" | "*") {
            break;
        }
        nums.push(p);
    }
    let given = nums.len();
    if core.is_empty() || matches!(core, "x" | "X" | "*") {
        return Ok(Constraint {
            op: if op.is_empty() {
                ">=".into()
            } else {
                op.into()
            },
            v: Version::parse("0.0.0")?,
            given: 0,
        });
    }
    let mut text = nums.join(".");
    for _ in given..3 {
        text.push_str(".0");
    }
    text.push_str(tail);
    let v = Version::parse(&text).map_err(|_| format!("improper constraint: {s}"))?;
    Ok(Constraint {
        op: op.into(),
        v,
        given,
    })
}

impl Constraint {
    fn upper(&self, level: usize) -> Version {
        let mut u = self.v.clone();
        u.pre.clear();
        match level {
            0 => {
                u.major += 1;
                u.minor = 0;
                u.patch = 0;
            }
            1 => {
                u.minor += 1;
                u.patch = 0;
            }
            _ => u.patch += 1,
        }
        u
    }

    fn check(&self, v: &Version) -> bool {
        if !v.pre.is_empty() && self.v.pre.is_empty() {
            return false;
        }
        let c = v.compare(&self.v);
        match self.op.as_str() {
            "" | "=" => {
                if self.given < 3 {
                    c != Ordering::Less
                        && v.compare(&self.upper(self.given.saturating_sub(1).min(2)))
                            == Ordering::Less
                        || self.given == 0
                } else {
                    c == Ordering::Equal
                }
            }
            "!=" => {
                if self.given < 3 && self.given > 0 {
                    !(c != Ordering::Less
                        && v.compare(&self.upper(self.given - 1)) == Ordering::Less)
                } else {
                    c != Ordering::Equal
                }
            }
            ">" => {
                if self.given < 3 && self.given > 0 {
                    v.compare(&self.upper(self.given - 1)) != Ordering::Less
                } else {
                    c == Ordering::Greater
                }
            }
            "<" => c == Ordering::Less,
            ">=" => c != Ordering::Less,
            "<=" => {
                if self.given < 3 && self.given > 0 {
                    v.compare(&self.upper(self.given - 1)) == Ordering::Less
                } else {
                    c != Ordering::Greater
                }
            }
            "~" => {
                let level = if self.given <= 1 { 0 } else { 1 };
                c != Ordering::Less && v.compare(&self.upper(level)) == Ordering::Less
            }
            "^" => {
                let level = if self.v.major > 0 || self.given <= 1 {
                    0
                } else if self.v.minor > 0 || self.given == 2 {
                    1
                } else {
                    2
                };
                c != Ordering::Less && v.compare(&self.upper(level)) == Ordering::Less
            }
            _ => false,
        }
    }
}

/// Checks `version` against a constraint such as `>=1.21-0` or `^1.2 || ~2.0`.
pub fn semver_compare(constraint: &str, version: &str) -> Result<bool, String> {
    let mut groups = Vec::new();
    for g in constraint.split("||") {
        let mut parts = Vec::new();
        // hyphen ranges "a - b"
        let g = g.trim();
        if let Some((a, b)) = g.split_once(" - ") {
            parts.push(parse_constraint_part(&format!(">={}", a.trim()))?);
            parts.push(parse_constraint_part(&format!("<={}", b.trim()))?);
        } else {
            let mut tokens: Vec<String> = Vec::new();
            for t in g.split([',', ' ']).filter(|t| !t.is_empty()) {
                if let Some(last) = tokens.last_mut()
                    && matches!(
                        last.as_str(),
                        ">=" | "<=" | ">" | "<" | "=" | "!=" | "~" | "^" | "=>" | "=<" | "~>"
                    )
                {
                    last.push_str(t);
                    continue;
                }
                tokens.push(t.to_string());
            }
            if tokens.is_empty() {
                return Err(format!("improper constraint: {constraint}"));
            }
            for t in tokens {
                parts.push(parse_constraint_part(&t)?);
            }
        }
        groups.push(parts);
    }
    let v = Version::parse(version)?;
    Ok(groups.iter().any(|g| g.iter().all(|c| c.check(&v))))
}

pub(crate) fn register(m: &mut FuncMap) {
    reg(m, "semverCompare", &[Text, Text], |a| {
        semver_compare(arg_str(&a[0]), arg_str(&a[1]))
            .map(Value::Bool)
            .map_err(ferr)
    });
    reg(m, "semver", &[Text], |a| -> Result<Value, Error> {
        let v = Version::parse(arg_str(&a[0])).map_err(ferr)?;
        Ok(Value::Object(Arc::new(v)))
    });
}

#[cfg(test)]
mod tests {
    use super::semver_compare;

    #[test]
    fn constraints() {
        assert!(semver_compare(">=1.21-0", "v1.36.0").unwrap());
        assert!(semver_compare("^1.2.3", "1.9.0").unwrap());
        assert!(!semver_compare("^1.2.3", "2.0.0").unwrap());
        assert!(semver_compare("~1.2", "1.2.9").unwrap());
        assert!(!semver_compare("~1.2", "1.3.0").unwrap());
        assert!(semver_compare(">= 1.19, < 1.40", "1.36.0").unwrap());
        assert!(semver_compare("<1.19 || >=1.30", "1.36.0").unwrap());
        assert!(!semver_compare(">=1.21", "1.36.0-rc.1").unwrap());
        assert!(semver_compare("1.x", "1.5.0").unwrap());
    }
}
