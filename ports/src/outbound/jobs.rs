//! Durable state of resumable completions: the job and every event it sent.

use async_trait::async_trait;
use sybil_domain::Timestamp;
use uuid::Uuid;

use super::StorageError;
use crate::inbound::CompletionEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Running,
    Done,
    Error,
    Stopped,
    /// Its server died before it finished.
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Error => "error",
            JobStatus::Stopped => "stopped",
            JobStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        [
            JobStatus::Running,
            JobStatus::Done,
            JobStatus::Error,
            JobStatus::Stopped,
            JobStatus::Failed,
        ]
        .into_iter()
        .find(|j| j.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionJob {
    pub id: Uuid,
    pub chat_id: Option<Uuid>,
    pub status: JobStatus,
    /// The replica running it.
    pub owner: String,
    pub stop_requested: bool,
    pub heartbeat_at: Timestamp,
    pub created_at: Timestamp,
}

/// One event of a job as it was sent, with its SSE `id:` (`seq`). A `done`
/// holds only what the stream carries: no provider body, no wait time.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    pub seq: u64,
    pub event: CompletionEvent,
}

#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait JobStore: Send + Sync {
    /// # Errors
    /// `StorageError` when the database fails.
    async fn create_job(&self, job: &CompletionJob) -> Result<(), StorageError>;

    /// # Errors
    /// `StorageError` when the database fails.
    async fn load_job(&self, id: Uuid) -> Result<Option<CompletionJob>, StorageError>;

    /// Stores one event; `seq` values increase from 1 per job.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn append_event(
        &self,
        job_id: Uuid,
        event: &RecordedEvent,
        now: Timestamp,
    ) -> Result<(), StorageError>;

    /// The job's events with `seq > after`, in order.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn events_after(
        &self,
        job_id: Uuid,
        after: u64,
    ) -> Result<Vec<RecordedEvent>, StorageError>;

    /// Sets a running job's final status; `false` when it was not running.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn finish_job(
        &self,
        id: Uuid,
        status: JobStatus,
        now: Timestamp,
    ) -> Result<bool, StorageError>;

    /// Asks the owner of a running job to stop it; `false` when not running.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn request_stop(&self, id: Uuid) -> Result<bool, StorageError>;

    /// Refreshes the heartbeat of `owner`'s running jobs; returns those whose
    /// stop was requested.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn heartbeat(&self, owner: &str, now: Timestamp) -> Result<Vec<Uuid>, StorageError>;

    /// Marks running jobs whose heartbeat is older than `before` as failed,
    /// returning them (their last `seq` included) so an `error` event can
    /// close each one.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn fail_stale_jobs(&self, before: Timestamp) -> Result<Vec<(Uuid, u64)>, StorageError>;

    /// Deletes finished jobs (and their events) last updated before `before`.
    ///
    /// # Errors
    /// `StorageError` when the database fails.
    async fn delete_finished_before(&self, before: Timestamp) -> Result<u64, StorageError>;
}
