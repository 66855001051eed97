//! Conformance with Helm v4: every Helm case of the shared corpus, rendered natively and
//! compared with `expected.yaml` (Helm's `helm template` output) as ordered documents,
//! and byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use gitops_render::helm::{ChartSource, RenderSettings, render_chart, template};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

struct Case {
    name: String,
    dir: PathBuf,
    entry: String,
    expected: String,
    settings: RenderSettings,
}

fn strings(v: Option<&toml::Value>) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn helm_cases() -> Vec<Case> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(corpus()) else {
        return out;
    };
    let mut dirs: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    dirs.sort();
    for dir in dirs {
        let Ok(text) = std::fs::read_to_string(dir.join("case.toml")) else {
            continue;
        };
        let case: toml::Table = toml::from_str(&text).expect("case.toml parses");
        if case.get("kind").and_then(|k| k.as_str()) != Some("helm") {
            continue;
        }
        let helm = case
            .get("helm")
            .and_then(|h| h.as_table())
            .expect("a [helm] table");
        let mut settings = RenderSettings::default();
        if let Some(n) = helm.get("release_name").and_then(|v| v.as_str()) {
            settings.release_name = n.to_string();
        }
        if let Some(n) = helm.get("namespace").and_then(|v| v.as_str()) {
            settings.namespace = n.to_string();
        }
        settings.values.value_files = strings(helm.get("values_files"))
            .into_iter()
            .map(|f| dir.join(f))
            .collect();
        settings.values.values = strings(helm.get("set"));
        settings.skip_tests = helm
            .get("skip_tests")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        settings.include_crds = helm
            .get("include_crds")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        settings.kube_version = helm
            .get("kube_version")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        settings.is_upgrade = !helm
            .get("is_install")
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        settings.revision = helm
            .get("revision")
            .and_then(|v| v.as_integer())
            .unwrap_or(1);
        out.push(Case {
            name: case["name"].as_str().unwrap_or_default().to_string(),
            entry: case["entry"].as_str().unwrap_or_default().to_string(),
            expected: case
                .get("expected")
                .and_then(|v| v.as_str())
                .unwrap_or("expected.yaml")
                .to_string(),
            dir,
            settings,
        });
    }
    out
}

#[test]
fn corpus_helm_cases_render_like_helm() {
    let cases = helm_cases();
    if cases.is_empty() {
        println!("skipping: no corpus at {}", corpus().display());
        return;
    }
    let (mut parsed_equal, mut identical) = (0, 0);
    let mut failures = Vec::new();
    for c in &cases {
        let expected = std::fs::read_to_string(c.dir.join(&c.expected)).unwrap();
        let got = match template(&ChartSource::Path(c.dir.join(&c.entry)), &c.settings) {
            Ok(g) => g,
            Err(e) => {
                failures.push(format!("{}: render failed: {e}", c.name));
                continue;
            }
        };
        let want_docs = gitops_core::yaml::parse_documents(&expected).unwrap();
        let got_docs = gitops_core::yaml::parse_documents(&got);
        match got_docs {
            Ok(g)
                if g.len() == want_docs.len()
                    && g.iter().zip(&want_docs).all(|(a, b)| a.value == b.value) =>
            {
                parsed_equal += 1;
            }
            Ok(g) => {
                let first = g
                    .iter()
                    .zip(&want_docs)
                    .position(|(a, b)| a.value != b.value)
                    .unwrap_or(g.len().min(want_docs.len()));
                failures.push(format!(
                    "{}: {} documents, want {}; first difference at document {}:\n got: {}\nwant: {}",
                    c.name,
                    g.len(),
                    want_docs.len(),
                    first + 1,
                    g.get(first).map(|d| d.value.to_string()).unwrap_or_default(),
                    want_docs.get(first).map(|d| d.value.to_string()).unwrap_or_default(),
                ));
            }
            Err(e) => failures.push(format!("{}: output does not parse: {e}", c.name)),
        }
        // the objects (documents parsed once, while sorting) are Helm's documents too
        match render_chart(&ChartSource::Path(c.dir.join(&c.entry)), &c.settings) {
            Ok(objects) => {
                let got: Vec<&serde_json::Value> = objects.iter().map(|o| o.manifest()).collect();
                let want: Vec<&serde_json::Value> = want_docs.iter().map(|d| &d.value).collect();
                if got != want {
                    failures.push(format!("{}: objects differ from Helm's documents", c.name));
                }
            }
            Err(e) => failures.push(format!("{}: render_chart failed: {e}", c.name)),
        }
        if got == expected {
            identical += 1;
        } else if std::env::var_os("HELM_CORPUS_DIFF").is_some() {
            let path = std::env::temp_dir().join(format!("{}.got.yaml", c.name));
            std::fs::write(&path, &got).unwrap();
            println!(
                "{}: not byte-identical, output in {}",
                c.name,
                path.display()
            );
        }
    }
    println!(
        "helm corpus: {parsed_equal}/{} cases equal as ordered documents, {identical}/{} byte-identical",
        cases.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
