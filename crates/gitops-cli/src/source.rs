//! Building the source the arguments name.

use std::path::{Path, PathBuf};

use gitops_render::RenderOptions;
use gitops_render::helm::{Auth, ChartSource, FetchOptions, HelmError, RenderSettings};
use gitops_source::git::SshOptions;
use gitops_source::{AnySource, GitRef, GitSourceOptions, LocalDir};

use crate::args::{HelmArgs, RefArgs, SourceArgs};
use crate::exit::Failure;

/// The Git reference of the flags.
pub fn reference(args: &RefArgs) -> Result<GitRef, Failure> {
    GitRef::from_parts(
        args.branch.as_deref(),
        args.tag.as_deref(),
        args.semver.as_deref(),
        args.commit.as_deref(),
    )
    .map_err(Failure::bad_input)
}

/// The Git options of the flags, with another reference.
pub fn git_options(args: &SourceArgs, url: &str, reference: GitRef) -> GitSourceOptions {
    let mut options = GitSourceOptions::new(url)
        .reference(reference)
        .path(args.sub_path.clone().unwrap_or_default())
        .timeout(args.git_timeout)
        .ssh(SshOptions {
            key: args.ssh_key.clone(),
            known_hosts: args.known_hosts.clone(),
            command: None,
        });
    options.cache_dir.clone_from(&args.cache_dir);
    options
}

/// The source the arguments name. A chart from a Helm repository or an OCI registry is
/// pulled (through the cache) and unpacked, and served as a local directory.
pub async fn build(args: &SourceArgs) -> Result<AnySource, Failure> {
    if let Some(chart) = remote_chart(args) {
        let fetch = fetch_options(args);
        let pulled = tokio::task::spawn_blocking(move || gitops_render::helm::pull(&chart, &fetch))
            .await
            .map_err(Failure::cluster)?
            .map_err(|e| {
                let bad = !matches!(e, HelmError::Fetch { .. } | HelmError::Io { .. });
                Failure::classify(e, bad)
            })?;
        tracing::info!(chart = %pulled.name, version = %pulled.version, digest = %pulled.digest, "pulled chart");
        return Ok(AnySource::Dir(
            LocalDir::new(&pulled.root).path(&pulled.name),
        ));
    }
    match (&args.git, &args.dir) {
        (Some(url), _) => {
            let options = git_options(args, url, reference(&args.reference)?);
            AnySource::git(options).map_err(|e| Failure::classify(e, true))
        }
        (None, Some(dir)) => {
            let (root, path) = local_root(args, dir)?;
            Ok(AnySource::Dir(LocalDir::new(root).path(path)))
        }
        (None, None) => Err(Failure::bad_input(anyhow::anyhow!(
            "give a PATH, --git URL or --helm-repo URL"
        ))),
    }
}

/// The chart to pull, when the arguments name one in a repository or registry.
fn remote_chart(args: &SourceArgs) -> Option<ChartSource> {
    let helm = &args.helm;
    if let (Some(url), Some(chart)) = (&helm.helm_repo, &helm.chart) {
        return Some(ChartSource::Repository {
            url: url.clone(),
            chart: chart.clone(),
            version: helm.chart_version.clone(),
        });
    }
    let reference = args.dir.as_ref()?.to_str()?;
    reference
        .starts_with("oci://")
        .then(|| ChartSource::parse(reference, helm.chart_version.as_deref()))
}

/// How charts are fetched: the cache beside Git's when --cache-dir is given, credentials
/// from the environment.
fn fetch_options(args: &SourceArgs) -> FetchOptions {
    fetch_options_for(args.cache_dir.as_deref(), args.helm.plain_http)
}

fn fetch_options_for(cache_dir: Option<&Path>, plain_http: bool) -> FetchOptions {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let auth = match (
        env("GITOPS_HELM_TOKEN"),
        env("GITOPS_HELM_USERNAME"),
        env("GITOPS_HELM_PASSWORD"),
    ) {
        (Some(token), _, _) => Some(Auth::Bearer(token)),
        (None, Some(username), Some(password)) => Some(Auth::Basic { username, password }),
        _ => None,
    };
    FetchOptions {
        cache_dir: cache_dir.map(|d| d.join("helm")),
        auth,
        plain_http,
        ..FetchOptions::default()
    }
}

/// `helm template`'s settings from the flags (see [`HelmRecord::from_args`]); with
/// `--helm-lookup`, `lookup` reads `cluster`.
pub fn helm_settings(
    args: &SourceArgs,
    namespace: &str,
    name: Option<&str>,
    cluster: Option<&gitops_apply::KubeCluster>,
) -> RenderSettings {
    let helm: &HelmArgs = &args.helm;
    let mut settings = HelmRecord::from_args(args, namespace, name).settings(cluster);
    settings.values.values.clone_from(&helm.set);
    settings.values.string_values.clone_from(&helm.set_string);
    settings.values.json_values.clone_from(&helm.set_json);
    settings
}

/// The enclosing Git work tree of a directory, if any.
fn work_tree(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The root a local render may read from, and the directory to render relative to it: `--root`,
/// else the Git work tree the directory is in, else the directory.
fn local_root(args: &SourceArgs, dir: &Path) -> Result<(PathBuf, PathBuf), Failure> {
    let resolve = |p: &Path| {
        std::fs::canonicalize(p)
            .map_err(|e| Failure::bad_input(anyhow::anyhow!("{}: {e}", p.display())))
    };
    let full = resolve(dir)?;
    let root = match &args.root {
        Some(root) => resolve(root)?,
        None => work_tree(&full).unwrap_or_else(|| full.clone()),
    };
    let path = full
        .strip_prefix(&root)
        .map(Path::to_path_buf)
        .map_err(|_| {
            Failure::bad_input(anyhow::anyhow!(
                "{} is not inside --root {}",
                dir.display(),
                root.display()
            ))
        })?;
    Ok((root, path))
}

/// How to render: files are named as the user typed the directory.
pub fn render_options(args: &SourceArgs) -> RenderOptions {
    let (None, Some(dir)) = (&args.git, &args.dir) else {
        return RenderOptions::default();
    };
    if remote_chart(args).is_some() {
        return RenderOptions::default();
    }
    // Files are relative to the root; shown from where the user typed the directory.
    let depth = local_root(args, dir).map_or(0, |(_, path)| path.components().count());
    let mut shown = dir.clone();
    for _ in 0..depth {
        if !shown.pop() {
            break;
        }
    }
    RenderOptions::default().display_root(shown)
}

/// A default sync name for a source: the rendered directory's name.
pub fn default_name(args: &SourceArgs) -> String {
    if let Some(chart) = &args.helm.chart {
        return chart.clone();
    }
    let path = match (&args.git, &args.dir) {
        (Some(url), _) => args
            .sub_path
            .clone()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| url.trim_end_matches(".git").into()),
        (None, Some(dir)) => std::path::absolute(dir).unwrap_or_else(|_| dir.clone()),
        (None, None) => "default".into(),
    };
    path.file_name()
        .map(|n| {
            n.to_string_lossy()
                .to_lowercase()
                .replace(['_', '.', ' '], "-")
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".to_owned())
}

/// What a sync records of its Helm settings beside its source in the inventory, so that
/// `status` and `rollback` render the chart as the sync did. Literal `--set`, `--set-string`
/// and `--set-json` values are not recorded (the inventory is a ConfigMap and they may be
/// secrets): only how many there were.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HelmRecord {
    release_name: String,
    namespace: String,
    value_files: Vec<PathBuf>,
    set_files: Vec<String>,
    literal_values: usize,
    skip_tests: bool,
    include_crds: bool,
    kube_version: Option<String>,
    api_versions: Vec<String>,
    lookup: bool,
    plain_http: bool,
    cache_dir: Option<PathBuf>,
}

impl HelmRecord {
    /// What the flags ask for. The release name is --release-name, else `name` (the sync's),
    /// else empty, which renders with the chart's name.
    pub fn from_args(args: &SourceArgs, namespace: &str, name: Option<&str>) -> Self {
        let helm = &args.helm;
        HelmRecord {
            release_name: helm
                .release_name
                .clone()
                .or_else(|| name.map(str::to_owned))
                .unwrap_or_default(),
            namespace: namespace.to_owned(),
            value_files: helm.values.clone(),
            set_files: helm.set_file.clone(),
            literal_values: helm.set.len() + helm.set_string.len() + helm.set_json.len(),
            skip_tests: helm.skip_tests,
            include_crds: helm.include_crds,
            kube_version: helm.kube_version.clone(),
            api_versions: helm.api_versions.clone(),
            lookup: helm.helm_lookup,
            plain_http: helm.plain_http,
            cache_dir: args.cache_dir.clone(),
        }
    }

    /// The source as recorded: its spec's JSON with this record under `helm` (values files
    /// made absolute, for runs from another directory).
    pub fn recorded(&self, spec_json: &str) -> String {
        let record = HelmRecord {
            value_files: self
                .value_files
                .iter()
                .map(|f| std::path::absolute(f).unwrap_or_else(|_| f.clone()))
                .collect(),
            ..self.clone()
        };
        match serde_json::from_str::<serde_json::Value>(spec_json) {
            Ok(serde_json::Value::Object(mut map)) => {
                map.insert(
                    "helm".to_owned(),
                    serde_json::to_value(&record).unwrap_or_default(),
                );
                serde_json::Value::Object(map).to_string()
            }
            _ => spec_json.to_owned(),
        }
    }

    /// The record in a recorded source, if the sync made one.
    pub fn from_recorded(source_json: &str) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_str(source_json).ok()?;
        serde_json::from_value(value.get("helm")?.clone()).ok()
    }

    /// Settings to render again as a recorded sync did: without its literal values, which a
    /// note says.
    pub fn replay(&self, cluster: Option<&gitops_apply::KubeCluster>) -> RenderSettings {
        if self.literal_values > 0 {
            eprintln!(
                "note: the sync's {} --set value(s) are not recorded (they may be secrets); \
rendering without them",
                self.literal_values
            );
        }
        self.settings(cluster)
    }

    /// The settings of this record, without literal values.
    fn settings(&self, cluster: Option<&gitops_apply::KubeCluster>) -> RenderSettings {
        let mut settings = RenderSettings {
            release_name: self.release_name.clone(),
            namespace: self.namespace.clone(),
            skip_tests: self.skip_tests,
            include_crds: self.include_crds,
            kube_version: self.kube_version.clone(),
            api_versions: self.api_versions.clone(),
            fetch: fetch_options_for(self.cache_dir.as_deref(), self.plain_http),
            lookup: cluster
                .filter(|_| self.lookup)
                .and_then(|c| gitops_agent::helm_lookup(c.clone())),
            ..RenderSettings::default()
        };
        settings.values.value_files.clone_from(&self.value_files);
        settings.values.file_values.clone_from(&self.set_files);
        settings
    }
}
