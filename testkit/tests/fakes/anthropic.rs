//! Anthropic Messages fake: required headers and fields, padded stream frames, paging.

use serde_json::json;
use sybil_testkit::{FakeKind, FakeLlm, Reply, sse};

use crate::helpers::{generate, models, send};

fn message(stream: bool) -> serde_json::Value {
    json!({"model": "claude-sonnet-4-20250514", "max_tokens": 100, "stream": stream,
           "messages": [{"role": "user", "content": "Hi"}]})
}

#[tokio::test]
async fn text_answer_is_a_message() {
    let fake = FakeLlm::start(FakeKind::Anthropic).await;
    let resp = generate(&fake, message(false)).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["request-id"]
            .to_str()
            .unwrap()
            .starts_with("req_")
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["id"], "msg_1");
    assert_eq!(body["content"][0]["text"], "Hello from the fake Anthropic.");
    assert_eq!(body["stop_reason"], "end_turn");
    assert_eq!(body["usage"]["output_tokens"], 7);
    assert!(body["usage"].get("total_tokens").is_none());
}

#[tokio::test]
async fn stream_follows_the_recorded_event_order() {
    let fake = FakeLlm::start(FakeKind::Anthropic).await;
    fake.push(Reply::text("I'll get it"));
    let raw = generate(&fake, message(true)).await.text().await.unwrap();
    assert!(
        raw.contains("    }"),
        "frames are padded like the recorded ones"
    );
    let events = sse::parse(&raw);
    let names: Vec<&str> = events.iter().map(|e| e.event.as_deref().unwrap()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
    );
    for e in &events {
        assert_eq!(e.json()["type"], e.event.as_deref().unwrap());
    }
    assert_eq!(events[7].json()["usage"]["output_tokens"], 7);
}

#[tokio::test]
async fn stream_error_is_an_overloaded_error_event() {
    let fake = FakeLlm::start(FakeKind::Anthropic).await;
    fake.push(Reply::stream_error("a b c", 1, "Overloaded"));
    let events = sse::parse(&generate(&fake, message(true)).await.text().await.unwrap());
    let last = events.last().unwrap();
    assert_eq!(last.event.as_deref(), Some("error"));
    assert_eq!(last.json()["error"]["type"], "overloaded_error");
}

#[tokio::test]
async fn required_headers_and_fields_are_checked() {
    let fake = FakeLlm::start(FakeKind::Anthropic).await;
    let resp = generate(
        &fake,
        json!({"model": "claude-sonnet-4-20250514", "messages": []}),
    )
    .await;
    assert_eq!(resp.status(), 400);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["type"], "error");
    assert_eq!(err["error"]["message"], "max_tokens: Field required");
    assert!(err["request_id"].as_str().unwrap().starts_with("req_"));

    let resp = send(&fake, message(false), "sk-ant-wrong").await.unwrap();
    assert_eq!(resp.status(), 401);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["type"], "authentication_error");

    let resp = reqwest::Client::new()
        .post(format!("{}/v1/messages", fake.base_url()))
        .header("x-api-key", fake.api_key())
        .json(&message(false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        err["error"]["message"],
        "anthropic-version: header is required"
    );
}

#[tokio::test]
async fn models_page_with_limit_and_after_id() {
    let fake = FakeLlm::start(FakeKind::Anthropic).await;
    let page: serde_json::Value = models(&fake, "?limit=1").await.json().await.unwrap();
    assert_eq!(page["data"][0]["id"], "claude-sonnet-4-20250514");
    assert_eq!(page["data"][0]["type"], "model");
    assert_eq!(page["has_more"], true);
    let next: serde_json::Value = models(&fake, "?limit=1&after_id=claude-sonnet-4-20250514")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["data"][0]["id"], "claude-3-5-haiku-latest");
    assert_eq!(next["has_more"], false);
    assert_eq!(next["last_id"], "claude-3-5-haiku-latest");
}
