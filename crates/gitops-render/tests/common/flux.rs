//! What Flux's kustomize-controller does before it builds a path: generate a kustomization
//! for a directory without one, and merge a Flux `Kustomization`'s overrides into it (the
//! corpus' `flux_build.py` oracle, reproduced here on a temporary copy).

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

const KFILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

fn find_kfile(dir: &Path) -> Option<PathBuf> {
    KFILES.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// Copies a tree (files and directories).
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// fluxcd/pkg `scanManifests`: `./rel` paths of manifests and kustomization directories.
fn scan(base: &Path) -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        for name in names {
            let p = dir.join(&name);
            if p.is_dir() {
                if find_kfile(&p).is_some() {
                    out.push(rel(&p, base));
                    continue;
                }
                walk(&p, base, out);
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
                out.push(rel(&p, base));
            }
        }
    }
    fn rel(p: &Path, base: &Path) -> String {
        format!("./{}", p.strip_prefix(base).unwrap().display())
    }
    let mut out = Vec::new();
    walk(base, base, &mut out);
    out
}

fn flux_object(root: &Path, file: &str, name: &str) -> Value {
    let text = fs::read_to_string(root.join(file)).unwrap();
    for doc in gitops_core::yaml::parse_documents(&text).unwrap() {
        let v = doc.value;
        if v["kind"] == "Kustomization"
            && v["apiVersion"]
                .as_str()
                .is_some_and(|a| a.starts_with("kustomize.toolkit.fluxcd.io/"))
            && v["metadata"]["name"] == name
        {
            return v;
        }
    }
    panic!("no Flux Kustomization {name} in {file}");
}

/// Prepares `root_src` in a temporary directory as Flux would for `path`, returning the
/// temporary directory (kept alive by the caller) and the root inside it.
pub fn prepare(
    root_src: &Path,
    path: &str,
    kustomization: Option<&(String, String)>,
) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    copy_tree(root_src, &root);
    let target = root.join(path);
    let (kfile, mut k, mut changed) = match find_kfile(&target) {
        Some(f) => {
            let text = fs::read_to_string(&f).unwrap();
            let v = gitops_core::yaml::parse_value(&text).unwrap();
            (f, if v.is_null() { json!({}) } else { v }, false)
        }
        None => {
            let mut k = json!({
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
            });
            let resources = scan(&target);
            if resources.is_empty() {
                k["namespace"] = json!("_placeholder");
            } else {
                k["resources"] = json!(resources);
            }
            (target.join("kustomization.yaml"), k, true)
        }
    };
    if let Some((file, name)) = kustomization {
        let spec = flux_object(root_src, file, name)["spec"].clone();
        let obj = k.as_object_mut().unwrap();
        if let Some(ns) = spec.get("targetNamespace") {
            obj.insert("namespace".into(), ns.clone());
        }
        for f in ["namePrefix", "nameSuffix"] {
            if let Some(v) = spec.get(f) {
                obj.insert(f.into(), v.clone());
            }
        }
        for p in spec["patches"].as_array().into_iter().flatten() {
            let mut entry = Map::new();
            entry.insert("patch".into(), p["patch"].clone());
            if !p["target"].is_null() {
                entry.insert("target".into(), p["target"].clone());
            }
            let list = obj.entry("patches").or_insert_with(|| json!([]));
            list.as_array_mut().unwrap().push(Value::Object(entry));
        }
        for c in spec["components"].as_array().into_iter().flatten() {
            let list = obj.entry("components").or_insert_with(|| json!([]));
            list.as_array_mut().unwrap().push(c.clone());
        }
        for img in spec["images"].as_array().into_iter().flatten() {
            let list = obj.entry("images").or_insert_with(|| json!([]));
            let list = list.as_array_mut().unwrap();
            match list.iter_mut().find(|i| i["name"] == img["name"]) {
                None => list.push(img.clone()),
                Some(cur) => {
                    if !img["newName"].is_null() {
                        cur["newName"] = img["newName"].clone();
                    }
                    if !img["newTag"].is_null() || !img["digest"].is_null() {
                        let m = cur.as_object_mut().unwrap();
                        m.remove("newTag");
                        m.remove("digest");
                        for f in ["newTag", "digest"] {
                            if !img[f].is_null() {
                                m.insert(f.into(), img[f].clone());
                            }
                        }
                    }
                }
            }
        }
        changed = true;
    }
    if changed {
        fs::write(&kfile, gitops_core::yaml::to_string(&k).unwrap()).unwrap();
    }
    (tmp, root)
}
