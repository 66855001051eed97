//! Rendering a chart like `helm template`: values, dependencies, schema, the template
//! engine, NOTES, hooks and Helm's install order.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use gitops_gotemplate::helm::{self as gh, HelmContext, HelmTemplate};
use gitops_gotemplate::value::{Map, MapKind};
use gitops_gotemplate::{Engine, Value};

use super::chart::Chart;
use super::deps::{RenderChart, is_compatible_range};
use super::values::{self, table};
use super::{HelmError, RenderSettings, schema};

/// A rendered document of a chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The template (or CRD file) it came from: `chart/templates/cm.yaml`.
    pub source: String,
    /// The YAML text, as Helm prints it.
    pub content: String,
    /// Its `kind`.
    pub kind: String,
}

/// A rendered hook: a document with a `helm.sh/hook` annotation of known events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// The template it came from.
    pub source: String,
    /// The YAML text.
    pub content: String,
    /// Its `kind`.
    pub kind: String,
    /// Its `metadata.name`.
    pub name: String,
    /// The events (`pre-install`, `post-upgrade`, `test`, …; `test-success` reads as `test`).
    pub events: Vec<String>,
    /// `helm.sh/hook-weight` (0 when absent or not a number).
    pub weight: i64,
}

impl Hook {
    /// Whether this is a test hook (`helm template --skip-tests` leaves those out).
    pub fn is_test(&self) -> bool {
        self.events.iter().any(|e| e == "test")
    }
}

/// What `helm template` produces for a chart: CRDs (with `include_crds`), manifests in
/// install order, hooks, and the chart's `NOTES.txt`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Release {
    /// The release name.
    pub name: String,
    /// The namespace.
    pub namespace: String,
    /// Files of `crds/` directories (printed first), when `include_crds` asks for them.
    pub crds: Vec<Manifest>,
    /// The manifests, sorted by kind in Helm's install order.
    pub manifests: Vec<Manifest>,
    /// The hooks, sorted by kind (test hooks already left out with `skip_tests`).
    pub hooks: Vec<Hook>,
    /// The rendered `NOTES.txt` of the top chart.
    pub notes: String,
}

impl Release {
    /// The bytes `helm template` prints.
    ///
    /// ```
    /// use gitops_render::helm::{Manifest, Release};
    /// let r = Release {
    ///     manifests: vec![Manifest { source: "c/templates/a.yaml".into(), content: "kind: A".into(), kind: "A".into() }],
    ///     ..Default::default()
    /// };
    /// assert_eq!(r.to_helm_output(), "---\n# Source: c/templates/a.yaml\nkind: A\n");
    /// ```
    pub fn to_helm_output(&self) -> String {
        let mut manifest = String::new();
        for m in self.crds.iter().chain(&self.manifests) {
            manifest.push_str("---\n# Source: ");
            manifest.push_str(&m.source);
            manifest.push('\n');
            manifest.push_str(&m.content);
            manifest.push('\n');
        }
        let mut out = String::with_capacity(manifest.len() + 64);
        out.push_str(manifest.trim_matches(go_space));
        out.push('\n');
        for h in &self.hooks {
            out.push_str("---\n# Source: ");
            out.push_str(&h.source);
            out.push('\n');
            out.push_str(&h.content);
            out.push('\n');
        }
        out
    }

    /// The rendered objects: CRDs, manifests, then hooks (carrying their annotations), each
    /// with its template as origin.
    ///
    /// ```
    /// use gitops_render::helm::{Manifest, Release};
    /// let r = Release {
    ///     manifests: vec![Manifest {
    ///         source: "c/templates/cm.yaml".into(),
    ///         content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a".into(),
    ///         kind: "ConfigMap".into(),
    ///     }],
    ///     ..Default::default()
    /// };
    /// let objects = r.objects()?;
    /// assert_eq!(objects[0].kind(), "ConfigMap");
    /// assert_eq!(&*objects[0].origin().unwrap().file, "c/templates/cm.yaml");
    /// # Ok::<(), gitops_render::helm::HelmError>(())
    /// ```
    pub fn objects(&self) -> Result<Vec<gitops_core::Object>, HelmError> {
        let mut out = Vec::new();
        let docs = self
            .crds
            .iter()
            .chain(&self.manifests)
            .map(|m| (&m.source, &m.content))
            .chain(self.hooks.iter().map(|h| (&h.source, &h.content)));
        for (source, content) in docs {
            let objects = load_objects(content, source)?;
            out.extend(objects);
        }
        Ok(out)
    }
}

/// Go's `unicode.IsSpace`.
pub(crate) fn go_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{85}' | '\u{A0}'
    ) || (c > '\u{FF}' && c.is_whitespace())
}

/// Helm's kind install order (`releaseutil.InstallOrder`).
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// The sort key of Helm's `lessByKind`: known kinds in install order, then unknown kinds
/// alphabetically (a stable sort keeps file order within a kind).
fn kind_key(kind: &str) -> (usize, &str) {
    match INSTALL_ORDER.iter().position(|k| *k == kind) {
        Some(i) => (i, ""),
        None => (INSTALL_ORDER.len(), kind),
    }
}

static SPLIT: LazyLock<regex::Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    regex::Regex::new(r"(?:^|\s*\n)---\s*").expect("a valid pattern")
});

/// Helm's `SplitManifests`: the non-blank documents of a rendered file, left-trimmed.
pub(crate) fn split_manifests(content: &str) -> Vec<&str> {
    let trimmed = content.trim_start_matches(go_space);
    SPLIT
        .split(trimmed)
        .filter(|d| !d.trim_matches(go_space).is_empty())
        .map(|d| d.trim_start_matches(go_space))
        .collect()
}

/// The head of a manifest, as Helm's `SimpleHead` reads it, and the parsed document
/// (kept so that objects are built without parsing again).
struct Head {
    kind: String,
    name: String,
    annotations: BTreeMap<String, String>,
    doc: Option<gitops_core::yaml::Document>,
}

fn read_head(doc: &str, path: &str) -> Result<Head, HelmError> {
    let err = |m: String| HelmError::Manifest {
        file: path.to_string(),
        message: m,
    };
    let mut docs = gitops_core::yaml::parse_documents(doc).map_err(|e| err(e.message))?;
    if docs.len() > 1 {
        return Err(err("expected a single document".into()));
    }
    let parsed = docs.pop();
    let null = serde_json::Value::Null;
    let v = parsed.as_ref().map_or(&null, |d| &d.value);
    let str_field = |v: Option<&serde_json::Value>, field: &str| -> Result<String, HelmError> {
        match v {
            None | Some(serde_json::Value::Null) => Ok(String::new()),
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(err(format!(
                "error unmarshaling JSON: json: cannot unmarshal {} into Go struct field SimpleHead.{field} of type string",
                json_kind(other)
            ))),
        }
    };
    if !(v.is_object() || v.is_null()) {
        return Err(err(format!(
            "error unmarshaling JSON: json: cannot unmarshal {} into Go value of type util.SimpleHead",
            json_kind(v)
        )));
    }
    let kind = str_field(v.get("kind"), "kind")?;
    str_field(v.get("apiVersion"), "apiVersion")?;
    let meta = v.get("metadata");
    let name = str_field(meta.and_then(|m| m.get("name")), "metadata.name")?;
    let mut annotations = BTreeMap::new();
    if let Some(serde_json::Value::Object(a)) = meta.and_then(|m| m.get("annotations")) {
        for (k, x) in a {
            let s = str_field(Some(x), "metadata.annotations")?;
            annotations.insert(k.clone(), s);
        }
    }
    Ok(Head {
        kind,
        name,
        annotations,
        doc: parsed,
    })
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::Bool(_) => "bool",
        _ => "string",
    }
}

/// A parsed document (`None` when it holds nothing but comments or `null`).
pub(crate) type Parsed = Option<gitops_core::yaml::Document>;

/// Sorted hooks and manifests, each with its parsed document.
pub(crate) type Sorted = (Vec<(Hook, Parsed)>, Vec<(Manifest, Parsed)>);

/// Helm's `SortManifests`: files in path order, documents in file order, hooks split off,
/// both sorted by kind. Each comes with its parsed document.
pub(crate) fn sort_manifests(files: &BTreeMap<String, String>) -> Result<Sorted, HelmError> {
    let mut hooks = Vec::new();
    let mut generic = Vec::new();
    for (path, content) in files {
        let base = path.rsplit('/').next().unwrap_or(path);
        if base.starts_with('_') || content.trim_matches(go_space).is_empty() {
            continue;
        }
        for doc in split_manifests(content) {
            let head = read_head(doc, path)?;
            let Some(hook) = head.annotations.get(gitops_core::consts::HELM_HOOK) else {
                generic.push((
                    Manifest {
                        source: path.clone(),
                        content: doc.to_string(),
                        kind: head.kind,
                    },
                    head.doc,
                ));
                continue;
            };
            let mut events = Vec::new();
            let mut unknown = false;
            for e in hook.split(',') {
                let e = e.trim().to_lowercase();
                let e = if e == "test-success" {
                    "test".to_string()
                } else {
                    e
                };
                if !gitops_core::consts::HELM_HOOK_EVENTS.contains(&e.as_str()) {
                    unknown = true;
                    break;
                }
                events.push(e);
            }
            if unknown {
                continue;
            }
            let weight = head
                .annotations
                .get(gitops_core::consts::HELM_HOOK_WEIGHT)
                .and_then(|w| go_atoi(w))
                .unwrap_or(0);
            hooks.push((
                Hook {
                    source: path.clone(),
                    content: doc.to_string(),
                    kind: head.kind,
                    name: head.name,
                    events,
                    weight,
                },
                head.doc,
            ));
        }
    }
    hooks.sort_by(|a, b| kind_key(&a.0.kind).cmp(&kind_key(&b.0.kind)));
    generic.sort_by(|a, b| kind_key(&a.0.kind).cmp(&kind_key(&b.0.kind)));
    Ok((hooks, generic))
}

/// `strconv.Atoi`.
fn go_atoi(s: &str) -> Option<i64> {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s);
    if b.is_empty() || !b.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The template engine with Helm's functions: one shared instance when `lookup` is off.
fn engine(settings: &RenderSettings) -> Engine {
    static DEFAULT: LazyLock<Engine> =
        LazyLock::new(|| Engine::new().with_helm_functions(HelmContext::default()));
    match &settings.lookup {
        None => DEFAULT.clone(),
        Some(f) => Engine::new().with_helm_functions(HelmContext {
            lookup: Some(f.clone()),
            ..HelmContext::default()
        }),
    }
}

/// Helm's release name check.
fn validate_release_name(name: &str) -> Result<(), HelmError> {
    let re = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    if name.is_empty() {
        return Err(HelmError::Invalid(format!(
            "release name {name:?}: no name provided"
        )));
    }
    let ok = name.len() <= 53
        && name.split('.').all(|p| {
            let b = p.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && !b[0].is_ascii_uppercase()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && !b[b.len() - 1].is_ascii_uppercase()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        });
    if !ok {
        return Err(HelmError::Invalid(format!(
            "release name {name:?}: invalid release name, must match regex {re} and the length must not be longer than 53"
        )));
    }
    Ok(())
}

/// A parsed Kubernetes version: what `.Capabilities.KubeVersion.Version` shows and the
/// normalised `vMAJOR.MINOR.PATCH` for constraints.
fn parse_kube_version(v: &str) -> Result<(String, String), HelmError> {
    let full = if v.starts_with('v') {
        v.to_string()
    } else {
        format!("v{v}")
    };
    let core = &full[1..];
    let nums: Vec<&str> = core
        .split(['-', '+'])
        .next()
        .unwrap_or("")
        .split('.')
        .collect();
    let bad = || {
        HelmError::Invalid(format!(
            "invalid kube version '{v}': could not parse {v:?} as version"
        ))
    };
    if nums.len() < 2
        || nums.len() > 3
        || nums
            .iter()
            .any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    let n = |i: usize| nums.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    Ok((full.clone(), format!("v{}.{}.{}", n(0), n(1), n(2))))
}

/// Renders a loaded chart.
pub(crate) fn render(chart: &Chart, settings: &RenderSettings) -> Result<Release, HelmError> {
    render_parsed(chart, settings).map(|(release, _)| release)
}

/// Renders a loaded chart to objects, from the documents parsed while sorting.
pub(crate) fn render_objects(
    chart: &Chart,
    settings: &RenderSettings,
) -> Result<Vec<gitops_core::Object>, HelmError> {
    let (release, parsed) = render_parsed(chart, settings)?;
    let mut out = Vec::new();
    for m in &release.crds {
        out.extend(load_objects(&m.content, &m.source)?);
    }
    let sources = release
        .manifests
        .iter()
        .map(|m| &m.source)
        .chain(release.hooks.iter().map(|h| &h.source));
    for (source, doc) in sources.zip(parsed) {
        let Some(doc) = doc else { continue };
        let origin = gitops_core::Origin {
            file: std::sync::Arc::from(source.as_str()),
            document: doc.index,
            line: Some(doc.line),
        };
        push_objects(doc.value, origin, &mut out)?;
    }
    Ok(out)
}

/// The objects of one YAML text (as `gitops_core::manifest::load_str`).
pub(crate) fn load_objects(
    content: &str,
    source: &str,
) -> Result<Vec<gitops_core::Object>, HelmError> {
    gitops_core::manifest::load_str(content, source).map_err(|e| HelmError::Manifest {
        file: source.to_string(),
        message: e.kind.to_string(),
    })
}

/// The objects of a parsed document, as `gitops_core::manifest::load_str` makes them: a
/// `…List` with `items` and no name stands for its items.
fn push_objects(
    value: serde_json::Value,
    origin: gitops_core::Origin,
    out: &mut Vec<gitops_core::Object>,
) -> Result<(), HelmError> {
    use gitops_core::manifest::LoadErrorKind;
    let err = |kind: LoadErrorKind| HelmError::Manifest {
        file: origin.file.to_string(),
        message: kind.to_string(),
    };
    let is_list = value["kind"]
        .as_str()
        .is_some_and(|kind| kind.ends_with("List"))
        && value.get("items").is_some()
        && value["metadata"]["name"].is_null();
    if !is_list {
        let o = gitops_core::Object::with_origin(value, Some(origin.clone()))
            .map_err(|e| err(LoadErrorKind::Object(e)))?;
        out.push(o);
        return Ok(());
    }
    let serde_json::Value::Object(mut list) = value else {
        return Ok(());
    };
    match list.remove("items") {
        Some(serde_json::Value::Array(items)) => {
            for item in items {
                if item.is_null() {
                    continue;
                }
                let o = gitops_core::Object::with_origin(item, Some(origin.clone()))
                    .map_err(|e| err(LoadErrorKind::Object(e)))?;
                out.push(o);
            }
            Ok(())
        }
        Some(serde_json::Value::Null) | None => Ok(()),
        Some(_) => Err(err(LoadErrorKind::ItemsNotAList)),
    }
}

/// Renders a loaded chart; also returns the parsed documents of its manifests, then of
/// its hooks (in the release's order).
fn render_parsed(
    chart: &Chart,
    settings: &RenderSettings,
) -> Result<(Release, Vec<Parsed>), HelmError> {
    validate_release_name(&settings.release_name)?;
    let user = settings.values.resolve()?;
    let mut root = RenderChart::new(chart);
    root.process_dependencies(&user).map_err(|m| {
        HelmError::chart(
            chart.name(),
            format!("chart dependencies processing failed: {m}"),
        )
    })?;

    // capabilities
    let (kube_full, kube_norm) =
        parse_kube_version(settings.kube_version.as_deref().unwrap_or("v1.36.0"))?;
    let mut apis: Vec<String> = gh::DEFAULT_API_VERSIONS
        .iter()
        .map(|s| s.to_string())
        .collect();
    apis.extend(settings.api_versions.iter().cloned());
    let capabilities = if settings.kube_version.is_none() && settings.api_versions.is_empty() {
        gh::capabilities()
    } else {
        gh::capabilities_for(&kube_full, apis)
    };

    // values, schema
    let vals =
        values::coalesce_values(&root, &user).map_err(|m| HelmError::chart(chart.name(), m))?;
    if !settings.skip_schema_validation {
        let mut report = String::new();
        validate_schemas(&root, &Value::Map(vals.clone()), &mut report)?;
        if !report.is_empty() {
            return Err(HelmError::Schema { message: report });
        }
    }

    // kubeVersion
    if !root.meta.kube_version.is_empty()
        && !is_compatible_range(&root.meta.kube_version, &kube_norm)
    {
        return Err(HelmError::KubeVersion {
            constraint: root.meta.kube_version.clone(),
            version: kube_full,
        });
    }

    // templates
    let release = gh::release(&gh::Release {
        name: settings.release_name.clone(),
        namespace: settings.namespace.clone(),
        is_upgrade: settings.is_upgrade,
        is_install: !settings.is_upgrade,
        revision: settings.revision,
    });
    let top_values = Value::Map(vals.with_kind(MapKind::Values));
    let mut templates = Vec::new();
    all_templates(
        &root,
        None,
        &top_values,
        &release,
        &capabilities,
        "",
        &mut templates,
    );
    let engine = engine(settings);
    let files = chart
        .inner
        .parsed
        .get_or_parse(&engine, &templates)
        .and_then(|set| gh::execute_templates(&engine, &set, &templates))
        .map_err(|e| {
            let name = match &e {
                gitops_gotemplate::Error::Parse { name, .. }
                | gitops_gotemplate::Error::Exec { name, .. } => name.clone(),
                _ => String::new(),
            };
            HelmError::Template {
                chart: chart.name().to_string(),
                message: gh::format_error(&name, &e),
            }
        })?;

    // NOTES.txt
    let mut files = files;
    let notes_name = format!("{}/templates/NOTES.txt", root.meta.name);
    let mut notes = String::new();
    files.retain(|k, v| {
        if k.ends_with("NOTES.txt") {
            if *k == notes_name {
                notes = std::mem::take(v);
            }
            return false;
        }
        true
    });

    let (mut hooks, manifests) = sort_manifests(&files)?;
    if settings.skip_hooks {
        hooks.clear();
    }
    if settings.skip_tests {
        hooks.retain(|h| !h.0.is_test());
    }
    let mut parsed = Vec::with_capacity(manifests.len() + hooks.len());
    let manifests = manifests
        .into_iter()
        .map(|(m, p)| {
            parsed.push(p);
            m
        })
        .collect();
    let hooks = hooks
        .into_iter()
        .map(|(h, p)| {
            parsed.push(p);
            h
        })
        .collect();
    let mut crds = Vec::new();
    if settings.include_crds {
        collect_crds(&root, "", &mut crds);
    }
    let release = Release {
        name: settings.release_name.clone(),
        namespace: settings.namespace.clone(),
        crds,
        manifests,
        hooks,
        notes,
    };
    Ok((release, parsed))
}

/// `ValidateAgainstSchema`: the chart's schema against its values, then each subchart's
/// against its section.
fn validate_schemas(c: &RenderChart, vals: &Value, out: &mut String) -> Result<(), HelmError> {
    if let Some(schema) = &c.chart.inner.schema {
        let json = vals.to_json();
        let checked = match c.chart.inner.validator.get(schema) {
            Ok(v) => schema::validate_with(&json, v),
            Err(e) => Err(e.clone()),
        };
        match checked {
            Ok(None) => {}
            Ok(Some(msg)) => {
                out.push_str(&format!("{}:\n{msg}", c.meta.name));
            }
            Err(e) => {
                out.push_str(&format!("{}:\n{e}", c.meta.name));
            }
        }
    }
    for sub in &c.deps {
        let Some(raw) = vals.get(&sub.meta.name) else {
            continue;
        };
        if values::is_nil(&raw) {
            continue;
        }
        if table(&raw).is_none() {
            out.push_str(&format!(
                "{}:\ninvalid type for values: expected object (map), got {}\n",
                sub.meta.name,
                raw.type_name()
            ));
            continue;
        }
        validate_schemas(sub, &raw, out)?;
    }
    Ok(())
}

fn collect_crds(c: &RenderChart, parent: &str, out: &mut Vec<Manifest>) {
    let full = if parent.is_empty() {
        c.meta.name.clone()
    } else {
        format!("{parent}/charts/{}", c.meta.name)
    };
    for f in c.chart.crd_files() {
        let content = String::from_utf8_lossy(&f.data).into_owned();
        out.push(Manifest {
            source: format!("{full}/{}", f.name),
            content,
            kind: "CustomResourceDefinition".into(),
        });
    }
    for d in &c.deps {
        collect_crds(d, &full, out);
    }
}

/// Helm's `recAllTpls`: the templates of a chart and its subcharts, each with the
/// top-level object of its chart (its own `.Values` scope, `.Chart`, `.Files`,
/// `.Subcharts`). Returns the chart's top-level object.
fn all_templates(
    c: &RenderChart,
    parent: Option<&Map>,
    root_values: &Value,
    release: &Value,
    capabilities: &Value,
    parent_path: &str,
    out: &mut Vec<HelmTemplate>,
) -> Value {
    let is_root = parent.is_none();
    let full_path = if is_root {
        c.meta.name.clone()
    } else {
        format!("{parent_path}/charts/{}", c.meta.name)
    };
    let values = match parent {
        None => root_values.clone(),
        Some(p) => match p.get("Values").and_then(|v| v.get(&c.meta.name)) {
            // `Values.Table` returns the section as `common.Values`
            Some(Value::Map(m)) if m.kind() != MapKind::String => {
                Value::Map(m.with_kind(MapKind::Values))
            }
            _ => Value::Map(Map::new(MapKind::Values)),
        },
    };
    let subcharts = Map::new(MapKind::Interface);
    let next = Map::new(MapKind::Interface);
    next.insert("Chart", gh::chart(&c.meta.to_json(), is_root));
    next.insert("Files", c.chart.inner.files_object.clone());
    next.insert("Release", release.clone());
    next.insert("Capabilities", capabilities.clone());
    next.insert("Values", values);
    next.insert("Subcharts", Value::Map(subcharts.clone()));
    for child in &c.deps {
        let sub = all_templates(
            child,
            Some(&next),
            root_values,
            release,
            capabilities,
            &full_path,
            out,
        );
        subcharts.insert(child.meta.name.as_str(), sub);
    }
    let top = Value::Map(next.with_kind(MapKind::Values));
    let library = c.meta.is_library();
    let base_path = format!("{full_path}/templates");
    for (t, text) in c
        .chart
        .templates()
        .iter()
        .zip(&c.chart.inner.template_texts)
    {
        if library {
            let base = t.name.rsplit('/').next().unwrap_or(&t.name);
            if !base.starts_with('_') {
                continue;
            }
        }
        out.push(HelmTemplate {
            name: format!("{full_path}/{}", t.name),
            text: text.clone(),
            values: top.clone(),
            base_path: base_path.clone(),
        });
    }
    Value::Map(next)
}
