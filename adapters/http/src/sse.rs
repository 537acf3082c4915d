//! The SSE response body: numbered frames from the use case's events, and
//! `: ping` comments whenever 15 s pass with nothing sent.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use poem::http::{HeaderValue, header};
use poem::{Body, IntoResponse, Response};
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use sybil_ports::inbound::CompletionEvent;

use crate::dto::events::{StreamEvent, frame};

/// Quiet time after which a `: ping` comment is sent.
pub const PING_EVERY: Duration = Duration::from_secs(15);

/// A `text/event-stream` body whose documented schema is `StreamEvent`.
pub struct SseBody(pub Body);

impl SseBody {
    /// Frames `events` (ids from 1); the upstream pace drives the body, and
    /// dropping the body drops `events`.
    pub fn new(events: BoxStream<'static, CompletionEvent>, ping_every: Duration) -> Self {
        let frames = futures::stream::unfold((events, 0u64), move |(mut events, id)| async move {
            match tokio::time::timeout(ping_every, events.next()).await {
                Ok(Some(event)) => {
                    let id = id + 1;
                    Some((
                        Ok::<_, io::Error>(Bytes::from(frame(id, &event))),
                        (events, id),
                    ))
                }
                Ok(None) => None,
                Err(_) => Some((Ok(Bytes::from_static(b": ping\n\n")), (events, id))),
            }
        });
        SseBody(Body::from_bytes_stream(frames))
    }
}

impl Payload for SseBody {
    const CONTENT_TYPE: &'static str = "text/event-stream";

    fn schema_ref() -> MetaSchemaRef {
        StreamEvent::schema_ref()
    }

    fn register(registry: &mut Registry) {
        StreamEvent::register(registry);
    }
}

impl IntoResponse for SseBody {
    fn into_response(self) -> Response {
        let mut resp = Response::builder()
            .content_type("text/event-stream")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(self.0);
        // Tell nginx-style proxies not to buffer the stream.
        resp.headers_mut()
            .insert("x-accel-buffering", HeaderValue::from_static("no"));
        resp
    }
}
