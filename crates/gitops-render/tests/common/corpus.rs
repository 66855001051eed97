//! The shared rendering corpus (`../shared/corpus`): its Kustomize cases, the Kustomize
//! entries of its GitOps repositories, and its Helm cases.

use std::path::{Path, PathBuf};

use gitops_render::helm::RenderSettings;

/// The root and path given to flux_build.py, and the Flux Kustomization (file relative to
/// the root, name).
pub type FluxEntry = (String, String, Option<(String, String)>);

/// One thing to render and its expected output.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `case` or `case#entry`.
    pub id: String,
    /// The case's directory.
    pub case_dir: PathBuf,
    /// `kustomize` or `flux`.
    pub kind: String,
    /// The directory to render, relative to the case directory (starts with `input/`).
    pub path: String,
    /// For Flux entries: what flux_build.py is given.
    pub flux: Option<FluxEntry>,
    /// The expected output, relative to the case directory.
    pub expected: String,
}

/// The corpus directory, if present.
pub fn dir() -> Option<PathBuf> {
    let dir = super::repo_root().join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

fn value(line: &str) -> Option<(String, String)> {
    let (k, v) = line.split_once('=')?;
    let v = v.trim();
    let v = v.split(" #").next().unwrap_or(v).trim();
    Some((k.trim().to_owned(), v.trim_matches('"').to_owned()))
}

fn list(v: &str) -> Vec<String> {
    v.trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Every Kustomize entry of the corpus, in case order.
pub fn entries(corpus: &Path) -> Vec<Entry> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("case.toml").is_file())
        .collect();
    cases.sort();
    let mut out = Vec::new();
    for case in cases {
        let text = std::fs::read_to_string(case.join("case.toml")).unwrap();
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let mut top: Vec<(String, String)> = Vec::new();
        let mut blocks: Vec<Vec<(String, String)>> = Vec::new();
        let mut section = String::new();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("[[") {
                section = line.to_owned();
                if section == "[[entries]]" {
                    blocks.push(Vec::new());
                }
                continue;
            }
            if line.starts_with('[') {
                section = line.to_owned();
                continue;
            }
            let Some(kv) = value(line) else { continue };
            if section.is_empty() {
                top.push(kv);
            } else if section == "[[entries]]"
                && let Some(b) = blocks.last_mut()
            {
                b.push(kv);
            }
        }
        let get = |kvs: &[(String, String)], k: &str| {
            kvs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone())
        };
        let kind = get(&top, "kind").unwrap_or_default();
        if kind == "kustomize" {
            out.push(Entry {
                id: name.clone(),
                case_dir: case.clone(),
                kind,
                path: get(&top, "entry").unwrap_or_default(),
                flux: None,
                expected: get(&top, "expected").unwrap_or_default(),
            });
        } else if kind == "gitops" {
            for b in &blocks {
                let kind = get(b, "kind").unwrap_or_default();
                if kind != "kustomize" && kind != "flux" {
                    continue;
                }
                let flux = if kind == "flux" {
                    let argv = list(&get(b, "argv").unwrap_or_default());
                    let at = |flag: &str| {
                        argv.iter()
                            .position(|a| a == flag)
                            .and_then(|i| argv.get(i + 1).cloned())
                    };
                    let fk = at("--flux-kustomization").zip(at("--name"));
                    Some((
                        get(b, "flux_root").unwrap_or_default(),
                        get(b, "flux_path").unwrap_or_default(),
                        fk,
                    ))
                } else {
                    None
                };
                out.push(Entry {
                    id: format!("{name}#{}", get(b, "id").unwrap_or_default()),
                    case_dir: case.clone(),
                    kind,
                    path: get(b, "path").unwrap_or_default(),
                    flux,
                    expected: get(b, "expected").unwrap_or_default(),
                });
            }
        }
    }
    out
}

/// One Helm case of the corpus.
pub struct HelmCase {
    /// The case's name.
    pub name: String,
    /// The case's directory.
    pub dir: PathBuf,
    /// The chart, relative to the case directory.
    pub entry: String,
    /// Helm's output, relative to the case directory.
    pub expected: String,
    /// The release name, namespace, values and flags of `case.toml`'s `[helm]` table.
    pub settings: RenderSettings,
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

/// Every Helm case of the corpus, in case order.
pub fn helm_cases(corpus: &Path) -> Vec<HelmCase> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(corpus) else {
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
        out.push(HelmCase {
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
