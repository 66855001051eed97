//! Extra transformer configuration: `configurations:` files (field specs per transformer and
//! name references), and the `crds:` and `openapi:` fields (not supported yet: they fail
//! clearly instead of being ignored).

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use super::KustomizeError;
use super::build::{Builder, Target};
use super::config::{NameBackRef, TransformerConfig};
use super::fieldspec::FieldSpec;
use super::resource::Gvk;
use super::types::{FieldSpecArgs, strip_nulls};

/// A transformer configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ConfigFile {
    name_prefix: Vec<FieldSpecArgs>,
    name_suffix: Vec<FieldSpecArgs>,
    namespace: Vec<FieldSpecArgs>,
    common_labels: Vec<FieldSpecArgs>,
    labels: Vec<FieldSpecArgs>,
    template_labels: Vec<FieldSpecArgs>,
    common_annotations: Vec<FieldSpecArgs>,
    name_reference: Vec<NameReferenceArgs>,
    var_reference: Vec<FieldSpecArgs>,
    images: Vec<FieldSpecArgs>,
    replicas: Vec<FieldSpecArgs>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct NameReferenceArgs {
    group: String,
    version: String,
    kind: String,
    field_specs: Vec<FieldSpecArgs>,
}

fn specs(list: &[FieldSpecArgs]) -> Arc<Vec<FieldSpec>> {
    Arc::new(list.iter().map(FieldSpec::from).collect())
}

/// Parses a `configurations:` file.
pub(crate) fn parse_configuration(
    text: &str,
    file: &Path,
) -> Result<TransformerConfig, KustomizeError> {
    let invalid = |message: String| KustomizeError::Invalid {
        file: file.to_path_buf(),
        field: "(transformer configuration)".into(),
        message,
    };
    let mut value = super::yaml12::parse_value(text).map_err(|e| invalid(e.to_string()))?;
    strip_nulls(&mut value);
    if value.is_null() {
        return Ok(TransformerConfig::default());
    }
    let c: ConfigFile = serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
    Ok(TransformerConfig {
        name_prefix: specs(&c.name_prefix),
        name_suffix: specs(&c.name_suffix),
        namespace: specs(&c.namespace),
        common_labels: specs(&c.common_labels),
        labels: specs(&c.labels),
        template_labels: specs(&c.template_labels),
        common_annotations: specs(&c.common_annotations),
        name_reference: Arc::new(
            c.name_reference
                .iter()
                .map(|n| NameBackRef {
                    gvk: Gvk {
                        group: n.group.clone(),
                        version: n.version.clone(),
                        kind: n.kind.clone(),
                    },
                    referrers: specs(&n.field_specs).to_vec(),
                })
                .collect(),
        ),
        var_reference: specs(&c.var_reference),
        images: specs(&c.images),
        replicas: specs(&c.replicas),
    })
}

/// The configuration `crds:` contributes; `crds:` and `openapi: {path: …}` are refused.
pub(crate) fn load(_b: &mut Builder<'_>, t: &Target) -> Result<TransformerConfig, KustomizeError> {
    if !t.k.crds.is_empty() {
        return Err(KustomizeError::Unsupported {
            file: t.file.clone(),
            field: "crds".into(),
            what: "crds (OpenAPI definitions for custom types)".into(),
        });
    }
    if t.k.openapi.contains_key("path") {
        return Err(KustomizeError::Unsupported {
            file: t.file.clone(),
            field: "openapi".into(),
            what: "openapi.path (custom schemas for strategic merge)".into(),
        });
    }
    if let Some(version) = t.k.openapi.get("version")
        && version != "v1.21.2"
    {
        return Err(t.site("openapi").invalid(format!(
            "the OpenAPI version {version} is not built in (kustomize v5.5 has v1.21.2)"
        )));
    }
    Ok(TransformerConfig::default())
}
