//! Go's `text/template`, Sprig and Helm's template functions, natively in Rust.
//!
//! The engine reproduces Go's parser, executor, error messages and `fmt` printing, the
//! Sprig function library and Helm's own functions (`include`, `tpl`, `toYaml`, …), and is
//! differential-tested against real Helm v4. It has no dependency on the rest of gitops-rs.
//!
//! ```
//! use gitops_gotemplate::{Engine, Value};
//! let engine = Engine::new();
//! let tpls = engine.parse("greet", r#"{{ .name | upper | quote }} has {{ len .items }} items{{ range .items }} {{ . }}{{ end }}"#).unwrap();
//! let data = Value::from(serde_json::json!({"name": "app", "items": [1, 2.5, 1000000]}));
//! assert_eq!(tpls.execute("greet", &data).unwrap(), r#""APP" has 3 items 1 2.5 1e+06"#);
//! ```
//!
//! With Helm's functions:
//!
//! ```
//! use gitops_gotemplate::{Engine, Templates, Value, helm::HelmContext};
//! let engine = Engine::new().with_helm_functions(HelmContext::default());
//! let mut tpls = Templates::new(&engine);
//! tpls.parse("_helpers.tpl", r#"{{ define "name" }}{{ .Values.name | default "x" }}{{ end }}"#).unwrap();
//! tpls.parse("cm.yaml", "name: {{ include \"name\" . }}\ndata:\n{{ toYaml .Values.data | indent 2 }}").unwrap();
//! let data = Value::from(serde_json::json!({"Values": {"name": "web", "data": {"b": [1, "x"], "a": true}}}));
//! assert_eq!(tpls.execute("cm.yaml", &data).unwrap(), "name: web\ndata:\n  a: true\n  b:\n  - 1\n  - x");
//! ```

pub mod error;
mod exec;
pub mod fmt;
pub mod funcs;
pub mod helm;
mod lexer;
mod parse;
pub mod value;

/// Masterminds semver (v3) versions and constraints, as Helm and Sprig use them.
///
/// ```
/// use gitops_gotemplate::semver::{Version, semver_compare};
/// assert_eq!(semver_compare(">=1.19.0-0", "v1.36.0"), Ok(true));
/// assert_eq!(semver_compare("1.42.*", "1.43.0"), Ok(false));
/// let (a, b) = (Version::parse("1.2.3").unwrap(), Version::parse("1.10.0").unwrap());
/// assert!(a.precedence(&b).is_lt());
/// ```
pub mod semver {
    pub use crate::funcs::semver::{Version, semver_compare};
}

/// Go's `path` package, as the template functions use it.
pub mod path {
    pub use crate::funcs::strings::path_clean as clean;
}

pub use error::Error;
pub use value::Value;

use exec::TreeMap;
use funcs::{FuncMap, Function};
use std::sync::Arc;

/// Execution limits and behaviour switches.
#[derive(Clone, Debug)]
#[must_use]
pub struct Options {
    /// Go's `missingkey=error`: a missing map key is an error (Helm's `--strict`).
    pub missing_key_error: bool,
    /// Go's `maxExecDepth`: nesting of `{{ template }}` calls.
    pub max_exec_depth: usize,
    /// Nesting of `include`/`tpl` executions (Helm has no limit and crashes on runaway `tpl`).
    pub max_nesting: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            missing_key_error: false,
            max_exec_depth: 100_000,
            max_nesting: 100_000,
        }
    }
}

pub(crate) struct EngineInner {
    pub funcs: FuncMap,
    pub options: Options,
    pub helm: Option<helm::HelmContext>,
    /// Name of the root template (Helm's "gotpl"), used by `tpl` and in some errors.
    pub root_name: String,
}

/// A function library and options: Go's builtins plus Sprig, optionally Helm's functions.
///
/// Cheap to clone; shareable between threads.
///
/// ```
/// let out = gitops_gotemplate::Engine::new()
///     .parse("t", "{{ printf \"%05.1f\" 3.14159 }}").unwrap()
///     .execute("t", &gitops_gotemplate::Value::Nil).unwrap();
/// assert_eq!(out, "003.1");
/// ```
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    /// Go's builtins and Sprig's functions (without `env`/`expandenv`, as in Helm).
    pub fn new() -> Engine {
        let mut funcs = funcs::builtins();
        funcs.extend(funcs::sprig());
        Engine {
            inner: Arc::new(EngineInner {
                funcs,
                options: Options::default(),
                helm: None,
                root_name: "gotpl".into(),
            }),
        }
    }

    fn inner_mut(&mut self) -> &mut EngineInner {
        if Arc::get_mut(&mut self.inner).is_none() {
            let i = &self.inner;
            self.inner = Arc::new(EngineInner {
                funcs: i.funcs.clone(),
                options: i.options.clone(),
                helm: i.helm.clone(),
                root_name: i.root_name.clone(),
            });
        }
        match Arc::get_mut(&mut self.inner) {
            Some(i) => i,
            None => unreachable!("just made unique"),
        }
    }

    /// Adds Helm's functions (`include`, `tpl`, `required`, `toYaml`, `lookup`, …).
    ///
    /// ```
    /// use gitops_gotemplate::{Engine, helm::HelmContext};
    /// let e = Engine::new().with_helm_functions(HelmContext::default());
    /// assert!(e.has_function("include"));
    /// ```
    #[must_use]
    pub fn with_helm_functions(mut self, ctx: helm::HelmContext) -> Engine {
        let inner = self.inner_mut();
        helm::register(&mut inner.funcs, &ctx);
        inner.options.missing_key_error = ctx.strict;
        inner.helm = Some(ctx);
        self
    }

    /// Replaces the options.
    ///
    /// ```
    /// let e = gitops_gotemplate::Engine::new().with_options(gitops_gotemplate::Options { max_exec_depth: 10, ..Default::default() });
    /// # let _ = e;
    /// ```
    pub fn with_options(mut self, options: Options) -> Engine {
        self.inner_mut().options = options;
        self
    }

    /// Adds or replaces a function.
    ///
    /// ```
    /// use gitops_gotemplate::{Engine, Value, funcs::{ArgType, Function}};
    /// let e = Engine::new().with_function("twice", Function::new(vec![ArgType::Text], None,
    ///     |a| Ok(Value::from(a[0].as_str().unwrap_or("").repeat(2)))));
    /// assert_eq!(e.parse("t", "{{ twice \"ab\" }}").unwrap().execute("t", &Value::Nil).unwrap(), "abab");
    /// ```
    #[must_use]
    pub fn with_function(mut self, name: &str, f: Function) -> Engine {
        self.inner_mut().funcs.insert(name.to_string(), f);
        self
    }

    /// Whether a function of that name exists.
    pub fn has_function(&self, name: &str) -> bool {
        self.inner.funcs.contains_key(name)
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// Parses one template into a new set (a shortcut for [`Templates::new`] + [`Templates::parse`]).
    pub fn parse(&self, name: &str, text: &str) -> Result<Templates, Error> {
        let mut t = Templates::new(self);
        t.parse(name, text)?;
        Ok(t)
    }
}

/// A set of parsed templates that can call each other (Go's associated templates).
///
/// ```
/// use gitops_gotemplate::{Engine, Templates, Value};
/// let mut t = Templates::new(&Engine::new());
/// t.parse("a", r#"{{ define "x" }}[{{ . }}]{{ end }}{{ template "x" .n }}"#).unwrap();
/// assert_eq!(t.execute("a", &Value::from(serde_json::json!({"n": 1.5}))).unwrap(), "[1.5]");
/// ```
#[derive(Clone)]
pub struct Templates {
    engine: Engine,
    pub(crate) trees: TreeMap,
}

impl Templates {
    /// An empty set using `engine`'s functions.
    pub fn new(engine: &Engine) -> Templates {
        Templates {
            engine: engine.clone(),
            trees: TreeMap::default(),
        }
    }

    /// Parses `text` as template `name`, adding it and its `define`s to the set.
    ///
    /// As in Go, a later definition of a name replaces an earlier one, except that an
    /// empty template never replaces a non-empty one.
    pub fn parse(&mut self, name: &str, text: &str) -> Result<(), Error> {
        let funcs = &self.engine.inner.funcs;
        let has = |n: &str| funcs.contains_key(n);
        let trees = parse::parse(name, text, &has)?;
        for t in trees {
            if let Some(old) = self.trees.get(&t.name)
                && parse::node::is_empty_tree(&t.arena, &t.text, t.root)
                && !parse::node::is_empty_tree(&old.arena, &old.text, old.root)
            {
                continue;
            }
            self.trees.insert(t.name.clone(), Arc::new(t));
        }
        Ok(())
    }

    /// Whether a template of that name is defined.
    pub fn contains(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// The names of all templates in the set (files and `define`s), sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.trees.keys().map(|k| k.to_string()).collect();
        v.sort();
        v
    }

    /// Executes template `name` over `data` and returns the output.
    ///
    /// With Helm's functions, `<no value>` is removed from the output as Helm does.
    pub fn execute(&self, name: &str, data: &Value) -> Result<String, Error> {
        let out = exec::execute(&self.engine.inner, &self.trees, name, data.clone())?;
        if self.engine.inner.helm.is_some()
            && memchr::memmem::find(out.as_bytes(), b"<no value>").is_some()
        {
            return Ok(out.replace("<no value>", ""));
        }
        Ok(out)
    }
}
