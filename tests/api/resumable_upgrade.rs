//! A job recorded by the version before typed stream events (its rows hold
//! that version's hand-built JSON, kept for a day) replays byte for byte
//! as that version sent it, on SQLite and on PostgreSQL.

use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app_on, temp_db_path};
use crate::pg_database::PgDatabase;

const JOB: &str = "0191c1f2-0000-7000-8000-00000000000a";

/// The events as the previous version stored and sent them: `event:` and
/// `data:` (its JSON went out with sorted keys).
const OLD_EVENTS: [(&str, &str); 6] = [
    (
        "meta",
        r#"{"chatId":null,"completionId":"0191c1f2-0000-7000-8000-00000000000a","model":"gpt-4.1-mini","provider":"openai"}"#,
    ),
    ("delta", r#"{"text":"Hel \"lo\"\n"}"#),
    (
        "tool_call",
        r#"{"arguments":{"a":[1,2.5,null],"url":"https://x.test"},"durationMs":12,"error":"boom","messageId":null,"name":"fetch_url","output":"boom","round":1,"status":"failed","toolCallId":"call_1"}"#,
    ),
    ("delta", r#"{"text":"é"}"#),
    ("delta", r#"{"text":""}"#),
    (
        "done",
        r#"{"chatId":null,"message":{"content":"é","metadata":{"stopped":true},"role":"assistant"},"messageId":null,"model":"gpt-4.1-mini","provider":"openai","usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0}}"#,
    ),
];

/// Writes the finished job and its rows as the previous version did.
async fn store_old_job(db_url: &str) {
    let db = Database::connect(db_url).await.expect("raw connection");
    let pg = db.get_database_backend() == DatabaseBackend::Postgres;
    let sql = |text: &str| {
        if pg {
            let mut n = 0;
            text.split('?')
                .enumerate()
                .map(|(i, part)| {
                    if i == 0 {
                        part.to_string()
                    } else {
                        n += 1;
                        format!("${n}{part}")
                    }
                })
                .collect()
        } else {
            text.to_string()
        }
    };
    let id = Uuid::parse_str(JOB).unwrap();
    // Recent, or the retention sweep at start-up may remove it first.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql(
            "INSERT INTO completion_jobs (id, chat_id, status, owner, stop_requested, \
             heartbeat_at, created_at, updated_at) VALUES (?, NULL, 'stopped', 'old', ?, ?, ?, ?)",
        ),
        [id.into(), false.into(), now.into(), now.into(), now.into()],
    ))
    .await
    .expect("insert the job");
    for (seq, (event, data)) in OLD_EVENTS.iter().enumerate() {
        let data: Value = serde_json::from_str(data).unwrap();
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql(
                "INSERT INTO completion_events (job_id, seq, event, data, created_at) \
                 VALUES (?, ?, ?, ?, ?)",
            ),
            [
                id.into(),
                (seq as i64 + 1).into(),
                (*event).into(),
                data.into(),
                now.into(),
            ],
        ))
        .await
        .expect("insert an event");
    }
    let _ = db.close().await;
}

async fn assert_replays_as_sent(app: &TestApp) {
    let url = app.url(&format!("/v1/chat-completions/{JOB}/events"));
    let body = app
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let sent: String = OLD_EVENTS
        .iter()
        .enumerate()
        .map(|(i, (event, data))| format!("event: {event}\nid: {}\ndata: {data}\n\n", i + 1))
        .collect();
    assert_eq!(body, sent);
}

#[tokio::test]
async fn a_job_an_older_version_stored_replays_as_it_was_sent_on_sqlite() {
    let url = format!("sqlite://{}?mode=rwc", temp_db_path().display());
    let app = spawn_app_on(&url, &[]).await;
    store_old_job(&url).await;
    assert_replays_as_sent(&app).await;
}

#[tokio::test]
async fn a_job_an_older_version_stored_replays_as_it_was_sent_on_postgres() {
    let Some(db) = PgDatabase::create("sybil_api").await else {
        return;
    };
    let app = spawn_app_on(db.url(), &[]).await;
    store_old_job(db.url()).await;
    assert_replays_as_sent(&app).await;
}
