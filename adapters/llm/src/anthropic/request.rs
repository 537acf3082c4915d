//! `LlmRequest` → Messages API request body.

use serde_json::{Map, Value, json};
use sybil_domain::Attachment;
use sybil_ports::outbound::llm::{LlmRequest, PromptMessage, PromptRole};

use crate::attachments::{base64_payload, text_block};

/// `max_tokens` is required by the API; this is sent when the request has none.
pub(super) const DEFAULT_MAX_TOKENS: u32 = 4096;
/// Anthropic's temperature range ends at 1 (OpenAI's at 2).
const MAX_TEMPERATURE: f64 = 1.0;

/// The body of `POST /v1/messages`: `system` is top level (the instructions,
/// then any system messages); tools are never offered.
pub(super) fn build(request: &LlmRequest, stream: bool) -> Value {
    let system: Vec<&str> = std::iter::once(&*request.instructions)
        .chain(
            request
                .messages
                .iter()
                .filter(|m| m.role == PromptRole::System)
                .map(|m| m.content.as_str()),
        )
        .filter(|s| !s.trim().is_empty())
        .collect();
    let messages: Vec<Value> = request
        .messages
        .iter()
        .filter(|m| m.role != PromptRole::System)
        .map(message)
        .collect();

    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    body.insert(
        "max_tokens".into(),
        json!(request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)),
    );
    if !system.is_empty() {
        body.insert("system".into(), json!(system.join("\n\n")));
    }
    body.insert("messages".into(), Value::Array(messages));
    if let Some(t) = request.temperature {
        body.insert("temperature".into(), json!(t.min(MAX_TEMPERATURE)));
    }
    if stream {
        body.insert("stream".into(), json!(true));
    }
    Value::Object(body)
}

fn message(m: &PromptMessage) -> Value {
    let role = match m.role {
        PromptRole::Assistant => "assistant",
        _ => "user",
    };
    let with_blocks = m.role == PromptRole::User && !m.attachments.is_empty();
    if !with_blocks {
        return json!({"role": role, "content": m.content});
    }
    let mut blocks = Vec::new();
    if !m.content.is_empty() {
        blocks.push(json!({"type": "text", "text": m.content}));
    }
    for a in &m.attachments {
        blocks.push(match a {
            Attachment::Text {
                filename,
                text,
                truncated,
                ..
            } => json!({"type": "text", "text": text_block(filename, text, *truncated)}),
            Attachment::Image {
                mime_type,
                data_url,
                ..
            } => json!({
                "type": "image",
                "source": {"type": "base64", "media_type": mime_type, "data": base64_payload(data_url)},
            }),
        });
    }
    json!({"role": role, "content": blocks})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(role: PromptRole, content: &str) -> PromptMessage {
        PromptMessage {
            role,
            content: content.into(),
            attachments: vec![],
        }
    }

    #[test]
    fn system_is_top_level_and_defaults_apply() {
        let request = LlmRequest {
            model: "claude".into(),
            instructions: "Be Sybil.".into(),
            messages: vec![
                msg(PromptRole::System, "Context."),
                msg(PromptRole::User, "Hi"),
                msg(PromptRole::Assistant, "Hello"),
            ],
            temperature: Some(1.7),
            max_tokens: None,
            tools: Default::default(),
            rounds: vec![],
        };
        assert_eq!(
            build(&request, false),
            json!({
                "model": "claude",
                "max_tokens": 4096,
                "system": "Be Sybil.\n\nContext.",
                "messages": [{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}],
                "temperature": 1.0
            })
        );
    }
}
