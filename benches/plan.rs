//! The apply plan at scale: 10,000 objects with about 20,000 dependency edges.
//!
//! Run: `cargo bench -p gitops-benches --bench plan`. Target: median under 20 ms in release.

// A benchmark fails loudly on a broken fixture.
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use gitops_core::plan::{self, DependsOnRef, Options};
use gitops_core::{Object, ObjectRef, manifest};
use serde_json::json;
use std::hint::black_box;

const OBJECTS: usize = 10_000;
const NAMESPACES: usize = 20;
const DEPS_PER_OBJECT: usize = 2;

/// A deterministic generator (64-bit LCG), so every run plans the same set.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// Namespaces first, then workloads and configuration that each depend on two earlier
/// non-namespace objects: a DAG of ~20,000 depends-on edges plus ~10,000 namespace edges.
fn objects() -> Vec<Object> {
    let kinds = [
        ("v1", "ConfigMap"),
        ("v1", "Service"),
        ("apps/v1", "Deployment"),
        ("v1", "Secret"),
    ];
    let mut rng = Lcg(42);
    let mut refs: Vec<ObjectRef> = Vec::new();
    let mut out = Vec::with_capacity(OBJECTS);
    for n in 0..NAMESPACES {
        out.push(Object::new(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("ns-{n}")}})).unwrap());
    }
    for i in NAMESPACES..OBJECTS {
        let (api_version, kind) = kinds[i % kinds.len()];
        let namespace = format!("ns-{}", i % NAMESPACES);
        let name = format!("obj-{i}");
        let deps: Vec<String> = (0..DEPS_PER_OBJECT.min(refs.len()))
            .map(|_| DependsOnRef(refs[rng.below(refs.len())].clone()).to_string())
            .collect();
        let object = Object::new(json!({
            "apiVersion": api_version, "kind": kind,
            "metadata": {"name": name, "namespace": namespace,
                         "annotations": {"gitops.rs/depends-on": deps.join(",")}},
        }))
        .unwrap();
        refs.push(object.reference().clone());
        out.push(object);
    }
    out
}

fn bench(c: &mut Criterion) {
    let objects = objects();
    let plan = plan::plan(&objects, &Options::default()).unwrap();
    assert_eq!(plan.len(), OBJECTS);
    eprintln!(
        "plan: {} objects in {} stages",
        plan.len(),
        plan.stages().len()
    );
    c.bench_function("plan 10k objects / 20k depends-on edges", |b| {
        b.iter(|| plan::plan(black_box(&objects), &Options::default()).unwrap())
    });

    let text = gitops_core::yaml::to_string_multi(&objects).unwrap();
    eprintln!("load: {} bytes of YAML", text.len());
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("load 10k objects from YAML", |b| {
        b.iter(|| manifest::load_str(black_box(&text), "bench.yaml").unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
