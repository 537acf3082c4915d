//! xAI Chat Completions fake: tool turns, data-only streams ending in `[DONE]`, errors.

use serde_json::json;
use sybil_testkit::{FakeKind, FakeLlm, Reply, sse};

use crate::helpers::{generate, models, send};

fn chat(stream: bool) -> serde_json::Value {
    json!({"model": "grok-4-fast", "messages": [{"role": "user", "content": "Hi"}], "stream": stream,
           "stream_options": {"include_usage": true}})
}

#[tokio::test]
async fn tool_turn_has_empty_content_and_total_with_reasoning() {
    let fake = FakeLlm::start(FakeKind::Xai).await;
    fake.push(Reply::tool_calls(&[(
        "web_search",
        r#"{"query":"Florence weather"}"#,
    )]));
    let body: serde_json::Value = generate(&fake, chat(false)).await.json().await.unwrap();
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], "");
    assert_eq!(
        choice["message"]["tool_calls"][0]["function"]["name"],
        "web_search"
    );
    assert_eq!(body["usage"]["total_tokens"], 21);
    assert_eq!(body["model"], "grok-4-fast-reasoning");
}

#[tokio::test]
async fn stream_is_data_only_and_ends_with_usage_then_done() {
    let fake = FakeLlm::start(FakeKind::Xai).await;
    fake.push(Reply::text("The current weather"));
    let resp = generate(&fake, chat(true)).await;
    let events = sse::parse(&resp.text().await.unwrap());
    assert!(events.iter().all(|e| e.event.is_none()));
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let chunks: Vec<serde_json::Value> = events[..events.len() - 1]
        .iter()
        .map(|e| e.json())
        .collect();
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"]["prompt_tokens"], 11);
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    let text: String = chunks[..chunks.len() - 2]
        .iter()
        .inspect(|c| assert!(c["choices"][0].get("finish_reason").is_none()))
        .map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(text, "The current weather");
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
}

#[tokio::test]
async fn tool_calls_stream_whole_or_split_by_index() {
    let fake = FakeLlm::start(FakeKind::Xai).await;
    let args = r#"{"location":"Florence, Italy"}"#;
    fake.push(Reply::tool_calls(&[("weather", args)]));
    fake.push(Reply::tool_calls(&[("weather", args)]).with_split_arguments());

    let whole = sse::parse(&generate(&fake, chat(true)).await.text().await.unwrap());
    let call = &whole[0].json()["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(call["function"]["arguments"], args);
    assert_eq!(whole[1].json()["choices"][0]["finish_reason"], "tool_calls");

    let split = sse::parse(&generate(&fake, chat(true)).await.text().await.unwrap());
    let head = &split[0].json()["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(
        (
            head["function"]["name"].as_str(),
            head["function"]["arguments"].as_str()
        ),
        (Some("weather"), Some(""))
    );
    let joined: String = split[1..]
        .iter()
        .filter(|e| e.data != "[DONE]")
        .filter_map(|e| {
            e.json()["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(joined, args);
}

#[tokio::test]
async fn wrong_key_is_a_400_quoting_it() {
    let fake = FakeLlm::start(FakeKind::Xai).await;
    let resp = send(&fake, chat(false), "xai-wrong-key").await.unwrap();
    assert_eq!(resp.status(), 400);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["code"], "Client specified an invalid argument");
    assert!(err["error"].as_str().unwrap().contains("xai-wrong-key"));

    let list: serde_json::Value = models(&fake, "").await.json().await.unwrap();
    assert_eq!(list["data"][1]["id"], "grok-4-fast");
    assert_eq!(list["data"][1]["owned_by"], "xai");
}
