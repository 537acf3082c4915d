//! OpenAI Responses API adapter against the OpenAI fake.

use std::time::Duration;

use serde_json::json;
use sybil_domain::Provider;
use sybil_llm::OpenAiProvider;
use sybil_ports::outbound::llm::{LlmFailure, LlmProvider, Usage};
use sybil_testkit::{FakeKind, FakeLlm, Reply, ReplyKind};

use crate::support::*;

async fn setup() -> (FakeLlm, OpenAiProvider) {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    let provider = OpenAiProvider::new(settings(&fake)).unwrap();
    (fake, provider)
}

#[tokio::test]
async fn plain_request_and_response_mapping() {
    let (fake, provider) = setup().await;
    fake.push(Reply::text("Hello there."));
    // Not a reasoning model: those reject a temperature (as the fake does).
    let mut req = request("gpt-4.1-mini");
    req.max_tokens = Some(300);
    req.temperature = Some(1.5);

    let answer = provider.complete(&req).await.unwrap();

    let sent = fake.generation_requests();
    assert_eq!(sent.len(), 1);
    let sent = &sent[0];
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {}", fake.api_key()).as_str())
    );
    assert!(
        sent.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(
        sent.body,
        json!({
            "model": "gpt-4.1-mini",
            "instructions": INSTRUCTIONS,
            "store": false,
            "input": [{"type": "message", "role": "user", "content": "Hi"}],
            "max_output_tokens": 300,
            "temperature": 1.5
        })
    );
    assert_eq!(answer.text, "Hello there.");
    assert!(answer.tool_calls.is_empty());
    assert_eq!(
        answer.usage,
        Usage {
            input_tokens: 11,
            output_tokens: 7,
            total_tokens: 18
        }
    );
    let id = answer.response_id.clone().unwrap();
    assert!(id.starts_with("resp_"), "{id}");
    assert!(answer.request_id.as_deref().unwrap().starts_with("req_"));
    assert_eq!(answer.raw.to_value()["id"], json!(id));
    assert_eq!(answer.raw.to_value()["object"], "response");
}

#[tokio::test]
async fn attachments_become_input_parts() {
    let (fake, provider) = setup().await;
    provider.complete(&with_attachments("gpt-5")).await.unwrap();
    let body = &fake.generation_requests()[0].body;
    assert_eq!(
        body["input"],
        json!([{"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "What is in these?"},
            {"type": "input_text", "text": "Attached file notes.md:\n# Notes"},
            {"type": "input_image", "image_url": format!("data:image/png;base64,{PNG_BASE64}"), "detail": "auto"}
        ]}])
    );
}

#[tokio::test]
async fn tool_loop_continues_from_the_stored_response() {
    let (fake, provider) = setup().await;
    fake.push(
        Reply::tool_calls(&[
            ("web_search", r#"{"query":"Florence weather"}"#),
            ("web_search", r#"{"query":"Rome weather"}"#),
        ])
        .with_reasoning(),
    );
    fake.push(Reply::text("Sunny in both."));
    let mut req = request("gpt-5");
    req.tools = vec![web_search()].into();

    let first = provider.complete(&req).await.unwrap();
    assert_eq!(
        tool_calls_named(&first.tool_calls),
        [
            ("web_search", r#"{"query":"Florence weather"}"#),
            ("web_search", r#"{"query":"Rome weather"}"#)
        ]
    );
    assert!(first.tool_calls.iter().all(|c| c.id.starts_with("call_")));
    assert_eq!(first.raw.to_value()["output"][0]["type"], "reasoning");

    req.rounds = vec![round(&first, &["31°C", "29°C"])];
    let second = provider.complete(&req).await.unwrap();
    assert_eq!(second.text, "Sunny in both.");

    let sent = fake.generation_requests();
    let tools = json!([{"type": "function", "name": "web_search", "description": "Search the web",
        "parameters": web_search().parameters, "strict": false}]);
    assert_eq!(sent[0].body["store"], true);
    assert_eq!(sent[0].body["tools"], tools);
    assert_eq!(sent[0].body["tool_choice"], "auto");
    let round2 = &sent[1].body;
    assert_eq!(round2["previous_response_id"], json!(first.response_id));
    assert_eq!(round2["store"], true);
    assert_eq!(round2["instructions"], INSTRUCTIONS);
    assert_eq!(round2["tools"], tools);
    assert_eq!(
        round2["input"],
        json!([
            {"type": "function_call_output", "call_id": first.tool_calls[0].id, "output": "31°C"},
            {"type": "function_call_output", "call_id": first.tool_calls[1].id, "output": "29°C"}
        ])
    );
}

#[tokio::test]
async fn rate_limit_is_retried_then_succeeds() {
    let (fake, provider) = setup().await;
    fake.push(Reply::api_error(FakeKind::OpenAi, 429, "Rate limit reached").with_retry_after(0));
    fake.push(Reply::text("Finally."));
    let answer = provider.complete(&request("gpt-5")).await.unwrap();
    assert_eq!(answer.text, "Finally.");
    assert_eq!(fake.generation_requests().len(), 2);
}

#[tokio::test]
async fn server_errors_give_up_after_three_attempts() {
    let (fake, provider) = setup().await;
    for _ in 0..4 {
        fake.push(Reply::api_error(
            FakeKind::OpenAi,
            500,
            "The server had an error",
        ));
    }
    let err = provider.complete(&request("gpt-5")).await.unwrap_err();
    assert_eq!(err.provider, Provider::OpenAi);
    assert_eq!(err.failure, LlmFailure::Status(500));
    assert_eq!(err.message, "The server had an error");
    assert_eq!(fake.generation_requests().len(), 3);
}

#[tokio::test]
async fn a_wrong_key_quoted_by_the_upstream_is_redacted() {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    let wrong = "sk-wrong-0000000000000000";
    let provider =
        OpenAiProvider::new(settings_with(&fake, wrong, Duration::from_secs(5))).unwrap();
    let err = provider.complete(&request("gpt-5")).await.unwrap_err();
    assert_eq!(err.failure, LlmFailure::Status(401));
    assert!(
        err.message
            .starts_with("Incorrect API key provided: [redacted]"),
        "{}",
        err.message
    );
    assert!(!err.message.contains(wrong));
    assert!(!format!("{err:?} {err} {provider:?}").contains(wrong));
    assert_eq!(fake.requests().len(), 1, "a 401 is not retried");
}

#[tokio::test]
async fn a_400_quoting_the_configured_key_is_redacted() {
    let (fake, provider) = setup().await;
    let body = json!({"error": {"message": format!("Key {} cannot use gpt-9", fake.api_key()),
        "type": "invalid_request_error", "param": "model", "code": null}});
    fake.push(Reply::raw(400, &body.to_string()));
    let err = provider.complete(&request("gpt-9")).await.unwrap_err();
    assert_eq!(err.failure, LlmFailure::Status(400));
    assert_eq!(err.message, "Key [redacted] cannot use gpt-9");
}

#[tokio::test]
async fn an_html_error_page_is_summarised() {
    let (fake, provider) = setup().await;
    let page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
    for _ in 0..3 {
        fake.push(Reply {
            kind: ReplyKind::Raw {
                status: 502,
                body: page.into(),
                content_type: "text/html".into(),
                retry_after: None,
            },
            delay: Duration::ZERO,
            chunk_delay: Duration::ZERO,
        });
    }
    let err = provider.complete(&request("gpt-5")).await.unwrap_err();
    assert_eq!(err.failure, LlmFailure::Status(502));
    assert_eq!(err.message, "HTTP 502 (non-JSON body)");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_malformed() {
    let (fake, provider) = setup().await;
    fake.push(Reply::malformed());
    let err = provider.complete(&request("gpt-5")).await.unwrap_err();
    assert_eq!(err.failure, LlmFailure::Malformed);
    assert!(!err.message.contains("<html>"), "{}", err.message);
}

#[tokio::test]
async fn a_dropped_connection_is_retried_then_reported() {
    let (fake, provider) = setup().await;
    for _ in 0..3 {
        fake.push(Reply::drop_connection());
    }
    let err = provider.complete(&request("gpt-5")).await.unwrap_err();
    assert_eq!(err.failure, LlmFailure::Connection);
    assert_eq!(fake.generation_requests().len(), 3);
}

#[tokio::test]
async fn a_cut_body_is_a_connection_failure() {
    let (fake, provider) = setup().await;
    fake.push(Reply::cut_stream("Never whole.", 1));
    let err = provider.complete(&request("gpt-5")).await.unwrap_err();
    assert_eq!(err.failure, LlmFailure::Connection, "{}", err.message);
}

#[tokio::test]
async fn a_slow_upstream_times_out() {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    let provider =
        OpenAiProvider::new(settings_with(&fake, &fake.api_key(), SHORT_TIMEOUT)).unwrap();
    fake.push(Reply::text("Too late.").with_delay(BEYOND_TIMEOUT));
    let err = provider.complete(&request("gpt-5")).await.unwrap_err();
    assert_eq!(err.failure, LlmFailure::Timeout, "{}", err.message);
    assert_eq!(
        fake.generation_requests().len(),
        1,
        "a timeout is not retried"
    );
}

#[tokio::test]
async fn stream_forwards_deltas_as_they_arrive() {
    let (fake, provider) = setup().await;
    fake.push(Reply::text("one two three four five").with_chunk_delay(Duration::from_millis(100)));
    let stream = provider.stream(&request("gpt-5")).await.unwrap();
    let got = collect(stream).await;

    assert_eq!(
        got.deltas
            .iter()
            .map(|(d, _)| d.as_str())
            .collect::<Vec<_>>(),
        ["one", " two", " three", " four", " five"]
    );
    let first_delta = got.deltas[0].1;
    assert!(
        got.last_at.duration_since(first_delta) >= Duration::from_millis(300),
        "the first delta must arrive well before the upstream finishes"
    );
    let answer = got.response();
    assert_eq!(answer.text, "one two three four five");
    assert_eq!(answer.usage.total_tokens, 18);
    assert!(answer.response_id.as_deref().unwrap().starts_with("resp_"));
    assert!(answer.request_id.as_deref().unwrap().starts_with("req_"));
    assert_eq!(answer.raw.to_value()["status"], "completed");
    assert_eq!(fake.generation_requests()[0].body["stream"], true);
}

#[tokio::test]
async fn a_stream_sends_the_same_request_as_a_call_plus_stream() {
    let (fake, provider) = setup().await;
    let mut req = request("gpt-4.1-mini");
    req.temperature = Some(0.7);
    provider.complete(&req).await.unwrap();
    collect(provider.stream(&req).await.unwrap()).await;

    let sent = fake.generation_requests();
    let (call, stream) = (&sent[0], &sent[1]);
    let mut expected = call.body.clone();
    expected["stream"] = json!(true);
    assert_eq!(stream.body, expected);
    // An f32 in the SDK's type, written at its own precision.
    assert_eq!(stream.body["temperature"], json!(0.7));
    for name in [
        "authorization",
        "content-type",
        "openai-organization",
        "openai-project",
    ] {
        assert_eq!(stream.header(name), call.header(name), "{name}");
    }
    assert_eq!(stream.header("openai-organization"), None);
}

#[tokio::test]
async fn stream_reassembles_tool_call_arguments() {
    let (fake, provider) = setup().await;
    let args = r#"{"query":"Florence weather today, in Celsius"}"#;
    fake.push(
        Reply::tool_calls(&[("web_search", args)])
            .with_reasoning()
            .with_text("Let me check."),
    );
    fake.push(Reply::text("31°C."));
    let mut req = request("gpt-5");
    req.tools = vec![web_search()].into();

    let got = collect(provider.stream(&req).await.unwrap()).await;
    let first = got.response().clone();
    assert_eq!(tool_calls_named(&first.tool_calls), [("web_search", args)]);
    assert!(first.tool_calls[0].id.starts_with("call_"));
    assert_eq!(got.text(), "Let me check.");

    // Round 2 streams too, continuing after the reasoning item.
    req.rounds = vec![round(&first, &["31°C"])];
    let got = collect(provider.stream(&req).await.unwrap()).await;
    assert_eq!(got.response().text, "31°C.");
    let round2 = &fake.generation_requests()[1].body;
    assert_eq!(round2["previous_response_id"], json!(first.response_id));
    assert_eq!(round2["input"][0]["call_id"], json!(first.tool_calls[0].id));
}

#[tokio::test]
async fn a_cut_stream_ends_with_an_error_item() {
    let (fake, provider) = setup().await;
    fake.push(Reply::cut_stream("one two three four", 2));
    let got = collect(provider.stream(&request("gpt-5")).await.unwrap()).await;
    assert_eq!(got.text(), "one two");
    assert!(
        matches!(
            got.error().failure,
            LlmFailure::Connection | LlmFailure::Malformed
        ),
        "{:?}",
        got.error()
    );
}

#[tokio::test]
async fn an_in_stream_error_carries_the_upstream_message() {
    let (fake, provider) = setup().await;
    fake.push(Reply::stream_error(
        "one two three",
        1,
        "You exceeded your current quota.",
    ));
    let got = collect(provider.stream(&request("gpt-5")).await.unwrap()).await;
    assert_eq!(got.text(), "one");
    assert_eq!(got.error().failure, LlmFailure::Upstream);
    assert_eq!(got.error().message, "You exceeded your current quota.");
}

#[tokio::test]
async fn a_stalled_stream_times_out() {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    let provider =
        OpenAiProvider::new(settings_with(&fake, &fake.api_key(), SHORT_TIMEOUT)).unwrap();
    fake.push(Reply::text("one two three").with_chunk_delay(BEYOND_TIMEOUT));
    let got = collect(provider.stream(&request("gpt-5")).await.unwrap()).await;
    assert_eq!(
        got.error().failure,
        LlmFailure::Timeout,
        "{:?}",
        got.error()
    );
}

#[tokio::test]
async fn a_malformed_stream_event_is_an_error_item() {
    let (fake, provider) = setup().await;
    fake.push(Reply::malformed());
    let got = collect(provider.stream(&request("gpt-5")).await.unwrap()).await;
    assert_eq!(got.error().failure, LlmFailure::Malformed);
}

#[tokio::test]
async fn a_stream_refused_upfront_is_an_error_not_a_stream() {
    let (fake, provider) = setup().await;
    fake.push(Reply::api_error(FakeKind::OpenAi, 429, "slow down").with_retry_after(0));
    fake.push(Reply::api_error(
        FakeKind::OpenAi,
        404,
        "The model `gpt-9` does not exist",
    ));
    let err = provider.stream(&request("gpt-9")).await.err().unwrap();
    assert_eq!(err.failure, LlmFailure::Status(404));
    assert_eq!(err.message, "The model `gpt-9` does not exist");
    assert_eq!(fake.generation_requests().len(), 2);
}

#[tokio::test]
async fn dropping_the_stream_aborts_the_upstream() {
    let (fake, provider) = setup().await;
    fake.push(
        Reply::text("a b c d e f g h i j k l m n o p").with_chunk_delay(Duration::from_millis(100)),
    );
    let mut stream = provider.stream(&request("gpt-5")).await.unwrap();
    use futures::StreamExt;
    let first = stream.next().await.unwrap().unwrap();
    assert!(matches!(
        first,
        sybil_ports::outbound::llm::LlmStreamEvent::TextDelta(_)
    ));
    drop(stream);
    assert!(fake.wait_for_aborts(1, Duration::from_secs(3)).await);
    assert_eq!(fake.aborted_by_client(), 1);
}

#[tokio::test]
async fn models_are_filtered_for_chat() {
    let (fake, provider) = setup().await;
    assert_eq!(
        provider.list_models().await.unwrap(),
        ["gpt-4.1-mini", "gpt-5", "o3-mini", "gpt-4o-mini"]
    );
    fake.set_models(&[
        "o4-mini",
        "gpt-4o-audio-preview",
        "gpt-4o-search-preview",
        "gpt-5-image",
        "o1",
    ]);
    assert_eq!(provider.list_models().await.unwrap(), ["o4-mini", "o1"]);
    assert_eq!(fake.requests().last().unwrap().path, "/v1/models");
}

#[tokio::test]
async fn a_failing_models_endpoint_is_an_error() {
    let (fake, provider) = setup().await;
    fake.fail_models(403);
    let err = provider.list_models().await.unwrap_err();
    assert_eq!(err.failure, LlmFailure::Status(403));
    assert!(!err.message.is_empty());
}

#[tokio::test]
async fn insufficient_quota_is_not_retried() {
    let (fake, provider) = setup().await;
    let body = json!({"error": {"message": "You exceeded your current quota.",
        "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}});
    fake.push(Reply::raw(429, &body.to_string()));
    let err = provider.complete(&request("gpt-5")).await.unwrap_err();
    assert_eq!(err.failure, LlmFailure::Status(429));
    assert_eq!(err.message, "You exceeded your current quota.");
    assert_eq!(fake.generation_requests().len(), 1);
}

#[tokio::test]
async fn a_json_answer_to_a_stream_request_is_malformed() {
    let (fake, provider) = setup().await;
    fake.push(Reply::raw(
        200,
        r#"{"id":"resp_x","object":"response","output":[]}"#,
    ));
    let err = provider.stream(&request("gpt-5")).await.err().unwrap();
    assert_eq!(err.failure, LlmFailure::Malformed);
    assert!(err.message.contains("application/json"), "{}", err.message);
}
