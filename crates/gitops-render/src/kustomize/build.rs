//! The build of one kustomization directory, in kustomize's order: resources, transformer
//! configurations, generators, components, transformers; at the root, hash suffixes, name
//! references, vars, local-config removal and sorting.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use super::config::TransformerConfig;
use super::loader::{Dir, Entry, FileRef, Files, Site};
use super::resmap::{AddError, ResMap};
use super::resource::Resource;
use super::types::{Kustomization, Var};
use super::{
    KustomizeError, KustomizeOptions, generators, helm_charts, manifests, plugins, transformers,
};

/// What a build accumulates: resources, the transformer configuration and vars.
#[derive(Debug, Default)]
pub(crate) struct Accumulator {
    pub resmap: ResMap,
    pub config: TransformerConfig,
    pub vars: Vec<Var>,
}

impl Accumulator {
    /// kustomize's `MergeAccumulator`.
    fn merge(&mut self, other: Accumulator, site: Site<'_>) -> Result<(), KustomizeError> {
        let Accumulator {
            mut resmap,
            config,
            vars,
        } = other;
        self.resmap
            .append_all(resmap.take())
            .map_err(|e| add_error(site, &e))?;
        self.merge_config(&config, site)?;
        for var in vars {
            merge_var(&mut self.vars, var, site)?;
        }
        Ok(())
    }

    fn merge_config(
        &mut self,
        config: &TransformerConfig,
        site: Site<'_>,
    ) -> Result<(), KustomizeError> {
        self.config
            .merge(config)
            .map_err(|message| site.invalid(message))
    }
}

/// kustomize's `VarSet.Merge`: a var name may be defined once per build.
fn merge_var(vars: &mut Vec<Var>, var: Var, site: Site<'_>) -> Result<(), KustomizeError> {
    if vars.iter().any(|v| v.name == var.name) {
        return Err(site.invalid(format!("var {:?} already encountered", var.name)));
    }
    vars.push(var);
    Ok(())
}

use super::vars;

/// A kustomization being built.
pub(crate) struct Target {
    pub dir: Dir,
    /// The kustomization file, as shown to people.
    pub file: PathBuf,
    pub k: Kustomization,
    /// The directories of this kustomization and those that refer to it: symlinks resolved,
    /// and as shown to people.
    chain: Vec<(PathBuf, PathBuf)>,
}

impl Target {
    /// A [`Site`] for a field of this kustomization.
    pub(crate) fn site<'a>(&'a self, field: &'a str) -> Site<'a> {
        Site {
            file: &self.file,
            field,
        }
    }

    /// The origin recorded on generated resources.
    pub(crate) fn origin(&self) -> gitops_core::Origin {
        gitops_core::Origin {
            file: Arc::from(self.file.to_string_lossy().as_ref()),
            document: 1,
            line: None,
        }
    }
}

/// Turns an [`AddError`] into a [`KustomizeError`] at a site.
pub(crate) fn add_error(site: Site<'_>, e: &AddError) -> KustomizeError {
    match e {
        AddError::Duplicate(id) => KustomizeError::Duplicate {
            file: site.file.to_path_buf(),
            field: site.field.to_owned(),
            id: id.to_string(),
        },
        other => site.invalid(other.to_string()),
    }
}

/// One build: file access and options.
pub(crate) struct Builder<'a> {
    pub files: Files<'a>,
    pub options: &'a KustomizeOptions,
    /// How `helmCharts` fetch charts.
    pub helm_fetch: &'a crate::helm::FetchOptions,
}

/// The result of building the root kustomization.
pub(crate) struct Built {
    pub resources: Vec<Resource>,
}

impl Builder<'_> {
    /// Builds the kustomization in `dir`: kustomize's `MakeCustomizedResMap` plus the final
    /// steps of `kustomize build`.
    pub(crate) fn build_root(&mut self, dir: Dir) -> Result<Built, KustomizeError> {
        let target = self.load_target(dir, &[], None)?;
        if target.k.is_component() {
            return Err(target.site("kind").invalid(
                "a Component cannot be built on its own; refer to it from a Kustomization",
            ));
        }
        let mut ra = Accumulator::default();
        self.accumulate_target(&target, &mut ra)?;
        let site = target.site("(build)");
        super::hash::add_hashes(ra.resmap.resources_mut(), site)?;
        let backrefs = ra.config.name_reference.clone();
        super::nameref::fix(ra.resmap.resources_mut(), &backrefs, site)?;
        let var_specs = ra.config.var_reference.clone();
        vars::resolve(
            ra.resmap.resources_mut(),
            &ra.vars,
            &var_specs,
            target.site("vars"),
        )?;
        let mut resources = ra.resmap.take();
        resources.retain(|r| !is_local_config(r));
        super::sort::apply(
            &mut resources,
            target.k.sort_options.as_ref(),
            target.site("sortOptions"),
        )?;
        if target
            .k
            .build_metadata
            .iter()
            .any(|o| o == "managedByLabel")
        {
            transformers::labels::add_managed_by(&mut resources, target.site("buildMetadata"))?;
        }
        for res in &mut resources {
            remove_build_annotations(res);
        }
        Ok(Built { resources })
    }

    /// Loads and parses the kustomization of `dir`.
    fn load_target(
        &mut self,
        dir: Dir,
        chain: &[(PathBuf, PathBuf)],
        site: Option<Site<'_>>,
    ) -> Result<Target, KustomizeError> {
        let Some(kfile) = self.files.kustomization_file(&dir)? else {
            let shown = self.files.display_dir(&dir);
            return Err(match site {
                Some(site) => site.invalid(format!(
                    "{}: not a kustomization directory (no kustomization.yaml, \
                     kustomization.yml or Kustomization)",
                    shown.display()
                )),
                None => KustomizeError::NoKustomization { dir: shown },
            });
        };
        let file = self.files.display_file(&kfile);
        let text = self.files.read(&kfile)?;
        let k = Kustomization::parse(&text, &file)?;
        let mut chain = chain.to_vec();
        chain.push((
            self.files.canonical_dir(&dir)?,
            self.files.display_dir(&dir),
        ));
        Ok(Target {
            dir,
            file,
            k,
            chain,
        })
    }

    /// kustomize's `accumulateTarget`: `ra` is empty for a Kustomization, the parent's for a
    /// Component.
    pub(crate) fn accumulate_target(
        &mut self,
        t: &Target,
        ra: &mut Accumulator,
    ) -> Result<(), KustomizeError> {
        self.check_unsupported(t)?;
        for (i, path) in t.k.resources.iter().enumerate() {
            let field = format!("resources[{i}]");
            self.accumulate_resource(t, ra, path, &field, &mut |_| Ok(()))?;
        }
        let config = self.load_configurations(t)?;
        ra.merge_config(&config, t.site("configurations"))?;
        let crd_config = super::crds::load(self, t)?;
        ra.merge_config(&crd_config, t.site("crds"))?;
        generators::run(self, t, ra)?;
        helm_charts::run(self, t, ra)?;
        plugins::run_generators(self, t, ra)?;
        for (i, path) in t.k.components.iter().enumerate() {
            let field = format!("components[{i}]");
            self.accumulate_component(t, ra, path, &field)?;
        }
        transformers::run_builtin(self, t, ra)?;
        plugins::run_transformers(self, t, ra)?;
        for var in &t.k.vars {
            vars::mark_target(ra.resmap.resources_mut(), var, t.site("vars"))?;
            merge_var(&mut ra.vars, var.clone(), t.site("vars"))?;
        }
        Ok(())
    }

    fn check_unsupported(&self, t: &Target) -> Result<(), KustomizeError> {
        let unsupported = |field: &str, what: &str| KustomizeError::Unsupported {
            file: t.file.clone(),
            field: field.to_owned(),
            what: what.to_owned(),
        };
        if !t.k.validators.is_empty() {
            return Err(unsupported("validators", "validators (external plugins)"));
        }
        for option in ["originAnnotations", "transformerAnnotations"] {
            if t.k.build_metadata.iter().any(|o| o == option) {
                return Err(unsupported("buildMetadata", option));
            }
        }
        Ok(())
    }

    /// One entry of `resources` (or of `generators`/`transformers`): a file, a directory
    /// holding a kustomization, or a remote target. Files go through `each` first.
    pub(crate) fn accumulate_resource(
        &mut self,
        t: &Target,
        ra: &mut Accumulator,
        path: &str,
        field: &str,
        each: &mut dyn FnMut(&mut Resource) -> Result<(), KustomizeError>,
    ) -> Result<(), KustomizeError> {
        let site = t.site(field);
        let remote = Files::is_remote(path);
        let entry = if remote {
            self.files.remote(path, site)?
        } else {
            self.files.resolve(&t.dir, path, site)?
        };
        let dir = match entry {
            Entry::File(file) => {
                if !remote {
                    self.files.check_restrictor(&t.dir, &file, site)?;
                }
                let mut resources = self.load_manifests(&file, site)?;
                for res in &mut resources {
                    each(res)?;
                }
                return ra
                    .resmap
                    .append_all(resources)
                    .map_err(|e| add_error(site, &e));
            }
            Entry::Dir(dir) => dir,
        };
        let sub = self.enter(t, dir, site)?;
        if sub.k.is_component() {
            return Err(site.invalid(format!(
                "{} is a Component: list it under components, not {field}",
                sub.file.display()
            )));
        }
        let mut sub_ra = Accumulator::default();
        self.accumulate_target(&sub, &mut sub_ra)?;
        ra.merge(sub_ra, site)
    }

    /// Loads the kustomization of a directory referred to from `t`, checking for cycles.
    fn enter(&mut self, t: &Target, dir: Dir, site: Site<'_>) -> Result<Target, KustomizeError> {
        let canonical = self.files.canonical_dir(&dir)?;
        if let Some((_, visited)) = t.chain.iter().find(|(v, _)| v.starts_with(&canonical)) {
            return Err(KustomizeError::Cycle {
                file: site.file.to_path_buf(),
                field: site.field.to_owned(),
                path: self.files.display_dir(&dir),
                visited: visited.clone(),
            });
        }
        self.load_target(dir, &t.chain, Some(site))
    }

    fn accumulate_component(
        &mut self,
        t: &Target,
        ra: &mut Accumulator,
        path: &str,
        field: &str,
    ) -> Result<(), KustomizeError> {
        let site = t.site(field);
        let entry = if Files::is_remote(path) {
            self.files.remote(path, site)?
        } else {
            self.files.resolve(&t.dir, path, site)?
        };
        let dir = match entry {
            Entry::Dir(dir) => dir,
            Entry::File(file) => {
                return Err(site.invalid(format!(
                    "{}: a component must be a directory",
                    self.files.display_file(&file).display()
                )));
            }
        };
        let sub = self.enter(t, dir, site)?;
        if !sub.k.is_component() {
            return Err(site.invalid(format!(
                "{}: expected kind Component, found {}",
                sub.file.display(),
                sub.k.kind
            )));
        }
        self.accumulate_target(&sub, ra)
    }

    /// Reads a file of manifests.
    pub(crate) fn load_manifests(
        &mut self,
        file: &FileRef,
        site: Site<'_>,
    ) -> Result<Vec<Resource>, KustomizeError> {
        let text = self.files.read(file)?;
        let name = self.files.file_name(file);
        manifests::parse(&text, &name).map_err(|source| KustomizeError::Manifest {
            file: site.file.to_path_buf(),
            field: site.field.to_owned(),
            source,
        })
    }

    /// `configurations:`: transformer configuration files.
    fn load_configurations(&mut self, t: &Target) -> Result<TransformerConfig, KustomizeError> {
        let mut config = TransformerConfig::builtin();
        for (i, path) in t.k.configurations.iter().enumerate() {
            let field = format!("configurations[{i}]");
            let site = t.site(&field);
            let file = self.files.resolve_file(&t.dir, path, site)?;
            let text = self.files.read(&file)?;
            let shown = self.files.display_file(&file);
            let extra = super::crds::parse_configuration(&text, &shown)?;
            config
                .merge(&extra)
                .map_err(|message| site.invalid(message))?;
        }
        Ok(config)
    }
}

/// kustomize drops objects annotated `config.kubernetes.io/local-config` (unless `"false"`).
fn is_local_config(res: &Resource) -> bool {
    match &res.value()["metadata"]["annotations"]["config.kubernetes.io/local-config"] {
        Value::Null => false,
        Value::String(s) => s != "false",
        Value::Bool(b) => *b,
        _ => true,
    }
}

/// The annotations kustomize uses while it works and removes at the end.
const BUILD_ANNOTATIONS: &[&str] = &[
    "internal.config.kubernetes.io/previousKinds",
    "internal.config.kubernetes.io/previousNames",
    "internal.config.kubernetes.io/prefixes",
    "internal.config.kubernetes.io/suffixes",
    "internal.config.kubernetes.io/previousNamespaces",
    "internal.config.kubernetes.io/allowNameChange",
    "internal.config.kubernetes.io/allowKindChange",
    "internal.config.kubernetes.io/refBy",
    "internal.config.kubernetes.io/generatorBehavior",
    "internal.config.kubernetes.io/needsHashSuffix",
    "internal.config.kubernetes.io/path",
    "internal.config.kubernetes.io/index",
    "internal.config.kubernetes.io/seqindent",
    "internal.config.kubernetes.io/id",
    "internal.config.kubernetes.io/annotations-migration-resource-id",
    "config.kubernetes.io/path",
    "config.kubernetes.io/index",
    "config.k8s.io/id",
];

/// Whether the JSON pointer `p` is `/metadata/annotations/<key>`.
fn is_annotation_pointer(p: &str, key: &str) -> bool {
    p.strip_prefix("/metadata/annotations/")
        .is_some_and(|k| k.replace("~1", "/").replace("~0", "~") == key)
}

/// kustomize's `RemoveBuildAnnotations`, then its `RemoveOriginAnnotations`, which writes
/// every object's annotations back: an empty or null map disappears, values become strings.
pub(crate) fn remove_build_annotations(res: &mut Resource) {
    let empties = std::mem::take(&mut res.build.empty_values);
    let Some(meta) = res
        .obj_mut()
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if meta.get("annotations").is_some_and(Value::is_null) {
        meta.remove("annotations");
        return;
    }
    let Some(Value::Object(annotations)) = meta.get_mut("annotations") else {
        return;
    };
    for key in BUILD_ANNOTATIONS {
        annotations.remove(*key);
    }
    if annotations.is_empty() {
        meta.remove("annotations");
        return;
    }
    // kustomize writes the annotations back as strings (of their YAML text: nothing for a
    // value the file left empty).
    for (key, value) in annotations.iter_mut() {
        let text = match value {
            Value::String(_) | Value::Object(_) | Value::Array(_) => continue,
            Value::Null if empties.iter().any(|p| is_annotation_pointer(p, key)) => String::new(),
            Value::Null => "null".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
        };
        *value = Value::String(text);
    }
}
