//! `POST /v1/chat-completions`, `GET /v1/models` and title suggestion, end
//! to end: the real adapters against the fake upstreams.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sybil_testkit::{FakeKind, Reply};

use crate::helpers::{TestApp, new_chat, spawn_app, spawn_app_with, spawn_with_fakes, user};

fn png_data_url() -> String {
    let mut bytes = vec![0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    bytes.extend_from_slice(&[7; 8]);
    format!("data:image/png;base64,{}", STANDARD.encode(bytes))
}

async fn transcript(app: &TestApp, chat: &str) -> Vec<(String, String)> {
    let (_, detail) = app.get_json(&format!("/v1/chats/{chat}")).await;
    detail["chat"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_string(),
                m["content"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(r, c)| (r.to_string(), c.to_string()))
        .collect()
}

#[tokio::test]
async fn a_completion_without_a_chat_has_the_contract_shape() {
    let (app, fakes) = spawn_with_fakes().await;
    fakes.openai.push(Reply::text("Paris is the capital."));
    let (status, body) = app
        .post_json(
            "/v1/chat-completions",
            &json!({ "provider": "openai", "model": "gpt-4.1-mini", "messages": [user("Capital of France?")],
                     "temperature": 0.2, "maxTokens": 256 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["chatId"], Value::Null);
    assert_eq!(body["provider"], "openai");
    assert_eq!(body["model"], "gpt-4.1-mini");
    assert_eq!(
        body["message"],
        json!({ "role": "assistant", "content": "Paris is the capital." })
    );
    assert_eq!(
        body["usage"],
        json!({ "inputTokens": 11, "outputTokens": 7, "totalTokens": 18 })
    );
    assert_eq!(body["raw"]["object"], "response");
    assert_eq!(body.as_object().unwrap().len(), 6);

    let sent = &fakes.openai.generation_requests()[0];
    assert_eq!(sent.path, "/v1/responses");
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {}", fakes.openai.api_key()).as_str())
    );
    assert!(
        sent.body["instructions"]
            .as_str()
            .unwrap()
            .starts_with("You are Sybil")
    );
    assert_eq!(sent.body["max_output_tokens"], 256);
    assert_eq!(sent.body["temperature"], 0.2);
    let calls = app.llm_calls().await;
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (
            calls[0].status.as_str(),
            calls[0].has_chat,
            calls[0].total_tokens
        ),
        ("ok", false, Some(18))
    );
}

#[tokio::test]
async fn the_same_instruction_and_attachments_reach_each_provider_in_its_own_shape() {
    let (app, fakes) = spawn_with_fakes().await;
    let messages = json!([
        { "role": "system", "content": "be brief", "attachments": [{ "kind": "text", "filename": "s.txt", "text": "not forwarded" }] },
        { "role": "user", "content": "What is this?", "attachments": [
            { "kind": "image", "filename": "p.png", "mimeType": "image/png", "dataUrl": png_data_url() },
            { "kind": "text", "filename": "notes.md", "mimeType": "text/markdown", "text": "# Notes" }
        ]},
        { "role": "assistant", "content": "an earlier answer" },
        { "role": "tool", "content": "42", "name": "calc" }
    ]);
    for provider in ["openai", "xai", "anthropic"] {
        let (status, body) = app
            .post_json(
                "/v1/chat-completions",
                &json!({ "provider": provider, "model": "m-1", "messages": messages, "temperature": 1.5 }),
            )
            .await;
        assert_eq!(status, 200, "{provider}: {body}");
    }
    let openai = &fakes.openai.generation_requests()[0].body;
    let xai = &fakes.xai.generation_requests()[0].body;
    let anthropic = &fakes.anthropic.generation_requests()[0].body;
    let instruction = openai["instructions"].as_str().unwrap();
    assert_eq!(
        xai["messages"][0],
        json!({ "role": "system", "content": instruction })
    );
    assert!(
        anthropic["system"]
            .as_str()
            .unwrap()
            .starts_with(instruction)
    );

    let text = serde_json::to_string(openai).unwrap();
    assert!(text.contains(r#""type":"input_image""#) && text.contains(&png_data_url()));
    assert!(text.contains("# Notes") && !text.contains("not forwarded"));
    let text = serde_json::to_string(xai).unwrap();
    assert!(text.contains(r#""image_url":{"#) && text.contains(&png_data_url()));
    assert!(!text.contains("not forwarded"));
    let text = serde_json::to_string(anthropic).unwrap();
    let raw_base64 = png_data_url()
        .trim_start_matches("data:image/png;base64,")
        .to_string();
    assert!(
        text.contains(r#""type":"base64""#)
            && text.contains(&raw_base64)
            && !text.contains("data:image/png")
    );
    assert_eq!(anthropic["temperature"], 1.0);
    assert!(anthropic["max_tokens"].as_u64().unwrap() >= 1);

    // The tool message went as user text on every provider, never as a tool turn.
    for body in [openai, xai, anthropic] {
        let text = serde_json::to_string(body).unwrap();
        assert!(text.contains("Tool output from calc:\\n42"), "{text}");
        assert!(!text.contains(r#""role":"tool""#));
    }
}

#[tokio::test]
async fn history_is_stored_once_and_each_answer_after() {
    let (app, fakes) = spawn_with_fakes().await;
    let chat = new_chat(&app).await;
    fakes.openai.push(Reply::text("one"));
    let (status, body) = app
        .post_json(
            "/v1/chat-completions",
            &json!({ "chatId": chat, "provider": "openai", "model": "gpt-4.1-mini",
                     "messages": [{ "role": "system", "content": "sys" }, user("hi")] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["chatId"], chat.as_str());
    assert_eq!(
        transcript(&app, &chat).await,
        pairs(&[("system", "sys"), ("user", "hi"), ("assistant", "one")])
    );

    // The client sends back what it read (stored fields included) plus a new message.
    let (_, detail) = app.get_json(&format!("/v1/chats/{chat}")).await;
    let mut history: Vec<Value> = detail["chat"]["messages"].as_array().unwrap().clone();
    history.push(user("more"));
    fakes.xai.push(Reply::text("two"));
    let (status, _) = app
        .post_json(
            "/v1/chat-completions",
            &json!({ "chatId": chat, "provider": "xai", "model": "grok-3-mini", "messages": history }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        transcript(&app, &chat).await,
        pairs(&[
            ("system", "sys"),
            ("user", "hi"),
            ("assistant", "one"),
            ("user", "more"),
            ("assistant", "two")
        ])
    );

    // An edited message makes it and everything after it new.
    fakes.openai.push(Reply::text("three"));
    let edited = json!([{ "role": "system", "content": "sys" }, user("hi"), { "role": "assistant", "content": "one" }, user("edited")]);
    app.post_json(
        "/v1/chat-completions",
        &json!({ "chatId": chat, "provider": "openai", "model": "gpt-4.1-mini", "messages": edited }),
    )
    .await;
    let stored = transcript(&app, &chat).await;
    assert_eq!(stored.len(), 7);
    assert_eq!(
        stored[5..],
        pairs(&[("user", "edited"), ("assistant", "three")])
    );

    let (_, detail) = app.get_json(&format!("/v1/chats/{chat}")).await;
    assert_eq!(detail["chat"]["initiatedProvider"], "openai");
    assert_eq!(detail["chat"]["initiatedModel"], "gpt-4.1-mini");
    assert_eq!(detail["chat"]["lastUsedProvider"], "openai");
    let calls = app.llm_calls().await;
    assert_eq!(
        calls
            .iter()
            .map(|c| c.provider.as_str())
            .collect::<Vec<_>>(),
        ["openai", "xai", "openai"]
    );
    assert!(
        calls
            .iter()
            .all(|c| c.status == "ok" && c.has_chat && c.tool_rounds == 0)
    );
}

#[tokio::test]
async fn an_upstream_failure_is_a_502_naming_the_provider_and_leaves_no_answer() {
    let (app, fakes) = spawn_with_fakes().await;
    let chat = new_chat(&app).await;
    fakes.anthropic.push(Reply::api_error(
        FakeKind::Anthropic,
        400,
        "messages: roles must alternate",
    ));
    let (status, body) = app
        .post_json(
            "/v1/chat-completions",
            &json!({ "chatId": chat, "provider": "anthropic", "model": "claude-x", "messages": [user("hi")] }),
        )
        .await;
    assert_eq!(status, 502);
    assert_eq!(
        body,
        json!({ "message": "anthropic upstream error: messages: roles must alternate" })
    );
    assert_eq!(transcript(&app, &chat).await, pairs(&[("user", "hi")]));
    let (_, detail) = app.get_json(&format!("/v1/chats/{chat}")).await;
    assert_eq!(
        detail["chat"]["initiatedProvider"], "anthropic",
        "a failed first call still initiates"
    );
    let calls = app.llm_calls().await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].status, "error");
    assert_eq!(
        calls[0].error.as_deref(),
        Some("messages: roles must alternate")
    );

    for reply in [
        Reply::raw(502, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        Reply::malformed(),
        Reply::drop_connection(),
    ] {
        // Server errors and dropped connections are retried: fail every attempt.
        for _ in 0..3 {
            fakes.xai.push(reply.clone());
        }
        let (status, body) = app
            .post_json(
                "/v1/chat-completions",
                &json!({ "provider": "xai", "model": "grok-3-mini", "messages": [user("x")] }),
            )
            .await;
        assert_eq!(status, 502, "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.starts_with("xai upstream error: "), "{message}");
        assert!(!message.contains("<html>"), "{message}");
    }
}

#[tokio::test]
async fn api_keys_never_reach_the_client_or_the_database() {
    let fakes = crate::helpers::Fakes::start().await;
    let mut env = fakes.env();
    let wrong = "sk-wrong-key-0123456789abcdef";
    env.retain(|(k, _)| k != "OPENAI_API_KEY");
    env.push(("OPENAI_API_KEY".into(), wrong.into()));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&vars).await;
    let (status, body) = app
        .post_json(
            "/v1/chat-completions",
            &json!({ "provider": "openai", "model": "gpt-4.1-mini", "messages": [user("x")] }),
        )
        .await;
    assert_eq!(status, 502);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("openai upstream error: Incorrect API key provided"),
        "{message}"
    );
    assert!(
        !message.contains(wrong) && !message.contains("0123456789abcdef"),
        "{message}"
    );
    let calls = app.llm_calls().await;
    assert!(
        !calls[0]
            .error
            .as_deref()
            .unwrap()
            .contains("0123456789abcdef")
    );
}

#[tokio::test]
async fn checks_come_before_any_upstream_call() {
    let (app, fakes) = spawn_with_fakes().await;
    let cases = [
        (
            json!({ "provider": "openai", "model": "m", "messages": [] }),
            400,
            "messages must contain at least 1 message",
        ),
        (
            json!({ "provider": "openai", "model": " ", "messages": [user("x")] }),
            400,
            "model must not be empty",
        ),
        (
            json!({ "provider": "openai", "model": "m", "messages": [user("x")], "temperature": 2.5 }),
            400,
            "temperature must be a number from 0 to 2",
        ),
        (
            json!({ "provider": "openai", "model": "m", "messages": [user("x")], "maxTokens": 0 }),
            400,
            "maxTokens must be an integer from 1 to 4294967295",
        ),
        (
            json!({ "provider": "google", "model": "m", "messages": [user("x")] }),
            400,
            "provider must be one of openai, anthropic, xai",
        ),
        (
            json!({ "provider": "openai", "model": "m", "messages": [{ "role": "tool", "content": "x",
            "attachments": [{ "kind": "text", "filename": "a", "text": "b" }] }] }),
            400,
            "messages[0].attachments: tool messages cannot have attachments",
        ),
        (
            json!({ "provider": "openai", "model": "m", "messages": [user("x")], "chatId": "00000000-0000-7000-8000-000000000000" }),
            404,
            "chat not found",
        ),
    ];
    for (request, status, message) in cases {
        let (got, body) = app.post_json("/v1/chat-completions", &request).await;
        assert_eq!(got, status, "{request}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(message),
            "{request}: {body}"
        );
    }
    assert!(fakes.openai.generation_requests().is_empty());
    assert!(app.llm_calls().await.is_empty());
}

#[tokio::test]
async fn an_unconfigured_provider_names_the_variable_to_set() {
    let app = spawn_app().await;
    let (status, body) = app
        .post_json(
            "/v1/chat-completions",
            &json!({ "provider": "anthropic", "model": "claude", "messages": [user("x")] }),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({ "message": "provider anthropic is not configured: set ANTHROPIC_API_KEY" })
        )
    );
}

#[tokio::test]
async fn models_are_live_when_configured_and_fall_back_otherwise() {
    let (app, fakes) = spawn_with_fakes().await;
    let (status, body) = app.get_json("/v1/models").await;
    assert_eq!(status, 200);
    let openai = &body["providers"]["openai"];
    let live: Vec<&str> = openai["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        live.contains(&"gpt-4.1-mini") && live.contains(&"gpt-5"),
        "{live:?}"
    );
    assert!(
        live.iter()
            .all(|m| !m.contains("embedding") && !m.contains("realtime") && !m.contains("tts")),
        "{live:?}"
    );
    assert!(openai["loadedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(openai["error"], Value::Null);
    assert!(
        body["providers"]["anthropic"]["models"]
            .as_array()
            .unwrap()
            .len()
            >= 2
    );
    assert_eq!(
        fakes
            .xai
            .requests()
            .iter()
            .filter(|r| r.path == "/v1/models")
            .count(),
        1,
        "loaded once, then cached"
    );

    let app = spawn_app_with(&[("XAI_MODELS", "grok-a, grok-b")]).await;
    let (_, body) = app.get_json("/v1/models").await;
    assert_eq!(
        body["providers"]["xai"],
        json!({ "models": ["grok-a", "grok-b"], "loadedAt": null, "error": "XAI_API_KEY is not set" })
    );
    assert_eq!(
        body["providers"]["openai"]["error"],
        "OPENAI_API_KEY is not set"
    );
    assert!(
        !body["providers"]["openai"]["models"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_failing_models_endpoint_falls_back_with_the_error() {
    let fakes = crate::helpers::Fakes::start().await;
    fakes.anthropic.fail_models(500);
    let env = fakes.env();
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&vars).await;
    let (status, body) = app.get_json("/v1/models").await;
    assert_eq!(status, 200);
    let anthropic = &body["providers"]["anthropic"];
    assert_eq!(anthropic["loadedAt"], Value::Null);
    assert!(
        anthropic["error"]
            .as_str()
            .unwrap()
            .starts_with("anthropic: "),
        "{anthropic}"
    );
    assert!(!anthropic["models"].as_array().unwrap().is_empty());
    assert_eq!(body["providers"]["openai"]["error"], Value::Null);
}

#[tokio::test]
async fn title_suggestion_titles_untitled_chats_only() {
    let (app, fakes) = spawn_with_fakes().await;
    let chat = new_chat(&app).await;
    fakes.openai.push(Reply::text("\"Weekend in Florence.\""));
    let (status, body) = app
        .post_json(
            "/v1/chats/title/suggest",
            &json!({ "chatId": chat, "content": "Plan my weekend in Florence" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["chat"]["title"], "Weekend in Florence");
    let sent = &fakes.openai.generation_requests()[0].body;
    assert_eq!(sent["model"], "gpt-4.1-mini");

    let (status, again) = app
        .post_json(
            "/v1/chats/title/suggest",
            &json!({ "chatId": chat, "content": "something else" }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        again["chat"], body["chat"],
        "a titled chat is returned unchanged"
    );
    assert_eq!(fakes.openai.generation_requests().len(), 1);

    let (status, body) = app
        .post_json(
            "/v1/chats/title/suggest",
            &json!({ "chatId": "nope", "content": "x" }),
        )
        .await;
    assert_eq!(
        (status, body),
        (404, json!({ "message": "chat not found" }))
    );
}
