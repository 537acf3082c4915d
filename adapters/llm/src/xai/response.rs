//! Chat completion object → `LlmResponse`.

use serde::Deserialize;
use serde_json::Value;
use sybil_ports::outbound::RawJson;
use sybil_ports::outbound::llm::{LlmError, LlmResponse, ToolCall, Usage};

use crate::error::Errors;

/// The fields of a chat completion that are read; `raw` goes to the client
/// as the text it came as, so the body is not parsed into a tree.
#[derive(Deserialize)]
struct Read {
    #[serde(default)]
    id: Value,
    #[serde(default)]
    choices: Value,
    #[serde(default)]
    usage: Value,
}

/// Maps a non-streamed body. `total_tokens` is kept as sent: xAI counts
/// reasoning in it.
pub(super) fn parse(
    raw: RawJson,
    request_id: Option<String>,
    errors: &Errors,
) -> Result<LlmResponse, LlmError> {
    let Ok(read) = serde_json::from_str::<Read>(raw.get()) else {
        return Err(errors.malformed("the chat completion is not an object"));
    };
    answer(read, raw, request_id, errors)
}

/// Maps the chat completion rebuilt from a stream's chunks.
pub(super) fn parse_tree(
    raw: &Value,
    request_id: Option<String>,
    errors: &Errors,
) -> Result<LlmResponse, LlmError> {
    let Ok(read) = Read::deserialize(raw) else {
        return Err(errors.malformed("the chat completion is not an object"));
    };
    answer(read, RawJson::from_value(raw), request_id, errors)
}

fn answer(
    read: Read,
    raw: RawJson,
    request_id: Option<String>,
    errors: &Errors,
) -> Result<LlmResponse, LlmError> {
    let Some(message) = read.choices.get(0).and_then(|c| c.get("message")) else {
        return Err(errors.malformed("the chat completion has no choices[0].message"));
    };
    let text = message["content"].as_str().unwrap_or_default().to_string();
    let tool_calls = message["tool_calls"]
        .as_array()
        .map(|calls| calls.iter().filter_map(tool_call).collect())
        .unwrap_or_default();
    let response_id = read.id.as_str().map(str::to_string);
    Ok(LlmResponse {
        text,
        tool_calls,
        usage: usage(&read.usage),
        request_id: request_id.or_else(|| response_id.clone()),
        response_id,
        raw,
    })
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
    let n = |key: &str| usage[key].as_u64().unwrap_or(0);
    let (input_tokens, output_tokens) = (n("prompt_tokens"), n("completion_tokens"));
    Usage {
        input_tokens,
        output_tokens,
        total_tokens: usage["total_tokens"]
            .as_u64()
            .unwrap_or(input_tokens + output_tokens),
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
        let r = parse_tree(&raw, Some("req_1".into()), &errors()).unwrap();
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
        let e = parse_tree(&json!({"id":"x","choices":[]}), None, &errors()).unwrap_err();
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
}
