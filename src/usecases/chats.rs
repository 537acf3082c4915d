//! The chat and message use cases.

use std::sync::Arc;

use async_trait::async_trait;
use sybil_domain::chat::model_choice;
use sybil_domain::message::validate_message;
use sybil_domain::{Chat, Message, MessageInput, chat::normalize_title};
use sybil_ports::inbound::{ChatError, ChatUseCases, CreateChat};
use sybil_ports::outbound::{ChatRepository, ChatWithMessages, Clock, IdGenerator};
use uuid::Uuid;

/// Implements `ChatUseCases` over storage, a clock and an id generator.
pub struct ChatService {
    repo: Arc<dyn ChatRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl ChatService {
    pub fn new(
        repo: Arc<dyn ChatRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        ChatService { repo, clock, ids }
    }

    /// Validates client messages (paths `messages[i]`, or empty for a whole body) and gives
    /// them ids and one creation time.
    fn accept_messages(
        &self,
        inputs: &[(String, MessageInput)],
    ) -> Result<Vec<Message>, ChatError> {
        let now = self.clock.now();
        let mut new_attachment_id = || self.ids.new_id().to_string();
        inputs
            .iter()
            .map(|(path, input)| {
                validate_message(path, input, &mut new_attachment_id)
                    .map(|valid| valid.into_message(self.ids.new_id(), now))
                    .map_err(|e| ChatError::Invalid(e.to_string()))
            })
            .collect()
    }
}

/// A path id that is not a UUID names no chat.
fn parse_id(id: &str) -> Result<Uuid, ChatError> {
    Uuid::parse_str(id).map_err(|_| ChatError::NotFound)
}

#[async_trait]
impl ChatUseCases for ChatService {
    #[tracing::instrument(skip(self))]
    async fn list_chats(&self) -> Result<Vec<Chat>, ChatError> {
        Ok(self.repo.list_chats().await?)
    }

    #[tracing::instrument(skip_all)]
    async fn create_chat(&self, request: CreateChat) -> Result<Chat, ChatError> {
        let choice = model_choice(request.provider.as_deref(), request.model.as_deref())
            .map_err(|e| ChatError::Invalid(e.to_string()))?;
        let inputs: Vec<_> = request
            .messages
            .into_iter()
            .enumerate()
            .map(|(i, m)| (format!("messages[{i}]"), m))
            .collect();
        let messages = self.accept_messages(&inputs)?;
        let chat = Chat::new(self.ids.new_id(), request.title, choice, self.clock.now());
        self.repo.create_chat(&chat, &messages).await?;
        Ok(chat)
    }

    #[tracing::instrument(skip(self))]
    async fn get_chat(&self, id: &str) -> Result<ChatWithMessages, ChatError> {
        self.repo
            .load_chat(parse_id(id)?)
            .await?
            .ok_or(ChatError::NotFound)
    }

    #[tracing::instrument(skip(self, title))]
    async fn rename_chat(&self, id: &str, title: Option<String>) -> Result<Chat, ChatError> {
        let id = parse_id(id)?;
        self.repo
            .rename_chat(id, normalize_title(title), self.clock.now())
            .await?
            .ok_or(ChatError::NotFound)
    }

    #[tracing::instrument(skip(self))]
    async fn delete_chat(&self, id: &str) -> Result<(), ChatError> {
        match self.repo.delete_chat(parse_id(id)?).await? {
            true => Ok(()),
            false => Err(ChatError::NotFound),
        }
    }

    #[tracing::instrument(skip(self, message))]
    async fn add_message(
        &self,
        chat_id: &str,
        message: MessageInput,
    ) -> Result<Message, ChatError> {
        let id = parse_id(chat_id)?;
        let mut messages = self.accept_messages(&[(String::new(), message)])?;
        let now = self.clock.now();
        if !self.repo.append_messages(id, &messages, None, now).await? {
            return Err(ChatError::NotFound);
        }
        Ok(messages.remove(0))
    }
}

#[cfg(test)]
mod tests;
