//! Benchmark: the latency Sybil adds to `POST /v1/chat-completions` over
//! calling an instant fake OpenAI directly, at concurrency 1 and 64, with
//! and without `chatId` (SQLite). `cargo bench --bench completions`.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Figures, benchmarking, figures, ms, print, start};
use sybil_testkit::{FakeKind, FakeLlm};

const REQUESTS: usize = 2_000;
/// Each row is measured this many times, the rows taken in turn, and the
/// medians reported: one run of 2,000 requests at concurrency 64 lasts under
/// a second, and on a shared 2-core machine single runs varied by a third.
const ROUNDS: usize = 5;

/// One round: the three rows measured one after the other.
struct Round {
    direct: Figures,
    plain: Figures,
    stored: Figures,
    plain_overhead: f64,
    stored_overhead: f64,
}

/// Sends `REQUESTS` POSTs of `body` to `url`, `concurrency` at a time; returns
/// the latency figures and the `x-sybil-overhead-ms` values seen.
async fn load(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, String)],
    body: Arc<Value>,
    concurrency: usize,
) -> (Figures, Vec<f64>) {
    let per_task = REQUESTS / concurrency;
    let wall = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, body) = (client.clone(), url.to_string(), body.clone());
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(per_task);
            let mut overheads = Vec::new();
            for _ in 0..per_task {
                let mut req = client.post(&url).json(&*body);
                for (k, v) in &headers {
                    req = req.header(k, v);
                }
                let t = Instant::now();
                let resp = req.send().await.expect("request");
                assert!(resp.status().is_success(), "status {}", resp.status());
                if let Some(v) = resp
                    .headers()
                    .get("x-sybil-overhead-ms")
                    .and_then(|v| v.to_str().ok())
                {
                    overheads.push(v.parse::<f64>().unwrap_or(f64::NAN));
                }
                resp.bytes().await.expect("body");
                samples.push(t.elapsed());
            }
            (samples, overheads)
        }));
    }
    let mut samples = Vec::new();
    let mut overheads = Vec::new();
    for t in tasks {
        let (s, o) = t.await.unwrap();
        samples.extend(s);
        overheads.extend(o);
    }
    (figures(samples, wall.elapsed()), overheads)
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

fn of_rounds(rounds: &[Round], figure: impl Fn(&Round) -> f64) -> f64 {
    median(rounds.iter().map(figure).collect())
}

#[tokio::main]
async fn main() {
    if !benchmarking() {
        println!("bench completions: skipped outside `cargo bench`");
        return;
    }
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    let dir = std::env::temp_dir().join(format!("sybil-bench-completions-{}", std::process::id()));
    let vars = vec![
        ("OPENAI_API_KEY".to_string(), fake.api_key()),
        ("OPENAI_BASE_URL".to_string(), fake.base_url()),
        (
            "DATABASE_URL".to_string(),
            format!("sqlite://{}/bench.db?mode=rwc", dir.display()),
        ),
    ];
    let base = start(&vars).await;
    let client = reqwest::Client::new();
    let chat: Value = client
        .post(format!("{base}/v1/chats"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let chat_id = chat["chat"]["id"].as_str().unwrap().to_string();

    let without_chat = Arc::new(
        json!({ "provider": "openai", "model": "gpt-4.1-mini", "messages": [{ "role": "user", "content": "hi" }] }),
    );
    let with_chat = Arc::new(
        json!({ "chatId": chat_id, "provider": "openai", "model": "gpt-4.1-mini", "messages": [{ "role": "user", "content": "hi" }] }),
    );
    let direct_url = format!("{}/responses", fake.base_url());
    let auth = [("authorization", format!("Bearer {}", fake.api_key()))];
    let sybil_url = format!("{base}/v1/chat-completions");

    // Warm up Sybil. The direct call then sends the fake exactly what Sybil
    // sent it (instructions, tools, `store`), so the fake does the same work
    // on both paths and the difference is Sybil's alone.
    load(&client, &sybil_url, &[], without_chat.clone(), 8).await;
    let sent = fake
        .generation_requests()
        .pop()
        .expect("Sybil called the fake");
    let direct_body = Arc::new(sent.body);
    load(&client, &direct_url, &auth, direct_body.clone(), 8).await;

    println!(
        "{REQUESTS} requests per row, {ROUNDS} rounds of the three rows taken in turn, medians over \
         the rounds; the fake, Sybil and the load generator share the machine's cores"
    );
    for concurrency in [1, 64] {
        let mut rounds = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let (direct, _) = load(
                &client,
                &direct_url,
                &auth,
                direct_body.clone(),
                concurrency,
            )
            .await;
            let (plain, plain_overhead) =
                load(&client, &sybil_url, &[], without_chat.clone(), concurrency).await;
            let (stored, stored_overhead) =
                load(&client, &sybil_url, &[], with_chat.clone(), concurrency).await;
            rounds.push(Round {
                direct,
                plain,
                stored,
                plain_overhead: median(plain_overhead),
                stored_overhead: median(stored_overhead),
            });
        }
        let of = |f: fn(&Round) -> f64| of_rounds(&rounds, f);
        // The median of each figure over the rounds.
        let row = |pick: fn(&Round) -> &Figures| Figures {
            p50: Duration::from_secs_f64(of_rounds(&rounds, |r| pick(r).p50.as_secs_f64())),
            p99: Duration::from_secs_f64(of_rounds(&rounds, |r| pick(r).p99.as_secs_f64())),
            rps: of_rounds(&rounds, |r| pick(r).rps),
        };
        let at = format!("concurrency {concurrency}");
        print(&format!("direct to the fake, {at}"), &row(|r| &r.direct));
        print(
            &format!("through Sybil, no chatId, {at}"),
            &row(|r| &r.plain),
        );
        print(
            &format!("through Sybil, chatId on SQLite, {at}"),
            &row(|r| &r.stored),
        );
        println!(
            "  x-sybil-overhead-ms p50 at concurrency {concurrency}: no chatId {:.3} ms, chatId {:.3} ms",
            of(|r| r.plain_overhead),
            of(|r| r.stored_overhead),
        );
        // Each figure is compared with the direct call of its own round, so
        // a slow moment of the machine counts against both sides alike.
        println!(
            "  added at concurrency {concurrency}: no chatId p50 {:+.3} ms p99 {:+.3} ms; chatId p50 {:+.3} ms p99 {:+.3} ms; throughput {:.0}% / {:.0}% of direct (rounds: {})",
            of(|r| ms(r.plain.p50) - ms(r.direct.p50)),
            of(|r| ms(r.plain.p99) - ms(r.direct.p99)),
            of(|r| ms(r.stored.p50) - ms(r.direct.p50)),
            of(|r| ms(r.stored.p99) - ms(r.direct.p99)),
            of(|r| 100.0 * r.plain.rps / r.direct.rps),
            of(|r| 100.0 * r.stored.rps / r.direct.rps),
            rounds
                .iter()
                .map(|r| format!("{:.0}%", 100.0 * r.plain.rps / r.direct.rps))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
