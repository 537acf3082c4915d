//! The search routes end to end against a fake Exa.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use sybil_testkit::{ExaMode, ExaPath, FakeExa};

use crate::helpers::{TestApp, TestClock, spawn_app, spawn_app_with, spawn_app_with_clock};

async fn with_exa() -> (TestApp, FakeExa) {
    let exa = FakeExa::start().await;
    let app = spawn_app_with(&[
        ("EXA_API_KEY", &exa.api_key()),
        ("EXA_BASE_URL", &exa.base_url()),
    ])
    .await;
    (app, exa)
}

async fn new_search(app: &TestApp, body: Value) -> String {
    let (status, created) = app.post_json("/v1/searches", &body).await;
    assert_eq!(status, 201, "{created}");
    created["search"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn searches_are_created_listed_read_and_deleted_in_the_seed_shapes() {
    let clock = TestClock::now();
    let app = spawn_app_with_clock(&clock).await;
    let (status, created) = app
        .post_json("/v1/searches", &json!({ "title": "Rust", "query": "" }))
        .await;
    assert_eq!(status, 201);
    let s = &created["search"];
    assert_eq!(
        (s["title"].as_str(), &s["query"]),
        (Some("Rust"), &Value::Null)
    );
    assert_eq!(s.as_object().unwrap().len(), 5);
    let id = s["id"].as_str().unwrap();
    clock.advance_ms(1);
    let second = new_search(&app, json!({})).await;
    let (_, list) = app.get_json("/v1/searches").await;
    let ids: Vec<&str> = list["searches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), id]);

    let (status, detail) = app.get_json(&format!("/v1/searches/{id}")).await;
    assert_eq!(status, 200);
    let d = &detail["search"];
    assert_eq!(d.as_object().unwrap().len(), 13);
    for field in [
        "requestId",
        "latencyMs",
        "error",
        "answerText",
        "answerRequestId",
        "answerError",
    ] {
        assert_eq!(d[field], Value::Null, "{field}");
    }
    assert_eq!(
        (d["answerCitations"].clone(), d["results"].clone()),
        (json!([]), json!([]))
    );

    let (status, body) = app
        .send_json(Method::DELETE, &format!("/v1/searches/{id}"), &json!(null))
        .await;
    assert_eq!((status, body), (200, json!({ "deleted": true })));
    let (status, body) = app.get_json(&format!("/v1/searches/{id}")).await;
    assert_eq!(
        (status, body),
        (404, json!({ "message": "search not found" }))
    );
}

#[tokio::test]
async fn a_run_calls_search_and_answer_concurrently_and_stores_both() {
    let (app, exa) = with_exa().await;
    let id = new_search(&app, json!({ "query": "old query" })).await;
    exa.set_mode(ExaPath::Search, ExaMode::Slow(Duration::from_millis(400)));
    exa.set_mode(ExaPath::Answer, ExaMode::Slow(Duration::from_millis(400)));
    let (status, body) = app
        .post_json(
            &format!("/v1/searches/{id}/run"),
            &json!({ "query": "rust async runtimes", "title": "Runtimes", "type": "fast", "numResults": 3,
                     "includeDomains": ["tokio.rs"] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let s = &body["search"];
    assert_eq!(
        (s["query"].as_str(), s["title"].as_str()),
        (Some("rust async runtimes"), Some("Runtimes"))
    );
    assert!(s["requestId"].is_string() && s["answerText"].is_string());
    assert!(s["latencyMs"].as_i64().unwrap() >= 400);
    assert!(
        s["latencyMs"].as_i64().unwrap() < 800,
        "the two calls overlapped: {}",
        s["latencyMs"]
    );
    let arrivals = exa.arrivals();
    assert_eq!(arrivals.len(), 2);
    let gap = arrivals[1].at.duration_since(arrivals[0].at);
    assert!(
        gap < Duration::from_millis(300),
        "both requests were sent before either answered ({gap:?})"
    );
    for r in s["results"].as_array().unwrap() {
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 9, "{keys:?}");
    }
    for c in s["answerCitations"].as_array().unwrap() {
        assert_eq!(c.as_object().unwrap().len(), 5);
    }
    let sent = exa
        .requests()
        .into_iter()
        .find(|r| r.path == "/search")
        .unwrap()
        .body;
    assert_eq!(sent["query"], "rust async runtimes");
    assert_eq!(sent["type"], "fast");
    assert_eq!(sent["numResults"], 3);
    assert_eq!(sent["includeDomains"], json!(["tokio.rs"]));
    let (_, stored) = app.get_json(&format!("/v1/searches/{id}")).await;
    assert_eq!(
        stored["search"], body["search"],
        "the run is stored as answered"
    );
}

#[tokio::test]
async fn one_side_failing_is_recorded_and_both_failing_is_a_502() {
    let (app, exa) = with_exa().await;
    let id = new_search(&app, json!({ "query": "q" })).await;
    exa.set_mode(ExaPath::Answer, ExaMode::no_credits());
    let (status, body) = app
        .post_json(&format!("/v1/searches/{id}/run"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(!body["search"]["results"].as_array().unwrap().is_empty());
    let answer_error = body["search"]["answerError"].as_str().unwrap();
    assert!(
        answer_error.starts_with("exa:") && answer_error.contains("credits"),
        "{answer_error}"
    );
    assert_eq!(body["search"]["error"], Value::Null);

    exa.set_mode(ExaPath::Search, ExaMode::QuoteKey);
    exa.set_mode(ExaPath::Answer, ExaMode::QuoteKey);
    let (status, body) = app
        .post_json(&format!("/v1/searches/{id}/run"), &json!({}))
        .await;
    assert_eq!(status, 502);
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with("exa upstream error: "), "{message}");
    let (_, stored) = app.get_json(&format!("/v1/searches/{id}")).await;
    let text = stored.to_string();
    assert!(stored["search"]["error"].is_string() && stored["search"]["answerError"].is_string());
    assert!(
        !text.contains(&exa.api_key()) && !message.contains(&exa.api_key()),
        "keys are redacted: {text}"
    );
}

#[tokio::test]
async fn run_options_are_checked_before_exa_is_called() {
    let (app, exa) = with_exa().await;
    let empty = new_search(&app, json!({})).await;
    let id = new_search(&app, json!({ "query": "q" })).await;
    let cases = [
        (empty.as_str(), json!({}), 400, "query is required"),
        (
            id.as_str(),
            json!({ "numResults": 0 }),
            400,
            "numResults must be an integer from 1 to 100",
        ),
        (
            id.as_str(),
            json!({ "numResults": 101 }),
            400,
            "numResults must be an integer from 1 to 100",
        ),
        (
            id.as_str(),
            json!({ "includeDomains": ["a"], "excludeDomains": ["b"] }),
            400,
            "cannot be used together",
        ),
        (
            id.as_str(),
            json!({ "type": "neural" }),
            400,
            "type must be one of auto, fast, deep, instant",
        ),
        ("nope", json!({}), 404, "search not found"),
    ];
    for (search, body, status, message) in cases {
        let (got, answer) = app
            .post_json(&format!("/v1/searches/{search}/run"), &body)
            .await;
        assert_eq!(got, status, "{body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(message),
            "{body}: {answer}"
        );
    }
    assert!(exa.requests().is_empty());

    let app = spawn_app().await;
    let id = new_search(&app, json!({ "query": "q" })).await;
    let (status, body) = app
        .post_json(&format!("/v1/searches/{id}/run"), &json!({}))
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({ "message": "Exa is not configured: set EXA_API_KEY" })
        )
    );
}

#[tokio::test]
async fn a_chat_made_from_a_search_starts_with_a_hidden_context_message() {
    let (app, _exa) = with_exa().await;
    let id = new_search(&app, json!({ "query": "tokio runtime" })).await;
    let (_, ran) = app
        .post_json(&format!("/v1/searches/{id}/run"), &json!({}))
        .await;
    let (status, created) = app
        .post_json(&format!("/v1/searches/{id}/chat"), &json!({}))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["chat"]["title"], "Search: tokio runtime");
    let chat = created["chat"]["id"].as_str().unwrap();
    let (_, detail) = app.get_json(&format!("/v1/chats/{chat}")).await;
    let messages = detail["chat"]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    let context = &messages[0];
    assert_eq!(context["role"], "system");
    assert_eq!(
        context["metadata"],
        json!({ "kind": "search_context", "hidden": true, "searchId": id })
    );
    let text = context["content"].as_str().unwrap();
    assert!(text.contains("Query: tokio runtime"), "{text}");
    assert!(
        text.contains(ran["search"]["answerText"].as_str().unwrap()),
        "{text}"
    );
    let first_url = ran["search"]["results"][0]["url"].as_str().unwrap();
    assert!(text.contains(first_url), "{text}");
    assert!(text.chars().count() <= 20_000);

    let (status, created) = app
        .post_json(
            &format!("/v1/searches/{id}/chat"),
            &json!({ "title": "Mine" }),
        )
        .await;
    assert_eq!(
        (status, created["chat"]["title"].as_str()),
        (201, Some("Mine"))
    );
    let (status, body) = app.post_json("/v1/searches/nope/chat", &json!({})).await;
    assert_eq!(
        (status, body),
        (404, json!({ "message": "search not found" }))
    );
}
