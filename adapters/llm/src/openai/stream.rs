//! Responses API stream decoder: text deltas out, function calls assembled.
//!
//! `response.completed` (or `.incomplete`) ends it with the whole response.
//! Events are read as trees, but for the one a stream sends many of: a text
//! delta in its usual shape is read in a typed pass, its text borrowed.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::Deserialize;
use serde_json::Value;
use sybil_ports::outbound::llm::{LlmError, LlmFailure, LlmStreamEvent, ToolCall};

use crate::error::Errors;
use crate::sse::Payload;
use crate::stream::{Decoder, Item};

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

const TEXT_DELTA: &str = "response.output_text.delta";

/// A text delta in its usual shape; its other fields are skipped unread.
#[derive(Deserialize)]
struct TypedTextDelta<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    delta: Option<Cow<'a, str>>,
}

/// The text of a text delta read in the typed pass (`Some(None)`: it has
/// none); `None` for another event, or a delta of another shape (a
/// missing `type`, a `delta` that is not a string, a repeated key), which
/// the tree reading decides.
fn typed_text_delta(payload: &Payload) -> Option<Option<Cow<'_, str>>> {
    if payload.event != TEXT_DELTA {
        return None;
    }
    let typed = serde_json::from_str::<TypedTextDelta>(&payload.data).ok()?;
    (typed.kind == TEXT_DELTA).then_some(typed.delta)
}

/// A text delta's text goes out as it is; an empty or missing one is dropped.
/// Both readings of a delta end here.
fn push_text_delta(delta: Option<&str>, out: &mut VecDeque<Item>) {
    if let Some(delta) = delta.filter(|d| !d.is_empty()) {
        out.push_back(Ok(LlmStreamEvent::TextDelta(delta.to_string())));
    }
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

impl Decoder for ResponsesDecoder {
    fn on_payload(&mut self, payload: Payload, out: &mut VecDeque<Item>) -> Result<bool, LlmError> {
        if let Some(delta) = typed_text_delta(&payload) {
            push_text_delta(delta.as_deref(), out);
            return Ok(false);
        }
        Ok(self.on_event(payload.tree(&self.errors)?, out))
    }

    fn on_end(&mut self) -> Item {
        Err(self.errors.make(
            LlmFailure::Connection,
            "the stream ended before response.completed",
        ))
    }
}

impl ResponsesDecoder {
    /// One event of any kind, as a tree. Returns `true` once the stream is over.
    fn on_event(&mut self, event: Value, out: &mut VecDeque<Item>) -> bool {
        match event["type"].as_str().unwrap_or_default() {
            TEXT_DELTA => {
                push_text_delta(event["delta"].as_str(), out);
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

    fn payload(event: &str, data: &str) -> Payload {
        Payload {
            event: event.into(),
            data: data.into(),
        }
    }

    /// What `on_payload` gives for one payload, and what the tree reading gives.
    fn both_readings(event: &str, data: &str) -> (Vec<Item>, Vec<Item>) {
        let decoder = || ResponsesDecoder::new(Errors::for_tests(Provider::OpenAi), None);
        let (mut typed, mut tree) = (VecDeque::new(), VecDeque::new());
        decoder()
            .on_payload(payload(event, data), &mut typed)
            .unwrap();
        let errors = Errors::for_tests(Provider::OpenAi);
        decoder().on_event(payload(event, data).tree(&errors).unwrap(), &mut tree);
        (typed.into(), tree.into())
    }

    #[test]
    fn usual_text_deltas_are_read_in_the_typed_pass_as_the_tree_reads_them() {
        let usual = [
            r#"{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hel\"lo é","logprobs":[]}"#,
            r#"{"type":"response.output_text.delta","delta":""}"#,
            r#"{"type":"response.output_text.delta","delta":null}"#,
        ];
        for data in usual {
            assert!(
                typed_text_delta(&payload(TEXT_DELTA, data)).is_some(),
                "{data}"
            );
            let (typed, tree) = both_readings(TEXT_DELTA, data);
            assert_eq!(typed, tree, "{data}");
        }
        let (typed, _) = both_readings(TEXT_DELTA, usual[0]);
        assert_eq!(typed, [Ok(LlmStreamEvent::TextDelta("Hel\"lo é".into()))]);
    }

    #[test]
    fn other_text_delta_shapes_are_left_to_the_tree_reading() {
        let odd = [
            (
                TEXT_DELTA,
                r#"{"delta":"no type: the event name gives it"}"#,
            ),
            (
                TEXT_DELTA,
                r#"{"type":"response.output_text.delta","delta":5}"#,
            ),
            (
                TEXT_DELTA,
                r#"{"type":"response.output_text.delta","delta":"a","delta":"b"}"#,
            ),
            (
                TEXT_DELTA,
                r#"{"type":"error","message":"named as a delta, typed as an error"}"#,
            ),
            (
                "",
                r#"{"type":"response.output_text.delta","delta":"unnamed"}"#,
            ),
        ];
        for (event, data) in odd {
            assert!(typed_text_delta(&payload(event, data)).is_none(), "{data}");
            let (typed, tree) = both_readings(event, data);
            assert_eq!(typed, tree, "{data}");
        }
        let (typed, _) = both_readings(odd[0].0, odd[0].1);
        assert_eq!(
            typed,
            [Ok(LlmStreamEvent::TextDelta(
                "no type: the event name gives it".into()
            ))]
        );
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
