//! Resumable completion jobs and their recorded events.

use serde_json::json;
use sybil_domain::Timestamp;
use sybil_ports::outbound::{CompletionJob, JobStatus, JobStore, RecordedEvent};
use uuid::Uuid;

use crate::support::TestDb;

fn job(owner: &str, heartbeat: i64) -> CompletionJob {
    CompletionJob {
        id: Uuid::now_v7(),
        chat_id: None,
        status: JobStatus::Running,
        owner: owner.into(),
        stop_requested: false,
        heartbeat_at: Timestamp(heartbeat),
        created_at: Timestamp(heartbeat),
    }
}

fn event(seq: u64, name: &str) -> RecordedEvent {
    RecordedEvent {
        seq,
        event: name.into(),
        data: json!({ "n": seq, "text": "é\n\"" }),
    }
}

pub async fn job_events_replay_in_order_after_a_given_id(db: &TestDb) {
    let j = job("a", 1);
    db.create_job(&j).await.unwrap();
    for (seq, name) in [(1, "meta"), (2, "delta"), (3, "delta"), (4, "done")] {
        db.append_event(j.id, &event(seq, name), Timestamp(2))
            .await
            .unwrap();
    }
    assert_eq!(db.events_after(j.id, 0).await.unwrap().len(), 4);
    let tail = db.events_after(j.id, 2).await.unwrap();
    assert_eq!(tail, vec![event(3, "delta"), event(4, "done")]);
    assert!(db.events_after(j.id, 4).await.unwrap().is_empty());
    assert!(
        db.finish_job(j.id, JobStatus::Done, Timestamp(3))
            .await
            .unwrap()
    );
    assert!(
        !db.finish_job(j.id, JobStatus::Error, Timestamp(4))
            .await
            .unwrap(),
        "finished once"
    );
    assert_eq!(
        db.load_job(j.id).await.unwrap().unwrap().status,
        JobStatus::Done
    );
}

pub async fn stops_heartbeats_stale_jobs_and_retention(db: &TestDb) {
    let mine = job("replica-a", 100);
    let other = job("replica-b", 100);
    db.create_job(&mine).await.unwrap();
    db.create_job(&other).await.unwrap();
    db.append_event(other.id, &event(1, "meta"), Timestamp(100))
        .await
        .unwrap();
    assert!(db.request_stop(mine.id).await.unwrap());
    assert_eq!(
        db.heartbeat("replica-a", Timestamp(5_000)).await.unwrap(),
        vec![mine.id]
    );
    // replica-b went quiet at 100: it is stale at 1,000, replica-a is not.
    assert_eq!(
        db.fail_stale_jobs(Timestamp(1_000)).await.unwrap(),
        vec![(other.id, 1)]
    );
    assert!(
        db.fail_stale_jobs(Timestamp(1_000))
            .await
            .unwrap()
            .is_empty(),
        "failed once"
    );
    assert_eq!(
        db.load_job(other.id).await.unwrap().unwrap().status,
        JobStatus::Failed
    );
    assert!(!db.request_stop(other.id).await.unwrap());
    assert_eq!(
        db.delete_finished_before(Timestamp(2_000)).await.unwrap(),
        1
    );
    assert!(db.load_job(other.id).await.unwrap().is_none());
    assert!(db.events_after(other.id, 0).await.unwrap().is_empty());
    assert!(
        db.load_job(mine.id).await.unwrap().is_some(),
        "running jobs are kept"
    );
}
