//! The maintenance pass against a mocked job store: heartbeats, stale jobs
//! closed with an `error` event, and finished jobs removed after the retention.

use std::sync::Arc;
use std::time::Duration;

use mockall::predicate::eq;
use sybil_domain::Timestamp;
use sybil_ports::inbound::CompletionEvent;
use sybil_ports::outbound::clock::MockClock;
use sybil_ports::outbound::jobs::MockJobStore;
use uuid::Uuid;

use super::{JobHub, LOST, STALE_AFTER};

const NOW: i64 = 1_800_000_000_000;
const DAY: Duration = Duration::from_secs(24 * 3600);

fn hub(store: MockJobStore) -> JobHub {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(Timestamp(NOW));
    JobHub::new(Arc::new(store), Arc::new(clock), "replica-a".into())
}

fn quiet_store() -> MockJobStore {
    let mut store = MockJobStore::new();
    store
        .expect_heartbeat()
        .withf(|owner, now| owner == "replica-a" && *now == Timestamp(NOW))
        .returning(|_, _| Ok(vec![]));
    store
        .expect_fail_stale_jobs()
        .with(eq(Timestamp(NOW - STALE_AFTER.as_millis() as i64)))
        .returning(|_| Ok(vec![]));
    store
}

#[tokio::test(start_paused = true)]
async fn finished_jobs_older_than_the_retention_are_removed() {
    let mut store = quiet_store();
    store
        .expect_delete_finished_before()
        .with(eq(Timestamp(NOW - DAY.as_millis() as i64)))
        .times(1)
        .returning(|_| Ok(2));
    hub(store).maintain(0, DAY).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_removal_runs_on_every_thirtieth_pass_only() {
    let mut store = quiet_store();
    store.expect_delete_finished_before().times(0);
    let hub = hub(store);
    for tick in 1..30 {
        hub.maintain(tick, DAY).await.unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn a_job_whose_server_died_ends_with_an_error_event_after_its_last() {
    let dead = Uuid::now_v7();
    let mut store = MockJobStore::new();
    store.expect_heartbeat().returning(|_, _| Ok(vec![]));
    store
        .expect_fail_stale_jobs()
        .returning(move |_| Ok(vec![(dead, 7)]));
    store
        .expect_append_event()
        .withf(move |id, event, now| {
            *id == dead
                && event.seq == 8
                && event.event
                    == CompletionEvent::Error {
                        message: LOST.into(),
                    }
                && *now == Timestamp(NOW)
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    hub(store).maintain(1, DAY).await.unwrap();
}
