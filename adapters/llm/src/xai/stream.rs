//! Chat Completions chunk decoder: deltas out, tool calls by `index`, `raw` rebuilt.
//!
//! `sse` ends the payloads at `data: [DONE]` the way it ends them at the end
//! of the body, so a stream that simply stops looks the same. The chunks
//! tell instead (docs/decisions.md, "xAI Chat Completions"): the last choice chunk carries
//! `finish_reason`; a stream that ends without one was cut.

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Map, Value, json};
use sybil_ports::outbound::llm::{LlmFailure, LlmStreamEvent};

use crate::error::Errors;
use crate::stream::{Decoder, Item};

use super::response;

/// The chunks' fields that the rebuilt chat completion keeps.
const HEAD: [&str; 4] = ["id", "created", "model", "system_fingerprint"];

#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

pub(super) struct ChunkDecoder {
    errors: Errors,
    request_id: Option<String>,
    /// The first non-null value of each of `HEAD` in the chunks. Not a map:
    /// a map's first node is half a kilobyte, held for the stream's life.
    head: [Option<Value>; HEAD.len()],
    text: String,
    reasoning: String,
    calls: BTreeMap<u64, PartialCall>,
    finish_reason: Option<String>,
    usage: Value,
}

impl ChunkDecoder {
    pub(super) fn new(errors: Errors, request_id: Option<String>) -> Self {
        ChunkDecoder {
            errors,
            request_id,
            head: Default::default(),
            text: String::new(),
            reasoning: String::new(),
            calls: BTreeMap::new(),
            finish_reason: None,
            usage: Value::Null,
        }
    }

    fn on_tool_call(&mut self, piece: &Value) {
        let index = piece["index"].as_u64().unwrap_or(self.calls.len() as u64);
        let call = self.calls.entry(index).or_default();
        if let Some(id) = piece["id"].as_str() {
            call.id = id.to_string();
        }
        if let Some(name) = piece["function"]["name"].as_str() {
            call.name = name.to_string();
        }
        if let Some(args) = piece["function"]["arguments"].as_str() {
            call.arguments.push_str(args);
        }
    }

    /// The chat completion the chunks add up to.
    fn rebuild(&mut self) -> Value {
        let mut message = json!({"role": "assistant", "content": self.text});
        if !self.calls.is_empty() {
            let calls: Vec<Value> = std::mem::take(&mut self.calls)
                .into_values()
                .map(|c| {
                    json!({"id": c.id, "type": "function",
                           "function": {"name": c.name, "arguments": c.arguments}})
                })
                .collect();
            message["tool_calls"] = Value::Array(calls);
        }
        if !self.reasoning.is_empty() {
            message["reasoning_content"] = json!(self.reasoning);
        }
        let mut raw: Map<String, Value> = HEAD
            .iter()
            .zip(std::mem::take(&mut self.head))
            .filter_map(|(key, value)| Some(((*key).to_string(), value?)))
            .collect();
        raw.insert("object".into(), json!("chat.completion"));
        raw.insert(
            "choices".into(),
            json!([{"index": 0, "message": message, "finish_reason": self.finish_reason}]),
        );
        raw.insert("usage".into(), self.usage.take());
        Value::Object(raw)
    }
}

impl Decoder for ChunkDecoder {
    fn on_event(&mut self, chunk: Value, out: &mut VecDeque<Item>) -> bool {
        if chunk.get("error").is_some_and(|e| !e.is_null()) {
            out.push_back(Err(self.errors.upstream(&chunk)));
            return true;
        }
        for (slot, key) in self.head.iter_mut().zip(HEAD) {
            if slot.is_none() {
                *slot = chunk.get(key).filter(|v| !v.is_null()).cloned();
            }
        }
        if chunk["usage"].is_object() {
            self.usage = chunk["usage"].clone();
        }
        // The usage chunk has `choices: []`.
        let Some(choice) = chunk["choices"].get(0) else {
            return false;
        };
        let delta = &choice["delta"];
        if let Some(text) = delta["content"].as_str().filter(|t| !t.is_empty()) {
            self.text.push_str(text);
            out.push_back(Ok(LlmStreamEvent::TextDelta(text.to_string())));
        }
        if let Some(text) = delta["reasoning_content"].as_str() {
            self.reasoning.push_str(text);
        }
        if let Some(pieces) = delta["tool_calls"].as_array() {
            for piece in pieces {
                self.on_tool_call(piece);
            }
        }
        if let Some(reason) = choice["finish_reason"].as_str() {
            self.finish_reason = Some(reason.to_string());
        }
        false
    }

    fn on_end(&mut self) -> Item {
        if self.finish_reason.is_none() {
            return Err(self.errors.make(
                LlmFailure::Connection,
                "the stream ended before its final chunk and [DONE]",
            ));
        }
        let raw = self.rebuild();
        response::parse_tree(&raw, self.request_id.clone(), &self.errors)
            .map(|r| LlmStreamEvent::Completed(Box::new(r)))
    }
}
