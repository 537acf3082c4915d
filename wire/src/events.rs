//! The Server-Sent Events of `POST /v1/chat-completions/stream` and of a
//! resumable completion's replay: the `data:` of each event, by event name.

use poem_openapi::{Object, Union};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::shared::{ProviderName, RoleName, UsageBody};

/// `event: meta`, first.
#[derive(Debug, Clone, PartialEq, Object, Deserialize, Serialize)]
#[oai(rename = "MetaEvent", rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct MetaEvent {
    #[oai(nullable)]
    pub chat_id: Option<String>,
    /// The id to follow (`GET /v1/chat-completions/{completionId}/events`)
    /// and stop the completion by; only a resumable completion has one.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_id: Option<String>,
    pub model: String,
    pub provider: ProviderName,
}

/// `event: delta`, text as the upstream produces it.
#[derive(Debug, Clone, PartialEq, Object, Deserialize, Serialize)]
#[oai(rename = "DeltaEvent")]
pub struct DeltaEvent {
    pub text: String,
}

/// `event: tool_call`, sent when the tool finished, after its message was stored.
#[derive(Debug, Clone, PartialEq, Object, Deserialize, Serialize)]
#[oai(rename = "ToolCallEvent", rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct ToolCallEventBody {
    pub arguments: Value,
    pub duration_ms: u64,
    #[oai(nullable)]
    pub error: Option<String>,
    #[oai(nullable)]
    pub message_id: Option<String>,
    pub name: String,
    pub output: String,
    pub round: u32,
    /// `completed` or `failed`.
    pub status: String,
    pub tool_call_id: String,
}

/// `event: done`, last on success.
#[derive(Debug, Clone, PartialEq, Object, Deserialize, Serialize)]
#[oai(rename = "DoneEvent", rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct DoneEvent {
    #[oai(nullable)]
    pub chat_id: Option<String>,
    pub message: DoneMessage,
    #[oai(nullable)]
    pub message_id: Option<String>,
    pub model: String,
    pub provider: ProviderName,
    pub usage: UsageBody,
}

/// The assistant message of `done`, as stored.
#[derive(Debug, Clone, PartialEq, Object, Deserialize, Serialize)]
#[oai(rename = "DoneMessage")]
pub struct DoneMessage {
    pub content: String,
    /// Present only when the completion was stopped (its content is the
    /// text so far).
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<StoppedMetadata>,
    /// Always `assistant`.
    pub role: RoleName,
}

/// The `metadata` of a stopped completion's message.
#[derive(Debug, Clone, PartialEq, Object, Deserialize, Serialize)]
#[oai(rename = "StoppedMetadata")]
pub struct StoppedMetadata {
    /// Always `true`.
    pub stopped: bool,
}

/// `event: error`, last on failure.
#[derive(Debug, Clone, PartialEq, Object, Deserialize, Serialize)]
#[oai(rename = "ErrorEvent")]
pub struct ErrorEvent {
    pub message: String,
}

/// The `data:` of each event, by event name.
#[derive(Debug, Clone, PartialEq, Union, Serialize)]
#[oai(rename = "StreamEvent")]
#[serde(untagged)]
pub enum StreamEvent {
    Meta(MetaEvent),
    Delta(DeltaEvent),
    ToolCall(ToolCallEventBody),
    Done(DoneEvent),
    Error(ErrorEvent),
}

impl StreamEvent {
    /// The SSE `event:` name.
    pub fn event_name(&self) -> &'static str {
        match self {
            StreamEvent::Meta(_) => "meta",
            StreamEvent::Delta(_) => "delta",
            StreamEvent::ToolCall(_) => "tool_call",
            StreamEvent::Done(_) => "done",
            StreamEvent::Error(_) => "error",
        }
    }

    /// An event read back from its name and `data:`, as recorded.
    ///
    /// # Errors
    /// An unknown name, or `data` that is not that event's shape.
    pub fn from_parts(name: &str, data: Value) -> Result<StreamEvent, String> {
        fn read<T: DeserializeOwned>(name: &str, data: Value) -> Result<T, String> {
            serde_json::from_value(data).map_err(|e| format!("event {name}: {e}"))
        }
        Ok(match name {
            "meta" => StreamEvent::Meta(read(name, data)?),
            "delta" => StreamEvent::Delta(read(name, data)?),
            "tool_call" => StreamEvent::ToolCall(read(name, data)?),
            "done" => StreamEvent::Done(read(name, data)?),
            "error" => StreamEvent::Error(read(name, data)?),
            other => return Err(format!("unknown event {other:?}")),
        })
    }
}
