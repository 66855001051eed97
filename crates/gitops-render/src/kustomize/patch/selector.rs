//! Resource selection for patch targets and replacements: anchored regular expressions on
//! group, version, kind, name and namespace (original or current), plus Kubernetes label and
//! annotation selectors.

use regex::Regex;

use crate::kustomize::resource::Resource;
use crate::kustomize::types::Selector;

/// A compiled selector.
#[derive(Debug)]
pub(crate) struct Compiled {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Vec<Requirement>,
    annotations: Vec<Requirement>,
}

fn anchored(pattern: &str) -> Result<Option<Regex>, String> {
    if pattern.is_empty() {
        return Ok(None);
    }
    Regex::new(&format!("^(?:{pattern})$"))
        .map(Some)
        .map_err(|e| format!("invalid pattern {pattern:?}: {e}"))
}

impl Compiled {
    /// Compiles a selector.
    pub(crate) fn new(s: &Selector) -> Result<Self, String> {
        Ok(Compiled {
            group: anchored(&s.group)?,
            version: anchored(&s.version)?,
            kind: anchored(&s.kind)?,
            name: anchored(&s.name)?,
            namespace: anchored(&s.namespace)?,
            labels: parse_selector(&s.label_selector)?,
            annotations: parse_selector(&s.annotation_selector)?,
        })
    }

    /// kustomize's `ResMap.Select` test for one resource.
    pub(crate) fn matches(&self, res: &Resource) -> bool {
        let is = |re: &Option<Regex>, v: &str| re.as_ref().is_none_or(|re| re.is_match(v));
        if let Some(ns) = &self.namespace
            && !ns.is_match(res.org_effective_namespace())
            && !ns.is_match(res.cur_effective_namespace())
        {
            return false;
        }
        if let Some(name) = &self.name
            && !name.is_match(res.org_name())
            && !name.is_match(res.name())
        {
            return false;
        }
        let (group, version) = res.group_version();
        if !is(&self.group, group) || !is(&self.version, version) || !is(&self.kind, res.kind()) {
            return false;
        }
        if !self.labels.is_empty() {
            let labels = res.meta_map("labels");
            if !self.labels.iter().all(|r| r.matches(&labels)) {
                return false;
            }
        }
        if !self.annotations.is_empty() {
            let annotations = res.meta_map("annotations");
            if !self.annotations.iter().all(|r| r.matches(&annotations)) {
                return false;
            }
        }
        true
    }
}

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq)]
enum Requirement {
    Exists(String),
    NotExists(String),
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Greater(String, i64),
    Less(String, i64),
}

impl Requirement {
    fn matches(&self, labels: &[(String, String)]) -> bool {
        let get = |k: &str| {
            labels
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        match self {
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|x| vs.iter().all(|v| v != x)),
            Requirement::Greater(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x > *n),
            Requirement::Less(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x < *n),
        }
    }
}

/// Parses a Kubernetes label selector (`a=b,c!=d,e in (f,g),!h,i`).
fn parse_selector(text: &str) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (req, tail) =
            parse_requirement(rest).map_err(|e| format!("label selector {text:?}: {e}"))?;
        out.push(req);
        rest = tail.trim_start();
        if let Some(tail) = rest.strip_prefix(',') {
            rest = tail.trim_start();
            if rest.is_empty() {
                return Err(format!("label selector {text:?}: trailing comma"));
            }
        } else if !rest.is_empty() {
            return Err(format!("label selector {text:?}: unexpected {rest:?}"));
        }
    }
    Ok(out)
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')
}

fn parse_requirement(s: &str) -> Result<(Requirement, &str), String> {
    if let Some(rest) = s.strip_prefix('!') {
        let rest = rest.trim_start();
        let end = rest.find(|c| !is_key_char(c)).unwrap_or(rest.len());
        if end == 0 {
            return Err("missing key after '!'".into());
        }
        return Ok((Requirement::NotExists(rest[..end].to_owned()), &rest[end..]));
    }
    let end = s.find(|c| !is_key_char(c)).unwrap_or(s.len());
    if end == 0 {
        return Err(format!("expected a key at {s:?}"));
    }
    let key = s[..end].to_owned();
    let rest = s[end..].trim_start();
    let value_end = |r: &str| {
        r.find(|c: char| c == ',' || c.is_whitespace())
            .unwrap_or(r.len())
    };
    for (op, ctor) in [("==", 0u8), ("!=", 1), ("=", 0), (">", 2), ("<", 3)] {
        if let Some(r) = rest.strip_prefix(op) {
            let r = r.trim_start();
            let e = value_end(r);
            let value = r[..e].to_owned();
            let req = match ctor {
                0 => Requirement::Equals(key, value),
                1 => Requirement::NotEquals(key, value),
                2 => Requirement::Greater(
                    key,
                    value
                        .parse()
                        .map_err(|_| format!("{value:?} is not an integer"))?,
                ),
                _ => Requirement::Less(
                    key,
                    value
                        .parse()
                        .map_err(|_| format!("{value:?} is not an integer"))?,
                ),
            };
            return Ok((req, &r[e..]));
        }
    }
    for (word, negate) in [("notin", true), ("in", false)] {
        if let Some(r) = rest.strip_prefix(word)
            && (r.starts_with(char::is_whitespace) || r.starts_with('('))
        {
            let r = r.trim_start();
            let Some(r) = r.strip_prefix('(') else {
                return Err(format!("expected '(' after {word}"));
            };
            let Some(close) = r.find(')') else {
                return Err("missing ')'".into());
            };
            let values = r[..close]
                .split(',')
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect();
            let req = if negate {
                Requirement::NotIn(key, values)
            } else {
                Requirement::In(key, values)
            };
            return Ok((req, &r[close + 1..]));
        }
    }
    Ok((Requirement::Exists(key), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn selectors() {
        let l = labels(&[("app", "web"), ("tier", "front"), ("n", "5")]);
        let ok = |s: &str| parse_selector(s).unwrap().iter().all(|r| r.matches(&l));
        assert!(ok("app=web"));
        assert!(ok("app==web, tier"));
        assert!(ok("app in (web, db),!missing"));
        assert!(ok("tier notin (back)"));
        assert!(ok("n>3,n<6"));
        assert!(!ok("app!=web"));
        assert!(!ok("missing"));
        assert!(ok(""));
        assert!(parse_selector("a=b,").is_err());
    }
}
