//! Rules every request body obeys, whichever the route: no U+0000 in any
//! string or key, and free-form fields nested at most 64 deep. Breaking one
//! is a 400 naming the field, with nothing stored, on SQLite and PostgreSQL.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_on};
use crate::pg_database::PgDatabase;

const NUL: &str = "must not contain the NUL character (U+0000)";

/// Objects inside objects, `depth` in all.
fn nested(depth: usize) -> Value {
    (1..depth).fold(json!({}), |inner, _| json!({ "a": inner }))
}

/// Everything a client can read back.
async fn everything(app: &TestApp, chat: &str, search: &str) -> Value {
    let mut all = Vec::new();
    for path in [
        "/v1/chats".to_string(),
        format!("/v1/chats/{chat}"),
        "/v1/searches".to_string(),
        format!("/v1/searches/{search}"),
    ] {
        let (status, body) = app.get_json(&path).await;
        assert_eq!(status, 200, "{path}: {body}");
        all.push(body);
    }
    Value::Array(all)
}

/// The error message of an answer, in `/v1`'s form or OpenAI's envelope.
fn message_of(answer: &Value) -> &str {
    answer["message"]
        .as_str()
        .or_else(|| answer["error"]["message"].as_str())
        .unwrap_or_default()
}

async fn refused(app: &TestApp, cases: Vec<(Method, String, Value, String)>) {
    for (method, path, body, expected) in cases {
        let (status, answer) = app.send_json(method.clone(), &path, &body).await;
        assert_eq!(status, 400, "{method} {path}: {answer}");
        assert_eq!(message_of(&answer), expected, "{method} {path}");
    }
}

async fn a_chat_and_a_search(app: &TestApp) -> (String, String) {
    let (status, chat) = app
        .post_json("/v1/chats", &json!({ "title": "kept" }))
        .await;
    assert_eq!(status, 201, "{chat}");
    let (status, search) = app
        .post_json("/v1/searches", &json!({ "query": "q" }))
        .await;
    assert_eq!(status, 201, "{search}");
    (
        chat["chat"]["id"].as_str().unwrap().to_string(),
        search["search"]["id"].as_str().unwrap().to_string(),
    )
}

async fn nul_is_refused_in_every_field(app: &TestApp) {
    let (chat, search) = a_chat_and_a_search(app).await;
    let before = everything(app, &chat, &search).await;
    let user = |content: &str| json!({ "role": "user", "content": content });
    let completion = json!({
        "chatId": chat, "provider": "openai", "model": "m", "messages": [user("a\u{0}b")]
    });
    let post = Method::POST;
    let cases = vec![
        (
            post.clone(),
            "/v1/chats".into(),
            json!({ "title": "a\u{0}" }),
            format!("title {NUL}"),
        ),
        (
            post.clone(),
            "/v1/chats".into(),
            json!({ "messages": [user("ok"), user("\u{0}")] }),
            format!("messages[1].content {NUL}"),
        ),
        (
            post.clone(),
            "/v1/chats".into(),
            json!({ "messages": [{ "role": "user", "content": "x", "name": "n\u{0}" }] }),
            format!("messages[0].name {NUL}"),
        ),
        (
            post.clone(),
            "/v1/chats".into(),
            json!({ "messages": [{ "role": "user", "content": "x", "attachments": [
                { "kind": "text", "filename": "a.txt", "text": "b\u{0}" }
            ] }] }),
            format!("messages[0].attachments[0].text {NUL}"),
        ),
        (
            Method::PATCH,
            format!("/v1/chats/{chat}"),
            json!({ "title": "\u{0}" }),
            format!("title {NUL}"),
        ),
        (
            post.clone(),
            format!("/v1/chats/{chat}/messages"),
            user("\u{0}"),
            format!("content {NUL}"),
        ),
        (
            post.clone(),
            format!("/v1/chats/{chat}/messages"),
            json!({ "role": "user", "content": "x", "metadata": { "note": ["\u{0}"] } }),
            format!("metadata.note[0] {NUL}"),
        ),
        (
            post.clone(),
            format!("/v1/chats/{chat}/messages"),
            json!({ "role": "user", "content": "x", "metadata": { "k\u{0}": 1 } }),
            "metadata must not have a key containing the NUL character (U+0000)".into(),
        ),
        (
            post.clone(),
            "/v1/chat-completions".into(),
            completion.clone(),
            format!("messages[0].content {NUL}"),
        ),
        (
            post.clone(),
            "/v1/chat-completions/stream".into(),
            json!({ "chatId": chat, "provider": "openai", "model": "m\u{0}", "messages": [user("x")] }),
            format!("model {NUL}"),
        ),
        (
            post.clone(),
            "/v1/chats/title/suggest".into(),
            json!({ "chatId": chat, "content": "\u{0}" }),
            format!("content {NUL}"),
        ),
        (
            post.clone(),
            "/v1/searches".into(),
            json!({ "query": "\u{0}" }),
            format!("query {NUL}"),
        ),
        (
            post.clone(),
            format!("/v1/searches/{search}/run"),
            json!({ "includeDomains": ["a.com", "b\u{0}"] }),
            format!("includeDomains[1] {NUL}"),
        ),
        (
            post.clone(),
            format!("/v1/searches/{search}/chat"),
            json!({ "title": "\u{0}" }),
            format!("title {NUL}"),
        ),
        (
            post.clone(),
            "/openai/v1/chat/completions".into(),
            json!({ "model": "openai/m", "messages": [user("\u{0}")] }),
            format!("messages[0].content {NUL}"),
        ),
    ];
    refused(app, cases).await;
    assert_eq!(
        everything(app, &chat, &search).await,
        before,
        "nothing stored"
    );
}

async fn free_form_fields_nest_at_most_64_deep(app: &TestApp) {
    let (chat, search) = a_chat_and_a_search(app).await;
    let before = everything(app, &chat, &search).await;
    let rule = "must be nested at most 64 deep";
    let message_with =
        |metadata: Value| json!({ "role": "user", "content": "x", "metadata": metadata });
    let deep_list = (1..65).fold(json!([]), |inner, _| json!([inner]));
    let cases = vec![
        (
            Method::POST,
            format!("/v1/chats/{chat}/messages"),
            message_with(nested(65)),
            format!("metadata {rule}"),
        ),
        // Accepted (and then unreadable on SQLite) before the limit.
        (
            Method::POST,
            format!("/v1/chats/{chat}/messages"),
            message_with(nested(126)),
            format!("metadata {rule}"),
        ),
        (
            Method::POST,
            "/v1/chat-completions".into(),
            json!({ "provider": "openai", "model": "m", "messages": [message_with(nested(65))] }),
            format!("messages[0].metadata {rule}"),
        ),
        (
            Method::POST,
            "/openai/v1/chat/completions".into(),
            json!({ "model": "openai/m", "messages": [{ "role": "user", "content": deep_list }] }),
            format!("messages[0].content {rule}"),
        ),
    ];
    refused(app, cases).await;
    assert_eq!(
        everything(app, &chat, &search).await,
        before,
        "nothing stored"
    );

    let (status, added) = app
        .post_json(
            &format!("/v1/chats/{chat}/messages"),
            &message_with(nested(64)),
        )
        .await;
    assert_eq!(status, 201, "{added}");
    let (status, detail) = app.get_json(&format!("/v1/chats/{chat}")).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["chat"]["messages"][0]["metadata"], nested(64));
}

#[tokio::test]
async fn nul_is_a_400_naming_the_field_on_sqlite() {
    nul_is_refused_in_every_field(&spawn_app().await).await;
}

#[tokio::test]
async fn free_form_json_nests_at_most_64_deep_on_sqlite() {
    free_form_fields_nest_at_most_64_deep(&spawn_app().await).await;
}

#[tokio::test]
async fn both_rules_hold_on_postgresql() {
    let Some(db) = PgDatabase::create("sybil_valid").await else {
        return;
    };
    let app = spawn_app_on(db.url(), &[]).await;
    nul_is_refused_in_every_field(&app).await;
    free_form_fields_nest_at_most_64_deep(&app).await;
}
