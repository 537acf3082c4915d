//! Resumable completions: a completion runs as a job whose every event is
//! stored as it is sent, then broadcast to the followers on this replica.
//! Followers elsewhere (another replica, or after a restart) read the
//! stored events; a job whose server died is marked failed.
//!
//! An event is broadcast only once it is stored, so live and replayed
//! streams are the same. An event that cannot be stored is retried; if
//! storage stays away the job ends with an `error` (see `persist`).

mod persist;
mod stop;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;
use sybil_domain::Timestamp;
use sybil_ports::inbound::{CompletionError, CompletionEvent, StreamMeta};
use sybil_ports::outbound::{
    Clock, CompletionJob, JobStatus, JobStore, RawJson, RecordedEvent, StorageError, Topic, Wakeup,
    Wakeups,
};
use tokio::sync::{Notify, broadcast, mpsc, watch};
use uuid::Uuid;

pub use self::stop::STOP_GRACE;
use super::engine::{Engine, Prepared};

/// Without wake-ups (a hub made by `new` alone), how often a follower of a
/// job running elsewhere reads its events.
const POLL_WITHOUT_WAKEUPS: Duration = Duration::from_secs(2);
/// How often a replica proves its jobs alive (and picks up stop requests).
pub(super) const HEARTBEAT: Duration = Duration::from_secs(2);
/// How long a follower of a job that ended waits for its last event.
const LAST_EVENT_WAIT: Duration = Duration::from_secs(5);
/// Events a follower's channel holds.
const FOLLOWER_BUFFER: usize = 64;
/// A running job whose heartbeat is this old has lost its server: four
/// heartbeats missed. Checked every heartbeat, so a dead server's jobs end
/// within 10 s of its last one.
pub(super) const STALE_AFTER: Duration = Duration::from_secs(8);
/// Events a slow local follower may fall behind before it rereads storage.
const LIVE_BUFFER: usize = 1024;

const LOST: &str = "the server running this completion stopped before it finished";
/// The `error` that ends a job whose events could not be stored.
pub(super) const STORAGE_LOST: &str = "storage unavailable: the completion could not be recorded";

struct LiveJob {
    events: broadcast::Sender<RecordedEvent>,
    stop: Arc<Notify>,
    /// Turns `true` (or closes) once the job has its final status.
    ended: watch::Receiver<bool>,
}

/// The jobs of this replica and the store they are recorded in.
pub struct JobHub {
    store: Arc<dyn JobStore>,
    clock: Arc<dyn Clock>,
    /// Wakes followers and stops of jobs on other replicas.
    wakeups: Arc<dyn Wakeups>,
    /// This replica's name in `completion_jobs.owner`.
    owner: String,
    live: Mutex<HashMap<Uuid, LiveJob>>,
}

/// No wake-ups: every subscription "wakes" every `POLL_WITHOUT_WAKEUPS`.
struct NoWakeups;

struct Poll;

#[async_trait::async_trait]
impl Wakeup for Poll {
    async fn woken(&mut self) {
        tokio::time::sleep(POLL_WITHOUT_WAKEUPS).await;
    }
}

impl Wakeups for NoWakeups {
    fn subscribe(&self, _topic: Topic) -> Box<dyn Wakeup> {
        Box::new(Poll)
    }
}

/// `done` and `error` end a stream.
fn is_last(event: &RecordedEvent) -> bool {
    matches!(
        event.event,
        CompletionEvent::Done(_) | CompletionEvent::Error { .. }
    )
}

fn error_event(seq: u64, message: &str) -> RecordedEvent {
    RecordedEvent {
        seq,
        event: CompletionEvent::Error {
            message: message.into(),
        },
    }
}

/// An event as followers get it, live or replayed: a `done` without the
/// provider body and overhead figure, which the stream does not carry.
fn as_sent(event: CompletionEvent) -> CompletionEvent {
    match event {
        CompletionEvent::Done(mut outcome) => {
            outcome.raw = RawJson::null();
            outcome.overhead_ms = 0.0;
            CompletionEvent::Done(outcome)
        }
        other => other,
    }
}

/// Records one job's events in order: stored first, then broadcast.
struct Recorder {
    hub: Arc<JobHub>,
    id: Uuid,
    seq: u64,
    events: broadcast::Sender<RecordedEvent>,
}

impl Recorder {
    /// Stores the event (retried) and broadcasts it. `Err` when storage
    /// stayed away: the event was neither stored nor sent, and the job must
    /// end with `give_up`.
    async fn record(&mut self, event: CompletionEvent) -> Result<(), StorageError> {
        let recorded = RecordedEvent {
            seq: self.seq + 1,
            event: as_sent(event),
        };
        self.hub.store_event(self.id, &recorded).await?;
        self.seq = recorded.seq;
        let _ = self.events.send(recorded);
        Ok(())
    }

    /// Ends a job whose event could not be stored: an `error` in the next
    /// place, stored when storage allows, and sent live either way (the one
    /// event a follower may get before it is stored). Storage gets it and
    /// the final status as soon as it is back; if this process dies first,
    /// the stale-job rule closes the job.
    async fn give_up(self, cause: StorageError) {
        tracing::error!(job = %self.id, error = %cause, "storage stayed away; ending the job with an error");
        let error = error_event(self.seq + 1, STORAGE_LOST);
        let stored = self.hub.store_event(self.id, &error).await.is_ok();
        let _ = self.events.send(error.clone());
        let pending = (!stored).then_some(error);
        self.hub.settle(self.id, pending, JobStatus::Error).await;
    }
}

impl JobHub {
    /// A hub whose followers of other replicas' jobs read every
    /// `POLL_WITHOUT_WAKEUPS` (see `with_wakeups`).
    pub fn new(store: Arc<dyn JobStore>, clock: Arc<dyn Clock>, owner: String) -> Self {
        JobHub {
            store,
            clock,
            wakeups: Arc::new(NoWakeups),
            owner,
            live: Mutex::new(HashMap::new()),
        }
    }

    /// Followers and stops woken as soon as the database says so.
    pub fn with_wakeups(mut self, wakeups: Arc<dyn Wakeups>) -> Self {
        self.wakeups = wakeups;
        self
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
        let (ended_tx, ended) = watch::channel(false);
        self.live().insert(
            id,
            LiveJob {
                events: events.clone(),
                stop: stop.clone(),
                ended,
            },
        );
        let mut recorder = Recorder {
            hub: self.clone(),
            id,
            seq: 0,
            events,
        };
        let meta = CompletionEvent::Meta(Box::new(StreamMeta {
            chat_id: prepared.chat_id,
            provider: prepared.provider_name,
            model: prepared.model.clone(),
            completion_id: Some(id),
        }));
        if let Err(e) = recorder.record(meta).await {
            // The client hears of it at once; the job is closed in storage
            // when storage is back.
            self.live().remove(&id);
            let hub = self.clone();
            tokio::spawn(async move {
                hub.settle(id, Some(error_event(1, STORAGE_LOST)), JobStatus::Error)
                    .await;
                let _ = ended_tx.send(true);
            });
            return Err(e.into());
        }
        // A stop asked on another replica arrives here as a wake-up.
        let asked = self.wakeups.subscribe(Topic::JobStop(id));
        let span = tracing::info_span!("completion_job", job = %id);
        tokio::spawn(tracing::Instrument::instrument(
            async move {
                let hub = recorder.hub.clone();
                run_job(engine, prepared, recorder, stop, asked).await;
                // Only now: a drain waits for the jobs in this map.
                hub.live().remove(&id);
                let _ = ended_tx.send(true);
            },
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
        let mut woken = self.wakeups.subscribe(Topic::Job(id));
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
        let mut ended_without_last = false;
        loop {
            let running = self
                .store
                .load_job(id)
                .await?
                .is_some_and(|job| job.status == JobStatus::Running);
            for event in self.store.events_after(id, last).await? {
                send!(event);
            }
            // Ended, and its last event (sent above, which returns) not
            // stored yet: a dead server's job gets its `error` just after
            // its status. Wait for it once, briefly.
            if !running {
                if ended_without_last {
                    return Ok(());
                }
                ended_without_last = true;
            }
            // A dead replica's job is ended by the maintenance round, whose
            // end wakes this follower too.
            tokio::select! {
                _ = woken.woken() => {}
                _ = tokio::time::sleep(LAST_EVENT_WAIT), if ended_without_last => {}
                _ = tx.closed() => return Ok(()),
            }
        }
    }

    /// Whether another replica asked to stop the job (a storage failure
    /// counts as no: the heartbeat will see the request).
    async fn stop_requested(&self, id: Uuid) -> bool {
        matches!(self.store.load_job(id).await, Ok(Some(job)) if job.stop_requested)
    }

    pub async fn exists(&self, id: Uuid) -> Result<bool, StorageError> {
        Ok(self.store.load_job(id).await?.is_some())
    }

    /// Marks jobs whose server died as failed and closes each with an `error` event.
    async fn close_stale_jobs(&self) -> Result<(), StorageError> {
        let now = self.clock.now();
        let before = Timestamp(now.millis() - STALE_AFTER.as_millis() as i64);
        for (id, last) in self.store.fail_stale_jobs(before).await? {
            self.store_event(id, &error_event(last + 1, LOST)).await?;
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
/// which the engine treats like a client that left. So does an event that
/// cannot be stored: nothing after it may be sent.
async fn run_job(
    engine: Arc<Engine>,
    prepared: Box<Prepared>,
    mut recorder: Recorder,
    stop: Arc<Notify>,
    mut asked: Box<dyn Wakeup>,
) {
    let (tx, mut rx) = mpsc::channel(super::STREAM_BUFFER);
    let (hub, id) = (recorder.hub.clone(), recorder.id);
    let run = async move {
        let result = engine.run(prepared, Some(&tx)).await;
        drop(tx);
        result
    };
    let record = async {
        let mut stopping = false;
        let mut lost = None;
        loop {
            tokio::select! {
                event = rx.recv() => match event {
                    Some(event) if lost.is_none() => {
                        if let Err(e) = recorder.record(event).await {
                            lost = Some(e);
                            rx.close();
                        }
                    }
                    Some(_) => {}
                    None => break,
                },
                _ = stop.notified(), if !stopping => {
                    stopping = true;
                    rx.close();
                }
                // A wake-up only says "read again": the request is stored.
                _ = asked.woken(), if !stopping => {
                    if hub.stop_requested(id).await {
                        stopping = true;
                        rx.close();
                    }
                }
            }
        }
        lost
    };
    let (result, lost) = tokio::join!(run, record);
    if let Some(e) = lost {
        return recorder.give_up(e).await;
    }
    let last = match result {
        Ok(outcome) if outcome.stopped => {
            // The engine stored the partial text; `done` carries it as stored.
            let done = CompletionEvent::Done(Box::new(outcome));
            recorder.record(done).await.map(|()| JobStatus::Stopped)
        }
        Ok(_) => Ok(JobStatus::Done),
        Err(CompletionError::Upstream(_)) => Ok(JobStatus::Error),
        Err(e) => {
            tracing::error!(error = %e, "completion job failed");
            let error = CompletionEvent::Error {
                message: "internal error".into(),
            };
            recorder.record(error).await.map(|()| JobStatus::Error)
        }
    };
    match last {
        Ok(status) => recorder.hub.settle(recorder.id, None, status).await,
        Err(e) => recorder.give_up(e).await,
    }
}

#[cfg(test)]
mod maintenance_tests;
