//! U+0000 from upstreams (a model's answer, whole or streamed, its tool-call
//! arguments, a fetched page, Exa's results and answer) is stored and sent as
//! U+FFFD, on SQLite and on PostgreSQL (which cannot store U+0000 at all).

use serde_json::{Value, json};
use sybil_testkit::{FakeExa, FakePages, Reply};

use crate::helpers::{Fakes, TestApp, new_chat, spawn_app_on, temp_db_path};
use crate::pg_database::PgDatabase;
use crate::sse::{parse_frames, text_of};

const REPLACED: char = '\u{FFFD}';

async fn app_on(db_url: &str, fakes: &Fakes) -> TestApp {
    let mut env = fakes.env();
    env.push(("FETCH_ALLOW_PRIVATE_NETWORKS".into(), "true".into()));
    spawn_app_on(db_url, &env).await
}

async fn messages(app: &TestApp, chat: &str) -> Vec<Value> {
    let (status, detail) = app.get_json(&format!("/v1/chats/{chat}")).await;
    assert_eq!(status, 200, "{detail}");
    detail["chat"]["messages"].as_array().unwrap().clone()
}

fn ask(chat: &str, content: &str) -> Value {
    json!({ "chatId": chat, "provider": "openai", "model": "gpt-4.1-mini",
            "messages": [{ "role": "user", "content": content }] })
}

/// Every scenario, on the app's backend.
async fn upstream_nuls_are_replaced(app: &TestApp, fakes: &Fakes) {
    // A whole answer.
    let chat = new_chat(app).await;
    fakes.openai.push(Reply::text("whole\0answer"));
    let (status, body) = app
        .post_json("/v1/chat-completions", &ask(&chat, "hi"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"]["content"], format!("whole{REPLACED}answer"));
    let stored = messages(app, &chat).await;
    assert_eq!(stored[1]["content"], format!("whole{REPLACED}answer"));

    // A streamed answer: its deltas, its done event and the stored message.
    let chat = new_chat(app).await;
    fakes.openai.push(Reply::text("streamed\0answer"));
    let resp = app.open_stream(&ask(&chat, "hi")).await;
    assert_eq!(resp.status(), 200);
    let events = resp.text().await.unwrap();
    assert!(!events.contains("\\u0000"), "{events}");
    let deltas = text_of(&parse_frames(&events));
    assert_eq!(deltas, format!("streamed{REPLACED}answer"), "{events}");
    let stored = messages(app, &chat).await;
    assert_eq!(stored[1]["content"], format!("streamed{REPLACED}answer"));

    // A tool call whose arguments hold a NUL, fetching a page that holds one.
    let pages = FakePages::start().await;
    pages.set_page("/nul.txt", "text/plain; charset=utf-8", &b"page\0text"[..]);
    let chat = new_chat(app).await;
    let args = json!({ "url": pages.url("/nul.txt#a\u{0}b") }).to_string();
    assert!(args.contains("\\u0000"), "{args}");
    fakes
        .openai
        .push(Reply::tool_calls(&[("fetch_url", &args)]));
    fakes.openai.push(Reply::text("read"));
    let (status, body) = app
        .post_json("/v1/chat-completions", &ask(&chat, "read it"))
        .await;
    assert_eq!(status, 200, "{body}");
    let stored = messages(app, &chat).await;
    let tool = stored.iter().find(|m| m["role"] == "tool").unwrap();
    assert_eq!(tool["metadata"]["status"], "completed", "{tool}");
    let url = tool["metadata"]["arguments"]["url"].as_str().unwrap();
    assert!(url.ends_with(&format!("#a{REPLACED}b")), "{url}");
    let output = tool["content"].as_str().unwrap();
    assert!(output.contains(&format!("page{REPLACED}text")), "{output}");
    // The model got the same text back.
    let round_two = fakes.openai.generation_requests()[1].body.to_string();
    assert!(!round_two.contains("\\u0000"), "{round_two}");
}

#[tokio::test]
async fn upstream_nuls_are_replaced_on_sqlite() {
    let fakes = Fakes::start().await;
    let db = temp_db_path();
    let app = app_on(&format!("sqlite://{}?mode=rwc", db.display()), &fakes).await;
    upstream_nuls_are_replaced(&app, &fakes).await;
    let _ = std::fs::remove_file(&db);
}

#[tokio::test]
async fn upstream_nuls_are_replaced_on_postgres() {
    let Some(db) = PgDatabase::create("sybil_nul").await else {
        return;
    };
    let fakes = Fakes::start().await;
    let app = app_on(db.url(), &fakes).await;
    upstream_nuls_are_replaced(&app, &fakes).await;
}

/// A search run whose Exa results and answer hold U+0000.
async fn exa_nuls_are_replaced(db_url: &str) {
    let exa = FakeExa::start().await;
    let env = vec![
        ("EXA_API_KEY".to_string(), exa.api_key()),
        ("EXA_BASE_URL".to_string(), exa.base_url()),
    ];
    let app = spawn_app_on(db_url, &env).await;
    exa.set_results(vec![json!({
        "id": "https://example.com/a", "url": "https://example.com/a",
        "title": "ti\0tle", "score": 0.5, "text": "bo\0dy",
        "highlights": ["hi\0gh"], "highlightScores": [0.4], "summary": "sum\0mary",
    })]);
    exa.set_answer(json!("an\0swer"));
    let (status, created) = app
        .post_json("/v1/searches", &json!({ "query": "q" }))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["search"]["id"].as_str().unwrap();
    let (status, ran) = app
        .post_json(&format!("/v1/searches/{id}/run"), &json!({}))
        .await;
    assert_eq!(status, 200, "{ran}");
    let (status, stored) = app.get_json(&format!("/v1/searches/{id}")).await;
    assert_eq!(status, 200, "{stored}");
    for answer in [&ran, &stored] {
        let text = answer.to_string();
        assert!(!text.contains("\\u0000"), "{text}");
        let search = &answer["search"];
        assert_eq!(search["answerText"], json!(format!("an{REPLACED}swer")));
        assert_eq!(
            search["results"][0]["title"],
            json!(format!("ti{REPLACED}tle"))
        );
    }
}

#[tokio::test]
async fn exa_nuls_are_replaced_on_sqlite() {
    let db = temp_db_path();
    exa_nuls_are_replaced(&format!("sqlite://{}?mode=rwc", db.display())).await;
    let _ = std::fs::remove_file(&db);
}

#[tokio::test]
async fn exa_nuls_are_replaced_on_postgres() {
    let Some(db) = PgDatabase::create("sybil_nul").await else {
        return;
    };
    exa_nuls_are_replaced(db.url()).await;
}
