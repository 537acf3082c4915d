//! `LlmRequest` → Chat Completions request, in async-openai's typed request types.

use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls,
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestAssistantMessageContent,
    ChatCompletionRequestMessage, ChatCompletionRequestMessageContentPartImage,
    ChatCompletionRequestMessageContentPartText, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestSystemMessageContent, ChatCompletionRequestToolMessage,
    ChatCompletionRequestToolMessageContent, ChatCompletionRequestUserMessage,
    ChatCompletionRequestUserMessageContent, ChatCompletionRequestUserMessageContentPart,
    ChatCompletionStreamOptions, ChatCompletionTool, ChatCompletionToolChoiceOption,
    ChatCompletionTools, CreateChatCompletionRequest, FunctionCall, FunctionObject, ImageDetail,
    ImageUrl, ToolChoiceOptions,
};
use sybil_domain::Attachment;
use sybil_ports::outbound::llm::{LlmRequest, PromptMessage, PromptRole, ToolRound, ToolSpec};

use crate::attachments::text_block;
use crate::tool_json::{ToolJson, WithTools};

/// The body of `POST /chat/completions`, the SDK's typed request with the
/// tool definitions written once per tool set (`tool_json`): instructions
/// as the first system message, then the prompt, then every tool round as
/// an assistant turn with its `tool_calls` followed by one `tool` message
/// per call.
pub(super) fn build(
    request: &LlmRequest,
    stream: bool,
    tool_json: &ToolJson,
) -> Result<WithTools<CreateChatCompletionRequest>, OpenAIError> {
    let mut messages = Vec::with_capacity(1 + request.messages.len() + 2 * request.rounds.len());
    if !request.instructions.is_empty() {
        messages.push(system(&request.instructions));
    }
    messages.extend(request.messages.iter().map(message));
    for round in &request.rounds {
        messages.extend(round_messages(round));
    }
    let tools = tool_json.get(&request.tools, tool_definitions)?;
    #[allow(deprecated)] // `max_tokens`: see below.
    let body = CreateChatCompletionRequest {
        model: request.model.clone(),
        messages,
        // Deprecated by OpenAI in favour of `max_completion_tokens`; xAI
        // documents both, and this is the one Sybil has always sent.
        max_tokens: request.max_tokens,
        // The SDK's type is f32; the contract's range (0–2) fits it.
        temperature: request.temperature.map(|t| t as f32),
        tool_choice: tools
            .is_some()
            .then_some(ChatCompletionToolChoiceOption::Mode(
                ToolChoiceOptions::Auto,
            )),
        // Ours to set: streams are opened by `sdk`, not by the SDK's
        // `create_stream` (which would set it). Without it the answer is
        // plain JSON.
        stream: stream.then_some(true),
        stream_options: stream.then_some(ChatCompletionStreamOptions {
            include_usage: Some(true),
            include_obfuscation: None,
        }),
        ..Default::default()
    };
    Ok(WithTools {
        request: body,
        tools,
    })
}

fn tool_definitions(specs: &[ToolSpec]) -> Vec<ChatCompletionTools> {
    specs
        .iter()
        .map(|t| {
            ChatCompletionTools::Function(ChatCompletionTool {
                function: FunctionObject {
                    name: t.name.clone(),
                    description: Some(t.description.clone()),
                    parameters: Some(t.parameters.clone()),
                    strict: None,
                },
            })
        })
        .collect()
}

fn system(text: &str) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
        content: ChatCompletionRequestSystemMessageContent::Text(text.to_string()),
        name: None,
    })
}

fn text_part(text: String) -> ChatCompletionRequestUserMessageContentPart {
    ChatCompletionRequestUserMessageContentPart::Text(ChatCompletionRequestMessageContentPartText {
        text,
        prompt_cache_breakpoint: None,
    })
}

fn message(m: &PromptMessage) -> ChatCompletionRequestMessage {
    let user = |content| {
        ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
            content,
            name: None,
        })
    };
    match m.role {
        PromptRole::System => return system(&m.content),
        PromptRole::Assistant => return assistant(&m.content, None),
        PromptRole::User if m.attachments.is_empty() => {
            return user(ChatCompletionRequestUserMessageContent::Text(
                m.content.clone(),
            ));
        }
        PromptRole::User => {}
    }
    let mut parts = Vec::new();
    if !m.content.is_empty() {
        parts.push(text_part(m.content.clone()));
    }
    for a in &m.attachments {
        parts.push(match a {
            Attachment::Text {
                filename,
                text,
                truncated,
                ..
            } => text_part(text_block(filename, text, *truncated)),
            Attachment::Image { data_url, .. } => {
                ChatCompletionRequestUserMessageContentPart::ImageUrl(
                    ChatCompletionRequestMessageContentPartImage {
                        image_url: ImageUrl {
                            url: data_url.clone(),
                            detail: Some(ImageDetail::Auto),
                        },
                        prompt_cache_breakpoint: None,
                    },
                )
            }
        });
    }
    user(ChatCompletionRequestUserMessageContent::Array(parts))
}

#[allow(deprecated)] // `function_call`, which the struct still carries, is left out.
fn assistant(
    text: &str,
    tool_calls: Option<Vec<ChatCompletionMessageToolCalls>>,
) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage::Assistant(ChatCompletionRequestAssistantMessage {
        // An assistant turn of tool calls only is sent with `content: ""`,
        // one of the two forms xAI documents (the SDK cannot write the other,
        // `null`).
        content: Some(ChatCompletionRequestAssistantMessageContent::Text(
            text.to_string(),
        )),
        tool_calls,
        ..Default::default()
    })
}

fn round_messages(round: &ToolRound) -> Vec<ChatCompletionRequestMessage> {
    let tool_calls = round
        .calls
        .iter()
        .map(|c| {
            ChatCompletionMessageToolCalls::Function(ChatCompletionMessageToolCall {
                id: c.id.clone(),
                function: FunctionCall {
                    name: c.name.clone(),
                    arguments: c.arguments.clone(),
                },
            })
        })
        .collect();
    let mut messages = vec![assistant(&round.assistant_text, Some(tool_calls))];
    messages.extend(round.calls.iter().enumerate().map(|(i, c)| {
        ChatCompletionRequestMessage::Tool(ChatCompletionRequestToolMessage {
            content: ChatCompletionRequestToolMessageContent::Text(
                round.outputs.get(i).cloned().unwrap_or_default(),
            ),
            tool_call_id: c.id.clone(),
        })
    }));
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
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
            temperature: Some(0.7),
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
        let bytes =
            serde_json::to_vec(&build(&request, true, &ToolJson::default()).unwrap()).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "grok-4",
                "messages": [
                    {"role":"system","content":"Be Sybil."},
                    {"role":"user","content":"Hi"},
                    {"role":"assistant","content":"","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},
                    {"role":"tool","tool_call_id":"call_1","content":"out"}
                ],
                "max_tokens": 100,
                "temperature": 0.7,
                "stream": true,
                "stream_options": {"include_usage": true}
            })
        );
    }
}
