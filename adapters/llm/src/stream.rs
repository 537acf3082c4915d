//! Turns an upstream's parsed SSE payloads into the port's event stream.
//!
//! Each provider supplies a `Decoder`; this file owns the common rules: events
//! go out as they arrive (no buffering beyond one upstream event), the first
//! error or the terminal event ends the stream, and the upstream is dropped
//! (its connection closed) as soon as the stream ends or is dropped.

use std::collections::VecDeque;

use futures::stream::{self, BoxStream, Stream, StreamExt};
use serde_json::Value;
use sybil_ports::outbound::llm::{LlmError, LlmStreamEvent};

pub(crate) type Item = Result<LlmStreamEvent, LlmError>;
pub(crate) type EventStream = BoxStream<'static, Item>;

/// A provider's stream grammar.
pub(crate) trait Decoder: Send + 'static {
    /// Handles one upstream payload, pushing what to emit. Returns `true`
    /// once the stream is over (its last item pushed: `Completed` or `Err`).
    fn on_event(&mut self, event: Value, out: &mut VecDeque<Item>) -> bool;

    /// The upstream ended without a terminal event: the last item.
    fn on_end(&mut self) -> Item;
}

struct State<D> {
    upstream: Option<BoxStream<'static, Result<Value, LlmError>>>,
    decoder: D,
    pending: VecDeque<Item>,
}

/// The port stream for `upstream` read with `decoder`.
pub(crate) fn decode<S, D>(upstream: S, decoder: D) -> EventStream
where
    S: Stream<Item = Result<Value, LlmError>> + Send + 'static,
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
            let done = match upstream.next().await {
                Some(Ok(event)) => state.decoder.on_event(event, &mut state.pending),
                Some(Err(error)) => {
                    state.pending.push_back(Err(error));
                    true
                }
                None => {
                    let last = state.decoder.on_end();
                    state.pending.push_back(last);
                    true
                }
            };
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
    struct Toy;

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

    impl Decoder for Toy {
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

    async fn run(events: Vec<Value>) -> Vec<Item> {
        decode(stream::iter(events.into_iter().map(Ok)), Toy)
            .collect()
            .await
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
    async fn a_missing_terminal_event_is_an_error_item() {
        let items = run(vec![json!({"text":"a"})]).await;
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[1].as_ref().unwrap_err().failure,
            LlmFailure::Connection
        );
    }
}
