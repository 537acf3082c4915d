//! Completions' writes: the chat's model use and the `llm_calls` audit rows.

use sybil_domain::{CallStatus, LlmCall, ModelChoice, Provider, Role, Timestamp, Usage};
use sybil_ports::outbound::{CallLog, ChatRepository};
use uuid::Uuid;

use sea_orm::{ConnectionTrait, Statement};
use sybil_storage::SeaOrmStorage;

use crate::support::{TestDb, bare_chat, count_for_chat, message};

fn choice(provider: Provider, model: &str) -> ModelChoice {
    ModelChoice {
        provider,
        model: model.into(),
    }
}

pub async fn model_use_sets_last_used_and_initiates_once(db: &TestDb) {
    let chat = bare_chat(1);
    db.create_chat(&chat, &[]).await.unwrap();
    let first = choice(Provider::OpenAi, "gpt-4.1-mini");
    assert!(
        db.append_messages(
            chat.id,
            &[message(Role::User, "a", 2)],
            Some(first.clone()),
            Timestamp(2)
        )
        .await
        .unwrap()
    );
    let second = choice(Provider::Anthropic, "claude-x");
    assert!(
        db.append_messages(chat.id, &[], Some(second.clone()), Timestamp(3))
            .await
            .unwrap()
    );
    let loaded = db.load_chat(chat.id).await.unwrap().unwrap();
    assert_eq!(loaded.chat.initiated, Some(first));
    assert_eq!(loaded.chat.last_used, Some(second));
    assert_eq!(loaded.chat.updated_at, Timestamp(3));
    assert_eq!(loaded.messages.len(), 1);
}

fn call(chat_id: Option<Uuid>, status: CallStatus) -> LlmCall {
    LlmCall {
        id: Uuid::now_v7(),
        chat_id,
        reply: None,
        provider: Provider::Xai,
        model: "grok-3-mini".into(),
        status,
        error: (status == CallStatus::Error).then(|| "xai: boom".into()),
        latency_ms: 12,
        tool_rounds: 2,
        usage: (status == CallStatus::Ok).then_some(Usage {
            input_tokens: 1,
            output_tokens: 2,
            total_tokens: 6,
        }),
        upstream_request_id: Some("req_9".into()),
        created_at: Timestamp(5),
    }
}

pub async fn calls_are_recorded_and_deleted_with_their_chat(db: &TestDb) {
    let chat = bare_chat(1);
    db.create_chat(&chat, &[]).await.unwrap();
    db.record_call(&call(Some(chat.id), CallStatus::Ok))
        .await
        .unwrap();
    db.record_call(&call(Some(chat.id), CallStatus::Error))
        .await
        .unwrap();
    db.record_call(&call(None, CallStatus::Stopped))
        .await
        .unwrap();
    assert_eq!(count_for_chat(db, "llm_calls", chat.id).await, 2);
    assert!(db.delete_chat(chat.id).await.unwrap());
    assert_eq!(count_for_chat(db, "llm_calls", chat.id).await, 0);
}

pub async fn queued_calls_are_all_written_in_order_by_flush(db: &TestDb) {
    let chat = bare_chat(1);
    db.create_chat(&chat, &[]).await.unwrap();
    let log = sybil_storage::QueuedCallLog::spawn(SeaOrmStorage::clone(db));
    let mut sent = Vec::new();
    for i in 0..300 {
        let mut c = call(Some(chat.id), CallStatus::Ok);
        c.latency_ms = i;
        log.record_call(&c).await.unwrap();
        sent.push(c.latency_ms);
    }
    log.flush().await;
    let raw = crate::support::raw(db).await;
    let rows = raw
        .query_all_raw(Statement::from_string(
            raw.get_database_backend(),
            "SELECT latency_ms FROM llm_calls ORDER BY id",
        ))
        .await
        .unwrap();
    let stored: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get::<i64>("", "latency_ms").unwrap())
        .collect();
    assert_eq!(stored, sent);
}

/// Without a flush, a queued call is written once the writer's short wait
/// for more rows is over.
pub async fn a_queued_call_is_written_without_a_flush(db: &TestDb) {
    let chat = bare_chat(1);
    db.create_chat(&chat, &[]).await.unwrap();
    let log = sybil_storage::QueuedCallLog::spawn(SeaOrmStorage::clone(db));
    log.record_call(&call(Some(chat.id), CallStatus::Ok))
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count_for_chat(db, "llm_calls", chat.id).await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the queued call was never written"
        );
        // Polled on purpose: what is tested is that the row comes without
        // a flush, the one notification the writer gives.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}
