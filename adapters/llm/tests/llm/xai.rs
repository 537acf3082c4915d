//! xAI Chat Completions adapter against the xAI fake.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use sybil_domain::Provider;
use sybil_llm::XaiProvider;
use sybil_ports::outbound::llm::{LlmFailure, LlmProvider, LlmStreamEvent, Usage};
use sybil_testkit::{FakeKind, FakeLlm, Reply};

use crate::support::*;

async fn setup() -> (FakeLlm, XaiProvider) {
    let fake = FakeLlm::start(FakeKind::Xai).await;
    let provider = XaiProvider::new(settings(&fake)).unwrap();
    (fake, provider)
}

#[tokio::test]
async fn plain_request_and_response_mapping() {
    let (fake, provider) = setup().await;
    fake.push(Reply::text("Hello there."));
    let mut req = request("grok-4-fast");
    req.max_tokens = Some(300);
    req.temperature = Some(1.5);

    let answer = provider.complete(&req).await.unwrap();

    let sent = &fake.generation_requests()[0];
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {}", fake.api_key()).as_str())
    );
    assert_eq!(sent.header("openai-organization"), None);
    assert_eq!(
        sent.body,
        json!({
            "model": "grok-4-fast",
            "messages": [
                {"role": "system", "content": INSTRUCTIONS},
                {"role": "user", "content": "Hi"}
            ],
            "max_tokens": 300,
            "temperature": 1.5
        })
    );
    assert_eq!(answer.text, "Hello there.");
    // total_tokens as sent: it counts reasoning, so it is not 11 + 7.
    assert_eq!(
        answer.usage,
        Usage {
            input_tokens: 11,
            output_tokens: 7,
            total_tokens: 21
        }
    );
    // No request id header from xAI: the completion id stands in.
    assert!(answer.response_id.is_some());
    assert_eq!(answer.request_id, answer.response_id);
    assert_eq!(answer.raw.to_value()["object"], "chat.completion");
}

#[tokio::test]
async fn attachments_become_content_parts() {
    let (fake, provider) = setup().await;
    provider
        .complete(&with_attachments("grok-4-fast"))
        .await
        .unwrap();
    let body = &fake.generation_requests()[0].body;
    assert_eq!(
        body["messages"][1],
        json!({"role": "user", "content": [
            {"type": "text", "text": "What is in these?"},
            {"type": "text", "text": "Attached file notes.md:\n# Notes"},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{PNG_BASE64}"), "detail": "auto"}}
        ]})
    );
}

#[tokio::test]
async fn tool_rounds_are_replayed_as_messages() {
    let (fake, provider) = setup().await;
    fake.push(
        Reply::tool_calls(&[
            ("web_search", r#"{"query":"Florence"}"#),
            ("web_search", r#"{"query":"Rome"}"#),
        ])
        .with_text("Checking both."),
    );
    fake.push(Reply::text("Sunny."));
    let mut req = request("grok-4-fast");
    req.tools = vec![web_search()].into();

    let first = provider.complete(&req).await.unwrap();
    assert_eq!(
        tool_calls_named(&first.tool_calls),
        [
            ("web_search", r#"{"query":"Florence"}"#),
            ("web_search", r#"{"query":"Rome"}"#)
        ]
    );
    req.rounds = vec![round(&first, &["31°C", "29°C"])];
    assert_eq!(provider.complete(&req).await.unwrap().text, "Sunny.");

    let sent = fake.generation_requests();
    assert_eq!(
        sent[0].body["tools"],
        json!([{"type": "function", "function": {"name": "web_search", "description": "Search the web",
            "parameters": web_search().parameters}}])
    );
    assert_eq!(sent[0].body["tool_choice"], "auto");
    let (a, b) = (&first.tool_calls[0], &first.tool_calls[1]);
    assert_eq!(
        sent[1].body["messages"].as_array().unwrap()[2..],
        [
            json!({"role": "assistant", "content": "Checking both.", "tool_calls": [
                {"id": a.id, "type": "function", "function": {"name": "web_search", "arguments": a.arguments}},
                {"id": b.id, "type": "function", "function": {"name": "web_search", "arguments": b.arguments}}
            ]}),
            json!({"role": "tool", "tool_call_id": a.id, "content": "31°C"}),
            json!({"role": "tool", "tool_call_id": b.id, "content": "29°C"}),
        ]
    );
}

#[tokio::test]
async fn a_wrong_key_quoted_in_a_400_is_redacted() {
    let fake = FakeLlm::start(FakeKind::Xai).await;
    let wrong = "xai-wrongwrongwrong0000";
    let provider = XaiProvider::new(settings_with(&fake, wrong, Duration::from_secs(5))).unwrap();
    let err = provider
        .complete(&request("grok-4-fast"))
        .await
        .unwrap_err();
    assert_eq!(err.provider, Provider::Xai);
    assert_eq!(err.failure, LlmFailure::Status(400));
    assert!(
        err.message
            .starts_with("Incorrect API key provided: [redacted]."),
        "{}",
        err.message
    );
    assert!(!err.message.contains(wrong));
}

#[tokio::test]
async fn error_objects_and_retries() {
    let (fake, provider) = setup().await;
    fake.push(
        Reply::raw(429, r#"{"code":"Too many requests","error":"Slow down"}"#).with_retry_after(0),
    );
    fake.push(Reply::raw(
        404,
        r#"{"error":{"message":"no such model","type":"not_found"}}"#,
    ));
    let err = provider.complete(&request("grok-9")).await.unwrap_err();
    assert_eq!(err.failure, LlmFailure::Status(404));
    assert_eq!(err.message, "no such model");
    assert_eq!(fake.generation_requests().len(), 2);
}

#[tokio::test]
async fn stream_request_and_deltas() {
    let (fake, provider) = setup().await;
    fake.push(Reply::text("one two three four").with_chunk_delay(Duration::from_millis(100)));
    let got = collect(provider.stream(&request("grok-4-fast")).await.unwrap()).await;

    let body = &fake.generation_requests()[0].body;
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    assert_eq!(got.text(), "one two three four");
    assert!(got.last_at.duration_since(got.deltas[0].1) >= Duration::from_millis(200));
    let answer = got.response();
    assert_eq!(answer.text, "one two three four");
    assert_eq!(
        answer.usage,
        Usage {
            input_tokens: 11,
            output_tokens: 7,
            total_tokens: 21
        }
    );
    assert_eq!(
        answer.raw.to_value()["choices"][0]["message"]["content"],
        "one two three four"
    );
    assert_eq!(answer.raw.to_value()["choices"][0]["finish_reason"], "stop");
    assert_eq!(answer.raw.to_value()["usage"]["total_tokens"], 21);
    assert_eq!(answer.raw.to_value()["id"], json!(answer.response_id));
    // The chunks' head fields, as the chunks sent them.
    let raw = answer.raw.to_value();
    assert!(raw["created"].as_u64().is_some_and(|t| t > 0), "{raw}");
    assert!(raw["model"].is_string(), "{raw}");
    assert!(raw["system_fingerprint"].is_string(), "{raw}");
}

#[tokio::test]
async fn stream_reassembles_split_tool_calls() {
    let (fake, provider) = setup().await;
    let (a, b) = (
        r#"{"query":"Florence weather today"}"#,
        r#"{"url":"https://example.com/a"}"#,
    );
    fake.push(
        Reply::tool_calls(&[("web_search", a), ("fetch_url", b)])
            .with_split_arguments()
            .with_reasoning(),
    );
    let mut req = request("grok-4-fast");
    req.tools = vec![web_search()].into();
    let got = collect(provider.stream(&req).await.unwrap()).await;
    let answer = got.response();
    assert_eq!(
        tool_calls_named(&answer.tool_calls),
        [("web_search", a), ("fetch_url", b)]
    );
    assert!(answer.tool_calls.iter().all(|c| c.id.starts_with("call_")));
    assert_eq!(
        answer.raw.to_value()["choices"][0]["finish_reason"],
        "tool_calls"
    );
    assert!(answer.raw.to_value()["choices"][0]["message"]["reasoning_content"].is_string());
}

#[tokio::test]
async fn stream_whole_tool_calls() {
    let (fake, provider) = setup().await;
    fake.push(Reply::tool_calls(&[("web_search", r#"{"query":"x"}"#)]));
    let got = collect(provider.stream(&request("grok-4-fast")).await.unwrap()).await;
    assert_eq!(
        tool_calls_named(&got.response().tool_calls),
        [("web_search", r#"{"query":"x"}"#)]
    );
}

#[tokio::test]
async fn stream_failures_are_error_items() {
    let (fake, provider) = setup().await;
    fake.push(Reply::cut_stream("one two three", 2));
    fake.push(Reply::stream_error(
        "one two three",
        1,
        "Service temporarily unavailable",
    ));
    fake.push(Reply::malformed());

    let cut = collect(provider.stream(&request("grok-4-fast")).await.unwrap()).await;
    assert_eq!(cut.text(), "one two");
    assert!(matches!(
        cut.error().failure,
        LlmFailure::Connection | LlmFailure::Malformed
    ));

    let failed = collect(provider.stream(&request("grok-4-fast")).await.unwrap()).await;
    assert_eq!(failed.text(), "one");
    assert_eq!(failed.error().failure, LlmFailure::Upstream);
    assert_eq!(failed.error().message, "Service temporarily unavailable");

    let malformed = collect(provider.stream(&request("grok-4-fast")).await.unwrap()).await;
    assert_eq!(malformed.error().failure, LlmFailure::Malformed);
}

#[tokio::test]
async fn dropping_the_stream_aborts_the_upstream() {
    let (fake, provider) = setup().await;
    fake.push(Reply::text("a b c d e f g h i j").with_chunk_delay(Duration::from_millis(100)));
    let mut stream = provider.stream(&request("grok-4-fast")).await.unwrap();
    assert!(matches!(
        stream.next().await,
        Some(Ok(LlmStreamEvent::TextDelta(_)))
    ));
    drop(stream);
    assert!(fake.wait_for_aborts(1, Duration::from_secs(3)).await);
}

#[tokio::test]
async fn models_as_listed_and_failures() {
    let (fake, provider) = setup().await;
    assert_eq!(
        provider.list_models().await.unwrap(),
        ["grok-3-mini", "grok-4-fast"]
    );
    fake.fail_models(401);
    let err = provider.list_models().await.unwrap_err();
    assert_eq!(err.failure, LlmFailure::Status(401));
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (fake, provider) = setup().await;
    fake.push(Reply::raw(503, r#"{"code":"Unavailable","error":"busy"}"#).with_retry_after(1));
    let started = std::time::Instant::now();
    assert_eq!(
        provider
            .complete(&request("grok-4-fast"))
            .await
            .unwrap()
            .text,
        "Hello from the fake xAI."
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(fake.generation_requests().len(), 2);
}
