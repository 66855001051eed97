//! Conformance with Helm v4: every Helm case of the shared corpus, rendered natively and
//! compared with `expected.yaml` (Helm's `helm template` output) as ordered documents,
//! and byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::corpus;
use gitops_render::helm::{ChartSource, render_chart, template};

#[test]
fn corpus_helm_cases_render_like_helm() {
    let Some(dir) = corpus::dir() else {
        println!("skipping: the shared corpus (../shared/corpus) is not present");
        return;
    };
    let cases = corpus::helm_cases(&dir);
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
