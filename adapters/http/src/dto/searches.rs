//! Bodies of the search routes.

use poem_openapi::{Enum, Object};
use serde::Deserialize;
use serde_json::Value;
use sybil_domain::search::{Search, SearchRun};

use sybil_wire::time::iso;

/// `POST /v1/searches`.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(
    rename = "CreateSearchRequest",
    rename_all = "camelCase",
    deny_unknown_fields
)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSearchRequest {
    pub title: Option<String>,
    pub query: Option<String>,
}

/// Exa's search type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename = "SearchType", rename_all = "lowercase")]
#[serde(try_from = "String")]
pub enum SearchType {
    Auto,
    Fast,
    Deep,
    Instant,
}

impl SearchType {
    pub fn as_str(self) -> &'static str {
        match self {
            SearchType::Auto => "auto",
            SearchType::Fast => "fast",
            SearchType::Deep => "deep",
            SearchType::Instant => "instant",
        }
    }
}

sybil_wire::from_string!(SearchType);

/// `POST /v1/searches/{searchId}/run`; `query` and `title` overrides are stored.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(
    rename = "RunSearchRequest",
    rename_all = "camelCase",
    deny_unknown_fields
)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct RunSearchRequest {
    /// Replaces the stored query; required when the search has none. A
    /// blank one counts as none.
    pub query: Option<String>,
    /// Replaces the stored title; a blank one counts as none.
    pub title: Option<String>,
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub search_type: Option<SearchType>,
    /// 1 to 100 (default 10).
    #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
    pub num_results: Option<i64>,
    /// Not together with a non-empty `excludeDomains`.
    pub include_domains: Option<Vec<String>>,
    /// Not together with a non-empty `includeDomains`.
    pub exclude_domains: Option<Vec<String>>,
}

/// `POST /v1/searches/{searchId}/chat`.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(
    rename = "SearchToChatRequest",
    rename_all = "camelCase",
    deny_unknown_fields
)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchToChatRequest {
    /// Default `Search: <query-or-title>`.
    pub title: Option<String>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "SearchSummary", rename_all = "camelCase")]
pub struct SearchSummary {
    pub id: String,
    #[oai(nullable)]
    pub title: Option<String>,
    #[oai(nullable)]
    pub query: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Search> for SearchSummary {
    fn from(s: &Search) -> Self {
        SearchSummary {
            id: s.id.to_string(),
            title: s.title.clone(),
            query: s.query.clone(),
            created_at: iso(s.created_at),
            updated_at: iso(s.updated_at),
        }
    }
}

/// A search with the outcome of its last run.
#[derive(Debug, Clone, Object)]
#[oai(rename = "SearchDetail", rename_all = "camelCase")]
pub struct SearchDetail {
    #[oai(flatten)]
    pub summary: SearchSummary,
    #[oai(nullable)]
    pub request_id: Option<String>,
    #[oai(nullable)]
    pub latency_ms: Option<i64>,
    /// Why Exa search failed, if it did.
    #[oai(nullable)]
    pub error: Option<String>,
    #[oai(nullable)]
    pub answer_text: Option<String>,
    #[oai(nullable)]
    pub answer_request_id: Option<String>,
    /// `{ id, url, title, publishedDate, author }` each.
    pub answer_citations: Vec<Value>,
    /// Why Exa answer failed, if it did.
    #[oai(nullable)]
    pub answer_error: Option<String>,
    /// `{ id, url, title, publishedDate, author, score, text, highlights, summary }` each, in Exa's order.
    pub results: Vec<Value>,
}

impl From<(Search, SearchRun)> for SearchDetail {
    fn from((search, run): (Search, SearchRun)) -> Self {
        SearchDetail {
            summary: SearchSummary::from(&search),
            request_id: run.request_id,
            latency_ms: run.latency_ms,
            error: run.error,
            answer_text: run.answer_text,
            answer_request_id: run.answer_request_id,
            answer_citations: run.answer_citations,
            answer_error: run.answer_error,
            results: run.results,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "SearchList")]
pub struct SearchList {
    pub searches: Vec<SearchSummary>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "SearchEnvelope")]
pub struct SearchEnvelope {
    pub search: SearchSummary,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "SearchDetailEnvelope")]
pub struct SearchDetailEnvelope {
    pub search: SearchDetail,
}

super::object_only::object_only!(CreateSearchRequest, RunSearchRequest, SearchToChatRequest);
