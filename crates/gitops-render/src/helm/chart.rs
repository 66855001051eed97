//! Loading charts: `Chart.yaml` (v1 and v2), templates, files, default values, schema and
//! subcharts (directories and `.tgz` archives under `charts/`), as Helm's loader does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use gitops_gotemplate::Value;
use serde_json::Value as Json;

use super::HelmError;
use super::archive::{self, BufferedFile, MAX_FILE_SIZE};
use super::ignore::IgnoreRules;
use super::values;

/// A file of a chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFile {
    /// Path relative to the chart's root, `/`-separated (`templates/cm.yaml`, `crds/x.yaml`).
    pub name: String,
    /// The content.
    pub data: Arc<[u8]>,
}

/// A chart maintainer (`maintainers` in `Chart.yaml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Maintainer {
    /// Name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// URL.
    pub url: String,
}

/// A dependency declared in `Chart.yaml` (or `requirements.yaml` for `apiVersion: v1`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependency {
    /// The chart's name.
    pub name: String,
    /// A version or Masterminds semver range (`1.2.*`, `>=1.0.0 <2.0.0`).
    pub version: String,
    /// Where to fetch it from (unused when rendering: subcharts are vendored).
    pub repository: String,
    /// Comma-separated value paths; the first that holds a boolean enables or disables it.
    pub condition: String,
    /// Tags that enable or disable it (`tags.<tag>` in the values).
    pub tags: Vec<String>,
    /// Set while processing dependencies.
    pub enabled: bool,
    /// `import-values`: strings (`exports.<name>`) or `{child, parent}` maps.
    pub import_values: Vec<Json>,
    /// The name the subchart goes by in this chart.
    pub alias: String,
}

/// The metadata of a chart (`Chart.yaml`), sanitised as Helm's validation does (spaces
/// normalised, non-printable characters dropped).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// `name`.
    pub name: String,
    /// `home`.
    pub home: String,
    /// `sources`.
    pub sources: Vec<String>,
    /// `version`.
    pub version: String,
    /// `description`.
    pub description: String,
    /// `keywords`.
    pub keywords: Vec<String>,
    /// `maintainers`.
    pub maintainers: Vec<Maintainer>,
    /// `icon`.
    pub icon: String,
    /// `apiVersion` (`v1` when absent).
    pub api_version: String,
    /// `condition`.
    pub condition: String,
    /// `tags`.
    pub tags: String,
    /// `appVersion`.
    pub app_version: String,
    /// `deprecated`.
    pub deprecated: bool,
    /// `annotations` (`None` when absent, as Helm keeps a nil map).
    pub annotations: Option<BTreeMap<String, String>>,
    /// `kubeVersion`: a semver range of supported Kubernetes versions.
    pub kube_version: String,
    /// `dependencies`.
    pub dependencies: Vec<Dependency>,
    /// `type`: `application`, `library` or empty.
    pub chart_type: String,
}

impl Metadata {
    /// Whether this is a library chart (only its `_` templates count).
    pub fn is_library(&self) -> bool {
        self.chart_type.eq_ignore_ascii_case("library")
    }

    /// The metadata as `Chart.yaml` keys, for `.Chart`.
    pub(crate) fn to_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        let s = |v: &str| Json::String(v.to_string());
        m.insert("name".into(), s(&self.name));
        m.insert("home".into(), s(&self.home));
        m.insert(
            "sources".into(),
            self.sources.iter().map(|x| s(x)).collect(),
        );
        m.insert("version".into(), s(&self.version));
        m.insert("description".into(), s(&self.description));
        m.insert(
            "keywords".into(),
            self.keywords.iter().map(|x| s(x)).collect(),
        );
        m.insert(
            "maintainers".into(),
            self.maintainers
                .iter()
                .map(|x| serde_json::json!({"name": x.name, "email": x.email, "url": x.url}))
                .collect(),
        );
        m.insert("icon".into(), s(&self.icon));
        m.insert("apiVersion".into(), s(&self.api_version));
        m.insert("condition".into(), s(&self.condition));
        m.insert("tags".into(), s(&self.tags));
        m.insert("appVersion".into(), s(&self.app_version));
        m.insert("deprecated".into(), Json::Bool(self.deprecated));
        if let Some(a) = &self.annotations {
            m.insert(
                "annotations".into(),
                a.iter().map(|(k, v)| (k.clone(), s(v))).collect(),
            );
        }
        m.insert("kubeVersion".into(), s(&self.kube_version));
        m.insert(
            "dependencies".into(),
            self.dependencies
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "name": d.name, "version": d.version, "repository": d.repository,
                        "condition": d.condition, "tags": d.tags, "enabled": d.enabled,
                        "import-values": d.import_values, "alias": d.alias,
                    })
                })
                .collect(),
        );
        m.insert("type".into(), s(&self.chart_type));
        Json::Object(m)
    }
}

#[derive(Debug)]
pub(crate) struct ChartData {
    pub metadata: Metadata,
    /// `templates/…` files, in load order.
    pub templates: Vec<ChartFile>,
    /// Everything `.Files` shows.
    pub files: Vec<ChartFile>,
    /// Default values (a map).
    pub values: Value,
    /// The text of `values.yaml` (empty when the chart has none).
    pub values_text: Arc<[u8]>,
    /// `values.schema.json`.
    pub schema: Option<Arc<[u8]>>,
    /// Subcharts found under `charts/`, by directory or archive name.
    pub dependencies: Vec<Chart>,
    /// `.Files` for templates (immutable, built once).
    pub files_object: Value,
    /// Whether `Chart.yaml` (or `requirements.yaml`) has a `dependencies` list at all.
    pub declares_dependencies: bool,
    /// The text of each template (parallel to `templates`), decoded once.
    pub template_texts: Vec<Arc<str>>,
    /// The templates of the last render, parsed (reused while the set is the same).
    pub parsed: ParseCache,
    /// `values.schema.json` compiled on first use.
    pub validator: SchemaCache,
}

/// A chart's compiled schema (or the compile error), made on first use.
#[derive(Default)]
pub(crate) struct SchemaCache(std::sync::OnceLock<Result<jsonschema::Validator, String>>);

impl std::fmt::Debug for SchemaCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SchemaCache")
    }
}

impl SchemaCache {
    /// The compiled `schema`.
    pub(crate) fn get(&self, schema: &[u8]) -> &Result<jsonschema::Validator, String> {
        self.0.get_or_init(|| super::schema::compile(schema))
    }
}

/// The parsed template set of a chart's last render, keyed by the template names it was
/// made of (a chart's texts never change, so equal names mean an equal set).
#[derive(Default)]
pub(crate) struct ParseCache(
    std::sync::Mutex<Option<(Vec<String>, Arc<gitops_gotemplate::Templates>)>>,
);

impl std::fmt::Debug for ParseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParseCache")
    }
}

impl ParseCache {
    /// The set parsed from `templates`, from the cache when the last render used the same
    /// template names.
    pub(crate) fn get_or_parse(
        &self,
        engine: &gitops_gotemplate::Engine,
        templates: &[gitops_gotemplate::helm::HelmTemplate],
    ) -> Result<Arc<gitops_gotemplate::Templates>, gitops_gotemplate::Error> {
        let same = |names: &[String]| {
            names.len() == templates.len() && names.iter().zip(templates).all(|(n, t)| *n == t.name)
        };
        if let Ok(guard) = self.0.lock()
            && let Some((names, set)) = &*guard
            && same(names)
        {
            return Ok(set.clone());
        }
        let set = Arc::new(gitops_gotemplate::helm::parse_templates(engine, templates)?);
        if let Ok(mut guard) = self.0.lock() {
            let names = templates.iter().map(|t| t.name.clone()).collect();
            *guard = Some((names, set.clone()));
        }
        Ok(set)
    }
}

/// A loaded chart with its subcharts. Cheap to clone; renders any number of times.
///
/// ```
/// use gitops_render::helm::Chart;
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("Chart.yaml"), "apiVersion: v2\nname: web\nversion: 1.0.0\n")?;
/// std::fs::create_dir(dir.path().join("templates"))?;
/// std::fs::write(dir.path().join("templates/cm.yaml"), "kind: ConfigMap\n")?;
/// let chart = Chart::load(dir.path())?;
/// assert_eq!(chart.metadata().name, "web");
/// assert_eq!(chart.templates()[0].name, "templates/cm.yaml");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Chart {
    pub(crate) inner: Arc<ChartData>,
}

impl Chart {
    /// Loads a chart from a directory (honouring its `.helmignore`) or a `.tgz` archive.
    pub fn load(path: impl AsRef<Path>) -> Result<Chart, HelmError> {
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(|e| HelmError::io(path, e))?;
        if meta.is_dir() {
            Chart::load_dir(path)
        } else {
            let bytes = read_limited(path, archive::MAX_CHART_SIZE)?;
            Chart::from_archive(&bytes, &path.display().to_string())
        }
    }

    /// Loads a chart from a directory, honouring its `.helmignore`.
    pub fn load_dir(dir: &Path) -> Result<Chart, HelmError> {
        let label = dir.display().to_string();
        let root = std::fs::canonicalize(dir).map_err(|e| HelmError::io(dir, e))?;
        let ignore_file = root.join(".helmignore");
        let rules = if ignore_file.is_file() {
            let text = std::fs::read_to_string(&ignore_file)
                .map_err(|e| HelmError::io(&ignore_file, e))?;
            IgnoreRules::parse(&text, ".helmignore").map_err(|m| HelmError::chart(&label, m))?
        } else {
            IgnoreRules::defaults()
        };
        let mut files = Vec::new();
        walk(&root, &root, "", &rules, &mut files, 0)?;
        Chart::from_files(files, &label)
    }

    /// Loads a chart from the bytes of a `.tgz` archive; `label` names it in errors.
    pub fn from_archive(bytes: &[u8], label: &str) -> Result<Chart, HelmError> {
        let files = archive::read_archive(bytes, label)?;
        Chart::from_files(files, label)
    }

    /// Builds a chart from its files (Helm's `LoadFiles`); `label` names it in errors.
    pub fn from_files(files: Vec<BufferedFile>, label: &str) -> Result<Chart, HelmError> {
        load_files(files, label)
    }

    /// The chart's metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.inner.metadata
    }

    /// The chart's name.
    pub fn name(&self) -> &str {
        &self.inner.metadata.name
    }

    /// The `templates/` files.
    pub fn templates(&self) -> &[ChartFile] {
        &self.inner.templates
    }

    /// The files `.Files` shows (not `Chart.yaml`, `values.yaml`, templates or subcharts).
    pub fn files(&self) -> &[ChartFile] {
        &self.inner.files
    }

    /// The subcharts found under `charts/`.
    pub fn dependencies(&self) -> &[Chart] {
        &self.inner.dependencies
    }

    /// The default values, as JSON.
    pub fn values(&self) -> Json {
        self.inner.values.to_json()
    }

    /// The text of the chart's `values.yaml` (empty when it has none).
    pub fn values_text(&self) -> &[u8] {
        &self.inner.values_text
    }

    /// Whether the chart has a `values.schema.json`.
    pub fn has_schema(&self) -> bool {
        self.inner.schema.is_some()
    }
}

fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, HelmError> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| HelmError::io(path, e))?;
    let mut data = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|e| HelmError::io(path, e))?;
    if data.len() as u64 > limit {
        return Err(HelmError::archive(
            path.display().to_string(),
            format!("archive is larger than the maximum size {limit}"),
        ));
    }
    Ok(data)
}

/// Walks a chart directory in lexical order (as Go's `filepath.Walk` does), following
/// symbolic links that stay inside the chart.
fn walk(
    root: &Path,
    dir: &Path,
    rel: &str,
    rules: &IgnoreRules,
    out: &mut Vec<BufferedFile>,
    depth: usize,
) -> Result<(), HelmError> {
    if depth > 64 {
        return Err(HelmError::chart(
            root.display().to_string(),
            format!("{rel}: directories nested too deeply"),
        ));
    }
    // The entry's type comes with the directory listing: no `stat` per entry.
    let mut entries: Vec<(String, PathBuf, std::fs::FileType)> = std::fs::read_dir(dir)
        .map_err(|e| HelmError::io(dir, e))?
        .map(|e| {
            let e = e.map_err(|err| HelmError::io(dir, err))?;
            let kind = e.file_type().map_err(|err| HelmError::io(e.path(), err))?;
            Ok((e.file_name().to_string_lossy().into_owned(), e.path(), kind))
        })
        .collect::<Result<_, HelmError>>()?;
    entries.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    for (name, path, kind) in entries {
        let n = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        // (target, is a directory, is a regular file)
        let (target, is_dir, is_file) = if kind.is_symlink() {
            let resolved = std::fs::canonicalize(&path).map_err(|e| HelmError::io(&path, e))?;
            if !resolved.starts_with(root) {
                return Err(HelmError::chart(
                    root.display().to_string(),
                    format!("{n}: symbolic link points outside the chart"),
                ));
            }
            let meta = std::fs::metadata(&resolved).map_err(|e| HelmError::io(&path, e))?;
            (resolved, meta.is_dir(), meta.is_file())
        } else {
            (path.clone(), kind.is_dir(), kind.is_file())
        };
        if is_dir {
            if rules.ignore(&n, true) {
                continue;
            }
            walk(root, &target, &n, rules, out, depth + 1)?;
            continue;
        }
        if rules.ignore(&n, false) {
            continue;
        }
        let irregular = || {
            HelmError::chart(
                root.display().to_string(),
                format!(
                    "cannot load irregular file {} as it has file mode type bits set",
                    path.display()
                ),
            )
        };
        // Sockets, devices and pipes are refused before opening them (a pipe would block).
        if !is_file {
            return Err(irregular());
        }
        let data = read_chart_file(&target, &name, root).map_err(|e| match e {
            ReadError::Irregular => irregular(),
            ReadError::Other(e) => e,
        })?;
        out.push(BufferedFile {
            name: n,
            data: archive::trim_bom(data),
        });
    }
    Ok(())
}

enum ReadError {
    Irregular,
    Other(HelmError),
}

/// Reads one chart file: one `open`, one `fstat` for its type and size, one read.
fn read_chart_file(path: &Path, name: &str, root: &Path) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let io = |e| ReadError::Other(HelmError::io(path, e));
    let too_large = || {
        ReadError::Other(HelmError::chart(
            root.display().to_string(),
            format!("chart file {name:?} is larger than the maximum file size {MAX_FILE_SIZE}"),
        ))
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::Irregular);
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_large());
    }
    let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The size was checked on the open file; `take` bounds a file that grows meanwhile.
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut data)
        .map_err(io)?;
    if data.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large());
    }
    Ok(data)
}

/// `unicode.IsPrint`-based sanitising of Helm's metadata validation: space characters
/// become spaces, non-printable ones are dropped.
fn sanitize(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if c.is_control()
                || matches!(c as u32, 0xAD | 0x200B..=0x200F | 0x2028..=0x202E | 0xFEFF)
            {
                None
            } else {
                Some(c)
            }
        })
        .collect()
}

fn type_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// Reads a `Chart.yaml`-style document into `md` (fields present overwrite, as JSON
/// decoding into a struct does).
fn read_metadata(doc: &Json, md: &mut Metadata, file: &str) -> Result<bool, String> {
    let Json::Object(o) = doc else {
        if doc.is_null() {
            return Ok(false);
        }
        return Err(format!(
            "cannot load {file}: error unmarshaling JSON: json: cannot unmarshal {} into Go value of type chart.Metadata",
            type_name(doc)
        ));
    };
    let bad = |field: &str, want: &str, v: &Json| {
        format!(
            "cannot load {file}: error unmarshaling JSON: json: cannot unmarshal {} into Go struct field Metadata.{field} of type {want}",
            type_name(v)
        )
    };
    let string = |key: &str| -> Result<Option<String>, String> {
        match o.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(bad(key, "string", v)),
        }
    };
    let strings = |key: &str| -> Result<Option<Vec<String>>, String> {
        match o.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Array(a)) => a
                .iter()
                .map(|x| match x {
                    Json::String(s) => Ok(s.clone()),
                    Json::Null => Ok(String::new()),
                    v => Err(bad(key, "string", v)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(v) => Err(bad(key, "[]string", v)),
        }
    };
    macro_rules! set_str {
        ($key:literal, $field:ident) => {
            if let Some(v) = string($key)? {
                md.$field = v;
            }
        };
    }
    set_str!("name", name);
    set_str!("home", home);
    set_str!("version", version);
    set_str!("description", description);
    set_str!("icon", icon);
    set_str!("apiVersion", api_version);
    set_str!("condition", condition);
    set_str!("tags", tags);
    set_str!("appVersion", app_version);
    set_str!("kubeVersion", kube_version);
    set_str!("type", chart_type);
    if let Some(v) = strings("sources")? {
        md.sources = v;
    }
    if let Some(v) = strings("keywords")? {
        md.keywords = v;
    }
    match o.get("deprecated") {
        None | Some(Json::Null) => {}
        Some(Json::Bool(b)) => md.deprecated = *b,
        Some(v) => return Err(bad("deprecated", "bool", v)),
    }
    match o.get("annotations") {
        None | Some(Json::Null) => {}
        Some(Json::Object(a)) => {
            let mut m = BTreeMap::new();
            for (k, v) in a {
                match v {
                    Json::String(s) => {
                        m.insert(k.clone(), s.clone());
                    }
                    Json::Null => {
                        m.insert(k.clone(), String::new());
                    }
                    v => return Err(bad("annotations", "string", v)),
                }
            }
            md.annotations = Some(m);
        }
        Some(v) => return Err(bad("annotations", "map[string]string", v)),
    }
    match o.get("maintainers") {
        None | Some(Json::Null) => {}
        Some(Json::Array(a)) => {
            md.maintainers = Vec::new();
            for m in a {
                let field = |k: &str| m.get(k).and_then(Json::as_str).unwrap_or("").to_string();
                if m.is_null() {
                    return Err(
                        "validation: maintainers must not contain empty or null nodes".into(),
                    );
                }
                md.maintainers.push(Maintainer {
                    name: field("name"),
                    email: field("email"),
                    url: field("url"),
                });
            }
        }
        Some(v) => return Err(bad("maintainers", "[]*chart.Maintainer", v)),
    }
    match o.get("dependencies") {
        None | Some(Json::Null) => {}
        Some(Json::Array(a)) => {
            md.dependencies = Vec::new();
            for d in a {
                if d.is_null() {
                    return Err(
                        "validation: dependencies must not contain empty or null nodes".into(),
                    );
                }
                let field = |k: &str| d.get(k).and_then(Json::as_str).unwrap_or("").to_string();
                md.dependencies.push(Dependency {
                    name: field("name"),
                    version: field("version"),
                    repository: field("repository"),
                    condition: field("condition"),
                    tags: d
                        .get("tags")
                        .and_then(Json::as_array)
                        .map(|t| {
                            t.iter()
                                .map(|x| x.as_str().unwrap_or("").to_string())
                                .collect()
                        })
                        .unwrap_or_default(),
                    enabled: d.get("enabled").and_then(Json::as_bool).unwrap_or(false),
                    import_values: d
                        .get("import-values")
                        .and_then(Json::as_array)
                        .cloned()
                        .unwrap_or_default(),
                    alias: field("alias"),
                });
            }
        }
        Some(v) => return Err(bad("dependencies", "[]*chart.Dependency", v)),
    }
    Ok(o.get("dependencies").is_some_and(Json::is_array))
}

/// Helm's `Metadata.Validate`: sanitises the fields and checks the required ones.
fn validate(md: &mut Metadata) -> Result<(), String> {
    md.name = sanitize(&md.name);
    md.description = sanitize(&md.description);
    md.home = sanitize(&md.home);
    md.icon = sanitize(&md.icon);
    md.condition = sanitize(&md.condition);
    md.tags = sanitize(&md.tags);
    md.app_version = sanitize(&md.app_version);
    md.kube_version = sanitize(&md.kube_version);
    for s in md.sources.iter_mut().chain(md.keywords.iter_mut()) {
        *s = sanitize(s);
    }
    let v = |m: &str| format!("validation: {m}");
    if md.api_version.is_empty() {
        return Err(v("chart.metadata.apiVersion is required"));
    }
    if md.name.is_empty() {
        return Err(v("chart.metadata.name is required"));
    }
    if md.name == "." || md.name == ".." {
        return Err(v(&format!(
            "chart.metadata.name {:?} is not allowed",
            md.name
        )));
    }
    if md.name.contains('/') {
        return Err(v(&format!("chart.metadata.name {:?} is invalid", md.name)));
    }
    if md.version.is_empty() {
        return Err(v("chart.metadata.version is required"));
    }
    if gitops_gotemplate::semver::Version::parse(&md.version).is_err() {
        return Err(v(&format!(
            "chart.metadata.version {:?} is invalid",
            md.version
        )));
    }
    if !matches!(md.chart_type.as_str(), "" | "application" | "library") {
        return Err(v("chart.metadata.type must be application or library"));
    }
    for m in &mut md.maintainers {
        m.name = sanitize(&m.name);
        m.email = sanitize(&m.email);
        m.url = sanitize(&m.url);
    }
    let mut seen = std::collections::BTreeSet::new();
    for d in &mut md.dependencies {
        d.name = sanitize(&d.name);
        d.version = sanitize(&d.version);
        d.repository = sanitize(&d.repository);
        d.condition = sanitize(&d.condition);
        for t in &mut d.tags {
            *t = sanitize(t);
        }
        if !d.alias.is_empty()
            && !d
                .alias
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(v(&format!(
                "dependency {:?} has disallowed characters in the alias",
                d.name
            )));
        }
        let key = if d.alias.is_empty() {
            &d.name
        } else {
            &d.alias
        };
        if !seen.insert(key.clone()) {
            return Err(v(&format!(
                "more than one dependency with name or alias {key:?}"
            )));
        }
    }
    Ok(())
}

fn parse_yaml(data: &[u8], file: &str) -> Result<Json, String> {
    let text = String::from_utf8_lossy(data);
    gitops_core::yaml::parse_value(&text).map_err(|e| format!("cannot load {file}: {e}"))
}

fn is_manifest_ext(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    ext.eq_ignore_ascii_case("yaml")
        || ext.eq_ignore_ascii_case("yml")
        || ext.eq_ignore_ascii_case("json")
}

/// Helm's `LoadFiles`.
fn load_files(files: Vec<BufferedFile>, label: &str) -> Result<Chart, HelmError> {
    let err = |m: String| HelmError::chart(label, m);
    let mut md: Option<Metadata> = None;
    let mut declares_dependencies = false;
    for f in &files {
        if f.name == "Chart.yaml" {
            let doc = parse_yaml(&f.data, "Chart.yaml").map_err(err)?;
            let m = md.get_or_insert_with(Metadata::default);
            declares_dependencies |= read_metadata(&doc, m, "Chart.yaml").map_err(err)?;
            if m.api_version.is_empty() {
                m.api_version = "v1".into();
            }
        }
    }
    let mut templates = Vec::new();
    let mut chart_files = Vec::new();
    let mut chart_values = Value::empty_map();
    let mut values_text: Arc<[u8]> = Arc::from(Vec::new());
    let mut schema = None;
    let mut subcharts: BTreeMap<String, Vec<BufferedFile>> = BTreeMap::new();
    for f in files {
        let name = f.name.clone();
        match name.as_str() {
            "Chart.yaml" | "Chart.lock" | "requirements.lock" => {
                if name == "requirements.lock" && md.as_ref().is_some_and(|m| m.api_version == "v1")
                {
                    chart_files.push(ChartFile {
                        name,
                        data: Arc::from(f.data),
                    });
                }
            }
            "values.yaml" => {
                chart_values = values::load_values(&f.data, "values.yaml")
                    .map_err(|m| err(format!("cannot load values.yaml: {m}")))?;
                values_text = Arc::from(f.data);
            }
            "values.schema.json" => schema = Some(Arc::from(f.data)),
            "requirements.yaml" => {
                let doc = parse_yaml(&f.data, "requirements.yaml").map_err(err)?;
                let m = md.get_or_insert_with(Metadata::default);
                declares_dependencies |=
                    read_metadata(&doc, m, "requirements.yaml").map_err(err)?;
                if m.api_version == "v1" {
                    chart_files.push(ChartFile {
                        name,
                        data: Arc::from(f.data),
                    });
                }
            }
            n if n.starts_with("templates/") => templates.push(ChartFile {
                name,
                data: Arc::from(f.data),
            }),
            n if n.starts_with("charts/") => {
                if n.ends_with(".prov") {
                    chart_files.push(ChartFile {
                        name,
                        data: Arc::from(f.data),
                    });
                    continue;
                }
                let rest = &n["charts/".len()..];
                let cname = rest.split('/').next().unwrap_or(rest).to_string();
                subcharts.entry(cname).or_default().push(BufferedFile {
                    name: rest.to_string(),
                    data: f.data,
                });
            }
            _ => chart_files.push(ChartFile {
                name,
                data: Arc::from(f.data),
            }),
        }
    }
    let Some(mut metadata) = md else {
        return Err(err("Chart.yaml file is missing".into()));
    };
    validate(&mut metadata).map_err(err)?;
    let mut dependencies = Vec::new();
    for (n, files) in subcharts {
        if n.starts_with(['_', '.']) {
            continue;
        }
        let sub_label = format!("{label}/charts/{n}");
        let sub = if n.ends_with(".tgz") {
            let Some(file) = files.into_iter().next() else {
                continue;
            };
            if file.name != n {
                return Err(err(format!(
                    "error unpacking subchart tar in {}: expected {n}, got {}",
                    metadata.name, file.name
                )));
            }
            Chart::from_archive(&file.data, &sub_label)
        } else {
            let buff: Vec<BufferedFile> = files
                .into_iter()
                .filter_map(|mut f| {
                    let (_, rest) = f.name.split_once('/')?;
                    f.name = rest.to_string();
                    Some(f)
                })
                .collect();
            load_files(buff, &sub_label)
        };
        let sub = sub.map_err(|e| {
            err(format!(
                "error unpacking subchart {n} in {}: {}",
                metadata.name,
                inner_message(&e)
            ))
        })?;
        dependencies.push(sub);
    }
    let files_object = gitops_gotemplate::helm::files(
        chart_files
            .iter()
            .map(|f| (f.name.clone(), f.data.to_vec()))
            .collect(),
    );
    let template_texts = templates
        .iter()
        .map(|t| Arc::from(String::from_utf8_lossy(&t.data)))
        .collect();
    Ok(Chart {
        inner: Arc::new(ChartData {
            metadata,
            template_texts,
            parsed: ParseCache::default(),
            validator: SchemaCache::default(),
            templates,
            files: chart_files,
            values: chart_values,
            values_text,
            schema,
            dependencies,
            files_object,
            declares_dependencies,
        }),
    })
}

fn inner_message(e: &HelmError) -> String {
    match e {
        HelmError::Chart { message, .. } | HelmError::Archive { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

impl Chart {
    /// The CRD files of this chart (`crds/*.yaml|yml|json`), in load order.
    pub(crate) fn crd_files(&self) -> impl Iterator<Item = &ChartFile> {
        self.inner
            .files
            .iter()
            .filter(|f| f.name.starts_with("crds/") && is_manifest_ext(&f.name))
    }
}

// A chart is shared across threads (renders of one chart may run concurrently).
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Chart>();
};
