//! `spawn_app`: a real server on 127.0.0.1:0 over a fresh SQLite file.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use reqwest::Client;
use serde_json::{Value, json};
use sybil::config::Config;
use sybil::startup::{Application, QueuedCallLog};
use sybil_domain::Timestamp;
use sybil_ports::outbound::Clock;
use sybil_system::SystemClock;
use sybil_testkit::{FakeKind, FakeLlm};

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub db_url: String,
    /// The SQLite file this app owns (removed on drop), if any.
    pub db_path: Option<PathBuf>,
    call_log: QueuedCallLog,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let resp = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON body"))
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> (u16, Value) {
        let resp = self
            .client
            .request(method, self.url(path))
            .json(body)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON body"))
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send_json(reqwest::Method::POST, path, body).await
    }

    /// `POST /v1/chat-completions/stream` with `body`; the response as it
    /// starts, its events still to read.
    pub async fn open_stream(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/v1/chat-completions/stream"))
            .json(body)
            .send()
            .await
            .expect("request")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(path) = &self.db_path {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
}

pub fn temp_db_path() -> PathBuf {
    std::env::temp_dir()
        .join("sybil-tests")
        .join(format!("{}.db", uuid::Uuid::now_v7().simple()))
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the server with the given extra environment variables.
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    let db_path = temp_db_path();
    let url = format!("sqlite://{}?mode=rwc", db_path.display());
    let owned: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut app = spawn_app_on(&url, &owned).await;
    app.db_path = Some(db_path);
    app
}

/// The time a server reads, moved only by the test: how a test orders
/// what it creates by time without waiting for the wall clock to move.
#[derive(Clone)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    /// Stopped at the current time.
    pub fn now() -> TestClock {
        TestClock(Arc::new(AtomicI64::new(SystemClock.now().millis())))
    }

    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

/// A server over a fresh SQLite file that reads the time from `clock`.
pub async fn spawn_app_with_clock(clock: &TestClock) -> TestApp {
    let db_path = temp_db_path();
    let url = format!("sqlite://{}?mode=rwc", db_path.display());
    let mut app = start(&url, &[], Arc::new(clock.clone())).await;
    app.db_path = Some(db_path);
    app
}

/// Starts a server on the given database, which it does not own.
pub async fn spawn_app_on(db_url: &str, vars: &[(String, String)]) -> TestApp {
    start(db_url, vars, Arc::new(SystemClock)).await
}

/// Like [`spawn_app_on`], reading the time from `clock`.
pub async fn spawn_app_on_with_clock(
    db_url: &str,
    vars: &[(String, String)],
    clock: &TestClock,
) -> TestApp {
    start(db_url, vars, Arc::new(clock.clone())).await
}

async fn start(db_url: &str, vars: &[(String, String)], clock: Arc<dyn Clock>) -> TestApp {
    let mut all: Vec<(String, String)> = vec![
        ("PORT".into(), "0".into()),
        ("DATABASE_URL".into(), db_url.to_string()),
    ];
    all.extend(vars.iter().cloned());
    let config = Config::from_lookup(|name| {
        all.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    })
    .expect("test configuration");
    let app = Application::build_with_clock(&config, clock)
        .await
        .expect("build app");
    let base = format!("http://{}", app.addr());
    let call_log = app.call_log();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        base,
        client: Client::new(),
        db_url: db_url.to_string(),
        db_path: None,
        call_log,
    }
}

/// Fake OpenAI, xAI and Anthropic upstreams, with the variables that point
/// Sybil at them.
pub struct Fakes {
    pub openai: FakeLlm,
    pub xai: FakeLlm,
    pub anthropic: FakeLlm,
}

impl Fakes {
    pub async fn start() -> Fakes {
        Fakes {
            openai: FakeLlm::start(FakeKind::OpenAi).await,
            xai: FakeLlm::start(FakeKind::Xai).await,
            anthropic: FakeLlm::start(FakeKind::Anthropic).await,
        }
    }

    pub fn env(&self) -> Vec<(String, String)> {
        let mut vars = Vec::new();
        for (prefix, fake) in [
            ("OPENAI", &self.openai),
            ("XAI", &self.xai),
            ("ANTHROPIC", &self.anthropic),
        ] {
            vars.push((format!("{prefix}_API_KEY"), fake.api_key()));
            vars.push((format!("{prefix}_BASE_URL"), fake.base_url()));
        }
        vars.push(("UPSTREAM_TIMEOUT_MS".into(), "3000".into()));
        vars
    }
}

/// A server wired to fresh fakes of all three providers.
pub async fn spawn_with_fakes() -> (TestApp, Fakes) {
    let fakes = Fakes::start().await;
    let env = fakes.env();
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    (spawn_app_with(&vars).await, fakes)
}

/// The variables that point the devbox tools at the test kit's sshd.
pub fn devbox_env(sshd: &sybil_testkit::sshd::Sshd) -> Vec<(String, String)> {
    [
        ("CHAT_SHELL_TOOL_ENABLED", "true".to_string()),
        ("CHAT_CODEX_REMOTE_HOST", "127.0.0.1".to_string()),
        ("CHAT_CODEX_REMOTE_PORT", sshd.port.to_string()),
        ("CHAT_CODEX_REMOTE_USER", sshd.user.clone()),
        (
            "CHAT_CODEX_SSH_KEY_PATH",
            sshd.path("client").display().to_string(),
        ),
        (
            "CHAT_CODEX_KNOWN_HOSTS_PATH",
            sshd.known_hosts.display().to_string(),
        ),
        (
            "CHAT_CODEX_REMOTE_WORKDIR",
            sshd.path("w").display().to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// One `llm_calls` row, read behind the server's back.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRow {
    pub provider: String,
    pub model: String,
    pub status: String,
    pub error: Option<String>,
    pub tool_rounds: i32,
    pub total_tokens: Option<i64>,
    pub upstream_request_id: Option<String>,
    pub has_chat: bool,
    /// The `/api` reply's conversation and message.
    pub conversation_id: Option<uuid::Uuid>,
    pub message_id: Option<uuid::Uuid>,
}

impl TestApp {
    /// Runs one statement behind the server's back (`$n` parameters).
    async fn execute_for_test(&self, sql: &str, values: Vec<sea_orm::Value>) {
        use sea_orm::{ConnectionTrait, Database, Statement};
        let db = Database::connect(self.db_url.as_str())
            .await
            .expect("raw connection");
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = db.close().await;
    }

    /// Makes a running job look like its server died: another owner, and
    /// a heartbeat long past.
    pub async fn kill_jobs_heartbeat_for_test(&self, job: &str) {
        let id = uuid::Uuid::parse_str(job).unwrap();
        self.execute_for_test(
            "UPDATE completion_jobs SET owner = 'dead-replica', heartbeat_at = 0 WHERE id = $1",
            vec![id.into()],
        )
        .await;
    }

    /// Every LLM call row so far (the queued ones written first).
    pub async fn llm_calls(&self) -> Vec<CallRow> {
        use sea_orm::{ConnectionTrait, Database, Statement};
        self.call_log.flush().await;
        let db = Database::connect(self.db_url.as_str())
            .await
            .expect("raw connection");
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT provider, model, status, error, tool_rounds, total_tokens, upstream_request_id, \
                 CASE WHEN chat_id IS NULL THEN 0 ELSE 1 END AS has_chat, conversation_id, \
                 message_id FROM llm_calls \
                 ORDER BY created_at, id",
            ))
            .await
            .expect("llm_calls");
        let calls = rows
            .iter()
            .map(|r| CallRow {
                provider: r.try_get("", "provider").unwrap(),
                model: r.try_get("", "model").unwrap(),
                status: r.try_get("", "status").unwrap(),
                error: r.try_get("", "error").unwrap(),
                tool_rounds: r.try_get("", "tool_rounds").unwrap(),
                total_tokens: r.try_get("", "total_tokens").unwrap(),
                upstream_request_id: r.try_get("", "upstream_request_id").unwrap(),
                has_chat: r.try_get::<i32>("", "has_chat").unwrap() == 1,
                conversation_id: r.try_get("", "conversation_id").unwrap(),
                message_id: r.try_get("", "message_id").unwrap(),
            })
            .collect();
        let _ = db.close().await;
        calls
    }
}

/// One `conversation_events` row, read behind the server's back.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub id: i64,
    pub kind: String,
    pub data: serde_json::Value,
    pub recipient: Option<uuid::Uuid>,
    pub excluded: Option<uuid::Uuid>,
}

impl TestApp {
    /// Makes a streaming reply look like its process died: another owner,
    /// and a lease renewed long ago.
    pub async fn abandon_reply_for_test(&self, reply: &str) {
        let id = uuid::Uuid::parse_str(reply).unwrap();
        self.execute_for_test(
            "UPDATE conversation_messages SET lease_owner = 'dead-replica', \
             lease_heartbeat_at = 0 WHERE id = $1",
            vec![id.into()],
        )
        .await;
    }

    /// Removes a conversation's events up to `upto`, as retention would.
    pub async fn expire_events_for_test(&self, conversation: &str, upto: i64) {
        let id = uuid::Uuid::parse_str(conversation).unwrap();
        self.execute_for_test(
            "DELETE FROM conversation_events WHERE conversation_id = $1 AND id <= $2",
            vec![id.into(), upto.into()],
        )
        .await;
    }

    /// A conversation's recorded stream events, by id.
    pub async fn conversation_events(&self, conversation: &str) -> Vec<EventRow> {
        use sea_orm::{ConnectionTrait, Database, Statement};
        let db = Database::connect(self.db_url.as_str())
            .await
            .expect("raw connection");
        let id = uuid::Uuid::parse_str(conversation).unwrap();
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT id, kind, payload, recipient, excluded FROM conversation_events \
                 WHERE conversation_id = $1 ORDER BY id",
                [id.into()],
            ))
            .await
            .expect("conversation_events");
        let events = rows
            .iter()
            .map(|r| EventRow {
                id: r.try_get("", "id").unwrap(),
                kind: r.try_get("", "kind").unwrap(),
                data: serde_json::from_str(&r.try_get::<String>("", "payload").unwrap()).unwrap(),
                recipient: r.try_get("", "recipient").unwrap(),
                excluded: r.try_get("", "excluded").unwrap(),
            })
            .collect();
        let _ = db.close().await;
        events
    }
}

/// `probe`'s first `Some`, tried until `within` has passed. Only for what
/// the server does after its answer has gone out (a partial answer stored
/// once the client left, a figure recorded as a job ends): a black-box
/// client can observe that, but nothing tells it, so it asks again every
/// 20 ms. Never for an order between events.
pub async fn eventually<T, F, Fut>(within: Duration, mut probe: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let give_up = tokio::time::Instant::now() + within;
    loop {
        if let Some(found) = probe().await {
            return Some(found);
        }
        if tokio::time::Instant::now() >= give_up {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A new empty chat's id.
pub async fn new_chat(app: &TestApp) -> String {
    new_chat_at(&app.client, &app.base).await
}

/// A new empty chat's id, made on the server at `base` (a `SybilProcess`'s,
/// say).
pub async fn new_chat_at(client: &Client, base: &str) -> String {
    let resp = client
        .post(format!("{base}/v1/chats"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    created["chat"]["id"].as_str().unwrap().to_string()
}

/// A user message of the request bodies.
pub fn user(text: &str) -> Value {
    json!({ "role": "user", "content": text })
}
