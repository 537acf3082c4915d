//! Conversions between table rows and domain types; providers and roles are stored by wire name.

use sea_orm::ActiveValue::{NotSet, Set};
use sybil_domain::{Chat, Message, ModelChoice, Provider, Role, Timestamp};
use sybil_ports::outbound::StorageError;
use uuid::Uuid;

use crate::entity::{chats, messages};

pub(crate) fn chat_to_row(chat: &Chat) -> chats::ActiveModel {
    let (initiated_provider, initiated_model) = choice_columns(chat.initiated.as_ref());
    let (last_used_provider, last_used_model) = choice_columns(chat.last_used.as_ref());
    chats::ActiveModel {
        id: Set(chat.id),
        title: Set(chat.title.clone()),
        created_at: Set(chat.created_at.millis()),
        updated_at: Set(chat.updated_at.millis()),
        initiated_provider: Set(initiated_provider),
        initiated_model: Set(initiated_model),
        last_used_provider: Set(last_used_provider),
        last_used_model: Set(last_used_model),
    }
}

pub(crate) fn chat_from_row(row: chats::Model) -> Result<Chat, StorageError> {
    Ok(Chat {
        id: row.id,
        title: row.title,
        created_at: Timestamp(row.created_at),
        updated_at: Timestamp(row.updated_at),
        initiated: choice(row.id, row.initiated_provider, row.initiated_model)?,
        last_used: choice(row.id, row.last_used_provider, row.last_used_model)?,
    })
}

pub(crate) fn message_to_row(chat_id: Uuid, message: &Message) -> messages::ActiveModel {
    messages::ActiveModel {
        seq: NotSet,
        id: Set(message.id),
        chat_id: Set(chat_id),
        created_at: Set(message.created_at.millis()),
        role: Set(message.role.as_str().to_string()),
        content: Set(message.content.clone()),
        name: Set(message.name.clone()),
        metadata: Set(message.metadata.clone()),
    }
}

pub(crate) fn role_from_column(role: &str) -> Result<Role, StorageError> {
    role.parse()
        .map_err(|_| corrupt(format!("a message has the unknown role {role:?}")))
}

pub(crate) fn message_from_row(row: messages::Model) -> Result<Message, StorageError> {
    let role = role_from_column(&row.role)?;
    Ok(Message {
        id: row.id,
        created_at: Timestamp(row.created_at),
        role,
        content: row.content,
        name: row.name,
        metadata: row.metadata,
    })
}

fn choice_columns(choice: Option<&ModelChoice>) -> (Option<String>, Option<String>) {
    match choice {
        Some(c) => (Some(c.provider.as_str().to_string()), Some(c.model.clone())),
        None => (None, None),
    }
}

/// Both columns or neither: a half-written pair reads as no choice, as the
/// domain only ever stores them together.
fn choice(
    chat_id: Uuid,
    provider: Option<String>,
    model: Option<String>,
) -> Result<Option<ModelChoice>, StorageError> {
    let (Some(provider), Some(model)) = (provider, model) else {
        return Ok(None);
    };
    let provider: Provider = provider
        .parse()
        .map_err(|_| corrupt(format!("chat {chat_id}: unknown provider {provider:?}")))?;
    Ok(Some(ModelChoice { provider, model }))
}

fn corrupt(detail: String) -> StorageError {
    StorageError::Internal(format!("corrupt row: {detail}"))
}
