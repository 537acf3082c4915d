//! Benchmark: `GET /v1/chats/:chatId` with 1,000 stored messages and
//! `POST /v1/chats/:chatId/messages`, on SQLite and PostgreSQL, through the
//! real server over loopback. Prints p50/p99 latency and requests per second.
//!
//! `cargo bench --bench chats` (under `cargo test` it only checks it builds).

mod support;

use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};
use support::{benchmarking, figures, print, start};

const MESSAGES: usize = 1_000;
const GETS: usize = 500;
const CONCURRENCY: usize = 8;

async fn run(backend: &str, database_url: &str) {
    let base = start(&[("DATABASE_URL".to_string(), database_url.to_string())]).await;
    let client = reqwest::Client::new();
    let chat: Value = client
        .post(format!("{base}/v1/chats"))
        .json(&json!({ "title": "bench" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = chat["chat"]["id"].as_str().unwrap().to_string();
    let messages_url = format!("{base}/v1/chats/{id}/messages");

    // POST, sequential: also fills the chat to 1,000 messages.
    let mut samples = Vec::with_capacity(MESSAGES);
    let wall = Instant::now();
    for i in 0..MESSAGES {
        let body = json!({ "role": if i % 2 == 0 { "user" } else { "assistant" },
                           "content": format!("message {i}: {}", "lorem ipsum ".repeat(20)) });
        let t = Instant::now();
        let resp = client.post(&messages_url).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 201);
        resp.bytes().await.unwrap();
        samples.push(t.elapsed());
    }
    print(
        &format!("[{backend}] POST messages, 1 client"),
        &figures(samples, wall.elapsed()),
    );

    let chat_url = format!("{base}/v1/chats/{id}");
    let get_once = |client: reqwest::Client, url: String| async move {
        let t = Instant::now();
        let resp = client.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let body = resp.bytes().await.unwrap();
        (t.elapsed(), body.len())
    };
    for _ in 0..20 {
        get_once(client.clone(), chat_url.clone()).await;
    }
    let mut samples = Vec::with_capacity(GETS);
    let wall = Instant::now();
    let mut size = 0;
    for _ in 0..GETS {
        let (d, len) = get_once(client.clone(), chat_url.clone()).await;
        samples.push(d);
        size = len;
    }
    print(
        &format!(
            "[{backend}] GET chat, 1,000 msgs ({} KB), 1 client",
            size / 1024
        ),
        &figures(samples, wall.elapsed()),
    );

    let wall = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, url) = (client.clone(), chat_url.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for _ in 0..GETS / CONCURRENCY {
                out.push(get_once(client.clone(), url.clone()).await.0);
            }
            out
        }));
    }
    let mut samples = Vec::new();
    for t in tasks {
        samples.extend(t.await.unwrap());
    }
    print(
        &format!("[{backend}] GET chat, 1,000 msgs, {CONCURRENCY} clients"),
        &figures(samples, wall.elapsed()),
    );

    let wall = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..CONCURRENCY {
        let (client, url) = (client.clone(), messages_url.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for i in 0..MESSAGES / CONCURRENCY {
                let t = Instant::now();
                let resp = client
                    .post(&url)
                    .json(&json!({ "role": "user", "content": format!("{w}:{i}") }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 201);
                resp.bytes().await.unwrap();
                out.push(t.elapsed());
            }
            out
        }));
    }
    let mut samples = Vec::new();
    for t in tasks {
        samples.extend(t.await.unwrap());
    }
    print(
        &format!("[{backend}] POST messages, {CONCURRENCY} clients"),
        &figures(samples, wall.elapsed()),
    );
}

fn psql(sql: &str) -> bool {
    Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-qc",
            sql,
        ])
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::main]
async fn main() {
    if !benchmarking() {
        println!("bench chats: skipped outside `cargo bench`");
        return;
    }
    let dir = std::env::temp_dir().join(format!("sybil-bench-{}", std::process::id()));
    let sqlite = format!("sqlite://{}/bench.db?mode=rwc", dir.display());
    run("sqlite", &sqlite).await;
    let _ = std::fs::remove_dir_all(&dir);

    let db = format!("sybil_bench_{}", std::process::id());
    if psql(&format!("CREATE DATABASE {db}")) {
        run(
            "postgres",
            &format!("postgres://postgres@127.0.0.1:5432/{db}"),
        )
        .await;
        psql(&format!("DROP DATABASE {db} WITH (FORCE)"));
    } else {
        println!("[postgres] skipped: could not create a database with psql at 127.0.0.1:5432");
    }
}
