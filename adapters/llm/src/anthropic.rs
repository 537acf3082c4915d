//! Anthropic Messages API provider (`POST {base}/v1/messages`), never offered tools.
//!
//! Plain reqwest (no SDK mandated); its SSE is read by `sse`.

mod request;
mod response;
mod stream;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;
use sybil_domain::Provider;
use sybil_ports::outbound::llm::{
    LlmError, LlmFailure, LlmProvider, LlmRequest, LlmResponse, LlmStreamEvent,
};
use sybil_upstream::header;

use crate::error::Errors;
use crate::redact::Redactor;
use crate::settings::{ProviderSettings, SetupError};
use crate::sse;
use crate::upstream;

const API_VERSION: &str = "2023-06-01";
/// The largest page `GET /v1/models` serves.
const MODELS_PAGE: &str = "1000";
/// A bound on paging, should `has_more` never turn false.
const MAX_MODEL_PAGES: usize = 50;

/// The Anthropic provider. Cheap to share: one pooled HTTP client inside.
pub struct AnthropicProvider {
    http: reqwest::Client,
    base_url: String,
    headers: HeaderMap,
    errors: Errors,
    timeout: Duration,
}

impl fmt::Debug for AnthropicProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicProvider")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl AnthropicProvider {
    /// # Errors
    /// `SetupError` when the HTTP client cannot be built or the key is not a
    /// valid header value.
    pub fn new(settings: ProviderSettings) -> Result<Self, SetupError> {
        let provider = Provider::Anthropic;
        let mut key = HeaderValue::from_str(settings.api_key.expose()).map_err(|_| SetupError {
            provider,
            message: "the API key is not a valid header value".into(),
        })?;
        // Keeps the key out of any header debug output (hyper, reqwest).
        key.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", key);
        headers.insert("anthropic-version", HeaderValue::from_static(API_VERSION));
        Ok(AnthropicProvider {
            http: settings.http_client(provider)?,
            base_url: settings.base(),
            headers,
            errors: Errors::new(provider, Redactor::new(settings.api_key.clone())),
            timeout: settings.timeout,
        })
    }

    /// `deadline`: a whole-exchange bound for calls answered in one body.
    fn request(
        &self,
        builder: reqwest::RequestBuilder,
        deadline: Option<Duration>,
    ) -> std::future::Ready<Result<reqwest::Request, LlmError>> {
        let builder = builder.headers(self.headers.clone());
        let builder = match deadline {
            Some(d) => builder.timeout(d),
            None => builder,
        };
        std::future::ready(builder.build().map_err(|e| {
            self.errors.make(
                LlmFailure::Connection,
                &format!("cannot build the request: {e}"),
            )
        }))
    }

    /// Sends a request that is answered with one JSON body and reads it.
    async fn json(
        &self,
        model: &str,
        operation: &'static str,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<(Value, Option<String>), LlmError> {
        let response = upstream::send(&self.http, &self.errors, model, operation, || {
            self.request(make(), Some(self.timeout))
        })
        .await?;
        let request_id = header(&response, "request-id");
        let raw = upstream::read_json(response, &self.errors).await?;
        Ok((raw, request_id))
    }
}

#[async_trait]
impl LlmProvider for AnthropicProvider {
    fn provider(&self) -> Provider {
        Provider::Anthropic
    }

    async fn complete(&self, request: &LlmRequest) -> Result<LlmResponse, LlmError> {
        let body = request::build(request, false);
        let url = format!("{}/v1/messages", self.base_url);
        let (raw, request_id) = self
            .json(&request.model, "messages.create", || {
                self.http.post(&url).json(&body)
            })
            .await?;
        response::parse(raw, request_id, &self.errors)
    }

    async fn stream(
        &self,
        request: &LlmRequest,
    ) -> Result<BoxStream<'static, Result<LlmStreamEvent, LlmError>>, LlmError> {
        let body = request::build(request, true);
        let url = format!("{}/v1/messages", self.base_url);
        // No whole-exchange deadline: a stream lasts as long as the answer;
        // the client's read timeout still bounds every silence.
        let response = upstream::send(
            &self.http,
            &self.errors,
            &request.model,
            "messages.stream",
            || self.request(self.http.post(&url).json(&body), None),
        )
        .await?;
        let request_id = header(&response, "request-id");
        let events = sse::payloads(response, self.errors.clone(), stream::wanted)?;
        Ok(crate::stream::decode(
            events,
            stream::MessageDecoder::new(self.errors.clone(), request_id),
        ))
    }

    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        let url = format!("{}/v1/models", self.base_url);
        let mut ids = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_MODEL_PAGES {
            let (page, _) = self
                .json("", "models.list", || {
                    let mut query = vec![("limit", MODELS_PAGE.to_string())];
                    if let Some(a) = &after {
                        query.push(("after_id", a.clone()));
                    }
                    self.http.get(&url).query(&query)
                })
                .await?;
            let data = page["data"]
                .as_array()
                .ok_or_else(|| self.errors.malformed("the model list has no data array"))?;
            ids.extend(
                data.iter()
                    .filter_map(|m| m["id"].as_str().map(str::to_string)),
            );
            match page["last_id"].as_str() {
                Some(last) if page["has_more"] == true => after = Some(last.to_string()),
                _ => break,
            }
        }
        Ok(ids)
    }
}
