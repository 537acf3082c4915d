//! The Server-Sent Events of `POST /v1/chat-completions/stream`: their
//! schemas for the spec, and their exact wire form.

use poem_openapi::{Object, Union};
use serde_json::{Value, json};
use sybil_ports::inbound::{CompletionEvent, CompletionOutcome};

use super::completions::{AssistantMessageBody, UsageBody};
use super::requests::ProviderName;

/// `event: meta`, first.
#[derive(Debug, Clone, Object)]
#[oai(rename = "MetaEvent", rename_all = "camelCase")]
pub struct MetaEvent {
    #[oai(nullable)]
    pub chat_id: Option<String>,
    pub provider: ProviderName,
    pub model: String,
}

/// `event: delta`, text as the upstream produces it.
#[derive(Debug, Clone, Object)]
#[oai(rename = "DeltaEvent")]
pub struct DeltaEvent {
    pub text: String,
}

/// `event: tool_call`, sent when the tool finished, after its message was stored.
#[derive(Debug, Clone, Object)]
#[oai(rename = "ToolCallEvent", rename_all = "camelCase")]
pub struct ToolCallEventBody {
    #[oai(nullable)]
    pub message_id: Option<String>,
    pub tool_call_id: String,
    pub name: String,
    pub arguments: Value,
    /// `completed` or `failed`.
    pub status: String,
    pub output: String,
    #[oai(nullable)]
    pub error: Option<String>,
    pub duration_ms: u64,
    pub round: u32,
}

/// `event: done`, last on success.
#[derive(Debug, Clone, Object)]
#[oai(rename = "DoneEvent", rename_all = "camelCase")]
pub struct DoneEvent {
    #[oai(nullable)]
    pub chat_id: Option<String>,
    pub provider: ProviderName,
    pub model: String,
    #[oai(nullable)]
    pub message_id: Option<String>,
    pub message: AssistantMessageBody,
    pub usage: UsageBody,
}

/// `event: error`, last on failure.
#[derive(Debug, Clone, Object)]
#[oai(rename = "ErrorEvent")]
pub struct ErrorEvent {
    pub message: String,
}

/// The `data:` of each event, by event name.
#[derive(Debug, Clone, Union)]
#[oai(rename = "StreamEvent")]
pub enum StreamEvent {
    Meta(MetaEvent),
    Delta(DeltaEvent),
    ToolCall(ToolCallEventBody),
    Done(DoneEvent),
    Error(ErrorEvent),
}

fn done_data(o: &CompletionOutcome) -> Value {
    json!({
        "chatId": o.chat_id.map(|id| id.to_string()),
        "provider": o.provider.as_str(),
        "model": o.model,
        "messageId": o.message_id.map(|id| id.to_string()),
        "message": { "role": "assistant", "content": o.content },
        "usage": {
            "inputTokens": o.usage.input_tokens,
            "outputTokens": o.usage.output_tokens,
            "totalTokens": o.usage.total_tokens,
        },
    })
}

/// The event name and its JSON `data`, exactly as the contract lists them.
pub fn wire(event: &CompletionEvent) -> (&'static str, Value) {
    match event {
        CompletionEvent::Meta {
            chat_id,
            provider,
            model,
        } => (
            "meta",
            json!({ "chatId": chat_id.map(|id| id.to_string()), "provider": provider.as_str(), "model": model }),
        ),
        CompletionEvent::Delta { text } => ("delta", json!({ "text": text })),
        CompletionEvent::ToolCall(t) => (
            "tool_call",
            json!({
                "messageId": t.message_id.map(|id| id.to_string()),
                "toolCallId": t.tool_call_id,
                "name": t.name,
                "arguments": t.arguments,
                "status": t.status,
                "output": t.output,
                "error": t.error,
                "durationMs": t.duration_ms,
                "round": t.round,
            }),
        ),
        CompletionEvent::Done(o) => ("done", done_data(o)),
        CompletionEvent::Error { message } => ("error", json!({ "message": message })),
    }
}

/// One SSE frame: `event:`, `id:`, one `data:` line (JSON has no raw newlines).
pub fn frame(id: u64, event: &CompletionEvent) -> String {
    let (name, data) = wire(event);
    format!("event: {name}\nid: {id}\ndata: {data}\n\n")
}

#[cfg(test)]
mod tests {
    use sybil_domain::{Provider, Usage};
    use uuid::Uuid;

    use super::*;

    #[test]
    fn frames_are_named_numbered_single_line_json() {
        let f = frame(
            3,
            &CompletionEvent::Delta {
                text: "a\nb \"c\"".into(),
            },
        );
        assert_eq!(
            f,
            "event: delta\nid: 3\ndata: {\"text\":\"a\\nb \\\"c\\\"\"}\n\n"
        );
    }

    #[test]
    fn done_has_exactly_the_contract_fields() {
        let (name, data) = wire(&CompletionEvent::Done(CompletionOutcome {
            chat_id: None,
            provider: Provider::Xai,
            model: "grok".into(),
            content: "hi".into(),
            message_id: Some(Uuid::nil()),
            usage: Usage {
                input_tokens: 1,
                output_tokens: 2,
                total_tokens: 3,
            },
            raw: json!({ "big": "not sent" }),
        }));
        assert_eq!(name, "done");
        assert_eq!(
            data,
            json!({ "chatId": null, "provider": "xai", "model": "grok",
                    "messageId": "00000000-0000-0000-0000-000000000000",
                    "message": { "role": "assistant", "content": "hi" },
                    "usage": { "inputTokens": 1, "outputTokens": 2, "totalTokens": 3 } })
        );
    }
}
