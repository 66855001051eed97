//! Chart features rendered natively and compared with Helm v4: subcharts as directories
//! and archives, conditions, tags, aliases, import-values, globals, library charts,
//! `.helmignore`, NOTES, hooks, schemas, the `--set` family and `-f` files.
//!
//! Helm's outputs are snapshotted in `tests/helm/expected.json` (regenerate with
//! `HELM_REGEN=1`, which runs `tests/helm/oracle.py` on the real Helm SDK); a second test
//! re-checks the snapshot against live Helm when the SDK is installed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gitops_render::helm::{Chart, ChartSource, HelmError, RenderSettings, template};
use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helm")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

/// A `.tgz` of `dir` with entries under `prefix/`.
fn tgz(dir: &Path, prefix: &str) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let gz = flate2::write::GzEncoder::new(&mut out, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        tar.append_dir_all(prefix, dir).unwrap();
        tar.into_inner().unwrap().finish().unwrap();
    }
    out
}

/// The `app` chart with its subcharts vendored: `db` and `lib` as directories, `cache` as
/// an archive, and a stray `_notes` file Helm skips.
fn build_app(root: &Path) -> PathBuf {
    let charts = fixtures().join("charts");
    let app = root.join("app");
    copy_dir(&charts.join("app"), &app);
    copy_dir(&charts.join("sub-db"), &app.join("charts/db"));
    copy_dir(&charts.join("lib"), &app.join("charts/lib"));
    std::fs::write(
        app.join("charts/cache-1.4.0.tgz"),
        tgz(&charts.join("sub-cache"), "cache"),
    )
    .unwrap();
    std::fs::write(app.join("charts/_notes.txt"), "skipped by Helm").unwrap();
    app
}

struct Case {
    name: &'static str,
    release: &'static str,
    namespace: &'static str,
    values_files: Vec<(&'static str, &'static str)>,
    set: Vec<&'static str>,
    set_string: Vec<&'static str>,
    set_json: Vec<&'static str>,
    skip_tests: bool,
}

fn case(name: &'static str) -> Case {
    Case {
        name,
        release: "rel",
        namespace: "ns",
        values_files: vec![],
        set: vec![],
        set_string: vec![],
        set_json: vec![],
        skip_tests: false,
    }
}

fn cases() -> Vec<Case> {
    vec![
        case("defaults"),
        Case {
            skip_tests: true,
            release: "prod-web",
            namespace: "web",
            ..case("skip-tests")
        },
        Case {
            values_files: vec![
                (
                    "one.yaml",
                    "replicaCount: 3\nimage:\n  tag: v1\nports: [8080]\nlabels:\n  removeMe: null\n",
                ),
                (
                    "two.yaml",
                    "image:\n  pullPolicy: Always\nglobal:\n  region: us-east-1\n",
                ),
            ],
            ..case("values-files")
        },
        Case {
            set: vec![
                "replicaCount=5,image.repository=my\\.registry/app",
                "labels.removeMe=null,labels.extra=a\\,b",
                "ports[0]=1,ports[1]=2",
            ],
            set_string: vec!["image.tag=010"],
            set_json: vec![r#"dbInfo={"fromJson":[1,2]}"#],
            ..case("set-family")
        },
        Case {
            set: vec![
                "db.enabled=false",
                "tags.backend=false",
                "replica.enabled=true",
            ],
            ..case("conditions-and-tags")
        },
        Case {
            set: vec!["db.size=big"],
            ..case("schema-error")
        },
        Case {
            set: vec!["global.labels.owner=team-x,global.extra=1"],
            ..case("globals")
        },
    ]
}

fn settings_for(c: &Case, dir: &Path) -> RenderSettings {
    let mut s = RenderSettings {
        release_name: c.release.into(),
        namespace: c.namespace.into(),
        skip_tests: c.skip_tests,
        ..RenderSettings::default()
    };
    for (name, text) in &c.values_files {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        s.values.value_files.push(p);
    }
    s.values.values = c.set.iter().map(|x| x.to_string()).collect();
    s.values.string_values = c.set_string.iter().map(|x| x.to_string()).collect();
    s.values.json_values = c.set_json.iter().map(|x| x.to_string()).collect();
    s
}

fn ours(app: &Path, c: &Case, dir: &Path) -> Value {
    match template(&ChartSource::Path(app.to_path_buf()), &settings_for(c, dir)) {
        Ok(s) => json!({"ok": s}),
        Err(e) => json!({"err": e.to_string()}),
    }
}

fn oracle_available() -> Result<(), String> {
    let out = Command::new("python3")
        .args(["-c", "import helm_python, yaml"])
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err("python package helm-python-sdk (and pyyaml) is not installed".into())
    }
}

fn oracle(app: &Path, dir: &Path) -> Value {
    let cases: Vec<Value> = cases()
        .iter()
        .map(|c| {
            let files: Vec<String> = c
                .values_files
                .iter()
                .map(|(n, t)| {
                    let p = dir.join(n);
                    std::fs::write(&p, t).unwrap();
                    p.display().to_string()
                })
                .collect();
            json!({
                "name": c.name, "chart": app.display().to_string(), "release": c.release,
                "namespace": c.namespace, "values_files": files, "set": c.set,
                "set_string": c.set_string, "set_json": c.set_json, "skip_tests": c.skip_tests,
            })
        })
        .collect();
    let mut child = Command::new("python3")
        .arg(fixtures().join("oracle.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(child.stdin.take().unwrap(), &json!({"cases": cases})).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "oracle failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Helm's error text without the SDK's wrapping (`helm_install: ...`).
fn normalize(r: &Value) -> Value {
    match r.get("err").and_then(|e| e.as_str()) {
        Some(e) => {
            let e = e
                .split_once(": values don't")
                .map_or(e.to_string(), |(_, rest)| format!("values don't{rest}"));
            json!({"err": e.trim_end()})
        }
        None => json!({"ok": r["ok"]}),
    }
}

fn snapshot_path() -> PathBuf {
    fixtures().join("expected.json")
}

#[test]
fn chart_features_render_like_helm() {
    let tmp = tempfile::tempdir().unwrap();
    let app = build_app(tmp.path());
    if std::env::var_os("HELM_REGEN").is_some() {
        oracle_available().unwrap();
        let live = oracle(&app, tmp.path());
        let results: Vec<Value> = live["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let mut n = normalize(r);
                n["name"] = r["name"].clone();
                n
            })
            .collect();
        let snap = json!({"helm": live["helm"], "results": results});
        std::fs::write(
            snapshot_path(),
            serde_json::to_string_pretty(&snap).unwrap() + "\n",
        )
        .unwrap();
    }
    let snap: Value =
        serde_json::from_str(&std::fs::read_to_string(snapshot_path()).unwrap()).unwrap();
    let mut failures = Vec::new();
    for (c, want) in cases().iter().zip(snap["results"].as_array().unwrap()) {
        assert_eq!(
            want["name"], c.name,
            "snapshot out of date: regenerate with HELM_REGEN=1"
        );
        let got = ours(&app, c, tmp.path());
        let want = json!({"ok": want.get("ok"), "err": want.get("err")});
        let got = json!({"ok": got.get("ok"), "err": got.get("err").map(|e| e.as_str().unwrap().trim_end())});
        if got != want {
            if std::env::var_os("HELM_DIFF").is_some() {
                let dir = std::env::temp_dir();
                for (tag, v) in [("want", &want), ("got", &got)] {
                    let text = v["ok"].as_str().or(v["err"].as_str()).unwrap_or_default();
                    std::fs::write(dir.join(format!("{}.{tag}", c.name)), text).unwrap();
                }
            }
            failures.push(format!(
                "--- {}\nwant: {}\ngot:  {}",
                c.name,
                serde_json::to_string_pretty(&want).unwrap(),
                serde_json::to_string_pretty(&got).unwrap()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn snapshot_is_current_with_live_helm() {
    if let Err(reason) = oracle_available() {
        println!("skipping live Helm check: {reason}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let app = build_app(tmp.path());
    let live = oracle(&app, tmp.path());
    let snap: Value =
        serde_json::from_str(&std::fs::read_to_string(snapshot_path()).unwrap()).unwrap();
    for (l, s) in live["results"]
        .as_array()
        .unwrap()
        .iter()
        .zip(snap["results"].as_array().unwrap())
    {
        let mut n = normalize(l);
        n["name"] = l["name"].clone();
        assert_eq!(&n, s, "snapshot differs from live Helm for {}", l["name"]);
    }
}

#[test]
fn include_crds_prints_crds_first_and_objects_keep_hooks() {
    let tmp = tempfile::tempdir().unwrap();
    let app = build_app(tmp.path());
    let chart = Chart::load(&app).unwrap();
    let settings = RenderSettings {
        include_crds: true,
        release_name: "rel".into(),
        ..RenderSettings::default()
    };
    let release = chart.render(&settings).unwrap();
    let crds: Vec<&str> = release.crds.iter().map(|m| m.source.as_str()).collect();
    assert_eq!(
        crds,
        ["app/crds/widgets.yaml", "app/charts/db/crds/tables.yaml"]
    );
    let out = release.to_helm_output();
    assert!(out.starts_with(
        "---\n# Source: app/crds/widgets.yaml\napiVersion: apiextensions.k8s.io/v1\n"
    ));
    let objects = release.objects().unwrap();
    assert_eq!(objects[0].kind(), "CustomResourceDefinition");
    let hooks: Vec<&str> = objects
        .iter()
        .filter(|o| o.is_hook())
        .map(|o| o.name())
        .collect();
    assert_eq!(hooks, ["rel-hook-sa", "rel-test", "rel-migrate"]);
    // render_objects reuses the documents parsed for sorting: the same objects
    let direct = chart.render_objects(&settings).unwrap();
    let view =
        |v: &[gitops_core::Object]| -> Vec<(serde_json::Value, Option<gitops_core::Origin>)> {
            v.iter()
                .map(|o| (o.manifest().clone(), o.origin().cloned()))
                .collect()
        };
    assert_eq!(view(&direct), view(&objects));
    assert_eq!(release.notes, "Thank you for installing app as rel.\n");
    // without include_crds, no CRDs
    let plain = chart.render(&RenderSettings::default()).unwrap();
    assert!(plain.crds.is_empty());
}

#[test]
fn kube_version_constraint_and_release_name_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let app = build_app(tmp.path());
    let chart = Chart::load(&app).unwrap();
    let old = RenderSettings {
        kube_version: Some("1.19.4".into()),
        ..RenderSettings::default()
    };
    let err = chart.render(&old).unwrap_err();
    assert_eq!(
        err.to_string(),
        "chart requires kubeVersion: >=1.20.0-0 which is incompatible with Kubernetes v1.19.4"
    );
    let custom = RenderSettings {
        kube_version: Some("v1.31.2-gke.100".into()),
        api_versions: vec!["monitoring.coreos.com/v1".into()],
        ..RenderSettings::default()
    };
    let out = chart.render(&custom).unwrap().to_helm_output();
    assert!(out.contains("kube: v1.31.2-gke.100 1.31"), "{out}");
    let bad = RenderSettings {
        release_name: "Bad_Name".into(),
        ..RenderSettings::default()
    };
    assert!(
        matches!(chart.render(&bad), Err(HelmError::Invalid(m)) if m.contains("invalid release name"))
    );
}

#[test]
fn lookup_can_be_injected() {
    let tmp = tempfile::tempdir().unwrap();
    let app = build_app(tmp.path());
    let lookup: gitops_render::helm::LookupFn = std::sync::Arc::new(|api, kind, ns, name| {
        Ok(gitops_gotemplate::Value::from(
            json!({"apiVersion": api, "kind": kind, "metadata": {"namespace": ns, "name": name}}),
        ))
    });
    let settings = RenderSettings {
        lookup: Some(lookup),
        ..RenderSettings::default()
    };
    let out = template(&ChartSource::Path(app), &settings).unwrap();
    assert!(out.contains(r#"lookup: "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"x\",\"namespace\":\"default\"}}""#), "{out}");
}

#[test]
fn archives_render_like_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let app = build_app(tmp.path());
    let settings = RenderSettings::default();
    let from_dir = template(&ChartSource::Path(app.clone()), &settings).unwrap();
    // `helm package` leaves out what .helmignore ignores; archives have no .helmignore rules
    std::fs::remove_file(app.join("templates/skip-me.yaml")).unwrap();
    std::fs::remove_file(app.join("templates/old.yaml.bak")).unwrap();
    std::fs::remove_dir_all(app.join("ignored")).unwrap();
    let archive = tmp.path().join("app-1.2.3.tgz");
    std::fs::write(&archive, tgz(&app, "app")).unwrap();
    let from_tgz = template(&ChartSource::Path(archive), &settings).unwrap();
    assert_eq!(from_dir, from_tgz);
}

/// Loading a chart directory: symbolic links inside the chart are followed, links out of it
/// and files that are not regular (a FIFO would block a reader) are refused, by name.
#[test]
fn chart_directories_follow_inner_links_and_refuse_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("linked");
    std::fs::create_dir_all(chart.join("shared")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: linked\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("shared/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
    )
    .unwrap();
    // `templates` is a link to a directory inside the chart.
    std::os::unix::fs::symlink(chart.join("shared"), chart.join("templates")).unwrap();
    let rendered = Chart::load(&chart)
        .unwrap()
        .render(&RenderSettings {
            release_name: "r1".into(),
            ..RenderSettings::default()
        })
        .unwrap()
        .to_helm_output();
    assert!(
        rendered.contains("# Source: linked/templates/cm.yaml"),
        "{rendered}"
    );
    assert!(rendered.contains("name: r1"), "{rendered}");

    let outside = dir.path().join("secret.txt");
    std::fs::write(&outside, "x").unwrap();
    std::os::unix::fs::symlink(&outside, chart.join("leak.txt")).unwrap();
    let err = Chart::load(&chart).unwrap_err().to_string();
    assert!(
        err.contains("leak.txt: symbolic link points outside the chart"),
        "{err}"
    );
    std::fs::remove_file(chart.join("leak.txt")).unwrap();

    let fifo = chart.join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let err = Chart::load(&chart).unwrap_err().to_string();
        assert!(err.contains("cannot load irregular file"), "{err}");
        assert!(err.contains("pipe"), "{err}");
    } else {
        println!("skipping the FIFO case: mkfifo is not available");
    }
}
