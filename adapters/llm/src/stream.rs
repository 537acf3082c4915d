//! Turns an upstream's parsed SSE payloads into the port's event stream.
//!
//! Each provider supplies a `Decoder` (or a `TreeDecoder`, which reads each
//! payload as a JSON tree); this file owns the common rules: events
//! go out as they arrive (no buffering beyond one upstream event), the first
//! error or the terminal event ends the stream, and the upstream is dropped
//! (its connection closed) as soon as the stream ends or is dropped.

use std::collections::VecDeque;

use futures::stream::{self, BoxStream, Stream, StreamExt};
use serde_json::Value;
use sybil_ports::outbound::llm::{LlmError, LlmStreamEvent};

use crate::error::Errors;
use crate::sse::Payload;

pub(crate) type Item = Result<LlmStreamEvent, LlmError>;
pub(crate) type EventStream = BoxStream<'static, Item>;

/// A provider's stream grammar.
pub(crate) trait Decoder: Send + 'static {
    /// Handles one upstream payload, pushing what to emit. Returns `true`
    /// once the stream is over (its last item pushed: `Completed` or `Err`);
    /// an error (data it cannot read) ends the stream as its last item.
    fn on_payload(&mut self, payload: Payload, out: &mut VecDeque<Item>) -> Result<bool, LlmError>;

    /// The upstream ended without a terminal event: the last item.
    fn on_end(&mut self) -> Item;
}

/// A stream grammar over JSON trees: each payload is read into a `Value`
/// (data that is not JSON ends the stream with a `Malformed` item).
pub(crate) trait TreeDecoder: Send + 'static {
    fn errors(&self) -> &Errors;

    /// As `Decoder::on_payload`, for the payload's tree.
    fn on_event(&mut self, event: Value, out: &mut VecDeque<Item>) -> bool;

    /// As `Decoder::on_end`.
    fn on_end(&mut self) -> Item;
}

impl<T: TreeDecoder> Decoder for T {
    fn on_payload(&mut self, payload: Payload, out: &mut VecDeque<Item>) -> Result<bool, LlmError> {
        Ok(self.on_event(payload.tree(self.errors())?, out))
    }

    fn on_end(&mut self) -> Item {
        TreeDecoder::on_end(self)
    }
}

struct State<D> {
    upstream: Option<BoxStream<'static, Result<Payload, LlmError>>>,
    decoder: D,
    pending: VecDeque<Item>,
}

/// The port stream for `upstream` read with `decoder`.
pub(crate) fn decode<S, D>(upstream: S, decoder: D) -> EventStream
where
    S: Stream<Item = Result<Payload, LlmError>> + Send + 'static,
    D: Decoder,
{
    let state = State {
        upstream: Some(upstream.boxed()),
        decoder,
        pending: VecDeque::new(),
    };
    stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.pending.pop_front() {
                return Some((item, state));
            }
            let upstream = state.upstream.as_mut()?;
            let read = match upstream.next().await {
                Some(Ok(payload)) => state.decoder.on_payload(payload, &mut state.pending),
                Some(Err(error)) => Err(error),
                None => {
                    let last = state.decoder.on_end();
                    state.pending.push_back(last);
                    Ok(true)
                }
            };
            let done = read.unwrap_or_else(|error| {
                state.pending.push_back(Err(error));
                true
            });
            if done {
                state.upstream = None;
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sybil_domain::Provider;
    use sybil_ports::outbound::RawJson;
    use sybil_ports::outbound::llm::{LlmFailure, LlmResponse};

    /// Emits `text` payloads as deltas and ends on `{"end":true}`.
    struct Toy(Errors);

    fn done() -> LlmResponse {
        LlmResponse {
            text: String::new(),
            tool_calls: vec![],
            usage: Default::default(),
            response_id: None,
            request_id: None,
            raw: RawJson::null(),
        }
    }

    impl TreeDecoder for Toy {
        fn errors(&self) -> &Errors {
            &self.0
        }

        fn on_event(&mut self, event: Value, out: &mut VecDeque<Item>) -> bool {
            if event["end"] == true {
                out.push_back(Ok(LlmStreamEvent::Completed(Box::new(done()))));
                return true;
            }
            out.push_back(Ok(LlmStreamEvent::TextDelta(
                event["text"].as_str().unwrap_or("").into(),
            )));
            false
        }
        fn on_end(&mut self) -> Item {
            Err(LlmError {
                provider: Provider::OpenAi,
                failure: LlmFailure::Connection,
                message: "cut".into(),
            })
        }
    }

    async fn run_texts(data: Vec<String>) -> Vec<Item> {
        let payloads = data.into_iter().map(|data| {
            Ok(Payload {
                event: String::new(),
                data,
            })
        });
        let toy = Toy(Errors::for_tests(Provider::OpenAi));
        decode(stream::iter(payloads), toy).collect().await
    }

    async fn run(events: Vec<Value>) -> Vec<Item> {
        run_texts(events.iter().map(Value::to_string).collect()).await
    }

    #[tokio::test]
    async fn stops_at_the_terminal_event() {
        let items = run(vec![
            json!({"text":"a"}),
            json!({"end":true}),
            json!({"text":"late"}),
        ])
        .await;
        assert_eq!(items.len(), 2);
        assert!(matches!(items[1], Ok(LlmStreamEvent::Completed(_))));
    }

    #[tokio::test]
    async fn data_that_is_not_json_ends_a_tree_stream_as_malformed() {
        let items = run_texts(vec![
            r#"{"text":"a"}"#.into(),
            "{".into(),
            r#"{"text":"b"}"#.into(),
        ])
        .await;
        assert_eq!(items.len(), 2);
        let error = items[1].as_ref().unwrap_err();
        assert_eq!(error.failure, LlmFailure::Malformed);
        assert!(
            error.message.contains("invalid event data"),
            "{}",
            error.message
        );
    }

    #[tokio::test]
    async fn a_missing_terminal_event_is_an_error_item() {
        let items = run(vec![json!({"text":"a"})]).await;
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[1].as_ref().unwrap_err().failure,
            LlmFailure::Connection
        );
    }
}
