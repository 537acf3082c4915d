//! Durable storage of chats and their messages.

use async_trait::async_trait;
use sybil_domain::{Chat, LlmCall, Message, ModelChoice, Timestamp};
use uuid::Uuid;

/// A storage failure, already translated from the driver's error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The database could not be reached in time (connect or acquire timeout,
    /// connection refused). Answered as 503.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Any other database failure. Answered as 500; the detail is only logged.
    #[error("storage error: {0}")]
    Internal(String),
}

/// A chat header with its whole transcript in creation order.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatWithMessages {
    pub chat: Chat,
    pub messages: Vec<Message>,
}

/// Chats and messages.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ChatRepository: Send + Sync {
    /// Stores a new chat and its initial messages atomically: either all of
    /// them are stored or none.
    ///
    /// # Errors
    /// `StorageError` when the database fails; nothing is stored then.
    async fn create_chat(&self, chat: &Chat, messages: &[Message]) -> Result<(), StorageError>;

    /// Every chat, most recently updated first.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn list_chats(&self) -> Result<Vec<Chat>, StorageError>;

    /// The chat with its messages in creation order, or `None` when unknown.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn load_chat(&self, id: Uuid) -> Result<Option<ChatWithMessages>, StorageError>;

    /// Sets the title (`None` clears it) and `updatedAt`; returns the updated
    /// chat, or `None` when unknown.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn rename_chat(
        &self,
        id: Uuid,
        title: Option<String>,
        now: Timestamp,
    ) -> Result<Option<Chat>, StorageError>;

    /// Deletes the chat and everything stored for it; `false` when unknown.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn delete_chat(&self, id: Uuid) -> Result<bool, StorageError>;

    /// Appends messages to the chat in the given order and sets its
    /// `updatedAt`, atomically. With `model_use`, also sets the chat's last
    /// used provider and model, and its initiating ones when it has none
    /// yet. Concurrent appends to one chat must all be kept, each writer's
    /// messages in its own order. Returns `false` (and stores nothing) when
    /// the chat is unknown.
    ///
    /// # Errors
    /// `StorageError` when the database fails; nothing is stored then.
    async fn append_messages(
        &self,
        chat_id: Uuid,
        messages: &[Message],
        model_use: Option<ModelChoice>,
        now: Timestamp,
    ) -> Result<bool, StorageError>;

    /// Appends the request's messages that are new to the chat, per the
    /// history rule (`sybil_domain::history::messages_to_store`: after the
    /// longest common prefix with the stored transcript, and not
    /// `assistant`), and sets `updatedAt` and the model use as
    /// `append_messages` does. The comparison and the append are one atomic
    /// step under the chat's lock, so identical requests sent at once, to
    /// one process or several, store the new messages once. Returns `false`
    /// (and stores nothing) when the chat is unknown.
    ///
    /// # Errors
    /// `StorageError` when the database fails; nothing is stored then.
    async fn append_new_messages(
        &self,
        chat_id: Uuid,
        provided: &[Message],
        model_use: Option<ModelChoice>,
        now: Timestamp,
    ) -> Result<bool, StorageError>;

    /// Answers when the database is reachable.
    ///
    /// # Errors
    /// `StorageError::Unavailable` when it is not.
    async fn ping(&self) -> Result<(), StorageError>;
}

/// The audit trail of provider calls (`llm_calls`).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait CallLog: Send + Sync {
    /// Stores one call record. Deleting its chat deletes it too; so a call
    /// whose chat is already deleted is not stored, and that is no error.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn record_call(&self, call: &LlmCall) -> Result<(), StorageError>;
}
