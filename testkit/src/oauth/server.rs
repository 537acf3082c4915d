//! The OAuth fakes' HTTP core. The shared `crate::server` keeps a body only
//! as JSON, but both token endpoints take `application/x-www-form-urlencoded`
//! forms, so these fakes record the form fields themselves.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::body::HttpBody;

/// One request an OAuth fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRequest {
    pub method: String,
    /// Path only, e.g. `/auth/token`.
    pub path: String,
    /// Raw query string without `?` (`""` when none).
    pub query: String,
    /// Lowercase header names; repeated headers joined with `", "`.
    pub headers: HashMap<String, String>,
    /// The body's form fields, percent-decoded, in order (empty when the
    /// body is not a form).
    pub form: Vec<(String, String)>,
}

impl FormRequest {
    /// A header's value by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The first form field called `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The token of an `Authorization: Bearer <token>` (or GitHub's older
    /// `token <token>`) header.
    pub fn bearer(&self) -> Option<&str> {
        let value = self.header("authorization")?;
        value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .or_else(|| value.strip_prefix("token "))
    }
}

/// What a fake answers: a status and a body with its content type.
#[derive(Debug, Clone)]
pub(crate) struct FormReply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl FormReply {
    pub fn json(status: u16, value: &Value) -> FormReply {
        FormReply {
            status,
            content_type: "application/json; charset=utf-8",
            body: value.to_string(),
        }
    }

    pub fn form(status: u16, body: String) -> FormReply {
        FormReply {
            status,
            content_type: "application/x-www-form-urlencoded; charset=utf-8",
            body,
        }
    }
}

pub(crate) type FormRoute = Arc<dyn Fn(&FormRequest) -> FormReply + Send + Sync>;

/// Statuses queued per path: the next request to it gets the first.
type Failures = Arc<Mutex<HashMap<String, VecDeque<u16>>>>;

/// A running OAuth fake; dropping it stops accepting connections.
pub(crate) struct FormServer {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<FormRequest>>>,
    failures: Failures,
    task: JoinHandle<()>,
}

impl FormServer {
    /// # Panics
    /// When no local port can be bound.
    /// Serves `route`; a failure queued by `fail_next_at` answers first,
    /// with `failure_body` (each provider words its 5xx its own way).
    pub async fn start(route: FormRoute, failure_body: Value) -> FormServer {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("fake: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake: local address");
        let log = Arc::new(Mutex::new(Vec::new()));
        let failures: Failures = Arc::default();
        let queued = failures.clone();
        let route: FormRoute = Arc::new(move |r: &FormRequest| {
            let failure = queued
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_mut(&r.path)
                .and_then(VecDeque::pop_front);
            match failure {
                Some(status) => FormReply::json(status, &failure_body),
                None => route(r),
            }
        });
        let task = tokio::spawn(accept(listener, route, log.clone()));
        FormServer {
            addr,
            log,
            failures,
            task,
        }
    }

    /// The next request to `path` gets `status` (queued: one per request).
    pub fn fail_next_at(&self, path: &str, status: u16) {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(path.to_owned())
            .or_default()
            .push_back(status);
    }

    /// The requests to `path` only.
    pub fn requests_to(&self, path: &str) -> Vec<FormRequest> {
        let mut all = self.requests();
        all.retain(|r| r.path == path);
        all
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<FormRequest> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for FormServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(listener: TcpListener, route: FormRoute, log: Arc<Mutex<Vec<FormRequest>>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (route, log) = (route.clone(), log.clone());
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let (route, log) = (route.clone(), log.clone());
                async move {
                    let recorded = receive(req).await;
                    log.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(recorded.clone());
                    respond(&route(&recorded))
                }
            });
            // Errors here are client hang-ups.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

async fn receive(req: hyper::Request<Incoming>) -> FormRequest {
    let (parts, body) = req.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
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
    let is_form = headers
        .get("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let form = if is_form {
        url::form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    } else {
        Vec::new()
    };
    FormRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers,
        form,
    }
}

fn respond(reply: &FormReply) -> io::Result<Response<HttpBody>> {
    Response::builder()
        .status(reply.status)
        .header("content-type", reply.content_type)
        .body(
            Full::new(Bytes::from(reply.body.clone()))
                .map_err(|never| match never {})
                .boxed_unsync(),
        )
        .map_err(io::Error::other)
}
