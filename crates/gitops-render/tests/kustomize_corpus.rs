//! Conformance with `kubectl kustomize` on the shared corpus: every Kustomize case and the
//! Kustomize layers of the GitOps repositories, compared with the oracle's `expected` output
//! as parsed documents (and, as the stretch goal, byte for byte).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::corpus;

#[test]
fn corpus_conformance() {
    let Some(dir) = corpus::dir() else {
        println!("skipped: the shared corpus (../shared/corpus) is not present");
        return;
    };
    let entries = corpus::entries(&dir);
    assert!(
        !entries.is_empty(),
        "no Kustomize entries in {}",
        dir.display()
    );
    let (mut parsed_ok, mut bytes_ok) = (0, 0);
    let mut failures = Vec::new();
    for entry in &entries {
        let expected_text = std::fs::read_to_string(entry.case_dir.join(&entry.expected)).unwrap();
        let expected = common::parse_stream(&expected_text);
        let input = entry.case_dir.join("input");
        let (result, yaml) = match &entry.flux {
            None => {
                let path = entry.path.strip_prefix("input/").unwrap_or(&entry.path);
                (
                    common::render(&input, Path::new(path)),
                    common::render_yaml(&input, Path::new(path)),
                )
            }
            Some((root, path, kustomization)) => {
                let root_src = entry.case_dir.join(root);
                let (_tmp, root) = common::flux::prepare(&root_src, path, kustomization.as_ref());
                (
                    common::render(&root, Path::new(path)),
                    common::render_yaml(&root, Path::new(path)),
                )
            }
        };
        match result {
            Err(e) => failures.push(format!("{}: error: {e}", entry.id)),
            Ok(docs) => match common::first_difference(&expected, &docs) {
                Some(diff) => failures.push(format!("{}: {diff}", entry.id)),
                None => {
                    parsed_ok += 1;
                    if yaml.as_deref() == Ok(expected_text.as_str()) {
                        bytes_ok += 1;
                    } else {
                        println!("{}: parsed-equal, bytes differ", entry.id);
                    }
                }
            },
        }
    }
    println!(
        "kustomize corpus: {parsed_ok}/{} parsed-equal, {bytes_ok}/{} byte-identical",
        entries.len(),
        entries.len()
    );
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}
