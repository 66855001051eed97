//! Shared helpers of the Kustomize and Helm tests: the corpus, Flux's generated kustomizations,
//! `kubectl kustomize` as the reference, and a chart server on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

pub mod corpus;
pub mod flux;
pub mod http;
pub mod kubectl;

use std::path::{Path, PathBuf};

use gitops_core::Artifact;
use gitops_render::RenderOptions;
use gitops_render::kustomize::{KustomizeOptions, KustomizeRenderer};
use serde_json::Value;

/// The repository's root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Renders the kustomization at `root/path` and returns the documents as JSON values.
pub fn render(root: &Path, path: &Path) -> Result<Vec<Value>, String> {
    render_with(root, path, KustomizeOptions::default())
}

/// Like [`render`], with options.
pub fn render_with(
    root: &Path,
    path: &Path,
    options: KustomizeOptions,
) -> Result<Vec<Value>, String> {
    let artifact = Artifact {
        path: path.to_path_buf(),
        ..Artifact::local(root, "test")
    };
    let rendered = KustomizeRenderer::new(RenderOptions::default())
        .with_kustomize_options(options)
        .render_blocking(&artifact)
        .map_err(|e| e.to_string())?;
    Ok(rendered
        .objects
        .iter()
        .map(|o| o.manifest().clone())
        .collect())
}

/// Renders and writes in kustomize's YAML style.
pub fn render_yaml(root: &Path, path: &Path) -> Result<String, String> {
    let artifact = Artifact {
        path: path.to_path_buf(),
        ..Artifact::local(root, "test")
    };
    let rendered = KustomizeRenderer::new(RenderOptions::default())
        .render_blocking(&artifact)
        .map_err(|e| e.to_string())?;
    Ok(gitops_render::kustomize::yaml::to_string(&rendered.objects))
}

/// Parses a YAML stream into its documents.
pub fn parse_stream(text: &str) -> Vec<Value> {
    gitops_core::yaml::parse_documents(text)
        .expect("valid YAML")
        .into_iter()
        .map(|d| d.value)
        .collect()
}

/// A short description of the first difference between two document lists.
pub fn first_difference(expected: &[Value], actual: &[Value]) -> Option<String> {
    if expected.len() != actual.len() {
        let ids = |docs: &[Value]| -> Vec<String> {
            docs.iter()
                .map(|d| {
                    format!(
                        "{}/{}",
                        d["kind"].as_str().unwrap_or("?"),
                        d["metadata"]["name"].as_str().unwrap_or("?")
                    )
                })
                .collect()
        };
        return Some(format!(
            "{} documents expected, {} rendered\n  expected: {:?}\n  rendered: {:?}",
            expected.len(),
            actual.len(),
            ids(expected),
            ids(actual)
        ));
    }
    for (i, (e, a)) in expected.iter().zip(actual).enumerate() {
        if e != a {
            return Some(format!(
                "document {} differs:\n{}",
                i + 1,
                diff_values(e, a, "")
            ));
        }
    }
    None
}

fn diff_values(e: &Value, a: &Value, path: &str) -> String {
    match (e, a) {
        (Value::Object(em), Value::Object(am)) => {
            let mut out = String::new();
            for k in em.keys().chain(am.keys().filter(|k| !em.contains_key(*k))) {
                let (ev, av) = (em.get(k), am.get(k));
                if ev != av {
                    let p = format!("{path}/{k}");
                    match (ev, av) {
                        (Some(ev), Some(av)) => out.push_str(&diff_values(ev, av, &p)),
                        _ => out.push_str(&format!("  {p}: expected {ev:?}, rendered {av:?}\n")),
                    }
                }
            }
            out
        }
        _ => format!("  {path}: expected {e}, rendered {a}\n"),
    }
}
