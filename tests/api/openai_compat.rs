//! The OpenAI-compatible `/openai/v1` against the fake upstreams: answers
//! and chunk streams in OpenAI's shape, its error envelope, model list, and
//! the admin token guarding it.

use serde_json::{Value, json};
use sybil_testkit::{FakeKind, Reply};

use crate::helpers::{spawn_app, spawn_app_with, spawn_with_fakes, user};

#[tokio::test]
async fn openai_completions_reach_each_provider_in_openai_s_shape() {
    let (app, fakes) = spawn_with_fakes().await;
    fakes.anthropic.push(Reply::text("Bonjour."));
    let (status, body) = app
        .post_json(
            "/openai/v1/chat/completions",
            &json!({ "model": "anthropic/claude-sonnet-4-20250514",
                     "messages": [{ "role": "developer", "content": "Answer in French." },
                                  { "role": "user", "content": [{ "type": "text", "text": "Hello" }] }],
                     "temperature": 0.3, "max_tokens": 64, "n": 1, "user": "u-1", "seed": 7 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(body["object"], "chat.completion");
    assert!(body["created"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(body["model"], "anthropic/claude-sonnet-4-20250514");
    assert_eq!(
        body["choices"],
        json!([{ "index": 0, "message": { "role": "assistant", "content": "Bonjour." },
                 "finish_reason": "stop" }])
    );
    let usage = &body["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
    );
    let sent = &fakes.anthropic.generation_requests()[0].body;
    assert_eq!(sent["model"], "claude-sonnet-4-20250514");
    assert_eq!(sent["max_tokens"], 64);
    assert!(
        sent["system"].to_string().contains("Answer in French."),
        "{sent}"
    );

    for (model, fake) in [
        ("openai/gpt-4.1-mini", &fakes.openai),
        ("xai/grok-4-fast", &fakes.xai),
    ] {
        let (status, body) = app
            .post_json(
                "/openai/v1/chat/completions",
                &json!({ "model": model, "messages": [user("hi")] }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["model"], model);
        let upstream_model = model.split_once('/').unwrap().1;
        assert_eq!(fake.generation_requests()[0].body["model"], upstream_model);
    }
}

#[tokio::test]
async fn openai_streams_are_chunks_ending_with_done() {
    let (app, fakes) = spawn_with_fakes().await;
    fakes.xai.push(Reply::text("one two three"));
    let resp = app
        .client
        .post(app.url("/openai/v1/chat/completions"))
        .json(
            &json!({ "model": "xai/grok-4-fast", "messages": [user("count")], "stream": true,
                       "stream_options": { "include_usage": true } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let text = resp.text().await.unwrap();
    let events = sybil_testkit::sse::parse(&text);
    assert!(events.iter().all(|e| e.event.is_none()), "{text}");
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(sybil_testkit::sse::Event::json)
        .collect();
    let id = chunks[0]["id"].clone();
    for c in &chunks {
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(c["id"], id, "one id per completion");
        assert_eq!(c["model"], "xai/grok-4-fast");
    }
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "one two three");
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["total_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn openai_errors_use_openai_s_envelope() {
    let (app, fakes) = spawn_with_fakes().await;
    let envelope_of = |body: &Value| {
        let e = &body["error"];
        assert!(e["message"].is_string(), "{body}");
        assert!(e["type"].is_string(), "{body}");
        assert!(
            e.get("param").is_some() && e.get("code").is_some(),
            "{body}"
        );
        e.clone()
    };
    for model in ["gpt-4.1-mini", "mistral/large", "openai/", ""] {
        let (status, body) = app
            .post_json(
                "/openai/v1/chat/completions",
                &json!({ "model": model, "messages": [user("hi")] }),
            )
            .await;
        assert_eq!(status, 400, "{model}: {body}");
        let e = envelope_of(&body);
        assert_eq!(e["type"], "invalid_request_error");
        assert_eq!(e["param"], "model");
    }
    // Body errors found by the shared parser and the use case's own checks.
    let resp = app
        .client
        .post(app.url("/openai/v1/chat/completions"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    envelope_of(&resp.json().await.unwrap());
    let (status, body) = app
        .post_json(
            "/openai/v1/chat/completions",
            &json!({ "model": "openai/gpt-4.1-mini", "messages": [], "temperature": 3 }),
        )
        .await;
    assert_eq!(status, 400);
    envelope_of(&body);
    // A provider failure is a 502 naming the provider.
    fakes
        .openai
        .push(Reply::api_error(FakeKind::OpenAi, 400, "the model refused"));
    let (status, body) = app
        .post_json(
            "/openai/v1/chat/completions",
            &json!({ "model": "openai/gpt-4.1-mini", "messages": [user("hi")] }),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    let e = envelope_of(&body);
    assert_eq!(e["type"], "server_error");
    assert!(e["message"].as_str().unwrap().contains("openai"), "{body}");
    // An unknown path under /openai is a 404 in the envelope too.
    let (status, body) = app.get_json("/openai/v1/nothing").await;
    assert_eq!(status, 404);
    envelope_of(&body);
}

#[tokio::test]
async fn an_unconfigured_provider_is_a_400_naming_its_key() {
    let app = spawn_app().await;
    let (status, body) = app
        .post_json(
            "/openai/v1/chat/completions",
            &json!({ "model": "xai/grok-4-fast", "messages": [user("hi")] }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["message"],
        "provider xai is not configured: set XAI_API_KEY"
    );
    assert_eq!(body["error"]["param"], "model");
}

#[tokio::test]
async fn openai_models_are_listed_as_provider_slash_model() {
    let (app, _fakes) = spawn_with_fakes().await;
    let (status, body) = app.get_json("/openai/v1/models").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "list");
    let data = body["data"].as_array().unwrap();
    let ids: Vec<&str> = data.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"openai/gpt-4.1-mini"), "{ids:?}");
    assert!(ids.contains(&"xai/grok-4-fast"), "{ids:?}");
    assert!(
        ids.contains(&"anthropic/claude-sonnet-4-20250514"),
        "{ids:?}"
    );
    for m in data {
        assert_eq!(m["object"], "model");
        assert!(m["created"].is_i64());
        let provider = m["id"].as_str().unwrap().split('/').next().unwrap();
        assert_eq!(m["owned_by"], provider);
        assert_eq!(m.as_object().unwrap().len(), 4, "{m}");
    }
}

#[tokio::test]
async fn token_mode_guards_openai_like_v1_and_leaves_operations_open() {
    let fakes = crate::helpers::Fakes::start().await;
    let mut env = fakes.env();
    env.push(("ADMIN_TOKEN".into(), "s3cret-token".into()));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&vars).await;

    let (status, body) = app.get_json("/openai/v1/models").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid_api_key");
    assert!(!body.to_string().contains("s3cret"));
    let resp = app
        .client
        .post(app.url("/openai/v1/chat/completions"))
        .bearer_auth("wrong")
        .json(&json!({ "model": "openai/gpt-4.1-mini", "messages": [user("hi")] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let resp = app
        .client
        .post(app.url("/openai/v1/chat/completions"))
        .bearer_auth("s3cret-token")
        .json(&json!({ "model": "openai/gpt-4.1-mini", "messages": [user("hi")] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    for open in ["/health", "/readyz", "/metrics", "/openapi.json"] {
        let resp = app.client.get(app.url(open)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{open}");
    }
}
