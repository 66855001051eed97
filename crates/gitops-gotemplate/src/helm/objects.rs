//! `.Capabilities`, `.Files`, `.Release` and `.Chart` with Helm v4's shapes.

use crate::funcs::ArgType;
use crate::value::{ElemType, List, Map, MapKind, MethodSig, Object, Str, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The API group/versions of Helm v4.2's default capabilities (group/versions only).
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha2",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

#[derive(Debug)]
struct KubeVersion {
    version: String,
    major: String,
    minor: String,
}

impl Object for KubeVersion {
    fn type_name(&self) -> String {
        "common.KubeVersion".into()
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::str(&self.version)),
            "Major" => Some(Value::str(&self.major)),
            "Minor" => Some(Value::str(&self.minor)),
            _ => None,
        }
    }
    fn method(&self, name: &str) -> Option<MethodSig> {
        matches!(name, "String" | "GitVersion").then(|| MethodSig {
            params: vec![],
            variadic: None,
        })
    }
    fn call(&self, _name: &str, _args: &[Value]) -> Result<Value, String> {
        Ok(Value::str(&self.version))
    }
    fn format(&self, out: &mut String) {
        out.push_str(&self.version);
    }
    fn to_data(&self) -> Value {
        let m = Map::new(MapKind::Interface);
        m.insert("Version", Value::str(&self.version));
        m.insert("Major", Value::str(&self.major));
        m.insert("Minor", Value::str(&self.minor));
        Value::Map(m)
    }
}

#[derive(Debug)]
struct VersionSet(Vec<String>);

impl Object for VersionSet {
    fn type_name(&self) -> String {
        "common.VersionSet".into()
    }
    fn kind_name(&self) -> &'static str {
        "slice"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn method(&self, name: &str) -> Option<MethodSig> {
        (name == "Has").then(|| MethodSig {
            params: vec![ArgType::Text],
            variadic: None,
        })
    }
    fn call(&self, _name: &str, args: &[Value]) -> Result<Value, String> {
        let want = args.first().and_then(Value::as_str).unwrap_or("");
        Ok(Value::Bool(self.0.iter().any(|v| v == want)))
    }
    fn format(&self, out: &mut String) {
        out.push('[');
        out.push_str(&self.0.join(" "));
        out.push(']');
    }
    fn len(&self) -> Option<usize> {
        Some(self.0.len())
    }
    fn to_data(&self) -> Value {
        Value::List(List::new(
            ElemType::VersionSet,
            self.0.iter().map(|s| Value::str(s)).collect(),
        ))
    }
}

#[derive(Debug)]
struct BuildInfo {
    version: String,
}

impl Object for BuildInfo {
    fn type_name(&self) -> String {
        "version.BuildInfo".into()
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::str(&self.version)),
            "GitCommit" | "GitTreeState" => Some(Value::str("")),
            "GoVersion" => Some(Value::str("go1.26.6")),
            "KubeClientVersion" => Some(Value::str("v1.36")),
            _ => None,
        }
    }
    fn format(&self, out: &mut String) {
        out.push('{');
        out.push_str(&self.version);
        out.push_str("   go1.26.6 v1.36}");
    }
    fn to_data(&self) -> Value {
        let m = Map::new(MapKind::Interface);
        m.insert("version", Value::str(&self.version));
        m.insert("go_version", Value::str("go1.26.6"));
        m.insert("kube_client_version", Value::str("v1.36"));
        Value::Map(m)
    }
}

#[derive(Debug)]
struct Capabilities {
    kube: Value,
    apis: Value,
    helm: Value,
}

impl Object for Capabilities {
    fn type_name(&self) -> String {
        "*common.Capabilities".into()
    }
    fn kind_name(&self) -> &'static str {
        "ptr"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "KubeVersion" => Some(self.kube.clone()),
            "APIVersions" => Some(self.apis.clone()),
            "HelmVersion" => Some(self.helm.clone()),
            _ => None,
        }
    }
    fn format(&self, out: &mut String) {
        out.push_str("&{");
        crate::fmt::write_value(out, &self.kube);
        out.push(' ');
        crate::fmt::write_value(out, &self.apis);
        out.push(' ');
        crate::fmt::write_value(out, &self.helm);
        out.push('}');
    }
    fn to_data(&self) -> Value {
        let m = Map::new(MapKind::Interface);
        let d = |v: &Value| match v {
            Value::Object(o) => o.to_data(),
            other => other.clone(),
        };
        m.insert("KubeVersion", d(&self.kube));
        m.insert("APIVersions", d(&self.apis));
        m.insert("HelmVersion", d(&self.helm));
        Value::Map(m)
    }
}

/// Helm v4.2's default `.Capabilities` (Kubernetes v1.36.0, the default API versions).
pub fn capabilities() -> Value {
    static DEFAULT: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| {
        capabilities_for(
            "v1.36.0",
            DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect(),
        )
    });
    // immutable, so one shared instance serves every render
    DEFAULT.clone()
}

/// `.Capabilities` for a Kubernetes version (`v1.30.2`) and a set of API versions.
pub fn capabilities_for(kube_version: &str, api_versions: Vec<String>) -> Value {
    let v = if kube_version.starts_with('v') {
        kube_version.to_string()
    } else {
        format!("v{kube_version}")
    };
    let core = v.trim_start_matches('v');
    let mut parts = core.split(['.', '-', '+']);
    let major = parts.next().unwrap_or("0").to_string();
    let minor = parts.next().unwrap_or("0").to_string();
    Value::Object(Arc::new(Capabilities {
        kube: Value::Object(Arc::new(KubeVersion {
            version: v,
            major,
            minor,
        })),
        apis: Value::Object(Arc::new(VersionSet(api_versions))),
        helm: Value::Object(Arc::new(BuildInfo {
            version: "v4.2".into(),
        })),
    }))
}

#[derive(Debug)]
struct Files(BTreeMap<String, Arc<[u8]>>);

fn glob_match(p: &[char], s: &[char]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some('*') => {
            if p.get(1) == Some(&'*') {
                let rest = &p[2..];
                (0..=s.len()).any(|i| glob_match(rest, &s[i..]))
            } else {
                let rest = &p[1..];
                for i in 0..=s.len() {
                    if glob_match(rest, &s[i..]) {
                        return true;
                    }
                    if i < s.len() && s[i] == '/' {
                        break;
                    }
                }
                false
            }
        }
        Some('?') => !s.is_empty() && s[0] != '/' && glob_match(&p[1..], &s[1..]),
        Some('[') => {
            let Some(end) = p.iter().position(|&c| c == ']') else {
                return false;
            };
            let class = &p[1..end];
            let (neg, class) = if class.first() == Some(&'!') {
                (true, &class[1..])
            } else {
                (false, class)
            };
            let Some(&c) = s.first() else {
                return false;
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == '-' {
                    if class[i] <= c && c <= class[i + 2] {
                        hit = true;
                    }
                    i += 3;
                } else {
                    if class[i] == c {
                        hit = true;
                    }
                    i += 1;
                }
            }
            hit != neg && glob_match(&p[end + 1..], &s[1..])
        }
        Some('{') => {
            let Some(end) = p.iter().position(|&c| c == '}') else {
                return false;
            };
            let alts: String = p[1..end].iter().collect();
            alts.split(',').any(|a| {
                let mut np: Vec<char> = a.chars().collect();
                np.extend_from_slice(&p[end + 1..]);
                glob_match(&np, s)
            })
        }
        Some('\\') => p.len() > 1 && s.first() == Some(&p[1]) && glob_match(&p[2..], &s[1..]),
        Some(c) => s.first() == Some(c) && glob_match(&p[1..], &s[1..]),
    }
}

impl Files {
    fn string_map(&self, f: impl Fn(&[u8]) -> String) -> Value {
        let m = Map::new(MapKind::String);
        for (k, v) in &self.0 {
            m.insert(crate::funcs::strings::path_base(k), Value::from(f(v)));
        }
        Value::Map(m)
    }
}

impl Object for Files {
    fn type_name(&self) -> String {
        "engine.files".into()
    }
    fn kind_name(&self) -> &'static str {
        "map"
    }
    fn field(&self, name: &str) -> Option<Value> {
        self.0.get(name).map(|b| Value::Bytes(b.clone()))
    }
    fn method(&self, name: &str) -> Option<MethodSig> {
        match name {
            "Get" | "GetBytes" | "Glob" | "Lines" => Some(MethodSig {
                params: vec![ArgType::Text],
                variadic: None,
            }),
            "AsConfig" | "AsSecrets" => Some(MethodSig {
                params: vec![],
                variadic: None,
            }),
            _ => None,
        }
    }
    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let a = args.first().and_then(Value::as_str).unwrap_or("");
        Ok(match name {
            "Get" => Value::from(
                self.0
                    .get(a)
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default(),
            ),
            "GetBytes" => {
                Value::Bytes(self.0.get(a).cloned().unwrap_or_else(|| Arc::from(&[][..])))
            }
            "Glob" => {
                let p: Vec<char> = a.chars().collect();
                let sel = self
                    .0
                    .iter()
                    .filter(|(k, _)| glob_match(&p, &k.chars().collect::<Vec<_>>()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Value::Object(Arc::new(Files(sel)))
            }
            "Lines" => match self.0.get(a) {
                None => Value::string_list(vec![]),
                Some(b) => {
                    let s = String::from_utf8_lossy(b);
                    let s = s.strip_suffix('\n').unwrap_or(&s);
                    Value::string_list(s.split('\n').map(str::to_string).collect())
                }
            },
            "AsConfig" => {
                if self.0.is_empty() {
                    return Ok(Value::str(""));
                }
                Value::from(super::to_yaml(
                    &self.string_map(|b| String::from_utf8_lossy(b).into_owned()),
                ))
            }
            "AsSecrets" => {
                if self.0.is_empty() {
                    return Ok(Value::str(""));
                }
                use base64::Engine as _;
                Value::from(super::to_yaml(&self.string_map(|b| {
                    base64::engine::general_purpose::STANDARD.encode(b)
                })))
            }
            _ => return Err(format!("no method {name}")),
        })
    }
    fn format(&self, out: &mut String) {
        crate::fmt::write_value(out, &self.to_data());
    }
    fn len(&self) -> Option<usize> {
        Some(self.0.len())
    }
    fn to_data(&self) -> Value {
        let m = Map::new(MapKind::Interface);
        for (k, v) in &self.0 {
            m.insert(k.as_str(), Value::Bytes(v.clone()));
        }
        Value::Map(m)
    }
}

/// `.Files` from (path, contents) pairs of the chart's non-template files.
pub fn files(list: Vec<(String, Vec<u8>)>) -> Value {
    Value::Object(Arc::new(Files(
        list.into_iter().map(|(k, v)| (k, Arc::from(v))).collect(),
    )))
}

/// Release options, as `.Release` shows them.
#[derive(Clone, Debug)]
pub struct Release {
    /// Release name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Whether this is an upgrade.
    pub is_upgrade: bool,
    /// Whether this is an install (`helm template` sets it).
    pub is_install: bool,
    /// Revision number.
    pub revision: i64,
}

impl Default for Release {
    fn default() -> Self {
        Release {
            name: String::new(),
            namespace: "default".into(),
            is_upgrade: false,
            is_install: true,
            revision: 1,
        }
    }
}

/// `.Release` as a map, like Helm's `ToRenderValues`.
pub fn release(r: &Release) -> Value {
    let m = Map::new(MapKind::Interface);
    m.insert("Name", Value::str(&r.name));
    m.insert("Namespace", Value::str(&r.namespace));
    m.insert("IsUpgrade", Value::Bool(r.is_upgrade));
    m.insert("IsInstall", Value::Bool(r.is_install));
    m.insert("Revision", Value::Int(r.revision));
    m.insert("Service", Value::str("Helm"));
    Value::Map(m)
}

fn s(meta: &serde_json::Value, key: &str) -> Value {
    Value::from(
        meta.get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string(),
    )
}

fn str_list(meta: &serde_json::Value, key: &str) -> Value {
    match meta.get(key).and_then(|v| v.as_array()) {
        Some(a) => Value::list(
            a.iter()
                .map(|x| Value::from(x.as_str().unwrap_or("").to_string()))
                .collect(),
        ),
        None => Value::list(vec![]),
    }
}

/// `.Chart` from `Chart.yaml` (as JSON), with Helm's Go field names and `IsRoot`.
pub fn chart(meta: &serde_json::Value, is_root: bool) -> Value {
    let m = Map::new(MapKind::Interface);
    let keys = [
        ("Name", "name"),
        ("Home", "home"),
        ("Version", "version"),
        ("Description", "description"),
        ("Icon", "icon"),
        ("APIVersion", "apiVersion"),
        ("Condition", "condition"),
        ("Tags", "tags"),
        ("AppVersion", "appVersion"),
        ("KubeVersion", "kubeVersion"),
        ("Type", "type"),
    ];
    for (go, yaml) in keys {
        m.insert(go, s(meta, yaml));
    }
    m.insert("Sources", str_list(meta, "sources"));
    m.insert("Keywords", str_list(meta, "keywords"));
    m.insert(
        "Deprecated",
        Value::Bool(
            meta.get("deprecated")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
        ),
    );
    let ann = match meta.get("annotations").and_then(|v| v.as_object()) {
        Some(o) => {
            let am = Map::new(MapKind::String);
            for (k, v) in o {
                am.insert(
                    k.as_str(),
                    Value::from(v.as_str().map_or_else(|| v.to_string(), str::to_string)),
                );
            }
            Value::Map(am)
        }
        None => Value::Map(Map::new(MapKind::String)),
    };
    m.insert("Annotations", ann);
    let maint = meta
        .get("maintainers")
        .and_then(|v| v.as_array())
        .map_or_else(Vec::new, |a| {
            a.iter()
                .map(|x| {
                    let mm = Map::new(MapKind::Interface);
                    mm.insert("Name", s(x, "name"));
                    mm.insert("Email", s(x, "email"));
                    mm.insert("URL", s(x, "url"));
                    Value::Map(mm)
                })
                .collect()
        });
    m.insert("Maintainers", Value::list(maint));
    let deps = meta
        .get("dependencies")
        .and_then(|v| v.as_array())
        .map_or_else(Vec::new, |a| {
            a.iter()
                .map(|x| {
                    let mm = Map::new(MapKind::Interface);
                    mm.insert("Name", s(x, "name"));
                    mm.insert("Version", s(x, "version"));
                    mm.insert("Repository", s(x, "repository"));
                    mm.insert("Condition", s(x, "condition"));
                    mm.insert("Tags", str_list(x, "tags"));
                    mm.insert(
                        "Enabled",
                        Value::Bool(x.get("enabled").and_then(|v| v.as_bool()).unwrap_or(false)),
                    );
                    mm.insert(
                        "ImportValues",
                        Value::list(
                            x.get("import-values")
                                .and_then(|v| v.as_array())
                                .map_or_else(Vec::new, |a| a.iter().map(Value::from).collect()),
                        ),
                    );
                    mm.insert("Alias", s(x, "alias"));
                    Value::Map(mm)
                })
                .collect()
        });
    m.insert("Dependencies", Value::list(deps));
    m.insert("IsRoot", Value::Bool(is_root));
    Value::Map(m)
}

/// Shortcut used by tests: a `Str`.
#[allow(dead_code)]
pub(crate) fn key(s: &str) -> Str {
    Str::from(s)
}
