//! `gitops diff`: desired state against the cluster, or a pull request's two revisions.

use gitops_core::cluster::Cluster;
use gitops_core::diff::{Change, ChangeSet, Differ, compare_sets};
use gitops_core::inventory::{Inventory, applyset_id};
use gitops_core::sync::label_member;
use gitops_core::{Object, Renderer, Source};
use gitops_source::{AnySource, GitRef};

use crate::args::{DiffArgs, Format, Global};
use crate::exit::{self, Failure};
use crate::output;

pub async fn run(global: &Global, args: DiffArgs) -> Result<u8, Failure> {
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| crate::source::default_name(&args.source));
    let (title, changes, notes) = match (&args.base, &args.head) {
        (Some(base), Some(head)) if !args.cluster => {
            super::no_lookup_without_cluster(&args.source)?;
            let before = render_at(global, &args, &name, base, None).await?;
            let after = render_at(global, &args, &name, head, None).await?;
            let (changes, notes) = pair_generated(compare_sets(&before, &after));
            (format!("`{base}` → `{head}`"), changes, notes)
        }
        (_, head) => {
            let options = gitops_apply::BackendOptions {
                field_manager: args.field_manager.clone(),
                ..gitops_apply::BackendOptions::default()
            };
            let target = crate::cluster::connect(global, options).await?;
            let result = async {
                let cluster = Some(&target.cluster);
                let objects = match head {
                    Some(head) => render_at(global, &args, &name, head, cluster).await?,
                    None => {
                        super::fetch_and_render(global, &args.source, Some(&name), cluster)
                            .await?
                            .1
                            .objects
                    }
                };
                against_cluster(global, &target, &name, objects).await
            }
            .await;
            target.close().await;
            (format!("`{name}` against the cluster"), result?, Vec::new())
        }
    };
    let text = match global.output {
        Some(Format::Markdown) => output::changes_markdown(&title, &changes, &notes),
        Some(Format::Json) => output::json(&changes)?,
        Some(Format::Yaml) => output::yaml(&changes)?,
        Some(Format::Text) | None => {
            let mut text = output::changes_text(&changes, super::style(global), true);
            for note in &notes {
                text.push_str(note);
                text.push('\n');
            }
            text
        }
    };
    output::print(&text)?;
    Ok(if changes.is_noop() {
        exit::OK
    } else {
        exit::FAILED
    })
}

/// A revision given on the command line: `kind:value`, a commit SHA, else a branch.
fn parse_ref(text: &str) -> Result<GitRef, Failure> {
    if text.contains(':') || text == "HEAD" {
        return text.parse().map_err(Failure::bad_input);
    }
    let hex = text.len() >= 7 && text.len() <= 40 && text.bytes().all(|b| b.is_ascii_hexdigit());
    if hex {
        GitRef::commit(text).map_err(Failure::bad_input)
    } else {
        Ok(GitRef::branch(text))
    }
}

async fn render_at(
    global: &Global,
    args: &DiffArgs,
    name: &str,
    revision: &str,
    cluster: Option<&gitops_apply::KubeCluster>,
) -> Result<Vec<Object>, Failure> {
    let url = args.source.git.as_deref().unwrap_or_default();
    let options = crate::source::git_options(&args.source, url, parse_ref(revision)?);
    let source = AnySource::git(options).map_err(Failure::bad_input)?;
    let artifact = source.fetch().await.map_err(super::classified)?;
    let rendered = super::renderer(global, &args.source, Some(name), cluster)
        .render(&artifact)
        .await
        .map_err(Failure::bad_input)?;
    Ok(rendered.objects)
}

async fn against_cluster(
    global: &Global,
    target: &crate::cluster::Target,
    name: &str,
    objects: Vec<Object>,
) -> Result<ChangeSet, Failure> {
    let namespace = target.namespace(global);
    let cluster = &target.cluster;
    let prepared = cluster.prepare(objects).await.map_err(super::classified)?;
    // Hooks that do not run during a sync (Helm tests, say) are not desired state.
    let plan =
        gitops_core::plan::plan(&prepared, &Default::default()).map_err(Failure::bad_input)?;
    let skipped: Vec<&gitops_core::ObjectRef> = plan.skipped().iter().map(|s| &s.object).collect();
    let inventory = cluster
        .load_inventory(name, &namespace)
        .await
        .map_err(super::classified)?
        .unwrap_or_else(|| Inventory::new(name, &namespace));
    let id = applyset_id(name, &namespace);
    let desired: Vec<Object> = prepared
        .iter()
        .filter(|o| !o.has_generated_name() && !skipped.contains(&o.reference()))
        .map(|o| label_member(o, &id))
        .collect();
    Differ::diff(cluster, &desired, &inventory)
        .await
        .map_err(super::classified)
}

/// A name ending in kustomize's 10-character content hash, e.g. `settings-7c4k2m6b9f`.
fn generated_stem(name: &str) -> Option<&str> {
    let (stem, hash) = name.rsplit_once('-')?;
    (hash.len() == 10
        && hash
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
    .then_some(stem)
}

/// Pairs a deleted and a created object whose names differ only by a generator hash: one
/// renamed object whose content changed, not two unrelated changes.
fn pair_generated(changes: ChangeSet) -> (ChangeSet, Vec<String>) {
    let mut entries = changes.entries;
    let mut notes = Vec::new();
    let mut i = 0;
    while i < entries.len() {
        if !matches!(entries[i].change, Change::Create) {
            i += 1;
            continue;
        }
        let created = entries[i].object.clone();
        let partner = generated_stem(&created.name).and_then(|stem| {
            entries.iter().position(|e| {
                matches!(e.change, Change::Delete)
                    && e.object.kind == created.kind
                    && e.object.group == created.group
                    && e.object.namespace == created.namespace
                    && generated_stem(&e.object.name) == Some(stem)
            })
        });
        if let Some(j) = partner {
            let deleted = entries.remove(j);
            let index = if j < i { i - 1 } else { i };
            let entry = &mut entries[index];
            if let (Some(before), Some(after)) = (&deleted.live, &entry.desired) {
                let paired = compare_sets(
                    std::slice::from_ref(before),
                    std::slice::from_ref(&renamed(after, &deleted.object.name)),
                );
                entry.change = match paired.entries.into_iter().next().map(|e| e.change) {
                    Some(Change::Update { fields }) => Change::Update { fields },
                    _ => Change::Unchanged,
                };
                entry.live = Some(before.clone());
            }
            notes.push(format!(
                "{} was {} (a generated name: its content changed)",
                created, deleted.object.name
            ));
            i = index + 1;
        } else {
            i += 1;
        }
    }
    (ChangeSet { entries }, notes)
}

fn renamed(object: &Object, name: &str) -> Object {
    object
        .edit(|m| m["metadata"]["name"] = serde_json::Value::String(name.to_owned()))
        .unwrap_or_else(|_| object.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems() {
        assert_eq!(generated_stem("settings-7c4k2m6b9f"), Some("settings"));
        assert_eq!(generated_stem("settings"), None);
        assert_eq!(generated_stem("web-frontend"), None);
    }

    #[test]
    fn refs() {
        assert!(matches!(parse_ref("main").unwrap(), GitRef::Branch(_)));
        assert!(matches!(
            parse_ref("abc1234").unwrap(),
            GitRef::Commit { .. }
        ));
        assert!(matches!(parse_ref("tag:v1").unwrap(), GitRef::Tag(_)));
    }
}
