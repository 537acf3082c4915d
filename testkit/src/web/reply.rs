//! The web fakes' answers: what a route decides for a request, sent as it
//! says (status, headers, a delay, a body whole or in timed chunks).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::Response;
use hyper::body::Frame;
use serde_json::Value;

use crate::Recorded;
use crate::body::HttpBody;
use crate::server::Handler;

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

/// The handler that answers each request as `route` decides.
pub(crate) fn handler(route: Route) -> Handler {
    Arc::new(move |recorded| {
        let reply = route(&recorded);
        Box::pin(async move {
            if !reply.delay.is_zero() {
                // Simulation: a peer slow to answer (`Reply::after`).
                tokio::time::sleep(reply.delay).await;
            }
            respond(reply)
        })
    })
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
                        // Simulation: a peer that sends its body slowly.
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

/// The value of `name` in a recorded query string, percent-decoded.
pub(crate) fn query_param(recorded: &Recorded, name: &str) -> Option<String> {
    url::form_urlencoded::parse(recorded.query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
