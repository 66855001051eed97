//! WATCH: chunked JSON events with resourceVersion semantics, bookmarks, `sendInitialEvents`,
//! and a 410 `ERROR` event for a too-old resourceVersion.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use http::{Response, StatusCode, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::list::Selectors;
use super::{Body, Ctx, served_bytes, table};
use crate::registry::ResourceDef;
use crate::status::ApiError;
use crate::store::{Event, EventType, Obj};

fn frame(kind: &str, object: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(object.len() + 32);
    b.put_slice(b"{\"type\":\"");
    b.put_slice(kind.as_bytes());
    b.put_slice(b"\",\"object\":");
    b.put_slice(object);
    b.put_slice(b"}\n");
    b.freeze()
}

struct Filter {
    def: Arc<ResourceDef>,
    ns: Option<String>,
    sel: Selectors,
    table: bool,
    partial: bool,
}

impl Filter {
    fn in_scope(&self, o: &Obj) -> bool {
        self.ns.as_deref().is_none_or(|ns| {
            o.value
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                == Some(ns)
        })
    }

    fn encode(&self, kind: &str, o: &Obj) -> Bytes {
        if self.table {
            let t = table::table(&self.def, std::slice::from_ref(o), None);
            frame(kind, &serde_json::to_vec(&t).unwrap_or_default())
        } else if self.partial {
            frame(kind, &super::partial_metadata(o))
        } else {
            frame(kind, &served_bytes(&self.def, o))
        }
    }

    /// The frame for an event, after selector transitions (a change out of the
    /// selection is a DELETED, into it an ADDED).
    fn event(&self, e: &Event) -> Option<Bytes> {
        if e.key != self.def.key() || !self.in_scope(&e.object) {
            return None;
        }
        let now = self.sel.matches(&e.object.value);
        let before = e
            .previous
            .as_ref()
            .is_some_and(|p| self.sel.matches(&p.value));
        let kind = match e.kind {
            EventType::Added if now => "ADDED",
            EventType::Deleted if before || now => "DELETED",
            EventType::Modified => match (before, now) {
                (true, true) => "MODIFIED",
                (false, true) => "ADDED",
                (true, false) => "DELETED",
                (false, false) => return None,
            },
            _ => return None,
        };
        Some(self.encode(kind, &e.object))
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let o =
            json!({"kind": self.def.kind, "apiVersion": self.def.api_version(), "metadata": meta});
        frame("BOOKMARK", &serde_json::to_vec(&o).unwrap_or_default())
    }
}

/// `GET ...?watch=true`.
pub async fn watch(ctx: Ctx) -> Result<Response<Body>, ApiError> {
    let sel = Selectors::from_ctx(&ctx)?;
    let rr = &ctx.rr;
    let filter = Filter {
        def: rr.def.clone(),
        ns: (rr.def.namespaced && rr.has_namespace).then(|| rr.namespace.clone()),
        sel,
        table: ctx.wants_table(),
        partial: ctx.wants_metadata(),
    };
    let bookmarks = ctx.query.flag("allowWatchBookmarks");
    let send_initial = ctx.query.flag("sendInitialEvents");
    let timeout = ctx
        .query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map_or(Duration::from_secs(1800), Duration::from_secs);
    let rv_param = ctx
        .query
        .get("resourceVersion")
        .filter(|r| !r.is_empty() && *r != "0");
    let rv_from = rv_param
        .map(|r| {
            r.parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version: {r}")))
        })
        .transpose()?;

    let mut initial: Vec<Bytes> = vec![];
    let (rx, start_rv) = {
        let st = ctx.shared.store.lock();
        let rx = st.subscribe();
        match rv_from {
            Some(rv) if !send_initial => match st.events_since(rv) {
                Some(evs) => initial.extend(evs.iter().filter_map(|e| filter.event(e))),
                None => {
                    let e = ApiError::gone(format!("too old resource version: {rv} ({})", st.rv));
                    initial.push(frame(
                        "ERROR",
                        &serde_json::to_vec(&e.to_status()).unwrap_or_default(),
                    ));
                }
            },
            _ => {
                for o in st.list(&filter.def.key(), filter.ns.as_deref()) {
                    if filter.sel.matches(&o.value) {
                        initial.push(filter.encode("ADDED", &o));
                    }
                }
                if send_initial && bookmarks {
                    initial.push(filter.bookmark(st.rv, true));
                }
            }
        }
        (rx, st.rv)
    };
    let gone = initial
        .last()
        .is_some_and(|b| b.starts_with(b"{\"type\":\"ERROR\""));
    let (tx, out) = mpsc::channel::<Bytes>(256);
    let mut epoch = ctx.shared.faults.watch_epoch();
    let mut shutdown = ctx.shared.shutdown.clone();
    let interval = ctx.shared.bookmark_interval;
    tokio::spawn(async move {
        for b in initial {
            if tx.send(b).await.is_err() {
                return;
            }
        }
        if gone {
            return;
        }
        pump(
            rx,
            tx,
            filter,
            start_rv,
            bookmarks,
            interval,
            timeout,
            &mut epoch,
            &mut shutdown,
        )
        .await;
    });
    let stream = futures::stream::unfold(out, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
    });
    let mut resp = Response::new(BodyExt::boxed_unsync(StreamBody::new(stream)));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

#[allow(clippy::too_many_arguments)]
async fn pump(
    mut rx: broadcast::Receiver<Arc<Event>>,
    tx: mpsc::Sender<Bytes>,
    filter: Filter,
    mut last_rv: u64,
    bookmarks: bool,
    interval: Duration,
    timeout: Duration,
    epoch: &mut tokio::sync::watch::Receiver<u64>,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) {
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let mut tick = tokio::time::interval(interval.max(Duration::from_millis(10)));
    tick.tick().await;
    loop {
        tokio::select! {
            // Stopping wins over pending events: a dropped watch delivers nothing more.
            biased;
            _ = epoch.changed() => return,
            _ = shutdown.changed() => return,
            _ = tx.closed() => return,
            _ = &mut deadline => return,
            ev = rx.recv() => match ev {
                Ok(e) => {
                    if e.rv <= last_rv {
                        continue;
                    }
                    last_rv = e.rv;
                    if let Some(b) = filter.event(&e)
                        && tx.send(b).await.is_err()
                    {
                        return;
                    }
                }
                // Too slow: close, the client re-watches from its last resourceVersion.
                Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = tick.tick(), if bookmarks => {
                if tx.send(filter.bookmark(last_rv, false)).await.is_err() {
                    return;
                }
            }
        }
    }
}
