//! Parse + execute of every template of the corpus Helm charts (root chart, default values),
//! the same work Helm's engine does inside `Chart.render`. Compare with
//! `python3 tests/oracle/helm_oracle.py --bench <chart>` (see docs/performance.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::type_complexity,
    missing_docs
)]

use criterion::{Criterion, criterion_group, criterion_main};
use gitops_gotemplate::helm::{self, HelmContext, HelmTemplate, Release};
use gitops_gotemplate::{Engine, Value};
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out)
        } else {
            out.push(p)
        }
    }
}

fn drop_nulls(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => serde_json::Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, drop_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}

/// (templates, values file text, chart meta, files) of a chart's root.
fn load(
    dir: &Path,
) -> (
    Vec<(String, std::sync::Arc<str>)>,
    serde_json::Value,
    serde_json::Value,
    Vec<(String, Vec<u8>)>,
) {
    let meta: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(dir.join("Chart.yaml")).unwrap()).unwrap();
    let name = meta["name"].as_str().unwrap().to_string();
    let values = drop_nulls(
        serde_saphyr::from_str(&std::fs::read_to_string(dir.join("values.yaml")).unwrap()).unwrap(),
    );
    let mut all = Vec::new();
    walk(dir, &mut all);
    let (mut tpls, mut files) = (Vec::new(), Vec::new());
    for f in all {
        let rel = f.strip_prefix(dir).unwrap().to_string_lossy().to_string();
        if rel.starts_with("charts/") {
            continue;
        }
        if rel.starts_with("templates/") {
            tpls.push((
                format!("{name}/{rel}"),
                std::sync::Arc::<str>::from(std::fs::read_to_string(&f).unwrap()),
            ));
        } else {
            files.push((rel, std::fs::read(&f).unwrap()));
        }
    }
    (tpls, values, meta, files)
}

fn bench(c: &mut Criterion) {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    let charts = [
        (
            "podinfo",
            "helm-podinfo-default/input/charts/podinfo",
            "podinfo",
            "default",
        ),
        (
            "ingress-nginx",
            "helm-ingress-nginx/input/charts/ingress-nginx",
            "ingress-nginx",
            "ingress-nginx",
        ),
        (
            "kube-state-metrics",
            "helm-kube-state-metrics/input/charts/kube-state-metrics",
            "kube-state-metrics",
            "monitoring",
        ),
        (
            "metrics-server",
            "helm-metrics-server/input/charts/metrics-server",
            "metrics-server",
            "kube-system",
        ),
        (
            "prometheus",
            "helm-prometheus-with-subcharts/input/charts/prometheus",
            "prometheus",
            "monitoring",
        ),
    ];
    let engine = Engine::new().with_helm_functions(HelmContext::default());
    let mut group = c.benchmark_group("gotemplate_chart_render");
    for (label, path, rel, ns) in charts {
        let dir = corpus.join(path);
        if !dir.is_dir() {
            continue;
        }
        let (tpls, values, meta, files) = load(&dir);
        let name = meta["name"].as_str().unwrap().to_string();
        let release = Release {
            name: rel.into(),
            namespace: ns.into(),
            ..Default::default()
        };
        // What loading a chart yields once (Helm's `Chart.load` reads the files and values
        // too): the values as template data and the `.Files` object.
        let values = Value::from(&values);
        let files = helm::files(files);
        group.bench_function(label, |b| {
            b.iter(|| {
                // values are copied per render (templates may mutate them), as Helm's
                // coalescing copies them; `.Chart` and `.Release` are rebuilt too
                let top = helm::top_values(
                    values.deep_copy(),
                    helm::chart(&meta, true),
                    &release,
                    helm::capabilities(),
                    files.clone(),
                );
                let list: Vec<HelmTemplate> = tpls
                    .iter()
                    .map(|(n, t)| HelmTemplate {
                        name: n.clone(),
                        text: t.clone(),
                        values: top.clone(),
                        base_path: format!("{name}/templates"),
                    })
                    .collect();
                helm::render(&engine, &list).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
