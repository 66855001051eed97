//! The HTTP(S) listener: one task accepting connections, one task per connection, all
//! stopped together for a restart.

use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Shared;
use crate::tls::TlsMaterial;

/// A running listener.
#[derive(Debug)]
pub struct Running {
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops accepting, closes every connection (and so every watch), and waits.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Starts serving on a bound listener.
pub fn spawn(
    listener: TcpListener,
    shared_for: impl Fn(watch::Receiver<bool>) -> Arc<Shared>,
    tls: Option<TlsMaterial>,
) -> Running {
    let (tx, rx) = watch::channel(false);
    let shared = shared_for(rx.clone());
    let task = tokio::spawn(accept_loop(listener, shared, tls, rx));
    Running { shutdown: tx, task }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<TlsMaterial>,
    mut rx: watch::Receiver<bool>,
) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            acc = listener.accept() => {
                let Ok((stream, _)) = acc else { continue };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let tls = tls.clone();
                let mut stop = rx.clone();
                conns.spawn(async move {
                    let svc = service_fn(move |req| {
                        let shared = shared.clone();
                        async move { Ok::<_, std::convert::Infallible>(crate::handlers::handle(shared, req).await) }
                    });
                    match tls {
                        Some(t) => {
                            let Ok(s) = t.acceptor.accept(stream).await else { return };
                            let conn = http1::Builder::new().serve_connection(TokioIo::new(s), svc);
                            tokio::select! { _ = conn => {}, _ = stop.changed() => {} }
                        }
                        None => {
                            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
                            tokio::select! { _ = conn => {}, _ = stop.changed() => {} }
                        }
                    }
                });
            }
            _ = rx.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    conns.shutdown().await;
}
