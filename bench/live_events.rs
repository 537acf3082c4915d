//! Benchmark: live events across processes on one PostgreSQL database.
//! Two Sybil processes (the release binary) share a fresh database; a
//! conversation stream is open on B; roots are posted on A one at a time.
//! Printed: the time from a post's answer on A (its event is committed
//! before that answer) to the event's arrival on B's stream, p50 and p99
//! (goals: p50 ≤ 5 ms, p99 ≤ 50 ms), and the database transactions per
//! second that idle followers cost (goal: none between events), from
//! `pg_stat_database` with 50 idle streams open against none (the
//! contract's periodic session check moved out of the window).
//! `cargo bench --bench live_events` (needs PostgreSQL at 127.0.0.1:5432).

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use support::{Killed, benchmarking};
use sybil_testkit::free_port;

const SAMPLES: usize = 400;
const IDLE_FOLLOWERS: usize = 50;
const IDLE_WINDOW: Duration = Duration::from_secs(30);
const SETTLE: Duration = Duration::from_secs(3);
const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const TOKEN: &str = "bench-admin-token";

/// A Sybil process (killed when this is dropped) and its base URL.
struct Server(#[allow(dead_code)] Killed, String);

/// The benchmark's database, dropped when this is, even after a panic.
struct BenchDatabase(String);

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        let name = self.0.clone();
        // Drop cannot await, and the runtime may be unwinding: a thread
        // with its own runtime drops the database.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(ADMIN_URL).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

async fn start(db_url: &str) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_sybil"))
        .env("PORT", port.to_string())
        .env("DATABASE_URL", db_url)
        .env("ADMIN_TOKEN", TOKEN)
        .env("SESSION_COOKIE_SECURE", "false")
        .env("RUST_LOG", "warn")
        // The contract's periodic session check is a query per stream per
        // interval by design; an hour keeps it out of the idle window, which
        // measures whether followers poll.
        .env("STREAM_SESSION_CHECK_SECONDS", "3600")
        // Nor may presence decay (an event, which wakes every follower).
        .env("PRESENCE_AWAY_SECONDS", "3600")
        .env("PRESENCE_OFFLINE_SECONDS", "7200")
        .stdout(Stdio::null())
        .spawn()
        .expect("start sybil");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(format!("{base}/health")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Server(Killed(child), base)
}

/// A new account (through the service on `first`); its id.
async fn create_user(http: &reqwest::Client, first: &str, name: &str) -> String {
    let made = http
        .post(format!("{first}/api/admin/users"))
        .bearer_auth(TOKEN)
        .json(&json!({"username": name, "email": format!("{name}@example.org"), "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let body: Value = made.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}

/// Signs `name` in on `base`: its cookie header and CSRF token. After any
/// membership change of the account, so that the session is not rotated
/// (and its token retired) during the measurement.
async fn sign_in(http: &reqwest::Client, base: &str, name: &str) -> (String, String) {
    let login = http
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": name, "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("SESSION_ID="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let body: Value = login.json().await.unwrap();
    (cookie, body["csrf_token"].as_str().unwrap().to_string())
}

async fn transactions(db: &sea_orm::DatabaseConnection, name: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = '{name}'"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

#[tokio::main]
async fn main() {
    if !benchmarking() {
        println!("bench live_events: skipped outside `cargo bench`");
        return;
    }
    let admin = Database::connect(ADMIN_URL)
        .await
        .expect("PostgreSQL at 127.0.0.1:5432");
    let name = format!("sybil_bench_live_{}", std::process::id());
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    let _database = BenchDatabase(name.clone());
    let db_url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    let a = start(&db_url).await;
    let b = start(&db_url).await;
    let http = reqwest::Client::new();
    create_user(&http, &a.1, "olga").await;
    let ann_id = create_user(&http, &a.1, "ann").await;
    let (olga, olga_csrf) = sign_in(&http, &a.1, "olga").await;
    let made: Value = http
        .post(format!("{}/api/conversations", a.1))
        .header("cookie", &olga)
        .header("x-csrf-token", &olga_csrf)
        .json(&json!({"title": "Bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conv = made["conversation_id"].as_str().unwrap().to_string();
    let added = http
        .post(format!("{}/api/conversations/{conv}/participants", a.1))
        .header("cookie", &olga)
        .header("x-csrf-token", &olga_csrf)
        .json(&json!({"user_id": ann_id, "role": "member"}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 204);
    let (ann, _) = sign_in(&http, &b.1, "ann").await;

    // Idle followers: transactions per second with none, then with 50.
    let stats = Database::connect(db_url.as_str()).await.unwrap();
    tokio::time::sleep(SETTLE).await;
    let before = transactions(&stats, &name).await;
    tokio::time::sleep(IDLE_WINDOW).await;
    let baseline = transactions(&stats, &name).await - before;
    let mut idle = Vec::new();
    for _ in 0..IDLE_FOLLOWERS {
        idle.push(
            http.get(format!("{}/api/stream/conversations/{conv}", b.1))
                .header("cookie", &ann)
                .send()
                .await
                .unwrap(),
        );
    }
    // Let the streams' first reads finish before counting.
    tokio::time::sleep(SETTLE).await;
    let before = transactions(&stats, &name).await;
    tokio::time::sleep(IDLE_WINDOW).await;
    let with_followers = transactions(&stats, &name).await - before;
    drop(idle);
    let per_follower =
        (with_followers - baseline) as f64 / IDLE_WINDOW.as_secs_f64() / IDLE_FOLLOWERS as f64;

    // Latency: post on A, wait for its thread.new on B.
    let mut stream = http
        .get(format!("{}/api/stream/conversations/{conv}", b.1))
        .header("cookie", &ann)
        .send()
        .await
        .unwrap();
    let mut samples = Vec::with_capacity(SAMPLES);
    let mut from_sent = Vec::with_capacity(SAMPLES);
    let mut buffer = String::new();
    for i in 0..SAMPLES {
        let sent = Instant::now();
        let answer = http
            .post(format!("{}/api/threads/{conv}/root", a.1))
            .header("cookie", &olga)
            .header("x-csrf-token", &olga_csrf)
            .json(&json!({"content": format!("note {i}"), "role": "system"}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 201);
        let committed = Instant::now();
        let marker = format!("\"root_excerpt\":\"note {i}\"");
        while !buffer.contains(&marker) {
            let chunk = stream.chunk().await.unwrap().expect("more events");
            buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
        samples.push(committed.elapsed());
        from_sent.push(sent.elapsed());
        buffer.clear();
    }
    samples.sort();
    from_sent.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "event committed on A (post answered) -> on B's stream   p50 {:.3} ms (goal ≤ 5)   p99 {:.3} ms (goal ≤ 50)   ({SAMPLES} events)",
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.99))
    );
    println!(
        "post sent to A -> event on B's stream (upper bound)      p50 {:.3} ms   p99 {:.3} ms",
        ms(percentile(&from_sent, 0.5)),
        ms(percentile(&from_sent, 0.99))
    );
    println!(
        "database transactions per second per idle follower   {per_follower:.3} (goal: 0; {IDLE_FOLLOWERS} followers over {} s, {baseline} transactions without them, {with_followers} with)",
        IDLE_WINDOW.as_secs()
    );
    // The servers go first, then the database (`_database`, dropped last).
    drop((stream, a, b, stats));
}
