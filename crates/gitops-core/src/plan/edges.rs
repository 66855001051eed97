//! The rules that make "must be applied before" edges, in one place.
//!
//! 1. A namespaced object comes after its Namespace, when that Namespace is in the set.
//! 2. A custom resource comes after the CustomResourceDefinition in the set that defines its
//!    group and kind.
//! 3. An object comes after every object its `depends-on` annotations name; a name that is not
//!    in the set is an error.
//!
//! The kind order is not an edge: it is a lower bound on an object's stage within its wave (see
//! [`crate::kinds`]), so that explicit dependencies can override it.

use std::fmt;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::manifest::DuplicateError;
use crate::object::Object;

use super::Error;
use super::annotations::{self, Annotations, RefKey};

/// Why one object must be applied before another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EdgeReason {
    /// The earlier object is the Namespace of the later one.
    Namespace,
    /// The earlier object is the CustomResourceDefinition of the later one's kind.
    CustomResourceDefinition,
    /// The later object names the earlier one in a `depends-on` annotation.
    DependsOn,
}

impl fmt::Display for EdgeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EdgeReason::Namespace => "as its Namespace",
            EdgeReason::CustomResourceDefinition => "as the CustomResourceDefinition of its kind",
            EdgeReason::DependsOn => "as its depends-on annotation says",
        })
    }
}

/// Lookups over one set of objects, by position in the set.
pub(crate) struct Index<'a> {
    by_ref: FxHashMap<RefKey<'a>, usize>,
    namespaces: FxHashMap<&'a str, usize>,
    definitions: FxHashMap<(&'a str, &'a str), usize>,
}

impl<'a> Index<'a> {
    /// Indexes the objects; two with one identity are an error (hooks with a generated name
    /// are exempt, and cannot be named by a depends-on).
    pub(crate) fn new(objects: &[&'a Object]) -> Result<Self, DuplicateError> {
        let mut index = Index {
            by_ref: FxHashMap::with_capacity_and_hasher(objects.len(), Default::default()),
            namespaces: FxHashMap::default(),
            definitions: FxHashMap::default(),
        };
        for (i, object) in objects.iter().enumerate() {
            if object.has_generated_name() {
                continue;
            }
            if let Some(first) = index.by_ref.insert(object.reference().into(), i) {
                return Err(DuplicateError {
                    object: object.reference().clone(),
                    first: objects[first].origin().cloned(),
                    second: object.origin().cloned(),
                });
            }
            match (object.group(), object.kind()) {
                ("", "Namespace") => {
                    index.namespaces.insert(object.name(), i);
                }
                ("apiextensions.k8s.io", "CustomResourceDefinition") => {
                    let spec = &object.manifest()["spec"];
                    if let (Some(group), Some(kind)) =
                        (spec["group"].as_str(), spec["names"]["kind"].as_str())
                    {
                        index.definitions.insert((group, kind), i);
                    }
                }
                _ => {}
            }
        }
        Ok(index)
    }

    /// The edges into `object` (at position `me` in the set): `(earlier object, reason)`.
    pub(crate) fn edges_into(
        &self,
        me: usize,
        object: &'a Object,
        annotations: Annotations<'a>,
        edges: &mut Vec<(usize, EdgeReason)>,
    ) -> Result<(), Error> {
        edges.clear();
        if let Some(&ns) = object.namespace().and_then(|n| self.namespaces.get(n)) {
            edges.push((ns, EdgeReason::Namespace));
        }
        if let Some(&crd) = self.definitions.get(&(object.group(), object.kind()))
            && crd != me
        {
            edges.push((crd, EdgeReason::CustomResourceDefinition));
        }
        annotations::depends_on(object, annotations, |dependency| {
            match self.by_ref.get(&dependency) {
                Some(&before) => {
                    edges.push((before, EdgeReason::DependsOn));
                    Ok(())
                }
                None => Err(Error::MissingDependency {
                    object: object.reference().clone(),
                    origin: object.origin().cloned(),
                    dependency: dependency.to_owned(),
                }),
            }
        })
    }
}
