//! Chat completion object → `LlmResponse`.

use serde_json::Value;
use sybil_ports::outbound::RawJson;
use sybil_ports::outbound::llm::{LlmError, LlmResponse, ToolCall, Usage};

use crate::error::Errors;

/// Maps a chat completion (a non-streamed body, or the one rebuilt from the
/// chunks). `total_tokens` is kept as sent: xAI counts reasoning in it.
pub(super) fn parse(
    raw: Value,
    request_id: Option<String>,
    errors: &Errors,
) -> Result<LlmResponse, LlmError> {
    let Some(message) = raw["choices"].get(0).and_then(|c| c.get("message")) else {
        return Err(errors.malformed("the chat completion has no choices[0].message"));
    };
    let text = message["content"].as_str().unwrap_or_default().to_string();
    let tool_calls = message["tool_calls"]
        .as_array()
        .map(|calls| calls.iter().filter_map(tool_call).collect())
        .unwrap_or_default();
    let response_id = raw["id"].as_str().map(str::to_string);
    Ok(LlmResponse {
        text,
        tool_calls,
        usage: usage(&raw["usage"]),
        request_id: request_id.or_else(|| response_id.clone()),
        response_id,
        raw: RawJson::from_value(&raw),
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
        let r = parse(raw, Some("req_1".into()), &errors()).unwrap();
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
        let e = parse(json!({"id":"x","choices":[]}), None, &errors()).unwrap_err();
        assert_eq!(e.failure, LlmFailure::Malformed);
    }
}
