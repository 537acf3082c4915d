//! Message object → `LlmResponse`.

use serde_json::Value;
use sybil_ports::outbound::RawJson;
use sybil_ports::outbound::llm::{LlmError, LlmResponse, Usage};

use crate::error::Errors;

/// Maps a message (a non-streamed body, or the one rebuilt from events).
/// Anthropic sends no total: it is input + output.
pub(super) fn parse(
    raw: Value,
    request_id: Option<String>,
    errors: &Errors,
) -> Result<LlmResponse, LlmError> {
    let Some(content) = raw.get("content").and_then(Value::as_array) else {
        return Err(errors.malformed("the message has no content list"));
    };
    let text = content
        .iter()
        .filter(|block| block["type"] == "text")
        .filter_map(|block| block["text"].as_str())
        .collect();
    let input_tokens = raw["usage"]["input_tokens"].as_u64().unwrap_or(0);
    let output_tokens = raw["usage"]["output_tokens"].as_u64().unwrap_or(0);
    let response_id = raw["id"].as_str().map(str::to_string);
    Ok(LlmResponse {
        text,
        tool_calls: Vec::new(),
        usage: Usage {
            input_tokens,
            output_tokens,
            total_tokens: input_tokens + output_tokens,
        },
        request_id: request_id.or_else(|| response_id.clone()),
        response_id,
        raw: RawJson::from_value(&raw),
    })
}
