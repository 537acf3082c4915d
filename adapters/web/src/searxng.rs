//! `SearxngClient`: the `web_search` tool over a SearXNG instance's JSON API (`GET /search?format=json`).

mod response;

use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE};
use sybil_ports::outbound::{SearchHit, ToolError, WebSearch};
use sybil_upstream::Target;
use url::Url;

use crate::errors::Errors;
use crate::redact::Redactor;
use crate::setup::{SetupError, api_client};
use crate::snippet::snippet;

const ENGINE: &str = "searxng";
/// SearXNG's limiter treats a request without `Accept-Language` as a bot.
const BROWSER_ACCEPT_LANGUAGE: &str = "en-US,en;q=0.9";
/// SearXNG answers 403 (an HTML page) when `json` is not in `search.formats`.
const JSON_DISABLED: &str = "this SearXNG instance does not allow format=json; \
    enable it by adding json to search.formats in the instance's settings.yml";

/// A SearXNG instance; cheap to share (`Arc`).
#[derive(Debug, Clone)]
pub struct SearxngClient {
    http: reqwest::Client,
    search_url: Url,
    errors: Errors,
}

impl SearxngClient {
    /// `base_url` is `SEARXNG_BASE_URL` (e.g. `https://search.example.org`
    /// or one with a path prefix); `timeout` bounds each attempt.
    ///
    /// # Errors
    /// When `base_url` is not an http(s) URL or the HTTP client cannot start.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, SetupError> {
        let search = format!("{}/search", base_url.trim().trim_end_matches('/'));
        let search_url = Url::parse(&search)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| {
                SetupError::new(ENGINE, format!("{base_url:?} is not an http(s) base URL"))
            })?;
        Ok(SearxngClient {
            http: api_client(ENGINE, timeout)?,
            search_url,
            errors: Errors::new(ENGINE, Redactor::none(), timeout),
        })
    }

    fn url_for(&self, query: &str) -> Url {
        let mut url = self.search_url.clone();
        url.query_pairs_mut()
            .append_pair("q", query)
            .append_pair("format", "json");
        url
    }
}

#[async_trait]
impl WebSearch for SearxngClient {
    async fn search(&self, query: &str) -> Result<Vec<SearchHit>, ToolError> {
        let url = self.url_for(query);
        let target = Target::new(ENGINE, "search");
        let response = sybil_upstream::send(&self.http, &target, || {
            std::future::ready(
                self.http
                    .get(url.clone())
                    .header(ACCEPT, "application/json")
                    .header(ACCEPT_LANGUAGE, BROWSER_ACCEPT_LANGUAGE)
                    .build(),
            )
        })
        .await
        .map_err(|failed| self.errors.failed(failed, error_text))?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.errors.transport(&e))?;
        let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| {
            // A 200 HTML page: `format` was ignored (old instance or a proxy's page).
            self.errors
                .malformed(&format!("expected JSON, got: {}", snippet(&bytes)))
        })?;
        let hits = response::hits(&body).map_err(|what| self.errors.malformed(&what))?;
        let failed = response::unresponsive_engines(&body);
        if !failed.is_empty() {
            tracing::info!(engine = ENGINE, unresponsive = ?failed, "some SearXNG engines failed");
        }
        if hits.is_empty() && !failed.is_empty() {
            return Err(self.errors.make(&format!(
                "no results; these engines failed: {}",
                failed.join(", ")
            )));
        }
        Ok(hits)
    }
}

/// A 403 is the json format switched off (an HTML page says so); else
/// SearXNG's own words, else a snippet of the body.
fn error_text(status: u16, body: &[u8]) -> String {
    if status == 403 {
        return JSON_DISABLED.to_string();
    }
    response::error_text(body).unwrap_or_else(|| snippet(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_urlencoded_after_any_base_path() {
        let c = SearxngClient::new("https://s.example/searx/", Duration::from_secs(1)).unwrap();
        assert_eq!(
            c.url_for("rust & tokio?").as_str(),
            "https://s.example/searx/search?q=rust+%26+tokio%3F&format=json"
        );
    }

    #[test]
    fn a_bad_base_url_is_a_setup_error() {
        for base in ["", "not a url", "ftp://x", "file:///tmp"] {
            assert!(
                SearxngClient::new(base, Duration::from_secs(1)).is_err(),
                "{base}"
            );
        }
    }
}
