//! OpenAI Responses API provider (`POST {base}/responses`).
//!
//! The request is async-openai's typed `CreateResponse`; the answer is read
//! as raw JSON (BYOT), so unknown output items and stream events never break
//! parsing (docs/decisions.md,
//! "async-openai"). See `sdk` for how the SDK is used.

mod request;
mod response;
mod stream;

use std::fmt;

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde_json::Value;
use sybil_domain::Provider;
use sybil_ports::outbound::llm::{LlmError, LlmProvider, LlmRequest, LlmResponse, LlmStreamEvent};

use crate::sdk::Sdk;
use crate::settings::{ProviderSettings, SetupError};
use crate::tool_json::ToolJson;

/// Prefixes of the chat models kept from the live list (docs/decisions.md,
/// "OpenAI chat models").
const CHAT_PREFIXES: [&str; 5] = ["gpt-4", "gpt-5", "o1", "o3", "o4"];
/// Model families that are not chat models, even with a chat prefix.
const NON_CHAT_MARKERS: [&str; 8] = [
    "audio",
    "realtime",
    "transcribe",
    "tts",
    "image",
    "search",
    "embedding",
    "moderation",
];

/// Where completions and streams are sent, under the base URL.
const RESPONSES: &str = "/responses";

/// The OpenAI provider. Cheap to share: one pooled HTTP client inside.
pub struct OpenAiProvider {
    sdk: Sdk,
    tools: ToolJson,
    base_url: String,
}

impl fmt::Debug for OpenAiProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiProvider")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl OpenAiProvider {
    /// # Errors
    /// `SetupError` when the HTTP client cannot be built.
    pub fn new(settings: ProviderSettings) -> Result<Self, SetupError> {
        Ok(OpenAiProvider {
            sdk: Sdk::new(Provider::OpenAi, &settings, RESPONSES)?,
            tools: ToolJson::default(),
            base_url: settings.base(),
        })
    }
}

#[async_trait]
impl LlmProvider for OpenAiProvider {
    fn provider(&self) -> Provider {
        Provider::OpenAi
    }

    async fn complete(&self, request: &LlmRequest) -> Result<LlmResponse, LlmError> {
        let body = request::build(request, false, &self.tools).map_err(|e| self.sdk.error(e))?;
        let (raw, request_id) = self
            .sdk
            .post(&request.model, "responses.create", &body)
            .await?;
        response::parse(raw.into(), request_id, self.sdk.errors())
    }

    async fn stream(
        &self,
        request: &LlmRequest,
    ) -> Result<BoxStream<'static, Result<LlmStreamEvent, LlmError>>, LlmError> {
        let body = request::build(request, true, &self.tools).map_err(|e| self.sdk.error(e))?;
        let (events, request_id) = self
            .sdk
            .stream(&request.model, "responses.stream", &body, stream::wanted)
            .await?;
        Ok(crate::stream::decode(
            events,
            stream::ResponsesDecoder::new(self.sdk.errors().clone(), request_id),
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
        let ids = model_ids(&raw).ok_or_else(|| {
            self.sdk
                .errors()
                .malformed("the model list has no data array")
        })?;
        Ok(ids.into_iter().filter(|id| is_chat_model(id)).collect())
    }
}

/// `data[].id` of an OpenAI-style model list, in the order received.
pub(crate) fn model_ids(raw: &Value) -> Option<Vec<String>> {
    let data = raw.get("data")?.as_array()?;
    Some(
        data.iter()
            .filter_map(|m| m.get("id")?.as_str().map(str::to_string))
            .collect(),
    )
}

fn is_chat_model(id: &str) -> bool {
    CHAT_PREFIXES.iter().any(|p| id.starts_with(p))
        && !NON_CHAT_MARKERS.iter().any(|m| id.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_chat_models() {
        let keep = [
            "gpt-4o",
            "gpt-4.1-mini",
            "gpt-5",
            "o1",
            "o3-mini",
            "o4-mini",
        ];
        let drop = [
            "gpt-4o-audio-preview",
            "gpt-4o-realtime-preview",
            "gpt-4o-transcribe",
            "gpt-4o-mini-tts",
            "gpt-image-1",
            "gpt-4o-search-preview",
            "text-embedding-3-large",
            "omni-moderation-latest",
            "dall-e-3",
            "whisper-1",
            "gpt-3.5-turbo",
            "babbage-002",
        ];
        assert!(keep.iter().all(|id| is_chat_model(id)));
        assert!(drop.iter().all(|id| !is_chat_model(id)));
    }
}
