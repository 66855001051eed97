//! HTTP request handling: routing, authentication, faults, then one module per verb.

mod delete;
mod get;
mod list;
mod mutate;
mod scale;
mod table;
mod watch;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
use serde_json::Value;

use crate::Shared;
use crate::auth::Attributes;
use crate::registry::ResourceDef;
use crate::requests::RequestRecord;
use crate::status::ApiError;
use crate::store::Obj;

/// Response body type.
pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// Largest accepted request body.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A full body.
pub fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).boxed_unsync()
}

/// A response with bytes and a content type.
pub fn bytes_response(code: u16, body: Bytes, ct: &str) -> Response<Body> {
    let mut r = Response::new(full(body));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = header::HeaderValue::from_str(ct) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// A JSON response.
pub fn json_response(code: u16, v: &Value) -> Response<Body> {
    bytes_response(
        code,
        Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
        "application/json",
    )
}

fn aggregated_response(v: Option<Value>) -> Response<Body> {
    let body = Bytes::from(serde_json::to_vec(&v.unwrap_or(Value::Null)).unwrap_or_default());
    bytes_response(200, body, crate::discovery::AGGREGATED_CONTENT_TYPE)
}

/// A `Status` error response.
pub fn error_response(e: &ApiError) -> Response<Body> {
    let mut r = json_response(e.code, &e.to_status());
    if let Some(s) = e.retry_after
        && let Ok(v) = header::HeaderValue::from_str(&s.to_string())
    {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(x) => {
                        out.push(x);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query parameters.
#[derive(Debug, Default, Clone)]
pub struct Query(HashMap<String, String>);

impl Query {
    fn parse(q: Option<&str>) -> Self {
        let mut m = HashMap::new();
        for kv in q.unwrap_or_default().split('&').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            m.insert(url_decode(k), url_decode(v));
        }
        Self(m)
    }

    /// A parameter.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    /// A boolean parameter (`true`/`1`).
    pub fn flag(&self, k: &str) -> bool {
        matches!(self.get(k), Some("true" | "1"))
    }

    /// `dryRun=All`.
    pub fn dry_run(&self) -> bool {
        self.get("dryRun") == Some("All")
    }
}

/// One resource request, after routing.
#[derive(Debug, Clone)]
pub struct ResourceRequest {
    /// The resource definition.
    pub def: Arc<ResourceDef>,
    /// Namespace ("" for cluster-scoped or all namespaces).
    pub namespace: String,
    /// Whether the path named a namespace.
    pub has_namespace: bool,
    /// Object name.
    pub name: Option<String>,
    /// Subresource.
    pub subresource: Option<String>,
}

/// Everything a verb handler needs.
pub struct Ctx {
    /// Shared server state.
    pub shared: Arc<Shared>,
    /// Routed request.
    pub rr: ResourceRequest,
    /// Query.
    pub query: Query,
    /// Accept header.
    pub accept: String,
    /// Content-Type header.
    pub content_type: String,
    /// Body.
    pub body: Bytes,
    /// Default field manager (from the User-Agent).
    pub default_manager: String,
}

impl Ctx {
    /// Wants a `Table`.
    pub fn wants_table(&self) -> bool {
        self.accept.contains("as=Table")
    }

    /// Wants `PartialObjectMetadata` (kube-rs `get_metadata`, `list_metadata`, `metadata_watcher`).
    pub fn wants_metadata(&self) -> bool {
        self.accept.contains("as=PartialObjectMetadata")
    }

    /// The field manager of a write.
    pub fn manager(&self) -> String {
        self.query
            .get("fieldManager")
            .filter(|m| !m.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| self.default_manager.clone())
    }

    /// The JSON body.
    pub fn json_body(&self) -> Result<Value, ApiError> {
        if self.content_type.contains("protobuf") || self.content_type.contains("cbor") {
            return Err(ApiError::unsupported_media(&self.content_type));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
    }
}

/// The object's JSON as served at this version (apiVersion rewritten when stored under another).
pub fn served_bytes(def: &ResourceDef, obj: &Obj) -> Bytes {
    let av = def.api_version();
    if obj.value.get("apiVersion").and_then(Value::as_str) == Some(av.as_str()) {
        obj.json.clone()
    } else {
        let mut v = obj.value.clone();
        v["apiVersion"] = Value::String(av);
        Bytes::from(serde_json::to_vec(&v).unwrap_or_default())
    }
}

/// The `PartialObjectMetadata` form of an object.
pub fn partial_metadata(obj: &Obj) -> Bytes {
    let v = serde_json::json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.value.get("metadata").cloned().unwrap_or(Value::Null),
    });
    Bytes::from(serde_json::to_vec(&v).unwrap_or_default())
}

/// A JSON response of one object.
pub fn object_response(code: u16, def: &ResourceDef, obj: &Obj) -> Response<Body> {
    bytes_response(code, served_bytes(def, obj), "application/json")
}

enum Route {
    Version,
    Health,
    Api,
    Apis,
    Group(String),
    GroupVersion(String, String),
    OpenApiIndex,
    OpenApiDoc(String, String),
    Resource(String, String, Vec<String>),
}

fn route(path: &str) -> Option<Route> {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    Some(match segs.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "livez" | "readyz", ..] => Route::Health,
        ["api"] => Route::Api,
        ["apis"] => Route::Apis,
        ["api", v] => Route::GroupVersion(String::new(), (*v).to_string()),
        ["apis", g] => Route::Group((*g).to_string()),
        ["apis", g, v] => Route::GroupVersion((*g).to_string(), (*v).to_string()),
        ["openapi", "v3"] => Route::OpenApiIndex,
        ["openapi", "v3", "api", v] => Route::OpenApiDoc(String::new(), (*v).to_string()),
        ["openapi", "v3", "apis", g, v] => Route::OpenApiDoc((*g).to_string(), (*v).to_string()),
        ["api", v, rest @ ..] => Route::Resource(
            String::new(),
            (*v).to_string(),
            rest.iter().map(|s| url_decode(s)).collect(),
        ),
        ["apis", g, v, rest @ ..] => Route::Resource(
            (*g).to_string(),
            (*v).to_string(),
            rest.iter().map(|s| url_decode(s)).collect(),
        ),
        _ => return None,
    })
}

fn resolve(
    shared: &Shared,
    group: &str,
    version: &str,
    rest: &[String],
) -> Result<ResourceRequest, ApiError> {
    let st = shared.store.lock();
    let reg = &st.registry;
    let lookup = |plural: &str| {
        reg.get(group, version, plural)
            .ok_or_else(ApiError::not_found_path)
    };
    let (def, ns, has_ns, name, sub) = match rest {
        [ns_kw, ns, plural, tail @ ..]
            if ns_kw == "namespaces"
                && reg
                    .get(group, version, plural)
                    .is_some_and(|d| d.namespaced) =>
        {
            (
                lookup(plural)?,
                ns.clone(),
                true,
                tail.first().cloned(),
                tail.get(1).cloned(),
            )
        }
        [plural, tail @ ..] => (
            lookup(plural)?,
            String::new(),
            false,
            tail.first().cloned(),
            tail.get(1).cloned(),
        ),
        [] => return Err(ApiError::not_found_path()),
    };
    if rest.len() > if has_ns { 5 } else { 3 } {
        return Err(ApiError::not_found_path());
    }
    if let Some(s) = &sub {
        let ok = (s == "status" && def.status)
            || (s == "scale" && def.scale.is_some())
            || (s == "finalize" && def.kind == "Namespace");
        if !ok {
            return Err(ApiError::not_found_path());
        }
    }
    Ok(ResourceRequest {
        def,
        namespace: ns,
        has_namespace: has_ns,
        name,
        subresource: sub,
    })
}

fn verb_of(method: &Method, rr: &ResourceRequest, q: &Query) -> Option<&'static str> {
    Some(match (method.as_str(), rr.name.is_some()) {
        ("GET", true) => "get",
        ("GET", false) if q.flag("watch") => "watch",
        ("GET", false) => "list",
        ("POST", false) => "create",
        ("PUT", true) => "update",
        ("PATCH", true) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => return None,
    })
}

fn header_str<'a>(req: &'a Request<hyper::body::Incoming>, h: &str) -> Option<&'a str> {
    req.headers().get(h).and_then(|v| v.to_str().ok())
}

/// Handles one HTTP request.
pub async fn handle(shared: Arc<Shared>, req: Request<hyper::body::Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = Query::parse(req.uri().query());
    let user_agent = header_str(&req, "user-agent")
        .unwrap_or_default()
        .to_string();
    let mut rec = RequestRecord {
        method: method.to_string(),
        path: path.clone(),
        verb: "other".into(),
        group: String::new(),
        resource: String::new(),
        subresource: String::new(),
        namespace: String::new(),
        name: String::new(),
        code: 0,
        user: String::new(),
        user_agent: user_agent.clone(),
    };
    let resp = match serve(&shared, req, &path, query, &user_agent, &mut rec).await {
        Ok(r) => r,
        Err(e) => error_response(&e),
    };
    rec.code = resp.status().as_u16();
    tracing::debug!(method = %rec.method, path = %rec.path, code = rec.code, "request");
    shared.log.push(rec);
    resp
}

#[allow(clippy::needless_return)]
async fn serve(
    shared: &Arc<Shared>,
    req: Request<hyper::body::Incoming>,
    path: &str,
    query: Query,
    user_agent: &str,
    rec: &mut RequestRecord,
) -> Result<Response<Body>, ApiError> {
    let route = route(path).ok_or_else(ApiError::not_found_path)?;
    if matches!(route, Route::Health) {
        return Ok(bytes_response(200, Bytes::from_static(b"ok"), "text/plain"));
    }
    let caller = shared
        .auth
        .authenticate(header_str(&req, "authorization"))?;
    let as_groups: Vec<String> = req
        .headers()
        .get_all("impersonate-group")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let user = shared
        .auth
        .impersonate(caller, header_str(&req, "impersonate-user"), &as_groups)?;
    rec.user = user.name.clone();
    let accept = header_str(&req, "accept").unwrap_or_default().to_string();
    let content_type = header_str(&req, "content-type")
        .unwrap_or_default()
        .to_string();
    let method = req.method().clone();
    let reg_json = |f: &dyn Fn(&crate::registry::Registry) -> Option<Value>| {
        let st = shared.store.lock();
        f(&st.registry)
    };
    let simple = |v: Option<Value>| {
        v.map(|v| json_response(200, &v))
            .ok_or_else(ApiError::not_found_path)
    };
    match route {
        Route::Version => {
            rec.verb = "discovery".into();
            return Ok(json_response(200, &crate::discovery::version()));
        }
        Route::Api if crate::discovery::wants_aggregated(&accept) => {
            rec.verb = "discovery".into();
            let v = reg_json(&|r| Some(crate::discovery::aggregated(r, true)));
            return Ok(aggregated_response(v));
        }
        Route::Apis if crate::discovery::wants_aggregated(&accept) => {
            rec.verb = "discovery".into();
            let v = reg_json(&|r| Some(crate::discovery::aggregated(r, false)));
            return Ok(aggregated_response(v));
        }
        Route::Api => {
            rec.verb = "discovery".into();
            return Ok(json_response(
                200,
                &crate::discovery::core_versions(&shared.addr.to_string()),
            ));
        }
        Route::Apis => {
            rec.verb = "discovery".into();
            return simple(reg_json(&|r| Some(crate::discovery::groups(r))));
        }
        Route::Group(g) => {
            rec.verb = "discovery".into();
            return simple(reg_json(&|r| crate::discovery::group(r, &g)));
        }
        Route::GroupVersion(g, v) => {
            rec.verb = "discovery".into();
            return simple(reg_json(&|r| crate::discovery::resources(r, &g, &v)));
        }
        Route::OpenApiIndex => {
            rec.verb = "openapi".into();
            let (hash, reg) = {
                let st = shared.store.lock();
                (format!("{:X}", st.rv), st.registry.clone())
            };
            return Ok(json_response(200, &crate::openapi::index(&reg, &hash)));
        }
        Route::OpenApiDoc(g, v) => {
            rec.verb = "openapi".into();
            return simple(reg_json(&|r| crate::openapi::document(r, &g, &v)));
        }
        Route::Health => unreachable!("handled above"),
        Route::Resource(g, v, rest) => {
            let rr = resolve(shared, &g, &v, &rest)?;
            let verb = verb_of(&method, &rr, &query).ok_or_else(ApiError::method_not_allowed)?;
            if rr.subresource.is_some() && !matches!(verb, "get" | "update" | "patch") {
                return Err(ApiError::method_not_allowed());
            }
            rec.verb = verb.into();
            rec.group = rr.def.group.clone();
            rec.resource = rr.def.plural.clone();
            rec.subresource = rr.subresource.clone().unwrap_or_default();
            rec.namespace = rr.namespace.clone();
            rec.name = rr.name.clone().unwrap_or_default();
            let is_write = matches!(verb, "update" | "patch");
            let verdict = shared.faults.judge(verb, is_write);
            if !verdict.latency.is_zero() {
                tokio::time::sleep(verdict.latency).await;
            }
            if let Some(e) = verdict.error {
                return Err(e);
            }
            let ns_for_authz = if rr.def.namespaced && rr.has_namespace {
                Some(rr.namespace.as_str())
            } else if rr.def.kind == "Namespace" {
                rr.name.as_deref()
            } else {
                None
            };
            shared.auth.authorize(
                &user,
                &Attributes {
                    verb,
                    group: &rr.def.group,
                    resource: &rr.def.plural,
                    namespace: ns_for_authz,
                    name: rr.name.as_deref(),
                },
            )?;
            let body = if matches!(
                method,
                Method::POST | Method::PUT | Method::PATCH | Method::DELETE
            ) {
                match http_body_util::Limited::new(req.into_body(), MAX_BODY)
                    .collect()
                    .await
                {
                    Ok(b) => b.to_bytes(),
                    Err(e) => {
                        return Err(ApiError::bad_request(format!(
                            "reading the request body: {e}"
                        )));
                    }
                }
            } else {
                Bytes::new()
            };
            let ctx = Ctx {
                shared: shared.clone(),
                rr,
                query,
                accept,
                content_type,
                body,
                default_manager: user_agent
                    .split('/')
                    .next()
                    .unwrap_or("unknown")
                    .to_string(),
            };
            let r = match verb {
                "get" if ctx.rr.subresource.as_deref() == Some("scale") => scale::get(&ctx),
                "get" => get::get(&ctx),
                "list" => list::list(&ctx),
                "watch" => return watch::watch(ctx).await,
                "create" => mutate::create(&ctx),
                "update" if ctx.rr.subresource.as_deref() == Some("scale") => scale::update(&ctx),
                "update" => mutate::update(&ctx),
                "patch" if ctx.rr.subresource.as_deref() == Some("scale") => scale::patch(&ctx),
                "patch" => mutate::patch(&ctx),
                "delete" => delete::delete(&ctx),
                "deletecollection" => delete::delete_collection(&ctx),
                _ => Err(ApiError::method_not_allowed()),
            };
            if matches!(
                verb,
                "create" | "update" | "patch" | "delete" | "deletecollection"
            ) {
                shared.store.changed.notify_one();
            }
            r
        }
    }
}
