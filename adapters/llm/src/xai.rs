//! xAI provider over its OpenAI-compatible Chat Completions (`POST {base}/chat/completions`).
//!
//! The request is async-openai's typed `CreateChatCompletionRequest`; the
//! answer is read as JSON (BYOT: the typed chunk drops xAI's
//! `reasoning_content`: docs/decisions.md, "async-openai"). See `sdk` for how the SDK is used.

mod request;
mod response;
mod stream;

use std::fmt;

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde_json::Value;
use sybil_domain::Provider;
use sybil_ports::outbound::llm::{LlmError, LlmProvider, LlmRequest, LlmResponse, LlmStreamEvent};

use crate::openai::model_ids;
use crate::sdk::Sdk;
use crate::settings::{ProviderSettings, SetupError};
use crate::tool_json::ToolJson;

/// Where completions and streams are sent, under the base URL.
const CHAT_COMPLETIONS: &str = "/chat/completions";

/// The xAI provider. Cheap to share: one pooled HTTP client inside.
pub struct XaiProvider {
    sdk: Sdk,
    tools: ToolJson,
    base_url: String,
}

impl fmt::Debug for XaiProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XaiProvider")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl XaiProvider {
    /// # Errors
    /// `SetupError` when the HTTP client cannot be built.
    pub fn new(settings: ProviderSettings) -> Result<Self, SetupError> {
        Ok(XaiProvider {
            sdk: Sdk::new(Provider::Xai, &settings, CHAT_COMPLETIONS)?,
            tools: ToolJson::default(),
            base_url: settings.base(),
        })
    }
}

#[async_trait]
impl LlmProvider for XaiProvider {
    fn provider(&self) -> Provider {
        Provider::Xai
    }

    async fn complete(&self, request: &LlmRequest) -> Result<LlmResponse, LlmError> {
        let body = request::build(request, false, &self.tools).map_err(|e| self.sdk.error(e))?;
        let (raw, request_id) = self.sdk.post(&request.model, "chat.create", &body).await?;
        response::parse(raw.into(), request_id, self.sdk.errors())
    }

    async fn stream(
        &self,
        request: &LlmRequest,
    ) -> Result<BoxStream<'static, Result<LlmStreamEvent, LlmError>>, LlmError> {
        let body = request::build(request, true, &self.tools).map_err(|e| self.sdk.error(e))?;
        let (events, request_id) = self
            .sdk
            .stream(
                &request.model,
                "chat.stream",
                &body,
                // Data-only events: nothing to tell apart by name.
                |_| true,
            )
            .await?;
        Ok(crate::stream::decode(
            events,
            stream::ChunkDecoder::new(self.sdk.errors().clone(), request_id),
        ))
    }

    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        let raw: Value = self
            .sdk
            .client("models.list")
            .models()
            .list_byot()
            .await
            .map_err(|e| self.sdk.error(e))?;
        model_ids(&raw).ok_or_else(|| {
            self.sdk
                .errors()
                .malformed("the model list has no data array")
        })
    }
}
