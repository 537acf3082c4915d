//! Resumable completions: replay and follow a job's events, and stop it.

use std::sync::Arc;

use poem_openapi::param::{Header, Path, Query};
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use sybil_ports::inbound::ResumableCompletions;

use super::ApiTags;
use crate::error::ApiError;
use crate::sse::{PING_EVERY, SseBody};

pub struct ResumableApi {
    resumable: Arc<dyn ResumableCompletions>,
}

impl ResumableApi {
    pub fn new(resumable: Arc<dyn ResumableCompletions>) -> Self {
        ResumableApi { resumable }
    }
}

#[derive(ApiResponse)]
enum EventsResponse {
    /// The job's events after the given id (same ids as first sent), then
    /// live ones until `done` or `error`.
    #[oai(status = 200)]
    Events(SseBody),
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "StopResult")]
struct StopBody {
    /// `true` when the job was running and is now stopped; `false` when it
    /// had already finished (nothing changed).
    stopped: bool,
}

#[OpenApi(tag = "ApiTags::Completions")]
impl ResumableApi {
    /// Follow a resumable completion
    ///
    /// Replays the events after `Last-Event-ID` (or `after`), then follows
    /// the job live until it ends; a finished job's events are replayed and
    /// the stream closes.
    #[oai(path = "/v1/chat-completions/:completionId/events", method = "get")]
    async fn events(
        &self,
        #[oai(name = "completionId")] id: Path<String>,
        #[oai(name = "Last-Event-ID")] last_event_id: Header<Option<String>>,
        after: Query<Option<u64>>,
    ) -> Result<EventsResponse, ApiError> {
        let from_header = last_event_id
            .0
            .as_deref()
            .and_then(|v| v.trim().parse::<u64>().ok());
        let after = from_header.or(after.0).unwrap_or(0);
        let events = self.resumable.follow(&id.0, after).await?;
        Ok(EventsResponse::Events(SseBody::recorded(
            events, PING_EVERY,
        )))
    }

    /// Stop a resumable completion
    ///
    /// Aborts the upstream call and any running tool, stores the partial
    /// text with `metadata.stopped = true`, and ends the job's stream with
    /// `done`. A finished job answers `stopped: false` and does not change.
    #[oai(path = "/v1/chat-completions/:completionId/stop", method = "post")]
    async fn stop(
        &self,
        #[oai(name = "completionId")] id: Path<String>,
    ) -> Result<Json<StopBody>, ApiError> {
        let stopped = self.resumable.stop(&id.0).await?;
        Ok(Json(StopBody { stopped }))
    }
}
