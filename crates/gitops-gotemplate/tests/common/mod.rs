//! Shared helpers of the differential tests: run a case through our engine the way the
//! oracle runs it through Helm, and talk to the oracle script.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use gitops_gotemplate::helm::{self, HelmContext, HelmTemplate, Release};
use gitops_gotemplate::{Engine, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// One differential case (the oracle's input format).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Case {
    pub name: String,
    pub template: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Outcome>,
}

/// Helm's result for a case: the rendered text or the error message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ok: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub err: Option<String>,
}

pub fn engine() -> Engine {
    Engine::new().with_helm_functions(HelmContext::default())
}

/// Renders a case like the oracle chart `c` (release `rel`, namespace `ns`).
pub fn render(engine: &Engine, case: &Case) -> Outcome {
    let meta = serde_json::json!({"apiVersion": "v2", "name": "c", "version": "0.1.0", "appVersion": "1.2.3", "description": "oracle chart"});
    let files = helm::files(
        case.files
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
            .collect(),
    );
    let values = case.values.as_ref().map_or(Value::empty_map(), Value::from);
    let top = helm::top_values(
        values,
        helm::chart(&meta, true),
        &Release {
            name: "rel".into(),
            namespace: "ns".into(),
            ..Default::default()
        },
        helm::capabilities(),
        files,
    );
    let mut tpls = vec![HelmTemplate {
        name: "c/templates/t.yaml".into(),
        text: case.template.as_str().into(),
        values: top.clone(),
        base_path: "c/templates".into(),
    }];
    for (name, text) in &case.extra {
        tpls.push(HelmTemplate {
            name: format!("c/templates/{name}"),
            text: text.as_str().into(),
            values: top.clone(),
            base_path: "c/templates".into(),
        });
    }
    match helm::render(engine, &tpls) {
        Ok(mut out) => Outcome {
            ok: Some(out.remove("c/templates/t.yaml").unwrap_or_default()),
            err: None,
        },
        Err(e) => Outcome {
            ok: None,
            err: Some(helm::format_error("c/templates/t.yaml", &e)),
        },
    }
}

pub fn oracle_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/helm_oracle.py")
}

/// Whether Python with the Helm SDK is available; `Err` carries the reason it is not.
pub fn oracle_available() -> Result<(), String> {
    let out = Command::new("python3")
        .args(["-c", "import helm_python"])
        .output()
        .map_err(|e| format!("python3 not runnable: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err("python package helm-python-sdk is not installed (pip install helm-python-sdk==0.2.2 pyyaml)".into())
    }
}

/// Renders cases with real Helm through the oracle script.
pub fn oracle(cases: &[Case]) -> Vec<Outcome> {
    use std::io::Write;
    let input: Vec<Case> = cases
        .iter()
        .map(|c| Case {
            expect: None,
            ..c.clone()
        })
        .collect();
    let mut child = Command::new("python3")
        .arg(oracle_script())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn oracle");
    let body = serde_json::to_vec(&serde_json::json!({"cases": input})).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let out = child.wait_with_output().expect("oracle output");
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| Outcome {
            ok: r.get("ok").and_then(|x| x.as_str()).map(str::to_string),
            err: r.get("err").and_then(|x| x.as_str()).map(str::to_string),
        })
        .collect()
}

pub fn load_fixture() -> Vec<Case> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/differential.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    serde_json::from_value(v["cases"].clone()).unwrap()
}
