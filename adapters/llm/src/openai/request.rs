//! `LlmRequest` → Responses API request body.

use serde_json::{Map, Value, json};
use sybil_domain::Attachment;
use sybil_ports::outbound::llm::{LlmRequest, PromptMessage, PromptRole, ToolRound};

use crate::attachments::text_block;

/// The body of `POST /responses`. With tools the response is stored
/// (`store: true`) so the next round can continue from it with
/// `previous_response_id`; without, nothing needs keeping.
pub(super) fn build(request: &LlmRequest, stream: bool) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    // Not inherited through previous_response_id: sent on every call.
    if !request.instructions.is_empty() {
        body.insert("instructions".into(), json!(request.instructions));
    }
    let tool_loop = !request.tools.is_empty() || !request.rounds.is_empty();
    body.insert("store".into(), json!(tool_loop));

    match request.rounds.last() {
        // The stored chain already holds the prompt and earlier rounds
        // (reasoning items included): only the last round's outputs are new.
        Some(
            last @ ToolRound {
                response_id: Some(id),
                ..
            },
        ) => {
            body.insert("previous_response_id".into(), json!(id));
            body.insert("input".into(), Value::Array(call_outputs(last)));
        }
        // No id to continue from: replay everything statelessly (the API
        // accepts a replay without the reasoning items).
        _ => {
            let mut input: Vec<Value> = request.messages.iter().map(message).collect();
            for round in &request.rounds {
                input.extend(replayed_round(round));
            }
            body.insert("input".into(), Value::Array(input));
        }
    }

    if let Some(max) = request.max_tokens {
        body.insert("max_output_tokens".into(), json!(max));
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
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                    "strict": false,
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
        body.insert("tool_choice".into(), json!("auto"));
    }
    if stream {
        body.insert("stream".into(), json!(true));
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

/// A message item: plain text, or `input_text`/`input_image` parts when a
/// user message carries attachments.
fn message(m: &PromptMessage) -> Value {
    let with_parts = m.role == PromptRole::User && !m.attachments.is_empty();
    if !with_parts {
        return json!({"type": "message", "role": role(m.role), "content": m.content});
    }
    let mut parts = Vec::new();
    if !m.content.is_empty() {
        parts.push(json!({"type": "input_text", "text": m.content}));
    }
    for a in &m.attachments {
        parts.push(match a {
            Attachment::Text {
                filename,
                text,
                truncated,
                ..
            } => json!({"type": "input_text", "text": text_block(filename, text, *truncated)}),
            Attachment::Image { data_url, .. } => {
                json!({"type": "input_image", "image_url": data_url, "detail": "auto"})
            }
        });
    }
    json!({"type": "message", "role": "user", "content": parts})
}

/// One `function_call_output` per call, paired by `call_id`.
fn call_outputs(round: &ToolRound) -> Vec<Value> {
    round
        .calls
        .iter()
        .enumerate()
        .map(|(i, call)| {
            json!({
                "type": "function_call_output",
                "call_id": call.id,
                "output": round.outputs.get(i).map_or("", String::as_str),
            })
        })
        .collect()
}

/// A round replayed without a stored response: the text, each call, then
/// the outputs.
fn replayed_round(round: &ToolRound) -> Vec<Value> {
    let mut items = Vec::new();
    if !round.assistant_text.is_empty() {
        items
            .push(json!({"type": "message", "role": "assistant", "content": round.assistant_text}));
    }
    items.extend(round.calls.iter().map(|call| {
        json!({
            "type": "function_call",
            "call_id": call.id,
            "name": call.name,
            "arguments": call.arguments,
        })
    }));
    items.extend(call_outputs(round));
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use sybil_ports::outbound::llm::{ToolCall, ToolSpec};

    fn request() -> LlmRequest {
        LlmRequest {
            model: "gpt-5".into(),
            instructions: "You are Sybil.".into(),
            messages: vec![PromptMessage {
                role: PromptRole::User,
                content: "Hi".into(),
                attachments: vec![],
            }],
            temperature: None,
            max_tokens: None,
            tools: Default::default(),
            rounds: vec![],
        }
    }

    fn round(id: Option<&str>) -> ToolRound {
        ToolRound {
            response_id: id.map(str::to_string),
            assistant_text: "Let me look.".into(),
            calls: vec![ToolCall {
                id: "call_1".into(),
                name: "web_search".into(),
                arguments: r#"{"query":"x"}"#.into(),
            }],
            outputs: vec!["found".into()],
        }
    }

    #[test]
    fn plain_request_is_not_stored() {
        let body = build(&request(), false);
        assert_eq!(
            body,
            json!({"model":"gpt-5","instructions":"You are Sybil.","store":false,
                   "input":[{"type":"message","role":"user","content":"Hi"}]})
        );
    }

    #[test]
    fn continuation_sends_only_the_outputs() {
        let mut r = request();
        r.tools = vec![ToolSpec {
            name: "web_search".into(),
            description: "Search".into(),
            parameters: json!({"type":"object"}),
        }]
        .into();
        r.rounds = vec![round(Some("resp_1")), round(Some("resp_2"))];
        let body = build(&r, true);
        assert_eq!(body["previous_response_id"], "resp_2");
        assert_eq!(
            body["input"],
            json!([{"type":"function_call_output","call_id":"call_1","output":"found"}])
        );
        assert_eq!(body["store"], true);
        assert_eq!(body["stream"], true);
        assert_eq!(body["instructions"], "You are Sybil.");
        assert_eq!(body["tool_choice"], "auto");
    }

    #[test]
    fn round_without_id_is_replayed() {
        let mut r = request();
        r.rounds = vec![round(None)];
        let body = build(&r, false);
        assert!(body.get("previous_response_id").is_none());
        let types: Vec<&str> = body["input"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "message",
                "message",
                "function_call",
                "function_call_output"
            ]
        );
    }
}
