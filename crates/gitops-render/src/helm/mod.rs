//! Helm charts, rendered natively the way `helm template` (Helm v4) renders them.
//!
//! A chart comes from a directory or `.tgz` archive ([`Chart::load`]), a Helm repository
//! or an OCI registry ([`ChartSource`], [`fetch_chart`]). [`Chart::render`] runs Helm's
//! pipeline: values (chart defaults, `-f` files, the `--set` family), dependency conditions,
//! tags, aliases and `import-values`, globals, `values.schema.json`, the template engine
//! ([`gitops_gotemplate`]), `NOTES.txt`, hooks and Helm's install order. The result
//! ([`Release`]) prints exactly what `helm template` prints
//! ([`Release::to_helm_output`]) or yields objects ([`Release::objects`]): hooks stay
//! objects carrying their `helm.sh/hook` annotations, for the planner to run as phases.
//!
//! ```
//! use gitops_render::helm::{ChartSource, RenderSettings, render_chart, template};
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("Chart.yaml"), "apiVersion: v2\nname: web\nversion: 1.0.0\n")?;
//! std::fs::write(dir.path().join("values.yaml"), "replicas: 2\n")?;
//! std::fs::create_dir(dir.path().join("templates"))?;
//! std::fs::write(dir.path().join("templates/cm.yaml"),
//!     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-web\ndata:\n  replicas: {{ .Values.replicas | quote }}\n")?;
//!
//! let mut settings = RenderSettings::default();
//! settings.release_name = "shop".into();
//! settings.values.values.push("replicas=3".into()); // --set replicas=3
//! let source = ChartSource::Path(dir.path().to_path_buf());
//! assert_eq!(template(&source, &settings)?,
//!     "---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-web\ndata:\n  replicas: \"3\"\n");
//! let objects = render_chart(&source, &settings)?;
//! assert_eq!(objects[0].name(), "shop-web");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod archive;
mod chart;
mod deps;
mod error;
mod ignore;
mod render;
mod schema;
mod source;
mod strvals;
mod values;

use std::path::PathBuf;

pub use chart::{Chart, ChartFile, Dependency, Maintainer, Metadata};
pub use error::HelmError;
pub use gitops_gotemplate::helm::LookupFn;
pub use ignore::{BadPattern, IgnoreRules, go_match};
pub use render::{Hook, INSTALL_ORDER, Manifest, Release};
pub use source::{Auth, ChartSource, FetchOptions, PulledChart, fetch_chart, pull};

use gitops_gotemplate::Value;
use gitops_gotemplate::value::Map;

/// Values given for a render, as `helm template`'s flags give them. Helm applies them in
/// a fixed order whatever the order on the command line: `-f` files (then
/// [`ValuesOptions::inline`] documents), `--set-json`, `--set`, `--set-string`,
/// `--set-file`, `--set-literal`.
///
/// ```
/// use gitops_render::helm::ValuesOptions;
/// let v = ValuesOptions {
///     values: vec!["image.tag=1.2,ports[0]=80".into(), "debug=true".into()],
///     string_values: vec!["version=010".into()],
///     json_values: vec![r#"resources={"cpu":"1"}"#.into()],
///     ..Default::default()
/// };
/// assert_eq!(v.to_json()?, serde_json::json!({
///     "image": {"tag": "1.2"}, "ports": [80], "debug": true, "version": "010",
///     "resources": {"cpu": "1"}
/// }));
/// # Ok::<(), gitops_render::helm::HelmError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ValuesOptions {
    /// `-f/--values` files, merged in order.
    pub value_files: Vec<PathBuf>,
    /// Values documents given inline (e.g. kustomize's `valuesInline`), merged after the
    /// files, in order.
    pub inline: Vec<serde_json::Value>,
    /// `--set-json` (`key=json`, or a whole JSON object).
    pub json_values: Vec<String>,
    /// `--set` expressions.
    pub values: Vec<String>,
    /// `--set-string` expressions.
    pub string_values: Vec<String>,
    /// `--set-file` expressions (`key=path`: the value is the file's content).
    pub file_values: Vec<String>,
    /// `--set-literal` expressions (`key=value`, the value taken verbatim).
    pub literal_values: Vec<String>,
}

impl ValuesOptions {
    /// The merged user values (Helm's `MergeValues`).
    pub(crate) fn resolve(&self) -> Result<Map, HelmError> {
        let mut base = values::new_table();
        for path in &self.value_files {
            let data = std::fs::read(path).map_err(|e| HelmError::io(path, e))?;
            let v = load_values_file(&data, &path.display().to_string())?;
            if let Some(m) = values::table(&v) {
                base = values::merge_maps(&base, m);
            }
        }
        for doc in &self.inline {
            match Value::from(doc) {
                Value::Map(m) => base = values::merge_maps(&base, &m),
                Value::Nil => {}
                _ => {
                    return Err(HelmError::Invalid(
                        "inline values must be a map".to_string(),
                    ));
                }
            }
        }
        let set_err =
            |flag: &'static str| move |message: String| HelmError::SetValue { flag, message };
        for value in &self.json_values {
            let trimmed = value.trim();
            if trimmed.starts_with('{') {
                let v: serde_json::Value = serde_json::from_str(trimmed).map_err(|_| {
                    HelmError::Invalid(format!("failed parsing --set-json data JSON: {value}"))
                })?;
                if let Value::Map(m) = Value::from(&v) {
                    base = values::merge_maps(&base, &m);
                }
            } else {
                strvals::parse_json(value, &base).map_err(|_| {
                    HelmError::Invalid(format!("failed parsing --set-json data {value}"))
                })?;
            }
        }
        for value in &self.values {
            strvals::parse_into(value, &base).map_err(set_err("--set"))?;
        }
        for value in &self.string_values {
            strvals::parse_into_string(value, &base).map_err(set_err("--set-string"))?;
        }
        for value in &self.file_values {
            let read = |p: &str| {
                std::fs::read(p)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .map_err(|e| format!("open {p}: {e}"))
            };
            strvals::parse_into_file(value, &base, &read).map_err(set_err("--set-file"))?;
        }
        for value in &self.literal_values {
            strvals::parse_literal_into(value, &base).map_err(set_err("--set-literal"))?;
        }
        Ok(base)
    }

    /// The merged user values as JSON.
    pub fn to_json(&self) -> Result<serde_json::Value, HelmError> {
        Ok(Value::Map(self.resolve()?).to_json())
    }
}

/// Reads a values file as `-f` reads it; `label` names it in errors.
fn load_values_file(data: &[u8], label: &str) -> Result<Value, HelmError> {
    values::load_values(data, label).map_err(|m| HelmError::Yaml {
        file: label.to_owned(),
        message: format!("failed to parse {label}: {m}"),
    })
}

/// A values file read as `-f` reads it, as JSON (for [`ValuesOptions::inline`]).
pub(crate) fn values_file_json(data: &[u8], label: &str) -> Result<serde_json::Value, HelmError> {
    Ok(load_values_file(data, label)?.to_json())
}

/// How to render: `helm template`'s options.
///
/// ```
/// use gitops_render::helm::RenderSettings;
/// // helm template shop CHART -n web --skip-tests --include-crds --set replicas=3
/// let settings = RenderSettings {
///     release_name: "shop".into(),
///     namespace: "web".into(),
///     skip_tests: true,
///     include_crds: true,
///     ..RenderSettings::default()
/// };
/// let mut settings = settings;
/// settings.values.values.push("replicas=3".into());
/// assert_eq!(settings.revision, 1);
/// ```
#[derive(Clone)]
pub struct RenderSettings {
    /// The release name (`helm template NAME`; Helm's default is `release-name`).
    pub release_name: String,
    /// The namespace (`-n`).
    pub namespace: String,
    /// The values.
    pub values: ValuesOptions,
    /// `--kube-version` (default `v1.36.0`, Helm v4.2's).
    pub kube_version: Option<String>,
    /// `--api-versions`, added to Helm's default set.
    pub api_versions: Vec<String>,
    /// `--skip-tests`: leave test hooks out.
    pub skip_tests: bool,
    /// `--include-crds`: print the `crds/` files first.
    pub include_crds: bool,
    /// `--no-hooks`: leave all hooks out.
    pub skip_hooks: bool,
    /// `--skip-schema-validation`.
    pub skip_schema_validation: bool,
    /// `.Release.IsUpgrade` (and not `IsInstall`).
    pub is_upgrade: bool,
    /// `.Release.Revision`.
    pub revision: i64,
    /// A live `lookup` (`None`: `lookup` returns an empty map, as `helm template` does).
    pub lookup: Option<LookupFn>,
    /// How to fetch charts from repositories and registries.
    pub fetch: FetchOptions,
}

impl Default for RenderSettings {
    fn default() -> Self {
        RenderSettings {
            release_name: "release-name".into(),
            namespace: "default".into(),
            values: ValuesOptions::default(),
            kube_version: None,
            api_versions: Vec::new(),
            skip_tests: false,
            include_crds: false,
            skip_hooks: false,
            skip_schema_validation: false,
            is_upgrade: false,
            revision: 1,
            lookup: None,
            fetch: FetchOptions::default(),
        }
    }
}

impl std::fmt::Debug for RenderSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderSettings")
            .field("release_name", &self.release_name)
            .field("namespace", &self.namespace)
            .field("values", &self.values)
            .field("kube_version", &self.kube_version)
            .field("api_versions", &self.api_versions)
            .field("skip_tests", &self.skip_tests)
            .field("include_crds", &self.include_crds)
            .field("skip_hooks", &self.skip_hooks)
            .field("skip_schema_validation", &self.skip_schema_validation)
            .field("is_upgrade", &self.is_upgrade)
            .field("revision", &self.revision)
            .field("lookup", &self.lookup.is_some())
            .field("fetch", &self.fetch)
            .finish()
    }
}

impl Chart {
    /// Renders the chart as `helm template` would.
    ///
    /// ```
    /// use gitops_render::helm::{Chart, RenderSettings};
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("Chart.yaml"), "apiVersion: v2\nname: web\nversion: 1.0.0\n")?;
    /// std::fs::create_dir(dir.path().join("templates"))?;
    /// std::fs::write(dir.path().join("templates/job.yaml"),
    ///     "kind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install\n")?;
    /// let release = Chart::load(dir.path())?.render(&RenderSettings::default())?;
    /// assert!(release.manifests.is_empty());
    /// assert_eq!(release.hooks[0].events, ["pre-install"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn render(&self, settings: &RenderSettings) -> Result<Release, HelmError> {
        render::render(self, settings)
    }

    /// Renders the chart to objects: CRDs when `include_crds`, the manifests in Helm's
    /// install order, then the hooks (carrying their annotations), each with its template
    /// as origin. The same objects as `self.render(settings)?.objects()`, without parsing
    /// the documents twice.
    ///
    /// ```
    /// use gitops_render::helm::{Chart, RenderSettings};
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("Chart.yaml"), "apiVersion: v2\nname: web\nversion: 1.0.0\n")?;
    /// std::fs::create_dir(dir.path().join("templates"))?;
    /// std::fs::write(dir.path().join("templates/cm.yaml"),
    ///     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n")?;
    /// let objects = Chart::load(dir.path())?.render_objects(&RenderSettings::default())?;
    /// assert_eq!(objects[0].name(), "release-name");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn render_objects(
        &self,
        settings: &RenderSettings,
    ) -> Result<Vec<gitops_core::Object>, HelmError> {
        render::render_objects(self, settings)
    }
}

/// A `lookup` for [`RenderSettings::lookup`] from a function answering in JSON (what Helm's
/// `lookup apiVersion kind namespace name` returns: the object, a list, or `{}`). The
/// function runs on the rendering thread; an `Err` fails the render with its message.
///
/// ```
/// use gitops_render::helm::{RenderSettings, lookup_from_json};
/// let settings = RenderSettings {
///     lookup: Some(lookup_from_json(|api_version, kind, namespace, name| {
///         Ok(serde_json::json!({"apiVersion": api_version, "kind": kind,
///             "metadata": {"namespace": namespace, "name": name}}))
///     })),
///     ..RenderSettings::default()
/// };
/// assert!(settings.lookup.is_some());
/// ```
pub fn lookup_from_json(
    f: impl Fn(&str, &str, &str, &str) -> Result<serde_json::Value, String> + Send + Sync + 'static,
) -> LookupFn {
    std::sync::Arc::new(move |api_version, kind, namespace, name| {
        f(api_version, kind, namespace, name).map(|v| gitops_gotemplate::Value::from(&v))
    })
}

/// Fetches (or loads) a chart and renders it to objects: CRDs when `include_crds`, the
/// manifests in Helm's install order, then the hooks with their annotations.
///
/// Fetching blocks (see [`fetch_chart`]). Example in the [module documentation](self).
pub fn render_chart(
    source: &ChartSource,
    settings: &RenderSettings,
) -> Result<Vec<gitops_core::Object>, HelmError> {
    fetch_chart(source, &settings.fetch)?.render_objects(settings)
}

/// Fetches (or loads) a chart and renders it to the bytes `helm template` prints.
///
/// Fetching blocks (see [`fetch_chart`]). Example in the [module documentation](self).
pub fn template(source: &ChartSource, settings: &RenderSettings) -> Result<String, HelmError> {
    Ok(fetch_chart(source, &settings.fetch)?
        .render(settings)?
        .to_helm_output())
}
