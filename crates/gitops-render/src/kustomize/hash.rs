//! The content-hash name suffix of generated ConfigMaps and Secrets, computed exactly as
//! kustomize does: SHA-256 over Go's JSON encoding of `{data, kind, name: ""}` (plus `type`
//! for Secrets, and `binaryData`/`stringData` when they are mappings), then the first ten hex
//! digits with `0 1 3 a e` replaced by `g h k m t`.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::KustomizeError;
use super::loader::Site;
use super::resource::Resource;

/// kustomize's `HashTransformer`: appends `-<hash>` to every resource that asks for it.
pub(crate) fn add_hashes(resources: &mut [Resource], site: Site<'_>) -> Result<(), KustomizeError> {
    for res in resources.iter_mut().filter(|r| r.build.needs_hash) {
        let hash = hash(res.value()).map_err(|message| KustomizeError::Transform {
            file: site.file.to_path_buf(),
            field: "(hash suffix)".into(),
            resource: res.cur_id().to_string(),
            message,
        })?;
        res.store_previous_id();
        let name = format!("{}-{hash}", res.name());
        res.set_name(&name);
    }
    Ok(())
}

/// The hash of a ConfigMap, a Secret or (for other kinds) the whole object.
pub(crate) fn hash(obj: &Value) -> Result<String, String> {
    let encoded = match obj["kind"].as_str() {
        Some("ConfigMap") => encode(
            obj,
            "ConfigMap",
            &[("data", false), ("binaryData", true)],
            false,
        ),
        Some("Secret") => encode(
            obj,
            "Secret",
            &[("data", false), ("stringData", true)],
            true,
        ),
        _ => {
            let mut out = String::new();
            go_json(obj, &mut out);
            out
        }
    };
    Ok(encode_hex(&hex_sha256(&encoded)))
}

/// `{"binaryData":…,"data":…,"kind":…,"name":"","type":…}` with Go's key order (sorted).
/// `optional` fields appear only when they are mappings; missing ones encode as `""`.
fn encode(obj: &Value, kind: &str, fields: &[(&str, bool)], with_type: bool) -> String {
    let mut entries: Vec<(&str, String)> = Vec::new();
    for (field, optional) in fields {
        let value = &obj[*field];
        let mut text = String::new();
        match value {
            Value::Object(_) => go_json(value, &mut text),
            _ if *optional => continue,
            Value::Null => text.push_str("\"\""),
            other => go_json_string(&scalar_text(other), &mut text),
        }
        entries.push((field, text));
    }
    let mut kind_text = String::new();
    go_json_string(kind, &mut kind_text);
    entries.push(("kind", kind_text));
    // kustomize looks the name up at the path "metadata/name" as one field name, which never
    // exists: the name always encodes as "".
    entries.push(("name", "\"\"".to_owned()));
    if with_type {
        let mut text = String::new();
        match &obj["type"] {
            Value::Null => text.push_str("\"\""),
            Value::Object(_) | Value::Array(_) => go_json(&obj["type"], &mut text),
            other => go_json_string(&scalar_text(other), &mut text),
        }
        entries.push(("type", text));
    }
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::from("{");
    for (i, (key, text)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        go_json_string(key, &mut out);
        out.push(':');
        out.push_str(text);
    }
    out.push('}');
    out
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Go's `json.Marshal`: sorted keys, HTML-safe string escapes.
fn go_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            out.push('{');
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_string(key, out);
                out.push(':');
                go_json(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(item, out);
            }
            out.push(']');
        }
        Value::String(s) => go_json_string(s, out),
        other => out.push_str(&other.to_string()),
    }
}

/// A string as Go's `encoding/json` writes it (escaping `<`, `>`, `&`, U+2028 and U+2029).
pub(crate) fn go_json_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let n = c as u32;
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(HEX[((n >> shift) & 0xf) as usize] as char);
                }
            }
            c if (c as u32) < 0x20 => {
                let n = c as u32;
                out.push_str("\\u00");
                out.push(HEX[((n >> 4) & 0xf) as usize] as char);
                out.push(HEX[(n & 0xf) as usize] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn hex_sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

fn encode_hex(hex: &str) -> String {
    hex.chars()
        .take(10)
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Verified against `kubectl kustomize` (kustomize v5.5.0).
    #[test]
    fn matches_kustomize() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"},
            "data": {"a": "1", "b": "x<y&z"}});
        assert_eq!(hash(&cm).unwrap(), "m5h7c9h5m5");
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "type": "Opaque", "data": {"a": "MQ=="}});
        assert_eq!(hash(&secret).unwrap(), "25khgmg44c");
    }
}
