//! OpenAI Responses fake: bodies, stored-response rules, stream event order, errors.

use serde_json::json;
use sybil_testkit::{FakeKind, FakeLlm, Reply, sse};

use crate::helpers::{generate, models, send};

#[tokio::test]
async fn text_answer_is_a_response_object() {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    let resp = generate(&fake, json!({"model": "gpt-5", "input": "Hi"})).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .starts_with("req_")
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["object"], "response");
    assert_eq!(body["id"], "resp_1");
    assert_eq!(body["model"], "gpt-5-2025-08-07");
    assert_eq!(body["output"][0]["type"], "message");
    assert_eq!(
        body["output"][0]["content"][0]["text"],
        "Hello from the fake OpenAI."
    );
    assert_eq!(body["usage"]["total_tokens"], 18);
    let recorded = fake.requests();
    assert_eq!(recorded[0].path, "/v1/responses");
    assert_eq!(recorded[0].body["input"], "Hi");
    assert_eq!(
        recorded[0].headers["authorization"],
        format!("Bearer {}", fake.api_key())
    );
}

#[tokio::test]
async fn tool_calls_must_all_be_answered_on_continuation() {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    fake.push(Reply::tool_calls(&[("web_search", r#"{"query":"rust"}"#)]).with_reasoning());
    let first: serde_json::Value = generate(&fake, json!({"model": "gpt-5", "input": "Search"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["output"][0]["type"], "reasoning");
    let call = &first["output"][1];
    assert_eq!(
        (call["type"].as_str(), call["id"].as_str()),
        (Some("function_call"), Some("fc_1"))
    );
    assert_eq!(
        (call["call_id"].as_str(), call["name"].as_str()),
        (Some("call_1"), Some("web_search"))
    );
    assert_eq!(call["arguments"], r#"{"query":"rust"}"#);

    let missing = generate(
        &fake,
        json!({"model": "gpt-5", "previous_response_id": "resp_1", "input": []}),
    )
    .await;
    assert_eq!(missing.status(), 400);
    let err: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(
        err["error"]["message"],
        "No tool output found for function call call_1."
    );

    let unknown = generate(
        &fake,
        json!({"model": "gpt-5", "previous_response_id": "resp_99"}),
    )
    .await;
    assert_eq!(unknown.status(), 400);
    let err: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(err["error"]["code"], "previous_response_not_found");

    let output = json!({"type": "function_call_output", "call_id": "call_1", "output": "[]"});
    let ok = generate(
        &fake,
        json!({"model": "gpt-5", "previous_response_id": "resp_1", "input": [output]}),
    )
    .await;
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(body["previous_response_id"], "resp_1");
}

#[tokio::test]
async fn streamed_text_follows_the_recorded_event_order() {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    fake.push(Reply::text("Florence is sunny"));
    let resp = generate(
        &fake,
        json!({"model": "gpt-5", "input": "Hi", "stream": true}),
    )
    .await;
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = sse::parse(&resp.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|e| e.event.as_deref().unwrap()).collect();
    assert_eq!(
        names,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let mut text = String::new();
    for (i, e) in events.iter().enumerate() {
        let v = e.json();
        assert_eq!(v["type"], e.event.as_deref().unwrap());
        assert_eq!(v["sequence_number"], i);
        if let Some(d) = v["delta"].as_str() {
            text.push_str(d);
        }
    }
    assert_eq!(text, "Florence is sunny");
    let done = events.last().unwrap().json();
    assert_eq!(done["response"]["usage"]["output_tokens"], 7);
    assert_eq!(
        done["response"]["output"][0]["content"][0]["text"],
        "Florence is sunny"
    );
    assert_eq!(
        fake.aborted_by_client(),
        0,
        "a stream read to the end is no abort"
    );
}

#[tokio::test]
async fn streamed_tool_call_has_no_name_in_arguments_done() {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    fake.push(
        Reply::tool_calls(&[("weather", r#"{"location":"Florence, Italy"}"#)]).with_reasoning(),
    );
    let resp = generate(
        &fake,
        json!({"model": "gpt-5", "input": "Hi", "stream": true}),
    )
    .await;
    let events = sse::parse(&resp.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|e| e.event.as_deref().unwrap()).collect();
    assert_eq!(
        names[2..4],
        ["response.output_item.added", "response.output_item.done"]
    );
    assert_eq!(events[2].json()["item"]["type"], "reasoning");
    let added = events[4].json();
    assert_eq!(added["item"]["arguments"], "");
    assert_eq!(added["item"]["call_id"], "call_1");
    let args: String = events
        .iter()
        .filter(|e| e.event.as_deref() == Some("response.function_call_arguments.delta"))
        .map(|e| e.json()["delta"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(args, r#"{"location":"Florence, Italy"}"#);
    let done = events
        .iter()
        .find(|e| e.event.as_deref() == Some("response.function_call_arguments.done"))
        .unwrap();
    assert!(done.json().get("name").is_none());
    assert_eq!(names.last(), Some(&"response.completed"));
}

#[tokio::test]
async fn stream_error_is_the_nested_error_event() {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    fake.push(Reply::stream_error("one two three", 2, "quota gone"));
    let resp = generate(
        &fake,
        json!({"model": "gpt-4.1-mini", "input": "Hi", "stream": true}),
    )
    .await;
    let events = sse::parse(&resp.text().await.unwrap());
    let last = events.last().unwrap();
    assert_eq!(last.event.as_deref(), Some("error"));
    assert_eq!(last.json()["error"]["message"], "quota gone");
    let deltas = events
        .iter()
        .filter(|e| e.event.as_deref() == Some("response.output_text.delta"))
        .count();
    assert_eq!(deltas, 2);
}

#[tokio::test]
async fn wrong_key_and_api_errors_use_the_openai_envelope() {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    let resp = send(
        &fake,
        json!({"model": "gpt-5", "input": "Hi"}),
        "sk-wrong-123",
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 401);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["code"], "invalid_api_key");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sk-wrong-123")
    );

    fake.push(Reply::api_error(
        FakeKind::OpenAi,
        429,
        "Rate limit reached",
    ));
    let resp = generate(&fake, json!({"model": "gpt-5", "input": "Hi"})).await;
    assert_eq!(resp.status(), 429);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["message"], "Rate limit reached");
    assert_eq!(err["error"]["code"], "rate_limit_exceeded");
}

#[tokio::test]
async fn models_list_mixes_chat_and_other_models() {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    let list: serde_json::Value = models(&fake, "").await.json().await.unwrap();
    assert_eq!(list["object"], "list");
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"gpt-5")
            && ids.contains(&"whisper-1")
            && ids.contains(&"text-embedding-3-small")
    );
    assert_eq!(list["data"][0]["object"], "model");

    fake.fail_models(503);
    let resp = models(&fake, "").await;
    assert_eq!(resp.status(), 503);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["type"], "server_error");
}

#[tokio::test]
async fn stateless_replay_needs_the_call_before_its_output() {
    let fake = FakeLlm::start(FakeKind::OpenAi).await;
    let output = json!({"type": "function_call_output", "call_id": "call_7", "output": "[]"});
    let call = json!({"type": "function_call", "call_id": "call_7", "name": "web_search", "arguments": "{}"});
    let orphan = generate(
        &fake,
        json!({"model": "gpt-5", "store": false, "input": [output]}),
    )
    .await;
    assert_eq!(orphan.status(), 400);
    let err: serde_json::Value = orphan.json().await.unwrap();
    assert_eq!(
        err["error"]["message"],
        "No tool call found for function call output with call_id call_7."
    );
    let paired = generate(
        &fake,
        json!({"model": "gpt-5", "store": false, "input": [call, output]}),
    )
    .await;
    assert_eq!(paired.status(), 200);
    assert_eq!(fake.generation_requests().len(), 2);
}
