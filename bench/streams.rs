//! Benchmark: Sybil's resident memory idle and with 1,000 open idle streams
//! (measured first, on the fresh server), then time to first delta through
//! Sybil versus directly from a fake OpenAI stream, and the replay of a
//! stored job. Sybil runs as its own process (the release binary) so its
//! RSS is its own. An idle stream is a client that got `meta` and the first
//! `delta`, while the fake upstream holds its stream open without sending
//! more (`Reply::hold`). `cargo bench --bench streams`.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;
use support::{Killed, benchmarking, figures, print};
use sybil_testkit::free_port;
use sybil_testkit::{FakeKind, FakeLlm, Reply};

const TTFD_SAMPLES: usize = 300;
const OPEN_STREAMS: usize = 1_000;
/// Streams opened at once while building up the idle ones.
const OPENING_CONCURRENCY: usize = 64;
/// Targets of issue 6.
const IDLE_TARGET_MB: f64 = 30.0;
const PER_STREAM_TARGET_KB: f64 = 50.0;
/// How long to wait for Sybil to notice that the idle streams' clients left
/// (two 15 s pings and some).
const RELEASE_WAIT: Duration = Duration::from_secs(45);

/// The soft limit on open files of this process (inherited by Sybil).
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// What to print after a target: nothing when it is met.
fn missed(met: bool) -> &'static str {
    if met { "" } else { " MISSED" }
}

/// Open file descriptors of `pid` (its sockets, mostly).
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// Reads a streaming response until the first chunk that holds `marker`.
async fn first(resp: reqwest::Response, marker: &str) -> reqwest::Response {
    let mut resp = resp;
    let mut seen = String::new();
    while let Some(chunk) = resp.chunk().await.unwrap() {
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if seen.contains(marker) {
            break;
        }
    }
    resp
}

#[tokio::main]
async fn main() {
    if !benchmarking() {
        println!("bench streams: skipped outside `cargo bench`");
        return;
    }
    // Each open stream holds two sockets here (client and fake upstream) and
    // two in Sybil (client and upstream).
    let needed = 2 * OPEN_STREAMS as u64 + 256;
    if let Some(limit) = open_files_limit()
        && limit < needed
    {
        panic!(
            "bench streams: {OPEN_STREAMS} streams need {needed} open files, the limit is {limit}; \
             run `ulimit -n 65536` first"
        );
    }
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    let dir = std::env::temp_dir().join(format!("sybil-bench-streams-{}", std::process::id()));
    let port = free_port();
    let server = Killed(
        Command::new(env!("CARGO_BIN_EXE_sybil"))
            .env("PORT", port.to_string())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/bench.db?mode=rwc", dir.display()),
            )
            .env("OPENAI_API_KEY", fake.api_key())
            .env("OPENAI_BASE_URL", fake.base_url())
            .env("RUST_LOG", "warn")
            .env("RATE_LIMIT_PER_MINUTE", "0")
            .stdout(Stdio::null())
            .spawn()
            .expect("start sybil"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{base}/health")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = server.0.id();
    let idle = rss_kib(pid);

    // Memory first, on the fresh server: what 1,000 idle streams add to the
    // idle process, not what the allocator kept from other runs.
    let sybil_body = json!({ "provider": "openai", "model": "gpt-4.1-mini", "messages": [{ "role": "user", "content": "hi" }] });
    // Open streams that stay idle: the fake sends the first delta, then holds
    // its stream open. (A fake waiting before every event, as with
    // `with_chunk_delay`, never reaches the first delta, so the opening
    // stalled with its 64 first clients all waiting for one.)
    let fds_before = open_fds(pid);
    for _ in 0..OPEN_STREAMS {
        fake.push(Reply::hold("hello there", 1));
    }
    let mut open = Vec::with_capacity(OPEN_STREAMS);
    let opened = Instant::now();
    let opening = futures::stream::iter(0..OPEN_STREAMS)
        .map(|_| {
            let client = client.clone();
            let url = format!("{base}/v1/chat-completions/stream");
            let body = sybil_body.clone();
            async move {
                first(
                    client.post(url).json(&body).send().await.unwrap(),
                    "event: delta",
                )
                .await
            }
        })
        .buffer_unordered(OPENING_CONCURRENCY);
    futures::pin_mut!(opening);
    while let Some(resp) = opening.next().await {
        open.push(resp);
    }
    let opened = opened.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let busy = rss_kib(pid);
    let upstream = fake.generation_requests().len();
    let mb = |kib: u64| kib as f64 / 1024.0;
    let per_stream = |base: u64| busy.saturating_sub(base) as f64 / OPEN_STREAMS as f64;
    println!(
        "opened {} idle streams in {:.2} s ({upstream} upstream calls so far)",
        open.len(),
        opened.as_secs_f64()
    );
    println!(
        "resident memory idle: {:.1} MB (target <= {IDLE_TARGET_MB} MB){}",
        mb(idle),
        missed(mb(idle) <= IDLE_TARGET_MB)
    );
    println!(
        "resident memory with {OPEN_STREAMS} open idle streams: {:.1} MB ({:.1} KB per stream over idle, target <= {PER_STREAM_TARGET_KB} KB{})",
        mb(busy),
        per_stream(idle),
        missed(per_stream(idle) <= PER_STREAM_TARGET_KB),
    );
    // How long Sybil takes to notice that the clients left: its sockets
    // (client side and upstream) close when it does.
    let fds_open = open_fds(pid);
    drop(open);
    let closing = Instant::now();
    // A few more descriptors than before may stay open for good: the database
    // pool grows while the stopped calls are stored.
    while open_fds(pid) > fds_before + 16 && closing.elapsed() < RELEASE_WAIT {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let left = open_fds(pid).saturating_sub(fds_before);
    println!(
        "clients closed: Sybil released their sockets after {:.1} s ({} of {} extra descriptors still open); resident memory then {:.1} MB",
        closing.elapsed().as_secs_f64(),
        left,
        fds_open.saturating_sub(fds_before),
        mb(rss_kib(pid))
    );

    // Time to first delta.
    let direct_body =
        json!({ "model": "gpt-4.1-mini", "input": "hi", "stream": true, "store": false });
    let mut direct = Vec::new();
    let mut through = Vec::new();
    let wall = Instant::now();
    for _ in 0..TTFD_SAMPLES {
        let t = Instant::now();
        let resp = client
            .post(format!("{}/responses", fake.base_url()))
            .bearer_auth(fake.api_key())
            .json(&direct_body)
            .send()
            .await
            .unwrap();
        first(resp, "output_text.delta").await;
        direct.push(t.elapsed());
        let t = Instant::now();
        let resp = client
            .post(format!("{base}/v1/chat-completions/stream"))
            .json(&sybil_body)
            .send()
            .await
            .unwrap();
        first(resp, "event: delta").await;
        through.push(t.elapsed());
    }
    let wall = wall.elapsed();
    let d = figures(direct, wall);
    let s = figures(through, wall);
    print("time to first delta, direct from the fake", &d);
    print("time to first delta, through Sybil", &s);
    println!(
        "  added at p50: {:+.3} ms",
        support::ms(s.p50) - support::ms(d.p50)
    );

    // Replay of a finished resumable completion of about 1,000 stored events.
    let words: Vec<String> = (0..998).map(|i| format!("w{i}")).collect();
    fake.push(Reply::text(&words.join(" ")));
    let resumable = json!({ "provider": "openai", "model": "gpt-4.1-mini", "resumable": true,
                            "messages": [{ "role": "user", "content": "count" }] });
    let job = client
        .post(format!("{base}/v1/chat-completions/stream"))
        .json(&resumable)
        .send()
        .await
        .unwrap();
    let body = job.text().await.unwrap();
    let events = body.matches("\nid: ").count();
    let id = body
        .split("\"completionId\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("completionId")
        .to_string();
    let mut replays = Vec::new();
    let wall = Instant::now();
    for _ in 0..50 {
        let t = Instant::now();
        let resp = client
            .get(format!("{base}/v1/chat-completions/{id}/events"))
            .send()
            .await
            .unwrap();
        let text = resp.text().await.unwrap();
        assert!(text.contains("event: done"));
        replays.push(t.elapsed());
    }
    print(
        &format!("replay of a finished job, {events} stored events, to the last event"),
        &figures(replays, wall.elapsed()),
    );

    println!(
        "resident memory after all runs: {:.1} MB",
        rss_kib(pid) as f64 / 1024.0
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
