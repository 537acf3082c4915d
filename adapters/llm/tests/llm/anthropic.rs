//! Anthropic Messages adapter against the Anthropic fake.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use sybil_domain::Provider;
use sybil_llm::AnthropicProvider;
use sybil_ports::outbound::llm::{LlmFailure, LlmProvider, LlmStreamEvent, PromptRole, Usage};
use sybil_testkit::{FakeKind, FakeLlm, Reply};

use crate::support::*;

const MODEL: &str = "claude-sonnet-4-20250514";

async fn setup() -> (FakeLlm, AnthropicProvider) {
    let fake = FakeLlm::start(FakeKind::Anthropic).await;
    let provider = AnthropicProvider::new(settings(&fake)).unwrap();
    (fake, provider)
}

#[tokio::test]
async fn request_shape_and_response_mapping() {
    let (fake, provider) = setup().await;
    fake.push(Reply::text("Hello there."));
    let mut req = request(MODEL);
    req.temperature = Some(1.6);
    req.tools = vec![web_search()].into();
    req.messages.insert(
        0,
        sybil_ports::outbound::llm::PromptMessage {
            role: PromptRole::System,
            content: "Search context.".into(),
            attachments: vec![],
        },
    );

    let answer = provider.complete(&req).await.unwrap();

    let sent = &fake.generation_requests()[0];
    assert_eq!(sent.header("x-api-key"), Some(fake.api_key().as_str()));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(
        sent.body,
        json!({
            "model": MODEL,
            "max_tokens": 4096,
            "system": format!("{INSTRUCTIONS}\n\nSearch context."),
            "messages": [{"role": "user", "content": "Hi"}],
            "temperature": 1.0
        }),
        "no tools, temperature clamped, system top level"
    );
    assert_eq!(answer.text, "Hello there.");
    let u = answer.usage;
    assert_eq!(u.total_tokens, u.input_tokens + u.output_tokens);
    assert_eq!(u.input_tokens, 11);
    assert!(answer.response_id.as_deref().unwrap().starts_with("msg_"));
    assert!(answer.request_id.as_deref().unwrap().starts_with("req_"));
    assert_eq!(answer.raw.to_value()["type"], "message");
}

#[tokio::test]
async fn max_tokens_is_passed_through() {
    let (fake, provider) = setup().await;
    let mut req = request(MODEL);
    req.max_tokens = Some(123);
    req.temperature = Some(0.3);
    provider.complete(&req).await.unwrap();
    let body = &fake.generation_requests()[0].body;
    assert_eq!(
        (body["max_tokens"].clone(), body["temperature"].clone()),
        (json!(123), json!(0.3))
    );
}

#[tokio::test]
async fn attachments_become_blocks() {
    let (fake, provider) = setup().await;
    provider.complete(&with_attachments(MODEL)).await.unwrap();
    assert_eq!(
        fake.generation_requests()[0].body["messages"],
        json!([{"role": "user", "content": [
            {"type": "text", "text": "What is in these?"},
            {"type": "text", "text": "Attached file notes.md:\n# Notes"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_BASE64}}
        ]}])
    );
}

#[tokio::test]
async fn overloaded_is_retried_and_errors_are_read() {
    let (fake, provider) = setup().await;
    fake.push(Reply::api_error(FakeKind::Anthropic, 529, "Overloaded"));
    fake.push(Reply::text("Made it."));
    assert_eq!(
        provider.complete(&request(MODEL)).await.unwrap().text,
        "Made it."
    );
    assert_eq!(fake.generation_requests().len(), 2);

    for _ in 0..3 {
        fake.push(Reply::api_error(FakeKind::Anthropic, 529, "Overloaded"));
    }
    let err = provider.complete(&request(MODEL)).await.unwrap_err();
    assert_eq!(err.provider, Provider::Anthropic);
    assert_eq!(err.failure, LlmFailure::Status(529));
    assert_eq!(err.message, "Overloaded");
    assert_eq!(fake.generation_requests().len(), 5);
}

#[tokio::test]
async fn a_wrong_key_is_a_401_without_the_key() {
    let fake = FakeLlm::start(FakeKind::Anthropic).await;
    let wrong = "sk-ant-wrong-000000000000";
    let provider =
        AnthropicProvider::new(settings_with(&fake, wrong, Duration::from_secs(5))).unwrap();
    let err = provider.complete(&request(MODEL)).await.unwrap_err();
    assert_eq!(err.failure, LlmFailure::Status(401));
    assert_eq!(err.message, "invalid x-api-key");
    assert!(!format!("{provider:?}").contains(wrong));
}

#[tokio::test]
async fn a_400_quoting_the_key_is_redacted() {
    let (fake, provider) = setup().await;
    let body = json!({"type": "error", "error": {"type": "invalid_request_error",
        "message": format!("bad key {} here", fake.api_key())}, "request_id": "req_x"});
    fake.push(Reply::raw(400, &body.to_string()));
    let err = provider.complete(&request(MODEL)).await.unwrap_err();
    assert_eq!(err.message, "bad key [redacted] here");
}

#[tokio::test]
async fn transport_failures() {
    let (fake, provider) = setup().await;
    fake.push(Reply::malformed());
    let err = provider.complete(&request(MODEL)).await.unwrap_err();
    assert_eq!(err.failure, LlmFailure::Malformed);
    for _ in 0..3 {
        fake.push(Reply::drop_connection());
    }
    let err = provider.complete(&request(MODEL)).await.unwrap_err();
    assert_eq!(err.failure, LlmFailure::Connection);
    assert_eq!(fake.generation_requests().len(), 4);

    let impatient =
        AnthropicProvider::new(settings_with(&fake, &fake.api_key(), SHORT_TIMEOUT)).unwrap();
    fake.push(Reply::text("late").with_delay(BEYOND_TIMEOUT));
    let err = impatient.complete(&request(MODEL)).await.unwrap_err();
    assert_eq!(err.failure, LlmFailure::Timeout);
}

#[tokio::test]
async fn stream_deltas_and_rebuilt_message() {
    let (fake, provider) = setup().await;
    fake.push(Reply::text("one two three four").with_chunk_delay(Duration::from_millis(100)));
    let got = collect(provider.stream(&request(MODEL)).await.unwrap()).await;

    assert_eq!(fake.generation_requests()[0].body["stream"], true);
    assert_eq!(got.deltas.len(), 4);
    assert!(got.last_at.duration_since(got.deltas[0].1) >= Duration::from_millis(200));
    let answer = got.response();
    assert_eq!(answer.text, "one two three four");
    let Usage {
        input_tokens,
        output_tokens,
        total_tokens,
    } = answer.usage;
    assert_eq!(input_tokens, 11);
    assert!(output_tokens > 0);
    assert_eq!(total_tokens, input_tokens + output_tokens);
    assert!(answer.response_id.as_deref().unwrap().starts_with("msg_"));
    assert!(answer.request_id.as_deref().unwrap().starts_with("req_"));
    assert_eq!(
        answer.raw.to_value()["content"][0]["text"],
        "one two three four"
    );
    assert_eq!(answer.raw.to_value()["stop_reason"], "end_turn");
    assert_eq!(
        answer.raw.to_value()["usage"]["output_tokens"],
        output_tokens
    );
}

#[tokio::test]
async fn stream_failures_are_error_items() {
    let (fake, provider) = setup().await;
    fake.push(Reply::cut_stream("one two three", 2));
    fake.push(Reply::stream_error("one two three", 1, "Overloaded"));
    fake.push(Reply::malformed());

    let cut = collect(provider.stream(&request(MODEL)).await.unwrap()).await;
    assert_eq!(cut.text(), "one two");
    assert!(matches!(
        cut.error().failure,
        LlmFailure::Connection | LlmFailure::Malformed
    ));

    let failed = collect(provider.stream(&request(MODEL)).await.unwrap()).await;
    assert_eq!(failed.text(), "one");
    assert_eq!(failed.error().failure, LlmFailure::Upstream);
    assert_eq!(failed.error().message, "Overloaded");

    let malformed = collect(provider.stream(&request(MODEL)).await.unwrap()).await;
    assert_eq!(malformed.error().failure, LlmFailure::Malformed);
}

#[tokio::test]
async fn a_stream_refused_upfront_is_retried_then_an_error() {
    let (fake, provider) = setup().await;
    fake.push(
        Reply::api_error(FakeKind::Anthropic, 429, "Number of requests exceeded")
            .with_retry_after(0),
    );
    fake.push(Reply::api_error(FakeKind::Anthropic, 400, "messages: bad"));
    let err = provider.stream(&request(MODEL)).await.err().unwrap();
    assert_eq!(
        (err.failure, err.message.as_str()),
        (LlmFailure::Status(400), "messages: bad")
    );
    assert_eq!(fake.generation_requests().len(), 2);
}

#[tokio::test]
async fn dropping_the_stream_aborts_the_upstream() {
    let (fake, provider) = setup().await;
    fake.push(Reply::text("a b c d e f g h i j").with_chunk_delay(Duration::from_millis(100)));
    let mut stream = provider.stream(&request(MODEL)).await.unwrap();
    assert!(matches!(
        stream.next().await,
        Some(Ok(LlmStreamEvent::TextDelta(_)))
    ));
    drop(stream);
    assert!(fake.wait_for_aborts(1, Duration::from_secs(3)).await);
}

#[tokio::test]
async fn models_are_paged() {
    let (fake, provider) = setup().await;
    assert_eq!(
        provider.list_models().await.unwrap(),
        ["claude-sonnet-4-20250514", "claude-3-5-haiku-latest"]
    );
    let many: Vec<String> = (0..1005).map(|i| format!("claude-test-{i:04}")).collect();
    fake.set_models(&many.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(provider.list_models().await.unwrap(), many);
    let pages: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/models")
        .map(|r| r.query)
        .collect();
    assert_eq!(
        pages[1..],
        ["limit=1000", "limit=1000&after_id=claude-test-0999"]
    );

    fake.fail_models(500);
    assert_eq!(
        provider.list_models().await.unwrap_err().failure,
        LlmFailure::Status(500)
    );
}
