//! The request body of `POST /openai/v1/chat/completions`, in OpenAI's own
//! shape. Unlike the `/v1` bodies, unknown fields are accepted and ignored,
//! since OpenAI SDKs send parameters Sybil has no use for.

use poem_openapi::{Enum, Object, Union};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Chat Completions request. Parameters not listed (`top_p`, `user`,
/// `seed`, `metadata`, …) are accepted and ignored.
#[derive(Debug, Clone, Object, Deserialize)]
#[serde(remote = "Self")]
#[oai(rename = "OpenAiChatCompletionRequest")]
pub struct OpenAiChatRequest {
    /// `<provider>/<model>`, e.g. `openai/gpt-4.1-mini`; the provider is
    /// `openai`, `anthropic` or `xai`.
    #[oai(validator(pattern = r"^(openai|anthropic|xai)/.*\S"))]
    pub model: String,
    /// The conversation, oldest first.
    #[oai(validator(min_items = 1))]
    pub messages: Vec<OpenAiMessage>,
    /// Answer with `chat.completion.chunk` events ending `data: [DONE]`.
    pub stream: Option<bool>,
    pub stream_options: Option<OpenAiStreamOptions>,
    /// Clamped to 1 for Anthropic.
    #[oai(validator(minimum(value = "0"), maximum(value = "2")))]
    pub temperature: Option<f64>,
    #[oai(validator(minimum(value = "1"), maximum(value = "4294967295")))]
    pub max_tokens: Option<i64>,
    /// Wins over `max_tokens`.
    #[oai(validator(minimum(value = "1"), maximum(value = "4294967295")))]
    pub max_completion_tokens: Option<i64>,
    /// Only 1 is supported.
    #[oai(validator(minimum(value = "1"), maximum(value = "1")))]
    pub n: Option<i64>,
    /// Client-side tools are not supported (Sybil runs its own tools).
    #[oai(validator(max_items = 0))]
    pub tools: Option<Vec<OpenAiTool>>,
}

/// A client-side tool definition; only named here to be refused.
#[derive(Debug, Clone, Object, Deserialize)]
#[serde(remote = "Self")]
#[oai(rename = "OpenAiTool")]
pub struct OpenAiTool {
    /// `function`.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Object, Deserialize)]
#[serde(remote = "Self")]
#[oai(rename = "OpenAiStreamOptions")]
pub struct OpenAiStreamOptions {
    /// Send a last chunk with `usage` and no choices.
    pub include_usage: Option<bool>,
}

/// Who speaks; `developer` is treated as `system`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename = "OpenAiRole", rename_all = "lowercase")]
#[serde(try_from = "String")]
pub enum OpenAiRole {
    System,
    Developer,
    User,
    Assistant,
    Tool,
}

sybil_wire::from_string!(OpenAiRole);

/// One message. `tool_calls` and `tool_call_id` of a client-side tool loop
/// are accepted and ignored; a `tool` message reaches the model as text.
#[derive(Debug, Clone, Object, Deserialize)]
#[serde(remote = "Self")]
#[oai(rename = "OpenAiMessage")]
pub struct OpenAiMessage {
    pub role: OpenAiRole,
    /// Text, or an array of `text` and `image_url` parts (`text` only on a
    /// `tool` message); `null` counts as empty.
    pub content: Option<OpenAiContent>,
    pub name: Option<String>,
}

/// A message's content: plain text or parts.
#[derive(Debug, Clone, Union)]
#[oai(rename = "OpenAiContent")]
pub enum OpenAiContent {
    Text(String),
    Parts(Vec<OpenAiContentPart>),
}

/// A content part. Images must be `data:` URLs of PNG or JPEG.
#[derive(Debug, Clone, Union, Deserialize)]
#[oai(rename = "OpenAiContentPart", discriminator_name = "type", one_of)]
#[serde(tag = "type")]
pub enum OpenAiContentPart {
    #[oai(mapping = "text")]
    #[serde(rename = "text")]
    Text(OpenAiTextPart),
    #[oai(mapping = "image_url")]
    #[serde(rename = "image_url")]
    ImageUrl(OpenAiImagePart),
}

#[derive(Debug, Clone, Object, Deserialize)]
#[serde(remote = "Self")]
#[oai(rename = "OpenAiTextPart")]
pub struct OpenAiTextPart {
    pub text: String,
}

#[derive(Debug, Clone, Object, Deserialize)]
#[serde(remote = "Self")]
#[oai(rename = "OpenAiImagePart")]
pub struct OpenAiImagePart {
    pub image_url: OpenAiImageUrl,
}

#[derive(Debug, Clone, Object, Deserialize)]
#[serde(remote = "Self")]
#[oai(rename = "OpenAiImageUrl")]
pub struct OpenAiImageUrl {
    /// `data:image/png;base64,…` or `data:image/jpeg;base64,…`, as the
    /// `dataUrl` of an image attachment (the same pattern and length, which a
    /// test keeps equal).
    #[oai(validator(
        pattern = r"^data:image/(?:png;base64,iVBORw0KGg(?:o=|[o-r][A-Za-z0-9+/](?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?)|jpeg;base64,/9j/(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?)$",
        max_length = 8388631
    ))]
    pub url: String,
    /// Accepted and ignored.
    pub detail: Option<String>,
}

/// Text or an array of parts; written by hand so that a bad part is named
/// by its type instead of "did not match any variant".
impl<'de> Deserialize<'de> for OpenAiContent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match super::free_json::bounded(deserializer)? {
            Value::String(text) => Ok(OpenAiContent::Text(text)),
            Value::Array(parts) => parts
                .into_iter()
                .enumerate()
                .map(|(i, part)| {
                    serde_json::from_value(part)
                        .map_err(|e| serde::de::Error::custom(format!("part {i}: {e}")))
                })
                .collect::<Result<_, _>>()
                .map(OpenAiContent::Parts),
            _ => Err(serde::de::Error::custom(
                "must be a string or an array of content parts",
            )),
        }
    }
}

super::object_only::object_only!(
    OpenAiChatRequest,
    OpenAiTool,
    OpenAiStreamOptions,
    OpenAiMessage,
    OpenAiTextPart,
    OpenAiImagePart,
    OpenAiImageUrl
);

#[cfg(test)]
mod tests {
    use super::*;

    fn message(json: &str) -> Result<OpenAiMessage, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn content_is_text_parts_or_null() {
        let m = message(r#"{"role":"developer","content":"be brief"}"#).unwrap();
        assert_eq!(m.role, OpenAiRole::Developer);
        assert!(matches!(m.content, Some(OpenAiContent::Text(t)) if t == "be brief"));
        let m = message(
            r#"{"role":"user","content":[{"type":"text","text":"hi"},
                {"type":"image_url","image_url":{"url":"data:image/png;base64,AA","detail":"low"}}]}"#,
        )
        .unwrap();
        assert!(matches!(m.content, Some(OpenAiContent::Parts(p)) if p.len() == 2));
        let m = message(r#"{"role":"assistant","content":null,"tool_calls":[]}"#).unwrap();
        assert!(m.content.is_none());
    }

    #[test]
    fn an_unsupported_part_is_named() {
        let err = message(r#"{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}"#)
            .unwrap_err();
        assert!(
            err.contains("part 0: unknown variant `input_audio`"),
            "{err}"
        );
        let err = message(r#"{"role":"user","content":42}"#).unwrap_err();
        assert!(err.contains("must be a string or an array"), "{err}");
    }

    #[test]
    fn unknown_request_parameters_are_ignored() {
        let r: OpenAiChatRequest = serde_json::from_str(
            r#"{"model":"openai/gpt-4.1-mini","messages":[],"user":"u","seed":1,
                "stream_options":{"include_usage":true,"extra":1}}"#,
        )
        .unwrap();
        assert_eq!(r.model, "openai/gpt-4.1-mini");
    }
}
