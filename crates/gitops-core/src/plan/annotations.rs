//! What an object's annotations say about its place in a plan: dependencies, wave, hook phase.

use std::fmt;

use serde_json::{Map, Value};

use crate::consts;
use crate::object::{Object, ObjectRef};

use super::{Error, Options, Phase};

/// A borrowed object reference, for lookups without allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RefKey<'a> {
    pub(crate) group: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) namespace: &'a str,
    pub(crate) name: &'a str,
}

impl<'a> From<&'a ObjectRef> for RefKey<'a> {
    fn from(r: &'a ObjectRef) -> Self {
        RefKey {
            group: &r.group,
            kind: &r.kind,
            namespace: &r.namespace,
            name: &r.name,
        }
    }
}

impl RefKey<'_> {
    pub(crate) fn to_owned(self) -> ObjectRef {
        ObjectRef::new(self.group, self.kind, self.namespace, self.name)
    }
}

/// A reference in the kpt / cli-utils `depends-on` syntax.
///
/// `<group>/namespaces/<namespace>/<kind>/<name>` for namespaced objects and
/// `<group>/<kind>/<name>` for cluster-scoped ones; the group is empty for the core API.
///
/// ```
/// use gitops_core::plan::DependsOnRef;
/// use gitops_core::ObjectRef;
///
/// let refs = DependsOnRef::parse_list("/namespaces/shop/ConfigMap/api-config, apps/namespaces/shop/Deployment/api")?;
/// assert_eq!(refs[0].0, ObjectRef::new("", "ConfigMap", "shop", "api-config"));
/// assert_eq!(refs[1].to_string(), "apps/namespaces/shop/Deployment/api");
/// let crd = DependsOnRef::parse("apiextensions.k8s.io/CustomResourceDefinition/widgets.example.com")?;
/// assert_eq!(crd.0.namespace, "");
/// # Ok::<(), gitops_core::plan::ParseDependsOnError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependsOnRef(pub ObjectRef);

/// A `depends-on` value that is not in the kpt syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid reference {text:?}: expected <group>/namespaces/<namespace>/<kind>/<name> or <group>/<kind>/<name>"
)]
pub struct ParseDependsOnError {
    /// The reference that failed to parse.
    pub text: String,
}

/// Parses one reference without allocating; `None` when it is not in the kpt syntax.
pub(crate) fn parse_ref(text: &str) -> Option<RefKey<'_>> {
    let text = text.trim();
    let mut parts = text.split('/');
    let first = parts.next()?;
    let second = parts.next()?;
    let third = parts.next()?;
    let key = match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => RefKey {
            group: first,
            kind: second,
            namespace: "",
            name: third,
        },
        (Some(kind), Some(name), None) if second == "namespaces" && !third.is_empty() => RefKey {
            group: first,
            kind,
            namespace: third,
            name,
        },
        _ => return None,
    };
    (!key.kind.is_empty() && !key.name.is_empty()).then_some(key)
}

impl DependsOnRef {
    /// Parses one reference.
    pub fn parse(text: &str) -> Result<Self, ParseDependsOnError> {
        parse_ref(text)
            .map(|key| DependsOnRef(key.to_owned()))
            .ok_or_else(|| ParseDependsOnError {
                text: text.trim().to_owned(),
            })
    }

    /// Parses a comma-separated list of references.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, ParseDependsOnError> {
        text.split(',')
            .filter(|part| !part.trim().is_empty())
            .map(Self::parse)
            .collect()
    }
}

impl fmt::Display for DependsOnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.0;
        if r.namespace.is_empty() {
            write!(f, "{}/{}/{}", r.group, r.kind, r.name)
        } else {
            write!(
                f,
                "{}/namespaces/{}/{}/{}",
                r.group, r.namespace, r.kind, r.name
            )
        }
    }
}

/// An object's annotations, read once.
#[derive(Clone, Copy)]
pub(crate) struct Annotations<'a>(Option<&'a Map<String, Value>>);

impl<'a> Annotations<'a> {
    pub(crate) fn of(object: &'a Object) -> Self {
        Annotations(object.annotations())
    }

    fn get(self, key: &str) -> Option<&'a str> {
        self.0?.get(key)?.as_str()
    }
}

fn invalid(object: &Object, annotation: &'static str, value: &str, reason: String) -> Error {
    Error::InvalidAnnotation {
        object: object.reference().clone(),
        origin: object.origin().cloned(),
        annotation,
        value: value.to_owned(),
        reason,
    }
}

/// Calls `each` with every object this one depends on, from `gitops.rs/depends-on` and
/// `config.kubernetes.io/depends-on`.
pub(crate) fn depends_on<'a>(
    object: &Object,
    annotations: Annotations<'a>,
    mut each: impl FnMut(RefKey<'a>) -> Result<(), Error>,
) -> Result<(), Error> {
    for key in [consts::DEPENDS_ON, consts::KPT_DEPENDS_ON] {
        let Some(value) = annotations.get(key) else {
            continue;
        };
        for part in value.split(',').filter(|p| !p.trim().is_empty()) {
            match parse_ref(part) {
                Some(reference) => each(reference)?,
                None => {
                    let e = ParseDependsOnError {
                        text: part.trim().to_owned(),
                    };
                    return Err(invalid(object, key, value, e.to_string()));
                }
            }
        }
    }
    Ok(())
}

fn parse_wave(
    object: &Object,
    annotations: Annotations<'_>,
    key: &'static str,
) -> Result<Option<i64>, Error> {
    match annotations.get(key) {
        None => Ok(None),
        Some(value) => value
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| invalid(object, key, value, "not an integer".to_owned())),
    }
}

/// Where an object goes: a phase, or nowhere (with the reason).
pub(crate) enum Schedule {
    At(Phase),
    Skip(String),
}

/// The object's wave: `gitops.rs/wave`, else Argo CD's sync wave, else (for Helm hooks) the
/// hook weight, else 0.
pub(crate) fn wave(
    object: &Object,
    annotations: Annotations<'_>,
    options: &Options,
    helm_hook: bool,
) -> Result<i64, Error> {
    if let Some(wave) = parse_wave(object, annotations, consts::WAVE)? {
        return Ok(wave);
    }
    if options.argocd
        && let Some(wave) = parse_wave(object, annotations, consts::ARGOCD_SYNC_WAVE)?
    {
        return Ok(wave);
    }
    if helm_hook && let Some(weight) = parse_wave(object, annotations, consts::HELM_HOOK_WEIGHT)? {
        return Ok(weight);
    }
    Ok(0)
}

/// The phase of an object, from Argo CD's or (when that is absent) Helm's hook annotation.
///
/// A hook that names several phases runs in the earliest of them: a sync applies each
/// object once. Returns whether the phase came from a Helm hook.
pub(crate) fn schedule(
    object: &Object,
    annotations: Annotations<'_>,
    options: &Options,
) -> Result<(Schedule, bool), Error> {
    if annotations.0.is_none() {
        return Ok((Schedule::At(Phase::Sync), false));
    }
    if options.argocd
        && let Some(value) = annotations.get(consts::ARGOCD_HOOK)
    {
        return argocd_phase(object, value).map(|s| (s, false));
    }
    if options.helm_hooks
        && let Some(value) = annotations.get(consts::HELM_HOOK)
    {
        return helm_phase(object, value).map(|s| (s, true));
    }
    Ok((Schedule::At(Phase::Sync), false))
}

fn argocd_phase(object: &Object, value: &str) -> Result<Schedule, Error> {
    let mut phases = Vec::new();
    let mut others = Vec::new();
    for hook in value.split(',').map(str::trim).filter(|h| !h.is_empty()) {
        match hook {
            "PreSync" => phases.push(Phase::PreSync),
            "Sync" => phases.push(Phase::Sync),
            "PostSync" => phases.push(Phase::PostSync),
            "SyncFail" | "PostDelete" | "Skip" => others.push(hook),
            other => {
                return Err(invalid(
                    object,
                    consts::ARGOCD_HOOK,
                    value,
                    format!(
                        "unknown hook type {other:?} (expected PreSync, Sync, PostSync, SyncFail, PostDelete or Skip)"
                    ),
                ));
            }
        }
    }
    Ok(match phases.into_iter().min() {
        Some(phase) => Schedule::At(phase),
        None if others.contains(&"Skip") => {
            Schedule::Skip(format!("{}: Skip", consts::ARGOCD_HOOK))
        }
        None => Schedule::Skip(format!(
            "{}: {value} does not run during a sync",
            consts::ARGOCD_HOOK
        )),
    })
}

/// Hook events of Helm 2 that charts still carry, besides [`consts::HELM_HOOK_EVENTS`].
const HELM_LEGACY_HOOKS: &[&str] = &["test-success", "test-failure", "crd-install"];

fn helm_phase(object: &Object, value: &str) -> Result<Schedule, Error> {
    let mut phases = Vec::new();
    for hook in value.split(',').map(str::trim).filter(|h| !h.is_empty()) {
        match hook {
            "pre-install" | "pre-upgrade" => phases.push(Phase::PreSync),
            "post-install" | "post-upgrade" => phases.push(Phase::PostSync),
            other
                if consts::HELM_HOOK_EVENTS.contains(&other)
                    || HELM_LEGACY_HOOKS.contains(&other) => {}
            other => {
                return Err(invalid(
                    object,
                    consts::HELM_HOOK,
                    value,
                    format!("unknown Helm hook {other:?}"),
                ));
            }
        }
    }
    Ok(match phases.into_iter().min() {
        Some(phase) => Schedule::At(phase),
        None => Schedule::Skip(format!(
            "{}: {value} does not run during a sync",
            consts::HELM_HOOK
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depends_on_syntax() {
        assert!(DependsOnRef::parse("apps/Deployment").is_err());
        assert!(DependsOnRef::parse("apps/namespaces//Deployment/web").is_err());
        assert!(DependsOnRef::parse("a/b/c/d").is_err());
        assert!(DependsOnRef::parse("/Namespace/").is_err());
        let ns = DependsOnRef::parse(" /Namespace/shop ").unwrap();
        assert_eq!(ns.0, ObjectRef::new("", "Namespace", "", "shop"));
        assert_eq!(ns.to_string(), "/Namespace/shop");
        assert_eq!(DependsOnRef::parse_list("").unwrap(), vec![]);
        assert_eq!(DependsOnRef::parse_list("/Namespace/a,").unwrap().len(), 1);
    }
}
