//! Native Kustomize rendering, in process: generated overlays of 1,000, 2,000 and 4,000
//! resources (namePrefix, namespace, labels, images, a generator; the largest also with 50
//! strategic-merge patches, as made by `shared/bench/gen_kustomize_overlay.py`), and every
//! Kustomize case of the shared corpus when it is present.
//!
//! Run: `cargo bench -p gitops-benches --bench kustomize`. Target: the 4,000-resource overlay
//! with 50 patches under 1 s (it takes `kubectl kustomize` minutes); see
//! `benches/kustomize_compare.sh` for the whole-process comparison.

// A benchmark fails loudly on a broken fixture.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use gitops_core::Artifact;
use gitops_render::RenderOptions;
use gitops_render::kustomize::KustomizeRenderer;

/// Writes the generator's base (`deployments` Deployments and as many ConfigMaps) and an
/// overlay with `patches` strategic-merge patches, as `gen_kustomize_overlay.py` does.
fn generate(out: &Path, deployments: usize, patches: usize) -> PathBuf {
    let base = out.join("base");
    let overlay = out.join("overlay");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::create_dir_all(&overlay).unwrap();
    let mut resources = String::from("resources:\n");
    for i in 0..deployments {
        std::fs::write(
            base.join(format!("dep{i}.yaml")),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{i}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{app: app{i}}}\n  template:\n    metadata:\n      labels: {{app: app{i}}}\n    spec:\n      containers:\n      - name: main\n        image: nginx:1.27\n        env:\n        - name: A\n          value: \"1\"\n        ports:\n        - containerPort: 80\n"
            ),
        )
        .unwrap();
        std::fs::write(
            base.join(format!("cm{i}.yaml")),
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg{i}\ndata:\n  key: value{i}\n"),
        )
        .unwrap();
        let _ = write!(resources, "- dep{i}.yaml\n- cm{i}.yaml\n");
    }
    std::fs::write(base.join("kustomization.yaml"), resources).unwrap();
    let mut k = String::from(
        "resources:\n- ../base\nnamePrefix: prod-\nnamespace: prod\nlabels:\n- pairs: {team: shop}\n  includeSelectors: false\nimages:\n- name: nginx\n  newTag: \"1.28\"\nconfigMapGenerator:\n- name: settings\n  literals: [a=1, b=2]\n",
    );
    if patches > 0 {
        k.push_str("patches:\n");
        for i in 0..patches.min(deployments) {
            let _ = write!(
                k,
                "- target: {{kind: Deployment, name: app{i}}}\n  patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: app{i}\n    spec:\n      template:\n        spec:\n          containers:\n          - name: main\n            env:\n            - name: B\n              value: \"2\"\n"
            );
        }
    }
    std::fs::write(overlay.join("kustomization.yaml"), k).unwrap();
    overlay
}

fn render(root: &Path, path: &Path) -> usize {
    let artifact = Artifact {
        path: path.to_path_buf(),
        ..Artifact::local(root, "bench")
    };
    KustomizeRenderer::new(RenderOptions::default())
        .render_blocking(&artifact)
        .unwrap()
        .objects
        .len()
}

fn overlays(c: &mut Criterion) {
    let mut group = c.benchmark_group("kustomize");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for (resources, patches) in [(1000, 0), (2000, 0), (4000, 0), (4000, 50)] {
        let dir = tempfile::tempdir().unwrap();
        let overlay = generate(dir.path(), resources / 2, patches);
        let rel = overlay.strip_prefix(dir.path()).unwrap().to_path_buf();
        // The generated ConfigMap joins the resources.
        assert_eq!(render(dir.path(), &rel), resources + 1);
        let name = if patches > 0 {
            format!("overlay-{resources}-{patches}patches")
        } else {
            format!("overlay-{resources}")
        };
        group.bench_function(name, |b| b.iter(|| black_box(render(dir.path(), &rel))));
    }
    group.finish();
}

/// The shared corpus' Kustomize cases (skipped when the corpus is not present).
fn corpus(c: &mut Criterion) {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    let Ok(entries) = std::fs::read_dir(&corpus) else {
        println!(
            "kustomize corpus benches skipped: {} not found",
            corpus.display()
        );
        return;
    };
    let mut cases: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("kustomize-"))
        })
        .collect();
    cases.sort();
    let mut group = c.benchmark_group("kustomize-corpus");
    for case in cases {
        let toml = std::fs::read_to_string(case.join("case.toml")).unwrap();
        let Some(entry) = toml
            .lines()
            .find_map(|l| l.strip_prefix("entry = \""))
            .and_then(|l| l.strip_suffix('"'))
        else {
            continue;
        };
        let path = PathBuf::from(entry.strip_prefix("input/").unwrap_or(entry));
        let root = case.join("input");
        render(&root, &path);
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        group.bench_function(name, |b| b.iter(|| black_box(render(&root, &path))));
    }
    group.finish();
}

criterion_group!(benches, overlays, corpus);
criterion_main!(benches);
