//! `dependsOn`: whether an Application's dependencies are Ready at their latest revision, who
//! depends on whom, and cycles.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kube::ResourceExt;

use crate::context::Key;
use crate::crd::{Application, DependencyRef};
use crate::status::is_ready;

fn dependency_key(app: &Application, dependency: &DependencyRef) -> Key {
    let namespace = dependency
        .namespace
        .clone()
        .or_else(|| app.namespace())
        .unwrap_or_default();
    (namespace, dependency.name.clone())
}

fn key(app: &Application) -> Key {
    (app.namespace().unwrap_or_default(), app.name_any())
}

/// The source of an Application, as a key.
pub fn source_key(app: &Application) -> Key {
    let source = &app.spec.source_ref;
    let namespace = source
        .namespace
        .clone()
        .or_else(|| app.namespace())
        .unwrap_or_default();
    (namespace, source.name.clone())
}

/// A dependency cycle through `app`, as `ns/a -> ns/b -> ns/a`, if there is one.
pub fn cycle(app: &Application, apps: &[Arc<Application>]) -> Option<String> {
    let by_key: HashMap<Key, &Application> = apps.iter().map(|a| (key(a), a.as_ref())).collect();
    let start = key(app);
    // Depth-first along dependsOn, from `app`, looking for a path back to it.
    let mut stack: Vec<(Key, Vec<Key>)> = vec![(start.clone(), vec![start.clone()])];
    let mut seen: HashSet<Key> = HashSet::new();
    while let Some((at, path)) = stack.pop() {
        let node = if at == start {
            Some(app)
        } else {
            by_key.get(&at).copied()
        };
        let Some(node) = node else { continue };
        for dependency in &node.spec.depends_on {
            let next = dependency_key(node, dependency);
            if next == start {
                let mut names: Vec<String> = path.iter().map(|(n, m)| format!("{n}/{m}")).collect();
                names.push(format!("{}/{}", start.0, start.1));
                return Some(names.join(" -> "));
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next, longer));
            }
        }
    }
    None
}

/// `Err(why)` when a dependency is missing or not Ready at the revision its source serves;
/// `revision_of` gives the current revision of an Application's source.
pub fn check(
    app: &Application,
    apps: &[Arc<Application>],
    revision_of: impl Fn(&Application) -> Option<String>,
) -> Result<(), String> {
    let by_key: HashMap<Key, &Application> = apps.iter().map(|a| (key(a), a.as_ref())).collect();
    for dependency in &app.spec.depends_on {
        let (namespace, name) = dependency_key(app, dependency);
        let Some(other) = by_key.get(&(namespace.clone(), name.clone())) else {
            return Err(format!("dependency {namespace}/{name} does not exist"));
        };
        let status = other.status.clone().unwrap_or_default();
        if !is_ready(&status.conditions) {
            return Err(format!("dependency {namespace}/{name} is not ready"));
        }
        let current = revision_of(other);
        if current.is_none() || status.last_attempted_revision != current {
            return Err(format!(
                "dependency {namespace}/{name} is not at its latest revision yet"
            ));
        }
        if status.observed_generation != other.metadata.generation.unwrap_or_default() {
            return Err(format!(
                "dependency {namespace}/{name} has not reconciled its latest spec"
            ));
        }
    }
    Ok(())
}

/// The Applications that depend on `app`.
pub fn dependents(app: &Application, apps: &[Arc<Application>]) -> Vec<Arc<Application>> {
    let me = key(app);
    apps.iter()
        .filter(|other| {
            other
                .spec
                .depends_on
                .iter()
                .any(|d| dependency_key(other, d) == me)
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{ApplicationSpec, SourceRef};

    fn app(name: &str, deps: &[&str]) -> Arc<Application> {
        let mut app = Application::new(
            name,
            ApplicationSpec {
                source_ref: SourceRef {
                    kind: "GitRepository".into(),
                    name: "repo".into(),
                    namespace: None,
                },
                path: String::new(),
                interval: "5m".into(),
                retry_interval: None,
                prune: true,
                wait: false,
                timeout: None,
                depends_on: deps
                    .iter()
                    .map(|d| DependencyRef {
                        name: (*d).to_owned(),
                        namespace: None,
                    })
                    .collect(),
                service_account_name: None,
                target_namespace: None,
                suspend: false,
                sync_policy: None,
                helm: None,
                ignore_differences: Vec::new(),
            },
        );
        app.metadata.namespace = Some("ns".into());
        Arc::new(app)
    }

    #[test]
    fn cycles() {
        let apps = vec![
            app("a", &["b"]),
            app("b", &["c"]),
            app("c", &["a"]),
            app("d", &["a"]),
        ];
        assert_eq!(
            cycle(&apps[0], &apps).as_deref(),
            Some("ns/a -> ns/b -> ns/c -> ns/a")
        );
        assert_eq!(cycle(&apps[3], &apps), None, "d only leads into the cycle");
        let apps = vec![app("a", &["a"])];
        assert_eq!(cycle(&apps[0], &apps).as_deref(), Some("ns/a -> ns/a"));
    }

    #[test]
    fn readiness() {
        let apps = vec![app("a", &[]), app("b", &["a"])];
        let err = check(&apps[1], &apps, |_| Some("r1".into())).unwrap_err();
        assert_eq!(err, "dependency ns/a is not ready");
        let err = check(&app("c", &["zzz"]), &apps, |_| None).unwrap_err();
        assert_eq!(err, "dependency ns/zzz does not exist");
        assert_eq!(dependents(&apps[0], &apps).len(), 1);
    }
}
