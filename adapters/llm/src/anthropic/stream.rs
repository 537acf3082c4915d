//! Messages API stream decoder: text deltas out, the message rebuilt for `raw`.
//!
//! The message comes from `message_start`, the content blocks and
//! `message_delta`; `message_stop` ends it.

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Value, json};
use sybil_ports::outbound::llm::{LlmFailure, LlmStreamEvent};

use crate::error::Errors;
use crate::stream::{Item, TreeDecoder};

use super::response;

/// The events the decoder reads; the others (`ping`, `content_block_stop`,
/// anything new) are dropped unparsed.
pub(super) fn wanted(event: &str) -> bool {
    matches!(
        event,
        "message_start"
            | "content_block_start"
            | "content_block_delta"
            | "message_delta"
            | "message_stop"
            | "error"
    )
}

pub(super) struct MessageDecoder {
    errors: Errors,
    request_id: Option<String>,
    /// The `message` of `message_start`, completed as events arrive.
    message: Value,
    blocks: BTreeMap<u64, Value>,
}

impl MessageDecoder {
    pub(super) fn new(errors: Errors, request_id: Option<String>) -> Self {
        MessageDecoder {
            errors,
            request_id,
            message: json!({"type": "message", "role": "assistant", "content": [], "usage": {}}),
            blocks: BTreeMap::new(),
        }
    }

    fn on_delta(&mut self, event: &Value, out: &mut VecDeque<Item>) {
        let index = event["index"].as_u64().unwrap_or(0);
        let delta = &event["delta"];
        let block = self
            .blocks
            .entry(index)
            .or_insert_with(|| json!({"type": "text", "text": ""}));
        let (field, piece) = match delta["type"].as_str().unwrap_or_default() {
            "text_delta" => ("text", delta["text"].as_str()),
            "thinking_delta" => ("thinking", delta["thinking"].as_str()),
            "input_json_delta" => ("partial_json", delta["partial_json"].as_str()),
            _ => return,
        };
        let Some(piece) = piece else { return };
        // Appended in place: rebuilding the string per delta is quadratic.
        match &mut block[field] {
            Value::String(so_far) => so_far.push_str(piece),
            other => *other = Value::String(piece.to_string()),
        }
        if field == "text" && !piece.is_empty() {
            out.push_back(Ok(LlmStreamEvent::TextDelta(piece.to_string())));
        }
    }

    /// `message_delta` brings the stop reason and the cumulative output count;
    /// the input count stays the one of `message_start`.
    fn on_message_delta(&mut self, event: &Value) {
        if let Some(delta) = event["delta"].as_object() {
            for (key, value) in delta {
                self.message[key] = value.clone();
            }
        }
        if let Some(n) = event["usage"]["output_tokens"].as_u64() {
            self.message["usage"]["output_tokens"] = json!(n);
        }
    }

    fn complete(&mut self) -> Item {
        let blocks: Vec<Value> = std::mem::take(&mut self.blocks).into_values().collect();
        let mut raw = self.message.take();
        raw["content"] = Value::Array(blocks);
        response::parse(raw, self.request_id.take(), &self.errors)
            .map(|r| LlmStreamEvent::Completed(Box::new(r)))
    }
}

impl TreeDecoder for MessageDecoder {
    fn errors(&self) -> &Errors {
        &self.errors
    }

    fn on_event(&mut self, event: Value, out: &mut VecDeque<Item>) -> bool {
        match event["type"].as_str().unwrap_or_default() {
            "message_start" => {
                if event["message"].is_object() {
                    self.message = event["message"].clone();
                }
                false
            }
            "content_block_start" => {
                let index = event["index"].as_u64().unwrap_or(self.blocks.len() as u64);
                self.blocks.insert(index, event["content_block"].clone());
                false
            }
            "content_block_delta" => {
                self.on_delta(&event, out);
                false
            }
            "message_delta" => {
                self.on_message_delta(&event);
                false
            }
            "message_stop" => {
                out.push_back(self.complete());
                true
            }
            "error" => {
                out.push_back(Err(self.errors.upstream(&event)));
                true
            }
            // ping, content_block_stop and anything new.
            _ => false,
        }
    }

    fn on_end(&mut self) -> Item {
        Err(self.errors.make(
            LlmFailure::Connection,
            "the stream ended before message_stop",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sybil_domain::Provider;

    #[test]
    fn rebuilds_the_message_and_ignores_pings() {
        let errors = Errors::for_tests(Provider::Anthropic);
        let mut d = MessageDecoder::new(errors, Some("req_1".into()));
        let mut out = VecDeque::new();
        let events = [
            json!({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],
                   "model":"claude","stop_reason":null,"usage":{"input_tokens":10,"output_tokens":1}}}),
            json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
            json!({"type":"ping"}),
            json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}),
            json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there"}}),
            json!({"type":"content_block_stop","index":0}),
            json!({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},
                   "usage":{"input_tokens":99,"output_tokens":5}}),
        ];
        for e in events {
            // What the stream drops unparsed must be what the decoder ignores.
            let name = e["type"].as_str().unwrap();
            assert_eq!(wanted(name), !matches!(name, "ping" | "content_block_stop"));
            assert!(!d.on_event(e, &mut out));
        }
        assert!(d.on_event(json!({"type":"message_stop"}), &mut out));
        let items: Vec<Item> = out.into();
        assert_eq!(items.len(), 3);
        let Ok(LlmStreamEvent::Completed(r)) = &items[2] else {
            panic!("{items:?}")
        };
        assert_eq!(r.text, "Hi there");
        assert_eq!(
            (
                r.usage.input_tokens,
                r.usage.output_tokens,
                r.usage.total_tokens
            ),
            (10, 5, 15)
        );
        assert_eq!(r.request_id.as_deref(), Some("req_1"));
        assert_eq!(r.raw.to_value()["stop_reason"], "end_turn");
        assert_eq!(
            r.raw.to_value()["content"],
            json!([{"type":"text","text":"Hi there"}])
        );
    }
}
