//! The response bodies of `/openai/v1`, in OpenAI's own shapes: the
//! completion, its stream chunks, the model list and the error envelope.

use poem_openapi::Object;

/// `chat.completion`.
#[derive(Debug, Clone, Object)]
#[oai(rename = "OpenAiChatCompletion")]
pub struct OpenAiCompletion {
    /// `chatcmpl-…`.
    pub id: String,
    /// Always `chat.completion`.
    pub object: String,
    /// Unix time in seconds.
    pub created: i64,
    /// The `model` of the request.
    pub model: String,
    /// Exactly one choice.
    pub choices: Vec<OpenAiChoice>,
    pub usage: OpenAiUsage,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "OpenAiChoice")]
pub struct OpenAiChoice {
    pub index: u32,
    pub message: OpenAiAssistantMessage,
    /// Always `stop`.
    pub finish_reason: String,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "OpenAiAssistantMessage")]
pub struct OpenAiAssistantMessage {
    /// Always `assistant`.
    pub role: String,
    pub content: String,
}

/// Token counts, summed over every model call of the completion (tool
/// rounds included).
#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(rename = "OpenAiUsage")]
pub struct OpenAiUsage {
    pub completion_tokens: u64,
    pub prompt_tokens: u64,
    pub total_tokens: u64,
}

/// `chat.completion.chunk`, the `data:` of each streamed event.
// The chunk types are written by serde in declaration order, so their fields
// are in the alphabetical order the chunks have always been written in.
#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(rename = "OpenAiChatCompletionChunk")]
pub struct OpenAiChunk {
    /// One choice; empty in the usage chunk.
    pub choices: Vec<OpenAiChunkChoice>,
    pub created: i64,
    pub id: String,
    pub model: String,
    /// Always `chat.completion.chunk`.
    pub object: String,
    /// Set only in the last chunk, with `stream_options.include_usage`.
    #[oai(nullable)]
    pub usage: Option<OpenAiUsage>,
}

#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(rename = "OpenAiChunkChoice")]
pub struct OpenAiChunkChoice {
    pub delta: OpenAiDelta,
    /// `stop` in the last choice chunk, else `null`.
    #[oai(nullable)]
    pub finish_reason: Option<String>,
    pub index: u32,
}

/// The first delta has `role`, the others `content`, the last neither.
#[derive(Debug, Clone, Default, Object, serde::Serialize)]
#[oai(rename = "OpenAiDelta")]
pub struct OpenAiDelta {
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// `GET /openai/v1/models`.
#[derive(Debug, Clone, Object)]
#[oai(rename = "OpenAiModelList")]
pub struct OpenAiModelList {
    /// Always `list`.
    pub object: String,
    pub data: Vec<OpenAiModel>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "OpenAiModel")]
pub struct OpenAiModel {
    /// `<provider>/<model>`, usable as a completion's `model`.
    pub id: String,
    /// Always `model`.
    pub object: String,
    /// Unix time in seconds of the provider's last live list load, else 0.
    pub created: i64,
    /// The provider: `openai`, `anthropic` or `xai`.
    pub owned_by: String,
}

/// OpenAI's error envelope.
#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(rename = "OpenAiErrorEnvelope")]
pub struct OpenAiErrorEnvelope {
    pub error: OpenAiErrorBody,
}

#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(rename = "OpenAiErrorBody")]
pub struct OpenAiErrorBody {
    pub message: String,
    /// `invalid_request_error`, `requests` (rate limited), `server_error`.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    /// The request parameter at fault, if one is.
    #[oai(nullable)]
    pub param: Option<String>,
    /// A machine-readable code (`invalid_api_key`, `rate_limit_exceeded`, …).
    #[oai(nullable)]
    pub code: Option<String>,
}
