//! Resumable completions: a completion runs as a job whose every event is
//! stored as it is sent, then broadcast to the followers on this replica.
//! Followers elsewhere (another replica, or after a restart) read the
//! stored events; a job whose server died is marked failed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::BoxStream;
use serde_json::json;
use sybil_domain::Timestamp;
use sybil_ports::inbound::{CompletionError, CompletionEvent, StreamMeta};
use sybil_ports::outbound::metrics::{CompletionMode, record_completion_overhead};
use sybil_ports::outbound::{
    Clock, CompletionJob, JobStatus, JobStore, RecordedEvent, StorageError,
};
use tokio::sync::{Notify, broadcast, mpsc};
use uuid::Uuid;

use super::engine::{Engine, Prepared};

/// How often a follower of a job running elsewhere looks for new events.
const POLL: Duration = Duration::from_millis(200);
/// How often a replica proves its jobs alive (and picks up stop requests).
const HEARTBEAT: Duration = Duration::from_secs(2);
/// Events a follower's channel holds.
const FOLLOWER_BUFFER: usize = 64;
/// A running job whose heartbeat is this old has lost its server.
const STALE_AFTER: Duration = Duration::from_secs(15);
/// Events a slow local follower may fall behind before it rereads storage.
const LIVE_BUFFER: usize = 1024;

const LOST: &str = "the server running this completion stopped before it finished";

struct LiveJob {
    events: broadcast::Sender<RecordedEvent>,
    stop: Arc<Notify>,
}

/// The jobs of this replica and the store they are recorded in.
pub struct JobHub {
    store: Arc<dyn JobStore>,
    clock: Arc<dyn Clock>,
    /// This replica's name in `completion_jobs.owner`.
    owner: String,
    live: Mutex<HashMap<Uuid, LiveJob>>,
}

fn is_last(event: &RecordedEvent) -> bool {
    matches!(event.event.as_str(), "done" | "error")
}

/// Records one job's events in order: stored first, then broadcast.
struct Recorder {
    hub: Arc<JobHub>,
    id: Uuid,
    seq: u64,
    events: broadcast::Sender<RecordedEvent>,
}

impl Recorder {
    async fn record(&mut self, event: &CompletionEvent) {
        let (name, data) = event.to_wire();
        self.seq += 1;
        let recorded = RecordedEvent {
            seq: self.seq,
            event: name.to_string(),
            data,
        };
        if let Err(e) = self
            .hub
            .store
            .append_event(self.id, &recorded, self.hub.clock.now())
            .await
        {
            tracing::error!(job = %self.id, error = %e, "could not store a completion event");
        }
        let _ = self.events.send(recorded);
    }
}

impl JobHub {
    pub fn new(store: Arc<dyn JobStore>, clock: Arc<dyn Clock>, owner: String) -> Self {
        JobHub {
            store,
            clock,
            owner,
            live: Mutex::new(HashMap::new()),
        }
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, LiveJob>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates the job, records `meta`, and runs the engine in a task of its
    /// own that no client can cancel. Returns a follower from the start.
    pub async fn start(
        self: &Arc<Self>,
        engine: Arc<Engine>,
        prepared: Box<Prepared>,
        id: Uuid,
    ) -> Result<BoxStream<'static, RecordedEvent>, CompletionError> {
        let now = self.clock.now();
        self.store
            .create_job(&CompletionJob {
                id,
                chat_id: prepared.chat_id,
                status: JobStatus::Running,
                owner: self.owner.clone(),
                stop_requested: false,
                heartbeat_at: now,
                created_at: now,
            })
            .await?;
        let (events, _) = broadcast::channel(LIVE_BUFFER);
        let stop = Arc::new(Notify::new());
        self.live().insert(
            id,
            LiveJob {
                events: events.clone(),
                stop: stop.clone(),
            },
        );
        let mut recorder = Recorder {
            hub: self.clone(),
            id,
            seq: 0,
            events,
        };
        recorder
            .record(&CompletionEvent::Meta(Box::new(StreamMeta {
                chat_id: prepared.chat_id,
                provider: prepared.provider_name,
                model: prepared.model.clone(),
                completion_id: Some(id),
            })))
            .await;
        let span = tracing::info_span!("completion_job", job = %id);
        tokio::spawn(tracing::Instrument::instrument(
            run_job(engine, prepared, recorder, stop),
            span,
        ));
        Ok(self.follow_job(id, 0))
    }

    /// Events after `after`, then live ones, until the last.
    pub fn follow_job(self: &Arc<Self>, id: Uuid, after: u64) -> BoxStream<'static, RecordedEvent> {
        // Room for a replay to run ahead of the writer by a chunk's worth.
        let (tx, mut rx) = mpsc::channel(FOLLOWER_BUFFER);
        let hub = self.clone();
        tokio::spawn(async move {
            if let Err(e) = hub.feed(id, after, &tx).await {
                tracing::warn!(job = %id, error = %e, "a follower stopped early");
            }
        });
        futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
    }

    async fn feed(
        &self,
        id: Uuid,
        mut last: u64,
        tx: &mpsc::Sender<RecordedEvent>,
    ) -> Result<(), StorageError> {
        // Subscribe before reading storage, so no event falls in between.
        let live = self.live().get(&id).map(|job| job.events.subscribe());
        macro_rules! send {
            ($event:expr) => {{
                let event = $event;
                if event.seq > last {
                    last = event.seq;
                    let end = is_last(&event);
                    if tx.send(event).await.is_err() || end {
                        return Ok(());
                    }
                }
            }};
        }
        for event in self.store.events_after(id, last).await? {
            send!(event);
        }
        if let Some(mut live) = live {
            loop {
                match live.recv().await {
                    Ok(event) => send!(event),
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        for event in self.store.events_after(id, last).await? {
                            send!(event);
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        }
        // Running elsewhere (or just finished here): read storage until the end.
        loop {
            let running = self
                .store
                .load_job(id)
                .await?
                .is_some_and(|job| job.status == JobStatus::Running);
            for event in self.store.events_after(id, last).await? {
                send!(event);
            }
            if !running {
                return Ok(());
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = tx.closed() => return Ok(()),
            }
            self.close_stale_jobs().await?;
        }
    }

    /// Stops a running job here, or asks its replica to: `Some(false)` when
    /// it had already finished, `None` when there is no such job.
    pub async fn stop(&self, id: Uuid) -> Result<Option<bool>, StorageError> {
        let Some(job) = self.store.load_job(id).await? else {
            return Ok(None);
        };
        if job.status != JobStatus::Running {
            return Ok(Some(false));
        }
        let local = self.live().get(&id).map(|job| job.stop.clone());
        match local {
            Some(stop) => stop.notify_one(),
            None => {
                self.store.request_stop(id).await?;
            }
        }
        // Answer once it has stopped (or after a bound, if its replica is slow).
        for _ in 0..100 {
            let running = self
                .store
                .load_job(id)
                .await?
                .is_some_and(|j| j.status == JobStatus::Running);
            if !running {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Some(true))
    }

    pub async fn exists(&self, id: Uuid) -> Result<bool, StorageError> {
        Ok(self.store.load_job(id).await?.is_some())
    }

    /// Marks jobs whose server died as failed and closes each with an `error` event.
    async fn close_stale_jobs(&self) -> Result<(), StorageError> {
        let now = self.clock.now();
        let before = Timestamp(now.millis() - STALE_AFTER.as_millis() as i64);
        for (id, last) in self.store.fail_stale_jobs(before).await? {
            let event = RecordedEvent {
                seq: last + 1,
                event: "error".into(),
                data: json!({ "message": LOST }),
            };
            self.store.append_event(id, &event, now).await?;
        }
        Ok(())
    }

    /// Heartbeats for this replica's jobs, stop requests from other
    /// replicas, failed jobs of dead servers, and removal of old jobs.
    pub fn spawn_maintenance(self: &Arc<Self>, retention: Duration) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick: u64 = 0;
            loop {
                let Some(hub) = weak.upgrade() else { break };
                if let Err(e) = hub.maintain(tick, retention).await {
                    tracing::warn!(error = %e, "completion job maintenance failed");
                }
                drop(hub);
                tick += 1;
                tokio::time::sleep(HEARTBEAT).await;
            }
        });
    }

    async fn maintain(&self, tick: u64, retention: Duration) -> Result<(), StorageError> {
        let now = self.clock.now();
        for id in self.store.heartbeat(&self.owner, now).await? {
            if let Some(job) = self.live().get(&id) {
                job.stop.notify_one();
            }
        }
        self.close_stale_jobs().await?;
        if tick.is_multiple_of(30) {
            let before = Timestamp(now.millis() - retention.as_millis() as i64);
            let removed = self.store.delete_finished_before(before).await?;
            if removed > 0 {
                tracing::info!(removed, "old completion jobs removed");
            }
        }
        Ok(())
    }
}

/// Runs the engine, recording every event; a stop closes the event channel,
/// which the engine treats like a client that left.
async fn run_job(
    engine: Arc<Engine>,
    prepared: Box<Prepared>,
    mut recorder: Recorder,
    stop: Arc<Notify>,
) {
    let started = Instant::now();
    let (tx, mut rx) = mpsc::channel(super::STREAM_BUFFER);
    let run = async move {
        let result = engine.run(prepared, Some(&tx)).await;
        drop(tx);
        result
    };
    let record = async {
        let mut stopping = false;
        loop {
            tokio::select! {
                event = rx.recv() => match event {
                    Some(event) => recorder.record(&event).await,
                    None => break,
                },
                _ = stop.notified(), if !stopping => {
                    stopping = true;
                    rx.close();
                }
            }
        }
    };
    let (result, ()) = tokio::join!(run, record);
    let status = match result {
        Ok(outcome) if outcome.stopped => {
            let mut done = outcome;
            done.content = if done.content.is_empty() {
                "[stopped]".to_string()
            } else {
                format!("{}\n\n[stopped]", done.content)
            };
            recorder
                .record(&CompletionEvent::Done(Box::new(done)))
                .await;
            JobStatus::Stopped
        }
        Ok(outcome) => {
            record_completion_overhead(
                CompletionMode::Resumable,
                started.elapsed(),
                outcome.wait_ms,
            );
            JobStatus::Done
        }
        Err(CompletionError::Upstream(_)) => JobStatus::Error,
        Err(e) => {
            tracing::error!(error = %e, "completion job failed");
            recorder
                .record(&CompletionEvent::Error {
                    message: "internal error".into(),
                })
                .await;
            JobStatus::Error
        }
    };
    let hub = recorder.hub.clone();
    if let Err(e) = hub
        .store
        .finish_job(recorder.id, status, hub.clock.now())
        .await
    {
        tracing::error!(error = %e, "could not finish a completion job");
    }
    hub.live().remove(&recorder.id);
}

#[cfg(test)]
mod maintenance_tests;
