//! `POST /v1/chat-completions`, `GET /v1/models`, `POST /v1/chats/title/suggest`.

use std::sync::Arc;

use poem_openapi::{ApiResponse, OpenApi, payload::Json};
use sybil_domain::Provider;
use sybil_ports::inbound::{CompletionUseCases, ModelUseCases};

use super::ApiTags;
use crate::body::JsonBody;
use crate::dto::completions::{
    CompletionRequest, CompletionResponse, ModelProvidersBody, ModelsBody, ProviderModelsBody,
    SuggestTitleRequest,
};
use crate::dto::responses::{ChatEnvelope, ChatSummary};
use crate::error::ApiError;
use crate::json_reply::JsonReply;
use crate::overhead;
use crate::ratelimit::Limited;

pub struct CompletionsApi {
    completions: Arc<dyn CompletionUseCases>,
    models: Arc<dyn ModelUseCases>,
}

impl CompletionsApi {
    pub fn new(completions: Arc<dyn CompletionUseCases>, models: Arc<dyn ModelUseCases>) -> Self {
        CompletionsApi {
            completions,
            models,
        }
    }
}

#[derive(ApiResponse)]
enum Completed {
    /// The answer. `x-sybil-overhead-ms` is the time Sybil itself took: the
    /// handler's total time minus the time spent waiting on upstream model
    /// calls and tools.
    #[oai(status = 200)]
    Ok(
        JsonReply<CompletionResponse>,
        #[oai(header = "x-sybil-overhead-ms")] String,
    ),
}

#[OpenApi]
impl CompletionsApi {
    /// Run a chat completion
    ///
    /// One request shape for OpenAI, Anthropic and xAI. With `chatId`, the
    /// history's new non-assistant messages are stored before the provider
    /// is called and the answer after.
    #[oai(
        path = "/v1/chat-completions",
        method = "post",
        tag = "ApiTags::Completions"
    )]
    async fn complete(
        &self,
        body: JsonBody<CompletionRequest>,
    ) -> Result<Completed, Limited<ApiError>> {
        let (command, _) = body.0.into_command();
        let outcome = self
            .completions
            .complete(command)
            .await
            .map_err(ApiError::from)?;
        let overhead = overhead::header_value(&outcome);
        Ok(Completed::Ok(JsonReply(outcome.into()), overhead))
    }

    /// List models
    ///
    /// Per provider: the live list (cached, refreshed in the background) or
    /// the fallback list with `error` set.
    #[oai(path = "/v1/models", method = "get", tag = "ApiTags::Models")]
    async fn models(&self) -> Result<Json<ModelsBody>, ApiError> {
        let mut lists = self.models.list_models().await;
        let mut take = |p: Provider| -> ProviderModelsBody {
            let i = lists.iter().position(|l| l.provider == p);
            i.map(|i| lists.swap_remove(i).into())
                .unwrap_or(ProviderModelsBody {
                    models: Vec::new(),
                    loaded_at: None,
                    error: Some("no model list".into()),
                })
        };
        Ok(Json(ModelsBody {
            providers: ModelProvidersBody {
                openai: take(Provider::OpenAi),
                anthropic: take(Provider::Anthropic),
                xai: take(Provider::Xai),
            },
        }))
    }

    /// Suggest a chat title
    ///
    /// A chat with a title is returned unchanged. Otherwise OpenAI
    /// `gpt-4.1-mini` writes a title of about four words from `content`;
    /// it is stored and the chat returned.
    #[oai(
        path = "/v1/chats/title/suggest",
        method = "post",
        tag = "ApiTags::Chats"
    )]
    async fn suggest_title(
        &self,
        body: JsonBody<SuggestTitleRequest>,
    ) -> Result<Json<ChatEnvelope>, Limited<ApiError>> {
        let chat = self
            .completions
            .suggest_title(&body.0.chat_id, &body.0.content)
            .await
            .map_err(ApiError::from)?;
        Ok(Json(ChatEnvelope {
            chat: ChatSummary::from(&chat),
        }))
    }
}
