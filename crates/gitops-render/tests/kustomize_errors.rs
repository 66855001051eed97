//! Every refusal of the Kustomize renderer, with its message: errors name the kustomization
//! file and the field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use gitops_core::Artifact;
use gitops_render::kustomize::{
    KustomizeError, KustomizeOptions, KustomizeRenderer, LoadRestrictor, RemoteLoader, RemoteTarget,
};
use gitops_render::{RenderError, RenderOptions};

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n";

/// Writes files (path, content) under a new temporary directory.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

fn render_with(
    renderer: &KustomizeRenderer,
    root: &Path,
    path: &str,
) -> Result<gitops_core::Rendered, RenderError> {
    renderer.render_blocking(&Artifact {
        path: PathBuf::from(path),
        ..Artifact::local(root, "test")
    })
}

fn error(files: &[(&str, &str)], path: &str) -> String {
    let dir = tree(files);
    let renderer = KustomizeRenderer::new(RenderOptions::default());
    render_with(&renderer, dir.path(), path)
        .unwrap_err()
        .to_string()
}

#[test]
fn file_outside_the_kustomization_root() {
    let files = [
        ("app/kustomization.yaml", "resources: [../shared/cm.yaml]\n"),
        ("shared/cm.yaml", CM),
    ];
    assert_eq!(
        error(&files, "app"),
        "app/kustomization.yaml: resources[0]: shared/cm.yaml is not in or below app \
         (kustomize's load restrictor; allow it with LoadRestrictor::None)"
    );
    let dir = tree(&files);
    let relaxed = KustomizeRenderer::new(RenderOptions::default())
        .with_kustomize_options(KustomizeOptions::default().load_restrictor(LoadRestrictor::None));
    let rendered = render_with(&relaxed, dir.path(), "app").unwrap();
    assert_eq!(rendered.objects.len(), 1);
}

#[test]
fn path_leaving_the_source() {
    assert_eq!(
        error(
            &[("kustomization.yaml", "resources: [../../etc/passwd]\n")],
            ""
        ),
        "kustomization.yaml: resources[0]: ../../etc/passwd leaves the root of the source"
    );
}

#[test]
fn missing_file() {
    assert_eq!(
        error(
            &[
                ("k/kustomization.yaml", "resources: [cm.yaml, nope.yaml]\n"),
                ("k/cm.yaml", CM)
            ],
            "k"
        ),
        "k/kustomization.yaml: resources[1]: k/nope.yaml: no such file or directory"
    );
    assert_eq!(
        error(
            &[(
                "kustomization.yaml",
                "configMapGenerator:\n- name: c\n  files: [app.conf]\n"
            )],
            ""
        ),
        "kustomization.yaml: configMapGenerator[0]: app.conf: no such file or directory"
    );
}

#[test]
fn unknown_field() {
    assert_eq!(
        error(&[("kustomization.yaml", "resourcez: [cm.yaml]\n")], ""),
        "kustomization.yaml: unknown field \"resourcez\""
    );
    assert_eq!(
        error(
            &[("kustomization.yaml", "images:\n- name: a\n  newTagg: b\n")],
            ""
        ),
        "kustomization.yaml: unknown field \"images.newTagg\""
    );
}

#[test]
fn invalid_field() {
    let e = error(&[("kustomization.yaml", "namePrefix: [a]\n")], "");
    assert!(
        e.starts_with("kustomization.yaml: namePrefix: invalid type"),
        "{e}"
    );
}

#[test]
fn empty_kustomization() {
    // As kustomize: only `apiVersion` and `kind`, or fields at their zero values, is empty.
    for text in [
        "",
        "# nothing\n",
        "kind: Component\n",
        "namespace: \"\"\nbases: []\n",
    ] {
        let e = error(&[("kustomization.yaml", text)], "");
        assert_eq!(
            e, "kustomization.yaml: (document): the kustomization is empty",
            "{text:?}"
        );
    }
}

#[test]
fn patch_target_matches_nothing() {
    let files = [
        (
            "kustomization.yaml",
            "resources: [cm.yaml]\npatches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: other}\n    data: {c: d}\n",
        ),
        ("cm.yaml", CM),
    ];
    assert_eq!(
        error(&files, ""),
        "kustomization.yaml: patches[0]: no resource matches strategic merge patch ConfigMap/other"
    );
    // A target that selects nothing is accepted, as kustomize accepts it, unless asked.
    let targeted = [
        (
            "kustomization.yaml",
            "resources: [cm.yaml]\npatches:\n- target: {kind: Secret}\n  patch: '[{\"op\": \"remove\", \"path\": \"/data\"}]'\n",
        ),
        ("cm.yaml", CM),
    ];
    let dir = tree(&targeted);
    let lenient = KustomizeRenderer::new(RenderOptions::default());
    assert_eq!(
        render_with(&lenient, dir.path(), "").unwrap().objects.len(),
        1
    );
    let strict = KustomizeRenderer::new(RenderOptions::default())
        .with_kustomize_options(KustomizeOptions::default().strict_patch_targets(true));
    assert_eq!(
        render_with(&strict, dir.path(), "")
            .unwrap_err()
            .to_string(),
        "kustomization.yaml: patches[0]: no resource matches target {kind=Secret}"
    );
}

#[test]
fn kustomization_cycle() {
    let files = [
        ("a/kustomization.yaml", "resources: [../b]\n"),
        ("b/kustomization.yaml", "resources: [../a]\n"),
    ];
    assert_eq!(
        error(&files, "a"),
        "b/kustomization.yaml: resources[0]: cycle: a is, or contains, a, which is already being built"
    );
    assert_eq!(
        error(
            &[
                ("app/kustomization.yaml", "resources: [..]\n"),
                ("kustomization.yaml", "resources: [app]\n")
            ],
            "app"
        ),
        "app/kustomization.yaml: resources[0]: cycle: . is, or contains, app, which is already being built"
    );
}

#[test]
fn helm_chart_options_not_implemented_are_named() {
    let e = error(
        &[(
            "kustomization.yaml",
            "helmCharts:\n- name: podinfo\n  repo: https://example.com\n  nameTemplate: x\n",
        )],
        "",
    );
    assert_eq!(
        e,
        "kustomization.yaml: helmCharts[0]: nameTemplate is not supported yet"
    );
}

#[test]
fn remote_resource_without_a_loader() {
    assert_eq!(
        error(
            &[(
                "kustomization.yaml",
                "resources:\n- https://github.com/org/repo//deploy?ref=v1\n"
            )],
            ""
        ),
        "kustomization.yaml: resources[0]: remote resource https://github.com/org/repo//deploy?ref=v1 \
         needs a remote loader, and none is configured"
    );
}

/// Serves one fixed checkout for every URL, and records what it was asked.
struct FakeLoader {
    checkout: PathBuf,
    asked: std::sync::Mutex<Vec<String>>,
}

impl RemoteLoader for FakeLoader {
    fn load(&self, url: &str) -> Result<RemoteTarget, Box<dyn std::error::Error + Send + Sync>> {
        self.asked.lock().unwrap().push(url.to_owned());
        if url.contains("broken") {
            return Err("repository not found".into());
        }
        Ok(RemoteTarget {
            root: self.checkout.clone(),
            path: PathBuf::from("deploy"),
        })
    }
}

#[test]
fn remote_resources_through_an_injected_loader() {
    let checkout = tree(&[
        (
            "deploy/kustomization.yaml",
            "resources: [cm.yaml, ../shared]\nnamePrefix: remote-\n",
        ),
        ("deploy/cm.yaml", CM),
        ("shared/kustomization.yaml", "resources: [sa.yaml]\n"),
        (
            "shared/sa.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n",
        ),
    ]);
    let local = tree(&[(
        "kustomization.yaml",
        "resources:\n- https://github.com/org/repo//deploy?ref=v1\nnamespace: shop\n",
    )]);
    let loader = Arc::new(FakeLoader {
        checkout: checkout.path().to_path_buf(),
        asked: std::sync::Mutex::new(Vec::new()),
    });
    let renderer =
        KustomizeRenderer::new(RenderOptions::default()).with_remote_loader(loader.clone());
    let rendered = render_with(&renderer, local.path(), "").unwrap();
    let names: Vec<String> = rendered
        .objects
        .iter()
        .map(|o| o.reference().to_string())
        .collect();
    assert_eq!(
        names,
        ["ServiceAccount/shop/remote-sa", "ConfigMap/shop/remote-x"]
    );
    assert_eq!(
        *loader.asked.lock().unwrap(),
        ["https://github.com/org/repo//deploy?ref=v1"]
    );
    // Only the artifact's own files are inputs.
    assert_eq!(rendered.inputs, [PathBuf::from("kustomization.yaml")]);

    let broken = tree(&[(
        "kustomization.yaml",
        "resources: [https://github.com/org/broken]\n",
    )]);
    let e = render_with(&renderer, broken.path(), "").unwrap_err();
    assert_eq!(
        e.to_string(),
        "kustomization.yaml: resources[0]: loading https://github.com/org/broken: repository not found"
    );
    assert!(matches!(
        e,
        RenderError::Kustomize(KustomizeError::Remote { .. })
    ));
}

/// Serves a URL as the downloaded file named like its last segment (HTTP resources).
struct Downloads(PathBuf);

impl RemoteLoader for Downloads {
    fn load(&self, url: &str) -> Result<RemoteTarget, Box<dyn std::error::Error + Send + Sync>> {
        let name = url.rsplit('/').next().unwrap_or_default();
        Ok(RemoteTarget {
            root: self.0.clone(),
            path: PathBuf::from(name),
        })
    }
}

#[test]
fn remote_manifest_files_through_an_injected_loader() {
    let downloads = tree(&[("install.yaml", CM)]);
    let url = "https://github.com/org/repo/releases/download/v1/install.yaml";
    let local = tree(&[(
        "kustomization.yaml",
        &format!("resources:\n- {url}\nnamespace: shop\n"),
    )]);
    let renderer = KustomizeRenderer::new(RenderOptions::default())
        .with_remote_loader(Arc::new(Downloads(downloads.path().to_path_buf())));
    let rendered = render_with(&renderer, local.path(), "").unwrap();
    assert_eq!(rendered.objects.len(), 1);
    assert_eq!(
        rendered.objects[0].reference().to_string(),
        "ConfigMap/shop/x"
    );
    let origin = rendered.objects[0].origin().unwrap();
    assert_eq!(origin.file.as_ref(), url);

    // A component must be a directory.
    let local = tree(&[("kustomization.yaml", &format!("components:\n- {url}\n"))]);
    let e = render_with(&renderer, local.path(), "")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!("kustomization.yaml: components[0]: {url}: a component must be a directory")
    );
    // A name the download lacks.
    let local = tree(&[(
        "kustomization.yaml",
        "resources:\n- https://example.com/nothing.yaml\n",
    )]);
    let e = render_with(&renderer, local.path(), "")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("nothing.yaml is missing from its checkout"),
        "{e}"
    );
}

#[test]
fn remote_files_stay_inside_their_checkout() {
    let checkout = tree(&[(
        "deploy/kustomization.yaml",
        "resources: [../../outside.yaml]\n",
    )]);
    let local = tree(&[(
        "kustomization.yaml",
        "resources: [github.com/org/repo/deploy]\n",
    )]);
    let loader = Arc::new(FakeLoader {
        checkout: checkout.path().to_path_buf(),
        asked: std::sync::Mutex::new(Vec::new()),
    });
    let renderer = KustomizeRenderer::new(RenderOptions::default()).with_remote_loader(loader);
    let e = render_with(&renderer, local.path(), "")
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with("resources[0]: ../../outside.yaml leaves the root of the source"),
        "{e}"
    );
}

#[test]
fn components_and_kinds() {
    assert_eq!(
        error(
            &[
                ("kustomization.yaml", "components: [c]\n"),
                ("c/kustomization.yaml", "resources: []\nnamePrefix: x\n")
            ],
            ""
        ),
        "kustomization.yaml: components[0]: c/kustomization.yaml: expected kind Component, found Kustomization"
    );
    assert_eq!(
        error(
            &[(
                "kustomization.yaml",
                "kind: Component\napiVersion: kustomize.config.k8s.io/v1alpha1\nresources: []\n"
            )],
            ""
        ),
        "kustomization.yaml: kind: a Component cannot be built on its own; refer to it from a Kustomization"
    );
    assert_eq!(
        error(
            &[("kustomization.yaml", "kind: Kustomise\nresources: []\n")],
            ""
        ),
        "kustomization.yaml: kind: kind should be Kustomization or Component, not \"Kustomise\""
    );
}

#[test]
fn no_kustomization_and_invalid_manifests() {
    assert_eq!(
        error(&[("x.yaml", CM)], ""),
        ".: no kustomization file (kustomization.yaml, kustomization.yml or Kustomization)"
    );
    assert_eq!(
        error(
            &[
                ("kustomization.yaml", "resources: [bad.yaml]\n"),
                (
                    "bad.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n"
                )
            ],
            ""
        ),
        "kustomization.yaml: resources[0]: bad.yaml: document 1: missing field metadata.name"
    );
}

#[test]
fn external_plugins_are_refused() {
    let e = error(
        &[
            ("kustomization.yaml", "transformers: [t.yaml]\n"),
            (
                "t.yaml",
                "apiVersion: example.com/v1\nkind: MyTransformer\nmetadata: {name: t}\n",
            ),
        ],
        "",
    );
    assert_eq!(
        e,
        "kustomization.yaml: transformers[0]: the external plugin MyTransformer (apiVersion \
         example.com/v1) is not supported yet"
    );
}
