//! An OpenAI Chat Completions request as a `CompletionCommand`: the
//! `<provider>/<model>` id, roles (`developer` is `system`), and content
//! parts (text joined, `data:` image URLs as image attachments).

use sybil_domain::completion::{CompletionRuleError, check_completion};
use sybil_domain::{AttachmentInput, MessageInput, Provider};
use sybil_ports::inbound::CompletionCommand;

use super::errors::OpenAiError;
use crate::dto::openai_request::{
    OpenAiChatRequest, OpenAiContent, OpenAiContentPart, OpenAiMessage, OpenAiRole,
};

/// What the handler needs besides the command.
pub struct OpenAiCall {
    pub command: CompletionCommand,
    pub stream: bool,
    pub include_usage: bool,
    /// The request's `model`, echoed in the answer.
    pub model: String,
}

/// Validates what only this surface has (model id, `n`, `tools`, image
/// URLs); everything else is the use case's to check, as on `/v1`.
pub fn to_call(req: OpenAiChatRequest) -> Result<OpenAiCall, OpenAiError> {
    let (provider, model) = split_model(&req.model)?;
    if let Some(n) = req.n.filter(|n| *n != 1) {
        return Err(OpenAiError::bad_request(
            format!("n must be 1 (got {n})"),
            Some("n"),
        ));
    }
    if req.tools.as_ref().is_some_and(|t| !t.is_empty()) {
        return Err(OpenAiError::bad_request(
            "tools are not supported: Sybil runs its own tools",
            Some("tools"),
        ));
    }
    check_scalars(&req)?;
    let max_tokens = req.max_completion_tokens.or(req.max_tokens);
    let messages = req
        .messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| message(i, m))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(OpenAiCall {
        command: CompletionCommand {
            chat_id: None,
            provider,
            model,
            messages,
            temperature: req.temperature,
            max_tokens,
        },
        stream: req.stream.unwrap_or(false),
        include_usage: req
            .stream_options
            .and_then(|o| o.include_usage)
            .unwrap_or(false),
        model: req.model,
    })
}

/// The use case checks these too, but its messages name the `/v1` fields
/// (`maxTokens`); here they name OpenAI's parameters. Both token limits are
/// checked, though `max_completion_tokens` wins: a value the spec forbids is
/// refused even where it would not be used.
fn check_scalars(req: &OpenAiChatRequest) -> Result<(), OpenAiError> {
    for (param, value) in [
        ("max_completion_tokens", req.max_completion_tokens),
        ("max_tokens", req.max_tokens),
    ] {
        if check_completion("m", 1, None, value).is_err() {
            return Err(OpenAiError::bad_request(
                format!("{param} must be an integer from 1 to 4294967295"),
                Some(param),
            ));
        }
    }
    match check_completion("m", req.messages.len(), req.temperature, None) {
        Ok(_) => Ok(()),
        Err(e) => {
            let param = match e {
                CompletionRuleError::NoMessages => "messages",
                _ => "temperature",
            };
            Err(OpenAiError::bad_request(e.to_string(), Some(param)))
        }
    }
}

fn split_model(id: &str) -> Result<(Provider, String), OpenAiError> {
    let parsed = id.split_once('/').and_then(|(provider, model)| {
        let provider = provider.parse::<Provider>().ok()?;
        (!model.trim().is_empty()).then(|| (provider, model.to_string()))
    });
    parsed.ok_or_else(|| {
        OpenAiError::bad_request(
            format!(
                "model must be <provider>/<model> with provider openai, anthropic or xai and a non-empty model (got {id:?})"
            ),
            Some("model"),
        )
    })
}

fn message(index: usize, m: OpenAiMessage) -> Result<MessageInput, OpenAiError> {
    let role = match m.role {
        OpenAiRole::System | OpenAiRole::Developer => "system",
        OpenAiRole::User => "user",
        OpenAiRole::Assistant => "assistant",
        OpenAiRole::Tool => "tool",
    };
    let mut texts = Vec::new();
    let mut attachments = Vec::new();
    match m.content {
        None => {}
        Some(OpenAiContent::Text(text)) => texts.push(text),
        Some(OpenAiContent::Parts(parts)) => {
            for (j, part) in parts.into_iter().enumerate() {
                match part {
                    OpenAiContentPart::Text(p) => texts.push(p.text),
                    OpenAiContentPart::ImageUrl(p) => {
                        attachments.push(image(index, j, &p.image_url.url)?);
                    }
                }
            }
        }
    }
    Ok(MessageInput {
        role: role.to_string(),
        content: texts.join("\n"),
        name: m.name,
        metadata: None,
        attachments,
    })
}

/// An image part as an attachment; the attachment policy then checks the
/// type, size and signature like any other.
fn image(message: usize, part: usize, url: &str) -> Result<AttachmentInput, OpenAiError> {
    let field = format!("messages[{message}].content[{part}].image_url.url");
    let mime = url
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(';'))
        .map(|(mime, _)| mime.to_string())
        .ok_or_else(|| {
            OpenAiError::bad_request(
                format!("{field} must be a data: URL of a PNG or JPEG image"),
                Some(&field),
            )
        })?;
    let extension = match mime.as_str() {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        _ => "img",
    };
    Ok(AttachmentInput {
        kind: Some("image".into()),
        filename: Some(format!("image-{}.{extension}", part + 1)),
        mime_type: Some(mime),
        data_url: Some(url.to_string()),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: serde_json::Value) -> OpenAiChatRequest {
        serde_json::from_value(json).unwrap()
    }

    fn rejected(json: serde_json::Value) -> serde_json::Value {
        match to_call(request(json)) {
            Err(OpenAiError::BadRequest(body)) => serde_json::to_value(&body.0).unwrap(),
            other => panic!("expected a 400, got {:?}", other.map(|c| c.command)),
        }
    }

    #[test]
    fn models_are_provider_slash_model() {
        let call = to_call(request(serde_json::json!({
            "model": "xai/grok-4-fast", "messages": [{ "role": "developer", "content": "terse" }],
            "max_tokens": 5, "max_completion_tokens": 9, "stream": true,
            "stream_options": { "include_usage": true }
        })))
        .unwrap();
        assert_eq!(call.command.provider, Provider::Xai);
        assert_eq!(call.command.model, "grok-4-fast");
        assert_eq!(call.command.max_tokens, Some(9));
        assert_eq!(call.command.messages[0].role, "system");
        assert!(call.stream && call.include_usage);
        assert_eq!(call.model, "xai/grok-4-fast");

        for bad in ["gpt-4.1", "openai/", "openai/  ", "mistral/large", "/m"] {
            let body = rejected(serde_json::json!({ "model": bad, "messages": [] }));
            assert_eq!(body["error"]["param"], "model", "{bad}");
            assert_eq!(body["error"]["type"], "invalid_request_error");
        }
    }

    #[test]
    fn parts_become_text_and_image_attachments() {
        let call = to_call(request(serde_json::json!({
            "model": "openai/gpt-4.1-mini",
            "messages": [{ "role": "user", "content": [
                { "type": "text", "text": "What is" },
                { "type": "image_url", "image_url": { "url": "data:image/png;base64,iVBORw0KGgo=" } },
                { "type": "text", "text": "this?" } ] }]
        })))
        .unwrap();
        let m = &call.command.messages[0];
        assert_eq!(m.content, "What is\nthis?");
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(m.attachments[0].mime_type.as_deref(), Some("image/png"));
        assert_eq!(m.attachments[0].filename.as_deref(), Some("image-2.png"));

        let body = rejected(serde_json::json!({
            "model": "openai/gpt-4.1-mini",
            "messages": [{ "role": "user", "content": [
                { "type": "image_url", "image_url": { "url": "https://example.com/a.png" } } ] }]
        }));
        assert_eq!(
            body["error"]["param"],
            "messages[0].content[0].image_url.url"
        );
    }

    #[test]
    fn n_above_one_and_client_tools_are_refused() {
        let body = rejected(serde_json::json!({ "model": "openai/m", "messages": [], "n": 2 }));
        assert_eq!(body["error"]["param"], "n");
        let body = rejected(serde_json::json!({ "model": "openai/m", "messages": [],
            "tools": [{ "type": "function", "function": { "name": "f" } }] }));
        assert_eq!(body["error"]["param"], "tools");
        let ok = serde_json::json!({ "model": "openai/m", "n": 1, "tools": [],
                                     "messages": [{ "role": "user", "content": "hi" }] });
        assert!(to_call(request(ok)).is_ok());
    }

    #[test]
    fn scalar_rules_name_openai_parameters() {
        let hi = serde_json::json!([{ "role": "user", "content": "hi" }]);
        let body = rejected(serde_json::json!({ "model": "openai/m", "messages": [] }));
        assert_eq!(body["error"]["param"], "messages");
        let body = rejected(
            serde_json::json!({ "model": "openai/m", "messages": hi, "temperature": 2.5 }),
        );
        assert_eq!(body["error"]["param"], "temperature");
        let body =
            rejected(serde_json::json!({ "model": "openai/m", "messages": hi, "max_tokens": 0 }));
        assert_eq!(body["error"]["param"], "max_tokens");
        assert_eq!(
            body["error"]["message"],
            "max_tokens must be an integer from 1 to 4294967295"
        );
        let body = rejected(serde_json::json!({ "model": "openai/m", "messages": hi,
                                                "max_completion_tokens": -1, "max_tokens": 5 }));
        assert_eq!(body["error"]["param"], "max_completion_tokens");
        let body = rejected(serde_json::json!({ "model": "openai/m", "messages": hi,
                                                "max_completion_tokens": 5, "max_tokens": 0 }));
        assert_eq!(body["error"]["param"], "max_tokens");
    }
}
