//! A small HTTP/1.1 server for the web fakes: records each request with its arrival time, then answers what the fake decides.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::stream;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::Recorded;

type HttpBody = UnsyncBoxBody<Bytes, io::Error>;

/// When a request reached a web fake (to prove two calls overlapped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    pub method: String,
    pub path: String,
    pub at: Instant,
}

/// What a fake answers one request with.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    /// Wait before the status line goes out.
    pub delay: Duration,
    pub body: ReplyBody,
}

#[derive(Debug, Clone)]
pub(crate) enum ReplyBody {
    Full(Vec<u8>),
    /// `chunk` sent `count` times, `every` apart, with the whole length announced.
    Repeat {
        chunk: Vec<u8>,
        count: usize,
        every: Duration,
    },
}

impl Reply {
    pub fn bytes(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            delay: Duration::ZERO,
            body: ReplyBody::Full(body.into()),
        }
    }

    pub fn json(status: u16, value: &Value) -> Reply {
        Reply::bytes(status, "application/json", value.to_string())
    }

    pub fn html(status: u16, page: &str) -> Reply {
        Reply::bytes(status, "text/html; charset=utf-8", page)
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    pub fn after(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

/// The fake's decision for one recorded request.
pub(crate) type Route = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

#[derive(Default)]
struct Log {
    entries: Mutex<Vec<(Recorded, Instant)>>,
}

/// A running fake on 127.0.0.1:<free port>; dropping it stops accepting.
pub(crate) struct Server {
    addr: SocketAddr,
    log: Arc<Log>,
    task: JoinHandle<()>,
}

impl Server {
    /// # Panics
    /// When no local port can be bound.
    pub async fn start(route: Route) -> Server {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("web fake: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("web fake: local address");
        let log = Arc::new(Log::default());
        let task = tokio::spawn(serve(listener, route, log.clone()));
        Server { addr, log, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        let entries = self
            .log
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        entries.iter().map(|(r, _)| r.clone()).collect()
    }

    pub fn arrivals(&self) -> Vec<Arrival> {
        let entries = self
            .log
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        entries
            .iter()
            .map(|(r, at)| Arrival {
                method: r.method.clone(),
                path: r.path.clone(),
                at: *at,
            })
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, route: Route, log: Arc<Log>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (route, log) = (route.clone(), log.clone());
        tokio::spawn(async move {
            let svc = service_fn(move |req| handle(route.clone(), log.clone(), req));
            // Errors here are clients hanging up (a fetcher stopping at its byte cap).
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

async fn handle(
    route: Route,
    log: Arc<Log>,
    req: Request<Incoming>,
) -> io::Result<Response<HttpBody>> {
    let at = Instant::now();
    let (parts, body) = req.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let recorded = record(&parts, &bytes);
    log.entries
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((recorded.clone(), at));
    let reply = route(&recorded);
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    respond(reply)
}

fn respond(reply: Reply) -> io::Result<Response<HttpBody>> {
    let mut builder = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        builder = builder.header(*name, value.as_str());
    }
    let body = match reply.body {
        ReplyBody::Full(bytes) => Full::new(Bytes::from(bytes))
            .map_err(|never| match never {})
            .boxed_unsync(),
        ReplyBody::Repeat {
            chunk,
            count,
            every,
        } => {
            builder = builder.header("content-length", (chunk.len() * count).to_string());
            let chunk = Bytes::from(chunk);
            let s = stream::unfold(0usize, move |sent| {
                let chunk = chunk.clone();
                async move {
                    if sent == count {
                        return None;
                    }
                    if sent > 0 && !every.is_zero() {
                        tokio::time::sleep(every).await;
                    }
                    Some((Ok(Frame::data(chunk)), sent + 1))
                }
            });
            StreamBody::new(s).boxed_unsync()
        }
    };
    builder.body(body).map_err(io::Error::other)
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
        body: serde_json::from_slice(body).unwrap_or(Value::Null),
    }
}

/// The value of `name` in a recorded query string, percent-decoded.
pub(crate) fn query_param(recorded: &Recorded, name: &str) -> Option<String> {
    url::form_urlencoded::parse(recorded.query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
