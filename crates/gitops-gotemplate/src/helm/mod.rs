//! Helm's template functions and objects, for the Helm renderer.
//!
//! [`HelmContext`] configures the functions Helm adds on top of Sprig (`include`, `tpl`,
//! `required`, `fail`, `toYaml`, `fromYaml`, `toToml`, `lookup`, …). The objects charts see
//! (`.Capabilities`, `.Files`, `.Release`, `.Chart`) are built with [`capabilities`],
//! [`files`], [`release`] and [`chart`]; [`render`] runs a chart's templates the way Helm's
//! engine does and [`format_error`] prints an error the way Helm v4 prints it.
//!
//! ```
//! use gitops_gotemplate::helm::{self, HelmContext, HelmTemplate, Release};
//! use gitops_gotemplate::{Engine, Value};
//! let engine = Engine::new().with_helm_functions(HelmContext::default());
//! let top = helm::top_values(
//!     Value::from(serde_json::json!({"replicas": 3})),
//!     helm::chart(&serde_json::json!({"name": "web", "version": "1.0.0"}), true),
//!     &Release { name: "rel".into(), namespace: "ns".into(), ..Default::default() },
//!     helm::capabilities(),
//!     helm::files(vec![]),
//! );
//! let out = helm::render(&engine, &[HelmTemplate {
//!     name: "web/templates/d.yaml".into(),
//!     text: "replicas: {{ .Values.replicas }}\nname: {{ .Release.Name }}-{{ .Chart.Name }}".into(),
//!     values: top,
//!     base_path: "web/templates".into(),
//! }]).unwrap();
//! assert_eq!(out["web/templates/d.yaml"], "replicas: 3\nname: rel-web");
//! ```

mod objects;
mod toml;
mod yaml;

pub use objects::{
    DEFAULT_API_VERSIONS, Release, capabilities, capabilities_for, chart, files, release,
};
pub use yaml::{from_yaml, from_yaml_array, key_order, to_yaml, to_yaml_pretty};

use crate::error::Error;
use crate::funcs::{ArgType::*, Builtin, FuncMap, Function, arg_str, ferr, reg};
use crate::value::{Map, MapKind, Str, Value};
use crate::{Engine, EngineInner, Templates};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Helm's limit on nested `include`s of one template name.
pub(crate) const RECURSION_MAX: usize = 1000;

/// A `lookup` implementation: `(apiVersion, kind, namespace, name)` to an object or list.
pub type LookupFn = Arc<dyn Fn(&str, &str, &str, &str) -> Result<Value, String> + Send + Sync>;

/// How Helm's functions behave.
#[derive(Clone, Default)]
#[must_use]
pub struct HelmContext {
    /// `--strict`: missing map keys are errors (`missingkey=error`).
    pub strict: bool,
    /// Lint mode: `required` and `fail` do not fail.
    pub lint_mode: bool,
    /// `lookup` against a cluster; `None` returns an empty map, as `helm template` does.
    pub lookup: Option<LookupFn>,
}

impl std::fmt::Debug for HelmContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HelmContext")
            .field("strict", &self.strict)
            .field("lint_mode", &self.lint_mode)
            .field("lookup", &self.lookup.is_some())
            .finish()
    }
}

const WARN_START: &str = "HELM_ERR_START";
const WARN_END: &str = "HELM_ERR_END";

pub(crate) fn required(engine: &EngineInner, a: &[Value]) -> Result<Value, Error> {
    let lint = engine.helm.as_ref().is_some_and(|h| h.lint_mode);
    let missing = match &a[1] {
        Value::Invalid | Value::Nil => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    };
    if missing {
        if lint {
            return Ok(Value::str(""));
        }
        return Err(ferr(format!("{WARN_START}{}{WARN_END}", arg_str(&a[0]))));
    }
    Ok(a[1].clone())
}

pub(crate) fn fail(engine: &EngineInner, a: &[Value]) -> Result<Value, Error> {
    if engine.helm.as_ref().is_some_and(|h| h.lint_mode) {
        return Ok(Value::str(""));
    }
    Err(ferr(format!("{WARN_START}{}{WARN_END}", arg_str(&a[0]))))
}

pub(crate) fn register(m: &mut FuncMap, ctx: &HelmContext) {
    m.remove("env");
    m.remove("expandenv");
    m.insert(
        "include".into(),
        Function::builtin(Builtin::Include, vec![Text, Any], None),
    );
    m.insert(
        "tpl".into(),
        Function::builtin(Builtin::Tpl, vec![Text, Any], None),
    );
    m.insert(
        "required".into(),
        Function::builtin(Builtin::Required, vec![Text, Any], None),
    );
    m.insert(
        "fail".into(),
        Function::builtin(Builtin::Fail, vec![Text], None),
    );
    reg(m, "toYaml", &[Any], |a| Ok(Value::from(to_yaml(&a[0]))));
    reg(m, "mustToYaml", &[Any], |a| Ok(Value::from(to_yaml(&a[0]))));
    reg(m, "toYamlPretty", &[Any], |a| {
        Ok(Value::from(to_yaml_pretty(&a[0])))
    });
    reg(m, "fromYaml", &[Text], |a| Ok(from_yaml(arg_str(&a[0]))));
    reg(m, "fromYamlArray", &[Text], |a| {
        Ok(from_yaml_array(arg_str(&a[0])))
    });
    reg(m, "toToml", &[Any], |a| {
        Ok(Value::from(toml::to_toml(&a[0]).unwrap_or_else(|e| e)))
    });
    reg(m, "mustToToml", &[Any], |a| {
        toml::to_toml(&a[0]).map(Value::from).map_err(ferr)
    });
    reg(m, "fromToml", &[Text], |a| {
        Ok(toml::from_toml(arg_str(&a[0])))
    });
    reg(m, "fromJson", &[Text], |a| {
        Ok(match crate::funcs::encoding::from_json(arg_str(&a[0])) {
            Ok(Value::Map(mm)) => Value::Map(mm),
            Ok(other) => {
                let mm = Map::new(MapKind::Interface);
                if !other.is_nil() {
                    mm.insert("Error", Value::from(format!("json: cannot unmarshal {} into Go value of type map[string]interface {{}}", json_kind(&other))));
                }
                Value::Map(mm)
            }
            Err(e) => {
                let mm = Map::new(MapKind::Interface);
                mm.insert("Error", Value::from(e));
                Value::Map(mm)
            }
        })
    });
    reg(m, "fromJsonArray", &[Text], |a| {
        Ok(match crate::funcs::encoding::from_json(arg_str(&a[0])) {
            Ok(Value::List(l)) => Value::List(l),
            Ok(Value::Nil) => Value::list(vec![]),
            Ok(other) => Value::list(vec![Value::from(format!(
                "json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&other)
            ))]),
            Err(e) => Value::list(vec![Value::from(e)]),
        })
    });
    match &ctx.lookup {
        None => reg(m, "lookup", &[Text, Text, Text, Text], |_| {
            Ok(Value::empty_map())
        }),
        Some(f) => {
            let f = f.clone();
            reg(m, "lookup", &[Text, Text, Text, Text], move |a| {
                f(
                    arg_str(&a[0]),
                    arg_str(&a[1]),
                    arg_str(&a[2]),
                    arg_str(&a[3]),
                )
                .map_err(ferr)
            });
        }
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Map(_) => "object",
        Value::List(_) => "array",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        _ => "number",
    }
}

/// One chart template to render: its full name (`chart/templates/x.yaml`), text, the
/// top-level values it sees and its `.Template.BasePath`.
#[derive(Clone, Debug)]
pub struct HelmTemplate {
    /// Full template name, e.g. `mychart/charts/sub/templates/svc.yaml`.
    pub name: String,
    /// Template text (shared: a chart's texts are kept for every render).
    pub text: std::sync::Arc<str>,
    /// The top-level object (`.Values`, `.Release`, …), shared by the templates of a chart.
    pub values: Value,
    /// `.Template.BasePath`, e.g. `mychart/templates`.
    pub base_path: String,
}

/// Builds the top-level object a chart's templates see.
pub fn top_values(
    values: Value,
    chart: Value,
    release: &Release,
    capabilities: Value,
    files: Value,
) -> Value {
    let mut m = BTreeMap::default();
    m.insert(
        Str::from("Values"),
        match values {
            Value::Map(v) => Value::Map(v.with_kind(MapKind::Values)),
            Value::Nil | Value::Invalid => Value::Map(Map::new(MapKind::Values)),
            other => other,
        },
    );
    m.insert(Str::from("Chart"), chart);
    m.insert(Str::from("Release"), objects::release(release));
    m.insert(Str::from("Capabilities"), capabilities);
    m.insert(Str::from("Files"), files);
    m.insert(Str::from("Subcharts"), Value::empty_map());
    Value::Map(Map::from_entries(MapKind::Values, m))
}

/// Helm's template order: deeper paths first, then reverse lexical order.
fn sort_key(name: &str) -> (std::cmp::Reverse<usize>, std::cmp::Reverse<&str>) {
    let depth = name.bytes().filter(|&b| b == b'/').count();
    (std::cmp::Reverse(depth), std::cmp::Reverse(name))
}

/// Renders templates like Helm's engine: parses all (in Helm's order), executes every
/// template whose base name does not start with `_`, removes `<no value>`.
///
/// The same as [`parse_templates`] followed by [`execute_templates`].
pub fn render(
    engine: &Engine,
    templates: &[HelmTemplate],
) -> Result<BTreeMap<String, String>, Error> {
    execute_templates(engine, &parse_templates(engine, templates)?, templates)
}

/// Parses chart templates in Helm's order (deeper paths first, then reverse lexical
/// order; a later `define` of a name wins) into one set, which [`execute_templates`] can
/// run any number of times: the parse depends on the texts only, not on the values.
///
/// ```
/// use gitops_gotemplate::{Engine, Value, helm::{self, HelmContext, HelmTemplate}};
/// let engine = Engine::new().with_helm_functions(HelmContext::default());
/// let t = |values: serde_json::Value| HelmTemplate {
///     name: "c/templates/cm.yaml".into(),
///     text: "n: {{ .Values.n }}".into(),
///     values: Value::from(serde_json::json!({"Values": values})),
///     base_path: "c/templates".into(),
/// };
/// let set = helm::parse_templates(&engine, &[t(serde_json::json!({}))])?;
/// for n in [1, 2] {
///     let out = helm::execute_templates(&engine, &set, &[t(serde_json::json!({"n": n}))])?;
///     assert_eq!(out["c/templates/cm.yaml"], format!("n: {n}"));
/// }
/// # Ok::<(), gitops_gotemplate::Error>(())
/// ```
pub fn parse_templates(engine: &Engine, templates: &[HelmTemplate]) -> Result<Templates, Error> {
    let mut order: Vec<&HelmTemplate> = templates.iter().collect();
    order.sort_by_cached_key(|t| sort_key(&t.name));
    let mut set = Templates::new(engine);
    for t in &order {
        set.parse(&t.name, &t.text)?;
    }
    Ok(set)
}

/// Executes, in Helm's order, every template of `templates` whose base name does not
/// start with `_`, using `set` (made by [`parse_templates`] from templates of the same
/// names and texts; `text` is not read again) and `engine`'s functions; removes
/// `<no value>` as Helm does. Returns the output of each template by name.
pub fn execute_templates(
    engine: &Engine,
    set: &Templates,
    templates: &[HelmTemplate],
) -> Result<BTreeMap<String, String>, Error> {
    let mut order: Vec<&HelmTemplate> = templates.iter().collect();
    order.sort_by_cached_key(|t| sort_key(&t.name));
    let mut out = BTreeMap::default();
    // one executor for all templates: Helm shares its include bookkeeping across them, and
    // the executor's buffers are reused
    let mut ex = crate::exec::Exec::new(&engine.inner, &set.trees);
    for t in &order {
        let base = t.name.rsplit('/').next().unwrap_or(&t.name);
        if base.starts_with('_') {
            continue;
        }
        if let Value::Map(m) = &t.values {
            static KEYS: std::sync::LazyLock<[Str; 3]> = std::sync::LazyLock::new(|| {
                [
                    Str::from("BasePath"),
                    Str::from("Name"),
                    Str::from("Template"),
                ]
            });
            let [base_key, name_key, template_key] = &*KEYS;
            let tm = Map::from_sorted(
                MapKind::Values,
                vec![
                    (base_key.clone(), Value::str(&t.base_path)),
                    (name_key.clone(), Value::str(&t.name)),
                ],
            );
            m.insert(template_key.clone(), Value::Map(tm));
        }
        let mut s = ex
            .execute_named(&t.name, t.values.clone())
            .map_err(|e| *e)?;
        if memchr::memmem::find(s.as_bytes(), b"<no value>").is_some() {
            s = s.replace("<no value>", "");
        }
        out.insert(t.name.clone(), s);
    }
    Ok(out)
}

/// Prints an error the way Helm v4 reports it (`parse error at (…)`, `execution error at (…)`,
/// or the multi-line trace of nested template errors).
///
/// ```
/// use gitops_gotemplate::{Engine, Value, helm::{HelmContext, format_error}};
/// let e = Engine::new().with_helm_functions(HelmContext::default());
/// let err = e.parse("c/templates/a.yaml", "{{ required \"need x\" .x }}").unwrap()
///     .execute("c/templates/a.yaml", &Value::empty_map()).unwrap_err();
/// assert_eq!(format_error("c/templates/a.yaml", &err), "execution error at (c/templates/a.yaml:1:3): need x");
/// ```
pub fn format_error(filename: &str, err: &Error) -> String {
    match err {
        Error::Parse { message, .. } => {
            let tokens: Vec<&str> = message.split(": ").collect();
            if tokens.len() == 1 {
                return format!("parse error in ({filename}): {message}");
            }
            format!(
                "parse error at ({}): {}",
                tokens[1],
                tokens[tokens.len() - 1]
            )
        }
        Error::Exec { .. } => reformat_exec(filename, err),
        other => other.to_string(),
    }
}

#[derive(PartialEq, Eq, Debug)]
struct Traceable {
    location: String,
    message: String,
    function: String,
}

fn parse_exec_string(s: &str) -> Option<Traceable> {
    let rem = s.strip_prefix("template: ")?;
    if rem.starts_with("no template ") {
        return Some(Traceable {
            location: String::new(),
            message: s.to_string(),
            function: String::new(),
        });
    }
    if let Some((name, after)) = rem.split_once(": executing ") {
        if let Some(after) = after.strip_prefix('"')
            && let Some(endq) = after.find('"')
        {
            let func = &after[..endq];
            let after_func = &after[endq + 1..];
            if let Some(after_at) = after_func.strip_prefix(" at <")
                && let Some((loc, msg)) = after_at.split_once(">: ")
            {
                let msg = match msg.find(" template:") {
                    Some(i) => &msg[..i],
                    None => msg,
                };
                return Some(Traceable {
                    location: name.to_string(),
                    message: msg.to_string(),
                    function: format!("executing \"{func}\" at <{loc}>:"),
                });
            }
        }
        return None;
    }
    let sep = rem.rfind(": ")?;
    let name = &rem[..sep];
    let mut msg = &rem[sep + 2..];
    if let Some(i) = msg.find(" template:") {
        msg = &msg[..i];
    }
    Some(Traceable {
        location: name.to_string(),
        message: msg.to_string(),
        function: String::new(),
    })
}

fn reformat_exec(filename: &str, err: &Error) -> String {
    let full = err.to_string();
    let tokens: Vec<&str> = full.splitn(3, ": ").collect();
    if tokens.len() != 3 {
        return format!("execution error in ({filename}): {full}");
    }
    let location = tokens[1];
    if let Some(s) = tokens[2].find(WARN_START)
        && let Some(e) = tokens[2].rfind(WARN_END)
        && e >= s + WARN_START.len()
    {
        return format!(
            "execution error at ({location}): {}",
            &tokens[2][s + WARN_START.len()..e]
        );
    }
    let mut traces: Vec<Traceable> = Vec::new();
    for s in err.chain() {
        match parse_exec_string(&s) {
            Some(t) => {
                if traces.last() != Some(&t) {
                    traces.push(t);
                }
            }
            None => return full,
        }
    }
    let mut out = String::new();
    for t in traces {
        if !t.location.is_empty() {
            out.push_str(&t.location);
            out.push_str("\n  ");
        }
        if !t.function.is_empty() {
            out.push_str(&t.function);
            out.push_str("\n    ");
        }
        if !t.message.is_empty() {
            out.push_str(&t.message);
            out.push('\n');
        }
    }
    out.trim().to_string()
}
