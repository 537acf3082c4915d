//! The completion engine: model calls, the tool loop, storing tool messages
//! and the answer, the `LlmCall` row, and the events of a streamed completion.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesOrdered;
use serde_json::{Value, json};
use sybil_domain::nul::{replace_nul, replace_nul_in_json_text};
use sybil_domain::tool_loop::{Step, limit_message, next_step, tool_message_metadata};
use sybil_domain::{CallStatus, LlmCall, Message, Provider, ReplyRef, Role, Usage};
use sybil_metrics::{CompletionMode, record_completion_overhead};
use sybil_ports::inbound::{CompletionError, CompletionEvent, CompletionOutcome, ToolCallEvent};
use sybil_ports::outbound::{
    CallLog, ChatRepository, Clock, IdGenerator, LlmError, LlmFailure, LlmProvider, LlmRequest,
    LlmResponse, LlmStreamEvent, RawJson, ToolCall, ToolRound,
};
use tokio::sync::mpsc::Sender;
use uuid::Uuid;

use crate::usecases::tools::ToolRunner;

/// A validated completion whose new messages are already stored. Passed
/// boxed: a stream's task holds it for the stream's whole life, and an
/// async fn keeps its argument and its own copy of it.
pub struct Prepared {
    pub chat_id: Option<Uuid>,
    /// The `/api` assistant reply it answers, recorded on its `LlmCall` row.
    pub reply: Option<ReplyRef>,
    pub provider: Arc<dyn LlmProvider>,
    pub provider_name: Provider,
    pub model: String,
    pub request: LlmRequest,
    /// How it is served, and when the use case received it: the overhead
    /// figure of every mode is taken from here, in `Engine::finish`.
    pub mode: CompletionMode,
    pub received: Instant,
}

/// A model's answer with each U+0000 of its text and tool calls replaced
/// (see `sybil_domain::nul`): where model output enters the core.
pub(crate) fn without_nul(mut response: LlmResponse) -> LlmResponse {
    response.text = replace_nul(response.text);
    for call in &mut response.tool_calls {
        call.id = replace_nul(std::mem::take(&mut call.id));
        call.name = replace_nul(std::mem::take(&mut call.name));
        call.arguments = replace_nul_in_json_text(std::mem::take(&mut call.arguments));
    }
    response
}

/// What the model calls of a completion came to, for its end.
struct Spent {
    started: Instant,
    rounds: u32,
    usage: Usage,
    request_id: Option<String>,
    /// Text of the last model call, kept if the client left during it.
    partial: String,
    /// Time spent waiting on the provider and the tools.
    waited: Duration,
}

/// Why a completion ended without an answer.
enum Stop {
    Failed(LlmError),
    /// The streaming client went away.
    Disconnected,
}

impl Stop {
    /// An upstream's error message is upstream text too.
    fn without_nul(self) -> Stop {
        match self {
            Stop::Failed(e) => Stop::Failed(LlmError {
                message: replace_nul(e.message),
                ..e
            }),
            other => other,
        }
    }
}

pub struct Engine {
    pub chats: Arc<dyn ChatRepository>,
    pub calls: Arc<dyn CallLog>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub tools: ToolRunner,
    pub max_rounds: u32,
}

/// Resolves when the streaming client is gone; never without a client.
async fn gone(sink: Option<&Sender<CompletionEvent>>) {
    match sink {
        Some(tx) => tx.closed().await,
        None => std::future::pending().await,
    }
}

/// Sends an event; `Err` when the client is gone.
async fn emit(sink: Option<&Sender<CompletionEvent>>, event: CompletionEvent) -> Result<(), Stop> {
    match sink {
        Some(tx) => tx.send(event).await.map_err(|_| Stop::Disconnected),
        None => Ok(()),
    }
}

impl Engine {
    /// Runs the completion to its end. With a sink the model is streamed and
    /// every event is sent (the caller sent `Meta`); the last one is `Done`
    /// or `Error`.
    pub async fn run(
        &self,
        mut prepared: Box<Prepared>,
        sink: Option<&Sender<CompletionEvent>>,
    ) -> Result<CompletionOutcome, CompletionError> {
        let started = Instant::now();
        // Taken, not copied: it grows with every tool round.
        let mut request = std::mem::take(&mut prepared.request);
        let mut usage = Usage::default();
        let mut request_id = None;
        // Text of the model call in progress, kept if the client leaves.
        let mut partial = String::new();
        let tools_on = !request.tools.is_empty();
        // Time spent waiting on the provider and the tools: what the gateway
        // does not cost (see the overhead figure).
        let mut waited = Duration::ZERO;
        let ended: Result<(String, RawJson), Stop> = loop {
            let call_started = Instant::now();
            let call = match sink {
                // Boxed, as the tool round below: a stream's task lives as
                // long as the stream, so it holds only the state in use.
                Some(_) => {
                    Box::pin(self.call_streaming(&prepared, &request, sink, &mut partial)).await
                }
                None => prepared
                    .provider
                    .complete(&request)
                    .await
                    .map_err(Stop::Failed),
            };
            waited += call_started.elapsed();
            let response = match call.map(without_nul).map_err(Stop::without_nul) {
                Ok(r) => r,
                Err(stop) => break Err(stop),
            };
            usage += response.usage;
            request_id = response.request_id.clone().or(request_id);
            let rounds_done = request.rounds.len() as u32;
            let asked = tools_on && !response.tool_calls.is_empty();
            match next_step(asked, rounds_done, self.max_rounds) {
                Step::Answer => break Ok((response.text, response.raw)),
                Step::LimitReached => break Ok((limit_message(self.max_rounds), response.raw)),
                Step::RunTools { round } => {
                    let tools_started = Instant::now();
                    let ran = Box::pin(self.run_round(
                        prepared.chat_id,
                        &response.tool_calls,
                        round,
                        sink,
                    ))
                    .await;
                    waited += tools_started.elapsed();
                    match ran {
                        Ok(outputs) => request.rounds.push(ToolRound {
                            response_id: response.response_id.clone(),
                            assistant_text: response.text,
                            calls: response.tool_calls,
                            outputs,
                        }),
                        Err(stop) => break Err(stop),
                    }
                }
            }
        };
        let spent = Spent {
            started,
            rounds: request.rounds.len() as u32,
            usage,
            request_id,
            partial,
            waited,
        };
        // Boxed: the model calls' state is gone by now, and a stream's task
        // should not be sized for both.
        Box::pin(self.finish(&prepared, ended, spent, sink)).await
    }

    /// Stores the answer (or the partial text of a stopped stream), records
    /// the call and sends the last event.
    async fn finish(
        &self,
        prepared: &Prepared,
        ended: Result<(String, RawJson), Stop>,
        spent: Spent,
        sink: Option<&Sender<CompletionEvent>>,
    ) -> Result<CompletionOutcome, CompletionError> {
        let Spent {
            started,
            rounds,
            usage,
            request_id,
            partial,
            waited,
        } = spent;
        let call = |status, error: Option<String>, usage: Option<Usage>| LlmCall {
            id: self.ids.new_id(),
            chat_id: prepared.chat_id,
            reply: prepared.reply,
            provider: prepared.provider_name,
            model: prepared.model.clone(),
            status,
            error,
            latency_ms: started.elapsed().as_millis() as i64,
            tool_rounds: rounds,
            usage,
            upstream_request_id: request_id.clone(),
            created_at: self.clock.now(),
        };
        match ended {
            Ok((content, raw)) => {
                let message_id = match self.store_answer(prepared.chat_id, &content, None).await {
                    Ok(id) => id,
                    Err(e) => {
                        // A stream must still end with one final event.
                        let message =
                            "storage unavailable: the answer could not be stored".to_string();
                        let _ = emit(sink, CompletionEvent::Error { message }).await;
                        return Err(e);
                    }
                };
                self.record(call(CallStatus::Ok, None, Some(usage))).await;
                // Measured before `done` is sent: a client that has read it
                // finds the figure in `/metrics`.
                let overhead_ms =
                    record_completion_overhead(prepared.mode, prepared.received.elapsed(), waited);
                let outcome = CompletionOutcome {
                    chat_id: prepared.chat_id,
                    provider: prepared.provider_name,
                    model: prepared.model.clone(),
                    content,
                    message_id,
                    usage,
                    raw,
                    stopped: false,
                    overhead_ms,
                };
                if sink.is_some() {
                    // Cloned only for a stream: `raw` can be large.
                    let _ = emit(sink, CompletionEvent::Done(Box::new(outcome.clone()))).await;
                }
                Ok(outcome)
            }
            Err(Stop::Failed(e)) => {
                self.record(call(CallStatus::Error, Some(e.message.clone()), None))
                    .await;
                let _ = emit(
                    sink,
                    CompletionEvent::Error {
                        message: e.provider.upstream_error_message(&e.message),
                    },
                )
                .await;
                Err(CompletionError::Upstream(e))
            }
            Err(Stop::Disconnected) => {
                tracing::info!("client disconnected; keeping the partial answer");
                let message_id = self
                    .store_stopped_answer(prepared.chat_id, &partial)
                    .await?;
                self.record(call(CallStatus::Stopped, None, Some(usage)))
                    .await;
                Ok(CompletionOutcome {
                    chat_id: prepared.chat_id,
                    provider: prepared.provider_name,
                    model: prepared.model.clone(),
                    content: partial,
                    message_id,
                    usage,
                    raw: RawJson::null(),
                    stopped: true,
                    overhead_ms: 0.0,
                })
            }
        }
    }

    /// One streamed model call: deltas forwarded as they arrive; the client
    /// leaving aborts the upstream call (the stream is dropped).
    async fn call_streaming(
        &self,
        prepared: &Prepared,
        request: &LlmRequest,
        sink: Option<&Sender<CompletionEvent>>,
        partial: &mut String,
    ) -> Result<LlmResponse, Stop> {
        partial.clear();
        let mut stream = tokio::select! {
            opened = prepared.provider.stream(request) => opened.map_err(Stop::Failed)?,
            _ = gone(sink) => return Err(Stop::Disconnected),
        };
        loop {
            let item = tokio::select! {
                item = stream.next() => item,
                _ = gone(sink) => return Err(Stop::Disconnected),
            };
            match item {
                Some(Ok(LlmStreamEvent::TextDelta(text))) => {
                    let text = replace_nul(text);
                    partial.push_str(&text);
                    emit(sink, CompletionEvent::Delta { text }).await?;
                }
                Some(Ok(LlmStreamEvent::Completed(response))) => return Ok(*response),
                Some(Err(e)) => return Err(Stop::Failed(e)),
                None => {
                    return Err(Stop::Failed(LlmError {
                        provider: prepared.provider_name,
                        failure: LlmFailure::Connection,
                        message: "the stream ended before the response completed".into(),
                    }));
                }
            }
        }
    }

    /// Runs a round's calls concurrently; stores each tool message and sends
    /// its event in the model's order, as soon as it and the earlier ones finished.
    async fn run_round(
        &self,
        chat_id: Option<Uuid>,
        calls: &[ToolCall],
        round: u32,
        sink: Option<&Sender<CompletionEvent>>,
    ) -> Result<Vec<String>, Stop> {
        let mut running: FuturesOrdered<_> = calls.iter().map(|c| self.tools.run(c)).collect();
        let mut outputs = Vec::with_capacity(calls.len());
        for call in calls {
            let outcome = tokio::select! {
                next = running.next() => match next {
                    Some(outcome) => outcome,
                    None => break,
                },
                _ = gone(sink) => return Err(Stop::Disconnected),
            };
            let metadata =
                tool_message_metadata(&call.id, &call.name, &call.arguments, &outcome, round);
            let message_id = match chat_id {
                Some(chat) => {
                    let message = Message {
                        id: self.ids.new_id(),
                        created_at: self.clock.now(),
                        role: Role::Tool,
                        content: outcome.output.clone(),
                        name: Some(call.name.clone()),
                        metadata: Some(metadata.clone()),
                    };
                    let id = message.id;
                    match self
                        .chats
                        .append_messages(chat, &[message], None, self.clock.now())
                        .await
                    {
                        Ok(true) => Some(id),
                        Ok(false) => None,
                        Err(e) => {
                            tracing::error!(error = %e, "could not store a tool message");
                            None
                        }
                    }
                }
                None => None,
            };
            let event = ToolCallEvent {
                message_id,
                tool_call_id: call.id.clone(),
                name: call.name.clone(),
                arguments: metadata["arguments"].clone(),
                status: outcome.status().to_string(),
                output: outcome.output.clone(),
                error: outcome.error.clone(),
                duration_ms: outcome.duration_ms,
                round,
            };
            emit(sink, CompletionEvent::ToolCall(Box::new(event))).await?;
            outputs.push(outcome.output);
        }
        Ok(outputs)
    }

    /// Stores the assistant message of a chat completion; its id, or `None`
    /// without a chat or when the chat was deleted meanwhile.
    async fn store_answer(
        &self,
        chat_id: Option<Uuid>,
        content: &str,
        metadata: Option<Value>,
    ) -> Result<Option<Uuid>, CompletionError> {
        let Some(chat) = chat_id else { return Ok(None) };
        let message = Message {
            id: self.ids.new_id(),
            created_at: self.clock.now(),
            role: Role::Assistant,
            content: content.to_string(),
            name: None,
            metadata,
        };
        let id = message.id;
        let kept = self
            .chats
            .append_messages(chat, &[message], None, self.clock.now())
            .await?;
        Ok(kept.then_some(id))
    }

    /// Stores the partial text of a stopped completion, marked so.
    pub(super) async fn store_stopped_answer(
        &self,
        chat_id: Option<Uuid>,
        partial: &str,
    ) -> Result<Option<Uuid>, CompletionError> {
        self.store_answer(chat_id, partial, Some(json!({ "stopped": true })))
            .await
    }

    /// Writes the `LlmCall` row. A failure is logged, not returned: the
    /// client's answer must not depend on the audit row.
    pub async fn record(&self, call: LlmCall) {
        if let Err(e) = self.calls.record_call(&call).await {
            tracing::error!(error = %e, "could not record the LLM call");
        }
    }
}
