//! `ExaClient`: Exa's `/search` and `/answer` for the searches feature (`ExaApi`) and the `web_search` tool (`WebSearch`).

mod request;
mod response;

use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::HeaderValue;
use serde_json::Value;
use sybil_domain::Secret;
use sybil_ports::outbound::{
    ExaAnswerResponse, ExaApi, ExaSearchRequest, ExaSearchResponse, SearchHit, ToolError, WebSearch,
};
use sybil_upstream::Target;

use crate::errors::Errors;
use crate::redact::Redactor;
use crate::setup::{SetupError, api_client};
use crate::snippet::snippet;

const ENGINE: &str = "exa";

/// What the Exa client needs (`EXA_API_KEY`, `EXA_BASE_URL` without a
/// version, `UPSTREAM_TIMEOUT_MS`).
#[derive(Debug, Clone)]
pub struct ExaSettings {
    pub api_key: Secret,
    pub base_url: String,
    /// Per attempt, connect to last byte.
    pub timeout: Duration,
}

/// Exa over HTTP with Sybil's retry policy; cheap to share (`Arc`).
#[derive(Debug, Clone)]
pub struct ExaClient {
    http: reqwest::Client,
    base: String,
    key: HeaderValue,
    errors: Errors,
}

impl ExaClient {
    /// # Errors
    /// When the key is not a valid header value or the HTTP client cannot start.
    pub fn new(settings: ExaSettings) -> Result<Self, SetupError> {
        let mut key = HeaderValue::from_str(settings.api_key.expose())
            .map_err(|_| SetupError::new(ENGINE, "the API key is not a valid header value"))?;
        // Keeps the key out of any Debug output of the request.
        key.set_sensitive(true);
        Ok(ExaClient {
            http: api_client(ENGINE, settings.timeout)?,
            base: settings.base_url.trim_end_matches('/').to_string(),
            key,
            errors: Errors::new(ENGINE, Redactor::new(&settings.api_key), settings.timeout),
        })
    }

    /// POSTs `body` to `path` and returns the JSON answer, or the failure in Exa's words.
    async fn post(
        &self,
        operation: &'static str,
        path: &str,
        body: &Value,
    ) -> Result<Value, ToolError> {
        let url = format!("{}{path}", self.base);
        let target = Target::new(ENGINE, operation);
        let response = sybil_upstream::send(&self.http, &target, || {
            std::future::ready(
                self.http
                    .post(&url)
                    .header("x-api-key", self.key.clone())
                    .json(body)
                    .build(),
            )
        })
        .await
        .map_err(|failed| self.errors.failed(failed, error_text))?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.errors.transport(&e))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            self.errors
                .malformed(&format!("the body is not JSON ({e}): {}", snippet(&bytes)))
        })
    }
}

/// Exa's own words, else a snippet of the body, else the status's name.
fn error_text(status: u16, body: &[u8]) -> String {
    if let Some(text) = response::error_text(body) {
        return text;
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("(empty body)")
            .to_string();
    }
    snippet(body)
}

#[async_trait]
impl ExaApi for ExaClient {
    async fn search(&self, request: &ExaSearchRequest) -> Result<ExaSearchResponse, ToolError> {
        let body = request::search(request).map_err(|rule| self.errors.make(rule))?;
        let answer = self.post("search", "/search", &body).await?;
        response::search(&answer).map_err(|what| self.errors.malformed(&what))
    }

    async fn answer(&self, query: &str) -> Result<ExaAnswerResponse, ToolError> {
        let answer = self
            .post("answer", "/answer", &request::answer(query))
            .await?;
        response::answer(&answer).map_err(|what| self.errors.malformed(&what))
    }
}

#[async_trait]
impl WebSearch for ExaClient {
    async fn search(&self, query: &str) -> Result<Vec<SearchHit>, ToolError> {
        let answer = self
            .post("web_search", "/search", &request::tool_search(query))
            .await?;
        response::hits(&answer).map_err(|what| self.errors.malformed(&what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let settings = ExaSettings {
            api_key: Secret::new("exa-secret-123"),
            base_url: "http://127.0.0.1:1/".into(),
            timeout: Duration::from_secs(1),
        };
        assert!(!format!("{settings:?}").contains("exa-secret"));
        let client = ExaClient::new(settings).unwrap();
        assert!(!format!("{client:?}").contains("exa-secret"));
        assert_eq!(client.base, "http://127.0.0.1:1");
    }

    #[test]
    fn error_text_falls_back_to_snippet_then_reason() {
        assert_eq!(error_text(502, b""), "Bad Gateway");
        assert_eq!(
            error_text(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
            "502 Bad Gateway"
        );
        assert_eq!(
            error_text(400, br#"{"error":"Invalid request body","tag":"X"}"#),
            "Invalid request body"
        );
    }
}
