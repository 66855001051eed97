use std::collections::{BTreeMap, BTreeSet, HashMap};

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::manifest;

fn load(text: &str) -> Vec<Object> {
    manifest::load_str(text, "test.yaml").unwrap()
}

fn stage_names(plan: &Plan) -> Vec<Vec<String>> {
    plan.references()
        .into_iter()
        .map(|s| s.iter().map(ToString::to_string).collect())
        .collect()
}

fn plan_text(text: &str) -> Result<Plan, Error> {
    plan(&load(text), &Options::default())
}

fn object(kind: &str, name: &str, namespace: &str, annotations: Value) -> Object {
    let (api_version, kind) = match kind.split_once('.') {
        Some((kind, group)) => (format!("{group}/v1"), kind),
        None => ("v1".to_owned(), kind),
    };
    let mut metadata = json!({"name": name, "annotations": annotations});
    if !namespace.is_empty() {
        metadata["namespace"] = json!(namespace);
    }
    Object::new(json!({"apiVersion": api_version, "kind": kind, "metadata": metadata})).unwrap()
}

#[test]
fn stage_order_is_reference_order_even_for_long_names() {
    let names = [
        "a-very-long-common-prefix-b",
        "a-very-long-common-prefix-a",
        "a-very-long-common-prefix",
        "a",
        "b",
        "a-very-long-common-prefix-aa",
    ];
    let mut objects: Vec<Object> = names
        .iter()
        .map(|n| object("ConfigMap", n, "x", json!({})))
        .collect();
    objects.push(object("ConfigMap", "z", "a", json!({})));
    objects.push(object("Secret", "a", "x", json!({})));
    let plan = plan(&objects, &Options::default()).unwrap();
    let mut expected: Vec<ObjectRef> = objects.iter().map(|o| o.reference().clone()).collect();
    expected.sort();
    assert_eq!(plan.references(), vec![expected]);
}

#[test]
fn empty_set_has_no_stages() {
    let plan = plan(&[], &Options::default()).unwrap();
    assert!(plan.is_empty());
    assert_eq!(plan.len(), 0);
}

#[test]
fn kind_order_namespace_crd_config_workload_other() {
    let objects = vec![
        object("Widget.example.com", "w", "shop", json!({})),
        object("Deployment.apps", "web", "shop", json!({})),
        object("ConfigMap", "cfg", "shop", json!({})),
        object("Namespace", "shop", "", json!({})),
        Object::new(json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}}
        }))
        .unwrap(),
    ];
    let plan = plan(&objects, &Options::default()).unwrap();
    assert_eq!(
        stage_names(&plan),
        vec![
            vec!["Namespace/shop"],
            vec!["CustomResourceDefinition.apiextensions.k8s.io/widgets.example.com"],
            vec!["ConfigMap/shop/cfg"],
            vec!["Deployment.apps/shop/web"],
            vec!["Widget.example.com/shop/w"],
        ]
    );
    let reversed: Vec<String> = plan
        .deletion_stages()
        .map(|s| s.objects[0].reference().to_string())
        .collect();
    assert_eq!(reversed.last().map(String::as_str), Some("Namespace/shop"));
}

#[test]
fn without_kind_order_only_edges_count() {
    let objects = vec![
        object("Deployment.apps", "web", "shop", json!({})),
        object("ConfigMap", "cfg", "shop", json!({})),
        object("Namespace", "shop", "", json!({})),
    ];
    let plan = plan(&objects, &Options::default().kind_order(false)).unwrap();
    assert_eq!(
        stage_names(&plan),
        vec![
            vec!["Namespace/shop"],
            vec!["ConfigMap/shop/cfg", "Deployment.apps/shop/web"],
        ]
    );
}

#[test]
fn depends_on_overrides_kind_order() {
    let objects = vec![
        object(
            "ConfigMap",
            "after-job",
            "shop",
            json!({"gitops.rs/depends-on": "batch/namespaces/shop/Job/seed"}),
        ),
        object("Job.batch", "seed", "shop", json!({})),
        object("Deployment.apps", "web", "shop", json!({})),
    ];
    let plan = plan(&objects, &Options::default()).unwrap();
    assert_eq!(
        stage_names(&plan),
        vec![
            vec!["Deployment.apps/shop/web", "Job.batch/shop/seed"],
            vec!["ConfigMap/shop/after-job"],
        ]
    );
}

#[test]
fn kpt_depends_on_is_honoured() {
    let objects = vec![
        object(
            "Service",
            "a",
            "shop",
            json!({"config.kubernetes.io/depends-on": "/namespaces/shop/Service/b"}),
        ),
        object("Service", "b", "shop", json!({})),
    ];
    let plan = plan(&objects, &Options::default()).unwrap();
    assert_eq!(
        stage_names(&plan),
        vec![vec!["Service/shop/b"], vec!["Service/shop/a"]]
    );
}

#[test]
fn waves_are_strict_phases() {
    let objects = vec![
        object("Namespace", "late", "", json!({"gitops.rs/wave": "2"})),
        object(
            "Deployment.apps",
            "early",
            "x",
            json!({"argocd.argoproj.io/sync-wave": "-1"}),
        ),
        object("ConfigMap", "mid", "x", json!({})),
        // ours wins over Argo CD's
        object(
            "Secret",
            "s",
            "x",
            json!({"gitops.rs/wave": "1", "argocd.argoproj.io/sync-wave": "-5"}),
        ),
    ];
    let plan = plan(&objects, &Options::default()).unwrap();
    assert_eq!(
        stage_names(&plan),
        vec![
            vec!["Deployment.apps/x/early"],
            vec!["ConfigMap/x/mid"],
            vec!["Secret/x/s"],
            vec!["Namespace/late"],
        ]
    );
    let waves: Vec<i64> = plan.stages().iter().map(|s| s.position.wave).collect();
    assert_eq!(waves, vec![-1, 0, 1, 2]);
}

#[test]
fn argocd_waves_can_be_ignored() {
    let objects = vec![
        object(
            "ConfigMap",
            "a",
            "",
            json!({"argocd.argoproj.io/sync-wave": "5"}),
        ),
        object("ConfigMap", "b", "", json!({})),
    ];
    let plan = plan(&objects, &Options::default().argocd(false)).unwrap();
    assert_eq!(stage_names(&plan), vec![vec!["ConfigMap/a", "ConfigMap/b"]]);
}

#[test]
fn hooks_go_before_and_after_waves() {
    let plan = plan_text(
        r#"
apiVersion: batch/v1
kind: Job
metadata:
  generateName: pre-
  annotations: {argocd.argoproj.io/hook: PreSync}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: helm-pre
  annotations: {helm.sh/hook: "pre-install,pre-upgrade", helm.sh/hook-weight: "-5"}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: post
  annotations: {helm.sh/hook: post-install}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: late
  annotations: {gitops.rs/wave: "10"}
---
apiVersion: v1
kind: Pod
metadata:
  name: test
  annotations: {helm.sh/hook: test}
---
apiVersion: v1
kind: Pod
metadata:
  name: skip
  annotations: {argocd.argoproj.io/hook: Skip}
---
apiVersion: v1
kind: Pod
metadata:
  name: sync-hook
  annotations: {argocd.argoproj.io/hook: Sync}
"#,
    )
    .unwrap();
    assert_eq!(
        stage_names(&plan),
        vec![
            vec!["Job.batch/helm-pre"],
            vec!["Job.batch/pre-"],
            vec!["Pod/sync-hook"],
            vec!["ConfigMap/late"],
            vec!["Job.batch/post"],
        ]
    );
    let phases: Vec<Phase> = plan.stages().iter().map(|s| s.position.phase).collect();
    assert_eq!(
        phases,
        vec![
            Phase::PreSync,
            Phase::PreSync,
            Phase::Sync,
            Phase::Sync,
            Phase::PostSync
        ]
    );
    let skipped: Vec<String> = plan
        .skipped()
        .iter()
        .map(|s| s.object.to_string())
        .collect();
    assert_eq!(skipped, vec!["Pod/skip", "Pod/test"]);
    assert_eq!(
        plan.skipped()[1].reason,
        "helm.sh/hook: test does not run during a sync"
    );
}

#[test]
fn missing_dependency_names_both() {
    let err = plan_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: x\n  annotations: {gitops.rs/depends-on: /namespaces/x/Secret/nope}\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "test.yaml: document 1: ConfigMap/x/a: depends on Secret/x/nope, which is not in the set of objects"
    );
}

#[test]
fn invalid_annotations_are_errors() {
    let cases = [
        (
            "{gitops.rs/wave: soon}",
            "test.yaml: document 1: ConfigMap/a: annotation gitops.rs/wave: invalid value \"soon\": not an integer",
        ),
        (
            "{gitops.rs/depends-on: apps/Deployment}",
            "test.yaml: document 1: ConfigMap/a: annotation gitops.rs/depends-on: invalid value \"apps/Deployment\": invalid reference \"apps/Deployment\": expected <group>/namespaces/<namespace>/<kind>/<name> or <group>/<kind>/<name>",
        ),
        (
            "{argocd.argoproj.io/hook: Presync}",
            "test.yaml: document 1: ConfigMap/a: annotation argocd.argoproj.io/hook: invalid value \"Presync\": unknown hook type \"Presync\" (expected PreSync, Sync, PostSync, SyncFail, PostDelete or Skip)",
        ),
        (
            "{helm.sh/hook: pre-instal}",
            "test.yaml: document 1: ConfigMap/a: annotation helm.sh/hook: invalid value \"pre-instal\": unknown Helm hook \"pre-instal\"",
        ),
    ];
    for (annotations, message) in cases {
        let text = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {annotations}\n"
        );
        assert_eq!(plan_text(&text).unwrap_err().to_string(), message);
    }
}

#[test]
fn wave_conflicts_are_errors() {
    let err = plan_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: shop\n  annotations: {gitops.rs/wave: \"-1\"}\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "test.yaml: document 2: ConfigMap/shop/a (wave -1) must be applied after Namespace/shop (wave 0) as its Namespace, but its wave is earlier"
    );

    let err = plan_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: a\n  annotations: {argocd.argoproj.io/hook: PreSync, gitops.rs/depends-on: /ConfigMap/b}\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "test.yaml: document 2: Job.batch/a (PreSync wave 0) must be applied after ConfigMap/b (wave 0) as its depends-on annotation says, but its phase is earlier"
    );
}

#[test]
fn custom_resources_follow_their_crd() {
    let plan = plan_text(
        r#"
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, annotations: {gitops.rs/wave: "1"}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com, annotations: {gitops.rs/wave: "2"}}
spec: {group: example.com, names: {kind: Widget, plural: widgets}, scope: Cluster}
"#,
    )
    .unwrap_err();
    assert!(matches!(
        plan,
        Error::WaveConflict {
            reason: EdgeReason::CustomResourceDefinition,
            ..
        }
    ));
}

#[test]
fn cycles_are_printed() {
    let err = plan_text(
        r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: a, annotations: {gitops.rs/depends-on: /ConfigMap/b}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, annotations: {gitops.rs/depends-on: /ConfigMap/c}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, annotations: {gitops.rs/depends-on: /ConfigMap/a}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: d, annotations: {gitops.rs/depends-on: /ConfigMap/a}}
"#,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dependency cycle: ConfigMap/a -> ConfigMap/c -> ConfigMap/b -> ConfigMap/a"
    );
    let err = plan_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, annotations: {gitops.rs/depends-on: /ConfigMap/a}}\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dependency cycle: ConfigMap/a -> ConfigMap/a"
    );
}

#[test]
fn duplicates_are_errors() {
    let err = plan_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "test.yaml: document 2: duplicate object ConfigMap/a (also defined in test.yaml: document 1)"
    );
}

// ---- properties ----------------------------------------------------------------------------

const KINDS: &[&str] = &[
    "Namespace",
    "ConfigMap",
    "Secret",
    "Service",
    "Deployment.apps",
    "Job.batch",
    "Widget.example.com",
    "Ingress.networking.k8s.io",
];

/// A random object set: names, kinds, namespaces, waves and dependency annotations.
#[derive(Debug, Clone)]
struct Spec {
    kind: usize,
    namespace: usize,
    wave: i64,
    deps: Vec<usize>,
}

fn specs() -> impl Strategy<Value = Vec<Spec>> {
    (1usize..40).prop_flat_map(|n| {
        proptest::collection::vec(
            (
                0..KINDS.len(),
                0..n,
                prop_oneof![8 => Just(0i64), 1 => -1i64..=1],
                proptest::collection::vec(0..n, 0..3),
            )
                .prop_map(|(kind, namespace, wave, deps)| Spec {
                    kind,
                    namespace,
                    wave,
                    deps,
                }),
            n,
        )
    })
}

fn build(specs: &[Spec]) -> Vec<Object> {
    let reference = |i: usize| {
        let s = &specs[i];
        let kind = KINDS[s.kind];
        let (kind, group) = kind.split_once('.').map_or((kind, ""), |(k, g)| (k, g));
        // Namespace i is named ns{i}; other objects live in ns{namespace}, which may or may
        // not be a Namespace of the set.
        if kind == "Namespace" {
            ObjectRef::new(group, kind, "", format!("ns{i}"))
        } else {
            ObjectRef::new(group, kind, format!("ns{}", s.namespace), format!("o{i}"))
        }
    };
    (0..specs.len())
        .map(|i| {
            let r = reference(i);
            let deps: Vec<String> = specs[i]
                .deps
                .iter()
                .map(|&d| DependsOnRef(reference(d)).to_string())
                .collect();
            let mut annotations = json!({});
            if !deps.is_empty() {
                annotations["gitops.rs/depends-on"] = json!(deps.join(","));
            }
            if specs[i].wave != 0 {
                annotations["gitops.rs/wave"] = json!(specs[i].wave.to_string());
            }
            let kind = if r.group.is_empty() {
                r.kind.clone()
            } else {
                format!("{}.{}", r.kind, r.group)
            };
            object(&kind, &r.name, &r.namespace, annotations)
        })
        .collect()
}

/// Every "before" edge of the set, computed independently of the planner: (before, after).
fn expected_edges(objects: &[Object]) -> Vec<(ObjectRef, ObjectRef)> {
    let namespaces: HashMap<&str, &ObjectRef> = objects
        .iter()
        .filter(|o| o.kind() == "Namespace")
        .map(|o| (o.name(), o.reference()))
        .collect();
    let mut edges = Vec::new();
    for o in objects {
        if let Some(ns) = o.namespace().and_then(|n| namespaces.get(n)) {
            edges.push(((*ns).clone(), o.reference().clone()));
        }
        if let Some(deps) = o.annotation("gitops.rs/depends-on") {
            for d in DependsOnRef::parse_list(deps).unwrap() {
                edges.push((d.0, o.reference().clone()));
            }
        }
    }
    edges
}

fn has_cycle(edges: &[(ObjectRef, ObjectRef)], waves: &BTreeMap<ObjectRef, i64>) -> bool {
    // Only edges within one wave can form a cycle (others are conflicts).
    let mut graph: BTreeMap<&ObjectRef, Vec<&ObjectRef>> = BTreeMap::new();
    for (a, b) in edges {
        if waves[a] == waves[b] {
            graph.entry(a).or_default().push(b);
        }
    }
    fn visit<'a>(
        n: &'a ObjectRef,
        graph: &BTreeMap<&'a ObjectRef, Vec<&'a ObjectRef>>,
        state: &mut BTreeMap<&'a ObjectRef, u8>,
    ) -> bool {
        match state.get(n) {
            Some(1) => return true,
            Some(2) => return false,
            _ => {}
        }
        state.insert(n, 1);
        for m in graph.get(n).into_iter().flatten() {
            if visit(m, graph, state) {
                return true;
            }
        }
        state.insert(n, 2);
        false
    }
    let mut state = BTreeMap::new();
    graph.keys().any(|n| visit(n, &graph, &mut state))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn plans_respect_every_edge_or_explain_why_not(specs in specs()) {
        let objects = build(&specs);
        let edges = expected_edges(&objects);
        let waves: BTreeMap<ObjectRef, i64> =
            objects.iter().zip(&specs).map(|(o, s)| (o.reference().clone(), s.wave)).collect();
        let conflict = edges.iter().any(|(a, b)| waves[a] > waves[b]);
        let cycle = has_cycle(&edges, &waves);

        match plan(&objects, &Options::default()) {
            Ok(plan) => {
                prop_assert!(!conflict && !cycle, "plan succeeded despite conflict={conflict} cycle={cycle}");
                // Every object exactly once.
                let placed: Vec<ObjectRef> = plan.objects().map(|o| o.reference().clone()).collect();
                let unique: BTreeSet<&ObjectRef> = placed.iter().collect();
                prop_assert_eq!(placed.len(), objects.len());
                prop_assert_eq!(unique.len(), objects.len());
                // Every edge respected: strictly earlier stage.
                let stage_of: HashMap<&ObjectRef, usize> = plan.stages().iter().enumerate()
                    .flat_map(|(i, s)| s.objects.iter().map(move |o| (o.reference(), i))).collect();
                for (a, b) in &edges {
                    prop_assert!(stage_of[a] < stage_of[b], "{a} must precede {b}");
                }
                // Waves are phases: stage order never goes back in wave.
                let stage_waves: Vec<i64> = plan.stages().iter().map(|s| s.position.wave).collect();
                prop_assert!(stage_waves.windows(2).all(|w| w[0] <= w[1]));
                for stage in plan.stages() {
                    for o in &stage.objects {
                        prop_assert_eq!(waves[o.reference()], stage.position.wave);
                    }
                }
                // Kind order: an object without incoming edges never precedes a lower tier
                // object of its wave that has none either.
                let targets: BTreeSet<&ObjectRef> = edges.iter().map(|(_, b)| b).collect();
                for x in objects.iter().filter(|o| !targets.contains(o.reference())) {
                    for y in objects.iter().filter(|o| !targets.contains(o.reference())) {
                        let tx = crate::kinds::tier(x.group(), x.kind());
                        let ty = crate::kinds::tier(y.group(), y.kind());
                        if waves[x.reference()] == waves[y.reference()] && tx < ty {
                            prop_assert!(stage_of[x.reference()] < stage_of[y.reference()]);
                        }
                    }
                }
                // Stages list their objects in reference order.
                for stage in plan.stages() {
                    prop_assert!(stage.objects.windows(2).all(|w| w[0].reference() < w[1].reference()));
                }
                // Deterministic, whatever the input order.
                let mut reversed = objects.clone();
                reversed.reverse();
                let again = super::plan(&reversed, &Options::default()).unwrap();
                prop_assert_eq!(again.references(), plan.references());
            }
            Err(Error::Cycle { cycle }) => {
                prop_assert!(cycle.len() >= 2);
                prop_assert_eq!(cycle.first(), cycle.last());
                for pair in cycle.windows(2) {
                    prop_assert!(edges.contains(&(pair[0].clone(), pair[1].clone())), "{} -> {} is no edge", pair[0], pair[1]);
                }
                prop_assert!(cycle.iter().all(|r| waves[r] == waves[&cycle[0]]));
            }
            Err(Error::WaveConflict { before, after, .. }) => {
                prop_assert!(conflict);
                prop_assert!(edges.contains(&(before.clone(), after.clone())));
                prop_assert!(waves[&before] > waves[&after]);
            }
            Err(other) => prop_assert!(false, "unexpected error {other}"),
        }
    }

    #[test]
    fn cycles_are_always_reported(n in 2usize..12) {
        // A ring of n ConfigMaps, plus unrelated objects.
        let specs: Vec<Spec> = (0..n)
            .map(|i| Spec { kind: 1, namespace: 0, wave: 0, deps: vec![(i + 1) % n] })
            .chain((0..5).map(|_| Spec { kind: 4, namespace: 1, wave: 0, deps: vec![] }))
            .collect();
        let err = plan(&build(&specs), &Options::default()).unwrap_err();
        match err {
            Error::Cycle { cycle } => prop_assert_eq!(cycle.len(), n + 1),
            other => prop_assert!(false, "expected a cycle, got {other}"),
        }
    }
}
