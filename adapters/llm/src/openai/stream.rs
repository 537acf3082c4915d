//! Responses API stream decoder: text deltas out, function calls assembled.
//!
//! `response.completed` (or `.incomplete`) ends it with the whole response.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde_json::Value;
use sybil_ports::outbound::llm::{LlmFailure, LlmStreamEvent, ToolCall};

use crate::error::Errors;
use crate::stream::{Item, TreeDecoder};

use super::response;

/// The events the decoder reads; the others are dropped unparsed.
pub(super) fn wanted(event: &str) -> bool {
    matches!(
        event,
        "response.output_text.delta"
            | "response.output_item.added"
            | "response.output_item.done"
            | "response.function_call_arguments.delta"
            | "response.function_call_arguments.done"
            | "response.completed"
            | "response.incomplete"
            | "response.failed"
            | "error"
    )
}

/// A function call being streamed, keyed by its `output_index`.
#[derive(Default)]
struct PartialCall {
    call_id: String,
    name: String,
    arguments: String,
}

pub(super) struct ResponsesDecoder {
    errors: Errors,
    request_id: Option<String>,
    calls: BTreeMap<u64, PartialCall>,
    /// Item id (`fc_…`) → output index, for events without `output_index`.
    indexes: HashMap<String, u64>,
}

impl ResponsesDecoder {
    pub(super) fn new(errors: Errors, request_id: Option<String>) -> Self {
        ResponsesDecoder {
            errors,
            request_id,
            calls: BTreeMap::new(),
            indexes: HashMap::new(),
        }
    }

    fn index_of(&self, event: &Value) -> Option<u64> {
        event["output_index"].as_u64().or_else(|| {
            let id = event["item_id"].as_str()?;
            self.indexes.get(id).copied()
        })
    }

    /// `output_item.added` carries `call_id` and `name` (the later
    /// `arguments.done` has no name); `output_item.done` the final arguments.
    fn on_item(&mut self, event: &Value, done: bool) {
        let item = &event["item"];
        if item["type"] != "function_call" {
            return;
        }
        let index = event["output_index"]
            .as_u64()
            .unwrap_or(self.calls.len() as u64);
        if let Some(id) = item["id"].as_str() {
            self.indexes.insert(id.to_string(), index);
        }
        let call = self.calls.entry(index).or_default();
        if let Some(call_id) = item["call_id"].as_str() {
            call.call_id = call_id.to_string();
        }
        if let Some(name) = item["name"].as_str() {
            call.name = name.to_string();
        }
        match item["arguments"].as_str() {
            Some(args) if done || call.arguments.is_empty() => call.arguments = args.to_string(),
            _ => {}
        }
    }

    fn on_arguments(&mut self, event: &Value, done: bool) {
        let Some(index) = self.index_of(event) else {
            return;
        };
        let call = self.calls.entry(index).or_default();
        if done {
            if let Some(args) = event["arguments"].as_str() {
                call.arguments = args.to_string();
            }
        } else if let Some(delta) = event["delta"].as_str() {
            call.arguments.push_str(delta);
        }
    }

    /// The whole response from the terminal event; calls assembled from the
    /// stream win over a terminal response that left them out.
    fn complete(&mut self, event: &Value) -> Item {
        let errors = &self.errors;
        let Some(raw) = event.get("response").filter(|r| r.is_object()) else {
            return Err(errors.malformed("the terminal event has no response object"));
        };
        let mut answer = response::parse_tree(raw, self.request_id.clone(), errors)?;
        let streamed: Vec<ToolCall> = std::mem::take(&mut self.calls)
            .into_values()
            .filter(|c| !c.call_id.is_empty())
            .map(|c| ToolCall {
                id: c.call_id,
                name: c.name,
                arguments: c.arguments,
            })
            .collect();
        if !streamed.is_empty() {
            answer.tool_calls = streamed;
        }
        Ok(LlmStreamEvent::Completed(Box::new(answer)))
    }
}

impl TreeDecoder for ResponsesDecoder {
    fn errors(&self) -> &Errors {
        &self.errors
    }

    fn on_event(&mut self, event: Value, out: &mut VecDeque<Item>) -> bool {
        match event["type"].as_str().unwrap_or_default() {
            "response.output_text.delta" => {
                if let Some(delta) = event["delta"].as_str().filter(|d| !d.is_empty()) {
                    out.push_back(Ok(LlmStreamEvent::TextDelta(delta.to_string())));
                }
                false
            }
            "response.output_item.added" => {
                self.on_item(&event, false);
                false
            }
            "response.output_item.done" => {
                self.on_item(&event, true);
                false
            }
            "response.function_call_arguments.delta" => {
                self.on_arguments(&event, false);
                false
            }
            "response.function_call_arguments.done" => {
                self.on_arguments(&event, true);
                false
            }
            "response.completed" | "response.incomplete" => {
                out.push_back(self.complete(&event));
                true
            }
            "response.failed" => {
                let errors = &self.errors;
                out.push_back(Err(errors.upstream(&event["response"])));
                true
            }
            // Documented flat (`{"type":"error","message"}`), sent nested
            // (`{"type":"error","error":{"message"}}`): `upstream` reads both.
            "error" => {
                out.push_back(Err(self.errors.upstream(&event)));
                true
            }
            _ => false,
        }
    }

    fn on_end(&mut self) -> Item {
        Err(self.errors.make(
            LlmFailure::Connection,
            "the stream ended before response.completed",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sybil_domain::Provider;

    fn feed(events: &[Value]) -> Vec<Item> {
        let mut decoder = ResponsesDecoder::new(Errors::for_tests(Provider::OpenAi), None);
        let mut out = VecDeque::new();
        for e in events {
            if decoder.on_event(e.clone(), &mut out) {
                return out.into();
            }
        }
        out.push_back(decoder.on_end());
        out.into()
    }

    #[test]
    fn events_dropped_unparsed_are_ones_the_decoder_ignores() {
        let dropped = [
            "response.created",
            "response.in_progress",
            "response.content_part.added",
            "response.content_part.done",
            "response.output_text.done",
            "response.reasoning_summary_text.delta",
            "keepalive",
        ];
        for name in dropped {
            assert!(!wanted(name), "{name}");
            let mut decoder = ResponsesDecoder::new(Errors::for_tests(Provider::OpenAi), None);
            let mut out = VecDeque::new();
            let event = json!({"type": name, "response": {}, "delta": "x", "item": {}});
            assert!(!decoder.on_event(event, &mut out), "{name}");
            assert!(out.is_empty(), "{name}");
        }
    }

    #[test]
    fn failed_response_and_flat_errors_end_the_stream() {
        let failed = json!({"type":"response.failed","response":{"status":"failed",
            "error":{"code":"server_error","message":"The model crashed"}}});
        let flat = json!({"type":"error","code":"server_error","message":"Flat failure","sequence_number":3});
        for (event, want) in [(failed, "The model crashed"), (flat, "Flat failure")] {
            let items = feed(&[
                event,
                json!({"type":"response.output_text.delta","delta":"late"}),
            ]);
            assert_eq!(items.len(), 1);
            let err = items[0].as_ref().unwrap_err();
            assert_eq!(
                (err.failure, err.message.as_str()),
                (LlmFailure::Upstream, want)
            );
        }
    }

    #[test]
    fn unknown_events_are_skipped_and_calls_keyed_by_item() {
        let items = feed(&[
            json!({"type":"response.brand_new_event","foo":1}),
            json!({"type":"response.output_item.added","output_index":1,
                   "item":{"id":"fc_1","type":"function_call","call_id":"call_1","name":"f","arguments":""}}),
            json!({"type":"response.function_call_arguments.delta","item_id":"fc_1","delta":"{\"a\""}),
            json!({"type":"response.function_call_arguments.delta","item_id":"fc_1","delta":":1}"}),
            json!({"type":"response.completed","response":{"id":"resp_1","status":"completed","output":[],"usage":null}}),
        ]);
        let Ok(LlmStreamEvent::Completed(r)) = &items[0] else {
            panic!("{items:?}")
        };
        assert_eq!(
            r.tool_calls,
            vec![ToolCall {
                id: "call_1".into(),
                name: "f".into(),
                arguments: "{\"a\":1}".into()
            }]
        );
    }

    #[test]
    fn incomplete_is_terminal_and_a_missing_end_is_an_error() {
        let items = feed(&[
            json!({"type":"response.incomplete","response":{"id":"resp_2","status":"incomplete",
            "incomplete_details":{"reason":"max_output_tokens"},
            "output":[{"type":"message","content":[{"type":"output_text","text":"Part"}]}]}}),
        ]);
        assert!(matches!(&items[0], Ok(LlmStreamEvent::Completed(r)) if r.text == "Part"));
        let items = feed(&[json!({"type":"response.output_text.delta","delta":"x"})]);
        assert_eq!(
            items[1].as_ref().unwrap_err().failure,
            LlmFailure::Connection
        );
    }
}
