//! `llm_calls` rows that cannot all be stored: one row does not take the
//! others with it, and a call whose chat is gone is dropped on purpose.

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, Statement};
use sybil_domain::{CallStatus, LlmCall, Provider, Timestamp};
use sybil_ports::outbound::{CallLog, ChatRepository};
use sybil_storage::{QueuedCallLog, SeaOrmStorage};
use uuid::Uuid;

use crate::support::{TestDb, bare_chat, count_for_chat, raw};

pub fn sample_call(chat_id: Option<Uuid>, model: &str) -> LlmCall {
    LlmCall {
        id: Uuid::now_v7(),
        chat_id,
        reply: None,
        provider: Provider::OpenAi,
        model: model.into(),
        status: CallStatus::Ok,
        error: None,
        latency_ms: 7,
        tool_rounds: 0,
        usage: None,
        upstream_request_id: None,
        created_at: Timestamp(5),
    }
}

/// Ids of every stored `llm_calls` row.
pub async fn stored_call_ids(db: &TestDb) -> HashSet<Uuid> {
    let conn = raw(db).await;
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT id FROM llm_calls",
        ))
        .await
        .unwrap();
    let _ = conn.close().await;
    rows.iter()
        .map(|r| r.try_get::<Uuid>("", "id").unwrap())
        .collect()
}

pub async fn calls_of_a_deleted_chat_do_not_take_others_with_them(db: &TestDb) {
    let kept = bare_chat(1);
    let deleted = bare_chat(1);
    db.create_chat(&kept, &[]).await.unwrap();
    db.create_chat(&deleted, &[]).await.unwrap();
    // The chat is deleted right after its answers, before their rows are written.
    assert!(db.delete_chat(deleted.id).await.unwrap());
    let log = QueuedCallLog::spawn(SeaOrmStorage::clone(db));
    let mut expected = HashSet::new();
    for i in 0..120 {
        let chat = if i % 3 == 0 { deleted.id } else { kept.id };
        let call = sample_call(Some(chat), "gpt-4.1-mini");
        if chat == kept.id {
            expected.insert(call.id);
        }
        log.record_call(&call).await.unwrap();
    }
    let unrelated = sample_call(None, "gpt-4.1-mini");
    expected.insert(unrelated.id);
    log.record_call(&unrelated).await.unwrap();
    log.flush().await;
    assert_eq!(stored_call_ids(db).await, expected);
    assert_eq!(count_for_chat(db, "llm_calls", kept.id).await, 80);
    assert_eq!(count_for_chat(db, "llm_calls", deleted.id).await, 0);

    // Written directly, such a call is dropped too, and that is no error.
    db.record_call(&sample_call(Some(deleted.id), "x"))
        .await
        .unwrap();
    assert_eq!(count_for_chat(db, "llm_calls", deleted.id).await, 0);
}

/// A row the database rejects for its content (PostgreSQL refuses U+0000 in
/// text; SQLite stores it) is lost alone: every other row of its batch is stored.
pub async fn a_rejected_row_is_lost_alone(db: &TestDb) {
    let chat = bare_chat(1);
    db.create_chat(&chat, &[]).await.unwrap();
    let mut calls: Vec<LlmCall> = (0..50)
        .map(|_| sample_call(Some(chat.id), "gpt-4.1-mini"))
        .collect();
    calls[17].model = "bad\0model".into();
    let result = db.record_calls(&calls).await;
    let stored = stored_call_ids(db).await;
    for (i, call) in calls.iter().enumerate() {
        if i != 17 {
            assert!(stored.contains(&call.id), "row {i} was lost");
        }
    }
    let postgres = db.url.starts_with("postgres");
    assert_eq!(result.is_err(), postgres, "{result:?}");
    assert_eq!(stored.len(), if postgres { 49 } else { 50 });
}
