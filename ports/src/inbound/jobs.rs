//! Resumable completions: a completion that runs as a server-side job whose
//! events are stored, so clients can replay, follow and stop it.

use async_trait::async_trait;
use futures::stream::BoxStream;

use super::{CompletionCommand, CompletionError};
use crate::outbound::{RecordedEvent, StorageError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("completion not found")]
    NotFound,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ResumableCompletions: Send + Sync {
    /// Checks and stores like a streamed completion, then runs it as a job
    /// that a client disconnect does not stop. The stream follows the job
    /// from its first event (`meta` carries `completionId`).
    ///
    /// # Errors
    /// As for `CompletionUseCases::stream`.
    async fn start(
        &self,
        command: CompletionCommand,
    ) -> Result<BoxStream<'static, RecordedEvent>, CompletionError>;

    /// The job's events after `after`, then live ones until `done`/`error`;
    /// a finished job's stored events, then the end.
    ///
    /// # Errors
    /// `NotFound` for an unknown (or expired) job, `Storage`.
    async fn follow(
        &self,
        id: &str,
        after: u64,
    ) -> Result<BoxStream<'static, RecordedEvent>, JobError>;

    /// Stops a running job: the upstream call and any running tool are
    /// aborted, the partial text is stored, followers get a final `done`.
    /// Returns `false` when the job had already finished (nothing changes).
    ///
    /// # Errors
    /// `NotFound`, `Storage`.
    async fn stop(&self, id: &str) -> Result<bool, JobError>;
}
