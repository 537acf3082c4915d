//! Stopping jobs: one at a client's request (running here, on another
//! replica, or orphaned by a server that died), or all of them when the
//! process shuts down.

use std::time::Duration;

use sybil_domain::{Timestamp, Usage};
use sybil_ports::inbound::{CompletionEvent, CompletionOutcome};
use sybil_ports::outbound::{
    CompletionJob, JobStatus, RawJson, RecordedEvent, StorageError, Topic,
};
use tokio::sync::watch;
use uuid::Uuid;

use super::{HEARTBEAT, JobHub, STALE_AFTER, is_last};
use crate::usecases::completions::engine::Engine;

/// How long a stop of a job of this process waits for it to end before it
/// answers anyway.
const STOP_WAIT: Duration = Duration::from_secs(10);
/// How often a stop of a job on another replica looks whether it ended
/// without a wake-up (the safety net).
const STOP_POLL: Duration = Duration::from_secs(1);
/// At a shutdown, how long the jobs stopped at the drain deadline get to
/// store their partial text and their `done`.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

impl JobHub {
    /// Stops a running job and answers once it ended: `Some(false)` when it
    /// had already finished, `None` when there is no such job.
    pub async fn stop(&self, engine: &Engine, id: Uuid) -> Result<Option<bool>, StorageError> {
        let Some(job) = self.store.load_job(id).await? else {
            return Ok(None);
        };
        if job.status != JobStatus::Running {
            return Ok(Some(false));
        }
        let local = self
            .live()
            .get(&id)
            .map(|job| (job.stop.clone(), job.ended.clone()));
        if let Some((stop, mut ended)) = local {
            stop.notify_one();
            // Closed (`Err`) also means it ended.
            let _ = tokio::time::timeout(STOP_WAIT, ended.wait_for(|ended| *ended)).await;
            return Ok(Some(true));
        }
        if self.is_orphan(&job) {
            return self.stop_orphan(engine, &job).await;
        }
        // Its replica hears the request at once (a wake-up; at its next
        // heartbeat if that is lost). If that replica died (its last
        // heartbeat still fresh), the job turns orphan within `STALE_AFTER`:
        // the wait lasts that long, so that a stop right after a crash
        // still ends the job as stopped.
        let mut changed = self.wakeups.subscribe(Topic::Job(id));
        self.store.request_stop(id).await?;
        let give_up = tokio::time::Instant::now() + STALE_AFTER + HEARTBEAT;
        while tokio::time::Instant::now() < give_up {
            tokio::select! {
                _ = changed.woken() => {}
                _ = tokio::time::sleep(STOP_POLL) => {}
            }
            match self.store.load_job(id).await? {
                Some(job) if job.status == JobStatus::Running => {
                    // Its server died before it saw the request.
                    if self.is_orphan(&job) {
                        return self.stop_orphan(engine, &job).await;
                    }
                }
                _ => break,
            }
        }
        Ok(Some(true))
    }

    /// A running job whose server stopped proving it alive.
    fn is_orphan(&self, job: &CompletionJob) -> bool {
        let stale_before = self.clock.now().millis() - STALE_AFTER.as_millis() as i64;
        job.heartbeat_at < Timestamp(stale_before)
    }

    /// Ends a job whose server died as a stop would have: the text of its
    /// last model call (as its stored events have it) stored with
    /// `metadata.stopped`, a stored `done` carrying it, status `stopped`.
    async fn stop_orphan(
        &self,
        engine: &Engine,
        job: &CompletionJob,
    ) -> Result<Option<bool>, StorageError> {
        let events = self.store.events_after(job.id, 0).await?;
        let Some(outcome) = stopped_outcome(job, &events) else {
            // Without its `meta` (or already ended): the stale-job rule
            // closes it as it closes any job of a dead server.
            self.close_stale_jobs().await?;
            return Ok(Some(false));
        };
        // The status first, so that only one replica closes it.
        if !self
            .store
            .finish_job(job.id, JobStatus::Stopped, self.clock.now())
            .await?
        {
            return Ok(Some(false));
        }
        let message_id = match engine
            .store_stopped_answer(job.chat_id, &outcome.content)
            .await
        {
            Ok(id) => id,
            Err(e) => {
                tracing::error!(job = %job.id, error = %e, "could not store the partial text of a stopped job");
                None
            }
        };
        let last = events.last().map_or(0, |e| e.seq);
        let done = RecordedEvent {
            seq: last + 1,
            event: CompletionEvent::Done(Box::new(CompletionOutcome {
                message_id,
                ..outcome
            })),
        };
        self.store_event(job.id, &done).await?;
        Ok(Some(true))
    }

    /// Lets the running jobs finish for `deadline`; then stops those still
    /// running (each ends as a stop ends it) and gives them `STOP_GRACE`.
    pub async fn drain(&self, deadline: Duration) {
        if tokio::time::timeout(deadline, self.all_ended())
            .await
            .is_ok()
        {
            return;
        }
        let running: Vec<_> = self.live().values().map(|job| job.stop.clone()).collect();
        tracing::warn!(
            jobs = running.len(),
            "completion jobs still running at the drain deadline; stopping them"
        );
        for stop in running {
            stop.notify_one();
        }
        if tokio::time::timeout(STOP_GRACE, self.all_ended())
            .await
            .is_err()
        {
            tracing::error!(
                "completion jobs did not end in time; the stale-job rule will close them"
            );
        }
    }

    /// Resolves once no job of this process runs (jobs started meanwhile included).
    async fn all_ended(&self) {
        loop {
            let ends: Vec<watch::Receiver<bool>> =
                self.live().values().map(|job| job.ended.clone()).collect();
            if ends.is_empty() {
                return;
            }
            for mut ended in ends {
                let _ = ended.wait_for(|ended| *ended).await;
            }
        }
    }
}

/// The `done` of an orphaned job, from its stored events: its `meta`, and
/// the deltas since its last tool call (the text of the model call that
/// was running). `None` without a `meta`, or when it already ended.
fn stopped_outcome(job: &CompletionJob, events: &[RecordedEvent]) -> Option<CompletionOutcome> {
    let CompletionEvent::Meta(meta) = &events.first()?.event else {
        return None;
    };
    if events.last().is_some_and(is_last) {
        return None;
    }
    let since_tool = events
        .iter()
        .rposition(|e| matches!(e.event, CompletionEvent::ToolCall(_)))
        .map_or(0, |i| i + 1);
    let content: String = events[since_tool..]
        .iter()
        .filter_map(|e| match &e.event {
            CompletionEvent::Delta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    Some(CompletionOutcome {
        chat_id: job.chat_id,
        provider: meta.provider,
        model: meta.model.clone(),
        content,
        message_id: None,
        usage: Usage::default(),
        raw: RawJson::null(),
        stopped: true,
        overhead_ms: 0.0,
    })
}
