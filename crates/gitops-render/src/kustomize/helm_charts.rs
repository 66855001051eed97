//! `helmCharts` (and the deprecated `helmChartInflationGenerator`): charts inflated as
//! kustomize's `HelmChartInflationGenerator` inflates them, but rendered in process through
//! [`crate::helm`] rather than by running the helm binary.
//!
//! As kustomize v5.5: the chart is looked for at `<chartHome>/<name>` (`<chartHome>/
//! <name>-<version>/<name>` when both `repo` and `version` are set), `chartHome` defaulting
//! to `charts`; a chart missing there is fetched from `repo` (a Helm repository or an
//! `oci://` registry) into the chart cache, never into the source tree. The values are the
//! `valuesFile` (default: the chart's own `values.yaml`) combined with `valuesInline` as
//! `valuesMerge` says (`override`, the default: inline wins; `merge`: the file wins;
//! `replace`: inline only), then each `additionalValuesFiles` entry. The release name
//! defaults to `release-name` and the namespace to `default`, as `helm template`'s.

use std::path::Path;

use serde_json::Value;

use super::build::{Accumulator, Builder, Target, add_error};
use super::loader::Site;
use super::types::HelmChart;
use super::{HelmChartsPolicy, KustomizeError, manifests, patch, yaml12};
use crate::helm::{self, Chart, ChartSource, RenderSettings, ValuesOptions};

/// kustomize's default `chartHome`.
const DEFAULT_CHART_HOME: &str = "charts";

/// Inflates the kustomization's charts into `ra`.
pub(crate) fn run(
    b: &mut Builder<'_>,
    t: &Target,
    ra: &mut Accumulator,
) -> Result<(), KustomizeError> {
    if t.k.helm_charts.is_empty() {
        return Ok(());
    }
    if b.options.helm_charts == HelmChartsPolicy::Disabled {
        return Err(t
            .site("helmCharts")
            .invalid("Helm charts are disabled for this build (helmCharts policy: disabled)"));
    }
    let home =
        t.k.helm_globals
            .as_ref()
            .map(|g| g.chart_home.as_str())
            .filter(|h| !h.is_empty())
            .unwrap_or(DEFAULT_CHART_HOME);
    for (i, chart) in t.k.helm_charts.iter().enumerate() {
        let field = format!("helmCharts[{i}]");
        let site = t.site(&field);
        let helm_error = |source| KustomizeError::Helm {
            file: site.file.to_path_buf(),
            field: field.clone(),
            chart: chart.name.clone(),
            source,
        };
        let failed = |e| match e {
            Failure::Kustomize(e) => e,
            Failure::Helm(e) => helm_error(e),
        };
        check_args(chart, home, site)?;
        let (loaded, label) = load(b, t, chart, home, site).map_err(failed)?;
        let settings = settings(b, t, chart, &loaded, site).map_err(failed)?;
        let text = loaded
            .render(&settings)
            .map_err(helm_error)?
            .to_helm_output();
        let resources =
            manifests::parse(&text, &label).map_err(|source| KustomizeError::Manifest {
                file: site.file.to_path_buf(),
                field: field.clone(),
                source,
            })?;
        for res in resources {
            ra.resmap.absorb(res).map_err(|e| add_error(site, &e))?;
        }
    }
    Ok(())
}

/// Why a chart could not be used.
enum Failure {
    Kustomize(KustomizeError),
    Helm(helm::HelmError),
}

impl From<KustomizeError> for Failure {
    fn from(e: KustomizeError) -> Self {
        Failure::Kustomize(e)
    }
}

impl From<helm::HelmError> for Failure {
    fn from(e: helm::HelmError) -> Self {
        Failure::Helm(e)
    }
}

/// kustomize's `validateArgs`, and the options this renderer does not implement.
fn check_args(chart: &HelmChart, home: &str, site: Site<'_>) -> Result<(), KustomizeError> {
    if chart.name.is_empty() {
        return Err(site.invalid("chart name cannot be empty"));
    }
    if !matches!(
        chart.values_merge.as_str(),
        "" | "merge" | "override" | "replace"
    ) {
        return Err(site.invalid("valuesMerge must be one of [merge override replace]"));
    }
    if Path::new(home).is_absolute() {
        return Err(site.invalid(format!(
            "chartHome {home}: absolute paths are not supported (they leave the source)"
        )));
    }
    let unsupported = |what: &str| KustomizeError::Unsupported {
        file: site.file.to_path_buf(),
        field: site.field.to_owned(),
        what: what.to_owned(),
    };
    if !chart.name_template.is_empty() {
        return Err(unsupported("nameTemplate"));
    }
    if chart.devel {
        return Err(unsupported("devel (pre-release chart versions)"));
    }
    Ok(())
}

/// Finds the chart in the source tree, or fetches it from its `repo`; returns it with the
/// name its resources are shown with.
fn load(
    b: &mut Builder<'_>,
    t: &Target,
    chart: &HelmChart,
    home: &str,
    site: Site<'_>,
) -> Result<(Chart, String), Failure> {
    let base = if !chart.version.is_empty() && !chart.repo.is_empty() {
        format!("{home}/{}-{}", chart.name, chart.version)
    } else {
        home.to_owned()
    };
    let local = format!("{base}/{}", chart.name);
    if let Some(dir) = b.files.find_dir(&t.dir, &local, site)? {
        let disk = b.files.disk_dir(&t.dir, &dir, site)?;
        b.files.record_dir(&dir)?;
        let label = b.files.display_dir(&dir).to_string_lossy().into_owned();
        return Ok((Chart::load_dir(&disk)?, label));
    }
    let shown = b.files.display_dir(&t.dir).join(&local);
    if chart.repo.is_empty() {
        return Err(site
            .invalid(format!(
                "no repo specified for pull, no chart found at '{}'",
                shown.display()
            ))
            .into());
    }
    if b.options.helm_charts == HelmChartsPolicy::LocalOnly {
        return Err(site
            .invalid(format!(
                "no chart at '{}', and fetching charts is off (helmCharts policy: localOnly)",
                shown.display()
            ))
            .into());
    }
    let version = Some(chart.version.clone()).filter(|v| !v.is_empty());
    // The chart's address: an OCI reference, or the repository URL and the chart's name.
    let address = format!("{}/{}", chart.repo.trim_end_matches('/'), chart.name);
    let label = super::loader::without_credentials(&address);
    let source = if chart.repo.starts_with("oci://") {
        ChartSource::Oci {
            reference: address,
            version,
        }
    } else {
        ChartSource::Repository {
            url: chart.repo.clone(),
            chart: chart.name.clone(),
            version,
        }
    };
    let loaded = helm::fetch_chart(&source, b.helm_fetch)?;
    b.files
        .record_external(&format!("{label}@{}", loaded.metadata().version));
    Ok((loaded, label))
}

/// `helm template`'s options for one entry.
fn settings(
    b: &mut Builder<'_>,
    t: &Target,
    chart: &HelmChart,
    loaded: &Chart,
    site: Site<'_>,
) -> Result<RenderSettings, Failure> {
    let mut inline = Vec::new();
    let values_inline = chart
        .values_inline
        .as_ref()
        .filter(|m| !m.is_empty())
        .map(|m| Value::Object(m.clone()));
    // The values file, and its text (for where it leaves values empty).
    let file_values = |b: &mut Builder<'_>| -> Result<(Value, Vec<u8>), Failure> {
        if chart.values_file.is_empty() {
            return Ok((loaded.values(), loaded.values_text().to_vec()));
        }
        read_values(b, t, &chart.values_file, site)
    };
    match (values_inline, chart.values_merge.as_str()) {
        (None, _) => inline.push(file_values(b)?.0),
        (Some(values), "replace") => inline.push(values),
        (Some(values), mode) => {
            let (mut file, text) = file_values(b)?;
            // kyaml's merge2: the first argument's fields win. As a merge target, the file's
            // empty values (`key:`) are dropped and its explicit nulls kept, which decides
            // whether Helm sees a null (deleting the chart's default) or nothing.
            let (winner, loser) = if mode == "merge" {
                (file, values)
            } else {
                let empties = String::from_utf8(text)
                    .ok()
                    .and_then(|t| yaml12::parse_documents(&t).ok())
                    .and_then(|docs| docs.into_iter().next())
                    .map(|d| d.empty_values)
                    .unwrap_or_default();
                patch::smp::mark_empty(&mut file, &empties);
                (values, file)
            };
            let mut merged = patch::smp::merge(winner, loser)
                .map_err(|m| site.invalid(format!("could not merge values: {m}")))?
                .unwrap_or(Value::Null);
            patch::smp::unmark_empty(&mut merged);
            inline.push(merged);
        }
    }
    for (i, path) in chart.additional_values_files.iter().enumerate() {
        let field = format!("{}.additionalValuesFiles[{i}]", site.field);
        inline.push(read_values(b, t, path, t.site(&field))?.0);
    }
    Ok(RenderSettings {
        release_name: non_empty(&chart.release_name, "release-name"),
        namespace: non_empty(&chart.namespace, "default"),
        values: ValuesOptions {
            inline,
            ..ValuesOptions::default()
        },
        kube_version: Some(chart.kube_version.clone()).filter(|v| !v.is_empty()),
        api_versions: chart.api_versions.clone(),
        skip_tests: chart.skip_tests,
        include_crds: chart.include_crds,
        skip_hooks: chart.skip_hooks,
        fetch: b.helm_fetch.clone(),
        ..RenderSettings::default()
    })
}

/// Reads a values file of the kustomization (within the load restrictor), as Helm's `-f`;
/// returns it with its text.
fn read_values(
    b: &mut Builder<'_>,
    t: &Target,
    path: &str,
    site: Site<'_>,
) -> Result<(Value, Vec<u8>), Failure> {
    let file = b.files.resolve_file(&t.dir, path, site)?;
    let data = b.files.read_bytes(&file)?;
    let label = b.files.file_name(&file);
    let value = helm::values_file_json(&data, &label)?;
    Ok((value, data))
}

fn non_empty(value: &str, default: &str) -> String {
    if value.is_empty() { default } else { value }.to_owned()
}
