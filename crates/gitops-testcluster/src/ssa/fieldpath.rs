//! Field sets in the `FieldsV1` format of `metadata.managedFields`, and navigation of
//! objects along such paths.
//!
//! Path elements are kept in their encoded form: `f:name` (a field), `k:{"name":"x"}`
//! (a list item by key), `v:"x"` (a set item), `i:3` (an index, for lists without keys).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::schema::{ListType, TypeInfo, item_key};

/// A path of encoded elements.
pub type Path = Vec<String>;

/// A set of field paths, as a tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    /// Whether the path leading here is itself in the set.
    pub member: bool,
    /// Children by encoded element.
    pub children: BTreeMap<String, FieldSet>,
}

/// Fields never tracked by managedFields.
const STRIPPED_META: [&str; 10] = [
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
];

impl FieldSet {
    /// Parses a `fieldsV1` object.
    pub fn from_fields_v1(v: &Value) -> Self {
        let mut s = Self::default();
        if let Some(m) = v.as_object() {
            if m.is_empty() {
                s.member = true;
            }
            for (k, c) in m {
                if k == "." {
                    s.member = true;
                } else {
                    s.children.insert(k.clone(), Self::from_fields_v1(c));
                }
            }
        }
        s
    }

    /// Renders the `fieldsV1` object.
    pub fn to_fields_v1(&self) -> Value {
        let mut m = Map::new();
        if self.member && !self.children.is_empty() {
            m.insert(".".into(), Value::Object(Map::new()));
        }
        for (k, c) in &self.children {
            m.insert(k.clone(), c.to_fields_v1());
        }
        Value::Object(m)
    }

    /// Whether no path is a member.
    pub fn is_empty(&self) -> bool {
        !self.member && self.children.values().all(Self::is_empty)
    }

    /// Adds a path.
    pub fn insert(&mut self, path: &[String]) {
        match path.split_first() {
            None => self.member = true,
            Some((h, rest)) => self.children.entry(h.clone()).or_default().insert(rest),
        }
    }

    /// Whether a path is a member.
    pub fn contains(&self, path: &[String]) -> bool {
        match path.split_first() {
            None => self.member,
            Some((h, rest)) => self.children.get(h).is_some_and(|c| c.contains(rest)),
        }
    }

    /// Whether the path or anything below it is a member.
    pub fn touches(&self, path: &[String]) -> bool {
        match path.split_first() {
            None => !self.is_empty(),
            Some((h, rest)) => self.children.get(h).is_some_and(|c| c.touches(rest)),
        }
    }

    /// Removes a path (not its descendants) and prunes empty branches.
    pub fn remove(&mut self, path: &[String]) {
        match path.split_first() {
            None => self.member = false,
            Some((h, rest)) => {
                if let Some(c) = self.children.get_mut(h) {
                    c.remove(rest);
                    if c.is_empty() {
                        self.children.remove(h);
                    }
                }
            }
        }
    }

    /// Every member path.
    pub fn paths(&self) -> Vec<Path> {
        let mut out = vec![];
        self.collect(&mut vec![], &mut out);
        out
    }

    fn collect(&self, prefix: &mut Path, out: &mut Vec<Path>) {
        if self.member {
            out.push(prefix.clone());
        }
        for (k, c) in &self.children {
            prefix.push(k.clone());
            c.collect(prefix, out);
            prefix.pop();
        }
    }

    /// Members of `self` that are not in `other`.
    pub fn difference(&self, other: &Self) -> Self {
        let mut out = Self::default();
        for p in self.paths() {
            if !other.contains(&p) {
                out.insert(&p);
            }
        }
        out
    }

    /// Members of both.
    pub fn intersection(&self, other: &Self) -> Self {
        let mut out = Self::default();
        for p in self.paths() {
            if other.contains(&p) {
                out.insert(&p);
            }
        }
        out
    }

    /// Members of either.
    pub fn union(&self, other: &Self) -> Self {
        let mut out = self.clone();
        for p in other.paths() {
            out.insert(&p);
        }
        out
    }
}

/// Encodes a map key (keys sorted).
pub fn encode_key(k: &Map<String, Value>) -> String {
    let sorted: BTreeMap<&String, &Value> = k.iter().collect();
    let mut s = String::from("k:{");
    for (i, (name, v)) in sorted.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&Value::String((*name).clone()).to_string());
        s.push(':');
        s.push_str(&v.to_string());
    }
    s.push('}');
    s
}

/// What part of an object a field set covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything but `status`.
    Main,
    /// Only `status`.
    Status,
    /// The whole object.
    All,
}

/// The field set of an object (apiVersion, kind and server-owned metadata excluded).
pub fn fields_of(obj: &Value, types: &TypeInfo<'_>, scope: Scope) -> FieldSet {
    let mut set = FieldSet::default();
    let Some(m) = obj.as_object() else {
        return set;
    };
    for (k, v) in m {
        match (k.as_str(), scope) {
            ("apiVersion" | "kind", _) => continue,
            ("status", Scope::Main) => continue,
            (k, Scope::Status) if k != "status" => continue,
            _ => {}
        }
        let mut child = if k == "metadata" {
            let mut meta = v.clone();
            if let Some(mm) = meta.as_object_mut() {
                for s in STRIPPED_META {
                    mm.remove(s);
                }
                if mm.is_empty() {
                    continue;
                }
            }
            let mut path = vec![k.as_str()];
            value_fields(&meta, types, &mut path)
        } else {
            let mut path = vec![k.as_str()];
            value_fields(v, types, &mut path)
        };
        if child.children.is_empty() {
            child.member = true;
        }
        set.children.insert(format!("f:{k}"), child);
    }
    set
}

fn value_fields<'a>(v: &'a Value, types: &TypeInfo<'_>, path: &mut Vec<&'a str>) -> FieldSet {
    let mut set = FieldSet::default();
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, c) in m {
                path.push(k.as_str());
                let mut child = value_fields(c, types, path);
                path.pop();
                if child.children.is_empty() {
                    child.member = true;
                }
                set.children.insert(format!("f:{k}"), child);
            }
        }
        Value::Array(items) if !items.is_empty() => match types.list_type(path) {
            ListType::Atomic => set.member = true,
            ListType::Set => {
                for it in items {
                    set.children.insert(
                        format!("v:{it}"),
                        FieldSet {
                            member: true,
                            ..Default::default()
                        },
                    );
                }
            }
            ListType::Map(keys) => {
                for (i, it) in items.iter().enumerate() {
                    let name = match item_key(it, &keys) {
                        Some(k) => encode_key(&k),
                        None => format!("i:{i}"),
                    };
                    path.push("[]");
                    let mut child = value_fields(it, types, path);
                    path.pop();
                    child.member = true;
                    set.children.insert(name, child);
                }
            }
        },
        _ => set.member = true,
    }
    set
}

fn matches_elem(item: &Value, idx: usize, elem: &str) -> bool {
    if let Some(k) = elem.strip_prefix("k:") {
        let Ok(Value::Object(key)) = serde_json::from_str::<Value>(k) else {
            return false;
        };
        key.iter().all(|(f, want)| match item.get(f) {
            Some(got) if !got.is_null() => got == want,
            _ => super::schema::key_default(f).as_ref() == Some(want),
        })
    } else if let Some(v) = elem.strip_prefix("v:") {
        serde_json::from_str::<Value>(v).is_ok_and(|v| &v == item)
    } else if let Some(i) = elem.strip_prefix("i:") {
        i.parse::<usize>().is_ok_and(|i| i == idx)
    } else {
        false
    }
}

/// The value at a path.
pub fn get_at<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = v;
    for e in path {
        cur = if let Some(f) = e.strip_prefix("f:") {
            cur.get(f)?
        } else {
            let items = cur.as_array()?;
            items
                .iter()
                .enumerate()
                .find(|(i, it)| matches_elem(it, *i, e))
                .map(|(_, it)| it)?
        };
    }
    Some(cur)
}

/// Removes the value at a path; returns whether something was removed.
pub fn remove_at(v: &mut Value, path: &[String]) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    let mut cur = v;
    for e in parent {
        let next = if let Some(f) = e.strip_prefix("f:") {
            cur.get_mut(f)
        } else {
            match cur.as_array_mut() {
                Some(items) => items
                    .iter_mut()
                    .enumerate()
                    .find(|(i, it)| matches_elem(it, *i, e))
                    .map(|(_, it)| it),
                None => None,
            }
        };
        match next {
            Some(n) => cur = n,
            None => return false,
        }
    }
    if let Some(f) = last.strip_prefix("f:") {
        cur.as_object_mut().and_then(|m| m.remove(f)).is_some()
    } else if let Some(items) = cur.as_array_mut() {
        let before = items.len();
        let mut idx = 0;
        items.retain(|it| {
            let keep = !matches_elem(it, idx, last);
            idx += 1;
            keep
        });
        before != items.len()
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "nginx", "image": "nginx:1", "ports": [{"containerPort": 80}]}]}}},
            "status": {"replicas": 2}})
    }

    #[test]
    fn field_set_matches_kubernetes_encoding() {
        let s = fields_of(&deploy(), &TypeInfo::default(), Scope::Main);
        let v = s.to_fields_v1();
        assert_eq!(
            v,
            json!({"f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {},
                        "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}}}}}}})
        );
        assert_eq!(FieldSet::from_fields_v1(&v), s);
    }

    #[test]
    fn navigation_by_key() {
        let mut d = deploy();
        let p: Path = vec![
            "f:spec".into(),
            "f:template".into(),
            "f:spec".into(),
            "f:containers".into(),
            "k:{\"name\":\"nginx\"}".into(),
            "f:image".into(),
        ];
        assert_eq!(get_at(&d, &p), Some(&json!("nginx:1")));
        assert!(remove_at(&mut d, &p));
        assert_eq!(get_at(&d, &p), None);
        assert!(remove_at(&mut d, &p[..5]));
        assert_eq!(d["spec"]["template"]["spec"]["containers"], json!([]));
    }

    #[test]
    fn set_algebra() {
        let a = fields_of(
            &json!({"spec": {"a": 1, "b": 2}}),
            &TypeInfo::default(),
            Scope::All,
        );
        let b = fields_of(
            &json!({"spec": {"b": 2, "c": 3}}),
            &TypeInfo::default(),
            Scope::All,
        );
        assert_eq!(
            a.difference(&b).paths(),
            vec![vec!["f:spec".to_string(), "f:a".to_string()]]
        );
        assert_eq!(a.intersection(&b).paths().len(), 1);
        assert_eq!(a.union(&b).paths().len(), 3);
        let mut u = a.union(&b);
        u.remove(&["f:spec".to_string(), "f:a".to_string()]);
        assert!(u.touches(&["f:spec".to_string()]));
        assert!(!u.contains(&["f:spec".to_string(), "f:a".to_string()]));
    }
}
