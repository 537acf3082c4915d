//! Request bodies. Each derives poem-openapi's `Object` for the spec and
//! serde's `Deserialize` for parsing (see `body::JsonBody`); both use the same
//! camelCase names, and unknown fields are refused.

use poem_openapi::{Enum, Object};
use serde::Deserialize;
use serde_json::Value;
use sybil_domain::{AttachmentInput, MessageInput, Provider};

/// An LLM provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize, serde::Serialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum ProviderName {
    Openai,
    Anthropic,
    Xai,
}

impl ProviderName {
    pub fn as_str(self) -> &'static str {
        self.domain().as_str()
    }

    pub fn domain(self) -> Provider {
        match self {
            ProviderName::Openai => Provider::OpenAi,
            ProviderName::Anthropic => Provider::Anthropic,
            ProviderName::Xai => Provider::Xai,
        }
    }
}

pub fn provider_name(p: Provider) -> ProviderName {
    match p {
        Provider::OpenAi => ProviderName::Openai,
        Provider::Anthropic => ProviderName::Anthropic,
        Provider::Xai => ProviderName::Xai,
    }
}

/// The role of a transcript message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize, serde::Serialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    System,
    User,
    Assistant,
    Tool,
}

impl RoleName {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleName::System => "system",
            RoleName::User => "user",
            RoleName::Assistant => "assistant",
            RoleName::Tool => "tool",
        }
    }
}

/// An inline attachment. `kind` is `image` (PNG or JPEG as a base64 data URL,
/// at most 6 MiB decoded) or `text` (at most 200,000 characters, source
/// `sizeBytes` at most 8 MiB). At most 8 per message; none on tool messages.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(
    rename = "AttachmentInput",
    rename_all = "camelCase",
    deny_unknown_fields
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttachmentRequest {
    /// `image` or `text`.
    pub kind: String,
    /// Optional; the server assigns one when absent.
    pub id: Option<String>,
    /// Required, non-empty.
    pub filename: Option<String>,
    /// `image/png` or `image/jpeg` for images; any text type for text (default `text/plain`).
    pub mime_type: Option<String>,
    /// Source size in bytes; computed when absent.
    pub size_bytes: Option<i64>,
    /// Images: `data:<mimeType>;base64,<payload>`.
    pub data_url: Option<String>,
    /// Text attachments: the inlined text.
    pub text: Option<String>,
    /// Text attachments: whether the client cut the text (default false).
    pub truncated: Option<bool>,
}

impl From<AttachmentRequest> for AttachmentInput {
    fn from(a: AttachmentRequest) -> Self {
        AttachmentInput {
            kind: Some(a.kind),
            id: a.id,
            filename: a.filename,
            mime_type: a.mime_type,
            size_bytes: a.size_bytes,
            data_url: a.data_url,
            text: a.text,
            truncated: a.truncated,
        }
    }
}

/// The use-case form of a message, whichever route it came by.
pub fn message_input(
    role: RoleName,
    content: String,
    name: Option<String>,
    metadata: Option<Value>,
    attachments: Option<Vec<AttachmentRequest>>,
) -> MessageInput {
    MessageInput {
        role: role.as_str().into(),
        content,
        name,
        metadata,
        attachments: attachments
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
    }
}

/// A message of a new chat's initial transcript.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(
    rename = "InitialMessage",
    rename_all = "camelCase",
    deny_unknown_fields
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InitialMessageRequest {
    pub role: RoleName,
    pub content: String,
    pub name: Option<String>,
    pub attachments: Option<Vec<AttachmentRequest>>,
}

impl From<InitialMessageRequest> for MessageInput {
    fn from(m: InitialMessageRequest) -> Self {
        message_input(m.role, m.content, m.name, None, m.attachments)
    }
}

/// `POST /v1/chats`.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(
    rename = "CreateChatRequest",
    rename_all = "camelCase",
    deny_unknown_fields
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateChatRequest {
    /// Optional; an empty title counts as none.
    pub title: Option<String>,
    /// Supplied together with `model`, or not at all.
    pub provider: Option<ProviderName>,
    /// Supplied together with `provider`, or not at all.
    pub model: Option<String>,
    /// The initial transcript, stored in order.
    pub messages: Option<Vec<InitialMessageRequest>>,
}

/// `PATCH /v1/chats/{chatId}`.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(
    rename = "RenameChatRequest",
    rename_all = "camelCase",
    deny_unknown_fields
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenameChatRequest {
    /// The new title; an empty title clears it.
    pub title: String,
}

/// `POST /v1/chats/{chatId}/messages`.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(
    rename = "NewMessageRequest",
    rename_all = "camelCase",
    deny_unknown_fields
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewMessageRequest {
    pub role: RoleName,
    pub content: String,
    pub name: Option<String>,
    /// A JSON object; attachments are merged into it as `attachments`.
    pub metadata: Option<Value>,
    pub attachments: Option<Vec<AttachmentRequest>>,
}

impl From<NewMessageRequest> for MessageInput {
    fn from(m: NewMessageRequest) -> Self {
        message_input(m.role, m.content, m.name, m.metadata, m.attachments)
    }
}
