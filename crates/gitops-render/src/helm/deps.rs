//! Dependency processing (`pkg/chart/v2/util/dependencies.go`): conditions, tags, aliases
//! and `import-values`, on a per-render copy of the chart tree.

use gitops_gotemplate::Value;
use gitops_gotemplate::semver::semver_compare;
use gitops_gotemplate::value::Map;

use super::chart::{Chart, Metadata};
use super::values::{self, ChartValues, new_table, path_table, path_value, table};

/// A chart as one render sees it: metadata and values that dependency processing changes,
/// and the enabled subcharts (aliased ones renamed).
#[derive(Debug, Clone)]
pub(crate) struct RenderChart {
    pub chart: Chart,
    pub meta: Metadata,
    /// Whether `Chart.yaml` declares `dependencies` at all (Helm skips a nil list).
    pub declares_deps: bool,
    pub values: Value,
    pub deps: Vec<RenderChart>,
}

impl ChartValues for RenderChart {
    fn name(&self) -> &str {
        &self.meta.name
    }
    fn values(&self) -> &Value {
        &self.values
    }
    fn deps(&self) -> Vec<&Self> {
        self.deps.iter().collect()
    }
}

/// Helm's `IsCompatibleRange`: an unparsable constraint or version is incompatible.
pub(crate) fn is_compatible_range(constraint: &str, version: &str) -> bool {
    semver_compare(constraint, version).unwrap_or(false)
}

impl RenderChart {
    pub(crate) fn new(chart: &Chart) -> RenderChart {
        let d = &chart.inner;
        RenderChart {
            chart: chart.clone(),
            meta: d.metadata.clone(),
            declares_deps: d.declares_dependencies,
            values: d.values.deep_copy(),
            deps: d.dependencies.iter().map(RenderChart::new).collect(),
        }
    }

    /// Helm's `ProcessDependencies`.
    pub(crate) fn process_dependencies(&mut self, vals: &Map) -> Result<(), String> {
        self.process_enabled(vals, "")?;
        self.process_import_values()
    }

    fn process_enabled(&mut self, v: &Map, path: &str) -> Result<(), String> {
        if !self.declares_deps {
            return Ok(());
        }
        let existing = std::mem::take(&mut self.deps);
        let mut chart_deps: Vec<RenderChart> = existing
            .iter()
            .filter(|e| {
                !self.meta.dependencies.iter().any(|req| {
                    e.meta.name == req.name && is_compatible_range(&req.version, &e.meta.version)
                })
            })
            .cloned()
            .collect();
        for req in &mut self.meta.dependencies {
            if let Some(found) = existing.iter().find(|c| {
                c.meta.name == req.name && is_compatible_range(&req.version, &c.meta.version)
            }) {
                let mut out = found.clone();
                if !req.alias.is_empty() {
                    out.meta.name = req.alias.clone();
                }
                chart_deps.push(out);
            }
            if !req.alias.is_empty() {
                req.name = req.alias.clone();
            }
        }
        self.deps = chart_deps;
        for req in &mut self.meta.dependencies {
            req.enabled = true;
        }
        let cvals = values::coalesce_values(self, v)?;
        self.process_tags(&cvals);
        self.process_conditions(&cvals, path);
        let removed: Vec<String> = self
            .meta
            .dependencies
            .iter()
            .filter(|r| !r.enabled)
            .map(|r| r.name.clone())
            .collect();
        self.deps.retain(|d| !removed.contains(&d.meta.name));
        self.meta
            .dependencies
            .retain(|r| !removed.contains(&r.name));
        for t in &mut self.deps {
            let sub = format!("{path}{}.", t.meta.name);
            t.process_enabled(&cvals, &sub)?;
        }
        self.declares_deps = !self.meta.dependencies.is_empty();
        Ok(())
    }

    fn process_tags(&mut self, cvals: &Map) {
        let Some(tags) = path_table(cvals, "tags") else {
            return;
        };
        for r in &mut self.meta.dependencies {
            let (mut has_true, mut has_false) = (false, false);
            for k in &r.tags {
                if let Some(Value::Bool(b)) = tags.get(k) {
                    if b {
                        has_true = true;
                    } else {
                        has_false = true;
                    }
                }
            }
            r.enabled = has_true || !has_false;
        }
    }

    fn process_conditions(&mut self, cvals: &Map, path: &str) {
        for r in &mut self.meta.dependencies {
            for c in r.condition.trim().split(',') {
                if c.is_empty() {
                    continue;
                }
                if let Some(Value::Bool(b)) = path_value(cvals, &format!("{path}{c}")) {
                    r.enabled = b;
                    break;
                }
            }
        }
    }

    /// Helm's `processDependencyImportValues` (merging, as `ProcessDependencies` asks).
    fn process_import_values(&mut self) -> Result<(), String> {
        for d in &mut self.deps {
            d.process_import_values()?;
        }
        if !self.declares_deps {
            return Ok(());
        }
        let cvals = values::merge_values(self, &new_table())?;
        let mut b = new_table();
        for r in &mut self.meta.dependencies {
            let mut out = Vec::new();
            for iv in &r.import_values {
                match iv {
                    serde_json::Value::Object(o) => {
                        let show = |k: &str| match o.get(k) {
                            None | Some(serde_json::Value::Null) => "<nil>".to_string(),
                            Some(serde_json::Value::String(s)) => s.clone(),
                            Some(other) => Value::from(other).to_string(),
                        };
                        let (child, parent) = (show("child"), show("parent"));
                        out.push(serde_json::json!({"child": child, "parent": parent}));
                        let Some(vv) = path_table(&cvals, &format!("{}.{child}", r.name)) else {
                            continue;
                        };
                        b = values::merge_tables(&b, &path_to_map(&parent, vv));
                    }
                    serde_json::Value::String(s) => {
                        let child = format!("exports.{s}");
                        out.push(serde_json::json!({"child": child, "parent": "."}));
                        let Some(vm) = path_table(&cvals, &format!("{}.{child}", r.name)) else {
                            continue;
                        };
                        b = values::merge_tables(&b, &vm);
                    }
                    _ => {}
                }
            }
            r.import_values = out;
        }
        let cvals = match Value::Map(cvals).deep_copy() {
            Value::Map(m) => m,
            _ => new_table(),
        };
        self.values = Value::Map(values::merge_tables(&cvals, &b));
        Ok(())
    }
}

fn path_to_map(path: &str, data: Map) -> Map {
    if path == "." {
        return data;
    }
    let mut cur = Value::Map(data);
    for p in path.split('.').rev() {
        let m = new_table();
        m.insert(p, cur);
        cur = Value::Map(m);
    }
    table(&cur).cloned().unwrap_or_else(new_table)
}
