//! `configMapGenerator` and `secretGenerator`: ConfigMaps and Secrets from literals, files and
//! env files, with kustomize's behaviours (create, merge, replace) and options.

use base64::Engine as _;
use serde_json::{Map, Value};

use super::KustomizeError;
use super::build::{Accumulator, Builder, Target, add_error};
use super::loader::Site;
use super::resource::{Behavior, Resource};
use super::types::{GeneratorArgs, GeneratorOptions};

/// Which generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    ConfigMap,
    Secret,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::ConfigMap => "ConfigMap",
            Kind::Secret => "Secret",
        }
    }
}

/// Runs the kustomization's generators, merging their output into `ra`.
pub(crate) fn run(
    b: &mut Builder<'_>,
    t: &Target,
    ra: &mut Accumulator,
) -> Result<(), KustomizeError> {
    let global = t.k.generator_options.as_ref();
    let lists = [
        (
            Kind::ConfigMap,
            &t.k.config_map_generator,
            "configMapGenerator",
        ),
        (Kind::Secret, &t.k.secret_generator, "secretGenerator"),
    ];
    for (kind, list, name) in lists {
        for (i, args) in list.iter().enumerate() {
            let field = format!("{name}[{i}]");
            let site = t.site(&field);
            let options = GeneratorOptions::merged(args.options.as_ref(), global);
            let res = generate(b, t, kind, args, options.as_ref(), site)?;
            ra.resmap.absorb(res).map_err(|e| add_error(site, &e))?;
        }
    }
    Ok(())
}

/// Makes one ConfigMap or Secret.
pub(crate) fn generate(
    b: &mut Builder<'_>,
    t: &Target,
    kind: Kind,
    args: &GeneratorArgs,
    options: Option<&GeneratorOptions>,
    site: Site<'_>,
) -> Result<Resource, KustomizeError> {
    if args.name.is_empty() {
        return Err(site.invalid(format!("a {} must have a name", kind.name().to_lowercase())));
    }
    let pairs = load_pairs(b, t, args, site)?;
    let mut obj = Map::new();
    obj.insert("apiVersion".into(), Value::String("v1".into()));
    obj.insert("kind".into(), Value::String(kind.name().into()));
    let mut meta = Map::new();
    meta.insert("name".into(), Value::String(args.name.clone()));
    if !args.namespace.is_empty() {
        meta.insert("namespace".into(), Value::String(args.namespace.clone()));
    }
    if let Some(options) = options {
        for (field, map) in [
            ("labels", &options.labels),
            ("annotations", &options.annotations),
        ] {
            if let Some(map) = map.as_ref().filter(|m| !m.is_empty()) {
                let m = map
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                meta.insert(field.into(), Value::Object(m));
            }
        }
    }
    obj.insert("metadata".into(), Value::Object(meta));
    match kind {
        Kind::ConfigMap => {
            let mut data = Map::new();
            let mut binary = Map::new();
            for (key, value) in pairs {
                match String::from_utf8(value) {
                    Ok(text) => data.insert(key, Value::String(text)),
                    Err(e) => binary.insert(key, Value::String(base64(e.as_bytes()))),
                };
            }
            if !data.is_empty() {
                obj.insert("data".into(), Value::Object(data));
            }
            if !binary.is_empty() {
                obj.insert("binaryData".into(), Value::Object(binary));
            }
        }
        Kind::Secret => {
            let type_ = if args.type_.is_empty() {
                "Opaque"
            } else {
                &args.type_
            };
            obj.insert("type".into(), Value::String(type_.into()));
            let data = pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(base64(&v))))
                .collect();
            obj.insert("data".into(), Value::Object(data));
        }
    }
    if options.is_some_and(|o| o.immutable) {
        obj.insert("immutable".into(), Value::Bool(true));
    }
    let mut res = Resource::new(obj, t.origin());
    res.build.needs_hash = !options.is_some_and(|o| o.disable_name_suffix_hash);
    res.build.behavior = Some(match args.behavior.as_str() {
        "merge" => Behavior::Merge,
        "replace" => Behavior::Replace,
        _ => Behavior::Create,
    });
    Ok(res)
}

/// kyaml's `encodeBase64`: lines of 70 characters, each ending in a line break, once the
/// text is 70 characters or longer.
fn base64(bytes: &[u8]) -> String {
    const LINE: usize = 70;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    if encoded.len() < LINE {
        return encoded;
    }
    let mut out = String::with_capacity(encoded.len() + encoded.len() / LINE + 1);
    for chunk in encoded.as_bytes().chunks(LINE) {
        // Base64 is ASCII: every chunk is text.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// The key/value pairs of a generator: env files, then literals, then files.
fn load_pairs(
    b: &mut Builder<'_>,
    t: &Target,
    args: &GeneratorArgs,
    site: Site<'_>,
) -> Result<Vec<(String, Vec<u8>)>, KustomizeError> {
    let mut pairs: Vec<(String, Vec<u8>)> = Vec::new();
    for path in &args.envs {
        let file = b.files.resolve_file(&t.dir, path, site)?;
        let bytes = b.files.read_bytes(&file)?;
        for (key, value) in env_pairs(&bytes).map_err(|m| site.invalid(format!("{path}: {m}")))? {
            pairs.push((key, value.into_bytes()));
        }
    }
    for literal in &args.literals {
        let (key, value) = literal_pair(literal).map_err(|m| site.invalid(m))?;
        pairs.push((key, value.into_bytes()));
    }
    for source in &args.files {
        let (key, path) = file_source(source).map_err(|m| site.invalid(m))?;
        let file = b.files.resolve_file(&t.dir, &path, site)?;
        pairs.push((key, b.files.read_bytes(&file)?));
    }
    let mut seen = std::collections::HashSet::new();
    for (key, _) in &pairs {
        if !seen.insert(key.as_str()) {
            return Err(site.invalid(format!("{} illegally repeats the key `{key}`", args.name)));
        }
    }
    Ok(pairs)
}

/// `key=value`, with one pair of matching quotes around the value removed.
pub(crate) fn literal_pair(source: &str) -> Result<(String, String), String> {
    match source.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), remove_quotes(value))),
        _ => Err(format!(
            "invalid literal source {source}, expected key=value"
        )),
    }
}

fn remove_quotes(s: &str) -> String {
    let bytes = s.as_bytes();
    if bytes.len() >= 2
        && bytes[0] == bytes[bytes.len() - 1]
        && (bytes[0] == b'"' || bytes[0] == b'\'')
    {
        s[1..s.len() - 1].to_owned()
    } else {
        s.to_owned()
    }
}

/// `path` (the key is the file name) or `key=path`.
pub(crate) fn file_source(source: &str) -> Result<(String, String), String> {
    match source.matches('=').count() {
        0 => {
            let key = source.rsplit('/').next().unwrap_or(source);
            Ok((key.to_owned(), source.to_owned()))
        }
        1 => match source.split_once('=') {
            Some(("", path)) => Err(format!(
                "missing key name for file path {path:?} in source {source:?}"
            )),
            Some((key, "")) => Err(format!(
                "missing file path for key name {key:?} in source {source:?}"
            )),
            Some((key, path)) => Ok((key.to_owned(), path.to_owned())),
            None => Err(format!("invalid file source {source:?}")),
        },
        _ => Err(format!(
            "source {source:?} key name or file path contains '='"
        )),
    }
}

/// The pairs of an env file: `KEY=value` lines; blank lines and `#` comments skipped.
pub(crate) fn env_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = std::str::from_utf8(line)
            .map_err(|_| format!("line {} has invalid utf8 bytes", n + 1))?;
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        out.push((key.to_owned(), value.to_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources() {
        assert_eq!(
            literal_pair("a=\"b c\"").unwrap(),
            ("a".into(), "b c".into())
        );
        assert_eq!(literal_pair("a=x=y").unwrap(), ("a".into(), "x=y".into()));
        assert!(literal_pair("=x").is_err());
        assert!(literal_pair("novalue").is_err());
        assert_eq!(
            file_source("dir/app.conf").unwrap(),
            ("app.conf".into(), "dir/app.conf".into())
        );
        assert_eq!(
            file_source("k=dir/app.conf").unwrap(),
            ("k".into(), "dir/app.conf".into())
        );
        assert!(file_source("=x").is_err());
        assert!(file_source("a=b=c").is_err());
    }

    #[test]
    fn env_files() {
        let pairs = env_pairs(b"\xEF\xBB\xBFA=1\r\n# comment\n\n  B=x=y\nC\n").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "x=y".into()),
                ("C".into(), String::new())
            ]
        );
    }
}
