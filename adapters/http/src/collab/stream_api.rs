//! `GET /api/stream/conversations/{conversation_id}` (§4.10, §6): the
//! conversation's events as Server-Sent Events, from a cursor or live.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;
use poem::http::{HeaderValue, header};
use poem::web::Data;
use poem::{Body, IntoResponse, Response};
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::json;
use sybil_ports::inbound::{AccountUseCases, Caller, ConversationUseCases, StreamItem};
use uuid::Uuid;

use super::CollabTags;
use super::params::{path_id, signed_in};
use super::problem::Problem;
use crate::sse::{SseBody, write_data};

pub struct StreamApi {
    pub conversations: Arc<dyn ConversationUseCases>,
    pub accounts: Arc<dyn AccountUseCases>,
    pub keepalive: Duration,
    pub session_check: Duration,
}

/// A conversation's event stream, with the contract's headers.
pub struct EventStream(Body);

impl Payload for EventStream {
    const CONTENT_TYPE: &'static str = "text/event-stream";

    fn schema_ref() -> MetaSchemaRef {
        serde_json::Value::schema_ref()
    }

    fn register(registry: &mut Registry) {
        serde_json::Value::register(registry);
    }
}

impl IntoResponse for EventStream {
    fn into_response(self) -> Response {
        let mut resp = Response::builder()
            .content_type("text/event-stream; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-store")
            .body(self.0);
        resp.headers_mut()
            .insert("x-accel-buffering", HeaderValue::from_static("no"));
        resp
    }
}

#[derive(ApiResponse)]
enum Streamed {
    /// `id:`, `event:` and `data: {"type", "payload"}` per event; `: ping`
    /// after `SSE_KEEPALIVE_SECONDS` of quiet; `event: error` with
    /// `resync_required` (no id) when the follower must reload.
    #[oai(status = 200)]
    Events(EventStream),
}

/// A cursor: a non-negative decimal integer, or 400 naming where it came from.
fn cursor(field: &str, text: &str) -> Result<u64, Problem> {
    let text = text.trim();
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| text.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| {
            Problem::validation(
                field,
                format!("{field} must be a non-negative decimal integer"),
            )
        })
}

fn frame(item: StreamItem, out: &mut Vec<u8>) {
    match item {
        StreamItem::Event(event) => {
            out.extend_from_slice(
                format!("id: {}\nevent: {}\ndata: ", event.id, event.kind).as_bytes(),
            );
            out.extend_from_slice(event.data.as_bytes());
            out.extend_from_slice(b"\n\n");
        }
        StreamItem::Resync(message) => {
            out.extend_from_slice(b"event: error\n");
            write_data(
                out,
                &json!({"type": "error", "payload": {"code": "resync_required", "message": message}}),
            );
        }
    }
}

/// `items` until they end or the session that opened them stops being good
/// (checked every `every`).
fn while_signed_in(
    items: BoxStream<'static, StreamItem>,
    accounts: Arc<dyn AccountUseCases>,
    session: Uuid,
    every: Duration,
) -> BoxStream<'static, StreamItem> {
    let mut check = tokio::time::interval(every);
    check.reset();
    futures::stream::unfold((items, check), move |(mut items, mut check)| {
        let accounts = accounts.clone();
        async move {
            loop {
                tokio::select! {
                    item = items.next() => return item.map(|i| (i, (items, check))),
                    _ = check.tick() => {
                        // A storage failure keeps the stream: the next check decides.
                        if !accounts.session_alive(session).await.unwrap_or(true) {
                            return None;
                        }
                    }
                }
            }
        }
    })
    .boxed()
}

#[OpenApi(tag = "CollabTags::Conversations")]
impl StreamApi {
    /// Follow a conversation
    ///
    /// Every retained event after the cursor (`since`, else `Last-Event-ID`)
    /// that the caller may receive, then live ones; without a cursor, only
    /// events committed after the stream opened.
    #[oai(path = "/api/stream/conversations/:conversation_id", method = "get")]
    async fn follow(
        &self,
        caller: Data<&Caller>,
        conversation_id: Path<String>,
        since: Query<Option<String>>,
        #[oai(name = "Last-Event-ID")] last_event_id: Header<Option<String>>,
    ) -> Result<Streamed, Problem> {
        let signed_in = signed_in(&caller)?;
        let id = path_id("conversation_id", &conversation_id)?;
        let start = match (&since.0, &last_event_id.0) {
            (Some(s), _) => Some(cursor("since", s)?),
            (None, Some(h)) => Some(cursor("Last-Event-ID", h)?),
            (None, None) => None,
        };
        let items = self
            .conversations
            .follow(&signed_in.user, id, start)
            .await?;
        let items = while_signed_in(
            items,
            self.accounts.clone(),
            signed_in.session.id,
            self.session_check,
        );
        let body = SseBody::<serde_json::Value>::framed(items, self.keepalive, frame);
        Ok(Streamed::Events(EventStream(body.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_plain_decimal_integers() {
        assert_eq!(cursor("since", "42").unwrap(), 42);
        assert_eq!(cursor("since", "0").unwrap(), 0);
        for bad in ["", "-1", "+3", "1.5", "x", "99999999999999999999999"] {
            assert!(cursor("since", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn resync_notices_carry_no_id() {
        let mut out = Vec::new();
        frame(StreamItem::Resync("gone".into()), &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("event: error\ndata: "), "{text}");
        assert!(!text.contains("id:"));
        assert!(text.contains("\"resync_required\""));
    }
}
