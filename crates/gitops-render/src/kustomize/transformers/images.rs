//! `images`: new names, tags and digests for container images, in every `containers` and
//! `initContainers` list of an object and along the image field specs.

use regex::Regex;
use serde_json::Value;

use super::failed;
use crate::kustomize::KustomizeError;
use crate::kustomize::fieldspec::{CreateKind, FieldSpec, split_path, walk};
use crate::kustomize::loader::Site;
use crate::kustomize::resource::{Resource, scalar_string};
use crate::kustomize::types::Image;

/// Applies one `images` entry to every resource.
pub(crate) fn apply(
    resources: &mut [Resource],
    image: &Image,
    specs: &[FieldSpec],
    site: Site<'_>,
) -> Result<(), KustomizeError> {
    let pattern = format!(
        "^{}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$",
        image.name
    );
    let matcher = Regex::new(&pattern).map_err(|e| {
        site.invalid(format!(
            "image name {:?} is not a valid pattern: {e}",
            image.name
        ))
    })?;
    let updater = Updater {
        image,
        matcher: &matcher,
    };
    let paths: Vec<Vec<String>> = specs.iter().map(|fs| split_path(&fs.path)).collect();
    for res in resources.iter_mut() {
        if res.kind() == "CustomResourceDefinition" {
            continue;
        }
        legacy_walk(res.value_mut(), &updater).map_err(|m| failed(site, res, m))?;
        let api_version = res.api_version().to_owned();
        let kind = res.kind().to_owned();
        for (fs, path) in specs.iter().zip(&paths) {
            if !fs.selects(&api_version, &kind) {
                continue;
            }
            let mut set = |v: &mut Value| updater.update(v);
            walk(res.value_mut(), path, false, CreateKind::None, &mut set)
                .map_err(|m| failed(site, res, m))?;
        }
    }
    Ok(())
}

/// kustomize's legacy image filter: every `containers`/`initContainers` sequence anywhere.
fn legacy_walk(node: &mut Value, updater: &Updater<'_>) -> Result<(), String> {
    match node {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                legacy_walk(value, updater)?;
                if (key == "containers" || key == "initContainers")
                    && let Value::Array(items) = value
                {
                    for item in items {
                        if let Some(image) = item.get_mut("image") {
                            updater.update(image)?;
                        }
                    }
                }
            }
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(|i| legacy_walk(i, updater)),
        _ => Ok(()),
    }
}

struct Updater<'a> {
    image: &'a Image,
    matcher: &'a Regex,
}

impl Updater<'_> {
    fn update(&self, node: &mut Value) -> Result<(), String> {
        if node.is_array() || node.is_object() {
            return Err("wrong node kind: expected a scalar image".to_owned());
        }
        let Some(value) = scalar_string(node) else {
            return Ok(());
        };
        if !self.matcher.is_match(&value) {
            return Ok(());
        }
        let (name, tag, digest) = split_image(&value);
        let mut name = name.to_owned();
        let mut tag = tag.to_owned();
        let mut digest = digest.to_owned();
        let i = self.image;
        if !i.new_name.is_empty() {
            name = i.new_name.clone();
        }
        if !i.new_tag.is_empty() && !i.digest.is_empty() {
            tag = i.new_tag.clone();
            digest = i.digest.clone();
        } else if !i.new_tag.is_empty() {
            tag = i.new_tag.clone();
            digest.clear();
        } else if !i.digest.is_empty() {
            tag.clear();
            digest = i.digest.clone();
        } else if !i.tag_suffix.is_empty() {
            tag.push_str(&i.tag_suffix);
            digest.clear();
        }
        if !tag.is_empty() {
            name.push(':');
            name.push_str(&tag);
        }
        if !digest.is_empty() {
            name.push('@');
            name.push_str(&digest);
        }
        *node = Value::String(name);
        Ok(())
    }
}

/// kustomize's `image.Split`: name, tag and digest (a registry port is part of the name).
pub(crate) fn split_image(image: &str) -> (&str, &str, &str) {
    let slash = match image.find('/') {
        Some(i) if i > 0 => i,
        _ => 0,
    };
    let search = &image[slash..];
    let at = search.find('@');
    let colon = search.find(':');
    match (at, colon) {
        (None, None) => (image, "", ""),
        (Some(a), c) if c.is_none_or(|c| a < c) => {
            let a = a + slash;
            (&image[..a], "", &image[a + 1..])
        }
        (Some(a), Some(c)) => {
            let (a, c) = (a + slash, c + slash);
            (&image[..c], &image[c + 1..a], &image[a + 1..])
        }
        (None, Some(c)) => {
            let c = c + slash;
            (&image[..c], &image[c + 1..], "")
        }
        (Some(_), None) => (image, "", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split() {
        assert_eq!(split_image("nginx"), ("nginx", "", ""));
        assert_eq!(split_image("nginx:1.2"), ("nginx", "1.2", ""));
        assert_eq!(
            split_image("reg:5000/nginx:1.2"),
            ("reg:5000/nginx", "1.2", "")
        );
        assert_eq!(split_image("nginx@sha256:ab"), ("nginx", "", "sha256:ab"));
        assert_eq!(
            split_image("nginx:1@sha256:ab"),
            ("nginx", "1", "sha256:ab")
        );
    }
}
