//! Completions: validation, history persistence, then the engine (model
//! calls and the tool loop), whole or streamed; and title suggestion.

mod engine;
mod jobs;
mod replies;

pub use jobs::{JobHub, STOP_GRACE};
pub use replies::ThreadReplies;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use sybil_domain::completion::{SYSTEM_INSTRUCTION, TITLE_MODEL, check_completion};
use sybil_domain::message::{ValidMessage, validate_message};
use sybil_domain::nul::replace_nul;
use sybil_domain::title::title_from_answer;
use sybil_domain::{CallStatus, Chat, LlmCall, Message, ModelChoice, Provider};
use sybil_metrics::CompletionMode;
use sybil_ports::inbound::{
    CompletionCommand, CompletionError, CompletionEvent, CompletionOutcome, CompletionUseCases,
    JobError, ResumableCompletions, StreamMeta,
};
use sybil_ports::outbound::{
    CallLog, ChatRepository, Clock, ConversationStore, IdGenerator, LlmRequest, PromptMessage,
    PromptRole, RecordedEvent, ToolSpec, Wakeups,
};
use tokio::sync::mpsc;
use uuid::Uuid;

use self::engine::{Engine, Prepared};
use super::prompt::to_prompt;
use super::providers::Providers;
use super::tools::ToolRunner;

/// Events a streamed completion may hold unread: a slow client slows the
/// upstream read instead of growing a buffer.
const STREAM_BUFFER: usize = 16;

/// Implements `CompletionUseCases`.
pub struct CompletionService {
    engine: Arc<Engine>,
    providers: Providers,
    jobs: Arc<JobHub>,
    /// The tools offered to OpenAI and xAI, built once.
    tool_specs: Arc<[ToolSpec]>,
}

/// The collaborators of `CompletionService`.
pub struct CompletionDeps {
    pub chats: Arc<dyn ChatRepository>,
    pub calls: Arc<dyn CallLog>,
    pub providers: Providers,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub tools: ToolRunner,
    /// `CHAT_MAX_TOOL_ROUNDS`.
    pub max_tool_rounds: u32,
    /// Resumable completions of this replica.
    pub jobs: Arc<JobHub>,
}

impl CompletionService {
    pub fn new(deps: CompletionDeps) -> Self {
        let tool_specs = deps.tools.specs().into();
        CompletionService {
            tool_specs,
            engine: Arc::new(Engine {
                chats: deps.chats,
                calls: deps.calls,
                clock: deps.clock,
                ids: deps.ids,
                tools: deps.tools,
                max_rounds: deps.max_tool_rounds,
            }),
            providers: deps.providers,
            jobs: deps.jobs,
        }
    }

    /// Assistant replies of `/api` threads on this service's engine.
    pub fn thread_replies(
        &self,
        store: Arc<dyn ConversationStore>,
        wakeups: Arc<dyn Wakeups>,
    ) -> ThreadReplies {
        ThreadReplies::new(
            self.engine.clone(),
            self.providers.clone(),
            self.tool_specs.clone(),
            store,
            wakeups,
        )
    }

    fn validate(
        &self,
        command: &CompletionCommand,
    ) -> Result<(Vec<ValidMessage>, Option<u32>), CompletionError> {
        let max_tokens = check_completion(
            &command.model,
            command.messages.len(),
            command.temperature,
            command.max_tokens,
        )
        .map_err(|e| CompletionError::Invalid(e.to_string()))?;
        let ids = &self.engine.ids;
        let mut new_attachment_id = || ids.new_id().to_string();
        let messages = command
            .messages
            .iter()
            .enumerate()
            .map(|(i, m)| {
                validate_message(&format!("messages[{i}]"), m, &mut new_attachment_id)
                    .map_err(|e| CompletionError::Invalid(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((messages, max_tokens))
    }

    /// Everything checked before the provider is called, then the request's
    /// new non-assistant messages and the model use stored.
    async fn prepare(
        &self,
        command: &CompletionCommand,
        mode: CompletionMode,
    ) -> Result<Box<Prepared>, CompletionError> {
        let received = Instant::now();
        let (messages, max_tokens) = self.validate(command)?;
        let provider = self
            .providers
            .get(command.provider)
            .ok_or(CompletionError::Unconfigured {
                provider: command.provider,
            })?
            .clone();
        let choice = ModelChoice {
            provider: command.provider,
            model: command.model.clone(),
        };
        let chat_id = match &command.chat_id {
            Some(id) => Some(self.store_new_messages(id, &messages, choice).await?),
            None => None,
        };
        // Anthropic runs without server-managed tools.
        let tools = match command.provider {
            Provider::Anthropic => Arc::default(),
            Provider::OpenAi | Provider::Xai => self.tool_specs.clone(),
        };
        Ok(Box::new(Prepared {
            chat_id,
            reply: None,
            provider,
            provider_name: command.provider,
            model: command.model.clone(),
            request: LlmRequest {
                model: command.model.clone(),
                instructions: SYSTEM_INSTRUCTION.into(),
                messages: to_prompt(&messages),
                temperature: command.temperature,
                max_tokens,
                tools,
                rounds: Vec::new(),
            },
            mode,
            received,
        }))
    }

    async fn store_new_messages(
        &self,
        chat_id: &str,
        messages: &[ValidMessage],
        choice: ModelChoice,
    ) -> Result<Uuid, CompletionError> {
        let id = Uuid::parse_str(chat_id).map_err(|_| CompletionError::ChatNotFound)?;
        let now = self.engine.clock.now();
        let provided: Vec<Message> = messages
            .iter()
            .map(|m| m.clone().into_message(self.engine.ids.new_id(), now))
            .collect();
        // Storage applies the history rule under the chat's lock: which of
        // them are new depends on what is stored when the lock is held.
        let chats = &self.engine.chats;
        if !chats
            .append_new_messages(id, &provided, Some(choice), now)
            .await?
        {
            return Err(CompletionError::ChatNotFound);
        }
        Ok(id)
    }
}

#[async_trait]
impl CompletionUseCases for CompletionService {
    #[tracing::instrument(skip_all, fields(provider = %command.provider, model = %command.model))]
    async fn complete(
        &self,
        command: CompletionCommand,
    ) -> Result<CompletionOutcome, CompletionError> {
        let prepared = self.prepare(&command, CompletionMode::Whole).await?;
        self.engine.run(prepared, None).await
    }

    #[tracing::instrument(skip_all, fields(provider = %command.provider, model = %command.model))]
    async fn stream(
        &self,
        command: CompletionCommand,
    ) -> Result<BoxStream<'static, CompletionEvent>, CompletionError> {
        let prepared = self.prepare(&command, CompletionMode::Stream).await?;
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let meta = CompletionEvent::Meta(Box::new(StreamMeta {
            chat_id: prepared.chat_id,
            provider: prepared.provider_name,
            model: prepared.model.clone(),
            completion_id: None,
        }));
        // The channel is empty, so this cannot wait.
        let _ = tx.try_send(meta);
        let engine = self.engine.clone();
        let span = tracing::Span::current();
        // A task of its own: what it stores must be stored even when the
        // client is gone.
        tokio::spawn(tracing::Instrument::instrument(
            async move {
                let _ = engine.run(prepared, Some(&tx)).await;
            },
            span,
        ));
        Ok(tokio_stream_from(rx))
    }

    #[tracing::instrument(skip(self, content))]
    async fn suggest_title(&self, chat_id: &str, content: &str) -> Result<Chat, CompletionError> {
        let id = Uuid::parse_str(chat_id).map_err(|_| CompletionError::ChatNotFound)?;
        let chats = &self.engine.chats;
        let chat = chats
            .load_chat(id)
            .await?
            .ok_or(CompletionError::ChatNotFound)?
            .chat;
        if chat.title.is_some() {
            return Ok(chat);
        }
        if content.trim().is_empty() {
            return Err(CompletionError::Invalid("content must not be empty".into()));
        }
        let provider = self
            .providers
            .get(Provider::OpenAi)
            .ok_or(CompletionError::Unconfigured {
                provider: Provider::OpenAi,
            })?
            .clone();
        let request = LlmRequest {
            model: TITLE_MODEL.to_string(),
            instructions: "Write a title of about four words for a chat that starts with the \
                           user's message. Answer with the title only, on one line."
                .into(),
            messages: vec![PromptMessage {
                role: PromptRole::User,
                content: content.to_string(),
                attachments: Vec::new(),
            }],
            temperature: None,
            max_tokens: Some(32),
            tools: Arc::default(),
            rounds: Vec::new(),
        };
        let started = Instant::now();
        let result = provider.complete(&request).await;
        let (status, error, usage, request_id) = match &result {
            Ok(r) => (CallStatus::Ok, None, Some(r.usage), r.request_id.clone()),
            Err(e) => (
                CallStatus::Error,
                Some(replace_nul(e.message.clone())),
                None,
                None,
            ),
        };
        self.engine
            .record(LlmCall {
                id: self.engine.ids.new_id(),
                chat_id: Some(id),
                reply: None,
                provider: Provider::OpenAi,
                model: TITLE_MODEL.to_string(),
                status,
                error,
                latency_ms: started.elapsed().as_millis() as i64,
                tool_rounds: 0,
                usage,
                upstream_request_id: request_id,
                created_at: self.engine.clock.now(),
            })
            .await;
        let response = engine::without_nul(result?);
        // A model that answers nothing usable still leaves the chat titled,
        // from the user's own words.
        let title = title_from_answer(&response.text).or_else(|| title_from_answer(content));
        chats
            .rename_chat(id, title, self.engine.clock.now())
            .await?
            .ok_or(CompletionError::ChatNotFound)
    }
}

#[async_trait]
impl ResumableCompletions for CompletionService {
    #[tracing::instrument(skip_all, fields(provider = %command.provider, model = %command.model))]
    async fn start(
        &self,
        command: CompletionCommand,
    ) -> Result<BoxStream<'static, RecordedEvent>, CompletionError> {
        let prepared = self.prepare(&command, CompletionMode::Resumable).await?;
        let id = self.engine.ids.new_id();
        self.jobs.start(self.engine.clone(), prepared, id).await
    }

    async fn follow(
        &self,
        id: &str,
        after: u64,
    ) -> Result<BoxStream<'static, RecordedEvent>, JobError> {
        let id = Uuid::parse_str(id).map_err(|_| JobError::NotFound)?;
        if !self.jobs.exists(id).await? {
            return Err(JobError::NotFound);
        }
        Ok(self.jobs.follow_job(id, after))
    }

    async fn stop(&self, id: &str) -> Result<bool, JobError> {
        let id = Uuid::parse_str(id).map_err(|_| JobError::NotFound)?;
        self.jobs
            .stop(&self.engine, id)
            .await?
            .ok_or(JobError::NotFound)
    }
}

/// The receiving end of the event channel as a stream; dropping it closes
/// the channel, which the engine notices at once.
fn tokio_stream_from(
    mut rx: mpsc::Receiver<CompletionEvent>,
) -> BoxStream<'static, CompletionEvent> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod loop_tests;

#[cfg(test)]
mod job_tests;
