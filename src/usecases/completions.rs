//! Completions: validation, history persistence, the provider call and the
//! `LlmCall` record.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use sybil_domain::completion::{SYSTEM_INSTRUCTION, TITLE_MODEL, check_completion};
use sybil_domain::history::messages_to_store;
use sybil_domain::message::{ValidMessage, validate_message};
use sybil_domain::title::title_from_answer;
use sybil_domain::{CallStatus, Chat, LlmCall, Message, ModelChoice, Provider, Role, Usage};
use sybil_ports::inbound::{
    CompletionCommand, CompletionError, CompletionOutcome, CompletionUseCases,
};
use sybil_ports::outbound::{
    CallLog, ChatRepository, Clock, IdGenerator, LlmError, LlmRequest, LlmResponse, PromptMessage,
    PromptRole,
};
use uuid::Uuid;

use super::prompt::to_prompt;
use super::providers::Providers;

/// Implements `CompletionUseCases`.
pub struct CompletionService {
    chats: Arc<dyn ChatRepository>,
    calls: Arc<dyn CallLog>,
    providers: Providers,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

/// What the caller learns of one provider call, for its `LlmCall` row.
struct CallReport {
    chat_id: Option<Uuid>,
    provider: Provider,
    model: String,
    started: Instant,
    tool_rounds: u32,
}

impl CompletionService {
    pub fn new(
        chats: Arc<dyn ChatRepository>,
        calls: Arc<dyn CallLog>,
        providers: Providers,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        CompletionService {
            chats,
            calls,
            providers,
            clock,
            ids,
        }
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
        let mut new_attachment_id = || self.ids.new_id().to_string();
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

    /// Stores the request's new non-assistant messages and the model use,
    /// before the provider is called. Unknown chats are `ChatNotFound`.
    async fn store_new_messages(
        &self,
        chat_id: &str,
        messages: &[ValidMessage],
        choice: ModelChoice,
    ) -> Result<Uuid, CompletionError> {
        let id = Uuid::parse_str(chat_id).map_err(|_| CompletionError::ChatNotFound)?;
        let stored = self
            .chats
            .load_chat(id)
            .await?
            .ok_or(CompletionError::ChatNotFound)?;
        let provided: Vec<(Role, &str)> = messages
            .iter()
            .map(|m| (m.role, m.content.as_str()))
            .collect();
        let now = self.clock.now();
        let new: Vec<Message> = messages_to_store(&stored.messages, &provided)
            .into_iter()
            .map(|i| messages[i].clone().into_message(self.ids.new_id(), now))
            .collect();
        if !self
            .chats
            .append_messages(id, &new, Some(choice), now)
            .await?
        {
            return Err(CompletionError::ChatNotFound);
        }
        Ok(id)
    }

    /// Writes the `LlmCall` row. A failure to write it is logged, not
    /// returned: the client's answer must not depend on the audit row.
    async fn record(&self, report: &CallReport, outcome: Result<(&LlmResponse, Usage), &LlmError>) {
        let (status, error, usage, request_id) = match outcome {
            Ok((response, usage)) => (
                CallStatus::Ok,
                None,
                Some(usage),
                response.request_id.clone(),
            ),
            Err(e) => (CallStatus::Error, Some(e.message.clone()), None, None),
        };
        let call = LlmCall {
            id: self.ids.new_id(),
            chat_id: report.chat_id,
            provider: report.provider,
            model: report.model.clone(),
            status,
            error,
            latency_ms: report.started.elapsed().as_millis() as i64,
            tool_rounds: report.tool_rounds,
            usage,
            upstream_request_id: request_id,
            created_at: self.clock.now(),
        };
        if let Err(e) = self.calls.record_call(&call).await {
            tracing::error!(error = %e, "could not record the LLM call");
        }
    }
}

#[async_trait]
impl CompletionUseCases for CompletionService {
    #[tracing::instrument(skip_all, fields(provider = %command.provider, model = %command.model))]
    async fn complete(
        &self,
        command: CompletionCommand,
    ) -> Result<CompletionOutcome, CompletionError> {
        let (messages, max_tokens) = self.validate(&command)?;
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
        let request = LlmRequest {
            model: command.model.clone(),
            instructions: SYSTEM_INSTRUCTION.to_string(),
            messages: to_prompt(&messages),
            temperature: command.temperature,
            max_tokens,
            tools: Vec::new(),
            rounds: Vec::new(),
        };
        let report = CallReport {
            chat_id,
            provider: command.provider,
            model: command.model.clone(),
            started: Instant::now(),
            tool_rounds: 0,
        };
        let response = match provider.complete(&request).await {
            Ok(r) => r,
            Err(e) => {
                self.record(&report, Err(&e)).await;
                return Err(e.into());
            }
        };
        let mut message_id = None;
        if let Some(chat_id) = chat_id {
            let id = self.ids.new_id();
            let answer = Message {
                id,
                created_at: self.clock.now(),
                role: Role::Assistant,
                content: response.text.clone(),
                name: None,
                metadata: None,
            };
            // The chat may have been deleted meanwhile; then there is nothing to keep.
            if self
                .chats
                .append_messages(chat_id, &[answer], None, self.clock.now())
                .await?
            {
                message_id = Some(id);
            }
        }
        self.record(&report, Ok((&response, response.usage))).await;
        Ok(CompletionOutcome {
            chat_id,
            provider: command.provider,
            model: command.model,
            content: response.text,
            message_id,
            usage: response.usage,
            raw: response.raw,
        })
    }

    #[tracing::instrument(skip(self, content))]
    async fn suggest_title(&self, chat_id: &str, content: &str) -> Result<Chat, CompletionError> {
        let id = Uuid::parse_str(chat_id).map_err(|_| CompletionError::ChatNotFound)?;
        let chat = self
            .chats
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
                .to_string(),
            messages: vec![PromptMessage {
                role: PromptRole::User,
                content: content.to_string(),
                attachments: Vec::new(),
            }],
            temperature: None,
            max_tokens: Some(32),
            tools: Vec::new(),
            rounds: Vec::new(),
        };
        let report = CallReport {
            chat_id: Some(id),
            provider: Provider::OpenAi,
            model: TITLE_MODEL.to_string(),
            started: Instant::now(),
            tool_rounds: 0,
        };
        let response = match provider.complete(&request).await {
            Ok(r) => r,
            Err(e) => {
                self.record(&report, Err(&e)).await;
                return Err(e.into());
            }
        };
        self.record(&report, Ok((&response, response.usage))).await;
        // A model that answers nothing usable still leaves the chat titled,
        // from the user's own words.
        let title = title_from_answer(&response.text).or_else(|| title_from_answer(content));
        self.chats
            .rename_chat(id, title, self.clock.now())
            .await?
            .ok_or(CompletionError::ChatNotFound)
    }
}

#[cfg(test)]
mod tests;
