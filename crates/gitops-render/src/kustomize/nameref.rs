//! Name references: after prefixes, suffixes and hashes changed names, every field that
//! refers to an object by name (volumes, envFrom, serviceAccountName, roleRef, subjects,
//! ingress backends, …) is rewritten to the new name, with kustomize's rules for choosing
//! among candidates.
//!
//! kustomize compares every referrer with every resource (quadratic); here candidates are
//! looked up by previous name through an index, so the cost is linear in the input.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::KustomizeError;
use super::config::NameBackRef;
use super::fieldspec::{FieldSpec, split_path};
use super::loader::Site;
use super::resource::{Gvk, Resource, scalar_string};

/// What the candidate rules need to know about a resource.
struct Info {
    name: String,
    namespace: String,
    kind: String,
    group: String,
    version: String,
    cluster_scoped: bool,
    cur_ns: String,
    org_ns: String,
    prev: Vec<(String, String)>,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
}

impl Info {
    fn of(r: &Resource) -> Self {
        let (group, version) = r.group_version();
        Info {
            name: r.name().to_owned(),
            namespace: r.namespace().to_owned(),
            kind: r.kind().to_owned(),
            group: group.to_owned(),
            version: version.to_owned(),
            cluster_scoped: r.is_cluster_scoped(),
            cur_ns: r.cur_effective_namespace().to_owned(),
            org_ns: r.org_effective_namespace().to_owned(),
            prev: r
                .build
                .prev
                .iter()
                .map(|p| (p.kind.clone(), p.name.clone()))
                .collect(),
            prefixes: r.build.prefixes.clone(),
            suffixes: r.build.suffixes.clone(),
        }
    }

    /// Some previous identity (current group and version, previous kind) is selected.
    fn prev_selected(&self, gvk: &Gvk) -> bool {
        self.prev.iter().any(|(kind, _)| {
            (gvk.group.is_empty() || gvk.group == self.group)
                && (gvk.version.is_empty() || gvk.version == self.version)
                && (gvk.kind.is_empty() || gvk.kind == *kind)
        })
    }
}

/// kustomize's `SameEndingSubSlice`.
fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() > b.len() { (b, a) } else { (a, b) };
    let diff = long.len() - short.len();
    if short.is_empty() {
        return diff == 0;
    }
    short.iter().zip(&long[diff..]).all(|(x, y)| x == y)
}

fn affixes_equal(a: &Info, b: &Info, allow_empty: bool) -> bool {
    if allow_empty {
        let prefixes =
            a.prefixes.is_empty() || b.prefixes.is_empty() || same_ending(&a.prefixes, &b.prefixes);
        let suffixes =
            a.suffixes.is_empty() || b.suffixes.is_empty() || same_ending(&a.suffixes, &b.suffixes);
        prefixes && suffixes
    } else {
        same_ending(&a.prefixes, &b.prefixes) && same_ending(&a.suffixes, &b.suffixes)
    }
}

/// One referrer being fixed.
struct Referrer<'a> {
    index: usize,
    infos: &'a [Info],
    by_prev_name: &'a HashMap<&'a str, Vec<usize>>,
    /// Namespaces of a RoleBinding's ServiceAccount subjects.
    binding_namespaces: Vec<String>,
    /// `roleRef` group and kind, when the field is `roleRef/name`.
    role_ref: Option<Gvk>,
    target: &'a Gvk,
}

impl Referrer<'_> {
    fn me(&self) -> &Info {
        &self.infos[self.index]
    }

    /// kustomize's `SubsetThatCouldBeReferencedByResource`.
    fn could_refer_to(&self, c: &Info) -> bool {
        let me = self.me();
        me.cluster_scoped
            || c.cluster_scoped
            || me.cur_ns == c.cur_ns
            || self.binding_namespaces.contains(&c.namespace)
    }

    /// kustomize's `selectReferral`, from candidates already in the subset.
    fn select(
        &self,
        old: &str,
        candidates: Vec<usize>,
        same_ns: bool,
    ) -> Result<Option<usize>, String> {
        let me = self.me();
        let mut c: Vec<usize> = candidates
            .into_iter()
            .filter(|&i| {
                let info = &self.infos[i];
                info.prev.iter().any(|(_, n)| n == old)
                    && info.prev_selected(self.target)
                    && self.role_ref.as_ref().is_none_or(|g| info.prev_selected(g))
                    && (me.cluster_scoped
                        || info.cluster_scoped
                        || info.kind == "ServiceAccount"
                        || info.cur_ns == me.cur_ns)
            })
            .collect();
        if c.len() == 1 {
            return Ok(c.pop());
        }
        c.retain(|&i| affixes_equal(&self.infos[i], me, true));
        if c.len() > 1 {
            c.retain(|&i| affixes_equal(&self.infos[i], me, false));
        }
        match c.len() {
            0 => Ok(None),
            1 => Ok(c.pop()),
            _ => {
                let first = &self.infos[c[0]];
                let identical = c.iter().all(|&i| {
                    let x = &self.infos[i];
                    x.name == first.name && (!same_ns || x.namespace == first.namespace)
                });
                if identical {
                    Ok(Some(c[0]))
                } else {
                    let names: Vec<String> = c
                        .iter()
                        .map(|&i| {
                            let x = &self.infos[i];
                            format!("{}/{}", x.kind, x.name)
                        })
                        .collect();
                    Err(format!(
                        "found multiple possible referrals: {}",
                        names.join(", ")
                    ))
                }
            }
        }
    }

    fn by_name(&self, old: &str) -> Vec<usize> {
        self.by_prev_name
            .get(old)
            .map(|list| {
                list.iter()
                    .copied()
                    .filter(|&i| self.could_refer_to(&self.infos[i]))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn set(&mut self, node: &mut Value) -> Result<(), String> {
        match node {
            Value::Null => Ok(()),
            Value::Object(map) => self.set_mapping(map),
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Null => {}
                        Value::Object(map) => self.set_mapping(map)?,
                        Value::Array(_) => {
                            return Err(
                                "a name reference must be a string or a map of strings".into()
                            );
                        }
                        scalar => self.set_scalar(scalar)?,
                    }
                }
                Ok(())
            }
            scalar => self.set_scalar(scalar),
        }
    }

    fn set_scalar(&mut self, node: &mut Value) -> Result<(), String> {
        let Some(old) = scalar_string(node) else {
            return Ok(());
        };
        let candidates = self.by_name(&old);
        let Some(i) = self.select(&old, candidates, false)? else {
            return Ok(());
        };
        let new = &self.infos[i].name;
        if *new != old {
            *node = Value::String(new.clone());
        }
        Ok(())
    }

    fn set_mapping(&mut self, map: &mut Map<String, Value>) -> Result<(), String> {
        let Some(name_node) = map.get("name") else {
            return Err("path config error; no 'name' field in node".into());
        };
        let old = scalar_string(name_node).unwrap_or_default();
        let candidates: Vec<usize> = match map.get("namespace") {
            None => self.by_name(&old),
            Some(ns) => {
                let ns = scalar_string(ns).unwrap_or_default();
                let in_subset = |i: &usize| self.could_refer_to(&self.infos[*i]);
                let by_org = (0..self.infos.len())
                    .filter(in_subset)
                    .any(|i| self.infos[i].org_ns == ns);
                let by_name = self.by_name(&old);
                if by_org {
                    by_name
                        .into_iter()
                        .filter(|&i| self.infos[i].org_ns == ns)
                        .collect()
                } else {
                    by_name
                        .into_iter()
                        .filter(|&i| self.infos[i].cur_ns == ns)
                        .collect()
                }
            }
        };
        let Some(i) = self.select(&old, candidates, true)? else {
            return Ok(());
        };
        let referral = &self.infos[i];
        if referral.name == old && referral.namespace.is_empty() {
            return Ok(());
        }
        map.insert("name".into(), Value::String(referral.name.clone()));
        if !referral.namespace.is_empty() {
            map.insert(
                "namespace".into(),
                Value::String(referral.namespace.clone()),
            );
        }
        Ok(())
    }
}

/// Namespaces of the ServiceAccount subjects of a RoleBinding.
fn binding_namespaces(r: &Resource) -> Vec<String> {
    if r.kind() != "RoleBinding" {
        return Vec::new();
    }
    let Some(subjects) = r.value()["subjects"].as_array() else {
        return Vec::new();
    };
    subjects
        .iter()
        .filter(|s| s["kind"].as_str() == Some("ServiceAccount"))
        .filter_map(|s| s["namespace"].as_str().map(str::to_owned))
        .collect()
}

/// kustomize's `roleRef` rule: a `roleRef/name` refers to the kind and group in `roleRef`.
fn role_ref(r: &Resource, spec: &FieldSpec) -> Option<Gvk> {
    if !spec.path.ends_with("roleRef/name") {
        return None;
    }
    let role_ref = &r.value()["roleRef"];
    let group = role_ref["apiGroup"].as_str()?;
    let kind = role_ref["kind"].as_str()?;
    Some(Gvk {
        group: group.to_owned(),
        version: String::new(),
        kind: kind.to_owned(),
    })
}

/// Rewrites every name reference.
pub(crate) fn fix(
    resources: &mut [Resource],
    backrefs: &[NameBackRef],
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    let infos: Vec<Info> = resources.iter().map(Info::of).collect();
    let mut by_prev_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, info) in infos.iter().enumerate() {
        let mut seen: Vec<&str> = Vec::new();
        for (_, name) in &info.prev {
            if !seen.contains(&name.as_str()) {
                seen.push(name);
                by_prev_name.entry(name).or_default().push(i);
            }
        }
    }
    let specs: Vec<(&NameBackRef, &FieldSpec, Vec<String>)> = backrefs
        .iter()
        .flat_map(|b| b.referrers.iter().map(move |s| (b, s, split_path(&s.path))))
        .collect();
    #[allow(clippy::needless_range_loop)] // the loop takes and puts back each value
    for index in 0..resources.len() {
        let org = resources[index].org_id();
        let applicable: Vec<&(&NameBackRef, &FieldSpec, Vec<String>)> = specs
            .iter()
            .filter(|(_, spec, _)| org.gvk.is_selected(&spec.gvk))
            .collect();
        if applicable.is_empty() {
            continue;
        }
        let bindings = binding_namespaces(&resources[index]);
        let role_refs: Vec<Option<Gvk>> = applicable
            .iter()
            .map(|(_, spec, _)| role_ref(&resources[index], spec))
            .collect();
        let mut value = std::mem::take(resources[index].value_mut());
        for ((backref, spec, path), role_ref) in applicable.into_iter().zip(role_refs) {
            let mut referrer = Referrer {
                index,
                infos: &infos,
                by_prev_name: &by_prev_name,
                binding_namespaces: bindings.clone(),
                role_ref,
                target: &backref.gvk,
            };
            let mut set = |v: &mut Value| referrer.set(v);
            let result = super::fieldspec::walk(
                &mut value,
                path,
                false,
                super::fieldspec::CreateKind::None,
                &mut set,
            );
            if let Err(message) = result {
                resources[index].set_value(value);
                return Err(super::transformers::failed(
                    site,
                    &resources[index],
                    format!("updating name reference in '{}': {message}", spec.path),
                ));
            }
        }
        resources[index].set_value(value);
    }
    Ok(())
}
