//! Connection-level behaviour: drops, cuts, delays, client aborts, raw and malformed bodies.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use sybil_testkit::{FakeKind, FakeLlm, Reply, ReplyKind};

use crate::helpers::{generate, send};

fn openai(stream: bool) -> serde_json::Value {
    json!({"model": "gpt-4.1-mini", "input": "Hi", "stream": stream})
}

#[tokio::test]
async fn drop_is_a_connection_error() {
    let fake = FakeLlm::start(FakeKind::Xai).await;
    fake.push(Reply::drop_connection());
    let body = json!({"model": "grok-3-mini", "messages": []});
    let err = send(&fake, body, &fake.api_key())
        .await
        .expect_err("no answer at all");
    assert!(!err.is_status());
    assert_eq!(fake.requests().len(), 1, "recorded before dropping");
    assert_eq!(fake.aborted_by_client(), 0);
}

#[tokio::test]
async fn cut_stream_breaks_the_body_after_some_deltas() {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    fake.push(Reply::cut_stream("one two three four", 2));
    let resp = generate(&fake, openai(true)).await;
    assert_eq!(resp.status(), 200);
    let mut body = resp.bytes_stream();
    let mut seen = String::new();
    let mut failed = false;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(b) => seen.push_str(&String::from_utf8_lossy(&b)),
            Err(_) => failed = true,
        }
    }
    assert!(failed, "the stream ends with an error");
    assert_eq!(seen.matches("event: response.output_text.delta").count(), 2);
    assert!(!seen.contains("response.completed"));
}

#[tokio::test]
async fn client_abort_mid_stream_is_counted() {
    let fake = FakeLlm::start(FakeKind::Anthropic).await;
    fake.push(Reply::text("a b c d e f").with_chunk_delay(Duration::from_millis(200)));
    let body = json!({"model": "claude-3-5-haiku-latest", "max_tokens": 10, "stream": true,
                      "messages": [{"role": "user", "content": "Hi"}]});
    let resp = generate(&fake, body).await;
    let mut stream = resp.bytes_stream();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    assert!(fake.wait_for_aborts(1, Duration::from_secs(3)).await);
}

#[tokio::test]
async fn client_abort_during_delay_is_counted() {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    fake.push(Reply::text("late").with_delay(Duration::from_secs(5)));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client
        .post(format!("{}/responses", fake.base_url()))
        .bearer_auth(fake.api_key())
        .json(&openai(false))
        .send()
        .await
        .expect_err("times out");
    assert!(err.is_timeout());
    assert!(fake.wait_for_aborts(1, Duration::from_secs(3)).await);
}

#[tokio::test]
async fn raw_and_malformed_replies() {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    fake.push(Reply {
        kind: ReplyKind::Raw {
            status: 503,
            body: "<html>upstream down</html>".into(),
            content_type: "text/html".into(),
            retry_after: Some(1),
        },
        delay: Duration::ZERO,
        chunk_delay: Duration::ZERO,
    });
    fake.push(Reply::malformed());
    let resp = generate(&fake, openai(false)).await;
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["retry-after"], "1");
    assert_eq!(resp.text().await.unwrap(), "<html>upstream down</html>");

    let resp = generate(&fake, openai(false)).await;
    assert_eq!(resp.status(), 200);
    assert!(serde_json::from_str::<serde_json::Value>(&resp.text().await.unwrap()).is_err());

    // The queue is empty again: the default answer.
    let resp = generate(&fake, openai(false)).await;
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        body["output"][0]["content"][0]["text"],
        "Hello from the fake OpenAI."
    );
}
