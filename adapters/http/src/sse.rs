//! The SSE response body: frames from the use case's events (the contract's
//! numbered events, or OpenAI's chunks), and `: ping` comments whenever 15 s
//! pass with nothing sent.

use std::io::{self, Write};
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
use serde::Serialize;
use sybil_metrics::OpenStream;
use sybil_ports::inbound::CompletionEvent;
use sybil_ports::outbound::RecordedEvent;
use sybil_wire::StreamEvent;

/// Quiet time after which a `: ping` comment is sent.
pub const PING_EVERY: Duration = Duration::from_secs(15);

/// At most this many ready events are written as one chunk.
const MAX_EVENTS_PER_CHUNK: usize = 64;

/// Room for a delta frame, so that a chunk of one rarely grows.
const CHUNK_CAPACITY: usize = 128;

/// Writes one contract event, live or replayed: `event:`, `id:`, then its
/// `data:`.
pub fn write_event(out: &mut Vec<u8>, id: u64, event: CompletionEvent) {
    let event = StreamEvent::from(event);
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(event.event_name().as_bytes());
    // Writing to a `Vec` cannot fail.
    let _ = write!(out, "\nid: {id}\n");
    write_data(out, &event);
}

/// Writes `data:` with the JSON of `data` on one line (serde_json writes no
/// raw newline), and the blank line that ends the event.
pub fn write_data(out: &mut Vec<u8>, data: &impl Serialize) {
    out.extend_from_slice(b"data: ");
    if let Err(e) = serde_json::to_writer(&mut *out, data) {
        // Only a map whose keys are not strings fails; no wire type has one.
        tracing::error!(error = %e, "an event could not be written as JSON");
    }
    out.extend_from_slice(b"\n\n");
}

/// A `text/event-stream` body whose documented `data:` schema is `S`.
pub struct SseBody<S = StreamEvent>(pub Body, PhantomData<S>);

impl SseBody<StreamEvent> {
    /// Frames `events` as the contract's numbered events (ids from 1).
    pub fn new(events: BoxStream<'static, CompletionEvent>, ping_every: Duration) -> Self {
        let mut id = 0u64;
        SseBody::framed(events, ping_every, move |event, out| {
            id += 1;
            write_event(out, id, event);
        })
    }
}

impl SseBody<StreamEvent> {
    /// Frames a resumable completion's recorded events with their own ids.
    pub fn recorded(events: BoxStream<'static, RecordedEvent>, ping_every: Duration) -> Self {
        SseBody::framed(events, ping_every, |e: RecordedEvent, out| {
            write_event(out, e.seq, e.event);
        })
    }
}

impl<S> SseBody<S> {
    /// Writes each event as `write` frames it (it may write nothing for
    /// one). The upstream pace drives the body; dropping the body drops
    /// `events`, and the stream counts as open until then. Events that are
    /// ready together (a replay from storage) go out as one chunk; a live
    /// event goes out alone, at once.
    pub fn framed<T: Send + 'static>(
        events: BoxStream<'static, T>,
        ping_every: Duration,
        write: impl FnMut(T, &mut Vec<u8>) + Send + 'static,
    ) -> Self {
        // Fused: a batch may see the end, and the next poll must see it again.
        let state = (events.fuse(), write, OpenStream::open());
        let frames =
            futures::stream::unfold(state, move |(mut events, mut write, open)| async move {
                loop {
                    match tokio::time::timeout(ping_every, events.next()).await {
                        Ok(Some(first)) => {
                            let mut chunk = Vec::with_capacity(CHUNK_CAPACITY);
                            write(first, &mut chunk);
                            // What is ready too joins the chunk, written at
                            // once: no batch of events is held per stream.
                            for _ in 1..MAX_EVENTS_PER_CHUNK {
                                match events.next().now_or_never() {
                                    Some(Some(event)) => write(event, &mut chunk),
                                    _ => break,
                                }
                            }
                            if !chunk.is_empty() {
                                let bytes = Ok::<_, io::Error>(Bytes::from(chunk));
                                return Some((bytes, (events, write, open)));
                            }
                        }
                        Ok(None) => return None,
                        Err(_) => {
                            let ping = Ok(Bytes::from_static(b": ping\n\n"));
                            return Some((ping, (events, write, open)));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_named_numbered_single_line_json() {
        let mut out = Vec::new();
        let delta = CompletionEvent::Delta {
            text: "a\nb \"c\"".into(),
        };
        write_event(&mut out, 3, delta);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "event: delta\nid: 3\ndata: {\"text\":\"a\\nb \\\"c\\\"\"}\n\n"
        );
    }
}
