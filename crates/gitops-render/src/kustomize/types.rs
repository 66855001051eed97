//! The kustomization file's schema (`kustomize.config.k8s.io/v1beta1` Kustomization and
//! `v1alpha1` Component) and its parsing, with errors naming the field.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::KustomizeError;

/// `apiVersion` of a Kustomization.
pub(crate) const KUSTOMIZATION_VERSION: &str = "kustomize.config.k8s.io/v1beta1";
/// `apiVersion` of a Component.
pub(crate) const COMPONENT_VERSION: &str = "kustomize.config.k8s.io/v1alpha1";

/// A kustomization file, as kustomize v5.5 reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Kustomization {
    pub api_version: String,
    pub kind: String,
    pub metadata: Option<ObjectMeta>,
    #[serde(rename = "openapi")]
    pub openapi: BTreeMap<String, String>,
    pub name_prefix: String,
    pub name_suffix: String,
    pub namespace: String,
    pub common_labels: BTreeMap<String, String>,
    pub labels: Vec<Label>,
    pub common_annotations: BTreeMap<String, String>,
    pub patches_strategic_merge: Vec<String>,
    pub patches_json6902: Vec<Patch>,
    pub patches: Vec<Patch>,
    pub images: Vec<Image>,
    pub image_tags: Vec<Image>,
    pub replacements: Vec<ReplacementField>,
    pub replicas: Vec<Replica>,
    pub vars: Vec<Var>,
    pub sort_options: Option<SortOptions>,
    pub resources: Vec<String>,
    pub components: Vec<String>,
    pub crds: Vec<String>,
    pub bases: Vec<String>,
    pub config_map_generator: Vec<GeneratorArgs>,
    pub secret_generator: Vec<GeneratorArgs>,
    pub helm_globals: Option<HelmGlobals>,
    pub helm_charts: Vec<HelmChart>,
    pub helm_chart_inflation_generator: Vec<HelmChartArgs>,
    pub generator_options: Option<GeneratorOptions>,
    pub configurations: Vec<String>,
    pub generators: Vec<String>,
    pub transformers: Vec<String>,
    pub validators: Vec<String>,
    pub build_metadata: Vec<String>,
}

/// `helmGlobals`: where charts are kept.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct HelmGlobals {
    /// Where charts are looked for (default `charts`, relative to the kustomization).
    pub chart_home: String,
    /// Helm's configuration directory (unused: nothing runs the helm binary).
    pub config_home: String,
}

/// A `helmCharts` entry (kustomize's `HelmChart`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct HelmChart {
    pub name: String,
    pub version: String,
    pub repo: String,
    pub release_name: String,
    pub namespace: String,
    pub additional_values_files: Vec<String>,
    pub values_file: String,
    pub values_inline: Option<Map<String, Value>>,
    pub values_merge: String,
    #[serde(rename = "includeCRDs")]
    pub include_crds: bool,
    pub skip_hooks: bool,
    pub api_versions: Vec<String>,
    pub kube_version: String,
    pub name_template: String,
    pub skip_tests: bool,
    pub debug: bool,
    pub devel: bool,
}

/// A deprecated `helmChartInflationGenerator` entry (kustomize's `HelmChartArgs`), folded
/// into [`HelmChart`] as kustomize folds it.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct HelmChartArgs {
    pub chart_name: String,
    pub chart_version: String,
    #[serde(rename = "chartRepoUrl")]
    pub chart_repo_url: String,
    pub chart_home: String,
    pub chart_repo_name: String,
    pub helm_bin: String,
    pub helm_home: String,
    pub values: String,
    pub values_local: Option<Map<String, Value>>,
    pub values_merge: String,
    pub release_name: String,
    pub release_namespace: String,
    pub extra_args: Vec<String>,
}

/// `metadata` of a kustomization (ignored by the build).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ObjectMeta {
    pub name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// An entry of `labels`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Label {
    pub pairs: BTreeMap<String, String>,
    pub include_selectors: bool,
    pub include_templates: bool,
    pub fields: Vec<FieldSpecArgs>,
}

/// A field specification as written in files: a GVK and a slash-separated path.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct FieldSpecArgs {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub path: String,
    pub create: bool,
}

/// A resource selector (patch targets, replacement sources and targets).
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Selector {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub label_selector: String,
    pub annotation_selector: String,
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        for (key, value) in [
            ("group", &self.group),
            ("version", &self.version),
            ("kind", &self.kind),
            ("name", &self.name),
            ("namespace", &self.namespace),
            ("labelSelector", &self.label_selector),
            ("annotationSelector", &self.annotation_selector),
        ] {
            if !value.is_empty() {
                parts.push(format!("{key}={value}"));
            }
        }
        write!(f, "target {{{}}}", parts.join(", "))
    }
}

/// An entry of `patches` or `patchesJson6902`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Patch {
    pub path: String,
    pub patch: String,
    pub target: Option<Selector>,
    pub options: BTreeMap<String, bool>,
}

/// An entry of `images`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Image {
    pub name: String,
    pub new_name: String,
    pub tag_suffix: String,
    pub new_tag: String,
    pub digest: String,
}

/// An entry of `replicas`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Replica {
    pub name: String,
    pub count: i64,
}

/// `sortOptions`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SortOptions {
    pub order: String,
    pub legacy_sort_options: Option<LegacySortOptions>,
}

/// `sortOptions.legacySortOptions`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LegacySortOptions {
    pub order_first: Vec<String>,
    pub order_last: Vec<String>,
}

/// An entry of `configMapGenerator` or `secretGenerator`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct GeneratorArgs {
    pub namespace: String,
    pub name: String,
    pub behavior: String,
    pub literals: Vec<String>,
    pub files: Vec<String>,
    pub envs: Vec<String>,
    pub env: String,
    pub options: Option<GeneratorOptions>,
    /// Secrets only.
    #[serde(rename = "type")]
    pub type_: String,
}

/// `generatorOptions` (or a generator's `options`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GeneratorOptions {
    pub labels: Option<BTreeMap<String, String>>,
    pub annotations: Option<BTreeMap<String, String>>,
    pub disable_name_suffix_hash: bool,
    pub immutable: bool,
}

impl GeneratorOptions {
    /// kustomize's `MergeGlobalOptionsIntoLocal`: local keys win, flags are or-ed.
    pub(crate) fn merged(local: Option<&Self>, global: Option<&Self>) -> Option<Self> {
        let Some(global) = global else {
            return local.cloned();
        };
        let mut out = local.cloned().unwrap_or_default();
        merge_map(&mut out.labels, global.labels.as_ref());
        merge_map(&mut out.annotations, global.annotations.as_ref());
        out.disable_name_suffix_hash |= global.disable_name_suffix_hash;
        out.immutable |= global.immutable;
        Some(out)
    }
}

fn merge_map(
    local: &mut Option<BTreeMap<String, String>>,
    global: Option<&BTreeMap<String, String>>,
) {
    let Some(global) = global else { return };
    match local {
        None => *local = Some(global.clone()),
        Some(local) => {
            for (k, v) in global {
                local.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
}

/// An entry of `replacements`: inline, or a `path` to a file holding replacements.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ReplacementField {
    pub path: String,
    pub source: Option<SourceSelector>,
    pub targets: Vec<TargetSelector>,
}

/// A replacement's `source`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SourceSelector {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub field_path: String,
    pub options: Option<FieldOptions>,
}

/// A replacement's target.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TargetSelector {
    pub select: Option<Selector>,
    pub reject: Vec<Selector>,
    pub field_paths: Vec<String>,
    pub options: Option<FieldOptions>,
}

/// Options of a replacement's source or target.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct FieldOptions {
    pub delimiter: String,
    pub index: i64,
    pub encoding: String,
    pub create: bool,
}

/// An entry of the deprecated `vars`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Var {
    pub name: String,
    pub objref: VarTarget,
    pub fieldref: VarFieldRef,
}

/// `vars[].objref`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct VarTarget {
    pub api_version: String,
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

/// `vars[].fieldref`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct VarFieldRef {
    pub field_path: String,
}

/// The top-level fields kustomize knows, for the unknown-field check.
const KNOWN_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "openapi",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patchesStrategicMerge",
    "patchesJson6902",
    "patches",
    "images",
    "imageTags",
    "replacements",
    "replicas",
    "vars",
    "sortOptions",
    "resources",
    "components",
    "crds",
    "bases",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "generatorOptions",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "buildMetadata",
];

/// kustomize refuses a kustomization whose fields besides `apiVersion` and `kind` all hold
/// Go's zero values once decoded (an empty list is not one, except for the deprecated fields
/// it folds into others).
fn go_zero(key: &str, value: &Value) -> bool {
    match value {
        _ if matches!(key, "apiVersion" | "kind") => true,
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Array(items) => {
            items.is_empty() && matches!(key, "bases" | "imageTags" | "helmChartInflationGenerator")
        }
        Value::Object(_) => false,
    }
}

/// Removes `null` values from mappings, recursively: Go's JSON decoding treats them as absent.
pub(crate) fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

impl Kustomization {
    /// Parses a kustomization file's text; `file` names it in errors.
    pub(crate) fn parse(text: &str, file: &Path) -> Result<Self, KustomizeError> {
        let mut value = match super::yaml12::parse_value(text) {
            Ok(value) => value,
            // kustomize reads kustomization files with a lenient decoder: of a top-level key
            // written twice, the last one counts.
            Err(e) if e.message.contains("duplicate mapping key") => {
                super::yaml12::parse_value(&last_top_level_keys(text)).map_err(|_| {
                    KustomizeError::Syntax {
                        file: file.to_path_buf(),
                        source: e,
                    }
                })?
            }
            Err(source) => {
                return Err(KustomizeError::Syntax {
                    file: file.to_path_buf(),
                    source,
                });
            }
        };
        strip_nulls(&mut value);
        let map = match value {
            Value::Null => Map::new(),
            Value::Object(map) => map,
            other => {
                return Err(KustomizeError::Invalid {
                    file: file.to_path_buf(),
                    field: "(document)".into(),
                    message: format!("expected a mapping, found {}", json_type(&other)),
                });
            }
        };
        let mut out = Kustomization::default();
        let mut empty = true;
        for (key, mut value) in map {
            // Go's JSON decoding matches field names regardless of case.
            let Some(known) = KNOWN_FIELDS
                .iter()
                .find(|k| **k == key)
                .or_else(|| KNOWN_FIELDS.iter().find(|k| k.eq_ignore_ascii_case(&key)))
            else {
                return Err(KustomizeError::UnknownField {
                    file: file.to_path_buf(),
                    field: key,
                });
            };
            let key = (*known).to_owned();
            empty &= go_zero(&key, &value);
            loop {
                match out.set_field(&key, value.clone()) {
                    Ok(()) => break,
                    Err(e) => match case_fix(&e, &mut value) {
                        true => continue,
                        false => return Err(field_error(file, &key, &e)),
                    },
                }
            }
        }
        if empty {
            return Err(KustomizeError::Invalid {
                file: file.to_path_buf(),
                field: "(document)".into(),
                message: "the kustomization is empty".into(),
            });
        }
        out.check()
            .map_err(|(field, message)| KustomizeError::Invalid {
                file: file.to_path_buf(),
                field,
                message,
            })?;
        Ok(out)
    }

    fn set_field(&mut self, key: &str, v: Value) -> Result<(), serde_json::Error> {
        use serde_json::from_value as de;
        match key {
            "apiVersion" => self.api_version = de(v)?,
            "kind" => self.kind = de(v)?,
            "metadata" => self.metadata = de(v)?,
            "openapi" => self.openapi = de(v)?,
            "namePrefix" => self.name_prefix = de(v)?,
            "nameSuffix" => self.name_suffix = de(v)?,
            "namespace" => self.namespace = de(v)?,
            "commonLabels" => self.common_labels = de(v)?,
            "labels" => self.labels = de(v)?,
            "commonAnnotations" => self.common_annotations = de(v)?,
            "patchesStrategicMerge" => self.patches_strategic_merge = de(v)?,
            "patchesJson6902" => self.patches_json6902 = de(v)?,
            "patches" => self.patches = de(v)?,
            "images" => self.images = de(v)?,
            "imageTags" => self.image_tags = de(v)?,
            "replacements" => self.replacements = de(v)?,
            "replicas" => self.replicas = de(v)?,
            "vars" => self.vars = de(v)?,
            "sortOptions" => self.sort_options = de(v)?,
            "resources" => self.resources = de(v)?,
            "components" => self.components = de(v)?,
            "crds" => self.crds = de(v)?,
            "bases" => self.bases = de(v)?,
            "configMapGenerator" => self.config_map_generator = de(v)?,
            "secretGenerator" => self.secret_generator = de(v)?,
            "helmGlobals" => self.helm_globals = de(v)?,
            "helmCharts" => self.helm_charts = de(v)?,
            "helmChartInflationGenerator" => self.helm_chart_inflation_generator = de(v)?,
            "generatorOptions" => self.generator_options = de(v)?,
            "configurations" => self.configurations = de(v)?,
            "generators" => self.generators = de(v)?,
            "transformers" => self.transformers = de(v)?,
            "validators" => self.validators = de(v)?,
            "buildMetadata" => self.build_metadata = de(v)?,
            _ => {}
        }
        Ok(())
    }

    /// kustomize's `FixKustomization` and `EnforceFields`.
    fn check(&mut self) -> Result<(), (String, String)> {
        if self.kind.is_empty() {
            self.kind = "Kustomization".into();
        }
        if self.kind != "Kustomization" && self.kind != "Component" {
            return Err((
                "kind".into(),
                format!(
                    "kind should be Kustomization or Component, not {:?}",
                    self.kind
                ),
            ));
        }
        let required = if self.kind == "Component" {
            COMPONENT_VERSION
        } else {
            KUSTOMIZATION_VERSION
        };
        if self.api_version.is_empty() {
            self.api_version = required.into();
        } else if self.api_version != required {
            return Err((
                "apiVersion".into(),
                format!("apiVersion for {} should be {required}", self.kind),
            ));
        }
        self.resources.append(&mut self.bases);
        self.images.append(&mut self.image_tags);
        // kustomize folds the deprecated helmChartInflationGenerator into helmCharts; the
        // last non-empty homes become the globals unless helmGlobals is set.
        let mut globals = HelmGlobals::default();
        for old in &self.helm_chart_inflation_generator {
            if !old.helm_home.is_empty() {
                globals.config_home.clone_from(&old.helm_home);
            }
            if !old.chart_home.is_empty() {
                globals.chart_home.clone_from(&old.chart_home);
            }
        }
        if self.helm_globals.is_none()
            && (!globals.chart_home.is_empty() || !globals.config_home.is_empty())
        {
            self.helm_globals = Some(globals);
        }
        for old in std::mem::take(&mut self.helm_chart_inflation_generator) {
            self.helm_charts.push(HelmChart {
                name: old.chart_name,
                version: old.chart_version,
                repo: old.chart_repo_url,
                values_file: old.values,
                values_inline: old.values_local,
                values_merge: old.values_merge,
                release_name: old.release_name,
                ..HelmChart::default()
            });
        }
        for g in self
            .config_map_generator
            .iter_mut()
            .chain(self.secret_generator.iter_mut())
        {
            if !g.env.is_empty() {
                g.envs.push(std::mem::take(&mut g.env));
            }
        }
        for option in &self.build_metadata {
            if ![
                "originAnnotations",
                "transformerAnnotations",
                "managedByLabel",
            ]
            .contains(&option.as_str())
            {
                return Err((
                    "buildMetadata".into(),
                    format!(
                        "unknown option {option:?}: expected originAnnotations, \
                         transformerAnnotations or managedByLabel"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// True for `kind: Component`.
    pub(crate) fn is_component(&self) -> bool {
        self.kind == "Component"
    }
}

/// Keeps, of each top-level key written more than once, only the last block.
fn last_top_level_keys(text: &str) -> String {
    let mut blocks: Vec<(Option<String>, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        let starts_block = line
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace() && c != '#' && c != '-')
            && line.contains(':');
        if starts_block {
            let key = line.split(':').next().unwrap_or_default().trim().to_owned();
            blocks.push((Some(key), line.to_owned()));
        } else if let Some(last) = blocks.last_mut() {
            last.1.push_str(line);
        } else {
            blocks.push((None, line.to_owned()));
        }
    }
    let mut out = String::with_capacity(text.len());
    for (i, (key, block)) in blocks.iter().enumerate() {
        let later = key.is_some() && blocks[i + 1..].iter().any(|(k, _)| k == key);
        if !later {
            out.push_str(block);
        }
    }
    out
}

/// Go's JSON decoding matches field names regardless of case: when serde names an unknown
/// field that equals an expected one but for case, renames it (everywhere in `value`) and
/// says so.
fn case_fix(e: &serde_json::Error, value: &mut Value) -> bool {
    let message = e.to_string();
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return false;
    };
    let Some((name, expected)) = rest.split_once('`') else {
        return false;
    };
    let Some(known) = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .find(|k| k.eq_ignore_ascii_case(name) && *k != name)
    else {
        return false;
    };
    rename_key(value, name, known)
}

fn rename_key(value: &mut Value, from: &str, to: &str) -> bool {
    match value {
        Value::Object(map) => {
            let mut changed = false;
            if let Some(v) = map.remove(from) {
                map.insert(to.to_owned(), v);
                changed = true;
            }
            for v in map.values_mut() {
                changed |= rename_key(v, from, to);
            }
            changed
        }
        Value::Array(items) => {
            let mut changed = false;
            for v in items {
                changed |= rename_key(v, from, to);
            }
            changed
        }
        _ => false,
    }
}

/// Turns a serde error on one field into an error naming the field (and, for unknown fields
/// of nested structures, the unknown field).
fn field_error(file: &Path, key: &str, e: &serde_json::Error) -> KustomizeError {
    let message = e.to_string();
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((name, _)) = rest.split_once('`')
    {
        return KustomizeError::UnknownField {
            file: file.to_path_buf(),
            field: format!("{key}.{name}"),
        };
    }
    KustomizeError::Invalid {
        file: file.to_path_buf(),
        field: key.to_owned(),
        message,
    }
}

/// The JSON type of a value, for messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}
