//! Prometheus metrics, when asked for (`--metrics-listen ADDR:PORT`, or `metrics_listen` in
//! global_defs): `http://ADDR:PORT/metrics`, served by hyper on a thread and tokio runtime of
//! their own, so that a scrape never runs on the VRRP loop's thread.
//!
//! The values are read at each scrape from the snapshots the loops publish ([`collect`]); the
//! checkers' latency histograms are the only numbers recorded for the metrics alone (by the
//! checker tasks, in `lvs::checkers::CheckLatencies`).
//!
//! The exposition is OpenMetrics text when the scraper accepts it (Prometheus asks for it
//! first), the Prometheus text format 0.0.4 otherwise (`curl`). A scraper gets at most
//! [`MAX_CONNECTIONS`] connections at once; each has [`HEADER_TIMEOUT`] to send its request
//! and lives at most [`CONNECTION_LIFETIME`] (a keep-alive connection is then closed after its
//! answer).

pub mod collect;

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, ACCEPT, ALLOW, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::registry::Registry;
use tracing::{debug, error, warn};

use crate::control;
use crate::lvs::checkers::CheckLatencies;

/// Scrapers' connections served at once; more are closed as they come.
pub const MAX_CONNECTIONS: usize = 16;
/// The time a connection has to send a request's header.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a connection is kept (Prometheus keeps one open between scrapes).
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(300);

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const PROMETHEUS_TEXT: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// What the metrics are read from.
#[derive(Clone)]
pub struct Sources {
    /// The snapshots and the daemon's own information, as the control socket has them.
    pub status: control::Sources,
    pub latency: Arc<CheckLatencies>,
}

/// The registry the endpoint encodes: one collector reading `sources` at each scrape.
pub fn registry(sources: Sources) -> Registry {
    let mut r = Registry::default();
    r.register_collector(Box::new(collect::Snapshots(sources)));
    r
}

/// Listens on `addr` (now, in the caller's network namespace: a bad address is an error here)
/// and serves the metrics on a thread of its own for the rest of the process's life. Returns
/// the address bound.
pub fn serve(addr: SocketAddr, sources: Sources) -> io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let registry = Arc::new(registry(sources));
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(accept(listener, registry)),
                Err(e) => error!("metrics: cannot start a runtime: {e}; no metrics are served"),
            }
        })?;
    Ok(bound)
}

async fn accept(listener: std::net::TcpListener, registry: Arc<Registry>) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            error!("metrics: {e}; no metrics are served");
            return;
        }
    };
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors, most likely: wait rather than spin.
                warn!("metrics: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            debug!("metrics: {MAX_CONNECTIONS} connections already; {peer} closed");
            continue;
        };
        let registry = registry.clone();
        tokio::spawn(async move {
            connection(stream, registry).await;
            drop(slot);
        });
    }
}

/// One scraper's connection, HTTP/1.1 with keep-alive, for at most [`CONNECTION_LIFETIME`].
async fn connection(stream: tokio::net::TcpStream, registry: Arc<Registry>) {
    let service = hyper::service::service_fn(move |req| {
        let registry = registry.clone();
        async move { Ok::<_, Infallible>(respond(&registry, &req)) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let ended = tokio::select! {
        r = conn.as_mut() => Some(r),
        _ = tokio::time::sleep(CONNECTION_LIFETIME) => None,
    };
    let result = match ended {
        Some(r) => r,
        None => {
            // The answer in progress is finished, then the connection closed.
            conn.as_mut().graceful_shutdown();
            tokio::time::timeout(HEADER_TIMEOUT, conn)
                .await
                .unwrap_or(Ok(()))
        }
    };
    if let Err(e) = result {
        debug!("metrics: connection: {e}");
    }
}

/// The answer to one request: `/metrics` (GET or HEAD), a line at `/`, 404 or 405 otherwise.
pub fn respond<B>(registry: &Registry, req: &Request<B>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    match req.uri().path() {
        "/metrics" => {}
        "/" => {
            return plain(
                StatusCode::OK,
                "keepalived-rs: the metrics are at /metrics\n",
            )
        }
        _ => {
            return plain(
                StatusCode::NOT_FOUND,
                "not found; the metrics are at /metrics\n",
            )
        }
    }
    let openmetrics = req
        .headers()
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    let mut body = String::new();
    let (encoded, content_type) = if openmetrics {
        (
            prometheus_client::encoding::text::encode(&mut body, registry),
            OPENMETRICS,
        )
    } else {
        (
            prometheus_client::encoding::prometheus_text::encode(&mut body, registry),
            PROMETHEUS_TEXT,
        )
    };
    if encoded.is_err() {
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "encoding the metrics failed\n",
        );
    }
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

#[cfg(test)]
mod tests;
