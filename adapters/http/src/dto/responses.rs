//! Response bodies: camelCase, every field present, `null` for no value
//! (docs/decisions.md, "API shapes").

use poem_openapi::{Enum, Object};
use serde_json::Value;
use sybil_domain::{Chat, Message, ModelChoice, Role};
use sybil_ports::outbound::ChatWithMessages;

use super::requests::{ProviderName, RoleName, provider_name};
use sybil_wire::time::iso;

#[derive(Debug, Clone, Object)]
#[oai(rename = "Health")]
pub struct HealthBody {
    pub ok: bool,
}

#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename = "AuthMode", rename_all = "lowercase")]
pub enum AuthMode {
    Open,
    Token,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "AuthSession")]
pub struct SessionBody {
    pub authenticated: bool,
    pub mode: AuthMode,
}

/// A chat header.
#[derive(Debug, Clone, Object)]
#[oai(rename = "ChatSummary", rename_all = "camelCase")]
pub struct ChatSummary {
    pub id: String,
    #[oai(nullable)]
    pub title: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[oai(nullable)]
    pub initiated_provider: Option<ProviderName>,
    #[oai(nullable)]
    pub initiated_model: Option<String>,
    #[oai(nullable)]
    pub last_used_provider: Option<ProviderName>,
    #[oai(nullable)]
    pub last_used_model: Option<String>,
}

/// A transcript message.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Message", rename_all = "camelCase")]
pub struct MessageBody {
    pub id: String,
    pub created_at: String,
    pub role: RoleName,
    pub content: String,
    #[oai(nullable)]
    pub name: Option<String>,
    /// `null` for a plain message; `attachments` for messages with
    /// attachments; `kind: "tool_call"` for tool-call log messages.
    #[oai(nullable)]
    pub metadata: Option<Value>,
}

/// A chat header with its transcript in creation order.
#[derive(Debug, Clone, Object)]
#[oai(rename = "ChatDetail", rename_all = "camelCase")]
pub struct ChatDetail {
    #[oai(flatten)]
    pub summary: ChatSummary,
    pub messages: Vec<MessageBody>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "ChatEnvelope")]
pub struct ChatEnvelope {
    pub chat: ChatSummary,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "ChatDetailEnvelope")]
pub struct ChatDetailEnvelope {
    pub chat: ChatDetail,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "ChatList")]
pub struct ChatList {
    pub chats: Vec<ChatSummary>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "MessageEnvelope")]
pub struct MessageEnvelope {
    pub message: MessageBody,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "Deleted")]
pub struct DeletedBody {
    pub deleted: bool,
}

fn role_name(r: Role) -> RoleName {
    match r {
        Role::System => RoleName::System,
        Role::User => RoleName::User,
        Role::Assistant => RoleName::Assistant,
        Role::Tool => RoleName::Tool,
    }
}

fn split(choice: &Option<ModelChoice>) -> (Option<ProviderName>, Option<String>) {
    match choice {
        Some(c) => (Some(provider_name(c.provider)), Some(c.model.clone())),
        None => (None, None),
    }
}

impl From<&Chat> for ChatSummary {
    fn from(chat: &Chat) -> Self {
        let (initiated_provider, initiated_model) = split(&chat.initiated);
        let (last_used_provider, last_used_model) = split(&chat.last_used);
        ChatSummary {
            id: chat.id.to_string(),
            title: chat.title.clone(),
            created_at: iso(chat.created_at),
            updated_at: iso(chat.updated_at),
            initiated_provider,
            initiated_model,
            last_used_provider,
            last_used_model,
        }
    }
}

impl From<Message> for MessageBody {
    fn from(m: Message) -> Self {
        MessageBody {
            id: m.id.to_string(),
            created_at: iso(m.created_at),
            role: role_name(m.role),
            content: m.content,
            name: m.name,
            metadata: m.metadata,
        }
    }
}

impl From<ChatWithMessages> for ChatDetail {
    fn from(c: ChatWithMessages) -> Self {
        ChatDetail {
            summary: ChatSummary::from(&c.chat),
            messages: c.messages.into_iter().map(Into::into).collect(),
        }
    }
}
