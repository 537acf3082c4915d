//! An upstream's Server-Sent Events answer, read as payloads: each event's
//! name and data text, which the provider's decoder reads (as a tree, or in
//! a typed pass of its own).
//!
//! The body is parsed in the task that polls the stream, one event at a time:
//! nothing is read ahead of the reader, so a slow client slows the upstream
//! read (TCP backpressure) instead of growing a buffer in Sybil. (async-openai's
//! own streams read on a spawned task into an unbounded channel, which is why
//! OpenAI and xAI stream through here too.) `parser` reads the line protocol.

mod parser;

use futures::StreamExt;
use futures::stream::{self, BoxStream};
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;
use sybil_ports::outbound::llm::LlmError;
use sybil_upstream::header;

use crate::error::Errors;

pub(crate) use parser::Event as Payload;
use parser::Parser;

/// Chat Completions' end marker; other APIs end on an event (docs/decisions.md,
/// "Upstream SSE framing").
const DONE: &str = "[DONE]";

pub(crate) type Payloads = BoxStream<'static, Result<Payload, LlmError>>;

/// The payloads of a successful answer. A 200 that is not an event stream
/// (JSON because `stream` was ignored, a proxy's page) is `Malformed`. The
/// payloads end at `[DONE]`, at the end of the body, or after an error item.
/// Keep-alives are dropped, and so is an event whose name is not `wanted`
/// (OpenAI's `response.created` repeats the whole response object);
/// unnamed events are always passed on.
pub(crate) fn payloads(
    response: reqwest::Response,
    errors: Errors,
    wanted: fn(&str) -> bool,
) -> Result<Payloads, LlmError> {
    let content_type = header(&response, CONTENT_TYPE.as_str()).unwrap_or_default();
    if !content_type.is_empty() && !content_type.contains("text/event-stream") {
        return Err(errors.malformed(&format!("expected an event stream, got {content_type}")));
    }
    let reader = Reader {
        body: Some(response.bytes_stream().boxed()),
        parser: Parser::default(),
        errors,
        wanted,
    };
    Ok(stream::unfold(reader, |mut reader| async move {
        let item = reader.next().await?;
        Some((item, reader))
    })
    .boxed())
}

struct Reader {
    /// `None` once the stream is over.
    body: Option<BoxStream<'static, reqwest::Result<bytes::Bytes>>>,
    parser: Parser,
    errors: Errors,
    wanted: fn(&str) -> bool,
}

impl Reader {
    async fn next(&mut self) -> Option<Result<Payload, LlmError>> {
        loop {
            let body = self.body.as_mut()?;
            match self.parser.next_event() {
                Ok(Some(event)) if event.data == DONE => self.body = None,
                Ok(Some(event)) if !event.event.is_empty() && !(self.wanted)(&event.event) => {}
                Ok(Some(event)) if is_keep_alive(&event) => {}
                Ok(Some(event)) => return Some(Ok(event)),
                Err(e) => {
                    self.body = None;
                    return Some(Err(self
                        .errors
                        .malformed(&format!("invalid event stream: {e}"))));
                }
                Ok(None) => match body.next().await {
                    Some(Ok(chunk)) => self.parser.push(&chunk),
                    Some(Err(e)) => {
                        self.body = None;
                        return Some(Err(self.errors.transport(&e)));
                    }
                    None => self.body = None,
                },
            }
        }
    }
}

fn is_keep_alive(event: &Payload) -> bool {
    event.data.trim().is_empty() || event.event == "keepalive"
}

impl Payload {
    /// The data as a JSON tree. The JSON's `type` repeats the event name;
    /// the name fills in when it does not.
    pub(crate) fn tree(self, errors: &Errors) -> Result<Value, LlmError> {
        let mut tree = serde_json::from_str::<Value>(&self.data)
            .map_err(|e| errors.malformed(&format!("invalid event data: {e}")))?;
        if tree.is_object() && tree.get("type").is_none() && !self.event.is_empty() {
            tree["type"] = Value::String(self.event);
        }
        Ok(tree)
    }
}
