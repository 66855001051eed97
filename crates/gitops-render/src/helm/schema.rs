//! `values.schema.json` validation, with the messages Helm's validator
//! (santhosh-tekuri/jsonschema v6) prints.

use serde_json::Value as Json;

/// One violation: where in the values, and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Violation {
    path: Vec<String>,
    message: String,
}

/// Validates `values` against `schema` (the bytes of `values.schema.json`).
#[cfg(test)]
fn validate(values: &Json, schema: &[u8]) -> Result<Option<String>, String> {
    validate_with(values, &compile(schema)?)
}

/// A chart's `values.schema.json`, compiled.
pub(crate) fn compile(schema: &[u8]) -> Result<jsonschema::Validator, String> {
    let schema: Json = serde_json::from_slice(schema).map_err(|e| e.to_string())?;
    jsonschema::options()
        .should_validate_formats(false)
        .build(&schema)
        .map_err(|e| e.to_string())
}

/// Validates `values` against a compiled `values.schema.json`.
///
/// Returns Helm's text for the violations (`- at '/replicas': got string, want integer`
/// lines, grouped under the object they are in), or `None` when the values are valid.
pub(crate) fn validate_with(
    values: &Json,
    validator: &jsonschema::Validator,
) -> Result<Option<String>, String> {
    let mut violations: Vec<Violation> = validator
        .iter_errors(values)
        .map(|e| Violation {
            path: e
                .instance_path()
                .into_iter()
                .map(|seg| match seg {
                    jsonschema::paths::LocationSegment::Property(p) => p.to_string(),
                    jsonschema::paths::LocationSegment::Index(i) => i.to_string(),
                })
                .collect(),
            message: message(e.kind(), e.instance()),
        })
        .collect();
    if violations.is_empty() {
        return Ok(None);
    }
    violations.sort_by(|a, b| a.path.cmp(&b.path));
    violations.dedup();
    let mut out = String::new();
    let tree = group(&violations, 0);
    for node in tree {
        display(&node, 1, &mut out);
    }
    // Helm strips the validator's first line and adds a newline
    Ok(Some(format!("{}\n", out.trim_start_matches('\n'))))
}

/// The error tree santhosh-tekuri's validator builds: errors inside one object are causes
/// of a "validation failed" group at that object when there are several of them.
enum Node<'a> {
    Leaf(&'a Violation),
    Group(Vec<String>, Vec<Node<'a>>),
}

fn group(vs: &[Violation], depth: usize) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < vs.len() {
        let v = &vs[i];
        if v.path.len() <= depth {
            out.push(Node::Leaf(v));
            i += 1;
            continue;
        }
        let key = &v.path[depth];
        let mut j = i;
        while j < vs.len() && vs[j].path.len() > depth && &vs[j].path[depth] == key {
            j += 1;
        }
        let inner = group(&vs[i..j], depth + 1);
        if inner.len() == 1 {
            out.extend(inner);
        } else {
            out.push(Node::Group(v.path[..=depth].to_vec(), inner));
        }
        i = j;
    }
    out
}

fn display(node: &Node<'_>, indent: usize, out: &mut String) {
    out.push('\n');
    for _ in 0..indent.saturating_sub(1) {
        out.push_str("  ");
    }
    out.push_str("- ");
    match node {
        Node::Leaf(v) => {
            out.push_str(&format!("at {}: {}", quote(&pointer(&v.path)), v.message));
        }
        Node::Group(path, children) => {
            out.push_str(&format!("at {}: validation failed", quote(&pointer(path))));
            for c in children {
                display(c, indent + 1, out);
            }
        }
    }
}

fn pointer(path: &[String]) -> String {
    path.iter()
        .map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// santhosh-tekuri's `quote`: Go's `%q` with single quotes.
fn quote(s: &str) -> String {
    let q = serde_json::to_string(s).unwrap_or_default();
    let inner = &q[1..q.len() - 1];
    format!("'{}'", inner.replace("\\\"", "\"").replace('\'', "\\'"))
}

fn json_type(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// A value as santhosh-tekuri's `display` prints it.
fn display_value(v: &Json) -> String {
    match v {
        Json::String(s) => quote(s),
        Json::Array(_) | Json::Object(_) => "value".into(),
        Json::Number(n) => number(n.as_f64().unwrap_or(0.0)),
        other => other.to_string(),
    }
}

/// Go's `%v` of a float64.
fn number(f: f64) -> String {
    gitops_gotemplate::fmt::format_float(f, 'g', -1)
}

fn limit(v: &Json) -> String {
    number(v.as_f64().unwrap_or(0.0))
}

fn message(kind: &jsonschema::error::ValidationErrorKind, instance: &Json) -> String {
    use jsonschema::error::{TypeKind, ValidationErrorKind as K};
    let order = [
        "null", "boolean", "number", "integer", "string", "array", "object",
    ];
    match kind {
        K::Type { kind } => {
            let mut want: Vec<String> = match kind {
                TypeKind::Single(t) => vec![t.to_string()],
                TypeKind::Multiple(ts) => ts.iter().map(|t| t.to_string()).collect(),
            };
            want.sort_by_key(|w| order.iter().position(|o| o == w).unwrap_or(usize::MAX));
            format!("got {}, want {}", json_type(instance), want.join(" or "))
        }
        K::Required { property } => {
            format!(
                "missing property {}",
                quote(property.as_str().unwrap_or_default())
            )
        }
        K::Enum { options } => match options.as_ref() {
            Json::Array(a) if a.iter().all(|x| !x.is_array() && !x.is_object()) => {
                if a.len() == 1 {
                    format!("value must be {}", display_value(&a[0]))
                } else {
                    format!(
                        "value must be one of {}",
                        a.iter().map(display_value).collect::<Vec<_>>().join(", ")
                    )
                }
            }
            _ => "enum failed".into(),
        },
        K::Constant { expected_value } => match expected_value.as_ref() {
            Json::Array(_) | Json::Object(_) => "const failed".into(),
            v => format!("value must be {}", display_value(v)),
        },
        K::AdditionalProperties { unexpected } => format!(
            "additional properties {} not allowed",
            unexpected
                .iter()
                .map(|p| quote(p))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        K::Minimum { limit: l } => format!(
            "minimum: got {}, want {}",
            display_value(instance),
            limit(l)
        ),
        K::Maximum { limit: l } => format!(
            "maximum: got {}, want {}",
            display_value(instance),
            limit(l)
        ),
        K::ExclusiveMinimum { limit: l } => {
            format!(
                "exclusiveMinimum: got {}, want {}",
                display_value(instance),
                limit(l)
            )
        }
        K::ExclusiveMaximum { limit: l } => {
            format!(
                "exclusiveMaximum: got {}, want {}",
                display_value(instance),
                limit(l)
            )
        }
        K::MinLength { limit } => format!(
            "minLength: got {}, want {limit}",
            instance.as_str().map_or(0, |s| s.chars().count())
        ),
        K::MaxLength { limit } => format!(
            "maxLength: got {}, want {limit}",
            instance.as_str().map_or(0, |s| s.chars().count())
        ),
        K::MinItems { limit } => format!(
            "minItems: got {}, want {limit}",
            instance.as_array().map_or(0, Vec::len)
        ),
        K::MaxItems { limit } => format!(
            "maxItems: got {}, want {limit}",
            instance.as_array().map_or(0, Vec::len)
        ),
        K::MinProperties { limit } => format!(
            "minProperties: got {}, want {limit}",
            instance.as_object().map_or(0, serde_json::Map::len)
        ),
        K::MaxProperties { limit } => format!(
            "maxProperties: got {}, want {limit}",
            instance.as_object().map_or(0, serde_json::Map::len)
        ),
        K::Pattern { pattern } => format!(
            "{} does not match pattern {}",
            quote(instance.as_str().unwrap_or_default()),
            quote(pattern)
        ),
        K::MultipleOf { .. } => format!("multipleOf: got {}", display_value(instance)),
        K::UniqueItems => "items are not unique".into(),
        K::AnyOf { .. } => "anyOf failed".into(),
        K::OneOfNotValid { .. } => "oneOf failed, none matched".into(),
        K::OneOfMultipleValid { .. } => "oneOf failed, more than one matched".into(),
        K::Not { .. } => "not failed".into(),
        K::FalseSchema => "false schema".into(),
        K::Contains => "no items match contains schema".into(),
        K::Format { format } => format!("{} is not valid {format}", display_value(instance)),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_style_messages() {
        let schema = br#"{"type":"object","properties":{"replicas":{"type":"integer"},
            "image":{"type":"object","required":["tag"],"properties":{"pull":{"enum":["Always","Never"]}}}},
            "additionalProperties":false}"#;
        let ok = serde_json::json!({"replicas": 3.0, "image": {"tag": "x"}});
        assert_eq!(validate(&ok, schema).unwrap(), None);
        let bad = serde_json::json!({"replicas": "3", "image": {"pull": "Sometimes"}, "extra": 1});
        assert_eq!(
            validate(&bad, schema).unwrap().unwrap(),
            "- at '': additional properties 'extra' not allowed\n\
             - at '/image': validation failed\n  \
             - at '/image': missing property 'tag'\n  \
             - at '/image/pull': value must be one of 'Always', 'Never'\n\
             - at '/replicas': got string, want integer\n"
        );
    }
}
