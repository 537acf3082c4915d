//! Writes a job cannot do without, retried: its events and its final status.

use std::future::Future;

use sybil_domain::storage_retry::STORAGE_RETRY_DELAYS;
use sybil_ports::outbound::{JobStatus, RecordedEvent, StorageError};
use uuid::Uuid;

use super::{HEARTBEAT, JobHub};

/// Runs `attempt` until it succeeds or the delays run out. `stored` is
/// asked before each retry whether a failed attempt did its work after all
/// (a commit whose answer was lost), so no write is made twice.
async fn retrying<A, AF, S, SF>(
    what: &str,
    mut attempt: A,
    mut stored: S,
) -> Result<(), StorageError>
where
    A: FnMut() -> AF,
    AF: Future<Output = Result<(), StorageError>>,
    S: FnMut() -> SF,
    SF: Future<Output = bool>,
{
    let mut delays = STORAGE_RETRY_DELAYS.iter();
    loop {
        let error = match attempt().await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let Some(delay) = delays.next() else {
            return Err(error);
        };
        tracing::warn!(error = %error, ?delay, "{what} failed; trying again");
        tokio::time::sleep(*delay).await;
        if stored().await {
            return Ok(());
        }
    }
}

impl JobHub {
    /// Stores one event of a job, retried.
    pub(super) async fn store_event(
        &self,
        id: Uuid,
        event: &RecordedEvent,
    ) -> Result<(), StorageError> {
        retrying(
            "storing a completion event",
            || self.store.append_event(id, event, self.clock.now()),
            || async {
                let after = event.seq.saturating_sub(1);
                match self.store.events_after(id, after).await {
                    // Another event in its place (another replica closed
                    // the job) is no success.
                    Ok(events) => events.first() == Some(event),
                    Err(_) => false,
                }
            },
        )
        .await
    }

    /// Whether the job is no longer running in storage (another replica's
    /// stale-job rule or stop closed it while this one could not write) or
    /// is gone: its last event then has nowhere to go, and retrying it
    /// would never end.
    async fn closed_elsewhere(&self, id: Uuid) -> bool {
        match self.store.load_job(id).await {
            Ok(Some(job)) => job.status != JobStatus::Running,
            Ok(None) => true,
            Err(_) => false,
        }
    }

    /// Stores a job's last event when `pending` (it could not be stored
    /// yet) and its final status. While storage stays away this tries again
    /// every heartbeat: the job stays `running` (and heartbeated) until
    /// then, so followers wait for the last event instead of missing it.
    pub(super) async fn settle(
        &self,
        id: Uuid,
        mut pending: Option<RecordedEvent>,
        status: JobStatus,
    ) {
        loop {
            if let Some(event) = &pending {
                match self.store_event(id, event).await {
                    Ok(()) => pending = None,
                    Err(_) if self.closed_elsewhere(id).await => return,
                    Err(e) => {
                        tracing::warn!(job = %id, error = %e, "the last event of a job is not stored yet");
                        tokio::time::sleep(HEARTBEAT).await;
                        continue;
                    }
                }
            }
            let finished = retrying(
                "finishing a completion job",
                || async {
                    // `false`: it is not running any more (another replica
                    // closed it), which is final too.
                    self.store
                        .finish_job(id, status, self.clock.now())
                        .await
                        .map(|_| ())
                },
                || async { false },
            )
            .await;
            match finished {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(job = %id, error = %e, "a job's final status is not stored yet");
                    tokio::time::sleep(HEARTBEAT).await;
                }
            }
        }
    }
}
