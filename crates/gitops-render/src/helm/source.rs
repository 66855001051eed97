//! Where charts come from: local paths, Helm repositories (`index.yaml` over HTTP(S)) and
//! OCI registries (`oci://`), with a cache of downloaded charts keyed by digest.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::HelmError;
use super::archive::MAX_CHART_SIZE;
use super::chart::Chart;
use super::deps::is_compatible_range;

/// Where a chart comes from.
///
/// ```
/// use gitops_render::helm::ChartSource;
/// let s = ChartSource::parse("oci://ghcr.io/stefanprodan/charts/podinfo", Some("6.9.0"));
/// assert!(matches!(s, ChartSource::Oci { .. }));
/// let s = ChartSource::parse("./charts/web", None);
/// assert!(matches!(s, ChartSource::Path(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartSource {
    /// A chart directory or `.tgz` archive on disk.
    Path(PathBuf),
    /// A chart in a Helm repository (`--repo URL`, chart name, `--version`).
    Repository {
        /// The repository URL (its `index.yaml` is at `<url>/index.yaml`).
        url: String,
        /// The chart's name.
        chart: String,
        /// An exact version or a semver range (`^1.2`, `>=1.0.0 <2.0.0`); `None` picks the
        /// newest stable version.
        version: Option<String>,
    },
    /// A chart in an OCI registry: `oci://host/path/name[:tag][@sha256:…]`.
    Oci {
        /// The `oci://` reference.
        reference: String,
        /// A version (tag) or semver range when the reference has no tag or digest.
        version: Option<String>,
    },
}

impl ChartSource {
    /// Reads a chart argument as `helm template` does: `oci://…` is a registry reference,
    /// anything else a path.
    pub fn parse(arg: &str, version: Option<&str>) -> ChartSource {
        if arg.starts_with("oci://") {
            ChartSource::Oci {
                reference: arg.to_string(),
                version: version.map(str::to_string),
            }
        } else {
            ChartSource::Path(PathBuf::from(arg))
        }
    }
}

/// Credentials for a repository or registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// HTTP basic authentication (also used to obtain registry tokens).
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// A bearer token sent as is.
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// How charts are fetched.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Where downloaded indexes and charts are kept (default: `$XDG_CACHE_HOME` or
    /// `~/.cache`, then `gitops-rs/helm`; the system temporary directory otherwise).
    pub cache_dir: Option<PathBuf>,
    /// Credentials for the repository or registry.
    pub auth: Option<Auth>,
    /// The largest `index.yaml` accepted, in bytes (default 64 MiB).
    pub max_index_size: u64,
    /// The largest chart archive accepted, in bytes (default 100 MiB).
    pub max_chart_size: u64,
    /// Timeout of each request (default 60 s).
    pub timeout: Duration,
    /// Extra trusted CA certificates (PEM), for private repositories.
    pub ca_certificates: Vec<Vec<u8>>,
    /// Talk plain HTTP to OCI registries (Helm's `--plain-http`).
    pub plain_http: bool,
    /// Send the credentials to chart URLs on other hosts than the repository's
    /// (Helm's `--pass-credentials`).
    pub pass_credentials: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            cache_dir: None,
            auth: None,
            max_index_size: 64 * 1024 * 1024,
            max_chart_size: MAX_CHART_SIZE,
            timeout: Duration::from_secs(60),
            ca_certificates: Vec::new(),
            plain_http: false,
            pass_credentials: false,
        }
    }
}

impl FetchOptions {
    fn cache_root(&self) -> PathBuf {
        if let Some(d) = &self.cache_dir {
            return d.clone();
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        base.join("gitops-rs").join("helm")
    }
}

/// Loads a local chart, or fetches one from a repository or registry (through the cache).
///
/// Fetching blocks: call it outside an async runtime (e.g. in `spawn_blocking`).
///
/// ```
/// use gitops_render::helm::{ChartSource, FetchOptions, fetch_chart};
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("Chart.yaml"), "apiVersion: v2\nname: web\nversion: 1.0.0\n")?;
/// let chart = fetch_chart(&ChartSource::Path(dir.path().into()), &FetchOptions::default())?;
/// assert_eq!(chart.metadata().version, "1.0.0");
/// // a repository chart would be
/// // ChartSource::Repository { url: "https://charts.example.com".into(), chart: "web".into(),
/// //     version: Some("^1.0".into()) }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fetch_chart(source: &ChartSource, opts: &FetchOptions) -> Result<Chart, HelmError> {
    match source {
        ChartSource::Path(p) => Chart::load(p),
        ChartSource::Repository {
            url,
            chart,
            version,
        } => {
            let (bytes, label) = fetch_from_repo(url, chart, version.as_deref(), opts)?;
            Chart::from_archive(&bytes, &label)
        }
        ChartSource::Oci { reference, version } => {
            let (bytes, label) = oci::pull(reference, version.as_deref(), opts)?;
            Chart::from_archive(&bytes, &label)
        }
    }
}

/// A chart fetched from a repository or registry and unpacked on disk, as `helm pull --untar`
/// leaves it: `root/<name>/Chart.yaml`. The directory is keyed by the archive's digest in the
/// cache, so it never changes once written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledChart {
    /// The directory that holds the chart's directory.
    pub root: PathBuf,
    /// The chart's name (its directory inside `root`).
    pub name: String,
    /// The chart's version.
    pub version: String,
    /// `sha256:<hex>` of the archive.
    pub digest: String,
}

impl PulledChart {
    /// The chart's directory.
    pub fn dir(&self) -> PathBuf {
        self.root.join(&self.name)
    }
}

/// Fetches a chart from a repository or registry (through the cache) and unpacks it under
/// the cache directory. The archive is checked as [`fetch_chart`] checks it (digest, size,
/// paths that would leave the chart) before anything is written.
///
/// Blocks, like [`fetch_chart`].
///
/// ```no_run
/// use gitops_render::helm::{ChartSource, FetchOptions, pull};
/// let source = ChartSource::parse("oci://ghcr.io/stefanprodan/charts/podinfo", Some("6.x"));
/// let pulled = pull(&source, &FetchOptions::default())?;
/// println!("{} {} in {}", pulled.name, pulled.version, pulled.dir().display());
/// # Ok::<(), gitops_render::helm::HelmError>(())
/// ```
pub fn pull(source: &ChartSource, opts: &FetchOptions) -> Result<PulledChart, HelmError> {
    let (bytes, label) = match source {
        ChartSource::Path(p) => {
            return Err(HelmError::Invalid(format!(
                "{}: a local chart needs no pull",
                p.display()
            )));
        }
        ChartSource::Repository {
            url,
            chart,
            version,
        } => fetch_from_repo(url, chart, version.as_deref(), opts)?,
        ChartSource::Oci { reference, version } => oci::pull(reference, version.as_deref(), opts)?,
    };
    let chart = Chart::from_archive(&bytes, &label)?;
    let hex = sha256_hex(&bytes);
    let name = chart.name().to_owned();
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(HelmError::archive(
            &label,
            format!("invalid chart name {name:?}"),
        ));
    }
    let base = opts.cache_root().join("untar");
    let root = base.join(&hex);
    let pulled = PulledChart {
        root: root.clone(),
        name: name.clone(),
        version: chart.metadata().version.clone(),
        digest: format!("sha256:{hex}"),
    };
    if root.join(&name).join("Chart.yaml").is_file() {
        return Ok(pulled);
    }
    let tmp = base.join(format!("{hex}.tmp{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    for file in super::archive::read_archive(&bytes, &label)? {
        let path = tmp.join(&name).join(&file.name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| HelmError::io(dir, e))?;
        }
        std::fs::write(&path, &file.data).map_err(|e| HelmError::io(&path, e))?;
    }
    match std::fs::rename(&tmp, &root) {
        Ok(()) => Ok(pulled),
        // another process unpacked the same archive first
        Err(_) if root.join(&name).join("Chart.yaml").is_file() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(pulled)
        }
        Err(e) => Err(HelmError::io(&root, e)),
    }
}

fn client(opts: &FetchOptions) -> Result<reqwest::blocking::Client, HelmError> {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // another thread may win the race; either way ring is installed
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let mut b = reqwest::blocking::Client::builder()
        .timeout(opts.timeout)
        .user_agent(concat!("gitops-rs/", env!("CARGO_PKG_VERSION")));
    for pem in &opts.ca_certificates {
        let cert = reqwest::Certificate::from_pem(pem)
            .map_err(|e| HelmError::Invalid(format!("invalid CA certificate: {e}")))?;
        b = b.add_root_certificate(cert);
    }
    b.build()
        .map_err(|e| HelmError::Invalid(format!("cannot build an HTTP client: {e}")))
}

fn with_auth(
    req: reqwest::blocking::RequestBuilder,
    auth: Option<&Auth>,
) -> reqwest::blocking::RequestBuilder {
    match auth {
        None => req,
        Some(Auth::Basic { username, password }) => req.basic_auth(username, Some(password)),
        Some(Auth::Bearer(t)) => req.bearer_auth(t),
    }
}

/// Reads a response body, refusing more than `limit` bytes.
fn read_body(
    resp: reqwest::blocking::Response,
    url: &str,
    limit: u64,
) -> Result<Vec<u8>, HelmError> {
    if let Some(len) = resp.content_length()
        && len > limit
    {
        return Err(HelmError::fetch(
            url,
            format!("response of {len} bytes is larger than the limit of {limit}"),
        ));
    }
    let mut data = Vec::new();
    resp.take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|e| HelmError::fetch(url, e.to_string()))?;
    if data.len() as u64 > limit {
        return Err(HelmError::fetch(
            url,
            format!("response is larger than the limit of {limit} bytes"),
        ));
    }
    Ok(data)
}

fn sha256_hex(data: &[u8]) -> String {
    let d = Sha256::digest(data);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_atomic(path: &Path, data: &[u8]) -> Result<(), HelmError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| HelmError::io(dir, e))?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, data).map_err(|e| HelmError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| HelmError::io(path, e))
}

/// A cache key safe as a file name.
fn key_of(s: &str) -> String {
    sha256_hex(s.as_bytes())[..32].to_string()
}

/// The cached chart with this digest, verified.
fn cached_chart(opts: &FetchOptions, digest: &str) -> Option<Vec<u8>> {
    let path = opts
        .cache_root()
        .join("charts")
        .join(format!("sha256-{digest}.tgz"));
    let data = std::fs::read(path).ok()?;
    (sha256_hex(&data) == digest).then_some(data)
}

fn store_chart(opts: &FetchOptions, digest: &str, data: &[u8]) -> Result<(), HelmError> {
    let path = opts
        .cache_root()
        .join("charts")
        .join(format!("sha256-{digest}.tgz"));
    write_atomic(&path, data)
}

/// Fetches `index.yaml`, revalidating the cached copy with its `ETag`.
fn fetch_index(
    http: &reqwest::blocking::Client,
    repo: &str,
    opts: &FetchOptions,
) -> Result<serde_json::Value, HelmError> {
    let url = format!("{}/index.yaml", repo.trim_end_matches('/'));
    // Messages never show credentials written into the URL.
    let (shown_url, shown_repo) = (
        crate::kustomize::without_credentials(&url),
        crate::kustomize::without_credentials(repo),
    );
    let dir = opts.cache_root().join("index");
    let body_path = dir.join(format!("{}.yaml", key_of(&url)));
    let etag_path = dir.join(format!("{}.etag", key_of(&url)));
    let mut req = with_auth(http.get(&url), opts.auth.as_ref());
    let cached_etag = std::fs::read_to_string(&etag_path).ok();
    if let Some(etag) = &cached_etag
        && body_path.is_file()
    {
        req = req.header(reqwest::header::IF_NONE_MATCH, etag.trim());
    }
    let resp = req.send().map_err(|e| {
        HelmError::fetch(
            &shown_url,
            format!(
                "looks like {shown_repo:?} is not a valid chart repository or cannot be reached: {}",
                e.without_url()
            ),
        )
    })?;
    let data = if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
        std::fs::read(&body_path).map_err(|e| HelmError::io(&body_path, e))?
    } else if resp.status().is_success() {
        let etag = resp
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let data = read_body(resp, &shown_url, opts.max_index_size)?;
        write_atomic(&body_path, &data)?;
        match etag {
            Some(e) => write_atomic(&etag_path, e.as_bytes())?,
            None => {
                let _ = std::fs::remove_file(&etag_path);
            }
        }
        data
    } else {
        return Err(HelmError::fetch(
            &shown_url,
            format!(
                "looks like {shown_repo:?} is not a valid chart repository or cannot be reached: {}",
                resp.status()
            ),
        ));
    };
    let text = String::from_utf8_lossy(&data);
    gitops_core::yaml::parse_value(&text)
        .map_err(|e| HelmError::fetch(&shown_url, format!("invalid index.yaml: {e}")))
}

/// Helm's `IndexFile.Get`: an exact version first, otherwise the newest version matching
/// the constraint (`*` when none: the newest stable version).
fn select_version<'a>(
    entries: &'a [serde_json::Value],
    version: Option<&str>,
) -> Option<&'a serde_json::Value> {
    let ver = |e: &serde_json::Value| {
        e.get("version")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    if let Some(v) = version
        && !v.is_empty()
        && let Some(e) = entries.iter().find(|e| ver(e) == v)
    {
        return Some(e);
    }
    let constraint = version.filter(|v| !v.is_empty()).unwrap_or("*");
    let mut candidates: Vec<(gitops_gotemplate::semver::Version, &serde_json::Value)> = entries
        .iter()
        .filter_map(|e| Some((gitops_gotemplate::semver::Version::parse(&ver(e)).ok()?, e)))
        .collect();
    candidates.sort_by(|a, b| b.0.precedence(&a.0));
    candidates
        .into_iter()
        .find(|(_, e)| is_compatible_range(constraint, &ver(e)))
        .map(|(_, e)| e)
}

fn host_of(url: &str) -> Option<String> {
    reqwest::Url::parse(url).ok().and_then(|u| {
        u.host_str()
            .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(0)))
    })
}

fn fetch_from_repo(
    repo: &str,
    chart: &str,
    version: Option<&str>,
    opts: &FetchOptions,
) -> Result<(Vec<u8>, String), HelmError> {
    let shown = crate::kustomize::without_credentials(repo);
    if !(repo.starts_with("https://") || repo.starts_with("http://")) {
        return Err(HelmError::Invalid(format!(
            "{shown}: a chart repository URL must start with https:// or http://"
        )));
    }
    let http = client(opts)?;
    let index = fetch_index(&http, repo, opts)?;
    let not_found = |what: String| HelmError::NotFound {
        message: format!("{what} not found in {shown} repository"),
    };
    let entries = index
        .get("entries")
        .and_then(|e| e.get(chart))
        .and_then(|e| e.as_array())
        .ok_or_else(|| not_found(format!("chart {chart:?}")))?;
    let entry = select_version(entries, version).ok_or_else(|| match version {
        Some(v) => not_found(format!("chart {chart:?} version {v:?}")),
        None => not_found(format!("chart {chart:?}")),
    })?;
    let chart_version = entry.get("version").and_then(|v| v.as_str()).unwrap_or("");
    let label = format!("{chart}-{chart_version}.tgz");
    let digest = entry
        .get("digest")
        .and_then(|d| d.as_str())
        .map(|d| d.trim_start_matches("sha256:").to_ascii_lowercase())
        .filter(|d| !d.is_empty());
    if let Some(d) = &digest
        && let Some(data) = cached_chart(opts, d)
    {
        return Ok((data, label));
    }
    let first = entry
        .get("urls")
        .and_then(|u| u.as_array())
        .and_then(|u| u.first())
        .and_then(|u| u.as_str())
        .ok_or_else(|| {
            HelmError::fetch(
                repo,
                format!("chart {chart:?} version {chart_version:?} has no URL"),
            )
        })?;
    let base = reqwest::Url::parse(&format!("{}/", repo.trim_end_matches('/')))
        .map_err(|e| HelmError::Invalid(format!("invalid repository URL {repo:?}: {e}")))?;
    let url = base
        .join(first)
        .map_err(|e| HelmError::fetch(repo, format!("invalid chart URL {first:?}: {e}")))?;
    let same_host = host_of(url.as_str()) == host_of(base.as_str());
    let auth = if same_host || opts.pass_credentials {
        opts.auth.as_ref()
    } else {
        None
    };
    let resp = with_auth(http.get(url.clone()), auth)
        .send()
        .map_err(|e| HelmError::fetch(url.as_str(), e.to_string()))?;
    if !resp.status().is_success() {
        return Err(HelmError::fetch(
            url.as_str(),
            format!("failed to fetch {url} : {}", resp.status()),
        ));
    }
    let data = read_body(resp, url.as_str(), opts.max_chart_size)?;
    let actual = sha256_hex(&data);
    if let Some(expected) = &digest
        && *expected != actual
    {
        return Err(HelmError::Digest {
            url: url.to_string(),
            expected: expected.clone(),
            actual,
        });
    }
    store_chart(opts, &actual, &data)?;
    Ok((data, label))
}

mod oci {
    //! A minimal OCI distribution client for Helm charts: manifests, blobs, tag lists and
    //! token or basic authentication.

    use super::*;

    const MANIFEST_TYPES: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
    const CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
    const LEGACY_CHART_LAYER: &str = "application/tar+gzip";

    /// A parsed `oci://host/repository[:tag][@digest]` reference.
    #[derive(Debug, PartialEq, Eq)]
    pub(super) struct Reference {
        pub host: String,
        pub repository: String,
        pub tag: Option<String>,
        pub digest: Option<String>,
    }

    pub(super) fn parse_reference(reference: &str) -> Result<Reference, HelmError> {
        let bad = |m: &str| HelmError::Invalid(format!("invalid OCI reference {reference:?}: {m}"));
        let rest = reference
            .strip_prefix("oci://")
            .ok_or_else(|| bad("must start with oci://"))?;
        let (rest, digest) = match rest.split_once('@') {
            Some((r, d)) => {
                let hex = d
                    .strip_prefix("sha256:")
                    .ok_or_else(|| bad("only sha256 digests are supported"))?;
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad("malformed digest"));
                }
                (r, Some(format!("sha256:{}", hex.to_ascii_lowercase())))
            }
            None => (rest, None),
        };
        let (host, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("missing repository"))?;
        if host.is_empty() || path.is_empty() {
            return Err(bad("missing host or repository"));
        }
        let (repository, tag) = match path.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r.to_string(), Some(t.to_string())),
            _ => (path.to_string(), None),
        };
        if repository
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(bad("malformed repository"));
        }
        Ok(Reference {
            host: host.to_string(),
            repository,
            tag,
            digest,
        })
    }

    /// A session with one registry: remembers the token it obtained.
    struct Session<'a> {
        http: reqwest::blocking::Client,
        opts: &'a FetchOptions,
        base: String,
        repository: String,
        token: Option<String>,
    }

    impl Session<'_> {
        fn url(&self, tail: &str) -> String {
            format!("{}/v2/{}/{tail}", self.base, self.repository)
        }

        fn get(
            &mut self,
            url: &str,
            accept: Option<&str>,
        ) -> Result<reqwest::blocking::Response, HelmError> {
            for attempt in 0..2 {
                let mut req = self.http.get(url);
                if let Some(a) = accept {
                    req = req.header(reqwest::header::ACCEPT, a);
                }
                req = match (&self.token, &self.opts.auth) {
                    (Some(t), _) => req.bearer_auth(t),
                    (None, Some(Auth::Bearer(t))) => req.bearer_auth(t),
                    (None, Some(Auth::Basic { username, password })) if attempt > 0 => {
                        req.basic_auth(username, Some(password))
                    }
                    _ => req,
                };
                let resp = req
                    .send()
                    .map_err(|e| HelmError::fetch(url, e.to_string()))?;
                if resp.status() != reqwest::StatusCode::UNAUTHORIZED || attempt > 0 {
                    return Ok(resp);
                }
                let challenge = resp
                    .headers()
                    .get(reqwest::header::WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                if challenge.to_ascii_lowercase().starts_with("bearer") {
                    self.token = Some(self.fetch_token(&challenge)?);
                } else if self.opts.auth.is_none() {
                    return Err(HelmError::fetch(
                        url,
                        "401 Unauthorized: credentials required",
                    ));
                }
            }
            Err(HelmError::fetch(url, "401 Unauthorized"))
        }

        /// Obtains a token from the `Bearer realm=…,service=…,scope=…` challenge.
        fn fetch_token(&self, challenge: &str) -> Result<String, HelmError> {
            let params = parse_challenge(challenge);
            let realm = params
                .iter()
                .find(|(k, _)| k == "realm")
                .map(|(_, v)| v.clone())
                .ok_or_else(|| {
                    HelmError::fetch(
                        &self.base,
                        format!("bad WWW-Authenticate challenge: {challenge}"),
                    )
                })?;
            let mut url = reqwest::Url::parse(&realm)
                .map_err(|e| HelmError::fetch(&realm, format!("bad token realm: {e}")))?;
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in &params {
                    if k != "realm" {
                        q.append_pair(k, v);
                    }
                }
                if !params.iter().any(|(k, _)| k == "scope") {
                    q.append_pair("scope", &format!("repository:{}:pull", self.repository));
                }
            }
            let mut req = self.http.get(url.clone());
            if let Some(Auth::Basic { username, password }) = &self.opts.auth {
                req = req.basic_auth(username, Some(password));
            }
            let resp = req
                .send()
                .map_err(|e| HelmError::fetch(url.as_str(), e.to_string()))?;
            if !resp.status().is_success() {
                return Err(HelmError::fetch(
                    url.as_str(),
                    format!("token request failed: {}", resp.status()),
                ));
            }
            let body = read_body(resp, url.as_str(), 1024 * 1024)?;
            let v: serde_json::Value = serde_json::from_slice(&body)
                .map_err(|e| HelmError::fetch(url.as_str(), format!("bad token response: {e}")))?;
            v.get("token")
                .or_else(|| v.get("access_token"))
                .and_then(|t| t.as_str())
                .map(str::to_string)
                .ok_or_else(|| HelmError::fetch(url.as_str(), "token response without a token"))
        }
    }

    /// `key="value"` pairs of an authentication challenge.
    fn parse_challenge(c: &str) -> Vec<(String, String)> {
        let rest = c.split_once(' ').map_or("", |(_, r)| r);
        let mut out = Vec::new();
        let mut chars = rest.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
                chars.next();
            }
            let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
            if key.is_empty() {
                break;
            }
            let mut val = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    val.push(c);
                }
            } else {
                while let Some(c) = chars.peek() {
                    if *c == ',' {
                        break;
                    }
                    val.push(*c);
                    chars.next();
                }
            }
            out.push((key.trim().to_string(), val));
        }
        out
    }

    fn check(
        resp: reqwest::blocking::Response,
        url: &str,
        what: &str,
    ) -> Result<reqwest::blocking::Response, HelmError> {
        match resp.status() {
            s if s.is_success() => Ok(resp),
            reqwest::StatusCode::NOT_FOUND => Err(HelmError::NotFound {
                message: format!("{what} not found: {url}"),
            }),
            s => Err(HelmError::fetch(url, format!("{what}: {s}"))),
        }
    }

    pub(super) fn pull(
        reference: &str,
        version: Option<&str>,
        opts: &FetchOptions,
    ) -> Result<(Vec<u8>, String), HelmError> {
        let r = parse_reference(reference)?;
        let name = r
            .repository
            .rsplit('/')
            .next()
            .unwrap_or(&r.repository)
            .to_string();
        let scheme = if opts.plain_http { "http" } else { "https" };
        let mut s = Session {
            http: client(opts)?,
            opts,
            base: format!("{scheme}://{}", r.host),
            repository: r.repository.clone(),
            token: None,
        };
        // the manifest to read: a digest, a tag, or the newest tag matching the version
        let target = match (&r.digest, &r.tag, version) {
            (Some(d), _, _) => d.clone(),
            (None, Some(t), _) => t.clone(),
            (None, None, Some(v))
                if gitops_gotemplate::semver::Version::parse(v).is_ok()
                    && !v.contains(['*', 'x', '^', '~', '>', '<', ' ', '|']) =>
            {
                v.replace('+', "_")
            }
            (None, None, v) => newest_tag(&mut s, reference, v)?,
        };
        let cache = opts.cache_root().join("oci");
        // a digest reference whose manifest is cached needs no network
        if let Some(d) = &r.digest {
            let mpath = cache.join(format!("{}.json", d.replace(':', "-")));
            if let Ok(m) = std::fs::read(&mpath)
                && format!("sha256:{}", sha256_hex(&m)) == *d
                && let Ok(layer) = chart_layer(&m, reference)
                && let Some(data) = cached_chart(opts, layer.trim_start_matches("sha256:"))
            {
                return Ok((data, format!("{name}@{d}")));
            }
        }
        let url = s.url(&format!("manifests/{target}"));
        let resp = check(
            s.get(&url, Some(MANIFEST_TYPES))?,
            &url,
            &format!("{reference} manifest {target}"),
        )?;
        let manifest = read_body(resp, &url, 4 * 1024 * 1024)?;
        let manifest_digest = format!("sha256:{}", sha256_hex(&manifest));
        if let Some(d) = &r.digest
            && *d != manifest_digest
        {
            return Err(HelmError::Digest {
                url,
                expected: d.clone(),
                actual: manifest_digest,
            });
        }
        write_atomic(
            &cache.join(format!("{}.json", manifest_digest.replace(':', "-"))),
            &manifest,
        )?;
        let layer = chart_layer(&manifest, reference)?;
        let hex = layer.trim_start_matches("sha256:").to_string();
        if let Some(data) = cached_chart(opts, &hex) {
            return Ok((data, format!("{name}:{target}")));
        }
        let url = s.url(&format!("blobs/{layer}"));
        let resp = check(
            s.get(&url, None)?,
            &url,
            &format!("{reference} chart layer"),
        )?;
        let data = read_body(resp, &url, opts.max_chart_size)?;
        let actual = sha256_hex(&data);
        if actual != hex {
            return Err(HelmError::Digest {
                url,
                expected: layer,
                actual: format!("sha256:{actual}"),
            });
        }
        store_chart(opts, &actual, &data)?;
        Ok((data, format!("{name}:{target}")))
    }

    /// The digest of the chart layer of a manifest.
    fn chart_layer(manifest: &[u8], reference: &str) -> Result<String, HelmError> {
        let m: serde_json::Value = serde_json::from_slice(manifest)
            .map_err(|e| HelmError::fetch(reference, format!("bad manifest: {e}")))?;
        let layers = m
            .get("layers")
            .and_then(|l| l.as_array())
            .cloned()
            .unwrap_or_default();
        layers
            .iter()
            .find(|l| {
                matches!(
                    l.get("mediaType").and_then(|t| t.as_str()),
                    Some(CHART_LAYER) | Some(LEGACY_CHART_LAYER)
                )
            })
            .and_then(|l| l.get("digest").and_then(|d| d.as_str()))
            .filter(|d| d.starts_with("sha256:") && d.len() == 71)
            .map(str::to_string)
            .ok_or_else(|| HelmError::fetch(reference, "manifest has no Helm chart layer"))
    }

    /// The newest tag satisfying `version` (a semver range; none: the newest stable).
    fn newest_tag(
        s: &mut Session<'_>,
        reference: &str,
        version: Option<&str>,
    ) -> Result<String, HelmError> {
        let url = s.url("tags/list");
        let resp = check(s.get(&url, None)?, &url, &format!("{reference} tags"))?;
        let body = read_body(resp, &url, 16 * 1024 * 1024)?;
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| HelmError::fetch(&url, format!("bad tag list: {e}")))?;
        let tags: Vec<String> = v
            .get("tags")
            .and_then(|t| t.as_array())
            .map(|t| {
                t.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let entries: Vec<serde_json::Value> = tags
            .iter()
            .map(|t| serde_json::json!({"version": t.replace('_', "+"), "tag": t}))
            .collect();
        let picked = select_version(&entries, version).ok_or_else(|| HelmError::NotFound {
            message: match version {
                Some(v) => format!("{reference}: no tag matches version {v:?}"),
                None => format!("{reference}: no semver tags found"),
            },
        })?;
        Ok(picked
            .get("tag")
            .and_then(|t| t.as_str())
            .unwrap_or("")
            .to_string())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn references() {
            let r = parse_reference("oci://127.0.0.1:5000/charts/web:1.2.3").unwrap();
            assert_eq!(
                (r.host.as_str(), r.repository.as_str(), r.tag.as_deref()),
                ("127.0.0.1:5000", "charts/web", Some("1.2.3"))
            );
            let d = format!("sha256:{}", "a".repeat(64));
            let r = parse_reference(&format!("oci://reg/web@{d}")).unwrap();
            assert_eq!(r.digest.as_deref(), Some(d.as_str()));
            assert!(parse_reference("oci://reg").is_err());
            assert!(parse_reference("https://reg/x").is_err());
            assert_eq!(
                parse_challenge(
                    r#"Bearer realm="https://a/token",service="reg",scope="repository:x:pull""#
                ),
                vec![
                    ("realm".to_string(), "https://a/token".to_string()),
                    ("service".to_string(), "reg".to_string()),
                    ("scope".to_string(), "repository:x:pull".to_string())
                ]
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_selection() {
        let entries: Vec<serde_json::Value> = ["1.0.0", "1.2.0", "2.0.0-rc.1", "1.10.0", "bad"]
            .iter()
            .map(|v| serde_json::json!({"version": v}))
            .collect();
        let pick = |v: Option<&str>| {
            select_version(&entries, v).map(|e| e["version"].as_str().unwrap_or("").to_string())
        };
        assert_eq!(pick(None).as_deref(), Some("1.10.0"));
        assert_eq!(pick(Some("1.2.0")).as_deref(), Some("1.2.0"));
        assert_eq!(pick(Some("~1.2")).as_deref(), Some("1.2.0"));
        assert_eq!(pick(Some(">=2.0.0-0")).as_deref(), Some("2.0.0-rc.1"));
        assert_eq!(pick(Some("3.x")), None);
    }
}
