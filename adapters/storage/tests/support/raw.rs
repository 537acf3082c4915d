//! Checks made behind the adapter's back, on a separate connection.

use sea_orm::sea_query::{Asterisk, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use uuid::Uuid;

use super::TestDb;

pub async fn raw(db: &TestDb) -> DatabaseConnection {
    Database::connect(db.url.as_str())
        .await
        .expect("raw connection")
}

/// Rows of `table` whose `chat_id` is `chat_id`.
pub async fn count_for_chat(db: &TestDb, table: &'static str, chat_id: Uuid) -> i64 {
    count_rows_where(db, table, "chat_id", chat_id).await
}

/// Rows of `table` whose `column` is `id`.
pub async fn count_rows_where(
    db: &TestDb,
    table: &'static str,
    column: &'static str,
    id: Uuid,
) -> i64 {
    let conn = raw(db).await;
    let query = Query::select()
        .expr_as(Expr::col(Asterisk).count(), "n")
        .from(table)
        .and_where(Expr::col(column).eq(id))
        .to_owned();
    let row = conn.query_one(&query).await.expect("count").expect("a row");
    let n = row.try_get::<i64>("", "n").expect("count column");
    let _ = conn.close().await;
    n
}

/// A minimal `llm_calls` row for `chat_id`, to watch it cascade.
pub async fn insert_llm_call(db: &TestDb, chat_id: Uuid) {
    let conn = raw(db).await;
    let insert = Query::insert()
        .into_table("llm_calls")
        .columns([
            "id",
            "chat_id",
            "provider",
            "model",
            "status",
            "latency_ms",
            "created_at",
        ])
        .values_panic([
            Uuid::now_v7().into(),
            chat_id.into(),
            "openai".into(),
            "gpt-4.1-mini".into(),
            "ok".into(),
            42_i64.into(),
            1_i64.into(),
        ])
        .to_owned();
    conn.execute(&insert).await.expect("insert llm_call");
    let _ = conn.close().await;
}

/// A `completion_events` row as any version may have written it.
pub async fn insert_job_event(
    db: &TestDb,
    job_id: Uuid,
    seq: i64,
    event: &str,
    data: serde_json::Value,
) {
    let conn = raw(db).await;
    let insert = Query::insert()
        .into_table("completion_events")
        .columns(["job_id", "seq", "event", "data", "created_at"])
        .values_panic([
            job_id.into(),
            seq.into(),
            event.into(),
            data.into(),
            1_i64.into(),
        ])
        .to_owned();
    conn.execute(&insert).await.expect("insert an event row");
    let _ = conn.close().await;
}
