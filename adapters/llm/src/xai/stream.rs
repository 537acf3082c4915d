//! Chat Completions chunk decoder: deltas out, tool calls by `index`, `raw` rebuilt.
//!
//! `sse` ends the payloads at `data: [DONE]` the way it ends them at the end
//! of the body, so a stream that simply stops looks the same. The chunks
//! tell instead (docs/decisions.md, "xAI Chat Completions"): the last choice chunk carries
//! `finish_reason`; a stream that ends without one was cut.
//!
//! As for the whole completion (`response`), a chunk is read in one typed
//! pass with its strings borrowed from the text (`Typed`); a chunk of
//! another shape, or one that carries an error, is read as a tree with the
//! lenient rules (`on_tree`). Both hand the same fields to the same steps.
//! Reading every chunk into a tree, and dropping it, was about a fifth of a
//! streamed completion's instructions.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use sybil_ports::outbound::llm::{LlmError, LlmFailure, LlmResponse, LlmStreamEvent, ToolCall};

use crate::error::Errors;
use crate::sse::Payload;
use crate::stream::{Decoder, Item};

use super::response::{self, TypedFunction};

/// The chunks' fields that the rebuilt chat completion keeps.
const HEAD: [&str; 4] = ["id", "created", "model", "system_fingerprint"];

/// A chunk in its usual shape. The head fields and `usage` are kept as
/// their text until they are wanted (the head only from the first chunk
/// that has it); an `error` sends the chunk to the tree reading.
#[derive(Deserialize)]
struct Typed<'a> {
    #[serde(default, borrow)]
    error: Option<&'a RawValue>,
    #[serde(default, borrow)]
    id: Option<&'a RawValue>,
    #[serde(default, borrow)]
    created: Option<&'a RawValue>,
    #[serde(default, borrow)]
    model: Option<&'a RawValue>,
    #[serde(default, borrow)]
    system_fingerprint: Option<&'a RawValue>,
    #[serde(default, borrow)]
    usage: Option<&'a RawValue>,
    #[serde(default, borrow)]
    choices: Vec<TypedChoice<'a>>,
}

#[derive(Deserialize)]
struct TypedChoice<'a> {
    #[serde(default, borrow)]
    delta: TypedDelta<'a>,
    #[serde(default, borrow)]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
struct TypedDelta<'a> {
    #[serde(default, borrow)]
    content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    reasoning_content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    tool_calls: Vec<TypedPiece<'a>>,
}

/// A piece of a tool call: the first names it, the rest add arguments.
#[derive(Deserialize)]
struct TypedPiece<'a> {
    #[serde(default)]
    index: Option<u64>,
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    function: TypedFunction<'a>,
}

/// The chat completion a stream adds up to, shaped as a non-streamed one.
/// Fields in the order of their names, as the tree with sorted keys that
/// was built before wrote them: `raw` reads the same.
#[derive(Serialize)]
struct Rebuilt<'a> {
    choices: [RebuiltChoice<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a Value>,
    object: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_fingerprint: Option<&'a Value>,
    usage: &'a Value,
}

#[derive(Serialize)]
struct RebuiltChoice<'a> {
    finish_reason: Option<&'a str>,
    index: u32,
    message: RebuiltMessage<'a>,
}

#[derive(Serialize)]
struct RebuiltMessage<'a> {
    content: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    reasoning_content: &'a str,
    role: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<RebuiltCall<'a>>,
}

#[derive(Serialize)]
struct RebuiltCall<'a> {
    function: RebuiltFunction<'a>,
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct RebuiltFunction<'a> {
    arguments: &'a str,
    name: &'a str,
}

impl<'a> From<&'a ToolCall> for RebuiltCall<'a> {
    fn from(call: &'a ToolCall) -> Self {
        RebuiltCall {
            function: RebuiltFunction {
                arguments: &call.arguments,
                name: &call.name,
            },
            id: &call.id,
            kind: "function",
        }
    }
}

/// What a chunk's first choice says, from either reading.
struct Step<'a> {
    content: Option<&'a str>,
    reasoning: Option<&'a str>,
    finish_reason: Option<&'a str>,
}

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

    /// A chunk in its usual shape; `false` when it is not one (the tree
    /// reading decides).
    fn on_typed(&mut self, data: &str, out: &mut VecDeque<Item>) -> bool {
        let Ok(chunk) = serde_json::from_str::<Typed>(data) else {
            return false;
        };
        if chunk.error.is_some() {
            return false;
        }
        let head = [
            chunk.id,
            chunk.created,
            chunk.model,
            chunk.system_fingerprint,
        ];
        for (slot, raw) in self.head.iter_mut().zip(head) {
            if slot.is_none() {
                *slot = raw.and_then(|raw| serde_json::from_str(raw.get()).ok());
            }
        }
        if let Some(usage) = chunk.usage.filter(|raw| raw.get().starts_with('{')) {
            self.usage = serde_json::from_str(usage.get()).unwrap_or_default();
        }
        // The usage chunk has `choices: []`.
        let Some(choice) = chunk.choices.first() else {
            return true;
        };
        let delta = &choice.delta;
        for piece in &delta.tool_calls {
            let function = &piece.function;
            self.on_tool_call(
                piece.index,
                piece.id.as_deref(),
                function.name.as_deref(),
                function.arguments.as_deref(),
            );
        }
        self.on_step(
            Step {
                content: delta.content.as_deref(),
                reasoning: delta.reasoning_content.as_deref(),
                finish_reason: choice.finish_reason.as_deref(),
            },
            out,
        );
        true
    }

    /// A chunk of any shape, read as a tree. Returns `true` once the stream is over.
    fn on_tree(&mut self, chunk: Value, out: &mut VecDeque<Item>) -> bool {
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
        let Some(choice) = chunk["choices"].get(0) else {
            return false;
        };
        let delta = &choice["delta"];
        for piece in delta["tool_calls"].as_array().into_iter().flatten() {
            let function = &piece["function"];
            self.on_tool_call(
                piece["index"].as_u64(),
                piece["id"].as_str(),
                function["name"].as_str(),
                function["arguments"].as_str(),
            );
        }
        self.on_step(
            Step {
                content: delta["content"].as_str(),
                reasoning: delta["reasoning_content"].as_str(),
                finish_reason: choice["finish_reason"].as_str(),
            },
            out,
        );
        false
    }

    fn on_step(&mut self, step: Step<'_>, out: &mut VecDeque<Item>) {
        if let Some(text) = step.content.filter(|t| !t.is_empty()) {
            self.text.push_str(text);
            out.push_back(Ok(LlmStreamEvent::TextDelta(text.to_string())));
        }
        if let Some(text) = step.reasoning {
            self.reasoning.push_str(text);
        }
        if let Some(reason) = step.finish_reason {
            self.finish_reason = Some(reason.to_string());
        }
    }

    fn on_tool_call(
        &mut self,
        index: Option<u64>,
        id: Option<&str>,
        name: Option<&str>,
        arguments: Option<&str>,
    ) {
        let index = index.unwrap_or(self.calls.len() as u64);
        let call = self.calls.entry(index).or_default();
        if let Some(id) = id {
            call.id = id.to_string();
        }
        if let Some(name) = name {
            call.name = name.to_string();
        }
        if let Some(arguments) = arguments {
            call.arguments.push_str(arguments);
        }
    }

    /// The response the chunks add up to, with the chat completion they
    /// make as its `raw`.
    fn complete(&mut self) -> LlmResponse {
        let tool_calls: Vec<ToolCall> = std::mem::take(&mut self.calls)
            .into_values()
            .map(|call| ToolCall {
                id: call.id,
                name: call.name,
                arguments: call.arguments,
            })
            .collect();
        let [id, created, model, system_fingerprint] = &self.head;
        let rebuilt = Rebuilt {
            choices: [RebuiltChoice {
                finish_reason: self.finish_reason.as_deref(),
                index: 0,
                message: RebuiltMessage {
                    content: &self.text,
                    reasoning_content: &self.reasoning,
                    role: "assistant",
                    tool_calls: tool_calls.iter().map(RebuiltCall::from).collect(),
                },
            }],
            created: created.as_ref(),
            id: id.as_ref(),
            model: model.as_ref(),
            object: "chat.completion",
            system_fingerprint: system_fingerprint.as_ref(),
            usage: &self.usage,
        };
        // Writing borrowed strings and trees cannot fail.
        let raw =
            serde_json::value::to_raw_value(&rebuilt).expect("the rebuilt completion is JSON");
        let response_id = id.as_ref().and_then(Value::as_str).map(str::to_string);
        response::streamed(
            std::mem::take(&mut self.text),
            tool_calls,
            &self.usage,
            response_id,
            raw.into(),
            self.request_id.clone(),
        )
    }
}

impl Decoder for ChunkDecoder {
    fn on_payload(&mut self, payload: Payload, out: &mut VecDeque<Item>) -> Result<bool, LlmError> {
        if self.on_typed(&payload.data, out) {
            return Ok(false);
        }
        Ok(self.on_tree(payload.tree(&self.errors)?, out))
    }

    fn on_end(&mut self) -> Item {
        if self.finish_reason.is_none() {
            return Err(self.errors.make(
                LlmFailure::Connection,
                "the stream ended before its final chunk and [DONE]",
            ));
        }
        Ok(LlmStreamEvent::Completed(Box::new(self.complete())))
    }
}

#[cfg(test)]
mod tests {
    use sybil_domain::Provider;

    use super::*;

    fn decoder() -> ChunkDecoder {
        ChunkDecoder::new(Errors::for_tests(Provider::Xai), Some("req_1".into()))
    }

    fn payload(data: &str) -> Payload {
        Payload {
            event: String::new(),
            data: data.into(),
        }
    }

    /// What `chunks` give through `on_payload`, and through the tree reading alone.
    fn both_readings(chunks: &[&str]) -> (Vec<Item>, Vec<Item>) {
        let (mut typed, mut tree) = (decoder(), decoder());
        let (mut from_typed, mut from_tree) = (VecDeque::new(), VecDeque::new());
        for chunk in chunks {
            match typed.on_payload(payload(chunk), &mut from_typed) {
                Ok(false) => {}
                Ok(true) => break,
                Err(error) => {
                    from_typed.push_back(Err(error));
                    break;
                }
            }
        }
        for chunk in chunks {
            if tree.on_tree(serde_json::from_str(chunk).unwrap(), &mut from_tree) {
                break;
            }
        }
        from_typed.push_back(Decoder::on_end(&mut typed));
        from_tree.push_back(Decoder::on_end(&mut tree));
        (from_typed.into(), from_tree.into())
    }

    fn is_typed(chunk: &str) -> bool {
        decoder().on_typed(chunk, &mut VecDeque::new())
    }

    #[test]
    fn the_typed_and_the_tree_reading_agree_on_usual_chunks() {
        let chunks = [
            r#"{"id":"c1","object":"chat.completion.chunk","created":7,"model":"grok","system_fingerprint":"fp","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{"reasoning_content":"hm "}}]}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{"content":"Hel\"lo"}}]}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"web_search","arguments":"{\"q\""}}]}}]}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":\"x\"}"}}]}}]}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
            r#"{"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":9}}"#,
        ];
        for chunk in chunks {
            assert!(is_typed(chunk), "the typed pass refused {chunk}");
        }
        let (typed, tree) = both_readings(&chunks);
        assert_eq!(typed, tree);
        let Some(Ok(LlmStreamEvent::Completed(answer))) = typed.last() else {
            panic!("no answer: {typed:?}");
        };
        assert_eq!(answer.text, "Hel\"lo");
        assert_eq!(answer.tool_calls[0].arguments, r#"{"q":"x"}"#);
        assert_eq!(answer.usage.total_tokens, 9);
        assert_eq!(
            answer.raw.get(),
            r#"{"choices":[{"finish_reason":"tool_calls","index":0,"message":{"content":"Hel\"lo","reasoning_content":"hm ","role":"assistant","tool_calls":[{"function":{"arguments":"{\"q\":\"x\"}","name":"web_search"},"id":"call_1","type":"function"}]}}],"created":7,"id":"c1","model":"grok","object":"chat.completion","system_fingerprint":"fp","usage":{"completion_tokens":4,"prompt_tokens":3,"total_tokens":9}}"#
        );
        let raw: Value = serde_json::from_str(answer.raw.get()).unwrap();
        assert_eq!(raw["created"], 7);
        assert_eq!(raw["system_fingerprint"], "fp");
        assert_eq!(raw["choices"][0]["message"]["reasoning_content"], "hm ");
    }

    #[test]
    fn odd_chunks_are_left_to_the_tree_reading() {
        let odd = [
            r#"{"id":"c1","choices":[{"delta":{"content":5}}]}"#,
            r#"{"id":"c1","choices":[{"delta":{"tool_calls":[{"index":"0","id":"call_1"}]}}]}"#,
            r#"{"id":"c1","choices":[{"delta":{"content":"a","content":"b"}}]}"#,
            r#"{"id":"c1","choices":null}"#,
            r#"{"error":{"message":"overloaded","code":"unavailable"}}"#,
        ];
        for chunk in odd {
            assert!(!is_typed(chunk), "the typed pass read {chunk}");
        }
        let finish = r#"{"choices":[{"delta":{"content":"c"},"finish_reason":"stop"}]}"#;
        for chunk in odd {
            let (typed, tree) = both_readings(&[chunk, finish]);
            assert_eq!(typed, tree, "{chunk}");
        }
        let (typed, _) = both_readings(&[odd[4]]);
        let error = typed[0].as_ref().unwrap_err();
        assert_eq!(error.failure, LlmFailure::Upstream);
        assert!(error.message.contains("overloaded"), "{}", error.message);
    }

    #[test]
    fn data_that_is_not_json_ends_the_stream_as_malformed() {
        let read = decoder().on_payload(payload("{\"choices\":"), &mut VecDeque::new());
        assert_eq!(read.unwrap_err().failure, LlmFailure::Malformed);
    }
}
