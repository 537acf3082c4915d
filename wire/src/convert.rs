//! A use case's stream event in its wire form, and back: the way out moves
//! the text (no copy per delta); the way back reads a recorded event.

use sybil_ports::inbound::{CompletionEvent, CompletionOutcome, StreamMeta, ToolCallEvent};
use sybil_ports::outbound::RawJson;
use uuid::Uuid;

use crate::events::{
    DeltaEvent, DoneEvent, DoneMessage, ErrorEvent, MetaEvent, StoppedMetadata, StreamEvent,
    ToolCallEventBody,
};
use crate::shared::{RoleName, provider_name};

fn id_text(id: Option<Uuid>) -> Option<String> {
    id.map(|id| id.to_string())
}

fn parse_id(id: Option<String>) -> Result<Option<Uuid>, String> {
    id.map(|id| Uuid::parse_str(&id).map_err(|e| format!("id {id:?}: {e}")))
        .transpose()
}

impl From<CompletionEvent> for StreamEvent {
    fn from(event: CompletionEvent) -> Self {
        match event {
            CompletionEvent::Meta(meta) => StreamEvent::Meta(MetaEvent {
                chat_id: id_text(meta.chat_id),
                completion_id: id_text(meta.completion_id),
                model: meta.model,
                provider: provider_name(meta.provider),
            }),
            CompletionEvent::Delta { text } => StreamEvent::Delta(DeltaEvent { text }),
            CompletionEvent::ToolCall(t) => StreamEvent::ToolCall(ToolCallEventBody {
                arguments: t.arguments,
                duration_ms: t.duration_ms,
                error: t.error,
                message_id: id_text(t.message_id),
                name: t.name,
                output: t.output,
                round: t.round,
                status: t.status,
                tool_call_id: t.tool_call_id,
            }),
            CompletionEvent::Done(o) => StreamEvent::Done(DoneEvent {
                chat_id: id_text(o.chat_id),
                message: DoneMessage {
                    content: o.content,
                    // As the stored message has it.
                    metadata: o.stopped.then_some(StoppedMetadata { stopped: true }),
                    role: RoleName::Assistant,
                },
                message_id: id_text(o.message_id),
                model: o.model,
                provider: provider_name(o.provider),
                usage: o.usage.into(),
            }),
            CompletionEvent::Error { message } => StreamEvent::Error(ErrorEvent { message }),
        }
    }
}

/// The event a recorded one was made from, up to what the wire does not
/// carry: a `done` has no provider body (`null`) and no wait time.
impl TryFrom<StreamEvent> for CompletionEvent {
    type Error = String;

    fn try_from(event: StreamEvent) -> Result<Self, String> {
        Ok(match event {
            StreamEvent::Meta(m) => CompletionEvent::Meta(Box::new(StreamMeta {
                chat_id: parse_id(m.chat_id)?,
                provider: m.provider.domain(),
                model: m.model,
                completion_id: parse_id(m.completion_id)?,
            })),
            StreamEvent::Delta(d) => CompletionEvent::Delta { text: d.text },
            StreamEvent::ToolCall(t) => CompletionEvent::ToolCall(Box::new(ToolCallEvent {
                message_id: parse_id(t.message_id)?,
                tool_call_id: t.tool_call_id,
                name: t.name,
                arguments: t.arguments,
                status: t.status,
                output: t.output,
                error: t.error,
                duration_ms: t.duration_ms,
                round: t.round,
            })),
            StreamEvent::Done(d) => CompletionEvent::Done(Box::new(CompletionOutcome {
                chat_id: parse_id(d.chat_id)?,
                provider: d.provider.domain(),
                model: d.model,
                content: d.message.content,
                message_id: parse_id(d.message_id)?,
                usage: d.usage.into(),
                raw: RawJson::null(),
                stopped: d.message.metadata.is_some_and(|m| m.stopped),
                overhead_ms: 0.0,
            })),
            StreamEvent::Error(e) => CompletionEvent::Error { message: e.message },
        })
    }
}

#[cfg(test)]
mod tests;
