//! The Server-Sent Events of `POST /v1/chat-completions/stream`: their
//! schemas for the spec, and their exact wire form.

use poem_openapi::{Object, Union};
use serde_json::Value;
use sybil_ports::inbound::CompletionEvent;

use super::completions::UsageBody;
use super::requests::{ProviderName, RoleName};

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
    pub message: DoneMessage,
    pub usage: UsageBody,
}

/// The assistant message of `done`, as stored.
#[derive(Debug, Clone, Object)]
#[oai(rename = "DoneMessage")]
pub struct DoneMessage {
    /// Always `assistant`.
    pub role: RoleName,
    pub content: String,
    /// `{ "stopped": true }` when the completion was stopped (its content is
    /// the text so far); absent otherwise.
    #[oai(skip_serializing_if_is_none)]
    pub metadata: Option<Value>,
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

/// One SSE frame: `event:`, `id:`, one `data:` line (JSON has no raw newlines).
pub fn frame(id: u64, event: &CompletionEvent) -> String {
    let (name, data) = event.to_wire();
    format!("event: {name}\nid: {id}\ndata: {data}\n\n")
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use sybil_domain::{Provider, Usage};
    use sybil_ports::inbound::CompletionOutcome;
    use sybil_ports::outbound::RawJson;
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
        let (name, data) =
            CompletionEvent::to_wire(&CompletionEvent::Done(Box::new(CompletionOutcome {
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
                raw: RawJson::from_value(&json!({ "big": "not sent" })),
                stopped: false,
                overhead_ms: 0.0,
            })));
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
