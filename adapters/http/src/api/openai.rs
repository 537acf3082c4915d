//! `GET /openai/v1/models` and `POST /openai/v1/chat/completions`: OpenAI's
//! wire format over the same use cases as `/v1`, so OpenAI SDKs work as is.

use std::sync::Arc;

use poem::{IntoResponse, Response};
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, OpenApi};
use sybil_ports::inbound::{CompletionUseCases, ModelUseCases};

use super::ApiTags;
use crate::body::JsonBody;
use crate::dto::openai_request::OpenAiChatRequest;
use crate::dto::openai_response::{
    OpenAiAssistantMessage, OpenAiChoice, OpenAiChunk, OpenAiCompletion, OpenAiModel,
    OpenAiModelList, OpenAiUsage,
};
use crate::openai::convert::to_call;
use crate::openai::errors::OpenAiError;
use crate::openai::stream::Chunks;
use crate::overhead;
use crate::ratelimit::Limited;
use crate::sse::{PING_EVERY, SseBody};

pub struct OpenAiApi {
    completions: Arc<dyn CompletionUseCases>,
    models: Arc<dyn ModelUseCases>,
}

impl OpenAiApi {
    pub fn new(completions: Arc<dyn CompletionUseCases>, models: Arc<dyn ModelUseCases>) -> Self {
        OpenAiApi {
            completions,
            models,
        }
    }
}

/// A completion as JSON with its `x-sybil-overhead-ms` header, or as chunk
/// events when the request said `stream`.
pub enum CompletionAnswer {
    Whole(Json<OpenAiCompletion>, String),
    Stream(SseBody<OpenAiChunk>),
}

const OVERHEAD_HEADER: &str = "x-sybil-overhead-ms";

impl ApiResponse for CompletionAnswer {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "A `chat.completion` object; with `stream: true`, \
                              `chat.completion.chunk` events ending `data: [DONE]`.",
                status: Some(200),
                status_range: None,
                content: vec![
                    MetaMediaType {
                        content_type: Json::<OpenAiCompletion>::CONTENT_TYPE,
                        schema: Json::<OpenAiCompletion>::schema_ref(),
                    },
                    MetaMediaType {
                        content_type: SseBody::<OpenAiChunk>::CONTENT_TYPE,
                        schema: SseBody::<OpenAiChunk>::schema_ref(),
                    },
                ],
                headers: vec![MetaHeader {
                    name: OVERHEAD_HEADER.into(),
                    description: Some(
                        "On a whole answer: the time Sybil itself took, in milliseconds \
                         (total minus waiting on upstream model calls and tools)."
                            .into(),
                    ),
                    required: false,
                    deprecated: false,
                    schema: String::schema_ref(),
                }],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        <Json<OpenAiCompletion> as Payload>::register(registry);
        <SseBody<OpenAiChunk> as Payload>::register(registry);
    }
}

impl IntoResponse for CompletionAnswer {
    fn into_response(self) -> Response {
        match self {
            CompletionAnswer::Whole(json, overhead) => {
                json.with_header(OVERHEAD_HEADER, overhead).into_response()
            }
            CompletionAnswer::Stream(sse) => sse.into_response(),
        }
    }
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

#[OpenApi]
impl OpenAiApi {
    /// List models (OpenAI-compatible)
    ///
    /// Every provider's models, with ids written `<provider>/<model>`.
    #[oai(path = "/openai/v1/models", method = "get", tag = "ApiTags::OpenAi")]
    async fn models(&self) -> Result<Json<OpenAiModelList>, OpenAiError> {
        let data = self
            .models
            .list_models()
            .await
            .into_iter()
            .flat_map(|list| {
                let created = list.loaded_at.map_or(0, |t| t.millis() / 1000);
                list.models.into_iter().map(move |model| OpenAiModel {
                    id: format!("{}/{model}", list.provider),
                    object: "model".into(),
                    created,
                    owned_by: list.provider.as_str().into(),
                })
            })
            .collect();
        Ok(Json(OpenAiModelList {
            object: "list".into(),
            data,
        }))
    }

    /// Create a chat completion (OpenAI-compatible)
    ///
    /// OpenAI's Chat Completions request and answer, whole or streamed,
    /// routed to the provider named in `model` (`<provider>/<model>`) and run
    /// like `POST /v1/chat-completions` (server-side tools included). Nothing
    /// is stored in a chat. Errors use OpenAI's error envelope.
    #[oai(
        path = "/openai/v1/chat/completions",
        method = "post",
        tag = "ApiTags::OpenAi"
    )]
    async fn chat_completions(
        &self,
        body: JsonBody<OpenAiChatRequest>,
    ) -> Result<CompletionAnswer, Limited<OpenAiError>> {
        let call = to_call(body.0)?;
        let id = format!("chatcmpl-{}", uuid::Uuid::now_v7().simple());
        let created = now_secs();
        if call.stream {
            let events = self
                .completions
                .stream(call.command)
                .await
                .map_err(OpenAiError::from)?;
            let mut chunks = Chunks::new(id, created, call.model, call.include_usage);
            let body = SseBody::framed(events, PING_EVERY, move |e, out| chunks.write(e, out));
            return Ok(CompletionAnswer::Stream(body));
        }
        let outcome = self
            .completions
            .complete(call.command)
            .await
            .map_err(OpenAiError::from)?;
        let overhead = overhead::header_value(&outcome);
        let completion = OpenAiCompletion {
            id,
            object: "chat.completion".into(),
            created,
            model: call.model,
            choices: vec![OpenAiChoice {
                index: 0,
                message: OpenAiAssistantMessage {
                    role: "assistant".into(),
                    content: outcome.content,
                },
                finish_reason: "stop".into(),
            }],
            usage: OpenAiUsage {
                prompt_tokens: outcome.usage.input_tokens,
                completion_tokens: outcome.usage.output_tokens,
                total_tokens: outcome.usage.total_tokens,
            },
        };
        Ok(CompletionAnswer::Whole(Json(completion), overhead))
    }
}
