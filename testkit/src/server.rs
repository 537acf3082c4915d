//! The one HTTP/1.1 server core of every fake, LLM and web alike: a port on
//! 127.0.0.1, a log of each request with its arrival time (waited on, not
//! polled), and the fake's own handler for the answer.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::body::HttpBody;
use crate::state::Recorded;

/// A fake's answer to one recorded request; `Err` makes hyper close the
/// connection without answering.
pub(crate) type Answering = Pin<Box<dyn Future<Output = io::Result<Response<HttpBody>>> + Send>>;
/// What a fake does with each request.
pub(crate) type Handler = Arc<dyn Fn(Recorded) -> Answering + Send + Sync>;

/// When a request reached a fake (to prove two calls overlapped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    pub method: String,
    pub path: String,
    pub at: Instant,
}

/// Every request so far, and a count that waiters watch.
struct Log {
    entries: Mutex<Vec<(Recorded, Instant)>>,
    count: watch::Sender<usize>,
}

/// A running fake; dropping it stops accepting connections.
pub(crate) struct Server {
    addr: SocketAddr,
    log: Arc<Log>,
    task: JoinHandle<()>,
}

/// The send buffer of every connection a fake accepts (inherited from the
/// listener). Loopback autotunes it up to 4 MB, which would let a reader that
/// stops reading leave megabytes in flight; a fixed small buffer makes a
/// stalled reader stall the fake within a few hundred KB, so tests can tell
/// a bounded reader from one that reads everything ahead.
const SEND_BUFFER: u32 = 64 * 1024;

fn listen() -> io::Result<TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_send_buffer_size(SEND_BUFFER)?;
    socket.bind(([127, 0, 0, 1], 0).into())?;
    socket.listen(1024)
}

impl Server {
    /// Binds a free port on 127.0.0.1 and serves `handler` there.
    ///
    /// # Panics
    /// When no local port can be bound.
    pub fn start(handler: Handler) -> Server {
        let listener = listen().expect("fake: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake: local address");
        let log = Arc::new(Log {
            entries: Mutex::new(Vec::new()),
            count: watch::Sender::new(0),
        });
        let task = tokio::spawn(accept(listener, handler, log.clone()));
        Server { addr, log, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received (all paths), in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.entries().into_iter().map(|(r, _)| r).collect()
    }

    pub fn arrivals(&self) -> Vec<Arrival> {
        self.entries()
            .into_iter()
            .map(|(r, at)| Arrival {
                method: r.method,
                path: r.path,
                at,
            })
            .collect()
    }

    /// Whether `n` requests had arrived within `within`.
    pub async fn requests_reach(&self, n: usize, within: Duration) -> bool {
        let mut count = self.log.count.subscribe();
        let reached = tokio::time::timeout(within, count.wait_for(|c| *c >= n)).await;
        matches!(reached, Ok(Ok(_)))
    }

    fn entries(&self) -> Vec<(Recorded, Instant)> {
        self.log
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(listener: TcpListener, handler: Handler, log: Arc<Log>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (handler, log) = (handler.clone(), log.clone());
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let (handler, log) = (handler.clone(), log.clone());
                async move {
                    let recorded = receive(req, &log).await;
                    handler(recorded).await
                }
            });
            // Errors here are client hang-ups or deliberate drops and cuts.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// Reads the whole request and logs it.
async fn receive(req: hyper::Request<Incoming>, log: &Log) -> Recorded {
    let at = Instant::now();
    let (parts, body) = req.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let recorded = record(&parts, &bytes);
    let mut entries = log.entries.lock().unwrap_or_else(PoisonError::into_inner);
    entries.push((recorded.clone(), at));
    log.count.send_replace(entries.len());
    recorded
}

fn record(parts: &hyper::http::request::Parts, body: &Bytes) -> Recorded {
    let mut headers: HashMap<String, String> = HashMap::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    Recorded {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers,
        body: serde_json::from_slice(body).unwrap_or(serde_json::Value::Null),
    }
}
