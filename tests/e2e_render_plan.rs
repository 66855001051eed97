//! User story: "I point gitops at a directory of manifests and see what it renders and in which
//! order it would apply it; broken input gets a one-line error and exit status 2."

// Tests may panic on a broken fixture.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::fs;

use support::{gitops, stderr, stdout};

#[test]
fn plan_of_the_bundled_example() {
    let output = gitops().args(["plan", "examples/shop"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    insta::assert_snapshot!("plan_shop_text", stdout(&output));
}

#[test]
fn plan_as_json_has_the_documented_shape() {
    let output = gitops()
        .args(["plan", "examples/shop", "-o", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let stages = plan["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 6);
    assert_eq!(
        stages[0][0],
        serde_json::json!({"group": "", "kind": "Namespace", "namespace": "", "name": "shop"})
    );
    assert_eq!(stages[3][0]["kind"], "Deployment");
    assert_eq!(stages[3][0]["group"], "apps");
    assert_eq!(stages[3][0]["namespace"], "shop");
    insta::assert_json_snapshot!("plan_shop_json", plan);
}

#[test]
fn render_prints_yaml_and_json() {
    let output = gitops().args(["render", "examples/shop"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    insta::assert_snapshot!("render_shop_yaml", stdout(&output));

    let output = gitops()
        .args(["render", "examples/shop", "-o", "json"])
        .output()
        .unwrap();
    let objects: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(objects.len(), 7);
    // The rendered YAML reads back to the same objects.
    let yaml = gitops().args(["render", "examples/shop"]).output().unwrap();
    let docs = gitops_core::yaml::parse_documents(&stdout(&yaml)).unwrap();
    let back: Vec<serde_json::Value> = docs.into_iter().map(|d| d.value).collect();
    assert_eq!(back, objects);
}

/// Runs gitops on a temporary directory holding `files`; returns (status, stderr).
fn run_on(command: &str, files: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    let output = gitops()
        .current_dir(dir.path())
        .args([command, "."])
        .output()
        .unwrap();
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{err}");
    assert!(output.stdout.is_empty(), "nothing on stdout after an error");
    (output.status.code().unwrap(), err)
}

/// A case: what it is, the files of the directory, the expected start of stderr.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";

#[test]
fn bad_input_exits_2_with_one_line() {
    let cases: &[Case<'_>] = &[
        (
            "malformed YAML",
            &[(
                "app.yaml",
                "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\nkind: [\n",
            )],
            "error: ./app.yaml: document 2: line 5 column 7: unclosed bracket '[' at line 5, column 7\n",
        ),
        (
            "missing name",
            &[(
                "app.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
            )],
            "error: ./app.yaml: document 1: missing field metadata.name\n",
        ),
        (
            "dependency cycle",
            &[(
                "app.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, annotations: {gitops.rs/depends-on: /ConfigMap/b}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, annotations: {gitops.rs/depends-on: /ConfigMap/a}}\n",
            )],
            "error: dependency cycle: ConfigMap/a -> ConfigMap/b -> ConfigMap/a\n",
        ),
        (
            "duplicate object",
            &[("a.yaml", NS), ("b/c.yaml", NS)],
            "error: ./b/c.yaml: document 1: duplicate object Namespace/shop (also defined in ./a.yaml: document 1)\n",
        ),
        (
            "unknown dependency",
            &[(
                "app.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, annotations: {gitops.rs/depends-on: /Secret/x}}\n",
            )],
            "error: ./app.yaml: document 1: ConfigMap/a: depends on Secret/x, which is not in the set of objects\n",
        ),
    ];
    for (what, files, expected) in cases {
        // Plan reports every problem; render only those of loading.
        let (code, err) = run_on("plan", files);
        assert_eq!(code, 2, "{what}: {err}");
        assert!(
            err.starts_with(expected),
            "{what}: {err:?} does not start with {expected:?}"
        );
        assert_eq!(err.lines().count(), 1, "{what}: {err}");
    }
}

#[test]
fn missing_directory_and_usage_errors_exit_2() {
    let output = gitops().args(["plan", "no/such/dir"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("error: no/such/dir: "),
        "{}",
        stderr(&output)
    );

    let output = gitops()
        .args(["plan", "examples/shop", "-o", "xml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));

    let output = gitops().args(["frobnicate"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn empty_directory_plans_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = gitops()
        .current_dir(dir.path())
        .args(["plan", "."])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(stdout(&output), "0 objects in 0 stages\n");
}
