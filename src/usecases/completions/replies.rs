//! Assistant replies of `/api` threads on the completion engine: the same
//! providers, instruction, tools and tool loop as `/v1`, streamed into the
//! reply's chunks. Each runs in a task of its own that no request holds,
//! as a resumable job does, and stops the way one does: its event channel
//! closed, so the engine aborts the upstream call or the running tool and
//! keeps the partial text.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use async_trait::async_trait;
use sybil_domain::completion::SYSTEM_INSTRUCTION;
use sybil_domain::conversation::model::{MessageRole, ReplyError, ReplyStatus, ThreadMessage};
use sybil_domain::{Provider, ReplyRef, Timestamp, Usage};
use sybil_metrics::CompletionMode;
use sybil_ports::inbound::{CompletionError, CompletionEvent};
use sybil_ports::outbound::{
    ConversationStore, FinishReason, LlmRequest, PromptMessage, PromptRole, ReplyEnd, StorageError,
    ToolSpec, Topic, Wakeups,
};
use tokio::sync::{Notify, mpsc, watch};
use uuid::Uuid;

use super::STREAM_BUFFER;
use super::engine::{Engine, Prepared};
use crate::usecases::conversations::ReplyRunner;
use crate::usecases::providers::Providers;

/// Separates the text of a model call after a tool round from earlier text.
const ROUND_BREAK: &str = "\n\n";

struct Running {
    stop: Arc<Notify>,
    ended: watch::Receiver<bool>,
}

struct Inner {
    engine: Arc<Engine>,
    providers: Providers,
    tool_specs: Arc<[ToolSpec]>,
    store: Arc<dyn ConversationStore>,
    wakeups: Arc<dyn Wakeups>,
    live: Mutex<HashMap<Uuid, Running>>,
}

impl Inner {
    fn live(&self) -> MutexGuard<'_, HashMap<Uuid, Running>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `ReplyRunner` on the engine of `CompletionService`.
pub struct ThreadReplies(Arc<Inner>);

impl ThreadReplies {
    pub(super) fn new(
        engine: Arc<Engine>,
        providers: Providers,
        tool_specs: Arc<[ToolSpec]>,
        store: Arc<dyn ConversationStore>,
        wakeups: Arc<dyn Wakeups>,
    ) -> ThreadReplies {
        ThreadReplies(Arc::new(Inner {
            engine,
            providers,
            tool_specs,
            store,
            wakeups,
            live: Mutex::default(),
        }))
    }
}

#[async_trait]
impl ReplyRunner for ThreadReplies {
    fn configured(&self, provider: Provider) -> bool {
        self.0.providers.get(provider).is_some()
    }

    fn run(&self, reply: ThreadMessage) {
        let stop = Arc::new(Notify::new());
        let (ended_tx, ended) = watch::channel(false);
        self.0.live().insert(
            reply.id,
            Running {
                stop: stop.clone(),
                ended,
            },
        );
        let inner = self.0.clone();
        let span = tracing::info_span!("assistant_reply", reply = %reply.id);
        tokio::spawn(tracing::Instrument::instrument(
            async move {
                let id = reply.id;
                let end = run_reply(&inner, &reply, stop).await;
                if let Err(e) = inner.store.finish_reply(&reply, end).await {
                    tracing::error!(error = %e, "could not end the assistant reply");
                }
                inner.live().remove(&id);
                let _ = ended_tx.send(true);
            },
            span,
        ));
    }

    async fn stop(&self, reply: Uuid) -> bool {
        let running = self
            .0
            .live()
            .get(&reply)
            .map(|r| (r.stop.clone(), r.ended.clone()));
        let Some((stop, mut ended)) = running else {
            return false;
        };
        stop.notify_one();
        // Closed (`Err`) also means it ended.
        let _ = ended.wait_for(|ended| *ended).await;
        true
    }
}

/// The thread's ancestry as the prompt: deleted messages and empty replies
/// left out.
fn prompt(history: &[ThreadMessage]) -> Vec<PromptMessage> {
    history
        .iter()
        .filter(|m| m.deleted_at.is_none() && !m.content.is_empty())
        .map(|m| PromptMessage {
            role: match m.role {
                MessageRole::System => PromptRole::System,
                MessageRole::User => PromptRole::User,
                MessageRole::Assistant => PromptRole::Assistant,
            },
            content: m.content.clone(),
            attachments: Vec::new(),
        })
        .collect()
}

/// The ends below are dated by `run_reply`, when the run is over.
const UNDATED: Timestamp = Timestamp(0);

fn ended(status: ReplyStatus, finish_reason: FinishReason, usage: Usage) -> ReplyEnd {
    ReplyEnd {
        status,
        finish_reason,
        error: None,
        usage: Some(usage),
        now: UNDATED,
    }
}

fn failed(error: ReplyError) -> ReplyEnd {
    ReplyEnd {
        status: ReplyStatus::Error,
        finish_reason: FinishReason::Error,
        error: Some(error),
        usage: None,
        now: UNDATED,
    }
}

/// The reply's text as it arrives: chunks numbered from 0, a break
/// between the text of successive model calls.
struct Chunks<'a> {
    store: &'a dyn ConversationStore,
    reply: &'a ThreadMessage,
    next: u64,
    /// Text of the model call in progress.
    round: String,
    after_tools: bool,
}

/// Why the reply's text could not be stored.
enum Lost {
    Storage(StorageError),
    /// Another process ended the reply (it took this one for dead).
    Ended,
}

impl Lost {
    fn end(self) -> ReplyEnd {
        match self {
            Lost::Storage(e) => failed(ReplyError::upstream(format!("storage unavailable: {e}"))),
            // Its end is recorded already; this one will not be.
            Lost::Ended => failed(ReplyError::interrupted()),
        }
    }
}

impl Chunks<'_> {
    async fn push(&mut self, text: &str, now: Timestamp) -> Result<(), Lost> {
        if text.is_empty() {
            return Ok(());
        }
        if self.after_tools {
            self.after_tools = false;
            if self.next > 0 {
                self.append(ROUND_BREAK, now).await?;
            }
        }
        self.round.push_str(text);
        self.append(text, now).await
    }

    async fn append(&mut self, text: &str, now: Timestamp) -> Result<(), Lost> {
        match self
            .store
            .append_reply_text(self.reply, self.next, text, now)
            .await
        {
            Ok(true) => {
                self.next += 1;
                Ok(())
            }
            Ok(false) => Err(Lost::Ended),
            Err(e) => Err(Lost::Storage(e)),
        }
    }

    fn tool_round(&mut self) {
        self.after_tools = true;
        self.round.clear();
    }
}

/// Runs the reply to its end; how it ended.
async fn run_reply(inner: &Inner, reply: &ThreadMessage, stop: Arc<Notify>) -> ReplyEnd {
    let clock = inner.engine.clock.clone();
    let mut end = run_reply_inner(inner, reply, stop).await;
    end.now = clock.now();
    end
}

async fn run_reply_inner(inner: &Inner, reply: &ThreadMessage, stop: Arc<Notify>) -> ReplyEnd {
    let Some((provider_name, model)) = reply.reply_model.clone() else {
        return failed(ReplyError::no_model());
    };
    let Some(provider) = inner.providers.get(provider_name).cloned() else {
        return failed(ReplyError::provider_not_configured(
            CompletionError::Unconfigured {
                provider: provider_name,
            }
            .to_string(),
        ));
    };
    let history = match inner.store.ancestry(reply).await {
        Ok(h) => h,
        Err(e) => return Lost::Storage(e).end(),
    };
    let tools = match provider_name {
        Provider::Anthropic => Arc::default(),
        Provider::OpenAi | Provider::Xai => inner.tool_specs.clone(),
    };
    let prepared = Box::new(Prepared {
        chat_id: None,
        reply: Some(ReplyRef {
            conversation_id: reply.conversation_id,
            message_id: reply.id,
        }),
        provider,
        provider_name,
        model: model.clone(),
        request: LlmRequest {
            model,
            instructions: SYSTEM_INSTRUCTION.into(),
            messages: prompt(&history),
            temperature: None,
            max_tokens: None,
            tools,
            rounds: Vec::new(),
        },
        mode: CompletionMode::Resumable,
        received: Instant::now(),
    });
    // Subscribed before the run: an end recorded elsewhere from now on wakes it.
    let mut ended_elsewhere = inner.wakeups.subscribe(Topic::ReplyEnd(reply.id));
    let (tx, mut rx) = mpsc::channel(STREAM_BUFFER);
    let engine = inner.engine.clone();
    let run = async move {
        let result = engine.run(prepared, Some(&tx)).await;
        drop(tx);
        result
    };
    let mut chunks = Chunks {
        store: inner.store.as_ref(),
        reply,
        next: 0,
        round: String::new(),
        after_tools: false,
    };
    let clock = inner.engine.clock.clone();
    let record = async {
        let mut stopping = false;
        let mut lost: Option<Lost> = None;
        let mut upstream_error: Option<String> = None;
        loop {
            tokio::select! {
                event = rx.recv() => match event {
                    Some(_) if lost.is_some() => {}
                    Some(CompletionEvent::Delta { text }) => {
                        if let Err(e) = chunks.push(&text, clock.now()).await {
                            lost = Some(e);
                            rx.close();
                        }
                    }
                    Some(CompletionEvent::ToolCall(_)) => chunks.tool_round(),
                    Some(CompletionEvent::Error { message }) => upstream_error = Some(message),
                    Some(_) => {}
                    None => break,
                },
                _ = stop.notified(), if !stopping => {
                    stopping = true;
                    rx.close();
                }
                // Ended elsewhere (a cancel on another process): stop here too.
                _ = ended_elsewhere.woken(), if !stopping => {
                    if inner.store.message(reply.id).await.is_ok_and(|m| {
                        m.is_some_and(|m| m.status != Some(ReplyStatus::Streaming))
                    }) {
                        stopping = true;
                        rx.close();
                    }
                }
            }
        }
        (lost, upstream_error)
    };
    let (result, (lost, upstream_error)) = tokio::join!(run, record);
    if let Some(lost) = lost {
        return lost.end();
    }
    match result {
        Ok(outcome) if outcome.stopped => {
            ended(ReplyStatus::Stopped, FinishReason::Cancelled, outcome.usage)
        }
        Ok(outcome) => {
            // The tool-limit sentence replaces the last call's text: it
            // arrives as text of its own.
            if outcome.content != chunks.round {
                chunks.tool_round();
                if let Err(lost) = chunks.push(&outcome.content, clock.now()).await {
                    return lost.end();
                }
            }
            ended(ReplyStatus::Completed, FinishReason::Stop, outcome.usage)
        }
        Err(CompletionError::Upstream(e)) => {
            failed(ReplyError::upstream(upstream_error.unwrap_or_else(|| {
                e.provider.upstream_error_message(&e.message)
            })))
        }
        Err(other) => failed(ReplyError::upstream(other.to_string())),
    }
}
