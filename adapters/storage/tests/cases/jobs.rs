//! Resumable completion jobs and their recorded events.

use serde_json::{Value, json};
use sybil_domain::{Provider, Timestamp, Usage};
use sybil_ports::inbound::{CompletionEvent, CompletionOutcome, StreamMeta};
use sybil_ports::outbound::{CompletionJob, JobStatus, JobStore, RawJson, RecordedEvent};
use sybil_wire::StreamEvent;
use uuid::Uuid;

use crate::support::{TestDb, insert_job_event};

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

/// The `seq`th event of a stream: `meta`, deltas, then `done`.
fn event(seq: u64) -> RecordedEvent {
    let event = match seq {
        1 => CompletionEvent::Meta(Box::new(StreamMeta {
            chat_id: None,
            provider: Provider::Anthropic,
            model: "claude".into(),
            completion_id: Some(Uuid::from_u128(9)),
        })),
        4 => CompletionEvent::Done(Box::new(CompletionOutcome {
            chat_id: None,
            provider: Provider::Anthropic,
            model: "claude".into(),
            content: "é\n\"".into(),
            message_id: None,
            usage: Usage::default(),
            raw: RawJson::null(),
            stopped: true,
            overhead_ms: 0.0,
        })),
        n => CompletionEvent::Delta {
            text: format!("é\n\" {n}"),
        },
    };
    RecordedEvent { seq, event }
}

pub async fn job_events_replay_in_order_after_a_given_id(db: &TestDb) {
    let j = job("a", 1);
    db.create_job(&j).await.unwrap();
    for seq in 1..=4 {
        db.append_event(j.id, &event(seq), Timestamp(2))
            .await
            .unwrap();
    }
    assert_eq!(db.events_after(j.id, 0).await.unwrap().len(), 4);
    let tail = db.events_after(j.id, 2).await.unwrap();
    assert_eq!(tail, vec![event(3), event(4)]);
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
    db.append_event(other.id, &event(1), Timestamp(100))
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

/// The rows the version before typed events wrote (its hand-built JSON,
/// kept for a day after a deploy): each reads back as the event it was and
/// is written out again as the same JSON.
pub async fn events_an_older_version_stored_replay_as_they_were(db: &TestDb) {
    let j = job("a", 1);
    db.create_job(&j).await.unwrap();
    let old: [(&str, Value); 6] = [
        (
            "meta",
            json!({ "chatId": "0191c1f2-0000-7000-8000-000000000001", "provider": "openai",
                          "model": "gpt-4.1", "completionId": "0191c1f2-0000-7000-8000-000000000002" }),
        ),
        ("delta", json!({ "text": "Hel lo \"é\"\n" })),
        (
            "tool_call",
            json!({ "messageId": null, "toolCallId": "call_1", "name": "fetch_url",
                               "arguments": { "url": "https://x.test", "n": 1.5 }, "status": "failed",
                               "output": "boom", "error": "boom", "durationMs": 12, "round": 1 }),
        ),
        ("delta", json!({ "text": "" })),
        (
            "done",
            json!({ "chatId": "0191c1f2-0000-7000-8000-000000000001", "provider": "openai",
                          "model": "gpt-4.1", "messageId": "0191c1f2-0000-7000-8000-000000000003",
                          "message": { "role": "assistant", "content": "Hello",
                                       "metadata": { "stopped": true } },
                          "usage": { "inputTokens": 1, "outputTokens": 2, "totalTokens": 3 } }),
        ),
        ("error", json!({ "message": "internal error" })),
    ];
    for (seq, (name, data)) in old.iter().enumerate() {
        insert_job_event(db, j.id, seq as i64 + 1, name, data.clone()).await;
    }
    let read = db.events_after(j.id, 0).await.unwrap();
    assert_eq!(read.len(), old.len());
    for (event, (name, data)) in read.into_iter().zip(old) {
        let wire = StreamEvent::from(event.event);
        assert_eq!(wire.event_name(), name);
        assert_eq!(serde_json::to_string(&wire).unwrap(), data.to_string());
    }
}
