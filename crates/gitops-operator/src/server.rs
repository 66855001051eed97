//! The HTTP endpoint: `/metrics`, `/healthz`, `/readyz`, and `POST /hook/<namespace>/<gitrepository>`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use kube::api::Api;
use kube::runtime::reflector::ObjectRef;
use tokio::net::TcpListener;

use crate::context::Context;
use crate::crd::GitRepository;
use crate::source::secret_data;
use crate::webhook;

/// The largest hook body read (GitHub sends at most 25 MB; pushes are far smaller).
const MAX_BODY: usize = 25 * 1024 * 1024;

/// Whether the operator is ready to serve (controllers running or standing by).
pub type Ready = Arc<AtomicBool>;

fn reply(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
}

/// Serves until the listener fails.
pub async fn serve(listener: TcpListener, ctx: Arc<Context>, ready: Ready) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let ctx = ctx.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let ctx = ctx.clone();
                let ready = ready.clone();
                async move { Ok::<_, Infallible>(route(request, &ctx, &ready).await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

/// Binds the endpoint.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

async fn route(request: Request<Incoming>, ctx: &Context, ready: &Ready) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    match (request.method(), path.as_str()) {
        (&Method::GET, "/metrics") => {
            let mut response = reply(StatusCode::OK, ctx.metrics.encode());
            if let Ok(value) = "application/openmetrics-text; version=1.0.0; charset=utf-8".parse()
            {
                response
                    .headers_mut()
                    .insert(hyper::header::CONTENT_TYPE, value);
            }
            response
        }
        (&Method::GET, "/healthz") => reply(StatusCode::OK, "ok"),
        (&Method::GET, "/readyz") if ready.load(Ordering::SeqCst) => reply(StatusCode::OK, "ready"),
        (&Method::GET, "/readyz") => reply(StatusCode::SERVICE_UNAVAILABLE, "starting"),
        (&Method::POST, _) if path.starts_with("/hook/") => hook(request, ctx).await,
        _ => reply(StatusCode::NOT_FOUND, "not found"),
    }
}

async fn hook(request: Request<Incoming>, ctx: &Context) -> Response<Full<Bytes>> {
    let parts: Vec<String> = request
        .uri()
        .path()
        .trim_start_matches("/hook/")
        .split('/')
        .map(str::to_owned)
        .collect();
    let [namespace, name] = parts.as_slice() else {
        return reply(
            StatusCode::NOT_FOUND,
            "expected /hook/<namespace>/<gitrepository>",
        );
    };
    let (head, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return reply(StatusCode::PAYLOAD_TOO_LARGE, "body too large"),
    };
    let repos: Api<GitRepository> = Api::namespaced(ctx.client.clone(), namespace);
    let Ok(repo) = repos.get(name).await else {
        return reply(StatusCode::NOT_FOUND, "no such GitRepository");
    };
    let Some(secret) = &repo.spec.webhook_secret_ref else {
        return reply(
            StatusCode::FORBIDDEN,
            "the GitRepository accepts no webhooks (no webhookSecretRef)",
        );
    };
    let token = match secret_data(&ctx.client, namespace, &secret.name).await {
        Ok(data) => data.get("token").cloned().unwrap_or_default(),
        Err(e) => {
            tracing::warn!(error = %e, "webhook secret unreadable");
            return reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "webhook secret unreadable",
            );
        }
    };
    if token.is_empty() {
        return reply(StatusCode::FORBIDDEN, "the webhook secret has no token");
    }
    let header = |name: &str| head.headers.get(name).and_then(|v| v.to_str().ok());
    match webhook::verify(header, &body, &token) {
        Ok(sender) if webhook::is_push(sender, header) => {
            tracing::info!(%namespace, %name, ?sender, "push webhook: fetching now");
            ctx.trigger_source(ObjectRef::new(name).within(namespace));
            reply(StatusCode::ACCEPTED, "fetching")
        }
        Ok(_) => reply(StatusCode::OK, "ignored: not a push"),
        Err(refusal) => reply(StatusCode::UNAUTHORIZED, refusal.to_string()),
    }
}
