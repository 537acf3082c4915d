//! `POST /v1/chat-completions/stream`.

use std::sync::Arc;

use poem_openapi::{ApiResponse, OpenApi};
use sybil_ports::inbound::{CompletionUseCases, ResumableCompletions};

use super::ApiTags;
use crate::body::JsonBody;
use crate::dto::completions::CompletionRequest;
use crate::error::ApiError;
use crate::ratelimit::Limited;
use crate::sse::{PING_EVERY, SseBody};

pub struct StreamApi {
    completions: Arc<dyn CompletionUseCases>,
    resumable: Arc<dyn ResumableCompletions>,
}

impl StreamApi {
    pub fn new(
        completions: Arc<dyn CompletionUseCases>,
        resumable: Arc<dyn ResumableCompletions>,
    ) -> Self {
        StreamApi {
            completions,
            resumable,
        }
    }
}

#[derive(ApiResponse)]
enum StreamResponse {
    /// Server-Sent Events: `meta`, then `delta` and `tool_call` in order,
    /// then `done` or `error`; `: ping` after 15 s of quiet.
    #[oai(status = 200)]
    Events(SseBody),
}

#[OpenApi]
impl StreamApi {
    /// Stream a chat completion
    ///
    /// Same body and checks as `POST /v1/chat-completions`; a failure found
    /// before the provider is called answers JSON. If the client disconnects,
    /// the upstream call is aborted and the text so far is stored with
    /// `metadata.stopped = true`.
    #[oai(
        path = "/v1/chat-completions/stream",
        method = "post",
        tag = "ApiTags::Completions"
    )]
    async fn stream(
        &self,
        body: JsonBody<CompletionRequest>,
    ) -> Result<StreamResponse, Limited<ApiError>> {
        let (command, resumable) = body.0.into_command();
        if resumable {
            let events = self
                .resumable
                .start(command)
                .await
                .map_err(ApiError::from)?;
            return Ok(StreamResponse::Events(SseBody::recorded(
                events, PING_EVERY,
            )));
        }
        let events = self
            .completions
            .stream(command)
            .await
            .map_err(ApiError::from)?;
        Ok(StreamResponse::Events(SseBody::new(events, PING_EVERY)))
    }
}
