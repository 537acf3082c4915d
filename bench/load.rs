//! Load test: 10,000 mixed requests (chat CRUD, messages, completions
//! against an instant fake OpenAI) at concurrency 64, through the real
//! server over loopback on SQLite. Prints p50/p99 per kind and overall,
//! throughput and error counts. Bounded by count and by a 10-minute deadline.
//!
//! `cargo bench --bench load` (under `cargo test` it only checks it builds).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use sybil::config::Config;
use sybil::startup::Application;
use sybil_testkit::{FakeKind, FakeLlm};

const REQUESTS: usize = 10_000;
const CONCURRENCY: usize = 64;
const DEADLINE: Duration = Duration::from_secs(600);

/// One request's outcome: its kind, latency, and whether it failed.
struct Sample {
    kind: &'static str,
    took: Duration,
    error: bool,
}

struct Load {
    base: String,
    client: Client,
    issued: AtomicUsize,
    started: Instant,
}

impl Load {
    /// Takes a slot of the request budget; `false` when it is spent.
    fn take(&self) -> bool {
        self.started.elapsed() < DEADLINE && self.issued.fetch_add(1, Ordering::Relaxed) < REQUESTS
    }

    async fn call(
        &self,
        kind: &'static str,
        method: Method,
        path: &str,
        body: Option<Value>,
        expect: StatusCode,
        out: &mut Vec<Sample>,
    ) -> Option<Value> {
        let t = Instant::now();
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let result = match req.send().await {
            Ok(resp) if resp.status() == expect => resp.json::<Value>().await.ok(),
            Ok(resp) => {
                eprintln!("{kind}: unexpected status {}", resp.status());
                None
            }
            Err(e) => {
                eprintln!("{kind}: {e}");
                None
            }
        };
        out.push(Sample {
            kind,
            took: t.elapsed(),
            error: result.is_none(),
        });
        result
    }
}

/// One client's loop: a chat's life (create, message, completion, read,
/// rename, list, delete), over and over until the budget is spent.
async fn worker(load: Arc<Load>, n: usize) -> Vec<Sample> {
    let mut out = Vec::new();
    let mut round = 0usize;
    while load.take() {
        round += 1;
        let Some(created) = load
            .call(
                "POST /v1/chats",
                Method::POST,
                "/v1/chats",
                Some(json!({ "title": format!("load {n}-{round}") })),
                StatusCode::CREATED,
                &mut out,
            )
            .await
        else {
            continue;
        };
        let id = created["chat"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let chat = format!("/v1/chats/{id}");
        let steps: [(&'static str, Method, String, Option<Value>, StatusCode); 6] = [
            (
                "POST /v1/chats/:chatId/messages",
                Method::POST,
                format!("{chat}/messages"),
                Some(json!({ "role": "user", "content": format!("question {round}") })),
                StatusCode::CREATED,
            ),
            (
                "POST /v1/chat-completions",
                Method::POST,
                "/v1/chat-completions".into(),
                Some(
                    json!({ "chatId": id, "provider": "openai", "model": "gpt-4.1-mini",
                          "messages": [{ "role": "user", "content": format!("question {round}") }] }),
                ),
                StatusCode::OK,
            ),
            (
                "GET /v1/chats/:chatId",
                Method::GET,
                chat.clone(),
                None,
                StatusCode::OK,
            ),
            (
                "PATCH /v1/chats/:chatId",
                Method::PATCH,
                chat.clone(),
                Some(json!({ "title": "renamed" })),
                StatusCode::OK,
            ),
            (
                "GET /v1/chats",
                Method::GET,
                "/v1/chats".into(),
                None,
                StatusCode::OK,
            ),
            (
                "DELETE /v1/chats/:chatId",
                Method::DELETE,
                chat.clone(),
                None,
                StatusCode::OK,
            ),
        ];
        for (kind, method, path, body, expect) in steps {
            if !load.take() {
                break;
            }
            load.call(kind, method, &path, body, expect, &mut out).await;
        }
    }
    out
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

fn report(label: &str, samples: &[&Sample]) {
    let mut took: Vec<Duration> = samples.iter().map(|s| s.took).collect();
    took.sort();
    let errors = samples.iter().filter(|s| s.error).count();
    println!(
        "{label:<36} {:>6} req   p50 {:>8.2} ms   p99 {:>8.2} ms   errors {errors}",
        samples.len(),
        percentile(&took, 0.50),
        percentile(&took, 0.99),
    );
}

async fn start(fake: &FakeLlm, dir: &std::path::Path) -> String {
    let vars = [
        ("PORT".to_string(), "0".to_string()),
        (
            "DATABASE_URL".into(),
            format!("sqlite://{}/load.db?mode=rwc", dir.display()),
        ),
        ("OPENAI_API_KEY".into(), fake.api_key()),
        ("OPENAI_BASE_URL".into(), fake.base_url()),
        // One loopback client sends everything: the per-client limit would
        // measure the limiter, not the server.
        ("RATE_LIMIT_PER_MINUTE".into(), "0".into()),
    ];
    let config = Config::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
        .expect("config");
    let app = Application::build(&config).await.expect("start server");
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    base
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("bench load: skipped outside `cargo bench`");
        return;
    }
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    let dir = std::env::temp_dir().join(format!("sybil-load-{}", std::process::id()));
    let base = start(&fake, &dir).await;
    let load = Arc::new(Load {
        base,
        client: Client::builder()
            .pool_max_idle_per_host(CONCURRENCY)
            .build()
            .expect("client"),
        issued: AtomicUsize::new(0),
        started: Instant::now(),
    });
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|n| tokio::spawn(worker(load.clone(), n)))
        .collect();
    let mut samples = Vec::with_capacity(REQUESTS);
    for w in workers {
        samples.extend(w.await.expect("worker"));
    }
    let wall = load.started.elapsed();

    println!(
        "load: {} requests, concurrency {CONCURRENCY}, SQLite, instant fake OpenAI",
        samples.len()
    );
    let mut by_kind: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    for s in &samples {
        by_kind.entry(s.kind).or_default().push(s);
    }
    for (kind, list) in &by_kind {
        report(kind, list);
    }
    let all: Vec<&Sample> = samples.iter().collect();
    report("all", &all);
    let errors = samples.iter().filter(|s| s.error).count();
    println!(
        "throughput {:.0} req/s over {:.2} s; {errors} errors",
        samples.len() as f64 / wall.as_secs_f64(),
        wall.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
