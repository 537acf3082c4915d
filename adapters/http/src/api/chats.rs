//! The chat and message routes.

use std::sync::Arc;

use poem_openapi::param::Path;
use poem_openapi::{ApiResponse, OpenApi, payload::Json};
use sybil_ports::inbound::{ChatUseCases, CreateChat};

use super::ApiTags;
use crate::body::JsonBody;
use crate::dto::requests::{CreateChatRequest, NewMessageRequest, RenameChatRequest};
use crate::dto::responses::{
    ChatDetailEnvelope, ChatEnvelope, ChatList, ChatSummary, DeletedBody, MessageEnvelope,
};
use crate::error::ApiError;

pub struct ChatsApi {
    chats: Arc<dyn ChatUseCases>,
}

impl ChatsApi {
    pub fn new(chats: Arc<dyn ChatUseCases>) -> Self {
        ChatsApi { chats }
    }
}

#[derive(ApiResponse)]
enum ChatCreated {
    /// The chat was created.
    #[oai(status = 201)]
    Created(Json<ChatEnvelope>),
}

#[derive(ApiResponse)]
enum MessageCreated {
    /// The message was stored.
    #[oai(status = 201)]
    Created(Json<MessageEnvelope>),
}

type ApiResult<T> = Result<T, ApiError>;

#[OpenApi(tag = "ApiTags::Chats")]
impl ChatsApi {
    /// List chats
    ///
    /// Every chat, most recently updated first.
    #[oai(path = "/v1/chats", method = "get")]
    async fn list_chats(&self) -> ApiResult<Json<ChatList>> {
        let chats = self.chats.list_chats().await?;
        Ok(Json(ChatList {
            chats: chats.iter().map(ChatSummary::from).collect(),
        }))
    }

    /// Create a chat
    ///
    /// Optionally with a title, a provider and model (together), and an
    /// initial transcript whose attachments follow the attachment rules.
    #[oai(path = "/v1/chats", method = "post")]
    async fn create_chat(&self, body: JsonBody<CreateChatRequest>) -> ApiResult<ChatCreated> {
        let body = body.0;
        let chat = self
            .chats
            .create_chat(CreateChat {
                title: body.title,
                provider: body.provider.map(|p| p.as_str().to_string()),
                model: body.model,
                messages: body
                    .messages
                    .unwrap_or_default()
                    .into_iter()
                    .map(Into::into)
                    .collect(),
            })
            .await?;
        Ok(ChatCreated::Created(Json(ChatEnvelope {
            chat: ChatSummary::from(&chat),
        })))
    }

    /// Get a chat
    ///
    /// The chat with its messages in creation order.
    #[oai(path = "/v1/chats/:chatId", method = "get")]
    async fn get_chat(
        &self,
        #[oai(name = "chatId")] chat_id: Path<String>,
    ) -> ApiResult<Json<ChatDetailEnvelope>> {
        let chat = self.chats.get_chat(&chat_id.0).await?;
        Ok(Json(ChatDetailEnvelope { chat: chat.into() }))
    }

    /// Rename a chat
    ///
    /// An empty title clears it.
    #[oai(path = "/v1/chats/:chatId", method = "patch")]
    async fn rename_chat(
        &self,
        #[oai(name = "chatId")] chat_id: Path<String>,
        body: JsonBody<RenameChatRequest>,
    ) -> ApiResult<Json<ChatEnvelope>> {
        let chat = self
            .chats
            .rename_chat(&chat_id.0, Some(body.0.title))
            .await?;
        Ok(Json(ChatEnvelope {
            chat: ChatSummary::from(&chat),
        }))
    }

    /// Delete a chat
    ///
    /// Deletes the chat, its messages and its call records.
    #[oai(path = "/v1/chats/:chatId", method = "delete")]
    async fn delete_chat(
        &self,
        #[oai(name = "chatId")] chat_id: Path<String>,
    ) -> ApiResult<Json<DeletedBody>> {
        self.chats.delete_chat(&chat_id.0).await?;
        Ok(Json(DeletedBody { deleted: true }))
    }

    /// Add a message
    ///
    /// Appends one message to the transcript; attachments are merged into
    /// `metadata.attachments`. Tool messages cannot have attachments.
    #[oai(path = "/v1/chats/:chatId/messages", method = "post")]
    async fn add_message(
        &self,
        #[oai(name = "chatId")] chat_id: Path<String>,
        body: JsonBody<NewMessageRequest>,
    ) -> ApiResult<MessageCreated> {
        let message = self.chats.add_message(&chat_id.0, body.0.into()).await?;
        Ok(MessageCreated::Created(Json(MessageEnvelope {
            message: message.into(),
        })))
    }
}
