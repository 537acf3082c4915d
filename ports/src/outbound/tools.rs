//! The tools' outbound ports: web search, page fetch, Exa search and answer,
//! and commands on the remote devbox.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

/// A tool failure. `message` is what the model is told (and what the tool
/// message records as `error`); it never holds a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ToolError {
    pub message: String,
}

impl ToolError {
    pub fn new(message: impl Into<String>) -> Self {
        ToolError {
            message: message.into(),
        }
    }
}

/// One ranked web search result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub title: String,
    pub url: String,
    /// A summary, highlights or the engine's snippet; may be empty.
    pub snippet: String,
    pub published_date: Option<String>,
}

/// The engine behind the `web_search` tool (Exa or SearXNG).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait WebSearch: Send + Sync {
    /// Ranked results for `query`, best first.
    ///
    /// # Errors
    /// `ToolError` naming the engine and what failed (HTTP status and the
    /// engine's message, timeout, SearXNG's JSON format disabled, …).
    async fn search(&self, query: &str) -> Result<Vec<SearchHit>, ToolError>;
}

/// A page fetched for the `fetch_url` tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedPage {
    /// The URL finally read, after redirects.
    pub url: String,
    pub content_type: Option<String>,
    /// Readable plain text (HTML converted; scripts and styles dropped).
    pub text: String,
}

#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait PageFetcher: Send + Sync {
    /// Fetches an http(s) URL, following redirects (each one re-checked).
    ///
    /// # Errors
    /// `ToolError` for a bad URL or scheme, a refused address (SSRF guard),
    /// an HTTP error status, a timeout, or a body over the size limit.
    async fn fetch(&self, url: &str) -> Result<FetchedPage, ToolError>;
}

/// An Exa `/search` request of the searches feature.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExaSearchRequest {
    pub query: String,
    /// `auto|fast|deep|instant`; `None` lets Exa choose (`auto`).
    pub search_type: Option<String>,
    pub num_results: u32,
    pub include_domains: Vec<String>,
    pub exclude_domains: Vec<String>,
}

/// Exa `/search`'s answer: results in Exa's order, each normalised to
/// `{ id, url, title, publishedDate, author, score, text, highlights, summary }`
/// (missing fields `null`).
#[derive(Debug, Clone, PartialEq)]
pub struct ExaSearchResponse {
    pub request_id: Option<String>,
    pub results: Vec<Value>,
}

/// Exa `/answer`'s answer; citations normalised to
/// `{ id, url, title, publishedDate, author }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExaAnswerResponse {
    pub request_id: Option<String>,
    pub answer: String,
    pub citations: Vec<Value>,
}

/// Exa's search and answer endpoints, for `POST /v1/searches/:id/run`.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ExaApi: Send + Sync {
    /// # Errors
    /// `ToolError` whose message starts with `exa:` and carries Exa's own
    /// error text (keys redacted).
    async fn search(&self, request: &ExaSearchRequest) -> Result<ExaSearchResponse, ToolError>;

    /// # Errors
    /// As for `search`.
    async fn answer(&self, query: &str) -> Result<ExaAnswerResponse, ToolError>;
}

/// What a remote command produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// The exit status; `None` when the command was killed at the timeout.
    pub exit_status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

/// Runs commands on the devbox over SSH.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait RemoteShell: Send + Sync {
    /// Runs `command` (a complete shell command line, already quoted) with
    /// stdin closed. At `timeout` the remote command is killed and the
    /// output so far returned with `timed_out`. Dropping the returned future
    /// also kills the remote command, not only the connection.
    ///
    /// # Errors
    /// `ToolError` when connecting, authenticating or checking the host key
    /// fails (nothing ran then), or the session breaks.
    async fn run(&self, command: &str, timeout: Duration) -> Result<ExecOutput, ToolError>;
}
