//! Durable storage of searches and the outcome of their last run.

use async_trait::async_trait;
use sybil_domain::Timestamp;
use sybil_domain::search::{Search, SearchRun};
use uuid::Uuid;

use super::StorageError;

#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SearchRepository: Send + Sync {
    /// # Errors
    /// `StorageError` when the database fails.
    async fn create_search(&self, search: &Search) -> Result<(), StorageError>;

    /// Every search, most recently updated first.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn list_searches(&self) -> Result<Vec<Search>, StorageError>;

    /// The search with its last run (empty before the first), or `None`.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn load_search(&self, id: Uuid) -> Result<Option<(Search, SearchRun)>, StorageError>;

    /// Deletes the search and its results; `false` when unknown.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn delete_search(&self, id: Uuid) -> Result<bool, StorageError>;

    /// Replaces the search's title, query and last run (results included)
    /// atomically and sets `updatedAt`; `false` (nothing stored) when unknown.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn save_run(
        &self,
        id: Uuid,
        title: Option<String>,
        query: Option<String>,
        run: &SearchRun,
        now: Timestamp,
    ) -> Result<bool, StorageError>;
}
