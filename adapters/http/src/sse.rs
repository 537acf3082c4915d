//! The SSE response body: frames from the use case's events (the contract's
//! numbered events, or OpenAI's chunks), and `: ping` comments whenever 15 s
//! pass with nothing sent.

use std::io;
use std::marker::PhantomData;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use poem::http::{HeaderValue, header};
use poem::{Body, IntoResponse, Response};
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use sybil_metrics::OpenStream;
use sybil_ports::inbound::CompletionEvent;
use sybil_ports::outbound::RecordedEvent;

use crate::dto::events::{StreamEvent, frame};

/// Quiet time after which a `: ping` comment is sent.
pub const PING_EVERY: Duration = Duration::from_secs(15);

/// At most this many ready events are written as one chunk.
const MAX_EVENTS_PER_CHUNK: usize = 64;

/// A `text/event-stream` body whose documented `data:` schema is `S`.
pub struct SseBody<S = StreamEvent>(pub Body, PhantomData<S>);

impl SseBody<StreamEvent> {
    /// Frames `events` as the contract's numbered events (ids from 1).
    pub fn new(events: BoxStream<'static, CompletionEvent>, ping_every: Duration) -> Self {
        let mut id = 0u64;
        SseBody::framed(events, ping_every, move |event| {
            id += 1;
            Some(frame(id, event))
        })
    }
}

impl SseBody<StreamEvent> {
    /// Frames a resumable completion's recorded events with their own ids.
    pub fn recorded(events: BoxStream<'static, RecordedEvent>, ping_every: Duration) -> Self {
        SseBody::framed(events, ping_every, |e: &RecordedEvent| {
            Some(format!(
                "event: {}\nid: {}\ndata: {}\n\n",
                e.event, e.seq, e.data
            ))
        })
    }
}

impl<S> SseBody<S> {
    /// Writes each event as `format` frames it (`None` sends nothing for
    /// it). The upstream pace drives the body; dropping the body drops
    /// `events`, and the stream counts as open until then. Events that are
    /// ready together (a replay from storage) go out as one chunk; a live
    /// event goes out alone, at once.
    pub fn framed<T: Send + 'static>(
        events: BoxStream<'static, T>,
        ping_every: Duration,
        format: impl FnMut(&T) -> Option<String> + Send + 'static,
    ) -> Self {
        // Fused: a batch may see the end, and the next poll must see it again.
        let state = (events.fuse(), format, OpenStream::open());
        let frames =
            futures::stream::unfold(state, move |(mut events, mut format, open)| async move {
                loop {
                    match tokio::time::timeout(ping_every, events.next()).await {
                        Ok(Some(first)) => {
                            let mut text = format(&first).unwrap_or_default();
                            // What is ready too joins the chunk, formatted at
                            // once: no batch of events is held per stream.
                            for _ in 1..MAX_EVENTS_PER_CHUNK {
                                match events.next().now_or_never() {
                                    Some(Some(event)) => text.extend(format(&event)),
                                    _ => break,
                                }
                            }
                            if !text.is_empty() {
                                let bytes = Ok::<_, io::Error>(Bytes::from(text));
                                return Some((bytes, (events, format, open)));
                            }
                        }
                        Ok(None) => return None,
                        Err(_) => {
                            let ping = Ok(Bytes::from_static(b": ping\n\n"));
                            return Some((ping, (events, format, open)));
                        }
                    }
                }
            });
        SseBody(Body::from_bytes_stream(frames), PhantomData)
    }
}

impl<S: Type + Send> Payload for SseBody<S> {
    const CONTENT_TYPE: &'static str = "text/event-stream";

    fn schema_ref() -> MetaSchemaRef {
        S::schema_ref()
    }

    fn register(registry: &mut Registry) {
        S::register(registry);
    }
}

impl<S: Send> IntoResponse for SseBody<S> {
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
