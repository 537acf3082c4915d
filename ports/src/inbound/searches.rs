//! Search use cases: Exa search and answer, stored, and search-to-chat.

use async_trait::async_trait;
use sybil_domain::Chat;
use sybil_domain::search::{Search, SearchRun};

use crate::outbound::StorageError;

/// `POST /v1/searches/:id/run` options; overrides are stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSearch {
    pub query: Option<String>,
    pub title: Option<String>,
    pub search_type: Option<String>,
    pub num_results: Option<i64>,
    pub include_domains: Vec<String>,
    pub exclude_domains: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error("search not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("Exa is not configured: set EXA_API_KEY")]
    Unconfigured,
    /// Both the search and the answer failed (both errors are stored).
    #[error("exa upstream error: search: {search}; answer: {answer}")]
    Upstream { search: String, answer: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SearchUseCases: Send + Sync {
    /// # Errors
    /// `Storage`.
    async fn list_searches(&self) -> Result<Vec<Search>, SearchError>;

    /// A new search; blank title or query count as none.
    ///
    /// # Errors
    /// `Storage`.
    async fn create_search(
        &self,
        title: Option<String>,
        query: Option<String>,
    ) -> Result<Search, SearchError>;

    /// # Errors
    /// `NotFound`, `Storage`.
    async fn get_search(&self, id: &str) -> Result<(Search, SearchRun), SearchError>;

    /// # Errors
    /// `NotFound`, `Storage`.
    async fn delete_search(&self, id: &str) -> Result<(), SearchError>;

    /// Runs Exa search and answer concurrently and stores the outcome. One
    /// side failing is recorded in its error field and is not an error.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`, `Unconfigured`, `Upstream` (both failed;
    /// stored anyway), `Storage`.
    async fn run_search(
        &self,
        id: &str,
        options: RunSearch,
    ) -> Result<(Search, SearchRun), SearchError>;

    /// A new chat whose first message is a hidden system message holding the
    /// search's query, answer, citations and top results.
    ///
    /// # Errors
    /// `NotFound`, `Storage`.
    async fn search_to_chat(&self, id: &str, title: Option<String>) -> Result<Chat, SearchError>;
}
