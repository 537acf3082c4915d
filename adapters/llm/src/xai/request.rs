//! `LlmRequest` → Chat Completions request body.

use serde_json::{Map, Value, json};
use sybil_domain::Attachment;
use sybil_ports::outbound::llm::{LlmRequest, PromptMessage, PromptRole, ToolRound};

use crate::attachments::text_block;

/// The body of `POST /chat/completions`: instructions as the first system
/// message, then the prompt, then every tool round as an assistant turn with
/// its `tool_calls` followed by one `tool` message per call.
pub(super) fn build(request: &LlmRequest, stream: bool) -> Value {
    let mut messages = Vec::new();
    if !request.instructions.is_empty() {
        messages.push(json!({"role": "system", "content": request.instructions}));
    }
    messages.extend(request.messages.iter().map(message));
    for round in &request.rounds {
        messages.extend(round_messages(round));
    }

    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    body.insert("messages".into(), Value::Array(messages));
    if let Some(max) = request.max_tokens {
        body.insert("max_tokens".into(), json!(max));
    }
    if let Some(t) = request.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if !request.tools.is_empty() {
        let tools = request
            .tools
            .iter()
            .map(|t| {
                json!({
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
        body.insert("tool_choice".into(), json!("auto"));
    }
    if stream {
        // With async-openai's `byot` feature the SDK no longer sets this
        // itself (docs/decisions.md, "async-openai"): without it the answer is
        // plain JSON.
        body.insert("stream".into(), json!(true));
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    Value::Object(body)
}

fn role(role: PromptRole) -> &'static str {
    match role {
        PromptRole::System => "system",
        PromptRole::User => "user",
        PromptRole::Assistant => "assistant",
    }
}

fn message(m: &PromptMessage) -> Value {
    let with_parts = m.role == PromptRole::User && !m.attachments.is_empty();
    if !with_parts {
        return json!({"role": role(m.role), "content": m.content});
    }
    let mut parts = Vec::new();
    if !m.content.is_empty() {
        parts.push(json!({"type": "text", "text": m.content}));
    }
    for a in &m.attachments {
        parts.push(match a {
            Attachment::Text {
                filename,
                text,
                truncated,
                ..
            } => json!({"type": "text", "text": text_block(filename, text, *truncated)}),
            Attachment::Image { data_url, .. } => {
                json!({"type": "image_url", "image_url": {"url": data_url, "detail": "auto"}})
            }
        });
    }
    json!({"role": "user", "content": parts})
}

fn round_messages(round: &ToolRound) -> Vec<Value> {
    let content = if round.assistant_text.is_empty() {
        Value::Null
    } else {
        json!(round.assistant_text)
    };
    let tool_calls: Vec<Value> = round
        .calls
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            })
        })
        .collect();
    let mut messages =
        vec![json!({"role": "assistant", "content": content, "tool_calls": tool_calls})];
    messages.extend(round.calls.iter().enumerate().map(|(i, c)| {
        json!({
            "role": "tool",
            "tool_call_id": c.id,
            "content": round.outputs.get(i).map_or("", String::as_str),
        })
    }));
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use sybil_ports::outbound::llm::ToolCall;

    #[test]
    fn rounds_become_assistant_and_tool_messages() {
        let request = LlmRequest {
            model: "grok-4".into(),
            instructions: "Be Sybil.".into(),
            messages: vec![PromptMessage {
                role: PromptRole::User,
                content: "Hi".into(),
                attachments: vec![],
            }],
            temperature: Some(0.5),
            max_tokens: Some(100),
            tools: Default::default(),
            rounds: vec![ToolRound {
                response_id: None,
                assistant_text: String::new(),
                calls: vec![ToolCall {
                    id: "call_1".into(),
                    name: "f".into(),
                    arguments: "{}".into(),
                }],
                outputs: vec!["out".into()],
            }],
        };
        let body = build(&request, true);
        assert_eq!(
            body,
            json!({
                "model": "grok-4",
                "messages": [
                    {"role":"system","content":"Be Sybil."},
                    {"role":"user","content":"Hi"},
                    {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},
                    {"role":"tool","tool_call_id":"call_1","content":"out"}
                ],
                "max_tokens": 100,
                "temperature": 0.5,
                "stream": true,
                "stream_options": {"include_usage": true}
            })
        );
    }
}
