//! Bodies of `POST /v1/chat-completions`, `GET /v1/models` and
//! `POST /v1/chats/title/suggest`.

use poem_openapi::Object;
use poem_openapi::types::Any;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use sybil_domain::MessageInput;
use sybil_ports::inbound::{CompletionCommand, CompletionOutcome, ModelList};

use super::requests::{AttachmentRequest, ProviderName, RoleName, message_input, provider_name};
pub use sybil_wire::UsageBody;

use sybil_wire::time::iso;

/// A message of the history sent for a completion. The fields of a stored
/// Message (`id`, `createdAt`, `metadata`) are accepted and ignored, so a
/// client can send back the transcript it read.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(
    rename = "CompletionMessage",
    rename_all = "camelCase",
    deny_unknown_fields
)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct CompletionMessageRequest {
    pub role: RoleName,
    pub content: String,
    pub name: Option<String>,
    /// Forwarded to the provider on `user` messages only; at most 8, none on
    /// `tool` messages.
    #[oai(validator(max_items = 8))]
    pub attachments: Option<Vec<AttachmentRequest>>,
    /// Ignored.
    pub id: Option<String>,
    /// Ignored.
    pub created_at: Option<String>,
    /// Ignored.
    #[serde(default, deserialize_with = "super::free_json::bounded_option")]
    pub metadata: Option<Value>,
}

impl From<CompletionMessageRequest> for MessageInput {
    fn from(m: CompletionMessageRequest) -> Self {
        message_input(m.role, m.content, m.name, None, m.attachments)
    }
}

/// `POST /v1/chat-completions`.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(
    rename = "ChatCompletionRequest",
    rename_all = "camelCase",
    deny_unknown_fields
)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct CompletionRequest {
    /// Store new messages and the answer in this chat.
    pub chat_id: Option<String>,
    pub provider: ProviderName,
    /// Not blank.
    #[oai(validator(pattern = r"\S"))]
    pub model: String,
    /// The whole history, oldest first; at least one message.
    #[oai(validator(min_items = 1))]
    pub messages: Vec<CompletionMessageRequest>,
    /// 0 to 2 (clamped to 1 for Anthropic).
    #[oai(validator(minimum(value = "0"), maximum(value = "2")))]
    pub temperature: Option<f64>,
    /// 1 to 4,294,967,295.
    #[oai(validator(minimum(value = "1"), maximum(value = "4294967295")))]
    pub max_tokens: Option<i64>,
    /// Streaming only: run as a server-side job that survives the client;
    /// `meta` then carries `completionId`.
    pub resumable: Option<bool>,
}

impl CompletionRequest {
    /// The use-case command, and whether a resumable job was asked for.
    pub fn into_command(self) -> (CompletionCommand, bool) {
        let command = CompletionCommand {
            chat_id: self.chat_id,
            provider: self.provider.domain(),
            model: self.model,
            messages: self.messages.into_iter().map(Into::into).collect(),
            temperature: self.temperature,
            max_tokens: self.max_tokens,
        };
        (command, self.resumable.unwrap_or(false))
    }
}

#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(rename = "AssistantMessage")]
pub struct AssistantMessageBody {
    /// Always `assistant`.
    pub role: RoleName,
    pub content: String,
}

#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(rename = "ChatCompletionResponse", rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct CompletionResponse {
    #[oai(nullable)]
    pub chat_id: Option<String>,
    pub provider: ProviderName,
    pub model: String,
    pub message: AssistantMessageBody,
    /// Summed over every model call of the completion.
    pub usage: UsageBody,
    /// The provider's last response body, as received.
    pub raw: Any<Box<RawValue>>,
}

impl From<CompletionOutcome> for CompletionResponse {
    fn from(o: CompletionOutcome) -> Self {
        CompletionResponse {
            chat_id: o.chat_id.map(|id| id.to_string()),
            provider: provider_name(o.provider),
            model: o.model,
            message: AssistantMessageBody {
                role: RoleName::Assistant,
                content: o.content,
            },
            usage: o.usage.into(),
            raw: Any(o.raw.into_raw()),
        }
    }
}

/// One provider's models.
#[derive(Debug, Clone, Object)]
#[oai(rename = "ProviderModels", rename_all = "camelCase")]
pub struct ProviderModelsBody {
    pub models: Vec<String>,
    /// The last successful live load, or `null`.
    #[oai(nullable)]
    pub loaded_at: Option<String>,
    /// Why the live list is not in use, or `null`.
    #[oai(nullable)]
    pub error: Option<String>,
}

impl From<ModelList> for ProviderModelsBody {
    fn from(l: ModelList) -> Self {
        ProviderModelsBody {
            models: l.models,
            loaded_at: l.loaded_at.map(iso),
            error: l.error,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "ModelProviders")]
pub struct ModelProvidersBody {
    pub openai: ProviderModelsBody,
    pub anthropic: ProviderModelsBody,
    pub xai: ProviderModelsBody,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "Models")]
pub struct ModelsBody {
    pub providers: ModelProvidersBody,
}

/// `POST /v1/chats/title/suggest`.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(
    rename = "SuggestTitleRequest",
    rename_all = "camelCase",
    deny_unknown_fields
)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct SuggestTitleRequest {
    pub chat_id: String,
    /// The user's request text the title is made from; not blank (unless
    /// the chat already has a title, which is then kept).
    #[oai(validator(pattern = r"\S"))]
    pub content: String,
}

super::object_only::object_only!(
    CompletionMessageRequest,
    CompletionRequest,
    SuggestTitleRequest
);
