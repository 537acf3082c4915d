//! Resumable jobs over an in-memory job store that fails on demand, on
//! paused time: storage blips and outages, stops (here, from another
//! replica, of an orphaned job) and the shutdown drain.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use futures::stream::BoxStream;
use serde_json::{Value, json};
use sybil_domain::Timestamp;
use sybil_ports::outbound::{
    CompletionJob, JobStatus, JobStore, LlmError, LlmProvider, LlmResponse, LlmStreamEvent,
    RawJson, RecordedEvent, StorageError, Usage,
};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::engine::{Engine, Prepared};
use super::loop_tests::{Counter, MemoryStore, NoFetch};
use super::*;
use crate::usecases::tools::ToolRunner;

const NOW: i64 = 1_800_000_000_000;

/// `JobStore` in memory; its writes fail while `down`, and the next
/// `fail_appends` event writes fail.
#[derive(Default)]
struct MemoryJobs {
    jobs: Mutex<HashMap<Uuid, (CompletionJob, Vec<RecordedEvent>)>>,
    down: AtomicBool,
    fail_appends: AtomicUsize,
    /// Told of every change of a job's status.
    status_changed: watch::Sender<()>,
}

fn outage() -> StorageError {
    StorageError::Unavailable("database unreachable".into())
}

impl MemoryJobs {
    fn check_write(&self) -> Result<(), StorageError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(outage());
        }
        Ok(())
    }

    fn status(&self, id: Uuid) -> JobStatus {
        self.jobs.lock().unwrap()[&id].0.status
    }

    fn events(&self, id: Uuid) -> Vec<RecordedEvent> {
        self.jobs.lock().unwrap()[&id].1.clone()
    }
}

#[async_trait]
impl JobStore for MemoryJobs {
    async fn create_job(&self, job: &CompletionJob) -> Result<(), StorageError> {
        self.check_write()?;
        self.jobs
            .lock()
            .unwrap()
            .insert(job.id, (job.clone(), Vec::new()));
        Ok(())
    }
    async fn load_job(&self, id: Uuid) -> Result<Option<CompletionJob>, StorageError> {
        Ok(self.jobs.lock().unwrap().get(&id).map(|j| j.0.clone()))
    }
    async fn append_event(
        &self,
        id: Uuid,
        event: &RecordedEvent,
        _: Timestamp,
    ) -> Result<(), StorageError> {
        self.check_write()?;
        let failing = self
            .fail_appends
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            return Err(outage());
        }
        let mut jobs = self.jobs.lock().unwrap();
        let events = &mut jobs.get_mut(&id).unwrap().1;
        if events.iter().any(|e| e.seq == event.seq) {
            return Err(StorageError::Internal("duplicate key".into()));
        }
        events.push(event.clone());
        events.sort_by_key(|e| e.seq);
        Ok(())
    }
    async fn events_after(&self, id: Uuid, after: u64) -> Result<Vec<RecordedEvent>, StorageError> {
        let jobs = self.jobs.lock().unwrap();
        Ok(jobs[&id]
            .1
            .iter()
            .filter(|e| e.seq > after)
            .cloned()
            .collect())
    }
    async fn finish_job(
        &self,
        id: Uuid,
        status: JobStatus,
        _: Timestamp,
    ) -> Result<bool, StorageError> {
        self.check_write()?;
        let mut jobs = self.jobs.lock().unwrap();
        let job = &mut jobs.get_mut(&id).unwrap().0;
        let running = job.status == JobStatus::Running;
        if running {
            job.status = status;
            self.status_changed.send_replace(());
        }
        Ok(running)
    }
    async fn request_stop(&self, id: Uuid) -> Result<bool, StorageError> {
        self.check_write()?;
        let mut jobs = self.jobs.lock().unwrap();
        let job = &mut jobs.get_mut(&id).unwrap().0;
        job.stop_requested = job.status == JobStatus::Running;
        Ok(job.stop_requested)
    }
    async fn heartbeat(&self, owner: &str, now: Timestamp) -> Result<Vec<Uuid>, StorageError> {
        self.check_write()?;
        let mut asked = Vec::new();
        for (job, _) in self.jobs.lock().unwrap().values_mut() {
            if job.owner == owner && job.status == JobStatus::Running {
                job.heartbeat_at = now;
                if job.stop_requested {
                    asked.push(job.id);
                }
            }
        }
        Ok(asked)
    }
    async fn fail_stale_jobs(&self, before: Timestamp) -> Result<Vec<(Uuid, u64)>, StorageError> {
        self.check_write()?;
        let mut failed = Vec::new();
        for (job, events) in self.jobs.lock().unwrap().values_mut() {
            if job.status == JobStatus::Running && job.heartbeat_at < before {
                job.status = JobStatus::Failed;
                failed.push((job.id, events.last().map_or(0, |e| e.seq)));
            }
        }
        if !failed.is_empty() {
            self.status_changed.send_replace(());
        }
        Ok(failed)
    }
    async fn delete_finished_before(&self, _: Timestamp) -> Result<u64, StorageError> {
        Ok(0)
    }
}

type Upstream = mpsc::UnboundedSender<Result<LlmStreamEvent, LlmError>>;

/// A provider whose one stream the test drives, event by event.
struct Puppet(Mutex<Option<mpsc::UnboundedReceiver<Result<LlmStreamEvent, LlmError>>>>);

#[async_trait]
impl LlmProvider for Puppet {
    fn provider(&self) -> Provider {
        Provider::OpenAi
    }
    async fn complete(&self, _: &LlmRequest) -> Result<LlmResponse, LlmError> {
        unreachable!("jobs stream")
    }
    async fn stream(
        &self,
        _: &LlmRequest,
    ) -> Result<BoxStream<'static, Result<LlmStreamEvent, LlmError>>, LlmError> {
        let mut rx = self.0.lock().unwrap().take().expect("one stream");
        Ok(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed())
    }
    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        Ok(Vec::new())
    }
}

struct FixedNow;
impl Clock for FixedNow {
    fn now(&self) -> Timestamp {
        Timestamp(NOW)
    }
}

/// One chat, one job store, one engine; replicas are hubs on the same store.
struct Setup {
    jobs: Arc<MemoryJobs>,
    chats: Arc<MemoryStore>,
    engine: Arc<Engine>,
    hub: Arc<JobHub>,
}

impl Setup {
    fn new() -> Setup {
        let jobs = Arc::new(MemoryJobs::default());
        let chats = MemoryStore::with_chat();
        let engine = Arc::new(Engine {
            chats: chats.clone(),
            calls: chats.clone(),
            clock: Arc::new(FixedNow),
            ids: Arc::new(Counter::default()),
            tools: ToolRunner {
                web_search: None,
                fetcher: Arc::new(NoFetch),
                devbox: None,
            },
            max_rounds: 10,
        });
        let hub = Arc::new(JobHub::new(
            jobs.clone(),
            Arc::new(FixedNow),
            "replica-a".into(),
        ));
        Setup {
            jobs,
            chats,
            engine,
            hub,
        }
    }

    fn replica(&self, owner: &str) -> Arc<JobHub> {
        Arc::new(JobHub::new(
            self.jobs.clone(),
            Arc::new(FixedNow),
            owner.into(),
        ))
    }

    /// Starts a job on `hub`; its id, its first follower and its upstream.
    async fn start(&self) -> (Uuid, BoxStream<'static, RecordedEvent>, Upstream) {
        let (upstream, rx) = mpsc::unbounded_channel();
        let prepared = Box::new(Prepared {
            chat_id: Some(Uuid::from_u128(1)),
            reply: None,
            provider: Arc::new(Puppet(Mutex::new(Some(rx)))),
            provider_name: Provider::OpenAi,
            model: "m".into(),
            request: LlmRequest::default(),
            mode: sybil_metrics::CompletionMode::Resumable,
            received: std::time::Instant::now(),
        });
        let id = Uuid::now_v7();
        let live = self
            .hub
            .start(self.engine.clone(), prepared, id)
            .await
            .unwrap();
        (id, live, upstream)
    }

    /// Waits (on paused time, at most a minute of it) until the job has its
    /// final status.
    async fn ended(&self, id: Uuid) -> JobStatus {
        let mut changed = self.jobs.status_changed.subscribe();
        let ended = async {
            while self.jobs.status(id) == JobStatus::Running {
                changed.changed().await.unwrap();
            }
            self.jobs.status(id)
        };
        tokio::time::timeout(Duration::from_secs(60), ended)
            .await
            .expect("the job is still running")
    }
}

fn say(upstream: &Upstream, text: &str) {
    upstream
        .send(Ok(LlmStreamEvent::TextDelta(text.into())))
        .unwrap();
}

fn answer(upstream: &Upstream, text: &str) {
    let response = LlmResponse {
        text: text.into(),
        tool_calls: vec![],
        usage: Usage::default(),
        response_id: None,
        request_id: None,
        raw: RawJson::from_value(&json!({ "id": "resp_1" })),
    };
    upstream
        .send(Ok(LlmStreamEvent::Completed(Box::new(response))))
        .unwrap();
}

/// Reads the next event of a follower.
async fn next(live: &mut BoxStream<'static, RecordedEvent>) -> RecordedEvent {
    live.next().await.expect("an event")
}

/// The rest of a follower's events, to its end (within a minute of paused time).
async fn rest(live: BoxStream<'static, RecordedEvent>) -> Vec<RecordedEvent> {
    tokio::time::timeout(Duration::from_secs(60), live.collect())
        .await
        .expect("the stream ended")
}

fn names(events: &[RecordedEvent]) -> Vec<(u64, &'static str)> {
    let name = |event: &CompletionEvent| match event {
        CompletionEvent::Meta(_) => "meta",
        CompletionEvent::Delta { .. } => "delta",
        CompletionEvent::ToolCall(_) => "tool_call",
        CompletionEvent::Done(_) => "done",
        CompletionEvent::Error { .. } => "error",
    };
    events.iter().map(|e| (e.seq, name(&e.event))).collect()
}

/// The content, `stopped` and message id of a `done`.
fn done_of(event: &RecordedEvent) -> (&str, bool, Option<Uuid>) {
    match &event.event {
        CompletionEvent::Done(o) => (o.content.as_str(), o.stopped, o.message_id),
        other => panic!("not a done: {other:?}"),
    }
}

fn last_message(chats: &MemoryStore) -> (String, Option<Value>, Uuid) {
    let m = chats.messages().last().cloned().expect("a message");
    (m.content, m.metadata, m.id)
}

#[tokio::test(start_paused = true)]
async fn a_storage_blip_is_ridden_out_and_the_replay_matches_the_live_stream() {
    let t = Setup::new();
    let (id, mut live, upstream) = t.start().await;
    say(&upstream, "Hel");
    let mut seen = vec![next(&mut live).await, next(&mut live).await];
    t.jobs.fail_appends.store(3, Ordering::SeqCst);
    say(&upstream, "lo");
    answer(&upstream, "Hello");
    seen.extend(rest(live).await);
    assert_eq!(
        names(&seen),
        [(1, "meta"), (2, "delta"), (3, "delta"), (4, "done")]
    );
    assert_eq!(t.ended(id).await, JobStatus::Done);
    let replay = rest(t.hub.follow_job(id, 0)).await;
    assert_eq!(replay, seen);
    // Only what the stream carries is recorded, so that a `done` read back
    // from storage equals the one that was sent.
    let CompletionEvent::Done(done) = &seen[3].event else {
        panic!("not a done: {:?}", seen[3]);
    };
    assert_eq!((done.raw.get(), done.overhead_ms), ("null", 0.0));
}

#[tokio::test(start_paused = true)]
async fn an_outage_ends_the_job_with_an_error_live_and_in_storage_once_it_is_back() {
    let t = Setup::new();
    let (id, mut live, upstream) = t.start().await;
    say(&upstream, "Hel");
    let mut seen = vec![next(&mut live).await, next(&mut live).await];
    t.jobs.down.store(true, Ordering::SeqCst);
    say(&upstream, "lo");
    seen.extend(rest(live).await);
    // Nothing that was not stored went out, but the error that ends it.
    assert_eq!(names(&seen), [(1, "meta"), (2, "delta"), (3, "error")]);
    assert_eq!(
        seen[2].event,
        CompletionEvent::Error {
            message: jobs::STORAGE_LOST.into()
        }
    );
    assert_eq!(names(&t.jobs.events(id)), [(1, "meta"), (2, "delta")]);
    assert_eq!(t.jobs.status(id), JobStatus::Running);

    t.jobs.down.store(false, Ordering::SeqCst);
    assert_eq!(t.ended(id).await, JobStatus::Error);
    let replay = rest(t.hub.follow_job(id, 0)).await;
    assert_eq!(replay, seen);
}

#[tokio::test(start_paused = true)]
async fn an_event_that_cannot_be_stored_gives_way_to_a_stored_error() {
    let t = Setup::new();
    let (id, mut live, upstream) = t.start().await;
    assert_eq!(names(&[next(&mut live).await]), [(1, "meta")]);
    // Every attempt at the delta fails; the error after it is stored.
    t.jobs.fail_appends.store(7, Ordering::SeqCst);
    say(&upstream, "Hel");
    let seen = rest(live).await;
    assert_eq!(names(&seen), [(2, "error")]);
    assert_eq!(t.ended(id).await, JobStatus::Error);
    assert_eq!(t.jobs.events(id)[1], seen[0]);
}

#[tokio::test(start_paused = true)]
async fn a_job_another_replica_closed_while_storage_was_away_is_let_go() {
    let t = Setup::new();
    let (id, mut live, upstream) = t.start().await;
    assert_eq!(names(&[next(&mut live).await]), [(1, "meta")]);
    t.jobs.down.store(true, Ordering::SeqCst);
    say(&upstream, "Hel");
    assert_eq!(names(&rest(live).await), [(2, "error")]);
    // Meanwhile another replica took this one for dead and closed the job,
    // its own error in the place this one's error was meant for.
    let theirs = RecordedEvent {
        seq: 2,
        event: CompletionEvent::Error {
            message: "the server running this completion stopped".into(),
        },
    };
    {
        let mut jobs = t.jobs.jobs.lock().unwrap();
        let (job, events) = jobs.get_mut(&id).unwrap();
        job.status = JobStatus::Failed;
        events.push(theirs.clone());
    }
    t.jobs.down.store(false, Ordering::SeqCst);
    // The job's task ends instead of retrying its error forever.
    let drained = Instant::now();
    t.hub.drain(Duration::from_secs(600)).await;
    assert!(drained.elapsed() < Duration::from_secs(60));
    assert_eq!(t.jobs.status(id), JobStatus::Failed);
    assert_eq!(t.jobs.events(id).last(), Some(&theirs));
}

#[tokio::test(start_paused = true)]
async fn a_local_stop_answers_as_soon_as_the_job_ended() {
    let t = Setup::new();
    let (id, mut live, upstream) = t.start().await;
    say(&upstream, "Hel");
    next(&mut live).await;
    next(&mut live).await;
    let asked = Instant::now();
    assert_eq!(t.hub.stop(&t.engine, id).await.unwrap(), Some(true));
    assert_eq!(asked.elapsed(), Duration::ZERO, "no polling");
    assert_eq!(t.jobs.status(id), JobStatus::Stopped);
    let done = next(&mut live).await;
    let (content, metadata, message_id) = last_message(&t.chats);
    assert_eq!(
        (content.as_str(), metadata),
        ("Hel", Some(json!({ "stopped": true })))
    );
    assert_eq!(done_of(&done), ("Hel", true, Some(message_id)));
}

#[tokio::test(start_paused = true)]
async fn a_stop_from_another_replica_ends_with_done_carrying_the_stored_text() {
    let t = Setup::new();
    t.hub.spawn_maintenance(Duration::from_secs(3600));
    let (id, mut live, upstream) = t.start().await;
    say(&upstream, "Hel");
    next(&mut live).await;
    next(&mut live).await;
    let other = t.replica("replica-b");
    assert_eq!(other.stop(&t.engine, id).await.unwrap(), Some(true));
    assert_eq!(t.jobs.status(id), JobStatus::Stopped);
    let done = next(&mut live).await;
    let (content, _, message_id) = last_message(&t.chats);
    assert_eq!(done_of(&done), (content.as_str(), true, Some(message_id)));
}

/// A running job of a server that died, its heartbeat last proved at
/// `heartbeat_at`, with a `meta` and the deltas "Hel" and "lo" stored.
fn orphan(t: &Setup, heartbeat_at: i64) -> Uuid {
    let id = Uuid::now_v7();
    let meta = CompletionEvent::Meta(Box::new(StreamMeta {
        chat_id: Some(Uuid::from_u128(1)),
        provider: Provider::OpenAi,
        model: "m".into(),
        completion_id: Some(id),
    }));
    let delta = |text: &str| CompletionEvent::Delta { text: text.into() };
    let events = [meta, delta("Hel"), delta("lo")]
        .into_iter()
        .enumerate()
        .map(|(i, event)| RecordedEvent {
            seq: i as u64 + 1,
            event,
        })
        .collect();
    let job = CompletionJob {
        id,
        chat_id: Some(Uuid::from_u128(1)),
        status: JobStatus::Running,
        owner: "a-server-that-died".into(),
        stop_requested: false,
        heartbeat_at: Timestamp(heartbeat_at),
        created_at: Timestamp(heartbeat_at - 30_000),
    };
    t.jobs.jobs.lock().unwrap().insert(id, (job, events));
    id
}

/// `NOW` plus the (paused) tokio time since it was made.
struct TokioClock(Instant);
impl Clock for TokioClock {
    fn now(&self) -> Timestamp {
        Timestamp(NOW + self.0.elapsed().as_millis() as i64)
    }
}

#[tokio::test(start_paused = true)]
async fn a_stop_just_after_the_jobs_server_died_ends_it_as_stopped_once_it_is_stale() {
    let t = Setup::new();
    let id = orphan(&t, NOW);
    let hub = JobHub::new(
        t.jobs.clone(),
        Arc::new(TokioClock(Instant::now())),
        "replica-b".into(),
    );
    let asked = Instant::now();
    assert_eq!(hub.stop(&t.engine, id).await.unwrap(), Some(true));
    // Its owner never took the request: once its heartbeat is stale, the
    // job is an orphan and this stop ends it, rather than answering
    // `stopped` for a job the stale-job rule later fails.
    assert!(
        asked.elapsed() >= jobs::STALE_AFTER,
        "{:?}",
        asked.elapsed()
    );
    assert!(
        asked.elapsed() <= jobs::STALE_AFTER + jobs::HEARTBEAT,
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(t.jobs.status(id), JobStatus::Stopped);
    let (content, metadata, _) = last_message(&t.chats);
    assert_eq!(
        (content.as_str(), metadata),
        ("Hello", Some(json!({ "stopped": true })))
    );
}

#[tokio::test(start_paused = true)]
async fn a_stop_of_an_orphaned_job_ends_it_at_once_as_stopped() {
    let t = Setup::new();
    let id = orphan(&t, NOW - 60_000);

    let asked = Instant::now();
    assert_eq!(t.hub.stop(&t.engine, id).await.unwrap(), Some(true));
    assert_eq!(asked.elapsed(), Duration::ZERO, "at once");
    assert_eq!(t.jobs.status(id), JobStatus::Stopped);
    let (content, metadata, message_id) = last_message(&t.chats);
    assert_eq!(
        (content.as_str(), metadata),
        ("Hello", Some(json!({ "stopped": true })))
    );
    let stored = t.jobs.events(id);
    let done = stored.last().unwrap();
    assert_eq!(done.seq, 4);
    assert_eq!(done_of(done), ("Hello", true, Some(message_id)));
}

#[tokio::test(start_paused = true)]
async fn a_drain_stops_the_jobs_still_running_at_its_deadline() {
    let t = Setup::new();
    let (id, live, upstream) = t.start().await;
    say(&upstream, "partial ");
    let drained = Instant::now();
    t.hub.drain(Duration::from_secs(30)).await;
    assert!(drained.elapsed() >= Duration::from_secs(30));
    assert_eq!(t.jobs.status(id), JobStatus::Stopped);
    let seen = rest(live).await;
    let done = seen.last().unwrap();
    assert_eq!((done_of(done).0, done_of(done).1), ("partial ", true));
    assert_eq!(t.jobs.events(id).last(), Some(done));
    let (content, metadata, _) = last_message(&t.chats);
    assert_eq!(
        (content.as_str(), metadata),
        ("partial ", Some(json!({ "stopped": true })))
    );
    let calls = t.chats.calls.lock().unwrap();
    assert_eq!(calls.last().unwrap().status, CallStatus::Stopped);
}

#[tokio::test(start_paused = true)]
async fn a_drain_lets_a_job_that_ends_in_time_finish() {
    let t = Setup::new();
    let (id, live, upstream) = t.start().await;
    say(&upstream, "all ");
    tokio::spawn(async move {
        // Simulated time (paused): an upstream that takes 10 s to finish.
        tokio::time::sleep(Duration::from_secs(10)).await;
        say(&upstream, "of it");
        answer(&upstream, "all of it");
    });
    let drained = Instant::now();
    t.hub.drain(Duration::from_secs(30)).await;
    assert!(drained.elapsed() < Duration::from_secs(30));
    assert_eq!(t.jobs.status(id), JobStatus::Done);
    let seen = rest(live).await;
    let done = seen.last().unwrap();
    assert_eq!((done_of(done).0, done_of(done).1), ("all of it", false));
}
