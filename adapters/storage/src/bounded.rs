//! Every storage call bounded in time on the client side. The pool's
//! acquire timeout and PostgreSQL's `statement_timeout` bound what the
//! server can see; a connection whose network froze sees nothing and would
//! wait forever for an answer, so each call is also given up here.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use sybil_domain::search::{Search, SearchRun};
use sybil_domain::{Chat, Message, ModelChoice, Timestamp};
use sybil_ports::outbound::{
    ChatRepository, ChatWithMessages, CompletionJob, JobStatus, JobStore, RecordedEvent,
    SearchRepository, StorageError,
};
use uuid::Uuid;

use crate::SeaOrmStorage;

/// The most a storage call (all of its statements) may take before it is
/// answered as unavailable (503).
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(5);

impl SeaOrmStorage {
    /// `work` within `CALL_TIMEOUT`, else `Unavailable`. Dropping `work`
    /// mid-way is safe: an open transaction is rolled back, and a
    /// connection interrupted mid-statement is checked before reuse.
    /// Any error that a storage error converts into (`AccountWriteError`
    /// too) can carry the timeout.
    pub(crate) async fn bounded<T, E: From<StorageError>>(
        &self,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        tokio::time::timeout(CALL_TIMEOUT, work)
            .await
            .unwrap_or_else(|_| {
                Err(StorageError::Unavailable(format!(
                    "the database did not answer within {} s",
                    CALL_TIMEOUT.as_secs()
                ))
                .into())
            })
    }
}

/// The storage ports over `SeaOrmStorage`, each call bounded by
/// `CALL_TIMEOUT`. What the use cases are given.
#[derive(Clone, Debug)]
pub struct BoundedStorage(SeaOrmStorage);

impl BoundedStorage {
    pub fn new(storage: SeaOrmStorage) -> BoundedStorage {
        BoundedStorage(storage)
    }

    pub(crate) fn inner(&self) -> &SeaOrmStorage {
        &self.0
    }
}

#[async_trait]
impl ChatRepository for BoundedStorage {
    async fn create_chat(&self, chat: &Chat, messages: &[Message]) -> Result<(), StorageError> {
        self.0.bounded(self.0.create_chat(chat, messages)).await
    }

    async fn list_chats(&self) -> Result<Vec<Chat>, StorageError> {
        self.0.bounded(self.0.list_chats()).await
    }

    async fn load_chat(&self, id: Uuid) -> Result<Option<ChatWithMessages>, StorageError> {
        self.0.bounded(self.0.load_chat(id)).await
    }

    async fn rename_chat(
        &self,
        id: Uuid,
        title: Option<String>,
        now: Timestamp,
    ) -> Result<Option<Chat>, StorageError> {
        self.0.bounded(self.0.rename_chat(id, title, now)).await
    }

    async fn delete_chat(&self, id: Uuid) -> Result<bool, StorageError> {
        self.0.bounded(self.0.delete_chat(id)).await
    }

    async fn append_messages(
        &self,
        chat_id: Uuid,
        messages: &[Message],
        model_use: Option<ModelChoice>,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        let append = self.0.append_messages(chat_id, messages, model_use, now);
        self.0.bounded(append).await
    }

    async fn append_new_messages(
        &self,
        chat_id: Uuid,
        provided: &[Message],
        model_use: Option<ModelChoice>,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        let append = self
            .0
            .append_new_messages(chat_id, provided, model_use, now);
        self.0.bounded(append).await
    }

    async fn ping(&self) -> Result<(), StorageError> {
        self.0.bounded(ChatRepository::ping(&self.0)).await
    }
}

#[async_trait]
impl JobStore for BoundedStorage {
    async fn create_job(&self, job: &CompletionJob) -> Result<(), StorageError> {
        self.0.bounded(self.0.create_job(job)).await
    }

    async fn load_job(&self, id: Uuid) -> Result<Option<CompletionJob>, StorageError> {
        self.0.bounded(self.0.load_job(id)).await
    }

    async fn append_event(
        &self,
        job_id: Uuid,
        event: &RecordedEvent,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        self.0
            .bounded(self.0.append_event(job_id, event, now))
            .await
    }

    async fn events_after(
        &self,
        job_id: Uuid,
        after: u64,
    ) -> Result<Vec<RecordedEvent>, StorageError> {
        self.0.bounded(self.0.events_after(job_id, after)).await
    }

    async fn finish_job(
        &self,
        id: Uuid,
        status: JobStatus,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        self.0.bounded(self.0.finish_job(id, status, now)).await
    }

    async fn request_stop(&self, id: Uuid) -> Result<bool, StorageError> {
        self.0.bounded(self.0.request_stop(id)).await
    }

    async fn heartbeat(&self, owner: &str, now: Timestamp) -> Result<Vec<Uuid>, StorageError> {
        self.0.bounded(self.0.heartbeat(owner, now)).await
    }

    async fn fail_stale_jobs(&self, before: Timestamp) -> Result<Vec<(Uuid, u64)>, StorageError> {
        self.0.bounded(self.0.fail_stale_jobs(before)).await
    }

    async fn delete_finished_before(&self, before: Timestamp) -> Result<u64, StorageError> {
        self.0.bounded(self.0.delete_finished_before(before)).await
    }
}

#[async_trait]
impl SearchRepository for BoundedStorage {
    async fn create_search(&self, search: &Search) -> Result<(), StorageError> {
        self.0.bounded(self.0.create_search(search)).await
    }

    async fn list_searches(&self) -> Result<Vec<Search>, StorageError> {
        self.0.bounded(self.0.list_searches()).await
    }

    async fn load_search(&self, id: Uuid) -> Result<Option<(Search, SearchRun)>, StorageError> {
        self.0.bounded(self.0.load_search(id)).await
    }

    async fn delete_search(&self, id: Uuid) -> Result<bool, StorageError> {
        self.0.bounded(self.0.delete_search(id)).await
    }

    async fn save_run(
        &self,
        id: Uuid,
        title: Option<String>,
        query: Option<String>,
        run: &SearchRun,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        let save = self.0.save_run(id, title, query, run, now);
        self.0.bounded(save).await
    }
}
