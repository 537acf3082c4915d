//! Server-Sent Events: the frames the fakes write (`event:` and `data:`
//! lines, then a blank line: docs/decisions.md, "Upstream SSE framing"), and
//! the one reader every test uses for any event stream, Sybil's own or a
//! fake's.

use serde_json::Value;

/// One event as a client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event:` field; `None` for a data-only event.
    pub event: Option<String>,
    /// The `id:` field.
    pub id: Option<String>,
    /// The `data:` lines, joined with newlines.
    pub data: String,
}

impl Event {
    /// The data as JSON.
    ///
    /// # Panics
    /// When the data is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("{e}: {}", self.data))
    }
}

/// The events of an event-stream body, in order. Comment lines (`: ping`)
/// are skipped, and so are blocks that hold nothing else; a field's value
/// loses the one space after its colon, as the SSE format says.
pub fn parse(body: &str) -> Vec<Event> {
    body.split("\n\n").filter_map(event).collect()
}

fn event(block: &str) -> Option<Event> {
    let mut event = Event {
        event: None,
        id: None,
        data: String::new(),
    };
    let mut data: Vec<&str> = Vec::new();
    let mut any = false;
    for line in block
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(':'))
    {
        any = true;
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event.event = Some(value.to_owned()),
            "id" => event.id = Some(value.to_owned()),
            "data" => data.push(value),
            _ => {}
        }
    }
    event.data = data.join("\n");
    any.then_some(event)
}

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
    fn the_reader_reads_what_the_writers_write() {
        let body = format!(
            ": ping\n\n{}{}id: 7\nevent: x\ndata:a\ndata: b\n\n{DONE}",
            named("delta", &json!({"text": "hi"})),
            data(&json!(1)),
        );
        let events = parse(&body);
        let summary: Vec<(Option<&str>, Option<&str>, &str)> = events
            .iter()
            .map(|e| (e.event.as_deref(), e.id.as_deref(), e.data.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (Some("delta"), None, r#"{"text":"hi"}"#),
                (None, None, "1"),
                (Some("x"), Some("7"), "a\nb"),
                (None, None, "[DONE]"),
            ]
        );
        assert_eq!(events[0].json(), json!({"text": "hi"}));
    }

    #[test]
    fn padding_keeps_json_valid() {
        let f = named_padded("content_block_stop", &json!({"index": 0}), 4);
        assert_eq!(f, "event: content_block_stop\ndata: {\"index\":0    }\n\n");
    }
}
