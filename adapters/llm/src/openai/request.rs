//! `LlmRequest` → Responses API request, in async-openai's typed request types.

use async_openai::error::OpenAIError;
use async_openai::types::responses::{
    CreateResponse, EasyInputContent, EasyInputMessage, FunctionCallOutput,
    FunctionCallOutputItemParam, FunctionTool, FunctionToolCall, ImageDetail, InputContent,
    InputImageContent, InputItem, InputParam, InputTextContent, Item, MessageType, Role, Tool,
    ToolChoiceOptions, ToolChoiceParam,
};
use sybil_domain::Attachment;
use sybil_ports::outbound::llm::{LlmRequest, PromptMessage, PromptRole, ToolRound, ToolSpec};

use crate::attachments::text_block;
use crate::tool_json::{ToolJson, WithTools};

/// The body of `POST /responses`, the SDK's typed request with the tool
/// definitions written once per tool set (`tool_json`). With tools the
/// response is stored (`store: true`) so the next round can
/// continue from it with `previous_response_id`; without, nothing needs
/// keeping.
pub(super) fn build(
    request: &LlmRequest,
    stream: bool,
    tool_json: &ToolJson,
) -> Result<WithTools<CreateResponse>, OpenAIError> {
    let tool_loop = !request.tools.is_empty() || !request.rounds.is_empty();
    let (previous_response_id, input) = match request.rounds.last() {
        // The stored chain already holds the prompt and earlier rounds
        // (reasoning items included): only the last round's outputs are new.
        Some(
            last @ ToolRound {
                response_id: Some(id),
                ..
            },
        ) => (Some(id.clone()), call_outputs(last).collect()),
        // No id to continue from: replay everything statelessly (the API
        // accepts a replay without the reasoning items).
        _ => {
            let mut input: Vec<InputItem> = request.messages.iter().map(message).collect();
            for round in &request.rounds {
                input.extend(replayed_round(round));
            }
            (None, input)
        }
    };
    let tools = tool_json.get(&request.tools, tool_definitions)?;
    let body = CreateResponse {
        model: Some(request.model.clone()),
        // Not inherited through previous_response_id: sent on every call.
        instructions: (!request.instructions.is_empty()).then(|| request.instructions.to_string()),
        store: Some(tool_loop),
        previous_response_id,
        input: InputParam::Items(input),
        max_output_tokens: request.max_tokens,
        // The SDK's type is f32; the contract's range (0–2) fits it.
        temperature: request.temperature.map(|t| t as f32),
        tool_choice: tools
            .is_some()
            .then_some(ToolChoiceParam::Option(ToolChoiceOptions::Auto)),
        // Ours to set: streams are opened by `sdk`, not by the SDK's
        // `create_stream` (which would set it).
        stream: stream.then_some(true),
        ..Default::default()
    };
    Ok(WithTools {
        request: body,
        tools,
    })
}

fn tool_definitions(specs: &[ToolSpec]) -> Vec<Tool> {
    specs
        .iter()
        .map(|t| {
            Tool::Function(FunctionTool {
                name: t.name.clone(),
                description: Some(t.description.clone()),
                parameters: Some(t.parameters.clone()),
                strict: Some(false),
                ..Default::default()
            })
        })
        .collect()
}

fn role(role: PromptRole) -> Role {
    match role {
        PromptRole::System => Role::System,
        PromptRole::User => Role::User,
        PromptRole::Assistant => Role::Assistant,
    }
}

fn easy_message(role: Role, content: EasyInputContent) -> InputItem {
    InputItem::EasyMessage(EasyInputMessage {
        r#type: MessageType::Message,
        role,
        content,
        phase: None,
    })
}

fn input_text(text: String) -> InputContent {
    InputContent::InputText(InputTextContent {
        text,
        ..Default::default()
    })
}

/// A message item: plain text, or `input_text`/`input_image` parts when a
/// user message carries attachments.
fn message(m: &PromptMessage) -> InputItem {
    let with_parts = m.role == PromptRole::User && !m.attachments.is_empty();
    if !with_parts {
        return easy_message(role(m.role), EasyInputContent::Text(m.content.clone()));
    }
    let mut parts = Vec::new();
    if !m.content.is_empty() {
        parts.push(input_text(m.content.clone()));
    }
    for a in &m.attachments {
        parts.push(match a {
            Attachment::Text {
                filename,
                text,
                truncated,
                ..
            } => input_text(text_block(filename, text, *truncated)),
            Attachment::Image { data_url, .. } => InputContent::InputImage(InputImageContent {
                detail: ImageDetail::Auto,
                image_url: Some(data_url.clone()),
                ..Default::default()
            }),
        });
    }
    easy_message(Role::User, EasyInputContent::ContentList(parts))
}

/// One `function_call_output` per call, paired by `call_id`.
fn call_outputs(round: &ToolRound) -> impl Iterator<Item = InputItem> + '_ {
    round.calls.iter().enumerate().map(|(i, call)| {
        InputItem::Item(Item::FunctionCallOutput(FunctionCallOutputItemParam {
            call_id: Some(call.id.clone()),
            output: FunctionCallOutput::Text(round.outputs.get(i).cloned().unwrap_or_default()),
            id: None,
            status: None,
            name: None,
            namespace: None,
            caller: None,
        }))
    })
}

/// A round replayed without a stored response: the text, each call, then
/// the outputs.
fn replayed_round(round: &ToolRound) -> Vec<InputItem> {
    let mut items = Vec::new();
    if !round.assistant_text.is_empty() {
        items.push(easy_message(
            Role::Assistant,
            EasyInputContent::Text(round.assistant_text.clone()),
        ));
    }
    items.extend(round.calls.iter().map(|call| {
        InputItem::Item(Item::FunctionCall(FunctionToolCall {
            call_id: call.id.clone(),
            name: call.name.clone(),
            arguments: call.arguments.clone(),
            ..Default::default()
        }))
    }));
    items.extend(call_outputs(round));
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
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

    /// The JSON the SDK sends: serialised to bytes as it does, so an f32
    /// is written at its own precision (`to_value` would widen 0.7 first).
    fn wire(request: &LlmRequest, stream: bool) -> Value {
        let bytes =
            serde_json::to_vec(&build(request, stream, &ToolJson::default()).unwrap()).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn plain_request_is_not_stored() {
        let mut r = request();
        r.temperature = Some(0.7);
        r.max_tokens = Some(300);
        assert_eq!(
            wire(&r, false),
            json!({"model":"gpt-5","instructions":"You are Sybil.","store":false,
                   "input":[{"type":"message","role":"user","content":"Hi"}],
                   "max_output_tokens":300,"temperature":0.7})
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
        let body = wire(&r, true);
        assert_eq!(body["previous_response_id"], "resp_2");
        assert_eq!(
            body["input"],
            json!([{"type":"function_call_output","call_id":"call_1","output":"found"}])
        );
        assert_eq!(body["store"], true);
        assert_eq!(body["stream"], true);
        assert_eq!(body["instructions"], "You are Sybil.");
        assert_eq!(body["tool_choice"], "auto");
        assert_eq!(
            body["tools"],
            json!([{"type":"function","name":"web_search","description":"Search",
                    "parameters":{"type":"object"},"strict":false}])
        );
    }

    #[test]
    fn round_without_id_is_replayed() {
        let mut r = request();
        r.rounds = vec![round(None)];
        let body = wire(&r, false);
        assert!(body.get("previous_response_id").is_none());
        assert_eq!(
            body["input"],
            json!([
                {"type":"message","role":"user","content":"Hi"},
                {"type":"message","role":"assistant","content":"Let me look."},
                {"type":"function_call","call_id":"call_1","name":"web_search","arguments":"{\"query\":\"x\"}"},
                {"type":"function_call_output","call_id":"call_1","output":"found"}
            ])
        );
    }
}
