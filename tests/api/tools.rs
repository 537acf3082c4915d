//! The server-side tool loop end to end: fake models asking for tools, fake
//! Exa, SearXNG and web pages answering them.

use serde_json::{Value, json};
use sybil_testkit::{FakeExa, FakePages, FakeSearxng, Reply, SearxngMode};

use crate::helpers::{Fakes, TestApp, new_chat, spawn_app_with};

async fn app_with(fakes: &Fakes, extra: &[(&str, String)]) -> TestApp {
    let mut env = fakes.env();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    spawn_app_with(&vars).await
}

async fn messages(app: &TestApp, chat: &str) -> Vec<Value> {
    let (_, detail) = app.get_json(&format!("/v1/chats/{chat}")).await;
    detail["chat"]["messages"].as_array().unwrap().clone()
}

fn ask(provider: &str, chat: &str, history: Value) -> Value {
    json!({ "chatId": chat, "provider": provider, "model": "gpt-4.1-mini", "messages": history })
}

#[tokio::test]
async fn web_search_through_exa_feeds_the_second_round_and_is_stored() {
    let fakes = Fakes::start().await;
    let exa = FakeExa::start().await;
    let app = app_with(
        &fakes,
        &[
            ("EXA_API_KEY", exa.api_key()),
            ("EXA_BASE_URL", exa.base_url()),
        ],
    )
    .await;
    let chat = new_chat(&app).await;
    fakes.openai.push(
        Reply::tool_calls(&[("web_search", r#"{"query":"large language models"}"#)])
            .with_reasoning(),
    );
    fakes.openai.push(Reply::text("Here is what I found."));
    let (status, body) = app
        .post_json(
            "/v1/chat-completions",
            &ask(
                "openai",
                &chat,
                json!([{ "role": "user", "content": "LLMs?" }]),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"]["content"], "Here is what I found.");

    let calls = fakes.openai.generation_requests();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].body["store"], true);
    let tools: Vec<&str> = calls[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tools, ["web_search", "fetch_url"]);
    let round_two = &calls[1].body;
    assert!(
        round_two["previous_response_id"]
            .as_str()
            .unwrap()
            .starts_with("resp_")
    );
    let output = &round_two["input"][0];
    assert_eq!(output["type"], "function_call_output");
    assert!(
        output["output"].as_str().unwrap().starts_with("1. "),
        "{output}"
    );
    assert_eq!(exa.requests()[0].body["query"], "large language models");

    let stored = messages(&app, &chat).await;
    let roles: Vec<&str> = stored.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "tool", "assistant"]);
    let tool = &stored[1];
    assert_eq!(tool["name"], "web_search");
    let meta = &tool["metadata"];
    assert_eq!(meta["kind"], "tool_call");
    assert_eq!(meta["toolCallId"], output["call_id"]);
    assert_eq!(
        meta["arguments"],
        json!({ "query": "large language models" })
    );
    assert_eq!(
        (
            meta["status"].as_str(),
            meta["round"].as_u64(),
            meta["error"].clone()
        ),
        (Some("completed"), Some(1), Value::Null)
    );
    assert!(meta["durationMs"].is_u64());
    assert_eq!(meta.as_object().unwrap().len(), 8);
    assert_eq!(tool["content"], output["output"]);
    let rows = app.llm_calls().await;
    assert_eq!(
        (rows[0].tool_rounds, rows[0].total_tokens),
        (1, Some(36)),
        "usage summed over both calls"
    );

    // The stored tool message is skipped by the history rule next time.
    fakes.openai.push(Reply::text("ok"));
    let history = json!([{ "role": "user", "content": "LLMs?" }, { "role": "assistant", "content": "Here is what I found." },
                         { "role": "user", "content": "thanks" }]);
    app.post_json("/v1/chat-completions", &ask("openai", &chat, history))
        .await;
    let roles: Vec<String> = messages(&app, &chat)
        .await
        .iter()
        .map(|m| m["role"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(roles, ["user", "tool", "assistant", "user", "assistant"]);
}

#[tokio::test]
async fn xai_gets_the_calls_and_outputs_back_as_chat_messages() {
    let fakes = Fakes::start().await;
    let pages = FakePages::start().await;
    let app = app_with(&fakes, &[("FETCH_ALLOW_PRIVATE_NETWORKS", "true".into())]).await;
    let chat = new_chat(&app).await;
    let url = format!("{}/article.html", pages.base_url());
    let args = json!({ "url": url }).to_string();
    fakes.xai.push(
        Reply::tool_calls(&[("fetch_url", &args), ("web_search", r#"{"query":"x"}"#)])
            .with_split_arguments(),
    );
    fakes.xai.push(Reply::text("Read it."));
    let (status, body) = app
        .post_json(
            "/v1/chat-completions",
            &ask("xai", &chat, json!([{ "role": "user", "content": "read" }])),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let round_two = &fakes.xai.generation_requests()[1].body["messages"];
    let turns = round_two.as_array().unwrap();
    let n = turns.len();
    assert_eq!(turns[n - 3]["role"], "assistant");
    assert_eq!(turns[n - 3]["tool_calls"].as_array().unwrap().len(), 2);
    assert_eq!(turns[n - 2]["role"], "tool");
    assert_eq!(
        turns[n - 2]["tool_call_id"],
        turns[n - 3]["tool_calls"][0]["id"]
    );
    let page_text = turns[n - 2]["content"].as_str().unwrap();
    assert!(
        !page_text.contains("<script") && !page_text.contains("function("),
        "{page_text}"
    );
    assert_eq!(
        turns[n - 1]["tool_call_id"],
        turns[n - 3]["tool_calls"][1]["id"]
    );
    assert!(
        turns[n - 1]["content"]
            .as_str()
            .unwrap()
            .contains("EXA_API_KEY"),
        "no engine: a failed call"
    );

    let stored = messages(&app, &chat).await;
    let tools: Vec<&Value> = stored.iter().filter(|m| m["role"] == "tool").collect();
    assert_eq!(tools.len(), 2);
    assert_eq!(tools[0]["metadata"]["status"], "completed");
    assert_eq!(tools[1]["metadata"]["status"], "failed");
    assert_eq!(tools[1]["metadata"]["error"], tools[1]["content"]);
}

#[tokio::test]
async fn fetch_url_refuses_private_addresses_by_default_and_caps_outputs() {
    let fakes = Fakes::start().await;
    let pages = FakePages::start().await;
    let app = app_with(&fakes, &[]).await;
    let chat = new_chat(&app).await;
    for url in [
        format!("{}/article.html", pages.base_url()),
        "http://2130706433/".to_string(),
        "http://0x7f.1/".to_string(),
        "http://[::ffff:127.0.0.1]/".to_string(),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "file:///etc/passwd".to_string(),
    ] {
        fakes.openai.push(Reply::tool_calls(&[(
            "fetch_url",
            &json!({ "url": url }).to_string(),
        )]));
    }
    fakes.openai.push(Reply::text("none of them"));
    let (status, _) = app
        .post_json(
            "/v1/chat-completions",
            &ask(
                "openai",
                &chat,
                json!([{ "role": "user", "content": "fetch" }]),
            ),
        )
        .await;
    assert_eq!(status, 200);
    let tools: Vec<Value> = messages(&app, &chat)
        .await
        .into_iter()
        .filter(|m| m["role"] == "tool")
        .collect();
    assert_eq!(tools.len(), 6);
    for t in &tools {
        assert_eq!(t["metadata"]["status"], "failed", "{t}");
    }
    assert!(
        pages.requests().is_empty(),
        "nothing reached the loopback page server"
    );

    let app = app_with(&fakes, &[("FETCH_ALLOW_PRIVATE_NETWORKS", "true".into())]).await;
    let chat = new_chat(&app).await;
    let url = format!("{}/large?bytes=200000", pages.base_url());
    fakes.openai.push(Reply::tool_calls(&[(
        "fetch_url",
        &json!({ "url": url }).to_string(),
    )]));
    fakes.openai.push(Reply::text("big"));
    app.post_json(
        "/v1/chat-completions",
        &ask(
            "openai",
            &chat,
            json!([{ "role": "user", "content": "big" }]),
        ),
    )
    .await;
    let tool = messages(&app, &chat)
        .await
        .into_iter()
        .find(|m| m["role"] == "tool")
        .unwrap();
    let content = tool["content"].as_str().unwrap();
    assert_eq!(content.chars().count(), 20_000);
    let marker = content.rsplit_once('\n').unwrap().1;
    assert!(
        marker.starts_with("[truncated: ") && marker.ends_with(" more characters]"),
        "{marker}"
    );
}

#[tokio::test]
async fn searxng_is_used_when_chosen_and_its_json_switch_is_explained() {
    let fakes = Fakes::start().await;
    let searxng = FakeSearxng::start().await;
    let app = app_with(
        &fakes,
        &[
            ("CHAT_WEB_SEARCH_ENGINE", "searxng".into()),
            ("SEARXNG_BASE_URL", searxng.base_url()),
        ],
    )
    .await;
    let chat = new_chat(&app).await;
    fakes
        .openai
        .push(Reply::tool_calls(&[("web_search", r#"{"query":"rust"}"#)]));
    fakes.openai.push(Reply::text("ok"));
    app.post_json(
        "/v1/chat-completions",
        &ask("openai", &chat, json!([{ "role": "user", "content": "s" }])),
    )
    .await;
    searxng.set_mode(SearxngMode::JsonDisabled);
    fakes
        .openai
        .push(Reply::tool_calls(&[("web_search", r#"{"query":"rust"}"#)]));
    fakes.openai.push(Reply::text("ok"));
    let history = json!([{ "role": "user", "content": "s" }, { "role": "assistant", "content": "ok" }, { "role": "user", "content": "again" }]);
    app.post_json("/v1/chat-completions", &ask("openai", &chat, history))
        .await;
    let tools: Vec<Value> = messages(&app, &chat)
        .await
        .into_iter()
        .filter(|m| m["role"] == "tool")
        .collect();
    assert_eq!(tools[0]["metadata"]["status"], "completed", "{}", tools[0]);
    assert!(tools[0]["content"].as_str().unwrap().starts_with("1. "));
    assert_eq!(tools[1]["metadata"]["status"], "failed");
    assert!(
        tools[1]["content"]
            .as_str()
            .unwrap()
            .contains("format=json"),
        "{}",
        tools[1]["content"]
    );
    assert!(searxng.requests()[0].query.contains("format=json"));
}

#[tokio::test]
async fn the_round_limit_answers_with_the_limit_message() {
    let fakes = Fakes::start().await;
    let app = app_with(&fakes, &[("CHAT_MAX_TOOL_ROUNDS", "2".into())]).await;
    let chat = new_chat(&app).await;
    for _ in 0..3 {
        fakes
            .openai
            .push(Reply::tool_calls(&[("web_search", r#"{"query":"again"}"#)]));
    }
    let (status, body) = app
        .post_json(
            "/v1/chat-completions",
            &ask(
                "openai",
                &chat,
                json!([{ "role": "user", "content": "loop" }]),
            ),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["message"]["content"],
        "Tool limit reached: stopped after 2 tool rounds."
    );
    assert_eq!(fakes.openai.generation_requests().len(), 3);
    let stored = messages(&app, &chat).await;
    let rounds: Vec<u64> = stored
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["metadata"]["round"].as_u64().unwrap())
        .collect();
    assert_eq!(rounds, [1, 2]);
    assert_eq!(
        stored.last().unwrap()["content"],
        body["message"]["content"]
    );
}
