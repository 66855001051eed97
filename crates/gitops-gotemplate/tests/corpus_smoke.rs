//! Smoke test over the Helm charts of the shared corpus: every template parses, and every
//! chart (each subchart on its own, with its default values) executes; rendered documents
//! are looked up in Helm's expected output and the share found is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gitops_gotemplate::helm::{self, HelmContext, HelmTemplate, Release};
use gitops_gotemplate::{Engine, Value};
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    p.is_dir().then_some(p)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// A chart directory: its name, templates (relative names) and files.
struct Chart {
    dir: PathBuf,
    name: String,
    meta: serde_json::Value,
    values: Value,
}

fn load_chart(dir: &Path) -> Chart {
    let meta: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(dir.join("Chart.yaml")).unwrap()).unwrap();
    let name = meta["name"].as_str().unwrap().to_string();
    let values = match std::fs::read_to_string(dir.join("values.yaml")) {
        Ok(s) if !s.trim().is_empty() => Value::from(drop_nulls(
            serde_saphyr::from_str::<serde_json::Value>(&s).unwrap(),
        )),
        _ => Value::empty_map(),
    };
    Chart {
        dir: dir.to_path_buf(),
        name,
        meta,
        values,
    }
}

/// Helm's value coalescing drops keys whose value is null.
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

/// Renders a chart standalone (subcharts are rendered as their own roots).
fn render_chart(
    engine: &Engine,
    chart: &Chart,
    release: &str,
    ns: &str,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let mut files_all = Vec::new();
    walk(&chart.dir, &mut files_all);
    let mut files = Vec::new();
    let mut templates = Vec::new();
    let top_files: Vec<(String, Vec<u8>)> = Vec::new();
    let _ = top_files;
    for f in &files_all {
        let rel = f
            .strip_prefix(&chart.dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with("charts/") {
            continue;
        }
        if rel.starts_with("templates/") {
            templates.push((
                format!("{}/{}", chart.name, rel),
                std::fs::read_to_string(f).unwrap(),
            ));
        } else if rel != "Chart.yaml" && rel != "values.yaml" {
            files.push((rel, std::fs::read(f).unwrap()));
        }
    }
    let top = helm::top_values(
        chart.values.clone(),
        helm::chart(&chart.meta, true),
        &Release {
            name: release.into(),
            namespace: ns.into(),
            ..Default::default()
        },
        helm::capabilities(),
        helm::files(files),
    );
    let tpls: Vec<HelmTemplate> = templates
        .into_iter()
        .map(|(name, text)| HelmTemplate {
            name,
            text: text.into(),
            values: top.clone(),
            base_path: format!("{}/templates", chart.name),
        })
        .collect();
    helm::render(engine, &tpls).map_err(|e| helm::format_error("", &e))
}

#[test]
fn corpus_charts_parse_and_execute() {
    let Some(root) = corpus() else {
        println!("skipping: shared corpus not found");
        return;
    };
    let engine = Engine::new().with_helm_functions(HelmContext::default());
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("helm-")
        })
        .collect();
    cases.sort();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    let (mut parsed, mut docs_total, mut docs_found) = (0usize, 0usize, 0usize);
    for case in cases {
        let toml = std::fs::read_to_string(case.join("case.toml")).unwrap();
        let entry = toml
            .lines()
            .find_map(|l| l.strip_prefix("entry = "))
            .unwrap()
            .trim_matches('"')
            .to_string();
        let release = toml
            .lines()
            .find_map(|l| l.strip_prefix("release_name = "))
            .unwrap()
            .trim_matches('"')
            .to_string();
        let ns = toml
            .lines()
            .find_map(|l| l.strip_prefix("namespace = "))
            .unwrap()
            .trim_matches('"')
            .to_string();
        let expected = std::fs::read_to_string(case.join("expected.yaml")).unwrap_or_default();
        let mut chart_dirs = vec![case.join(&entry)];
        let mut all = Vec::new();
        walk(&case.join(&entry), &mut all);
        for f in &all {
            if f.file_name().is_some_and(|n| n == "Chart.yaml")
                && f.parent() != Some(case.join(&entry).as_path())
            {
                chart_dirs.push(f.parent().unwrap().to_path_buf());
            }
        }
        for dir in chart_dirs {
            let chart = load_chart(&dir);
            // every template parses on its own
            let mut t = gitops_gotemplate::Templates::new(&engine);
            let mut tf = Vec::new();
            walk(&dir.join("templates"), &mut tf);
            for f in &tf {
                let text = std::fs::read_to_string(f).unwrap();
                match t.parse(&f.to_string_lossy(), &text) {
                    Ok(()) => parsed += 1,
                    Err(e) => failures.push(format!("parse {}: {e}", f.display())),
                }
            }
            match render_chart(&engine, &chart, &release, &ns) {
                Ok(out) => {
                    for (name, text) in &out {
                        if name.ends_with("NOTES.txt") || name.contains("/templates/tests/") {
                            continue;
                        }
                        for doc in text.split("\n---") {
                            let d = doc.trim();
                            if d.is_empty()
                                || d.lines()
                                    .all(|l| l.trim_start().starts_with('#') || l.trim().is_empty())
                            {
                                continue;
                            }
                            docs_total += 1;
                            if expected.contains(d) {
                                docs_found += 1;
                            } else if std::env::var("SMOKE_VERBOSE").is_ok() {
                                println!("not in expected ({name}):\n{d}\n");
                            }
                        }
                    }
                    report.push(format!(
                        "{}: {} ({} templates) rendered",
                        case.file_name().unwrap().to_string_lossy(),
                        chart.name,
                        out.len()
                    ));
                }
                Err(e) => {
                    failures.push(format!("execute {} ({}): {e}", case.display(), chart.name))
                }
            }
        }
    }
    println!("{}", report.join("\n"));
    println!(
        "templates parsed: {parsed}; rendered documents found verbatim in Helm's expected output: {docs_found}/{docs_total}"
    );
    assert!(
        failures.is_empty(),
        "corpus failures:\n{}",
        failures.join("\n")
    );
}
