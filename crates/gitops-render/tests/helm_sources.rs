//! Fetching charts from a Helm repository and an OCI registry, both served on 127.0.0.1
//! by a small HTTP server written for these tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use common::http::{Handler, Response, Server, chart_tgz, ok, status};

use gitops_render::helm::{
    Auth, ChartSource, FetchOptions, HelmError, RenderSettings, fetch_chart, template,
};
use sha2::{Digest, Sha256};

fn sha256(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn opts(cache: &std::path::Path) -> FetchOptions {
    FetchOptions {
        cache_dir: Some(cache.to_path_buf()),
        ..FetchOptions::default()
    }
}

fn basic(user: &str, pass: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

#[test]
fn repository_index_versions_digests_auth_and_cache() {
    let v1 = chart_tgz("web", "1.0.0");
    let v12 = chart_tgz("web", "1.2.0");
    let v2rc = chart_tgz("web", "2.0.0-rc.1");
    let index = format!(
        "apiVersion: v1\nentries:\n  web:\n  - name: web\n    version: 2.0.0-rc.1\n    urls: [charts/web-2.0.0-rc.1.tgz]\n    digest: {}\n  - name: web\n    version: 1.2.0\n    urls: [charts/web-1.2.0.tgz]\n    digest: {}\n  - name: web\n    version: 1.0.0\n    urls: [charts/web-1.0.0.tgz]\n    digest: {}\n  broken:\n  - name: broken\n    version: 0.1.0\n    urls: [charts/web-1.0.0.tgz]\n    digest: \"{}\"\n",
        sha256(&v2rc),
        sha256(&v12),
        sha256(&v1),
        "0".repeat(64)
    );
    let files: HashMap<String, Vec<u8>> = [
        ("/charts/web-1.0.0.tgz".to_string(), v1),
        ("/charts/web-1.2.0.tgz".to_string(), v12),
        ("/charts/web-2.0.0-rc.1.tgz".to_string(), v2rc),
    ]
    .into_iter()
    .collect();
    let auth = basic("alice", "secret");
    let handler: Arc<Handler> = Arc::new(move |path, headers| {
        if headers.get("authorization") != Some(&auth) {
            return status(401);
        }
        match path {
            "/index.yaml" => {
                if headers.get("if-none-match").map(String::as_str) == Some("\"v1\"") {
                    return status(304);
                }
                Response {
                    status: 200,
                    headers: vec![("ETag".into(), "\"v1\"".into())],
                    body: index.clone().into_bytes(),
                }
            }
            p => files.get(p).map_or_else(|| status(404), |b| ok(b.clone())),
        }
    });
    let server = Server::start(handler);
    let cache = tempfile::tempdir().unwrap();
    let mut o = opts(cache.path());
    o.auth = Some(Auth::Basic {
        username: "alice".into(),
        password: "secret".into(),
    });
    let repo = |chart: &str, version: Option<&str>| ChartSource::Repository {
        url: format!("{}/", server.url()),
        chart: chart.into(),
        version: version.map(str::to_string),
    };

    // newest stable, a range, an exact pre-release
    let newest = fetch_chart(&repo("web", None), &o).unwrap();
    assert_eq!(newest.metadata().version, "1.2.0");
    assert_eq!(
        fetch_chart(&repo("web", Some("~1.0")), &o)
            .unwrap()
            .metadata()
            .version,
        "1.0.0"
    );
    assert_eq!(
        fetch_chart(&repo("web", Some("2.0.0-rc.1")), &o)
            .unwrap()
            .metadata()
            .version,
        "2.0.0-rc.1"
    );

    // the index is revalidated with its ETag, charts come from the cache by digest
    let before = server.count("/charts/web-1.2.0.tgz");
    fetch_chart(&repo("web", Some("1.2.0")), &o).unwrap();
    assert_eq!(server.count("/charts/web-1.2.0.tgz"), before);
    assert_eq!(before, 1);

    // rendering through the public API
    let settings = RenderSettings {
        release_name: "r".into(),
        fetch: o.clone(),
        ..RenderSettings::default()
    };
    let out = template(&repo("web", Some("^1.0.0")), &settings).unwrap();
    assert_eq!(
        out,
        "---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: r-web\ndata:\n  version: \"1.2.0\"\n  greeting: hello\n"
    );

    // clear errors
    let err = fetch_chart(&repo("nope", None), &o).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("chart \"nope\" not found in {}/ repository", server.url())
    );
    let err = fetch_chart(&repo("web", Some("9.9.9")), &o).unwrap_err();
    assert!(matches!(err, HelmError::NotFound { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("chart \"web\" version \"9.9.9\" not found"),
        "{err}"
    );
    let err = fetch_chart(&repo("broken", None), &o).unwrap_err();
    assert!(matches!(err, HelmError::Digest { .. }), "{err}");
    let mut anonymous = opts(cache.path());
    anonymous.auth = None;
    let err = fetch_chart(&repo("web", None), &anonymous).unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    let fresh = tempfile::tempdir().unwrap();
    let mut small = o.clone();
    small.cache_dir = Some(fresh.path().to_path_buf());
    small.max_index_size = 10;
    let err = fetch_chart(&repo("web", None), &small).unwrap_err();
    assert!(err.to_string().contains("larger than the limit"), "{err}");
}

/// A registry serving `charts/web` tags 1.0.0 and 1.1.0 behind token authentication.
fn registry() -> (Server, HashMap<String, String>) {
    let layers: Vec<(String, Vec<u8>)> = ["1.0.0", "1.1.0"]
        .iter()
        .map(|v| (v.to_string(), chart_tgz("web", v)))
        .collect();
    let mut manifests: HashMap<String, Vec<u8>> = HashMap::new();
    let mut blobs: HashMap<String, Vec<u8>> = HashMap::new();
    let mut digests = HashMap::new();
    for (tag, layer) in &layers {
        let ld = format!("sha256:{}", sha256(layer));
        let config = b"{}".to_vec();
        let cd = format!("sha256:{}", sha256(&config));
        let m = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": cd, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": ld, "size": layer.len()}]
        }))
        .unwrap();
        let md = format!("sha256:{}", sha256(&m));
        digests.insert(tag.clone(), md.clone());
        manifests.insert(tag.clone(), m.clone());
        manifests.insert(md, m);
        blobs.insert(ld, layer.clone());
        blobs.insert(cd, config);
    }
    let server_addr: Arc<Mutex<String>> = Arc::new(Mutex::new(String::new()));
    let addr2 = server_addr.clone();
    let basic_ok = basic("bob", "hunter2");
    let handler: Arc<Handler> = Arc::new(move |path, headers| {
        let addr = addr2.lock().unwrap().clone();
        if let Some(q) = path.strip_prefix("/token?") {
            if headers.get("authorization") != Some(&basic_ok)
                || !q.contains("scope=repository%3Acharts%2Fweb%3Apull")
            {
                return status(401);
            }
            return ok(br#"{"token":"tok123"}"#.to_vec());
        }
        if headers.get("authorization").map(String::as_str) != Some("Bearer tok123") {
            return Response {
                status: 401,
                headers: vec![(
                    "WWW-Authenticate".into(),
                    format!(
                        "Bearer realm=\"http://{addr}/token\",service=\"test\",scope=\"repository:charts/web:pull\""
                    ),
                )],
                body: Vec::new(),
            };
        }
        if path == "/v2/charts/web/tags/list" {
            return ok(br#"{"name":"charts/web","tags":["1.0.0","1.1.0","latest"]}"#.to_vec());
        }
        if let Some(r) = path.strip_prefix("/v2/charts/web/manifests/") {
            return manifests
                .get(r)
                .map_or_else(|| status(404), |m| ok(m.clone()));
        }
        if let Some(d) = path.strip_prefix("/v2/charts/web/blobs/") {
            return blobs.get(d).map_or_else(|| status(404), |b| ok(b.clone()));
        }
        status(404)
    });
    let server = Server::start(handler);
    *server_addr.lock().unwrap() = server.addr.clone();
    (server, digests)
}

#[test]
fn oci_registry_tags_digests_tokens_and_cache() {
    let (server, digests) = registry();
    let cache = tempfile::tempdir().unwrap();
    let mut o = opts(cache.path());
    o.plain_http = true;
    o.auth = Some(Auth::Basic {
        username: "bob".into(),
        password: "hunter2".into(),
    });
    let oci = |r: &str, v: Option<&str>| ChartSource::Oci {
        reference: format!("oci://{}/charts/{r}", server.addr),
        version: v.map(str::to_string),
    };
    assert_eq!(
        fetch_chart(&oci("web:1.0.0", None), &o)
            .unwrap()
            .metadata()
            .version,
        "1.0.0"
    );
    assert_eq!(
        fetch_chart(&oci("web", Some("1.1.0")), &o)
            .unwrap()
            .metadata()
            .version,
        "1.1.0"
    );
    // no version: the newest semver tag; a range picks from the tags
    assert_eq!(
        fetch_chart(&oci("web", None), &o)
            .unwrap()
            .metadata()
            .version,
        "1.1.0"
    );
    assert_eq!(
        fetch_chart(&oci("web", Some("<1.1")), &o)
            .unwrap()
            .metadata()
            .version,
        "1.0.0"
    );
    // by digest: verified, and served from the cache the second time
    let d = &digests["1.0.0"];
    let by_digest = oci(&format!("web@{d}"), None);
    assert_eq!(
        fetch_chart(&by_digest, &o).unwrap().metadata().version,
        "1.0.0"
    );
    let requests = server.count("/v2/");
    assert_eq!(
        fetch_chart(&by_digest, &o).unwrap().metadata().version,
        "1.0.0"
    );
    assert_eq!(
        server.count("/v2/"),
        requests,
        "a cached digest needs no request"
    );
    // blobs are fetched once per digest
    assert_eq!(
        server.count(&format!(
            "/v2/charts/web/blobs/sha256:{}",
            sha256(&chart_tgz("web", "1.0.0"))
        )),
        1
    );
    // a wrong digest is refused, a missing tag is reported
    let wrong = oci(&format!("web@sha256:{}", "1".repeat(64)), None);
    assert!(fetch_chart(&wrong, &o).is_err());
    let err = fetch_chart(&oci("web:9.9.9", None), &o).unwrap_err();
    assert!(matches!(err, HelmError::NotFound { .. }), "{err}");
    // without credentials the token request fails
    let mut anonymous = opts(cache.path());
    anonymous.plain_http = true;
    let err = fetch_chart(&oci("web:1.1.0", None), &anonymous).unwrap_err();
    assert!(err.to_string().contains("token request failed"), "{err}");
    // a token given directly is used as is
    let mut bearer = opts(tempfile::tempdir().unwrap().path());
    bearer.plain_http = true;
    bearer.auth = Some(Auth::Bearer("tok123".into()));
    assert_eq!(
        fetch_chart(&oci("web:1.1.0", None), &bearer)
            .unwrap()
            .metadata()
            .version,
        "1.1.0"
    );
    let seen = server.seen.lock().unwrap();
    assert!(
        seen.iter()
            .any(|s| s.authorization.as_deref() == Some("Bearer tok123"))
    );
}

#[test]
fn archives_with_path_escapes_are_refused() {
    let mut out = Vec::new();
    {
        let gz = flate2::write::GzEncoder::new(&mut out, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        let data = b"apiVersion: v2\nname: evil\nversion: 1.0.0\n";
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, "evil/Chart.yaml", &data[..])
            .unwrap();
        // a raw header whose name escapes the chart
        let mut h = tar::Header::new_old();
        h.as_old_mut().name[..22].copy_from_slice(b"evil/../../etc/passwd\0");
        h.set_size(1);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append(&h, &b"x"[..]).unwrap();
        tar.into_inner().unwrap().finish().unwrap();
    }
    let err = gitops_render::helm::Chart::from_archive(&out, "evil.tgz").unwrap_err();
    assert_eq!(
        err.to_string(),
        "evil.tgz: chart illegally references parent directory"
    );
    let err = gitops_render::helm::Chart::from_archive(b"not gzip", "x.tgz").unwrap_err();
    assert!(err.to_string().contains("gzip"), "{err}");
}
