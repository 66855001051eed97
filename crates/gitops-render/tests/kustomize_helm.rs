//! Kustomize's `helmCharts`: charts inflated inside a kustomization, then transformed by it.
//!
//! Local charts are compared byte for byte with `kubectl kustomize --enable-helm` (kustomize
//! v5.5.0) running the real Helm v4 (its SDK, through `tests/helm/helm_shim.py`); the
//! comparison skips with a printed reason when kubectl or the SDK is missing. Charts fetched
//! from a Helm repository are served on 127.0.0.1; the policies and the refusals need no
//! reference tool.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::http::{Handler, Server, chart_tgz, ok, status};
use gitops_core::Artifact;
use gitops_render::RenderOptions;
use gitops_render::helm::FetchOptions;
use gitops_render::kustomize::{HelmChartsPolicy, KustomizeOptions, KustomizeRenderer};
use sha2::{Digest, Sha256};

fn corpus_chart(name: &str) -> Option<PathBuf> {
    let dir = common::repo_root()
        .join("../shared/corpus")
        .join(format!("helm-{name}"))
        .join("input/charts")
        .join(name.trim_end_matches("-default"));
    dir.is_dir().then_some(dir)
}

/// Writes `files` (path, content) under `root`.
fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
}

/// A kustomization tree with the corpus' podinfo and metrics-server charts under `charts/`
/// (and `vendor/` for the `chartHome` case), and one directory per case.
fn tree(root: &Path) {
    for (chart, home) in [
        ("podinfo-default", "charts"),
        ("metrics-server", "charts"),
        ("podinfo-default", "vendor"),
    ] {
        let src = corpus_chart(chart).unwrap();
        let name = src.file_name().unwrap().to_owned();
        for case in [
            "base", "merge", "replace", "metrics", "home", "legacy", "nulls",
        ] {
            common::flux::copy_tree(&src, &root.join(case).join(home).join(&name));
        }
    }
    write(
        root,
        &[
            (
                "base/kustomization.yaml",
                "namespace: shop\nnamePrefix: dev-\nlabels:\n- pairs: {team: web}\n  includeSelectors: false\n\
                 helmCharts:\n- name: podinfo\n  releaseName: web\n  skipTests: true\n  valuesInline:\n    replicaCount: 3\n    ui:\n      message: hello\n    redis:\n      enabled: true\n\
                 images:\n- name: ghcr.io/stefanprodan/podinfo\n  newTag: 9.9.9\n",
            ),
            (
                "merge/kustomization.yaml",
                "helmCharts:\n- name: podinfo\n  releaseName: m\n  skipTests: true\n  valuesFile: charts/podinfo/values-prod.yaml\n  valuesMerge: merge\n  valuesInline:\n    replicaCount: 7\n    ui:\n      color: '#000000'\n",
            ),
            (
                "replace/kustomization.yaml",
                "helmCharts:\n- name: podinfo\n  releaseName: r\n  skipTests: true\n  valuesMerge: replace\n  valuesInline:\n    replicaCount: 2\n    image:\n      repository: example.com/podinfo\n      tag: '1.0'\n",
            ),
            (
                "metrics/kustomization.yaml",
                "namespace: monitoring\nhelmCharts:\n- name: metrics-server\n  releaseName: metrics\n  namespace: kube-system\n  additionalValuesFiles: [extra.yaml]\n\
                 patches:\n- target: {kind: Deployment}\n  patch: |-\n    - op: add\n      path: /spec/template/spec/priorityClassName\n      value: system-node-critical\n",
            ),
            (
                "metrics/extra.yaml",
                "replicas: 2\nargs:\n- --kubelet-insecure-tls\n",
            ),
            (
                "home/kustomization.yaml",
                "helmGlobals:\n  chartHome: vendor\nhelmCharts:\n- name: podinfo\n  skipTests: true\n",
            ),
            (
                "legacy/kustomization.yaml",
                "helmChartInflationGenerator:\n- chartName: metrics-server\n  releaseName: old\n  releaseNamespace: ops\n  values: extra.yaml\n",
            ),
            ("legacy/extra.yaml", "replicas: 3\n"),
            (
                "nulls/kustomization.yaml",
                "helmCharts:\n- name: podinfo\n  skipTests: true\n  valuesFile: my-values.yaml\n  valuesInline:\n    ui:\n      color: null\n    podAnnotations:\n      a: b\n",
            ),
            (
                "nulls/my-values.yaml",
                "resources:\n  limits:\n    memory:\n  requests: {cpu: 5m}\npodAnnotations: null\nui:\n  message: from-file\n  logo:\n",
            ),
            (
                "overlay/kustomization.yaml",
                "resources: [../base]\nnameSuffix: -v2\n",
            ),
        ],
    );
}

const CASES: &[&str] = &[
    "base", "merge", "replace", "metrics", "home", "legacy", "nulls", "overlay",
];

fn render(
    root: &Path,
    path: &str,
    options: KustomizeOptions,
    fetch: FetchOptions,
) -> Result<(String, Vec<String>, Vec<PathBuf>), String> {
    let artifact = Artifact {
        path: PathBuf::from(path),
        ..Artifact::local(root, "test")
    };
    let rendered = KustomizeRenderer::new(RenderOptions::default())
        .with_kustomize_options(options)
        .with_helm_fetch(fetch)
        .render_blocking(&artifact)
        .map_err(|e| e.to_string())?;
    Ok((
        gitops_render::kustomize::yaml::to_string(&rendered.objects),
        rendered.external,
        rendered.inputs,
    ))
}

fn render_local(root: &Path, path: &str) -> Result<String, String> {
    render(
        root,
        path,
        KustomizeOptions::default(),
        FetchOptions::default(),
    )
    .map(|r| r.0)
}

#[test]
fn local_charts_render_like_kubectl_kustomize_with_helm() {
    if corpus_chart("podinfo-default").is_none() {
        println!("skipping: the shared corpus is not beside the repository");
        return;
    }
    let reason = if common::kubectl::available() {
        common::kubectl::helm_oracle_missing()
    } else {
        Some("kubectl is not on the PATH".into())
    };
    let tmp = tempfile::tempdir().unwrap();
    tree(tmp.path());
    let mut failures = Vec::new();
    for case in CASES {
        let ours = render_local(tmp.path(), case);
        let ours = match ours {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{case}: error: {e}"));
                continue;
            }
        };
        assert!(
            ours.contains("kind: Deployment"),
            "{case}: no Deployment:\n{ours}"
        );
        if reason.is_some() {
            continue;
        }
        let expected = common::kubectl::kustomize_with_helm(&tmp.path().join(case))
            .unwrap_or_else(|e| panic!("{case}: kubectl kustomize --enable-helm failed: {e}"));
        if ours != expected {
            let docs = common::first_difference(
                &common::parse_stream(&expected),
                &common::parse_stream(&ours),
            );
            failures.push(format!(
                "{case}: output differs ({})",
                docs.unwrap_or_else(|| "same documents, different bytes".into())
            ));
        }
    }
    match &reason {
        Some(r) => println!(
            "rendered {} cases; skipping the comparison: {r}",
            CASES.len()
        ),
        None => println!(
            "helmCharts: {}/{} cases byte-identical with kubectl kustomize --enable-helm",
            CASES.len() - failures.len(),
            CASES.len()
        ),
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn values_and_transformers_reach_the_chart_output() {
    let Some(_) = corpus_chart("podinfo-default") else {
        println!("skipping: the shared corpus is not beside the repository");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    tree(tmp.path());
    let docs = common::parse_stream(&render_local(tmp.path(), "base").unwrap());
    let deploy = docs
        .iter()
        .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "dev-web-podinfo")
        .expect("prefixed podinfo Deployment");
    assert_eq!(deploy["metadata"]["namespace"], "shop");
    assert_eq!(deploy["metadata"]["labels"]["team"], "web");
    assert_eq!(deploy["spec"]["replicas"], 3);
    let container = &deploy["spec"]["template"]["spec"]["containers"][0];
    assert!(
        container["image"].as_str().unwrap().ends_with(":9.9.9"),
        "{container}"
    );
    let env = container["env"].as_array().unwrap();
    assert!(
        env.iter()
            .any(|e| e["name"] == "PODINFO_UI_MESSAGE" && e["value"] == "hello")
    );
    // redis.enabled came from valuesInline; the chart's defaults still apply (override mode).
    assert!(
        docs.iter()
            .any(|d| d["metadata"]["name"] == "dev-web-podinfo-redis")
    );
    // skipTests: no test hooks.
    assert!(docs.iter().all(|d| {
        !d["metadata"]["annotations"]["helm.sh/hook"]
            .as_str()
            .unwrap_or("")
            .contains("test")
    }));

    // valuesMerge: merge keeps the file's value where both set one; replace drops the file.
    let merged = common::parse_stream(&render_local(tmp.path(), "merge").unwrap());
    let replaced = common::parse_stream(&render_local(tmp.path(), "replace").unwrap());
    let replicas = |docs: &[serde_json::Value]| {
        docs.iter()
            .find(|d| d["kind"] == "Deployment")
            .map(|d| d["spec"]["replicas"].clone())
            .unwrap()
    };
    assert_ne!(replicas(&merged), 7, "merge: the values file wins");
    assert_eq!(replicas(&replaced), 2);
}

#[test]
fn inputs_cover_the_chart_and_values_files() {
    let Some(_) = corpus_chart("metrics-server") else {
        println!("skipping: the shared corpus is not beside the repository");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    tree(tmp.path());
    let (_, external, inputs) = render(
        tmp.path(),
        "metrics",
        KustomizeOptions::default(),
        FetchOptions::default(),
    )
    .unwrap();
    assert!(external.is_empty(), "{external:?}");
    let names: Vec<String> = inputs
        .iter()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    for wanted in [
        "metrics/kustomization.yaml",
        "metrics/extra.yaml",
        "metrics/charts/metrics-server/Chart.yaml",
        "metrics/charts/metrics-server/values.yaml",
        "metrics/charts/metrics-server/templates/deployment.yaml",
    ] {
        assert!(
            names.iter().any(|n| n == wanted),
            "{wanted} missing from {names:?}"
        );
    }
}

/// A Helm repository on 127.0.0.1 serving `hello` 1.0.0 and 1.2.0 (with digests, so the
/// cache can answer).
fn repository() -> Server {
    let digest = |version: &str| -> String {
        Sha256::digest(chart_tgz("hello", version))
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let (d10, d12) = (digest("1.0.0"), digest("1.2.0"));
    let handler: Arc<Handler> = Arc::new(move |path: &str, headers: &HashMap<String, String>| {
        let base = format!(
            "http://{}",
            headers.get("host").cloned().unwrap_or_default()
        );
        match path {
            "/index.yaml" => ok(format!(
                "apiVersion: v1\nentries:\n  hello:\n  - name: hello\n    version: 1.2.0\n    digest: {d12}\n    urls: [{base}/hello-1.2.0.tgz]\n  - name: hello\n    version: 1.0.0\n    digest: {d10}\n    urls: [{base}/hello-1.0.0.tgz]\n"
            )),
            "/hello-1.0.0.tgz" => ok(chart_tgz("hello", "1.0.0")),
            "/hello-1.2.0.tgz" => ok(chart_tgz("hello", "1.2.0")),
            _ => status(404),
        }
    });
    Server::start(handler)
}

#[test]
fn remote_charts_are_fetched_into_the_cache_not_the_source() {
    let server = repository();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let fetch = FetchOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        ..FetchOptions::default()
    };
    write(
        tmp.path(),
        &[(
            "app/kustomization.yaml",
            &format!(
                "namespace: apps\nhelmCharts:\n- name: hello\n  repo: {}\n  version: 1.0.0\n  releaseName: hi\n  valuesInline:\n    greeting: bonjour\n",
                server.url()
            ),
        )],
    );
    let (yaml, external, _) = render(
        tmp.path(),
        "app",
        KustomizeOptions::default(),
        fetch.clone(),
    )
    .unwrap();
    let docs = common::parse_stream(&yaml);
    assert_eq!(docs.len(), 1, "{yaml}");
    assert_eq!(docs[0]["metadata"]["name"], "hi-hello");
    assert_eq!(docs[0]["metadata"]["namespace"], "apps");
    assert_eq!(docs[0]["data"]["version"], "1.0.0");
    assert_eq!(docs[0]["data"]["greeting"], "bonjour");
    assert_eq!(external, vec![format!("{}/hello@1.0.0", server.url())]);
    // Nothing was written into the kustomization's directory.
    let entries: Vec<_> = std::fs::read_dir(tmp.path().join("app")).unwrap().collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(server.count("/hello-1.0.0.tgz"), 1);

    // Without a version, the highest one; a second build of 1.0.0 comes from the cache.
    let unpinned = std::fs::read_to_string(tmp.path().join("app/kustomization.yaml"))
        .unwrap()
        .replace("  version: 1.0.0\n", "");
    write(tmp.path(), &[("latest/kustomization.yaml", &unpinned)]);
    let (yaml, external, _) = render(
        tmp.path(),
        "latest",
        KustomizeOptions::default(),
        fetch.clone(),
    )
    .unwrap();
    assert!(yaml.contains("version: 1.2.0"), "{yaml}");
    assert_eq!(external, vec![format!("{}/hello@1.2.0", server.url())]);
    render(
        tmp.path(),
        "app",
        KustomizeOptions::default(),
        fetch.clone(),
    )
    .unwrap();
    assert_eq!(server.count("/hello-1.0.0.tgz"), 1, "served from the cache");

    // localOnly refuses to fetch; disabled refuses charts altogether.
    let local_only = KustomizeOptions::default().helm_charts(HelmChartsPolicy::LocalOnly);
    let err = render(tmp.path(), "app", local_only, fetch.clone()).unwrap_err();
    assert!(
        err.contains("localOnly") && err.contains("helmCharts[0]"),
        "{err}"
    );
    let disabled = KustomizeOptions::default().helm_charts(HelmChartsPolicy::Disabled);
    let err = render(tmp.path(), "app", disabled, fetch.clone()).unwrap_err();
    assert!(
        err.contains("disabled") && err.contains("kustomization.yaml"),
        "{err}"
    );

    // An unknown version names the chart and the field.
    let missing = unpinned.replace("releaseName: hi", "version: 9.0.0\n  releaseName: hi");
    write(tmp.path(), &[("missing/kustomization.yaml", &missing)]);
    let err = render(tmp.path(), "missing", KustomizeOptions::default(), fetch).unwrap_err();
    assert!(
        err.contains("helmCharts[0]") && err.contains("hello"),
        "{err}"
    );
    assert!(err.contains("9.0.0"), "{err}");
}

#[test]
fn bad_chart_entries_are_refused_with_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        &[
            (
                "outside/charts/evil/Chart.yaml",
                "apiVersion: v2\nname: evil\nversion: 1.0.0\n",
            ),
            ("outside/secret.yaml", "token: hunter2\n"),
            (
                "escape/kustomization.yaml",
                "helmGlobals:\n  chartHome: ../outside/charts\nhelmCharts:\n- name: evil\n",
            ),
            (
                "values-escape/kustomization.yaml",
                "helmGlobals:\n  chartHome: c\nhelmCharts:\n- name: ok\n  additionalValuesFiles: [../outside/secret.yaml]\n",
            ),
            (
                "values-escape/c/ok/Chart.yaml",
                "apiVersion: v2\nname: ok\nversion: 1.0.0\n",
            ),
            (
                "absent/kustomization.yaml",
                "helmCharts:\n- name: nowhere\n",
            ),
            (
                "template/kustomization.yaml",
                "helmCharts:\n- name: x\n  nameTemplate: '{{ randAlpha 5 }}'\n",
            ),
            (
                "merge-mode/kustomization.yaml",
                "helmCharts:\n- name: x\n  valuesMerge: squash\n",
            ),
            ("broken/kustomization.yaml", "helmCharts:\n- name: bad\n"),
            (
                "broken/charts/bad/Chart.yaml",
                "apiVersion: v2\nname: bad\nversion: 1.0.0\n",
            ),
            (
                "broken/charts/bad/templates/x.yaml",
                "{{ .Values.missing.field }}\n",
            ),
        ],
    );
    let cases = [
        ("escape", vec!["helmCharts[0]", "outside"]),
        (
            "values-escape",
            vec!["additionalValuesFiles[0]", "secret.yaml"],
        ),
        (
            "absent",
            vec!["helmCharts[0]", "no chart found", "charts/nowhere"],
        ),
        ("template", vec!["nameTemplate"]),
        ("merge-mode", vec!["valuesMerge"]),
        ("broken", vec!["helmCharts[0]", "bad", "templates/x.yaml"]),
    ];
    for (case, wanted) in cases {
        let err = render_local(tmp.path(), case).unwrap_err();
        for w in wanted {
            assert!(err.contains(w), "{case}: {w:?} not in: {err}");
        }
        assert!(err.contains("kustomization.yaml"), "{case}: {err}");
        assert!(!err.contains("hunter2"), "{case}: {err}");
    }
}
