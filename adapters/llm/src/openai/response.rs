//! Responses API response object → `LlmResponse`.

use serde::Deserialize;
use serde_json::Value;
use sybil_ports::outbound::RawJson;
use sybil_ports::outbound::llm::{LlmError, LlmResponse, ToolCall, Usage};

use crate::error::Errors;

/// The fields of a response object that are read. The rest, mostly the
/// request echoed back (instructions, tool definitions), is skipped without
/// being parsed: `raw` goes to the client as the text it came as.
#[derive(Deserialize)]
struct Read {
    #[serde(default)]
    id: Value,
    #[serde(default)]
    status: Value,
    #[serde(default)]
    output: Value,
    #[serde(default)]
    usage: Value,
}

/// Maps a non-streamed response body. A `failed` response is the
/// upstream's error.
pub(super) fn parse(
    raw: RawJson,
    request_id: Option<String>,
    errors: &Errors,
) -> Result<LlmResponse, LlmError> {
    let Ok(read) = serde_json::from_str::<Read>(raw.get()) else {
        return Err(errors.malformed("the response is not an object"));
    };
    answer(read, raw, request_id, errors)
}

/// Maps the `response` object of `response.completed`, already parsed
/// with its event.
pub(super) fn parse_tree(
    response: &Value,
    request_id: Option<String>,
    errors: &Errors,
) -> Result<LlmResponse, LlmError> {
    let Ok(read) = Read::deserialize(response) else {
        return Err(errors.malformed("the response is not an object"));
    };
    answer(read, RawJson::from_value(response), request_id, errors)
}

fn answer(
    read: Read,
    raw: RawJson,
    request_id: Option<String>,
    errors: &Errors,
) -> Result<LlmResponse, LlmError> {
    if read.status == "failed" {
        return Err(errors.upstream(&raw.to_value()));
    }
    let Some(output) = read.output.as_array() else {
        return Err(errors.malformed("the response has no output list"));
    };
    let response_id = read.id.as_str().map(str::to_string);
    Ok(LlmResponse {
        text: output_text(output),
        tool_calls: output.iter().filter_map(function_call).collect(),
        usage: usage(&read.usage),
        request_id: request_id.or_else(|| response_id.clone()),
        response_id,
        raw,
    })
}

/// Every `output_text` part of every message item, in order: reasoning or
/// function-call items may come first, so `output[0]` is not the answer.
fn output_text(output: &[Value]) -> String {
    output
        .iter()
        .filter(|item| item["type"] == "message")
        .filter_map(|item| item["content"].as_array())
        .flatten()
        .filter(|part| part["type"] == "output_text")
        .filter_map(|part| part["text"].as_str())
        .collect()
}

/// A `function_call` item as a tool call; `call_id` (not the item `id`)
/// pairs it with its output.
pub(super) fn function_call(item: &Value) -> Option<ToolCall> {
    if item["type"] != "function_call" {
        return None;
    }
    Some(ToolCall {
        id: item["call_id"].as_str()?.to_string(),
        name: item["name"].as_str().unwrap_or_default().to_string(),
        arguments: item["arguments"].as_str().unwrap_or_default().to_string(),
    })
}

fn usage(usage: &Value) -> Usage {
    let n = |key: &str| usage[key].as_u64().unwrap_or(0);
    let (input_tokens, output_tokens) = (n("input_tokens"), n("output_tokens"));
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
        Errors::for_tests(Provider::OpenAi)
    }

    #[test]
    fn reads_text_after_a_reasoning_item_and_calls() {
        let raw = json!({
            "id": "resp_1", "status": "completed",
            "output": [
                {"type":"reasoning","id":"rs_1","summary":[]},
                {"type":"message","content":[{"type":"output_text","text":"Hel"},{"type":"refusal","refusal":"no"},{"type":"output_text","text":"lo"}]},
                {"type":"function_call","id":"fc_1","call_id":"call_9","name":"web_search","arguments":"{}"},
                {"type":"something_new"}
            ],
            "usage": {"input_tokens": 11, "output_tokens": 7, "total_tokens": 18}
        });
        let r = parse(RawJson::from_value(&raw), None, &errors()).unwrap();
        assert_eq!(r.text, "Hello");
        assert_eq!(
            r.tool_calls,
            vec![ToolCall {
                id: "call_9".into(),
                name: "web_search".into(),
                arguments: "{}".into()
            }]
        );
        assert_eq!(
            r.usage,
            Usage {
                input_tokens: 11,
                output_tokens: 7,
                total_tokens: 18
            }
        );
        assert_eq!(r.response_id.as_deref(), Some("resp_1"));
        assert_eq!(r.request_id.as_deref(), Some("resp_1"));
        assert_eq!(r.raw.to_value(), raw);
        assert_eq!(parse_tree(&raw, None, &errors()).unwrap(), r);
    }

    #[test]
    fn failed_and_shapeless_responses() {
        let failed =
            json!({"status":"failed","error":{"code":"server_error","message":"boom"},"output":[]});
        let e = parse(RawJson::from_value(&failed), None, &errors()).unwrap_err();
        assert_eq!(
            (e.failure, e.message.as_str()),
            (LlmFailure::Upstream, "boom")
        );
        for shapeless in [json!({"id":"x"}), json!([1]), json!("text")] {
            let e = parse(RawJson::from_value(&shapeless), None, &errors()).unwrap_err();
            assert_eq!(e.failure, LlmFailure::Malformed);
            let e = parse_tree(&shapeless, None, &errors()).unwrap_err();
            assert_eq!(e.failure, LlmFailure::Malformed);
        }
    }
}
