//! Chat completion object → `LlmResponse`.
//!
//! A body is read in one typed pass with its strings borrowed from the text
//! (`Typed`); a body of another shape (a number or an array where a string
//! is usual, a tool call without an id, a repeated key) fails that pass and
//! is read as a tree by `Read`, whose lenient rules decide. Where both read
//! a body they give the same answer (tested); the typed pass only saves the
//! tree's allocations (reading this body into trees, and dropping them,
//! was 6 % of a completion's instructions).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;
use sybil_ports::outbound::RawJson;
use sybil_ports::outbound::llm::{LlmError, LlmResponse, ToolCall, Usage};

use crate::error::Errors;

/// The fields of a chat completion that are read, as trees: any shape.
#[derive(Deserialize)]
struct Read {
    #[serde(default)]
    id: Value,
    #[serde(default)]
    choices: Value,
    #[serde(default)]
    usage: Value,
}

/// The same fields in their usual shape.
#[derive(Deserialize)]
struct Typed<'a> {
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    choices: Vec<TypedChoice<'a>>,
    #[serde(default)]
    usage: Option<TypedUsage>,
}

#[derive(Deserialize)]
struct TypedChoice<'a> {
    #[serde(borrow)]
    message: TypedMessage<'a>,
}

#[derive(Deserialize)]
struct TypedMessage<'a> {
    #[serde(default, borrow)]
    content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    tool_calls: Option<Vec<TypedCall<'a>>>,
}

#[derive(Deserialize)]
struct TypedCall<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(default, borrow)]
    function: Option<TypedFunction<'a>>,
}

/// A tool call's function in its usual shape (a stream's pieces too).
#[derive(Deserialize, Default)]
pub(super) struct TypedFunction<'a> {
    #[serde(default, borrow)]
    pub(super) name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(super) arguments: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
struct TypedUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
}

/// What a chat completion says, before its request id and `raw` join it.
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Answer {
    text: String,
    tool_calls: Vec<ToolCall>,
    usage: Usage,
    response_id: Option<String>,
}

/// Maps a non-streamed body. `total_tokens` is kept as sent: xAI counts
/// reasoning in it.
pub(super) fn parse(
    raw: RawJson,
    request_id: Option<String>,
    errors: &Errors,
) -> Result<LlmResponse, LlmError> {
    let answer = match serde_json::from_str::<Typed>(raw.get()) {
        Ok(typed) => typed.answer(),
        Err(_) => match serde_json::from_str::<Read>(raw.get()) {
            Ok(read) => read.answer(),
            Err(_) => return Err(errors.malformed("the chat completion is not an object")),
        },
    };
    respond(answer, raw, request_id, errors)
}

/// The response a stream's chunks add up to; `raw` is the chat completion
/// they make, `usage_sent` the usage chunk's object (or null).
pub(super) fn streamed(
    text: String,
    tool_calls: Vec<ToolCall>,
    usage_sent: &Value,
    response_id: Option<String>,
    raw: RawJson,
    request_id: Option<String>,
) -> LlmResponse {
    let answer = Answer {
        text,
        tool_calls,
        usage: usage(usage_sent),
        response_id,
    };
    answer.into_response(raw, request_id)
}

/// The response an answer makes; no answer (`None`) when the body has no
/// `choices[0].message`.
fn respond(
    answer: Option<Answer>,
    raw: RawJson,
    request_id: Option<String>,
    errors: &Errors,
) -> Result<LlmResponse, LlmError> {
    let Some(answer) = answer else {
        return Err(errors.malformed("the chat completion has no choices[0].message"));
    };
    Ok(answer.into_response(raw, request_id))
}

impl Answer {
    /// The request id, when the answer's headers gave none, is the body's id.
    fn into_response(self, raw: RawJson, request_id: Option<String>) -> LlmResponse {
        LlmResponse {
            text: self.text,
            tool_calls: self.tool_calls,
            usage: self.usage,
            request_id: request_id.or_else(|| self.response_id.clone()),
            response_id: self.response_id,
            raw,
        }
    }
}

impl Typed<'_> {
    fn answer(self) -> Option<Answer> {
        let message = self.choices.into_iter().next()?.message;
        let usage = self.usage.unwrap_or_default();
        Some(Answer {
            text: message.content.map(Cow::into_owned).unwrap_or_default(),
            tool_calls: message
                .tool_calls
                .unwrap_or_default()
                .into_iter()
                .map(|call| {
                    let function = call.function.unwrap_or_default();
                    ToolCall {
                        id: call.id.into_owned(),
                        name: function.name.map(Cow::into_owned).unwrap_or_default(),
                        arguments: function.arguments.map(Cow::into_owned).unwrap_or_default(),
                    }
                })
                .collect(),
            usage: counted(
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.total_tokens,
            ),
            response_id: self.id.map(Cow::into_owned),
        })
    }
}

impl Read {
    fn answer(self) -> Option<Answer> {
        let message = self.choices.get(0).and_then(|c| c.get("message"))?;
        Some(Answer {
            text: message["content"].as_str().unwrap_or_default().to_string(),
            tool_calls: message["tool_calls"]
                .as_array()
                .map(|calls| calls.iter().filter_map(tool_call).collect())
                .unwrap_or_default(),
            usage: usage(&self.usage),
            response_id: self.id.as_str().map(str::to_string),
        })
    }
}

fn tool_call(call: &Value) -> Option<ToolCall> {
    Some(ToolCall {
        id: call["id"].as_str()?.to_string(),
        name: call["function"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        arguments: call["function"]["arguments"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    })
}

fn usage(usage: &Value) -> Usage {
    let n = |key: &str| usage[key].as_u64();
    counted(
        n("prompt_tokens"),
        n("completion_tokens"),
        n("total_tokens"),
    )
}

/// The counts a chat completion gives, missing ones as 0; the total kept
/// as sent (xAI counts reasoning in it), the sum where it is missing.
fn counted(prompt: Option<u64>, completion: Option<u64>, total: Option<u64>) -> Usage {
    let (input_tokens, output_tokens) = (prompt.unwrap_or(0), completion.unwrap_or(0));
    Usage {
        input_tokens,
        output_tokens,
        total_tokens: total.unwrap_or(input_tokens + output_tokens),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sybil_domain::Provider;
    use sybil_ports::outbound::llm::LlmFailure;

    fn errors() -> Errors {
        Errors::for_tests(Provider::Xai)
    }

    #[test]
    fn keeps_total_as_sent() {
        let raw = json!({
            "id": "abc",
            "choices": [{"index":0,"message":{"role":"assistant","content":"","tool_calls":[
                {"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
                "finish_reason":"tool_calls"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 21}
        });
        let r = parse(RawJson::from_value(&raw), Some("req_1".into()), &errors()).unwrap();
        assert_eq!(
            r.usage,
            Usage {
                input_tokens: 11,
                output_tokens: 7,
                total_tokens: 21
            }
        );
        assert_eq!(r.tool_calls[0].arguments, "{\"a\":1}");
        assert_eq!(r.request_id.as_deref(), Some("req_1"));
        assert_eq!(r.response_id.as_deref(), Some("abc"));
    }

    #[test]
    fn no_choices_is_malformed() {
        let body = RawJson::from_value(&json!({"id":"x","choices":[]}));
        let e = parse(body, None, &errors()).unwrap_err();
        assert_eq!(e.failure, LlmFailure::Malformed);
    }

    #[test]
    fn a_body_is_read_from_its_text_and_kept_as_it_came() {
        let text = r#"{"id":"abc", "choices":[{"message":{"content":"hi"}}], "usage":{"prompt_tokens":2,"completion_tokens":3}}"#;
        let raw: Box<serde_json::value::RawValue> = serde_json::from_str(text).unwrap();
        let r = parse(raw.into(), None, &errors()).unwrap();
        assert_eq!(r.text, "hi");
        assert_eq!(r.usage.total_tokens, 5);
        assert_eq!(r.request_id.as_deref(), Some("abc"));
        assert_eq!(r.raw.get(), text);
        let raw: Box<serde_json::value::RawValue> = serde_json::from_str("[1]").unwrap();
        let e = parse(raw.into(), None, &errors()).unwrap_err();
        assert_eq!(e.failure, LlmFailure::Malformed);
    }
    /// The typed reading, when the body has its shape.
    fn typed(text: &str) -> Option<Option<Answer>> {
        serde_json::from_str::<Typed>(text).ok().map(Typed::answer)
    }

    fn lenient(text: &str) -> Option<Answer> {
        serde_json::from_str::<Read>(text)
            .ok()
            .and_then(Read::answer)
    }

    #[test]
    fn the_typed_and_the_lenient_reading_agree() {
        // Bodies of the usual shape: the typed pass must read them.
        let usual = [
            r#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":20,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0}},"system_fingerprint":"fp"}"#,
            r#"{"id":"a","choices":[{"message":{"content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"q\":\"\\u00e9\"}"}},{"id":"c2","function":{"name":null}},{"id":"c3","function":null}]}}]}"#,
            r#"{"choices":[{"message":{"content":"a\nb \"c\" \ud83d\ude00"}},{"message":{"content":"second"}}],"usage":{"prompt_tokens":2,"completion_tokens":3}}"#,
            r#"{"id":null,"choices":[{"message":{}}],"usage":null}"#,
            r#"{"choices":[]}"#,
        ];
        for text in usual {
            let Some(answer) = typed(text) else {
                panic!("the typed pass did not read {text}");
            };
            assert_eq!(answer, lenient(text), "{text}");
        }
        // Other shapes: the typed pass refuses them, the lenient one decides.
        let unusual = [
            r#"{"id":7,"choices":[{"message":{"content":"hi"}}]}"#,
            r#"{"choices":[{"message":{"content":["parts"]}}]}"#,
            r#"{"choices":[{"message":{"tool_calls":[{"id":1,"function":{"name":"f"}},{"id":"ok"}]}}]}"#,
            r#"{"choices":[{"message":{"content":"x"}},{"nomessage":true}]}"#,
            r#"{"choices":[{"message":null}]}"#,
            r#"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1.5,"total_tokens":-1}}"#,
            r#"{"choices":[{"message":{"content":"x"}}],"choices":[]}"#,
            r#"{"choices":{"0":{"message":{}}}}"#,
        ];
        for text in unusual {
            assert!(typed(text).is_none(), "the typed pass read {text}");
            let body: Box<serde_json::value::RawValue> = serde_json::from_str(text).unwrap();
            let parsed = parse(body.into(), None, &errors()).ok();
            assert_eq!(
                parsed.map(|r| (r.text, r.tool_calls, r.usage)),
                lenient(text).map(|a| (a.text, a.tool_calls, a.usage)),
                "{text}"
            );
        }
    }
}
