//! Load test (issue 9): 10,000 mixed requests at concurrency 64 through the
//! real server over loopback on SQLite, against fake OpenAI, xAI and
//! Anthropic upstreams of which a share fails on purpose.
//!
//! Each client loops over chat lives: create a chat, add a message, run a
//! few completions in it (streamed or not; one in five fails upstream: an
//! HTTP 500 envelope, a cut stream, an in-stream error or a dropped
//! connection), read it, rename it, list the chats, and delete one chat in
//! four. The fakes choose each reply from a marker in the request's last user
//! message, so replies match requests under any concurrency and a retried
//! request fails the same way again.
//!
//! An injected failure must come back as the contract says (502 without a
//! stream, a final `error` event on a stream); every other failure is an
//! unexpected error. At the end every chat is read back: its transcript must
//! be exactly what the client did (each user message once, followed by the
//! one expected answer when its completion succeeded, by nothing when it
//! failed), and deleted chats must be gone. Any unexpected error or
//! incomplete transcript fails the run. Bounded by count and a 10-minute
//! deadline.
//!
//! `cargo bench --bench load` (under `cargo test` it only checks it builds).

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use sybil_testkit::{FakeKind, FakeLlm, Recorded, Reply};

const REQUESTS: usize = 10_000;
const CONCURRENCY: usize = 64;
const DEADLINE: Duration = Duration::from_secs(600);
/// Completions run in each chat.
const COMPLETIONS_PER_CHAT: usize = 3;
/// One completion in this many fails upstream.
const FAIL_EVERY: usize = 5;
/// One chat in this many is deleted (and must then be gone).
const DELETE_EVERY: usize = 4;

/// How the fake answers a completion: the last word of its user message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    /// The provider's error envelope with HTTP 500 (retried, then 502).
    Http500,
    /// Two deltas, then the connection breaks (not streamed: a JSON body
    /// cut halfway).
    Cut,
    /// Two deltas, then the provider's in-stream error event (not
    /// streamed: its 5xx envelope).
    StreamError,
    /// The connection closes before any answer.
    Drop,
}

const FAILURES: [Outcome; 4] = [
    Outcome::Http500,
    Outcome::Cut,
    Outcome::StreamError,
    Outcome::Drop,
];

impl Outcome {
    fn word(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Http500 => "http500",
            Outcome::Cut => "cut",
            Outcome::StreamError => "stream-error",
            Outcome::Drop => "drop",
        }
    }

    fn parse(word: &str) -> Option<Outcome> {
        [Outcome::Ok]
            .into_iter()
            .chain(FAILURES)
            .find(|o| o.word() == word)
    }
}

/// The user message of completion `k` of chat `tag`, which tells the fake
/// what to answer.
fn question(tag: &str, k: usize, outcome: Outcome) -> String {
    format!("q {tag} {k} {}", outcome.word())
}

/// The answer the fake gives to `question(tag, k, _)`: several words, so a
/// stream has several deltas.
fn answer(tag: &str, k: usize) -> String {
    format!("Answer to {tag} number {k}, complete and in order.")
}

/// The fake's reply to a request, from the marker in its last user message.
fn reply_for(kind: FakeKind, req: &Recorded) -> Option<Reply> {
    let text = req.last_user_text()?;
    let mut words = text.split_whitespace();
    if words.next()? != "q" {
        return None;
    }
    let tag = words.next()?;
    let k: usize = words.next()?.parse().ok()?;
    let expected = answer(tag, k);
    Some(match Outcome::parse(words.next()?)? {
        Outcome::Ok => Reply::text(&expected),
        Outcome::Http500 => Reply::api_error(kind, 500, "injected failure"),
        Outcome::Cut => Reply::cut_stream(&expected, 2),
        Outcome::StreamError => Reply::stream_error(&expected, 2, "injected in-stream failure"),
        Outcome::Drop => Reply::drop_connection(),
    })
}

/// How one request ended.
#[derive(Debug, Clone, PartialEq)]
enum Class {
    Ok,
    /// An injected upstream failure, answered as the contract says.
    Injected(Outcome),
    Unexpected(String),
}

struct Sample {
    kind: &'static str,
    took: Duration,
    class: Class,
}

/// A chat the load created, and the transcript it must hold.
struct Conversation {
    id: String,
    expected: Vec<(String, String)>,
    deleted: bool,
}

struct Load {
    base: String,
    client: Client,
    issued: AtomicUsize,
    completions: AtomicUsize,
    started: Instant,
}

const PROVIDERS: [(&str, &str); 3] = [
    ("openai", "gpt-4.1-mini"),
    ("xai", "grok-3-mini"),
    ("anthropic", "claude-3-5-sonnet-latest"),
];

impl Load {
    /// Takes a slot of the request budget; `false` when it is spent.
    fn take(&self) -> bool {
        self.started.elapsed() < DEADLINE && self.issued.fetch_add(1, Ordering::Relaxed) < REQUESTS
    }

    /// A plain JSON call; `Some(body)` when it answered `expect`.
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
            Ok(resp) if resp.status() == expect => resp
                .json::<Value>()
                .await
                .map_err(|e| format!("unreadable body: {e}")),
            Ok(resp) => Err(format!("unexpected status {}", resp.status())),
            Err(e) => Err(e.to_string()),
        };
        let took = t.elapsed();
        match result {
            Ok(v) => {
                out.push(Sample {
                    kind,
                    took,
                    class: Class::Ok,
                });
                Some(v)
            }
            Err(e) => {
                out.push(Sample {
                    kind,
                    took,
                    class: Class::Unexpected(e),
                });
                None
            }
        }
    }

    /// One completion in `chat` (streamed or not) with `history` plus the new
    /// question; returns whether it produced the expected answer.
    #[allow(clippy::too_many_arguments)]
    async fn complete(
        &self,
        chat: &str,
        provider: (&str, &str),
        history: &[(String, String)],
        question: &str,
        expected: &str,
        outcome: Outcome,
        stream: bool,
        out: &mut Vec<Sample>,
    ) -> bool {
        let mut messages: Vec<Value> = history
            .iter()
            .map(|(role, content)| json!({ "role": role, "content": content }))
            .collect();
        messages.push(json!({ "role": "user", "content": question }));
        let body = json!({ "chatId": chat, "provider": provider.0, "model": provider.1,
                           "messages": messages });
        let (kind, path) = if stream {
            (
                "POST /v1/chat-completions/stream",
                "/v1/chat-completions/stream",
            )
        } else {
            ("POST /v1/chat-completions", "/v1/chat-completions")
        };
        let t = Instant::now();
        let sent = self
            .client
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await;
        let class = match sent {
            Err(e) => Class::Unexpected(e.to_string()),
            Ok(resp) if stream => check_stream(resp, chat, expected, outcome).await,
            Ok(resp) => check_whole(resp, chat, expected, outcome).await,
        };
        let took = t.elapsed();
        let answered = class == Class::Ok;
        if let Class::Unexpected(e) = &class {
            eprintln!("{kind} ({} {}): {e}", provider.0, outcome.word());
        }
        out.push(Sample { kind, took, class });
        answered
    }
}

/// A non-streamed completion: 200 with the expected answer, or 502 for an
/// injected failure.
async fn check_whole(
    resp: reqwest::Response,
    chat: &str,
    expected: &str,
    outcome: Outcome,
) -> Class {
    let status = resp.status();
    let body: Value = match resp.json().await {
        Ok(v) => v,
        Err(e) => return Class::Unexpected(format!("{status}: unreadable body: {e}")),
    };
    match (outcome, status) {
        (Outcome::Ok, StatusCode::OK) => {
            if body["message"]["content"] == expected && body["chatId"] == chat {
                Class::Ok
            } else {
                Class::Unexpected(format!("wrong answer: {body}"))
            }
        }
        (Outcome::Ok, _) => Class::Unexpected(format!("{status}: {body}")),
        (_, StatusCode::BAD_GATEWAY)
            if body["message"].as_str().is_some_and(|m| !m.is_empty())
                && body.as_object().is_some_and(|o| o.len() == 1) =>
        {
            Class::Injected(outcome)
        }
        (_, _) => Class::Unexpected(format!(
            "{} should be a 502, got {status}: {body}",
            outcome.word()
        )),
    }
}

/// A streamed completion: `meta` first, deltas, then exactly one final
/// event: `done` with the expected answer, or `error` for an injected
/// failure; ids increasing.
async fn check_stream(
    resp: reqwest::Response,
    chat: &str,
    expected: &str,
    outcome: Outcome,
) -> Class {
    let status = resp.status();
    if status != StatusCode::OK {
        let body = resp.text().await.unwrap_or_default();
        return Class::Unexpected(format!("stream answered {status}: {body}"));
    }
    let text = match resp.text().await {
        Ok(t) => t,
        Err(e) => return Class::Unexpected(format!("stream broke: {e}")),
    };
    let events = sse_events(&text);
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    let ids: Vec<u64> = events.iter().filter_map(|e| e.id).collect();
    if ids.len() != events.len() || ids.windows(2).any(|w| w[0] >= w[1]) {
        return Class::Unexpected(format!("event ids missing or not increasing: {text}"));
    }
    if names.first() != Some(&"meta") || events[0].data["chatId"] != chat {
        return Class::Unexpected(format!("no meta first: {text}"));
    }
    let finals = names
        .iter()
        .filter(|n| matches!(**n, "done" | "error"))
        .count();
    let last = events.last().expect("meta");
    if finals != 1 || !matches!(last.name.as_str(), "done" | "error") {
        return Class::Unexpected(format!("not exactly one final event, last: {text}"));
    }
    let deltas: String = events
        .iter()
        .filter(|e| e.name == "delta")
        .filter_map(|e| e.data["text"].as_str())
        .collect();
    match (outcome, last.name.as_str()) {
        (Outcome::Ok, "done") => {
            if deltas == expected && last.data["message"]["content"] == expected {
                Class::Ok
            } else {
                Class::Unexpected(format!("wrong answer: deltas {deltas:?}, {}", last.data))
            }
        }
        (Outcome::Ok, _) => Class::Unexpected(format!("failed: {}", last.data)),
        (_, "error") if last.data["message"].as_str().is_some_and(|m| !m.is_empty()) => {
            if expected.starts_with(&deltas) {
                Class::Injected(outcome)
            } else {
                Class::Unexpected(format!("deltas {deltas:?} are not a start of the answer"))
            }
        }
        (_, _) => Class::Unexpected(format!(
            "{} should end with an error event: {}",
            outcome.word(),
            last.data
        )),
    }
}

struct Event {
    name: String,
    id: Option<u64>,
    data: Value,
}

/// The events of an SSE body (comments such as `: ping` skipped).
fn sse_events(body: &str) -> Vec<Event> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut id = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event:") {
                    name = Some(n.trim().to_string());
                } else if let Some(i) = line.strip_prefix("id:") {
                    id = i.trim().parse().ok();
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push(d.strip_prefix(' ').unwrap_or(d));
                }
            }
            Some(Event {
                name: name?,
                id,
                data: serde_json::from_str(&data.join("\n")).unwrap_or(Value::Null),
            })
        })
        .collect()
}

/// One client's loop over chat lives until the budget is spent.
async fn worker(load: Arc<Load>, n: usize) -> (Vec<Sample>, Vec<Conversation>) {
    let mut out = Vec::new();
    let mut chats = Vec::new();
    let mut round = 0usize;
    while load.take() {
        round += 1;
        let tag = format!("w{n}r{round}");
        let provider = PROVIDERS[(n + round) % PROVIDERS.len()];
        let Some(created) = load
            .call(
                "POST /v1/chats",
                Method::POST,
                "/v1/chats",
                Some(json!({ "title": format!("load {tag}") })),
                StatusCode::CREATED,
                &mut out,
            )
            .await
        else {
            continue;
        };
        let Some(id) = created["chat"]["id"].as_str().map(str::to_string) else {
            continue;
        };
        chats.push(Conversation {
            id: id.clone(),
            expected: Vec::new(),
            deleted: false,
        });
        let conv = chats.last_mut().expect("just pushed");
        let chat = format!("/v1/chats/{id}");

        if !load.take() {
            break;
        }
        let note = format!("note {tag}");
        if load
            .call(
                "POST /v1/chats/:chatId/messages",
                Method::POST,
                &format!("{chat}/messages"),
                Some(json!({ "role": "user", "content": note })),
                StatusCode::CREATED,
                &mut out,
            )
            .await
            .is_some()
        {
            conv.expected.push(("user".into(), note));
        }

        for k in 1..=COMPLETIONS_PER_CHAT {
            if !load.take() {
                break;
            }
            let c = load.completions.fetch_add(1, Ordering::Relaxed);
            let outcome = if c.is_multiple_of(FAIL_EVERY) {
                FAILURES[(c / FAIL_EVERY) % FAILURES.len()]
            } else {
                Outcome::Ok
            };
            // Changes every 4 failures, so each failure kind is met both ways.
            let stream = (c / (FAIL_EVERY * FAILURES.len())) % 2 == 1;
            let q = question(&tag, k, outcome);
            let a = answer(&tag, k);
            let answered = load
                .complete(
                    &id,
                    provider,
                    &conv.expected,
                    &q,
                    &a,
                    outcome,
                    stream,
                    &mut out,
                )
                .await;
            // The question is stored before the provider is called, whatever
            // happens next; the answer only when it came.
            conv.expected.push(("user".into(), q));
            if answered {
                conv.expected.push(("assistant".into(), a));
            }
        }

        let rest: [(&'static str, Method, String, Option<Value>); 3] = [
            ("GET /v1/chats/:chatId", Method::GET, chat.clone(), None),
            (
                "PATCH /v1/chats/:chatId",
                Method::PATCH,
                chat.clone(),
                Some(json!({ "title": format!("renamed {tag}") })),
            ),
            ("GET /v1/chats", Method::GET, "/v1/chats".into(), None),
        ];
        for (kind, method, path, body) in rest {
            if !load.take() {
                break;
            }
            load.call(kind, method, &path, body, StatusCode::OK, &mut out)
                .await;
        }
        if round.is_multiple_of(DELETE_EVERY) && load.take() {
            let deleted = load
                .call(
                    "DELETE /v1/chats/:chatId",
                    Method::DELETE,
                    &chat,
                    None,
                    StatusCode::OK,
                    &mut out,
                )
                .await;
            conv.deleted = deleted.is_some_and(|b| b == json!({ "deleted": true }));
        }
    }
    (out, chats)
}

/// Reads `conv` back: `None` when it holds what it must, else what is wrong.
async fn verify(load: &Load, conv: &Conversation) -> Option<String> {
    let url = format!("{}/v1/chats/{}", load.base, conv.id);
    let resp = match load.client.get(&url).send().await {
        Ok(r) => r,
        Err(e) => return Some(format!("read failed: {e}")),
    };
    let status = resp.status();
    if conv.deleted {
        return (status != StatusCode::NOT_FOUND).then(|| format!("deleted, yet {status}"));
    }
    if status != StatusCode::OK {
        return Some(format!("read answered {status}"));
    }
    let body: Value = match resp.json().await {
        Ok(v) => v,
        Err(e) => return Some(format!("unreadable: {e}")),
    };
    let stored: Vec<(String, String)> = body["chat"]["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap_or("?").to_string(),
                m["content"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    (stored != conv.expected).then(|| format!("expected {:?}\n  stored {stored:?}", conv.expected))
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

fn report(label: &str, samples: &[&Sample]) {
    let mut took: Vec<Duration> = samples.iter().map(|s| s.took).collect();
    took.sort();
    let injected = samples
        .iter()
        .filter(|s| matches!(s.class, Class::Injected(_)))
        .count();
    let unexpected = samples
        .iter()
        .filter(|s| matches!(s.class, Class::Unexpected(_)))
        .count();
    println!(
        "{label:<36} {:>6} req   p50 {:>8.2} ms   p99 {:>8.2} ms   injected failures {injected:>4}   unexpected errors {unexpected}",
        samples.len(),
        percentile(&took, 0.50),
        percentile(&took, 0.99),
    );
}

#[tokio::main]
async fn main() {
    if !support::benchmarking() {
        println!("bench load: skipped outside `cargo bench`");
        return;
    }
    let kinds = [FakeKind::OpenAi, FakeKind::Xai, FakeKind::Anthropic];
    let mut fakes = Vec::new();
    for kind in kinds {
        let fake = FakeLlm::start(kind).await;
        fake.respond_with(move |req| reply_for(kind, req));
        fakes.push(fake);
    }
    let dir = std::env::temp_dir().join(format!("sybil-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut vars = vec![(
        "DATABASE_URL".to_string(),
        format!("sqlite://{}/load.db?mode=rwc", dir.display()),
    )];
    for (prefix, fake) in ["OPENAI", "XAI", "ANTHROPIC"].into_iter().zip(&fakes) {
        vars.push((format!("{prefix}_API_KEY"), fake.api_key()));
        vars.push((format!("{prefix}_BASE_URL"), fake.base_url()));
    }
    // `support::start` also disables the rate limiter: one loopback client
    // sends everything.
    let base = support::start(&vars).await;
    let load = Arc::new(Load {
        base,
        client: Client::builder()
            .pool_max_idle_per_host(CONCURRENCY)
            .build()
            .expect("client"),
        issued: AtomicUsize::new(0),
        completions: AtomicUsize::new(0),
        started: Instant::now(),
    });
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|n| tokio::spawn(worker(load.clone(), n)))
        .collect();
    let mut samples = Vec::with_capacity(REQUESTS);
    let mut chats = Vec::new();
    for w in workers {
        let (s, c) = w.await.expect("worker");
        samples.extend(s);
        chats.extend(c);
    }
    let wall = load.started.elapsed();

    println!(
        "load: {} requests, concurrency {CONCURRENCY}, SQLite, fake OpenAI/xAI/Anthropic, one completion in {FAIL_EVERY} failing upstream",
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
    let answered: Vec<&Sample> = samples
        .iter()
        .filter(|s| !matches!(s.class, Class::Injected(_)))
        .collect();
    report("all but the injected failures", &answered);
    let injected = samples.len() - answered.len();
    let unexpected: Vec<&String> = samples
        .iter()
        .filter_map(|s| match &s.class {
            Class::Unexpected(e) => Some(e),
            _ => None,
        })
        .collect();
    let completions = load.completions.load(Ordering::Relaxed);
    let mut by_failure: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for s in &samples {
        if let Class::Injected(outcome) = s.class {
            let way = if s.kind.ends_with("/stream") {
                "streamed"
            } else {
                "whole"
            };
            *by_failure.entry((outcome.word(), way)).or_default() += 1;
        }
    }
    let breakdown: Vec<String> = by_failure
        .iter()
        .map(|((word, way), n)| format!("{word} {way} {n}"))
        .collect();
    println!(
        "throughput {:.0} req/s over {:.2} s",
        samples.len() as f64 / wall.as_secs_f64(),
        wall.as_secs_f64()
    );
    println!(
        "completions {completions}: injected upstream failures {injected} (answered 502 / final error event: {}), unexpected errors {}",
        breakdown.join(", "),
        unexpected.len()
    );

    // Every transcript, read back once the load is over.
    let checks = futures::stream::iter(&chats)
        .map(|conv| {
            let load = load.clone();
            async move { verify(&load, conv).await.map(|e| (conv.id.clone(), e)) }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let incomplete: Vec<(String, String)> = checks.into_iter().flatten().collect();
    let deleted = chats.iter().filter(|c| c.deleted).count();
    for (id, problem) in incomplete.iter().take(5) {
        eprintln!("chat {id}: {problem}");
    }
    println!(
        "transcripts checked: {}, incomplete: {} (of which {deleted} deleted chats checked gone)",
        chats.len(),
        incomplete.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        unexpected.is_empty(),
        "{} unexpected errors, first: {}",
        unexpected.len(),
        unexpected[0]
    );
    assert!(
        incomplete.is_empty(),
        "{} incomplete transcripts",
        incomplete.len()
    );
}
