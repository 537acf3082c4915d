//! Chat use cases: the chat and message routes of the contract.

use async_trait::async_trait;
use sybil_domain::{Chat, Message, MessageInput};

use crate::outbound::{ChatWithMessages, StorageError};

/// What a client asks for when creating a chat.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateChat {
    pub title: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub messages: Vec<MessageInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    #[error("chat not found")]
    NotFound,
    /// The request broke a rule; the text names the field and the rule.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The chat and message operations the HTTP layer drives.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ChatUseCases: Send + Sync {
    /// Every chat, most recently updated first.
    ///
    /// # Errors
    /// `ChatError::Storage` when storage fails.
    async fn list_chats(&self) -> Result<Vec<Chat>, ChatError>;

    /// Creates a chat with its optional initial transcript.
    ///
    /// # Errors
    /// `ChatError::Invalid` for a broken rule (nothing stored), `Storage` on failure.
    async fn create_chat(&self, request: CreateChat) -> Result<Chat, ChatError>;

    /// The chat and its transcript. An id that is not a UUID is unknown.
    ///
    /// # Errors
    /// `ChatError::NotFound` for an unknown id, `Storage` on failure.
    async fn get_chat(&self, id: &str) -> Result<ChatWithMessages, ChatError>;

    /// Renames the chat; a blank title clears it.
    ///
    /// # Errors
    /// `ChatError::NotFound` for an unknown id, `Storage` on failure.
    async fn rename_chat(&self, id: &str, title: Option<String>) -> Result<Chat, ChatError>;

    /// Deletes the chat, its messages and its call records.
    ///
    /// # Errors
    /// `ChatError::NotFound` for an unknown id, `Storage` on failure.
    async fn delete_chat(&self, id: &str) -> Result<(), ChatError>;

    /// Appends one message given directly by the client.
    ///
    /// # Errors
    /// `ChatError::Invalid` for a broken rule (nothing stored), `NotFound`
    /// for an unknown chat, `Storage` on failure.
    async fn add_message(&self, chat_id: &str, message: MessageInput)
    -> Result<Message, ChatError>;
}
