//! SSE frame formatting (docs/decisions.md, "Upstream SSE framing"): `event:` +
//! `data:` lines and a blank line.

use serde_json::Value;

/// Content type of OpenAI and Anthropic streams.
pub(crate) const EVENT_STREAM_UTF8: &str = "text/event-stream; charset=utf-8";
/// Content type of xAI streams.
pub(crate) const EVENT_STREAM: &str = "text/event-stream";

/// `event: <name>` then `data: <json>`.
pub(crate) fn named(event: &str, data: &Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

/// Like [`named`], with spaces before the closing brace as in recorded Anthropic frames.
pub(crate) fn named_padded(event: &str, data: &Value, pad: usize) -> String {
    let json = data.to_string();
    let body = json.strip_suffix('}').unwrap_or(&json);
    format!("event: {event}\ndata: {body}{}}}\n\n", " ".repeat(pad))
}

/// A data-only frame (Chat Completions).
pub(crate) fn data(data: &Value) -> String {
    format!("data: {data}\n\n")
}

/// The Chat Completions end marker.
pub(crate) const DONE: &str = "data: [DONE]\n\n";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn padding_keeps_json_valid() {
        let f = named_padded("content_block_stop", &json!({"index": 0}), 4);
        assert_eq!(f, "event: content_block_stop\ndata: {\"index\":0    }\n\n");
    }
}
