//! The record written for every completion call, success or not.

use uuid::Uuid;

use crate::{Provider, Timestamp, Usage};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    Ok,
    Error,
    Stopped,
}

impl CallStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Ok => "ok",
            CallStatus::Error => "error",
            CallStatus::Stopped => "stopped",
        }
    }
}

/// The `/api` assistant reply a call was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyRef {
    pub conversation_id: Uuid,
    pub message_id: Uuid,
}

/// One row of `llm_calls`.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmCall {
    pub id: Uuid,
    pub chat_id: Option<Uuid>,
    /// Set instead of `chat_id` for an assistant reply.
    pub reply: Option<ReplyRef>,
    pub provider: Provider,
    pub model: String,
    pub status: CallStatus,
    /// The client-facing error message (keys already redacted).
    pub error: Option<String>,
    pub latency_ms: i64,
    pub tool_rounds: u32,
    pub usage: Option<Usage>,
    pub upstream_request_id: Option<String>,
    pub created_at: Timestamp,
}
